"""Request body streams: bounded reading of WSGI input, spooled ASGI bodies.

:class:`LimitedStream` wraps ``wsgi.input``. Which bytes it will read is decided
once, at construction, from three facts about the request:

=========================  =====================  ================================
Content-Length (``limit``)  ``is_terminated``      what is read
=========================  =====================  ================================
given                       either                 exactly ``limit`` bytes; fewer
                                                   (the client went away) raises
                                                   :exc:`ClientDisconnected`
absent                      true (chunked, or the  until the server's end of input;
                            server frames input)   more than ``max_content_length``
                                                   raises 413
absent                      false                  nothing: without a length the
                                                   input of a PEP 3333 server may
                                                   never end, so it is not touched
=========================  =====================  ================================

A Content-Length above ``max_content_length`` raises 413 at construction, before
any byte is read. For terminated input the 413 comes from the bytes actually
read: the stream reads at most one byte past the limit to tell "exactly at the
limit" from "over it".

:class:`SpooledBody` is the body an ASGI adapter receives: chunks are written to
it (memory first, a temporary file past a threshold, 413 past
``max_content_length``), then :meth:`SpooledBody.finish` turns it into a
read-only, seekable stream. :data:`EMPTY_STREAM` is a shared stream with no
bytes, for requests without a body.

A body the adapter stops receiving at the application's limit is *held*
(:meth:`SpooledBody._hold`): what arrived is kept, reads raise 413, and a
request whose own ``max_content_length`` was raised since can complete it
(:meth:`SpooledBody._raise_limit`) through a callable the adapter gave, which
receives the rest.
"""

from __future__ import annotations

import io
import sys
import typing as t
from tempfile import SpooledTemporaryFile

from ._native import new_instance
from .exceptions import ClientDisconnected, RequestEntityTooLarge

if t.TYPE_CHECKING:
    from collections.abc import Iterator
    from types import TracebackType

    from typing_extensions import Buffer, Self

__all__ = ["EMPTY_STREAM", "EmptyStream", "LimitedStream", "SpooledBody"]

#: How much a read without a size, or ``exhaust``, asks for at a time.
CHUNK_SIZE = 64 * 1024

#: Default memory threshold of a :class:`SpooledBody` before it moves to disk:
#: 2.5 MiB, Django's limit for keeping an upload in memory. A body the size of
#: a phone photo stays in memory (a disk round trip costs more than parsing
#: it); a larger one moves to a temporary file, so memory stays bounded.
DEFAULT_SPOOL_THRESHOLD = 2621440


