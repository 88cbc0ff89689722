from __future__ import annotations

import hashlib
import io
import random
import tracemalloc
import typing as t

import pytest
from werkzeug.formparser import parse_form_data
from werkzeug.test import create_environ

from hipflask.http.datastructures import FileStorage, MultiDict
from hipflask.http.exceptions import (
    BadRequest,
    ClientDisconnected,
    HTTPException,
    RequestEntityTooLarge,
)
from hipflask.http.forms import CHUNK_SIZE, parse_form
from hipflask.http.headers import parse_options_header
from hipflask.http.streams import LimitedStream

BOUNDARY = "----hipflaskBoundary7MA4YWxkTrZu0gW"

Part = tuple[list[tuple[str, str]], bytes]


def part(
    name: str | None,
    data: bytes | str,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    extra: str = "",
) -> Part:
    disposition = "form-data"
    if name is not None:
        disposition += f'; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    disposition += extra
    headers = [("Content-Disposition", disposition)]
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    if isinstance(data, str):
        data = data.encode()
    return headers, data


def multipart(*parts: Part, boundary: str = BOUNDARY, close: bool = True) -> bytes:
    out = bytearray()
    for headers, data in parts:
        out += f"--{boundary}\r\n".encode()
        for name, value in headers:
            out += f"{name}: {value}\r\n".encode()
        out += b"\r\n" + data + b"\r\n"
    if close:
        out += f"--{boundary}--\r\n".encode()
    return bytes(out)


def content_type(boundary: str = BOUNDARY) -> str:
    return f"multipart/form-data; boundary={boundary}"


def parse(
    body: bytes,
    ctype: str,
    *,
    stream: t.Any = None,
    whole: bool = False,
    content_length: int | bool | None = True,
    **limits: t.Any,
) -> tuple[MultiDict[str, str], MultiDict[str, FileStorage]]:
    """Parse ``body`` from a stream, or (``whole``) handed over as bytes."""
    mimetype, options = parse_options_header(ctype)
    length = len(body) if content_length is True else content_length
    if whole:
        stream = body
    elif stream is None:
        stream = LimitedStream(io.BytesIO(body), t.cast("int | None", length))
    return parse_form(stream, mimetype, options, t.cast("int | None", length), **limits)


#: The two sources parse_form takes: a stream, or the whole body in memory.
SOURCES = pytest.mark.parametrize("whole", [False, True], ids=["stream", "bytes"])


def close_files(files: MultiDict[str, FileStorage]) -> None:
    for _, storage in files.items(multi=True):  # noqa: PERF102
        storage.stream.close()


def werkzeug_parse(body: bytes, ctype: str) -> tuple[t.Any, t.Any]:
    environ = create_environ(
        "/",
        method="POST",
        input_stream=io.BytesIO(body),
        content_type=ctype,
        content_length=len(body),
    )
    _, form, files = parse_form_data(environ, silent=False)
    return form, files


# -- valid bodies, compared with Werkzeug ----------------------------------------------

