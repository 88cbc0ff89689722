"""Conditional requests and byte ranges for a response (RFC 9110 13 and 14).

:func:`make_conditional` is the body of ``Response.make_conditional``. It only
acts on GET and HEAD, and reads the request's validators either from a
request object (Werkzeug's attribute names: ``if_match``, ``if_none_match``,
``if_modified_since``, ``if_unmodified_since``, ``if_range``, ``range``) or,
for a WSGI environ dict, by parsing the ``HTTP_*`` keys itself.

Preconditions are evaluated in the order RFC 9110 13.2.2 gives:

1. ``If-Match`` present: fails (412) unless it is ``*`` or lists the response's
   strong ETag (strong comparison).
2. else ``If-Unmodified-Since``: fails (412) if ``Last-Modified`` is later.
3. ``If-None-Match`` present: 304 if it is ``*`` or lists the ETag (weak
   comparison); ``If-Modified-Since`` is then ignored.
4. else ``If-Modified-Since``: 304 unless ``Last-Modified`` is later.

Only when no precondition changed the status is ``Range`` considered (with
``accept_ranges`` and a ``complete_length``): an ``If-Range`` that does not
match (ETag equality, or ``Last-Modified`` not after its date) means the whole
body is sent; a single satisfiable range gives 206 with ``Content-Range``; an
unparsable or unsatisfiable one raises
:class:`~hipflask.http.exceptions.RequestedRangeNotSatisfiable`.

With ``multiple_ranges=True`` (what ``send_file`` asks for) the Range header
is read leniently, as RFC 9110 14.1.2 permits, instead of Werkzeug's way::

    ranges-specifier = range-unit "=" range-set
    range-set        = 1#range-spec
    range-spec       = int-range / suffix-range
    int-range        = first-pos "-" [ last-pos ]
    suffix-range     = "-" suffix-length

Specs may come in any order and overlap; unsatisfiable ones are dropped, the
rest are sorted and overlapping or adjacent ones merged (so ``0-,0-,0-`` is one
range). One span left gives a plain 206; several give a 206
``multipart/byteranges`` body, one part per span in ascending order, each with
its own ``Content-Type`` and ``Content-Range``. A set of more than
:data:`MAX_BYTE_RANGES` specs, a syntax error, a unit other than ``bytes`` or
no satisfiable spec raises ``RequestedRangeNotSatisfiable`` (416).

A body that offers ``with_range(start, length)`` (the file bodies of
:mod:`hipflask.sending`) is asked for each span, so a file is seeked and read,
never scanned.

Werkzeug 3.1 handles ranges before the preconditions and does not implement
``If-Unmodified-Since``; the RFC order is followed here instead.
"""

from __future__ import annotations

import typing as t
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone

from .exceptions import RequestedRangeNotSatisfiable
from .headers import (
    http_date,
    parse_date,
    parse_etags,
    parse_if_range_header,
    parse_range_header,
    unquote_etag,
)

if t.TYPE_CHECKING:
    from .header_types import ETags, IfRange, Range
    from .response import Response

__all__ = ["MAX_BYTE_RANGES", "make_conditional", "parse_byte_ranges"]

#: A lenient Range header with more range specs than this is refused (416).
MAX_BYTE_RANGES = 64
# Digits beyond this many make a position larger than any body.
_MAX_DIGITS = 18
_HUGE_POSITION = 1 << 62
_OWS = " \t"


