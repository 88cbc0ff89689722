from __future__ import annotations

import io
import typing as t

import pytest
from werkzeug.test import create_environ
from werkzeug.wsgi import get_input_stream

from hipflask.http.exceptions import (
    BadRequest,
    ClientDisconnected,
    RequestEntityTooLarge,
)
from hipflask.http.streams import (
    CHUNK_SIZE,
    EMPTY_STREAM,
    LimitedStream,
    SpooledBody,
)


class RecordingStream:
    """A wsgi.input that records every call and can fail on demand."""

    def __init__(self, data: bytes, *, fail_after: int | None = None) -> None:
        self._inner = io.BytesIO(data)
        self.calls: list[tuple[str, int]] = []
        self._fail_after = fail_after

    def _check(self) -> None:
        if self._fail_after is not None and self._inner.tell() >= self._fail_after:
            raise OSError("connection reset by peer")

    def read(self, size: int = -1, /) -> bytes:
        self.calls.append(("read", size))
        self._check()
        return self._inner.read(size)

    def readline(self, size: int = -1, /) -> bytes:
        self.calls.append(("readline", size))
        self._check()
        return self._inner.readline(size)

    def tell(self) -> int:
        return self._inner.tell()


class ReadOnlyStream:
    """A stream with ``read`` and nothing else (no ``readline``)."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def read(self, size: int = -1, /) -> bytes:
        return self._inner.read(size)


class UntouchableStream:
    def read(self, size: int = -1, /) -> bytes:
        raise AssertionError("the input must not be read")

    def readline(self, size: int = -1, /) -> bytes:
        raise AssertionError("the input must not be read")


# -- LimitedStream with a Content-Length -----------------------------------------------


def test_reads_exactly_content_length() -> None:
    source = RecordingStream(b"hello world, and then the next request")
    stream = LimitedStream(source, 11)
    assert stream.read() == b"hello world"
    assert source.tell() == 11
    assert stream.is_exhausted
    assert stream.exhausted
    assert stream.tell() == 11
    assert stream.read() == b""
    assert stream.read(10) == b""
    assert stream.readline() == b""


def test_read_in_pieces() -> None:
    stream = LimitedStream(io.BytesIO(b"abcdefghij-extra"), 10)
    assert stream.read(3) == b"abc"
    assert not stream.is_exhausted
    assert stream.read(0) == b""
    assert stream.read(100) == b"defghij"
    assert stream.read(1) == b""


def test_read_zero_does_not_touch_input() -> None:
    source = RecordingStream(b"abc")
    stream = LimitedStream(source, 3)
    assert stream.read(0) == b""
    assert source.calls == []


def test_zero_content_length_reads_nothing() -> None:
    stream = LimitedStream(UntouchableStream(), 0)
    assert stream.is_exhausted
    assert stream.read() == b""
    assert stream.readline() == b""
    assert list(stream) == []
    assert stream.exhaust() == 0


def test_readline_within_limit() -> None:
    stream = LimitedStream(io.BytesIO(b"abc\ndef\nghi"), 6)
    assert stream.readline() == b"abc\n"
    assert stream.readline() == b"de"
    assert stream.readline() == b""


def test_readline_with_size() -> None:
    stream = LimitedStream(io.BytesIO(b"abcdef\nxyz\n"), 11)
    assert stream.readline(4) == b"abcd"
    assert stream.readline() == b"ef\n"
    assert stream.readlines() == [b"xyz\n"]


def test_readline_without_readline_on_input() -> None:
    stream = LimitedStream(ReadOnlyStream(b"a\nb\nc-beyond"), 5)
    assert list(stream) == [b"a\n", b"b\n", b"c"]


class NoSizeReadline(ReadOnlyStream):
    """A wsgi.input whose readline() takes no size (PEP 3333 allows that)."""

    def readline(self) -> bytes:
        return self._inner.readline()


def test_readline_that_refuses_a_size() -> None:
    stream = LimitedStream(NoSizeReadline(b"ab\ncd\nef-beyond"), 7)
    assert stream.readline() == b"ab\n"
    assert list(stream) == [b"cd\n", b"e"]


def test_iteration_and_readlines() -> None:
    stream = LimitedStream(io.BytesIO(b"1\n2\n3\n4"), 7)
    assert next(iter(stream)) == b"1\n"
    assert stream.readlines() == [b"2\n", b"3\n", b"4"]


def test_readinto() -> None:
    stream = LimitedStream(io.BytesIO(b"abcdefgh"), 5)
    buffer = bytearray(3)
    assert stream.readinto(buffer) == 3
    assert buffer == b"abc"
    view = memoryview(bytearray(10))
    assert stream.readinto(view) == 2
    assert view[:2].tobytes() == b"de"
    assert stream.readinto(bytearray(4)) == 0


def test_works_under_buffered_and_text_wrappers() -> None:
    raw = LimitedStream(io.BytesIO("héllo\nwörld\n-extra".encode()), 14)
    text = io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8")
    assert text.read() == "héllo\nwörld\n"


def test_large_body_read_in_bounded_chunks() -> None:
    body = b"x" * (3 * CHUNK_SIZE + 17)
    source = RecordingStream(body)
    stream = LimitedStream(source, len(body))
    assert stream.read() == body
    assert all(size <= CHUNK_SIZE for _, size in source.calls)


class TrickleStream:
    """A wsgi.input that gives at most ``step`` bytes per read (and records sizes)."""

    def __init__(self, data: bytes, step: int) -> None:
        self._inner = io.BytesIO(data)
        self._step = step
        self.sizes: list[int] = []

    def read(self, size: int = -1, /) -> bytes:
        self.sizes.append(size)
        return self._inner.read(min(size, self._step))


class GenerousStream:
    """A wsgi.input that ignores the size and gives everything it has."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def read(self, size: int = -1, /) -> bytes:
        return self._inner.read()