VALID_BODIES: dict[str, tuple[bytes, str]] = {
    "urlencoded": (b"a=1&b=2&a=3", "application/x-www-form-urlencoded"),
    "urlencoded-unicode": (
        "名前=値&ü=€&x=a+b%2Bc".encode(),
        "application/x-www-form-urlencoded; charset=utf-8",
    ),
    "urlencoded-escapes": (
        b"k=%e2%82&%zz=1&&=v&flag",
        "application/x-www-form-urlencoded",
    ),
    "urlencoded-empty": (b"", "application/x-www-form-urlencoded"),
    "fields": (multipart(part("a", "1"), part("b", "two words")), content_type()),
    "duplicate-keys": (
        multipart(part("a", "1"), part("b", "x"), part("a", "2")),
        content_type(),
    ),
    "unicode-names": (
        multipart(part("名前", "値"), part("ü", "€ and ✓")),
        content_type(),
    ),
    "empty-value": (multipart(part("empty", "")), content_type()),
    "no-parts": (f"--{BOUNDARY}--\r\n".encode(), content_type()),
    "file": (
        multipart(
            part(
                "up", "hello\r\nworld\r\n", filename="a.txt", content_type="text/plain"
            )
        ),
        content_type(),
    ),
    "files-and-fields": (
        multipart(
            part("title", "report"),
            part(
                "doc",
                b"%PDF-1.4\x00\xff",
                filename="r.pdf",
                content_type="application/pdf",
            ),
            part("doc", b"second", filename="b.bin"),
            part("title", "again"),
        ),
        content_type(),
    ),
    "unicode-filename": (
        multipart(part("f", "data", filename="résumé 名前.txt")),
        content_type(),
    ),
    "filename-star": (
        multipart(
            part(
                "f",
                "data",
                filename="fallback.txt",
                extra="; filename*=UTF-8''r%C3%A9sum%C3%A9.txt",
            )
        ),
        content_type(),
    ),
    "empty-filename": (
        multipart(part("f", b"", filename="", content_type="application/octet-stream")),
        content_type(),
    ),
    "latin-1-field": (
        multipart(
            part(
                "l",
                "é".encode("latin-1"),
                content_type="text/plain; charset=iso-8859-1",
            )
        ),
        content_type(),
    ),
    "unknown-charset-field": (
        multipart(part("l", "é", content_type="text/plain; charset=ebcdic-xx")),
        content_type(),
    ),
    "boundary-lookalikes": (
        multipart(
            part(
                "f",
                f"--{BOUNDARY[:-1]}\r\n--{BOUNDARY}X\r\n\r\n--\r\n".encode(),
                filename="tricky.txt",
            ),
            part("g", f"\r\n--{BOUNDARY[:10]}"),
        ),
        content_type(),
    ),
    "quoted-boundary": (
        multipart(part("a", "1"), boundary='b; x="y"'),
        'multipart/form-data; boundary="b; x=\\"y\\""',
    ),
    "escaped-quote-name": (multipart(part("a%22b", "1")), content_type()),
    "large-file-across-chunks": (
        multipart(
            part("big", bytes(range(256)) * 700, filename="big.bin"),
            part("after", "tail"),
        ),
        content_type(),
    ),
    "epilogue": (multipart(part("a", "1")) + b"epilogue text", content_type()),
    "preamble": (
        b"This is a preamble.\r\n" + multipart(part("a", "1")),
        content_type(),
    ),
    "other-mimetype": (b'{"a": 1}', "application/json"),
}


@SOURCES
@pytest.mark.parametrize("case", VALID_BODIES)
def test_matches_werkzeug(case: str, whole: bool) -> None:
    body, ctype = VALID_BODIES[case]
    form, files = parse(body, ctype, whole=whole, max_form_memory_size=None)
    wz_form, wz_files = werkzeug_parse(body, ctype)
    try:
        assert list(form.items(multi=True)) == list(wz_form.items(multi=True))
        ours = [
            (key, f.name, f.filename, f.content_type, list(f.headers), f.read())
            for key, f in files.items(multi=True)
        ]
        theirs = [
            (key, f.name, f.filename, f.content_type, list(f.headers), f.read())
            for key, f in wz_files.items(multi=True)
        ]
        assert ours == theirs
    finally:
        close_files(files)
        for _, storage in wz_files.items(multi=True):  # noqa: PERF102
            storage.close()


@SOURCES
def test_field_and_file_details(whole: bool) -> None:
    body, ctype = VALID_BODIES["files-and-fields"]
    form, files = parse(body, ctype, whole=whole)
    try:
        assert form.getlist("title") == ["report", "again"]
        docs = files.getlist("doc")
        assert [d.filename for d in docs] == ["r.pdf", "b.bin"]
        assert docs[0].content_type == "application/pdf"
        assert docs[0].headers["Content-Disposition"].startswith("form-data")
        assert docs[0].read() == b"%PDF-1.4\x00\xff"
        assert docs[1].content_type is None
        assert docs[1].read() == b"second"
    finally:
        close_files(files)


def test_filename_star_wins() -> None:
    _, files = parse(*VALID_BODIES["filename-star"])
    assert files["f"].filename == "résumé.txt"
    close_files(files)


