"""Form bodies: ``application/x-www-form-urlencoded`` and ``multipart/form-data``.

:func:`parse_form` reads a request body stream and returns two multi dicts:
text fields and uploaded files. Other mimetypes give two empty ones.

**urlencoded** bodies are read whole (at most ``max_form_memory_size`` and
``max_content_length`` bytes; one more byte is a 413) and decoded by
:func:`~hipflask.http.urls.parse_qs_lists`; more than ``max_form_parts`` fields is a
413.

**multipart** bodies (RFC 7578, on the RFC 2046 grammar) look like::

    body      = [preamble CRLF] "--" boundary CRLF
                part *( CRLF "--" boundary CRLF part )
                CRLF "--" boundary "--" [epilogue]
    part      = *( header CRLF ) CRLF data
    header    = name ":" *WSP value      ; Content-Disposition is required:
                                         ; form-data; name="f"[; filename="a"]

The byte-level work is python-multipart's streaming ``MultipartParser``: the
stream is fed to it 256 KiB at a time and its callbacks build the parts here. A
part whose Content-Disposition has a ``filename`` (``filename*`` per RFC 5987
wins, an empty one counts) is a file: its bytes go to a
``SpooledTemporaryFile`` that moves to disk past ``spool_threshold`` (500
KiB, as Werkzeug's).

A body already in memory (``bytes`` in place of the stream: the request
holds bodies up to 2.5 MiB, see ``Request._body_in_memory``) is fed in one
write, and its file parts stay in memory as ``BytesIO`` over one copy of their
bytes: writing them to a temporary file only to read them back would cost
more than the whole parse, and the body was in memory already. Any other
part is a text field, held in memory up to ``max_form_memory_size`` bytes each
and decoded with the charset of its Content-Type (UTF-8, ASCII or ISO-8859-1;
UTF-8 otherwise) with undecodable bytes replaced.

Limits raise :exc:`RequestEntityTooLarge` (413) and name the limit; malformed
input (no boundary, bad part headers, a body that ends before the closing
boundary, garbage) raises :exc:`BadRequest` saying what was wrong. Reading
stops at the closing boundary; the epilogue is not read. A preamble is skipped
when the first delimiter appears within its first 64 KiB. A body with no bytes
at all is an empty form.
"""

from __future__ import annotations

import logging
import typing as t
from io import BytesIO
from tempfile import SpooledTemporaryFile

from .datastructures import FileStorage, Headers, MultiDict
from .exceptions import BadRequest, HTTPException, RequestEntityTooLarge
from .headers import parse_options_header
from .urls import parse_qs_lists

if t.TYPE_CHECKING:
    from python_multipart import MultipartParser

__all__ = ["parse_form"]

#: How much of the body is read at a time. The multipart parser's cost is
#: per write as much as per byte: 256 KiB writes take a 1 MiB upload in four,
#: for a bounded buffer.
CHUNK_SIZE = 256 * 1024

#: Longest boundary accepted (RFC 2046 asks for at most 70 characters).
MAX_BOUNDARY_LENGTH = 200

#: How far into the body the first boundary must appear.
MAX_PREAMBLE_SIZE = 64 * 1024

# Charsets a text part may declare; anything else is read as UTF-8.
_PART_CHARSETS = frozenset({"utf-8", "ascii", "us-ascii", "iso-8859-1"})

# python-multipart logs a warning for every malformed body it sees; clients
# control that, so its messages go to a logger that is switched off.
_SILENT_LOGGER = logging.Logger("hipflask.http.forms.multipart")
_SILENT_LOGGER.disabled = True