def test_small_rest_is_read_in_one_call() -> None:
    # readall's fast case: what is left fits one read.
    source = RecordingStream(b"a=1&b=2-and-more")
    stream = LimitedStream(source, 7)
    assert stream.read() == b"a=1&b=2"
    assert source.calls == [("read", 7)]
    assert stream.is_exhausted
    assert stream.read() == b""
    assert source.calls == [("read", 7)]


def test_small_rest_given_in_pieces_is_read_to_the_end() -> None:
    # The input gives less than asked: readall goes on with the rest.
    source = TrickleStream(b"0123456789", 3)
    stream = LimitedStream(source, 10)
    assert stream.read() == b"0123456789"
    assert source.sizes == [10, 7, 4, 1]


def test_small_rest_cut_short_raises_client_disconnected() -> None:
    source = TrickleStream(b"01234", 3)
    stream = LimitedStream(source, 10)
    with pytest.raises(ClientDisconnected, match="sent 5 of the 10 bytes"):
        stream.read()
    assert stream.tell() == 5
    assert stream.read() == b""


def test_small_rest_of_an_overlong_input_is_cut() -> None:
    stream = LimitedStream(GenerousStream(b"0123456789"), 4)
    assert stream.read() == b"0123"
    assert stream.read() == b""


def test_small_rest_of_terminated_input_ends_at_its_end() -> None:
    # Terminated input under a maximum: at most max + 1 bytes are asked for.
    source = RecordingStream(b"abc")
    stream = LimitedStream(source, None, max_content_length=10, is_terminated=True)
    assert stream.read() == b"abc"
    assert source.calls == [("read", 11), ("read", 8)]
    assert stream.read() == b""


def test_rest_over_a_chunk_is_read_in_chunks() -> None:
    body = b"y" * (CHUNK_SIZE + 1)
    source = RecordingStream(body)
    stream = LimitedStream(source, len(body))
    assert stream.read() == body
    assert source.calls == [("read", CHUNK_SIZE), ("read", 1)]


def test_exhausted_stream_reads_nothing() -> None:
    # What request.stream is after the form fast path read the body itself.
    stream = LimitedStream._exhausted(UntouchableStream(), 76, 76)
    assert stream.limit == 76
    assert stream.tell() == 76
    assert stream.is_exhausted
    assert stream.read() == b""
    assert stream.read(10) == b""
    assert stream.readline() == b""
    assert stream.exhaust() == 0