def test_empty_filename_is_a_file() -> None:
    form, files = parse(*VALID_BODIES["empty-filename"])
    assert not form
    assert files["f"].filename == ""
    assert files["f"].read() == b""
    close_files(files)


def test_other_mimetypes_give_empty_dicts() -> None:
    stream = io.BytesIO(b"a=1")
    form, files = parse_form(stream, "text/plain", {}, 3)
    assert isinstance(form, MultiDict)
    assert isinstance(files, MultiDict)
    assert not form
    assert not files
    # The body was left alone.
    assert stream.read() == b"a=1"


def test_mimetype_is_case_insensitive() -> None:
    form, _ = parse_form(io.BytesIO(b"a=1"), "Application/X-WWW-Form-URLEncoded", {}, 3)
    assert form["a"] == "1"


@SOURCES
def test_empty_multipart_body_is_an_empty_form(whole: bool) -> None:
    form, files = parse(b"", content_type(), whole=whole)
    assert not form
    assert not files


def test_epilogue_is_not_read() -> None:
    body = multipart(part("a", "1"))
    source = io.BytesIO(body + b"x" * (5 * CHUNK_SIZE))
    form, _ = parse(body, content_type(), stream=source, content_length=None)
    assert form["a"] == "1"
    assert source.tell() < len(body) + CHUNK_SIZE


class Trickle:
    """A stream that returns at most ``step`` bytes per read."""

    def __init__(self, data: bytes, step: int) -> None:
        self._inner = io.BytesIO(data)
        self._step = step

    def read(self, size: int = -1, /) -> bytes:
        if size < 0 or size > self._step:
            size = self._step
        return self._inner.read(size)


@pytest.mark.parametrize("step", [1, 2, 3, 7, 64, 1000])
@pytest.mark.parametrize(
    "case", ["files-and-fields", "boundary-lookalikes", "preamble", "unicode-names"]
)
def test_result_does_not_depend_on_chunking(case: str, step: int) -> None:
    body, ctype = VALID_BODIES[case]
    expected_form, expected_files = parse(body, ctype)
    form, files = parse(body, ctype, stream=Trickle(body, step))
    try:
        assert list(form.items(multi=True)) == list(expected_form.items(multi=True))
        assert [(k, f.filename, f.read()) for k, f in files.items(multi=True)] == [
            (k, f.filename, f.read()) for k, f in expected_files.items(multi=True)
        ]
    finally:
        close_files(files)
        close_files(expected_files)


# -- malformed bodies ------------------------------------------------------------------

LONG_GARBAGE = b"x" * (70 * 1024)

