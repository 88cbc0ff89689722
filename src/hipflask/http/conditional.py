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

__all__ = ["make_conditional"]


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
) -> None:
    """Apply the request's preconditions and Range to ``response`` in place."""
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
        _apply_range(response, validators, etag, last_modified, complete_length)

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
) -> None:
    if_range = validators.get_if_range()
    if if_range.etag is not None:
        if etag is None or if_range.etag != etag:
            return
    elif if_range.date is not None:
        since = _aware(if_range.date)
        if last_modified is None or since is None or last_modified > since:
            return

    parsed = validators.get_range()
    if parsed is None:
        raise RequestedRangeNotSatisfiable(complete_length)
    span = parsed.range_for_length(complete_length)
    content_range = parsed.to_content_range_header(complete_length)
    if span is None or content_range is None:
        raise RequestedRangeNotSatisfiable(complete_length)

    start, stop = span
    headers = response.headers
    headers.set("Content-Length", str(stop - start))
    headers.set("Content-Range", content_range)
    response.status_code = 206
    if response.is_sequence and not response.direct_passthrough:
        data = b"".join(response.iter_encoded())
        response.response = [data[start:stop]]
    else:
        response.response = _RangeIterator(response.response, start, stop - start)


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