def test_matches_werkzeug_limited_stream() -> None:
    body = b"line one\nline two\n" * 1000
    environ = create_environ("/", method="POST", input_stream=io.BytesIO(body))
    environ["CONTENT_LENGTH"] = str(len(body) - 5)
    theirs = get_input_stream(environ).read()
    ours = LimitedStream(io.BytesIO(body), len(body) - 5).read()
    assert ours == theirs


# -- short bodies and broken inputs ----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "limit", "read"),
    [
        (b"12345", 10, lambda s: s.read()),
        (b"", 1, lambda s: s.read()),
        (b"12345", 10, lambda s: s.read(100) + s.read(100)),
        (b"12345", 10, lambda s: s.readlines()),
        (b"12345", 10, lambda s: s.readinto(bytearray(20)) + s.readinto(bytearray(9))),
    ],
)
def test_short_body_raises_client_disconnected(
    body: bytes, limit: int, read: t.Callable[[LimitedStream], object]
) -> None:
    stream = LimitedStream(io.BytesIO(body), limit)
    with pytest.raises(ClientDisconnected) as info:
        read(stream)
    assert isinstance(info.value, BadRequest)
    assert f"sent {len(body)} of the {limit} bytes" in str(info.value.description)
    # After the disconnect the stream reads nothing more.
    assert stream.read() == b""


@pytest.mark.parametrize("method", ["read", "readline"])
def test_input_error_raises_client_disconnected(method: str) -> None:
    stream = LimitedStream(RecordingStream(b"abcdef", fail_after=0), 6)
    with pytest.raises(ClientDisconnected, match="connection reset"):
        getattr(stream, method)()


def test_input_error_on_terminated_input() -> None:
    stream = LimitedStream(
        RecordingStream(b"abcdef", fail_after=0), None, is_terminated=True
    )
    with pytest.raises(ClientDisconnected):
        stream.read(3)


# -- maximum content length ------------------------------------------------------------


def test_content_length_over_max_is_rejected_before_reading() -> None:
    with pytest.raises(RequestEntityTooLarge, match="maximum of 10 bytes"):
        LimitedStream(UntouchableStream(), 11, max_content_length=10)


def test_content_length_at_max_is_fine() -> None:
    stream = LimitedStream(io.BytesIO(b"x" * 10), 10, max_content_length=10)
    assert stream.read() == b"x" * 10


def test_negative_limit_is_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        LimitedStream(io.BytesIO(), -1)


# -- without a Content-Length ----------------------------------------------------------


def test_no_length_and_not_terminated_reads_nothing() -> None:
    stream = LimitedStream(UntouchableStream(), None)
    assert stream.is_exhausted
    assert stream.read() == b""
    assert stream.read(10) == b""
    assert stream.readline() == b""
    assert stream.exhaust() == 0


def test_terminated_input_without_max_reads_to_the_end() -> None:
    body = b"chunked\n" * 20_000
    stream = LimitedStream(io.BytesIO(body), None, is_terminated=True)
    assert not stream.is_exhausted
    assert stream.readline() == b"chunked\n"
    assert stream.read() == body[8:]
    assert stream.is_exhausted
    assert stream.read() == b""


@pytest.mark.parametrize("size", [0, 1, 99, 100])
def test_terminated_input_at_or_under_max(size: int) -> None:
    stream = LimitedStream(
        io.BytesIO(b"y" * size), None, max_content_length=100, is_terminated=True
    )
    assert stream.read() == b"y" * size
    assert stream.read() == b""


@pytest.mark.parametrize(
    ("size", "read"),
    [
        (101, lambda s: s.read()),
        (10_000, lambda s: s.read()),
        (101, lambda s: [s.read(60), s.read(60)]),
        (10_000, lambda s: s.readlines()),
        (101, lambda s: s.readline()),
        (150, lambda s: [s.readinto(bytearray(70)) for _ in range(3)]),
    ],
)
def test_terminated_input_over_max(
    size: int, read: t.Callable[[LimitedStream], object]
) -> None:
    source = RecordingStream(b"z" * size)
    stream = LimitedStream(source, None, max_content_length=100, is_terminated=True)
    with pytest.raises(RequestEntityTooLarge, match="maximum of 100 bytes"):
        read(stream)
    # It reads at most one byte past the maximum.
    assert source.tell() <= 101