MALFORMED: list[tuple[str, bytes, str, dict[str, t.Any], type[HTTPException], str]] = [
    (
        "missing-boundary",
        multipart(part("a", "1")),
        "multipart/form-data",
        {},
        BadRequest,
        "Missing boundary",
    ),
    (
        "empty-boundary",
        multipart(part("a", "1")),
        'multipart/form-data; boundary=""',
        {},
        BadRequest,
        "Missing boundary",
    ),
    (
        "boundary-too-long",
        multipart(part("a", "1"), boundary="b" * 300),
        content_type("b" * 300),
        {},
        BadRequest,
        "Invalid boundary",
    ),
    (
        "truncated-in-data",
        multipart(part("a", "1"), close=False)[:-5],
        content_type(),
        {},
        BadRequest,
        "ended before the closing boundary",
    ),
    (
        "truncated-no-close",
        multipart(part("a", "1"), close=False),
        content_type(),
        {},
        BadRequest,
        "ended before the closing boundary",
    ),
    (
        "truncated-in-headers",
        f"--{BOUNDARY}\r\nContent-Disposition: form-da".encode(),
        content_type(),
        {},
        BadRequest,
        "ended before the closing boundary",
    ),
    (
        "header-garbage",
        f"--{BOUNDARY}\r\nthis is not a header\r\n\r\nx\r\n--{BOUNDARY}--".encode(),
        content_type(),
        {},
        BadRequest,
        "Invalid multipart/form-data body: Found invalid character",
    ),
    (
        "header-without-colon",
        f"--{BOUNDARY}\r\nContent-Disposition\r\n\r\nx\r\n--{BOUNDARY}--".encode(),
        content_type(),
        {},
        BadRequest,
        "Invalid multipart/form-data body",
    ),
    (
        "header-empty-name",
        f"--{BOUNDARY}\r\n: x\r\n\r\nx\r\n--{BOUNDARY}--".encode(),
        content_type(),
        {},
        BadRequest,
        "0-length header",
    ),
    (
        "header-bare-lf",
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=a\nX: y\r\n\r\n"
        f"x\r\n--{BOUNDARY}--".encode(),
        content_type(),
        {},
        BadRequest,
        "contains a line feed or NUL",
    ),
    (
        "header-nul",
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=a\0\r\n\r\n"
        f"x\r\n--{BOUNDARY}--".encode(),
        content_type(),
        {},
        BadRequest,
        "contains a line feed or NUL",
    ),
    (
        "too-many-headers",
        multipart(
            (
                [("Content-Disposition", 'form-data; name="a"')]
                + [(f"X-{i}", "v") for i in range(10)],
                b"1",
            )
        ),
        content_type(),
        {},
        BadRequest,
        "Maximum header count exceeded",
    ),
    (
        "header-too-long",
        multipart(part("a", "1", extra="; x=" + "y" * 5000)),
        content_type(),
        {},
        BadRequest,
        "Maximum header size exceeded",
    ),
    (
        "no-content-disposition",
        multipart(([("Content-Type", "text/plain")], b"1")),
        content_type(),
        {},
        BadRequest,
        "part 1 has no Content-Disposition header",
    ),
    (
        "no-name",
        multipart(part(None, "1")),
        content_type(),
        {},
        BadRequest,
        "part 1 has no name",
    ),
    (
        "garbage",
        b"\x00\x01garbage that is not multipart at all",
        content_type(),
        {},
        BadRequest,
        "no boundary delimiter found",
    ),
    (
        "long-garbage",
        LONG_GARBAGE,
        content_type(),
        {},
        BadRequest,
        "no boundary delimiter in the first 65536 bytes",
    ),
    (
        "bad-char-after-boundary",
        f"--{BOUNDARY}X\r\n".encode() + multipart(part("a", "1")),
        content_type(),
        {},
        BadRequest,
        "Invalid multipart/form-data body",
    ),
    (
        "too-many-parts",
        multipart(*[part(f"f{i}", "v") for i in range(4)]),
        content_type(),
        {"max_form_parts": 3},
        RequestEntityTooLarge,
        "more than 3 fields (max_form_parts)",
    ),
    (
        "too-many-file-parts",
        multipart(*[part("f", "v", filename="x") for i in range(4)]),
        content_type(),
        {"max_form_parts": 3},
        RequestEntityTooLarge,
        "more than 3 fields (max_form_parts)",
    ),
    (
        "too-large-field",
        multipart(part("small", "ok"), part("big", "x" * 101)),
        content_type(),
        {"max_form_memory_size": 100},
        RequestEntityTooLarge,
        "field 'big' is larger than the maximum of 100 bytes (max_form_memory_size)",
    ),
    (
        "too-large-field-across-chunks",
        multipart(part("big", "x" * (3 * CHUNK_SIZE))),
        content_type(),
        {"max_form_memory_size": 2 * CHUNK_SIZE},
        RequestEntityTooLarge,
        "max_form_memory_size",
    ),
    (
        "too-large-multipart-body",
        multipart(part("f", "x" * 1000, filename="a")),
        content_type(),
        {"max_content_length": 500},
        RequestEntityTooLarge,
        "maximum of 500 bytes (max_content_length)",
    ),
    (
        "urlencoded-too-many-fields",
        b"&".join(b"f%d=1" % i for i in range(11)),
        "application/x-www-form-urlencoded",
        {"max_form_parts": 10},
        RequestEntityTooLarge,
        "more than 10 fields (max_form_parts)",
    ),
    (
        "urlencoded-too-large",
        b"a=" + b"x" * 200,
        "application/x-www-form-urlencoded",
        {"max_form_memory_size": 100},
        RequestEntityTooLarge,
        "maximum of 100 bytes (max_form_memory_size)",
    ),
    (
        "urlencoded-over-max-content-length",
        b"a=" + b"x" * 200,
        "application/x-www-form-urlencoded",
        {"max_content_length": 100},
        RequestEntityTooLarge,
        "maximum of 100 bytes (max_content_length)",
    ),
]