class _Validators:
    """The request's conditional headers, parsed."""

    __slots__ = (
        "has_range",
        "if_match",
        "if_modified_since",
        "if_none_match",
        "if_unmodified_since",
        "method",
        "source",
    )

    def __init__(self, source: t.Any) -> None:
        self.source = source
        if isinstance(source, dict):
            get = source.get
            self.method: str = get("REQUEST_METHOD", "GET")
            self.if_match: ETags = parse_etags(get("HTTP_IF_MATCH"))
            self.if_none_match: ETags = parse_etags(get("HTTP_IF_NONE_MATCH"))
            self.if_modified_since = _aware(parse_date(get("HTTP_IF_MODIFIED_SINCE")))
            self.if_unmodified_since = _aware(
                parse_date(get("HTTP_IF_UNMODIFIED_SINCE"))
            )
            self.has_range: bool = get("HTTP_RANGE") is not None
        else:
            self.method = source.method
            self.if_match = source.if_match
            self.if_none_match = source.if_none_match
            self.if_modified_since = _aware(source.if_modified_since)
            self.if_unmodified_since = _aware(
                getattr(source, "if_unmodified_since", None)
            )
            self.has_range = source.headers.get("Range") is not None

    def get_if_range(self) -> IfRange:
        if isinstance(self.source, dict):
            return parse_if_range_header(self.source.get("HTTP_IF_RANGE"))
        return self.source.if_range  # type: ignore[no-any-return]

    def get_range_header(self) -> str | None:
        if isinstance(self.source, dict):
            return self.source.get("HTTP_RANGE")
        return self.source.headers.get("Range")  # type: ignore[no-any-return]

    def get_range(self) -> Range | None:
        if isinstance(self.source, dict):
            return parse_range_header(self.source.get("HTTP_RANGE"))
        return self.source.range  # type: ignore[no-any-return]