class _Readable(t.Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def parse_form(
    stream: _Readable | bytes,
    mimetype: str,
    options: dict[str, str],
    content_length: int | None,
    *,
    max_form_memory_size: int | None = 500_000,
    max_form_parts: int | None = 1_000,
    max_content_length: int | None = None,
    spool_threshold: int = 500 * 1024,
) -> tuple[MultiDict[str, str], MultiDict[str, FileStorage]]:
    """Parse a form body into ``(form, files)``.

    ``stream`` should already be limited (a :class:`LimitedStream` or a
    spooled body), or be the whole body as bytes; ``options`` are the
    Content-Type parameters.
    """
    mimetype = mimetype.lower()
    if mimetype == "application/x-www-form-urlencoded":
        _check_declared_length(content_length, max_content_length)
        return (
            _parse_urlencoded(
                BytesIO(stream) if isinstance(stream, bytes) else stream,
                content_length,
                max_form_memory_size=max_form_memory_size,
                max_form_parts=max_form_parts,
                max_content_length=max_content_length,
            ),
            MultiDict(),
        )
    if mimetype == "multipart/form-data":
        _check_declared_length(content_length, max_content_length)
        parser = _MultipartReader(
            _get_boundary(options),
            max_form_memory_size=max_form_memory_size,
            max_form_parts=max_form_parts,
            spool_threshold=spool_threshold,
        )
        return parser.parse(stream, max_content_length)
    return MultiDict(), MultiDict()


def _body_too_large(limit: int) -> RequestEntityTooLarge:
    return RequestEntityTooLarge(
        f"The request body is larger than the maximum of {limit} bytes"
        " (max_content_length)."
    )


def _check_declared_length(
    content_length: int | None, max_content_length: int | None
) -> None:
    if (
        content_length is not None
        and max_content_length is not None
        and content_length > max_content_length
    ):
        raise _body_too_large(max_content_length)


# -- urlencoded ---------------------------------------------------------------------


def _parse_urlencoded(
    stream: _Readable,
    content_length: int | None,
    *,
    max_form_memory_size: int | None,
    max_form_parts: int | None,
    max_content_length: int | None,
) -> MultiDict[str, str]:
    form_limit = max_form_memory_size
    if (
        form_limit is not None
        and content_length is not None
        and content_length > form_limit
    ):
        raise _form_too_large(form_limit)
    limit = form_limit
    if max_content_length is not None and (limit is None or max_content_length < limit):
        limit = max_content_length

    if limit is None:
        body = stream.read()
    else:
        body = _read_at_most(stream, limit + 1)
        if len(body) > limit:
            if limit == form_limit:
                raise _form_too_large(limit)
            raise _body_too_large(limit)

    return MultiDict._from_lists(parse_urlencoded_lists(body, max_form_parts))


def parse_urlencoded_lists(
    body: bytes, max_form_parts: int | None
) -> dict[str, list[str]]:
    """Decode a whole urlencoded body into name -> values lists.

    More than ``max_form_parts`` fields is a 413 naming that limit.
    """
    try:
        return parse_qs_lists(body, max_pairs=max_form_parts)
    except RequestEntityTooLarge:
        raise _too_many_parts(t.cast(int, max_form_parts)) from None


def _form_too_large(limit: int) -> RequestEntityTooLarge:
    return RequestEntityTooLarge(
        f"The form data is larger than the maximum of {limit} bytes"
        " (max_form_memory_size)."
    )


def _too_many_parts(limit: int) -> RequestEntityTooLarge:
    return RequestEntityTooLarge(
        f"The form has more than {limit} fields (max_form_parts)."
    )


def _read_at_most(stream: _Readable, size: int) -> bytes:
    """Read until the end of ``stream``, but no more than ``size`` bytes."""
    chunks = []
    left = size
    while left > 0:
        data = stream.read(min(left, CHUNK_SIZE))
        if not data:
            break
        chunks.append(data)
        left -= len(data)
    if len(chunks) == 1:
        return chunks[0]
    return b"".join(chunks)


# -- multipart ----------------------------------------------------------------------


def _read_chunks(stream: _Readable) -> t.Iterator[bytes]:
    """``stream`` read ``CHUNK_SIZE`` bytes at a time, to its end."""
    read = stream.read
    while chunk := read(CHUNK_SIZE):
        yield chunk


def _get_boundary(options: dict[str, str]) -> bytes:
    boundary = options.get("boundary", "")
    if not boundary:
        raise BadRequest(
            "Missing boundary: a multipart/form-data Content-Type needs a"
            " 'boundary' parameter."
        )
    if len(boundary) > MAX_BOUNDARY_LENGTH or not boundary.isascii():
        raise BadRequest(
            "Invalid boundary in the multipart/form-data Content-Type: it must"
            f" be ASCII and at most {MAX_BOUNDARY_LENGTH} characters long."
        )
    return boundary.encode("ascii")


def _invalid(reason: str) -> BadRequest:
    return BadRequest(f"Invalid multipart/form-data body: {reason}")


class _MultipartReader:
    """Collect the parts python-multipart reports through its callbacks."""

    __slots__ = (
        "_boundary",
        "_field_size",
        "_fields",
        "_file",
        "_files",
        "_header_name",
        "_header_value",
        "_headers",
        "_in_memory",
        "_max_memory",
        "_max_parts",
        "_name",
        "_open_files",
        "_parts",
        "_pieces",
        "_spool_threshold",
        "_storage",
        "_text",
        "done",
    )

    def __init__(
        self,
        boundary: bytes,
        *,
        max_form_memory_size: int | None,
        max_form_parts: int | None,
        spool_threshold: int,
    ) -> None:
        self._boundary = boundary
        self._max_memory = max_form_memory_size
        self._max_parts = max_form_parts
        self._spool_threshold = spool_threshold
        self._fields: list[tuple[str, str]] = []
        self._files: list[tuple[str, FileStorage]] = []
        self._open_files: list[t.IO[bytes]] = []
        self._parts = 0
        self._headers: list[tuple[str, str]] = []
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._name = ""
        self._text: list[bytes] | None = None
        self._file: t.IO[bytes] | None = None
        # A file part of a body in memory: views of its bytes, and its storage.
        self._pieces: list[memoryview] | None = None
        self._storage: FileStorage | None = None
        self._in_memory = False
        self._field_size = 0
        self.done = False

    # -- driving the parser ---------------------------------------------------------

    def parse(
        self, source: _Readable | bytes, max_content_length: int | None
    ) -> tuple[MultiDict[str, str], MultiDict[str, FileStorage]]:
        # PERF: imported on the first multipart body, not at startup (~5 ms).
        # python-multipart >= 0.0.13 (the project needs >= 0.0.18) installs as
        # ``python_multipart``; the old ``multipart`` name is not needed.
        from python_multipart import MultipartParser

        parser = MultipartParser(
            self._boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_end": self._on_end,
            },
        )
        parser.logger = _SILENT_LOGGER
        chunks: t.Iterable[bytes]
        if isinstance(source, bytes):
            self._in_memory = True
            chunks = (source,)
        else:
            chunks = _read_chunks(source)
        try:
            self._feed(parser, chunks, max_content_length)
        except BaseException:
            for file in self._open_files:
                file.close()
            raise
        return MultiDict(self._fields), MultiDict(self._files)

    def _feed(
        self,
        parser: MultipartParser,
        chunks: t.Iterable[bytes],
        max_content_length: int | None,
    ) -> None:
        received = 0
        preamble = bytearray()
        started = False
        for chunk in chunks:
            if not chunk:
                break
            received += len(chunk)
            if max_content_length is not None and received > max_content_length:
                raise _body_too_large(max_content_length)
            if not started:
                chunk = self._skip_preamble(preamble, chunk)
                if not chunk:
                    continue
                started = True
            try:
                parser.write(chunk)
            except HTTPException:
                raise
            except ValueError as error:
                # python-multipart's MultipartParseError is a ValueError.
                raise _invalid(f"{error}.") from error
            if self.done:
                # The closing boundary: the epilogue is not read.
                return
        if not started:
            if received == 0:
                # No body at all: an empty form rather than an error.
                return
            raise _invalid("no boundary delimiter found.")
        raise _invalid("the body ended before the closing boundary.")

    def _skip_preamble(self, preamble: bytearray, chunk: bytes) -> bytes:
        """Return the data from the first delimiter on, or b"" while looking.

        ``preamble`` keeps what was read before the delimiter was found.
        """
        delimiter = b"--" + self._boundary
        if not preamble and chunk.startswith(delimiter):
            # PERF: the usual body starts right with its first delimiter.
            return chunk
        preamble += chunk
        if preamble.startswith(delimiter):
            return bytes(preamble)
        index = preamble.find(b"\n" + delimiter)
        if index >= 0:
            return bytes(preamble[index + 1 :])
        if len(preamble) > MAX_PREAMBLE_SIZE:
            raise _invalid(
                f"no boundary delimiter in the first {MAX_PREAMBLE_SIZE} bytes."
            )
        return b""

    # -- callbacks --------------------------------------------------------------------

    def _on_part_begin(self) -> None:
        self._parts += 1
        if self._max_parts is not None and self._parts > self._max_parts:
            raise _too_many_parts(self._max_parts)
        self._headers = []

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        name = self._header_name.decode("ascii", "replace").strip(" \t")
        value = self._header_value.decode("utf-8", "replace").strip(" \t")
        if "\n" in value or "\0" in value:
            # The parser ends a value at CR only; a bare LF or NUL is garbage.
            raise _invalid(
                f"the {name} header of part {self._parts} contains a line feed"
                " or NUL character."
            )
        self._headers.append((name, value))
        self._header_name = bytearray()
        self._header_value = bytearray()

    def _on_headers_finished(self) -> None:
        disposition = None
        for header, value in self._headers:
            if header.lower() == "content-disposition":
                disposition = value
                break
        if disposition is None:
            raise _invalid(f"part {self._parts} has no Content-Disposition header.")
        params = parse_options_header(disposition)[1]
        name = params.get("name")
        if name is None:
            raise _invalid(
                f"the Content-Disposition of part {self._parts} has no name."
            )
        self._name = name
        filename = params.get("filename")
        if filename is None:
            self._text = []
            self._file = None
            self._field_size = 0
            return
        self._text = None
        headers = Headers(self._headers)
        if self._in_memory:
            # The stream is set at the part's end, over its bytes.
            self._pieces = []
            self._file = None
            storage = FileStorage(filename=filename, name=name, headers=headers)
            self._storage = storage
            self._files.append((name, storage))
            return
        # The file is handed to FileStorage, which owns it from then on.
        spooled = SpooledTemporaryFile(max_size=self._spool_threshold, mode="w+b")  # noqa: SIM115
        file = t.cast("t.IO[bytes]", spooled)
        self._open_files.append(file)
        self._file = file
        self._files.append(
            (
                name,
                FileStorage(
                    stream=file,
                    filename=filename,
                    name=name,
                    headers=headers,
                ),
            )
        )

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        text = self._text
        if text is None:
            pieces = self._pieces
            if pieces is not None:
                pieces.append(memoryview(data)[start:end])
            elif self._file is not None:
                # A view of the part's bytes, not a copy of them.
                self._file.write(memoryview(data)[start:end])
            return
        size = self._field_size + end - start
        if self._max_memory is not None and size > self._max_memory:
            raise RequestEntityTooLarge(
                f"The form field {self._name!r} is larger than the maximum of"
                f" {self._max_memory} bytes (max_form_memory_size)."
            )
        self._field_size = size
        text.append(data[start:end])

    def _on_part_end(self) -> None:
        text = self._text
        if text is not None:
            self._fields.append(
                (self._name, b"".join(text).decode(self._part_charset(), "replace"))
            )
            self._text = None
        elif self._pieces is not None:
            pieces = self._pieces
            # One copy of the part's bytes; BytesIO shares it, and so does a
            # read() of the whole.
            data = bytes(pieces[0]) if len(pieces) == 1 else b"".join(pieces)
            t.cast("FileStorage", self._storage).stream = BytesIO(data)
            self._pieces = self._storage = None
        elif self._file is not None:
            self._file.seek(0)
            self._file = None

    def _on_end(self) -> None:
        self.done = True

    def _part_charset(self) -> str:
        for name, value in self._headers:
            if name.lower() == "content-type":
                charset = parse_options_header(value)[1].get("charset", "").lower()
                if charset in _PART_CHARSETS:
                    return charset
                break
        return "utf-8"