@SOURCES
@pytest.mark.parametrize(
    ("body", "ctype", "limits", "error", "message"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_malformed_body(
    body: bytes,
    ctype: str,
    limits: dict[str, t.Any],
    error: type[HTTPException],
    message: str,
    whole: bool,
) -> None:
    with pytest.raises(error) as info:
        parse(body, ctype, whole=whole, **limits)
    assert type(info.value) is error
    assert message in str(info.value.description)


@pytest.mark.parametrize(
    ("body", "ctype", "limits", "error", "message"),
    [case[1:] for case in MALFORMED if case[4] is RequestEntityTooLarge],
    ids=[case[0] for case in MALFORMED if case[4] is RequestEntityTooLarge],
)
def test_limits_without_content_length(
    body: bytes,
    ctype: str,
    limits: dict[str, t.Any],
    error: type[HTTPException],
    message: str,
) -> None:
    # Chunked input: no Content-Length, the server ends the stream.
    stream = LimitedStream(io.BytesIO(body), None, is_terminated=True)
    with pytest.raises(RequestEntityTooLarge):
        parse(body, ctype, stream=stream, content_length=None, **limits)


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        (multipart(part("f", "x" * 1000, filename="a")), content_type()),
        (b"a=" + b"x" * 1000, "application/x-www-form-urlencoded"),
    ],
)
def test_max_content_length_on_chunked_input(body: bytes, ctype: str) -> None:
    # The stream enforces the maximum on the bytes actually read.
    stream = LimitedStream(
        io.BytesIO(body), None, max_content_length=500, is_terminated=True
    )
    with pytest.raises(RequestEntityTooLarge, match="maximum of 500 bytes"):
        parse(body, ctype, stream=stream, content_length=None)


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        (multipart(part("a", "1"), part("f", "data", filename="x")), content_type()),
        (b"a=1&b=2", "application/x-www-form-urlencoded"),
    ],
)
def test_chunked_input_within_limits(body: bytes, ctype: str) -> None:
    stream = LimitedStream(
        io.BytesIO(body), None, max_content_length=len(body), is_terminated=True
    )
    form, files = parse(body, ctype, stream=stream, content_length=None)
    assert form["a"] == "1"
    close_files(files)


def test_urlencoded_content_length_over_limit_is_rejected_before_reading() -> None:
    class Untouchable:
        def read(self, size: int = -1, /) -> bytes:
            raise AssertionError("must not read")

    with pytest.raises(RequestEntityTooLarge, match="max_form_memory_size"):
        parse_form(
            Untouchable(),
            "application/x-www-form-urlencoded",
            {},
            1000,
            max_form_memory_size=100,
        )
    with pytest.raises(RequestEntityTooLarge, match="max_content_length"):
        parse_form(
            Untouchable(),
            "multipart/form-data",
            {"boundary": "b"},
            1000,
            max_content_length=100,
        )


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        (multipart(part("a", "1"), part("f", "x" * 100, filename="f")), content_type()),
        (b"a=1&b=" + b"x" * 100, "application/x-www-form-urlencoded"),
    ],
)
def test_short_read_is_client_disconnected(body: bytes, ctype: str) -> None:
    # Content-Length promises more than the client sends.
    stream = LimitedStream(io.BytesIO(body[:50]), len(body))
    with pytest.raises(ClientDisconnected):
        parse(body, ctype, stream=stream)


def test_files_are_closed_on_error() -> None:
    body = multipart(part("f", "x" * 10, filename="a"), close=False)
    opened: list[t.Any] = []
    import hipflask.http.forms as forms_module

    real = forms_module.SpooledTemporaryFile

    def recording(*args: t.Any, **kwargs: t.Any) -> t.Any:
        file = real(*args, **kwargs)
        opened.append(file)
        return file

    forms_module.SpooledTemporaryFile = recording  # type: ignore[misc,assignment]
    try:
        with pytest.raises(BadRequest):
            parse(body, content_type())
    finally:
        forms_module.SpooledTemporaryFile = real  # type: ignore[misc]
    assert len(opened) == 1
    assert opened[0].closed