def _aware(value: datetime | None) -> datetime | None:
    """Treat a naive datetime as UTC and drop microseconds (HTTP has seconds)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.replace(microsecond=0)


def make_conditional(
    response: Response,
    request_or_environ: t.Any,
    accept_ranges: bool | str = False,
    complete_length: int | None = None,
    multiple_ranges: bool = False,
) -> None:
    """Apply the request's preconditions and Range to ``response`` in place.

    ``multiple_ranges`` reads Range leniently and answers several ranges with
    ``multipart/byteranges`` (see the module docstring).
    """
    validators = _Validators(request_or_environ)
    if validators.method not in ("GET", "HEAD"):
        return
    headers = response.headers
    if "date" not in headers:
        headers.set("Date", http_date())
    if accept_ranges:
        headers.set(
            "Accept-Ranges", "bytes" if accept_ranges is True else accept_ranges
        )

    etag, weak = unquote_etag(headers.get("ETag"))
    last_modified = _aware(parse_date(headers.get("Last-Modified")))
    status = _precondition_status(validators, etag, bool(weak), last_modified)
    if status is not None:
        response.status_code = status
    elif accept_ranges and complete_length and validators.has_range:
        _apply_range(
            response,
            validators,
            etag,
            last_modified,
            complete_length,
            multiple_ranges,
        )

    if response.automatically_set_content_length and "content-length" not in headers:
        length = response.calculate_content_length()
        if length is not None:
            headers.set("Content-Length", str(length))


def _precondition_status(
    validators: _Validators,
    etag: str | None,
    weak: bool,
    last_modified: datetime | None,
) -> int | None:
    """412 or 304 if a precondition decides the response, else None."""
    if_match = validators.if_match
    if if_match:
        if not (
            if_match.star_tag
            or (etag is not None and not weak and if_match.is_strong(etag))
        ):
            return 412
    else:
        since = validators.if_unmodified_since
        if since is not None and last_modified is not None and last_modified > since:
            return 412

    if_none_match = validators.if_none_match
    if if_none_match:
        if if_none_match.star_tag or (
            etag is not None and if_none_match.contains_weak(etag)
        ):
            return 304
        return None
    since = validators.if_modified_since
    if since is not None and last_modified is not None and last_modified <= since:
        return 304
    return None


def _apply_range(
    response: Response,
    validators: _Validators,
    etag: str | None,
    last_modified: datetime | None,
    complete_length: int,
    multiple_ranges: bool,
) -> None:
    if_range = validators.get_if_range()
    if if_range.etag is not None:
        if etag is None or if_range.etag != etag:
            return
    elif if_range.date is not None:
        since = _aware(if_range.date)
        if last_modified is None or since is None or last_modified > since:
            return

    if multiple_ranges:
        spans = parse_byte_ranges(validators.get_range_header(), complete_length)
        if not spans:
            raise RequestedRangeNotSatisfiable(complete_length)
        if len(spans) > 1:
            _apply_multipart(response, spans, complete_length)
            return
        start, stop = spans[0]
        content_range = f"bytes {start}-{stop - 1}/{complete_length}"
    else:
        parsed = validators.get_range()
        if parsed is None:
            raise RequestedRangeNotSatisfiable(complete_length)
        span = parsed.range_for_length(complete_length)
        range_header = parsed.to_content_range_header(complete_length)
        if span is None or range_header is None:
            raise RequestedRangeNotSatisfiable(complete_length)
        start, stop = span
        content_range = range_header

    headers = response.headers
    headers.set("Content-Length", str(stop - start))
    headers.set("Content-Range", content_range)
    response.status_code = 206
    body = response.response
    with_range = getattr(body, "with_range", None)
    if with_range is not None:
        response.response = with_range(start, stop - start)
    elif response.is_sequence and not response.direct_passthrough:
        data = b"".join(response.iter_encoded())
        response.response = [data[start:stop]]
    else:
        response.response = _RangeIterator(body, start, stop - start)


def _position(text: str) -> int | None:
    """A run of ASCII digits as an int (capped past any body length), or None."""
    text = text.strip(_OWS)
    if not text or not text.isascii() or not text.isdigit():
        return None
    if len(text) > _MAX_DIGITS:
        return _HUGE_POSITION
    return int(text)


def parse_byte_ranges(value: str | None, length: int) -> list[tuple[int, int]] | None:
    """The satisfiable ``(start, stop)`` spans of a Range header, sorted and merged.

    ``stop`` is exclusive. Returns None for a header that is not a valid
    ``bytes`` range set or has more than :data:`MAX_BYTE_RANGES` specs, and an
    empty list when no spec can be satisfied for a body of ``length`` bytes.
    """
    if not value:
        return None
    unit, equals, range_set = value.partition("=")
    if not equals or unit.strip(_OWS).lower() != "bytes":
        return None
    # PERF: refuse an oversized set before splitting it.
    if range_set.count(",") >= MAX_BYTE_RANGES:
        return None
    spans: list[tuple[int, int]] = []
    seen_spec = False
    for item in range_set.split(","):
        item = item.strip(_OWS)
        if not item:
            continue  # empty list elements are allowed (RFC 9110 5.6.1)
        seen_spec = True
        first_text, dash, last_text = item.partition("-")
        if not dash:
            return None
        if not first_text.strip(_OWS):
            suffix = _position(last_text)
            if suffix is None:
                return None
            if suffix > 0 and length > 0:
                spans.append((max(length - suffix, 0), length))
            continue
        first = _position(first_text)
        if first is None:
            return None
        stop = length
        if last_text.strip(_OWS):
            last = _position(last_text)
            if last is None or last < first:
                return None
            stop = min(last + 1, length)
        if first < length:
            spans.append((first, stop))
    if not seen_spec:
        return None
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, stop in spans:
        if merged and start <= merged[-1][1]:
            if stop > merged[-1][1]:
                merged[-1] = (merged[-1][0], stop)
        else:
            merged.append((start, stop))
    return merged


def _apply_multipart(
    response: Response, spans: list[tuple[int, int]], complete_length: int
) -> None:
    """Make ``response`` a 206 ``multipart/byteranges`` of ``spans``."""
    headers = response.headers
    import secrets

    boundary = secrets.token_hex(16)
    content_type = headers.get("Content-Type")
    type_line = f"Content-Type: {content_type}\r\n" if content_type else ""
    heads: list[bytes] = []
    total = 0
    for start, stop in spans:
        # Every part but the first starts with the CRLF that ends the previous.
        head = (
            f"--{boundary}\r\n{type_line}"
            f"Content-Range: bytes {start}-{stop - 1}/{complete_length}\r\n\r\n"
        ).encode("latin-1")
        if heads:
            head = b"\r\n" + head
        heads.append(head)
        total += len(head) + stop - start
    tail = f"\r\n--{boundary}--\r\n".encode("latin-1")
    total += len(tail)

    data: bytes | None = None
    if response.is_sequence and not response.direct_passthrough:
        data = b"".join(response.iter_encoded())
    response.response = _ByteRanges(response.response, data, heads, spans, tail)
    headers.set("Content-Type", f"multipart/byteranges; boundary={boundary}")
    headers.set("Content-Length", str(total))
    headers.remove("Content-Range")
    response.status_code = 206


class _ByteRanges:
    """The body of a ``multipart/byteranges`` response, generated part by part."""

    __slots__ = ("_iterator", "_source")

    def __init__(
        self,
        source: Iterable[bytes | str],
        data: bytes | None,
        heads: list[bytes],
        spans: list[tuple[int, int]],
        tail: bytes,
    ) -> None:
        self._source = source
        self._iterator = self._generate(source, data, heads, spans, tail)

    @staticmethod
    def _generate(
        source: Iterable[bytes | str],
        data: bytes | None,
        heads: list[bytes],
        spans: list[tuple[int, int]],
        tail: bytes,
    ) -> Iterator[bytes]:
        with_range = getattr(source, "with_range", None)
        if data is not None:
            for head, (start, stop) in zip(heads, spans, strict=True):
                yield head
                yield data[start:stop]
        elif with_range is not None:
            for head, (start, stop) in zip(heads, spans, strict=True):
                yield head
                yield from with_range(start, stop - start)
        else:
            # Spans are ascending and disjoint: one pass over the body suffices.
            chunks = iter(source)
            chunk = b""
            chunk_start = 0  # offset of ``chunk`` in the body
            for head, (start, stop) in zip(heads, spans, strict=True):
                yield head
                position = start
                while position < stop:
                    if position >= chunk_start + len(chunk):
                        chunk_start += len(chunk)
                        item = next(chunks, None)
                        if item is None:
                            return
                        chunk = item.encode() if isinstance(item, str) else item
                        continue
                    piece = chunk[position - chunk_start : stop - chunk_start]
                    position += len(piece)
                    yield piece
        yield tail

    def __iter__(self) -> _ByteRanges:
        return self

    def __next__(self) -> bytes:
        return next(self._iterator)

    def close(self) -> None:
        close = getattr(self._source, "close", None)
        if close is not None:
            close()


class _RangeIterator:
    """Yield ``length`` bytes of a body iterable starting at byte ``start``.

    A seekable body (a file, or a wrapper with ``seekable()``/``seek()``) is
    seeked on first use; any other body is read and discarded up to ``start``.
    """

    __slots__ = ("_iterator", "_remaining", "_skip", "_source")

    def __init__(self, source: Iterable[bytes | str], start: int, length: int) -> None:
        self._source = source
        self._iterator: Iterator[bytes | str] | None = None
        self._skip = start
        self._remaining = length

    def __iter__(self) -> _RangeIterator:
        return self

    def __next__(self) -> bytes:
        iterator = self._iterator
        if iterator is None:
            source: t.Any = self._source
            seekable = getattr(source, "seekable", None)
            if seekable is not None and seekable():
                source.seek(self._skip)
                self._skip = 0
            self._iterator = iterator = iter(source)
        while self._remaining > 0:
            item = next(iterator)
            chunk = item.encode() if isinstance(item, str) else item
            if self._skip:
                if len(chunk) <= self._skip:
                    self._skip -= len(chunk)
                    continue
                chunk = chunk[self._skip :]
                self._skip = 0
            if len(chunk) > self._remaining:
                chunk = chunk[: self._remaining]
            self._remaining -= len(chunk)
            if chunk:
                return chunk
        raise StopIteration

    def close(self) -> None:
        close = getattr(self._source, "close", None)
        if close is not None:
            close()