class _Readable(t.Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def _too_large(limit: int) -> RequestEntityTooLarge:
    return RequestEntityTooLarge(
        f"The request body is larger than the maximum of {limit} bytes."
    )


def _cut_short(pos: int, limit: int) -> ClientDisconnected:
    return ClientDisconnected(
        f"The client sent {pos} of the {limit} bytes it announced in Content-Length."
    )


def _read_failed(pos: int, error: Exception) -> ClientDisconnected:
    return ClientDisconnected(
        f"Reading the request body failed after {pos} bytes: {error}"
    )


class LimitedStream(io.RawIOBase):
    """Read a WSGI input stream without going past what the request allows.

    ``limit`` is the Content-Length (None when absent or chunked);
    ``is_terminated`` tells whether the server ends the input itself
    (``wsgi.input_terminated``). See the module docstring for the rules.
    """

    __slots__ = ("_max", "_pos", "_remaining", "_stream", "_strict", "limit")

    def __init__(
        self,
        stream: _Readable,
        limit: int | None,
        *,
        max_content_length: int | None = None,
        is_terminated: bool = False,
    ) -> None:
        self._stream = stream
        self.limit = limit
        self._pos = 0
        self._max: int | None = None
        if limit is not None:
            if limit < 0:
                raise ValueError(f"limit must not be negative, got {limit}")
            if max_content_length is not None and limit > max_content_length:
                raise _too_large(max_content_length)
            # Short reads mean the client went away.
            self._strict = True
            self._remaining = limit
        elif is_terminated:
            self._strict = False
            if max_content_length is None:
                self._remaining = sys.maxsize
            else:
                # One byte of slack tells "exactly max" from "more than max".
                self._max = max_content_length
                self._remaining = max_content_length + 1
        else:
            self._strict = False
            self._remaining = 0

    @classmethod
    def _exhausted(cls, stream: _Readable, limit: int | None, pos: int) -> Self:
        """The stream of a ``limit``-byte body of which ``pos`` bytes were read
        (on its behalf, elsewhere) and which reads nothing more."""
        new = cls(stream, limit)
        new._pos = pos
        new._remaining = 0
        return new

    # -- state --------------------------------------------------------------------

    @property
    def is_exhausted(self) -> bool:
        """Whether everything this stream may read has been read."""
        return self._remaining <= 0

    @property
    def exhausted(self) -> bool:
        """Alias of :attr:`is_exhausted`."""
        return self._remaining <= 0

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        """How many bytes were read so far."""
        return self._pos

    # -- reading ------------------------------------------------------------------

    def _account(self, data: bytes, asked: int) -> bytes:
        """Book ``data`` read for a request of ``asked`` bytes; apply the limits."""
        got = len(data)
        if not got:
            if self._strict:
                self._remaining = 0
                raise _cut_short(self._pos, t.cast(int, self.limit))
            # End of a terminated input.
            self._remaining = 0
            return data
        if got > asked:
            # A misbehaving wsgi.input returned more than asked: cut it.
            data = data[:asked]
            got = asked
        self._pos += got
        self._remaining -= got
        if self._max is not None and self._pos > self._max:
            self._remaining = 0
            raise _too_large(self._max)
        return data

    def _read_raw(self, size: int) -> bytes:
        try:
            data = self._stream.read(size)
        except (OSError, ValueError) as error:
            self._remaining = 0
            raise _read_failed(self._pos, error) from error
        return self._account(data, size)

    def read(self, size: int | None = -1, /) -> bytes:
        """Read up to ``size`` bytes (everything that is left without a size)."""
        if size is None or size < 0:
            return self.readall()
        remaining = self._remaining
        if remaining <= 0 or size == 0:
            return b""
        return self._read_raw(size if size < remaining else remaining)

    def readall(self) -> bytes:
        """Read everything that is left."""
        remaining = self._remaining
        if 0 < remaining <= CHUNK_SIZE:
            # PERF: what is left fits one read (the usual body): the loop's first
            # read, without the loop. More only when the input gave less.
            data = self._read_raw(remaining)
            if not data:
                return b""
            if self._remaining <= 0:
                return data
            chunks = [data]
        else:
            chunks = []
        while self._remaining > 0:
            data = self.read(CHUNK_SIZE)
            if not data:
                break
            chunks.append(data)
        if len(chunks) == 1:
            return chunks[0]
        return b"".join(chunks)

    def readinto(self, buffer: Buffer, /) -> int:
        """Read into a writable buffer; return the number of bytes read."""
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1, /) -> bytes:
        """Read one line (up to ``size`` bytes), within the limits."""
        remaining = self._remaining
        if remaining <= 0 or size == 0:
            return b""
        readline = getattr(self._stream, "readline", None)
        if readline is None:
            return super().readline(-1 if size is None else size)
        if size is None or size < 0:
            size = remaining if remaining != sys.maxsize else -1
        elif size > remaining:
            size = remaining
        try:
            line: bytes = readline(size)
        except TypeError:
            # PEP 3333 lets a server's readline() ignore or refuse the size
            # argument: fall back to reading one byte at a time.
            return super().readline(size)
        except (OSError, ValueError) as error:
            self._remaining = 0
            raise _read_failed(self._pos, error) from error
        return self._account(line, size if size >= 0 else sys.maxsize)

    def exhaust(self) -> int:
        """Read and discard what is left; return how many bytes were dropped.

        Stops quietly when the client goes away or a maximum is passed: this is
        cleanup, which must not fail.
        """
        dropped = 0
        try:
            while self._remaining > 0:
                data = self.read(CHUNK_SIZE)
                if not data:
                    break
                dropped += len(data)
        except (ClientDisconnected, RequestEntityTooLarge):
            pass
        return dropped


#: Receives the rest of a held body into it (``write``), from a thread other
#: than the event loop's; False when it cannot (called on the loop).
RestReceiver = t.Callable[["SpooledBody"], bool]


def _nothing_left(body: SpooledBody) -> bool:
    """The completion of a body held with its last chunk: nothing to receive."""
    return True


_NOTHING_LEFT: RestReceiver = _nothing_left

#: A closed, empty buffer: what a closed, never-buffered SpooledBody reads from.
_CLOSED_BUFFER = io.BytesIO()
_CLOSED_BUFFER.close()