# -- exhaust ---------------------------------------------------------------------------


def test_exhaust_discards_the_rest() -> None:
    source = RecordingStream(b"a" * 200_000 + b"next request")
    stream = LimitedStream(source, 200_000)
    stream.read(10)
    assert stream.exhaust() == 199_990
    assert source.tell() == 200_000
    assert all(size <= CHUNK_SIZE for _, size in source.calls)
    assert stream.exhaust() == 0


def test_exhaust_survives_a_short_body() -> None:
    stream = LimitedStream(io.BytesIO(b"abc"), 10)
    assert stream.exhaust() == 3
    assert stream.is_exhausted


def test_exhaust_stops_past_the_maximum() -> None:
    source = RecordingStream(b"b" * 1_000_000)
    stream = LimitedStream(source, None, max_content_length=1000, is_terminated=True)
    stream.exhaust()
    assert source.tell() <= 1001


def test_limited_stream_is_a_readable_raw_io() -> None:
    stream = LimitedStream(io.BytesIO(b""), 0)
    assert isinstance(stream, io.RawIOBase)
    assert stream.readable()
    assert not stream.seekable()
    assert not stream.writable()


# -- SpooledBody -----------------------------------------------------------------------


def test_spooled_body_empty() -> None:
    body = SpooledBody()
    body.finish()
    assert body.size == 0
    assert body.read() == b""
    assert body.readline() == b""
    assert list(body) == []
    assert not body.rolled_to_disk


def test_spooled_body_single_chunk() -> None:
    body = SpooledBody()
    assert body.write(b"hello\nworld") == 11
    assert body.tell() == 11
    body.finish()
    assert body.size == 11
    assert body.readline() == b"hello\n"
    assert body.read() == b"world"
    body.seek(0)
    assert body.read(5) == b"hello"
    assert body.tell() == 5


def test_spooled_body_many_chunks() -> None:
    body = SpooledBody()
    for part in (b"a\n", b"", b"bb\n", b"ccc"):
        body.write(part)
    body.finish()
    assert body.size == 8
    assert list(body) == [b"a\n", b"bb\n", b"ccc"]
    body.seek(0)
    assert body.readlines() == [b"a\n", b"bb\n", b"ccc"]
    body.seek(2)
    buffer = bytearray(10)
    assert body.readinto(buffer) == 6
    assert buffer[:6] == b"bb\nccc"
    body.close()


def test_spooled_body_stays_in_memory_under_threshold() -> None:
    body = SpooledBody(spool_threshold=1000)
    body.write(b"x" * 600)
    body.write(b"x" * 400)
    body.finish()
    assert not body.rolled_to_disk
    assert body.read() == b"x" * 1000
    body.close()


@pytest.mark.parametrize("chunks", [[b"x" * 700, b"y" * 700], [b"z" * 5000]])
def test_spooled_body_moves_to_disk_past_threshold(chunks: list[bytes]) -> None:
    body = SpooledBody(spool_threshold=1000)
    for chunk in chunks:
        body.write(chunk)
    body.finish()
    assert body.rolled_to_disk
    assert body.read() == b"".join(chunks)
    body.close()
    assert body.closed


@pytest.mark.parametrize(
    ("chunks", "rolled"),
    [
        # The file is made in memory: these fit the threshold.
        ([b"a" * 600, b"b" * 300], False),
        ([b"a" * 600, b"b" * 400], False),
        ([b"a" * 600, b"b" * 300, b"c" * 100], False),
        # It moves to disk as it is made: the chunk would roll it anyway.
        ([b"a" * 600, b"b" * 401], True),
        ([b"a" * 1001], True),
        # It moves to disk later, on its own.
        ([b"a" * 600, b"b" * 300, b"c" * 101], True),
    ],
)
def test_spooled_body_rolls_to_disk_exactly_past_threshold(
    chunks: list[bytes], rolled: bool
) -> None:
    body = SpooledBody(spool_threshold=1000)
    for chunk in chunks:
        assert body.write(chunk) == len(chunk)
    assert body.size == sum(map(len, chunks))
    body.finish()
    assert body.rolled_to_disk is rolled
    assert body.read(3) == chunks[0][:3]
    assert body.read() == b"".join(chunks)[3:]
    body.seek(0)
    assert body.read() == b"".join(chunks)
    body.close()