def test_limits_at_the_edge_are_allowed() -> None:
    body = multipart(part("a", "x" * 100), part("b", "y"), part("c", "z"))
    form, _ = parse(body, content_type(), max_form_memory_size=100, max_form_parts=3)
    assert form["a"] == "x" * 100
    form, _ = parse(
        b"a=" + b"x" * 98,
        "application/x-www-form-urlencoded",
        max_form_memory_size=100,
        max_form_parts=1,
    )
    assert len(form["a"]) == 98


def test_no_limits() -> None:
    body = multipart(*[part(f"f{i}", "x" * 2000) for i in range(30)])
    form, _ = parse(
        body, content_type(), max_form_memory_size=None, max_form_parts=None
    )
    assert len(form) == 30


# -- no other exception types, whatever the input --------------------------------------


def _mutations(seed: int) -> list[bytes]:
    rng = random.Random(seed)
    base = VALID_BODIES["files-and-fields"][0]
    out = []
    for _ in range(300):
        data = bytearray(base)
        for _ in range(rng.randint(1, 8)):
            action = rng.randrange(4)
            pos = rng.randrange(len(data) + 1)
            if action == 0 and data:
                del data[pos : pos + rng.randint(1, 20)]
            elif action == 1:
                data[pos:pos] = bytes(
                    rng.randrange(256) for _ in range(rng.randint(1, 8))
                )
            elif action == 2:
                data[pos:pos] = rng.choice(
                    [b"\r\n", b"\n", b"--", b":", b";", b'"', b"\0"]
                )
            else:
                data = data[:pos]
        out.append(bytes(data))
    return out


@SOURCES
@pytest.mark.parametrize("seed", range(4))
def test_mutated_bodies_raise_only_http_errors(seed: int, whole: bool) -> None:
    for body in _mutations(seed):
        try:
            _, files = parse(
                body, content_type(), whole=whole, max_form_memory_size=1000
            )
        except (BadRequest, RequestEntityTooLarge):
            continue
        close_files(files)


# -- large uploads go to disk ----------------------------------------------------------