class SpooledBody:
    """A request body received in chunks, then read like a file.

    Write phase: :meth:`write` appends a chunk. :meth:`finish` ends it and
    rewinds. Read phase: the usual file methods, seekable. Bodies stay in memory
    up to ``spool_threshold`` bytes, beyond that in a temporary file.

    A write that takes the total past ``max_content_length`` raises 413; the
    data is then dropped, :attr:`too_large` is set and every later read raises
    the same 413, so a body cut short can never be read as if it were whole.
    """

    __slots__ = (
        "_file",
        "_finished",
        "_first",
        "_max",
        "_read_whole",
        "_rest",
        "_size",
        "_threshold",
        "too_large",
    )

    def __init__(
        self,
        max_content_length: int | None = None,
        *,
        spool_threshold: int = DEFAULT_SPOOL_THRESHOLD,
    ) -> None:
        self._max = max_content_length
        self._threshold = spool_threshold
        self._size = 0
        self._finished = False
        # PERF: a body that arrives in one chunk (nearly all of them) is kept as
        # that bytes object; the spooled file is only made for a second chunk.
        self._first = b""
        self._file: t.IO[bytes] | None = None
        # Whether read() handed out ``_first`` whole, before any buffer existed.
        self._read_whole = False
        #: Whether more than ``max_content_length`` bytes were offered.
        self.too_large = False
        # A held body's completion (see _hold): None when it is not held.
        self._rest: RestReceiver | None = None

    @classmethod
    def _whole(cls, chunk: bytes, max_content_length: int | None = None) -> Self:
        """A finished body of one chunk: what ``write(chunk)`` then ``finish()`` give.

        PERF: the body of nearly every request arrives in one ASGI message; this
        skips the write phase's calls. Over ``max_content_length`` the body is
        held whole (a read raises 413 unless the limit is raised, see
        :meth:`_raise_limit`); the chunk is one message, already in memory.
        """
        body = new_instance(cls)
        size = len(chunk)
        body._max = max_content_length
        body._threshold = DEFAULT_SPOOL_THRESHOLD
        body._size = size
        body._finished = True
        body._file = None
        body._read_whole = False
        body._first = chunk if type(chunk) is bytes else bytes(chunk)
        if max_content_length is not None and size > max_content_length:
            body.too_large = True
            body._rest = _NOTHING_LEFT
        else:
            body.too_large = False
            body._rest = None
        return body

    @property
    def size(self) -> int:
        """How many bytes were received (those refused for size included)."""
        return self._size

    @property
    def closed(self) -> bool:
        return self._file is not None and self._file.closed

    @property
    def rolled_to_disk(self) -> bool:
        """Whether the body moved from memory to a temporary file."""
        file = self._file
        return isinstance(file, SpooledTemporaryFile) and bool(
            getattr(file, "_rolled", False)
        )

    def write(self, chunk: bytes) -> int:
        """Append ``chunk`` to the body."""
        if self._finished:
            raise ValueError("The body is finished; it can no longer be written.")
        length = len(chunk)
        if not length:
            return 0
        size = self._size = self._size + length
        if self._max is not None and size > self._max:
            self._overflow()
            raise _too_large(self._max)
        if self._file is None:
            if not self._first and length <= self._threshold:
                self._first = bytes(chunk)
                return length
            # The file lives as long as the body; close() releases it.
            spooled = SpooledTemporaryFile(max_size=self._threshold, mode="w+b")  # noqa: SIM115
            if len(self._first) + length > self._threshold:
                # PERF: these bytes will roll the file to disk anyway: it moves
                # there now, before they are copied into its memory buffer.
                spooled.rollover()
            self._file = t.cast("t.IO[bytes]", spooled)
            if self._first:
                self._file.write(self._first)
                self._first = b""
        self._file.write(chunk)
        return length

    def _hold(self, chunk: bytes, rest: RestReceiver | None) -> None:
        """Keep ``chunk``, which takes the body past its limit, and stop there.

        Reads raise 413 as for any body over its limit, until
        :meth:`_raise_limit` completes it: ``rest`` receives the bytes still to
        come (None: ``chunk`` was the last). The adapter calls this instead of
        ``write`` for such a chunk, so at most one message past the limit is
        kept, spooled like the rest.
        """
        limit, self._max = self._max, None
        try:
            self.write(chunk)
        finally:
            self._max = limit
        self.too_large = True
        self._rest = _NOTHING_LEFT if rest is None else rest

    def _raise_limit(self, limit: int | None) -> bool:
        """Complete a held body under the raised ``limit``; whether it is whole.

        False leaves the body as it was: not held, over ``limit`` too, or the
        rest could not be received from here (on the event loop). Past
        ``limit`` while receiving, ``write``'s 413 is raised.
        """
        rest = self._rest
        if rest is None or (limit is not None and self._size > limit):
            return False
        if rest is not _NOTHING_LEFT:
            first_limit, self._max = self._max, limit
            try:
                if not rest(self):
                    self._max = first_limit  # held as before
                    return False
            except BaseException:
                self._rest = None
                self._overflow()  # unusable: a client gone, or past ``limit``
                raise
        self._rest = None
        self._max = limit
        self.too_large = False
        self.finish()
        return True

    def _overflow(self) -> None:
        """Drop what was stored: the body is unusable past its maximum."""
        self.too_large = True
        self._first = b""
        if self._file is not None:
            self._file.close()
            self._file = None

    def finish(self) -> None:
        """End the write phase and rewind for reading."""
        if self._finished:
            return
        self._finished = True
        # PERF: a body kept in memory gets its buffer on the first read (see
        # _reader); most are read once, whole, by read().
        if self._file is not None:
            self._file.seek(0)

    def _reader(self) -> t.IO[bytes]:
        if self.too_large:
            raise _too_large(t.cast(int, self._max))
        file = self._file
        if not self._finished:
            raise ValueError("The body is still being received; call finish() first.")
        if file is None:
            file = self._file = io.BytesIO(self._first)
            if self._read_whole:
                file.seek(0, io.SEEK_END)
            self._first = b""
        return file

    # -- the file interface ---------------------------------------------------------

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return not self._finished

    def seekable(self) -> bool:
        return True

    def read(self, size: int | None = -1, /) -> bytes:
        """Read up to ``size`` bytes (everything left without a size)."""
        if (
            self._file is None
            and (size is None or size < 0)
            and self._finished
            and not self._read_whole
            and not self.too_large
        ):
            # PERF: the first whole read of a body kept in memory needs no buffer.
            self._read_whole = True
            return self._first
        return self._reader().read(-1 if size is None else size)

    def read1(self, size: int = -1, /) -> bytes:
        return self.read(size)

    def readinto(self, buffer: Buffer, /) -> int:
        """Read into a writable buffer; return the number of bytes read."""
        view = memoryview(buffer).cast("B")
        data = self._reader().read(len(view))
        view[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1, /) -> bytes:
        """Read one line, or up to ``size`` bytes of it."""
        return self._reader().readline(-1 if size is None else size)

    def readlines(self, hint: int = -1, /) -> list[bytes]:
        return self._reader().readlines(hint)

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        return self._reader().seek(offset, whence)

    def tell(self) -> int:
        if not self._finished:
            return self._size
        return self._reader().tell()

    def close(self) -> None:
        """Release the memory or temporary file; reading after this fails."""
        self._finished = True
        self._first = b""
        file = self._file
        if file is None:
            # PERF: a body never buffered shares one closed buffer (reads and
            # seeks then fail as on any closed file) rather than making one.
            self._file = _CLOSED_BUFFER
        else:
            file.close()

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "finished" if self._finished else "receiving"
        return f"<{type(self).__name__} {self._size} bytes, {state}>"


class EmptyStream:
    """A read-only stream with no bytes; one shared instance is enough."""

    __slots__ = ()

    closed = False

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return True

    def read(self, size: int | None = -1, /) -> bytes:
        return b""

    def read1(self, size: int = -1, /) -> bytes:
        return b""

    def readinto(self, buffer: Buffer, /) -> int:
        return 0

    def readline(self, size: int | None = -1, /) -> bytes:
        return b""

    def readlines(self, hint: int = -1, /) -> list[bytes]:
        return []

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        return 0

    def tell(self) -> int:
        return 0

    def close(self) -> None:
        """Do nothing: the instance is shared, so it never closes."""

    def __iter__(self) -> Iterator[bytes]:
        return iter(())

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        pass

    def __repr__(self) -> str:
        return "EMPTY_STREAM"


#: The body of a request that has none.
EMPTY_STREAM = EmptyStream()