def test_spooled_body_at_limit() -> None:
    body = SpooledBody(max_content_length=10)
    body.write(b"12345")
    body.write(b"67890")
    body.finish()
    assert not body.too_large
    assert body.read() == b"1234567890"
    body.close()


@pytest.mark.parametrize(
    "chunks",
    [[b"12345", b"67890", b"!"], [b"1234567890!"], [b"x" * 6, b"y" * 6, b"z"]],
)
@pytest.mark.parametrize("threshold", [4, 1000])
def test_spooled_body_over_limit(chunks: list[bytes], threshold: int) -> None:
    body = SpooledBody(max_content_length=10, spool_threshold=threshold)
    with pytest.raises(RequestEntityTooLarge, match="maximum of 10 bytes"):
        for chunk in chunks:
            body.write(chunk)
    assert body.too_large
    # The size counts what was received, so it shows the overflow.
    assert body.size > 10
    body.finish()
    # A body cut short is never readable as if it were whole.
    for read in (body.read, body.readline, lambda: body.readinto(bytearray(3))):
        with pytest.raises(RequestEntityTooLarge):
            read()
    body.close()


def test_spooled_body_phases() -> None:
    body = SpooledBody()
    body.write(b"abc")
    assert body.writable()
    with pytest.raises(ValueError, match="finish"):
        body.read()
    body.finish()
    body.finish()  # finishing twice is harmless
    assert not body.writable()
    with pytest.raises(ValueError, match="no longer be written"):
        body.write(b"more")
    assert body.read() == b"abc"


def test_spooled_body_close() -> None:
    with SpooledBody() as body:
        body.write(b"abc")
        body.finish()
    assert body.closed
    with pytest.raises(ValueError):
        body.read()


def test_spooled_body_close_without_data() -> None:
    body = SpooledBody()
    body.close()
    assert body.closed
    with pytest.raises(ValueError):
        body.read()


def test_spooled_body_accepts_bytes_like() -> None:
    body = SpooledBody()
    body.write(bytearray(b"ab"))
    body.write(memoryview(b"cd"))
    body.finish()
    assert body.read() == b"abcd"
    body.close()


# -- EMPTY_STREAM ----------------------------------------------------------------------


def test_empty_stream() -> None:
    assert EMPTY_STREAM.read() == b""
    assert EMPTY_STREAM.read(10) == b""
    assert EMPTY_STREAM.readline() == b""
    assert EMPTY_STREAM.readlines() == []
    assert EMPTY_STREAM.readinto(bytearray(4)) == 0
    assert list(EMPTY_STREAM) == []
    assert EMPTY_STREAM.seek(0) == 0
    assert EMPTY_STREAM.tell() == 0
    EMPTY_STREAM.close()
    assert not EMPTY_STREAM.closed
    assert EMPTY_STREAM.read() == b""
    with EMPTY_STREAM as stream:
        assert stream.read() == b""
    assert not EMPTY_STREAM.closed


@pytest.mark.parametrize("chunk", [b"", b"hello\nworld", bytearray(b"hello\nworld")])
def test_spooled_body_whole_matches_write_then_finish(chunk: bytes) -> None:
    whole = SpooledBody._whole(chunk)
    written = SpooledBody()
    written.write(chunk)
    written.finish()
    for body in (whole, written):
        assert body.size == len(chunk)
        assert not body.too_large
        assert not body.writable()
        data = bytes(chunk)
        first, newline, rest = data.partition(b"\n")
        assert body.readline() == first + newline
        assert body.read() == rest
        body.seek(0)
        assert body.read() == bytes(chunk)
        body.close()
        assert body.closed


def test_spooled_body_whole_over_limit() -> None:
    body = SpooledBody._whole(b"1234567890!", max_content_length=10)
    assert body.too_large
    assert body.size == 11
    for read in (body.read, body.readline, lambda: body.readinto(bytearray(3))):
        with pytest.raises(RequestEntityTooLarge, match="maximum of 10 bytes"):
            read()
    body.close()
    at_limit = SpooledBody._whole(b"1234567890", max_content_length=10)
    assert not at_limit.too_large
    assert at_limit.read() == b"1234567890"