class GeneratedUpload:
    """A multipart body with one big file part, produced while it is read."""

    def __init__(self, file_size: int) -> None:
        self.head = (
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="note"\r\n\r\n'
            f"hello\r\n--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="upload"; filename="big.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.file_size = file_size
        self.length = len(self.head) + file_size + len(self.tail)
        self._pos = 0
        self._block = bytes(range(256)) * 256  # 64 KiB of a repeating pattern

    def file_bytes(self, start: int, size: int) -> bytes:
        """The file's bytes at ``start`` (at most 64 KiB of them)."""
        offset = start % 256
        return (self._block[offset:] + self._block[:offset])[:size]

    def expected_digest(self) -> str:
        digest = hashlib.sha256()
        for start in range(0, self.file_size, len(self._block)):
            digest.update(
                self.file_bytes(start, min(len(self._block), self.file_size - start))
            )
        return digest.hexdigest()

    def read(self, size: int = -1, /) -> bytes:
        if size < 0:
            raise AssertionError("a 20 MB body must be read in chunks")
        out = bytearray()
        while len(out) < size and self._pos < self.length:
            pos = self._pos
            want = size - len(out)
            if pos < len(self.head):
                piece = self.head[pos : pos + want]
            elif pos < len(self.head) + self.file_size:
                start = pos - len(self.head)
                piece = self.file_bytes(
                    start, min(want, self.file_size - start, len(self._block))
                )
            else:
                start = pos - len(self.head) - self.file_size
                piece = self.tail[start : start + want]
            out += piece
            self._pos += len(piece)
        return bytes(out)


def test_large_upload_is_spooled_to_disk_with_bounded_memory() -> None:
    size = 20 * 1024 * 1024
    upload = GeneratedUpload(size)
    tracemalloc.start()
    try:
        form, files = parse_form(
            LimitedStream(upload, upload.length),
            "multipart/form-data",
            {"boundary": BOUNDARY},
            upload.length,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    storage = files["upload"]
    try:
        assert form["note"] == "hello"
        assert storage.filename == "big.bin"
        assert storage.content_type == "application/octet-stream"
        spooled = storage.stream
        assert getattr(spooled, "_rolled", False) is True
        assert not isinstance(getattr(spooled, "_file", None), io.BytesIO)
        # Far below the 20 MB body: a few chunks plus the spool threshold.
        assert peak < 4 * 1024 * 1024, peak
        digest = hashlib.sha256()
        received = 0
        while chunk := storage.read(1024 * 1024):
            digest.update(chunk)
            received += len(chunk)
        assert received == size
        assert digest.hexdigest() == upload.expected_digest()
    finally:
        close_files(files)


def test_small_file_stays_in_memory() -> None:
    _, files = parse(
        multipart(part("f", "x" * 1000, filename="a")),
        content_type(),
        spool_threshold=10_000,
    )
    assert getattr(files["f"].stream, "_rolled", True) is False
    close_files(files)


def test_spool_threshold_is_honoured() -> None:
    _, files = parse(
        multipart(part("f", "x" * 1000, filename="a")),
        content_type(),
        spool_threshold=100,
    )
    assert getattr(files["f"].stream, "_rolled", False) is True
    assert files["f"].read() == b"x" * 1000
    close_files(files)


# -- a body in memory: files stay there ------------------------------------------------


def test_files_of_a_body_in_memory_are_bytesio_over_one_copy() -> None:
    content = bytes(range(256)) * 4096  # 1 MiB, CRs and LFs included
    body = multipart(part("note", "hi"), part("f", content, filename="big.bin"))
    form, files = parse(body, content_type(), whole=True, spool_threshold=100)
    storage = files["f"]
    # In memory whatever the spool threshold: the body was in memory already.
    assert type(storage.stream) is io.BytesIO
    assert (form["note"], storage.filename) == ("hi", "big.bin")
    data = storage.read()
    assert data == content
    # The stream holds its own bytes, not a view keeping the body alive.
    assert type(data) is bytes
    storage.stream.seek(0)
    storage.stream.write(b"ok")  # writable, as Werkzeug's file streams are
    storage.stream.seek(0)
    assert storage.stream.read(3) == b"ok\x02"


def test_boundary_lookalikes_in_a_file_of_a_body_in_memory() -> None:
    content = (b"\r\n--" + BOUNDARY.encode() + b"x") * 50 + b"\r\n--" + b"\r\n-"
    body = multipart(part("f", content, filename="tricky"), part("g", "", filename=""))
    _, files = parse(body, content_type(), whole=True)
    assert files["f"].read() == content
    assert files["g"].read() == b""
    _, wz_files = werkzeug_parse(body, content_type())
    try:
        assert wz_files["f"].read() == content
    finally:
        for _, storage in wz_files.items(multi=True):  # noqa: PERF102
            storage.close()


def test_a_file_part_reported_in_pieces_is_joined() -> None:
    # The parser may report a part's data in several calls (at a write's end,
    # or from its look-behind buffer); in memory they become one stream.
    from hipflask.http.forms import _MultipartReader

    reader = _MultipartReader(
        BOUNDARY.encode(),
        max_form_memory_size=None,
        max_form_parts=None,
        spool_threshold=0,
    )
    reader._in_memory = True
    reader._on_part_begin()
    reader._headers = [("Content-Disposition", 'form-data; name="f"; filename="a"')]
    reader._on_headers_finished()
    reader._on_part_data(b"xxhello", 2, 7)
    reader._on_part_data(b"\r\n--", 0, 3)
    reader._on_part_data(b", world", 0, 7)
    reader._on_part_end()
    storage = reader._files[0][1]
    assert type(storage.stream) is io.BytesIO
    assert storage.read() == b"hello\r\n-, world"


def test_bytes_are_held_to_max_content_length() -> None:
    body = multipart(part("f", "x" * 100, filename="a"))
    with pytest.raises(RequestEntityTooLarge, match="maximum of 50 bytes"):
        parse(body, content_type(), whole=True, max_content_length=50)