@pytest.mark.parametrize("make", ["whole", "written"])
def test_spooled_body_first_whole_read_leaves_the_end(make: str) -> None:
    # The first read() of an untouched in-memory body hands out the bytes without
    # a buffer; the body then behaves as a file read to its end.
    if make == "whole":
        body = SpooledBody._whole(b"abc\ndef")
    else:
        body = SpooledBody()
        body.write(b"abc\ndef")
        body.finish()
    assert body.read() == b"abc\ndef"
    assert body.read() == b""
    assert body.readline() == b""
    assert body.tell() == 7
    body.seek(0)
    assert list(body) == [b"abc\n", b"def"]
    body.close()


def test_spooled_body_sized_read_takes_the_buffer() -> None:
    body = SpooledBody._whole(b"abcdef")
    assert body.read(2) == b"ab"
    assert body.read() == b"cdef"
    assert body.read() == b""


def test_spooled_body_read_after_close_without_read() -> None:
    body = SpooledBody._whole(b"abc")
    body.close()
    assert body.closed
    with pytest.raises(ValueError):
        body.read()


# -- a body held at its limit ---------------------------------------------------


def _held(*chunks: bytes, rest: t.Any = None, limit: int = 10) -> SpooledBody:
    """A body of ``chunks`` whose last one was held past ``limit``."""
    body = SpooledBody(max_content_length=limit)
    for chunk in chunks[:-1]:
        body.write(chunk)
    body._hold(chunks[-1], rest)
    return body


def test_held_body_reads_as_too_large_and_keeps_its_bytes() -> None:
    body = _held(b"x" * 6, b"y" * 6)
    assert body.too_large and body.size == 12
    with pytest.raises(RequestEntityTooLarge, match="maximum of 10 bytes"):
        body.read()
    assert not body._raise_limit(11)  # still over: held as it was
    assert body.too_large
    assert body._raise_limit(12)
    assert not body.too_large
    assert body.read() == b"x" * 6 + b"y" * 6
    body.close()


def test_held_body_receives_its_rest_under_the_raised_limit() -> None:
    def rest(body: SpooledBody) -> bool:
        body.write(b"z" * 8)
        return True

    body = _held(b"x" * 6, b"y" * 6, rest=rest)
    assert body._raise_limit(20)
    assert body.read() == b"x" * 6 + b"y" * 6 + b"z" * 8
    body.close()


def test_held_body_rest_past_the_raised_limit_is_413() -> None:
    def rest(body: SpooledBody) -> bool:
        body.write(b"z" * 9)  # 21 > 20
        return True

    body = _held(b"x" * 12, rest=rest)
    with pytest.raises(RequestEntityTooLarge, match="maximum of 20 bytes"):
        body._raise_limit(20)
    assert body.too_large
    with pytest.raises(RequestEntityTooLarge):
        body.read()
    assert not body._raise_limit(100)  # no longer held: nothing comes back


def test_held_body_whose_rest_cannot_be_received_here_stays_held() -> None:
    calls: list[SpooledBody] = []

    def rest(body: SpooledBody) -> bool:
        calls.append(body)
        return False

    body = _held(b"x" * 12, rest=rest)
    assert not body._raise_limit(100)
    assert calls == [body]
    with pytest.raises(RequestEntityTooLarge, match="maximum of 10 bytes"):
        body.read()


def test_held_body_rest_failure_propagates() -> None:
    def rest(body: SpooledBody) -> bool:
        raise ClientDisconnected("gone")

    body = _held(b"x" * 12, rest=rest)
    with pytest.raises(ClientDisconnected):
        body._raise_limit(100)
    assert body.too_large


def test_whole_body_over_its_limit_is_held() -> None:
    body = SpooledBody._whole(b"x" * 12, 10)
    assert body.too_large
    assert body._raise_limit(12)
    assert body.read() == b"x" * 12
    within = SpooledBody._whole(b"x" * 5, 10)
    assert not within._raise_limit(100)  # not held: nothing to do
