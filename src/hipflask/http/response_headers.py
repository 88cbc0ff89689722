"""Typed views over a response's headers: the header half of :class:`Response`.

:class:`ResponseHeaderViews` is a mixin holding everything that reads or writes
``self.headers`` and nothing else: cookies, ``mimetype``, dates, ``Vary`` /
``Allow`` sets, ``Cache-Control``, ``Content-Range``, ``WWW-Authenticate`` and
ETags. Nothing is parsed when a response is built; each attribute parses its
header when read and writes it back when assigned (assigning None removes it).
Structured values (``cache_control``, ``vary``...) call back on change, so
``response.cache_control.max_age = 60`` updates the header.

:class:`~hipflask.http.response.Response` is the class users see; the split only
keeps each module readable.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone

from .datastructures import CallbackDict, Headers
from .header_types import ContentRange, ResponseCacheControl, WWWAuthenticate
from .headers import (
    dump_age,
    dump_cookie,
    dump_header,
    dump_options_header,
    http_date,
    parse_age,
    parse_cache_control_header,
    parse_content_range_header,
    parse_date,
    parse_options_header,
    parse_set_header,
    quote_etag,
    unquote_etag,
)

if t.TYPE_CHECKING:
    from .datastructures import HeaderSet
    from .header_types import _CacheControl

__all__ = ["ResponseHeaderViews", "get_content_type"]

_T = t.TypeVar("_T")

# Types besides text/* whose IANA registration has a charset parameter.
_CHARSET_MIMETYPES = frozenset(
    [
        "application/ecmascript",
        "application/javascript",
        "application/sql",
        "application/xml",
        "application/xml-dtd",
        "application/xml-external-parsed-entity",
    ]
)
_content_types: dict[str, str] = {}


def get_content_type(mimetype: str, charset: str = "utf-8") -> str:
    """The Content-Type for ``mimetype``: text types get ``; charset=...``."""
    if charset == "utf-8":
        # PERF: every Response() without a content_type lands here; memoise.
        cached = _content_types.get(mimetype)
        if cached is not None:
            return cached
    value = mimetype
    if (
        mimetype.startswith("text/")
        or mimetype in _CHARSET_MIMETYPES
        or mimetype.endswith("+xml")
    ):
        value = f"{mimetype}; charset={charset}"
    if charset == "utf-8" and len(_content_types) < 256:
        _content_types[mimetype] = value
    return value


def _dump_date(value: datetime | int | float | str) -> str:
    return value if isinstance(value, str) else http_date(value)


class _HeaderProperty(t.Generic[_T]):
    """A response attribute stored in one header, converted on the way in and out.

    Reading a missing or unparsable header gives None; assigning None or
    deleting removes the header.
    """

    def __init__(
        self,
        name: str,
        load: Callable[[str], _T | None] | None = None,
        dump: Callable[[t.Any], str | None] | None = None,
        doc: str | None = None,
    ) -> None:
        self.name = name
        self.load = load
        self.dump = dump
        self.__doc__ = doc

    @t.overload
    def __get__(self, obj: None, owner: type | None = None) -> _HeaderProperty[_T]: ...
    @t.overload
    def __get__(
        self, obj: ResponseHeaderViews, owner: type | None = None
    ) -> _T | None: ...
    def __get__(
        self, obj: ResponseHeaderViews | None, owner: type | None = None
    ) -> _T | _HeaderProperty[_T] | None:
        if obj is None:
            return self
        value = obj.headers.get(self.name)
        if value is None or self.load is None:
            return t.cast("_T | None", value)
        try:
            return self.load(value)
        except (ValueError, TypeError):
            return None

    def __set__(self, obj: ResponseHeaderViews, value: t.Any) -> None:
        if value is not None and self.dump is not None:
            value = self.dump(value)
        if value is None:
            self.__delete__(obj)
        else:
            obj.headers.set(self.name, value)

    def __delete__(self, obj: ResponseHeaderViews) -> None:
        if self.name in obj.headers:
            del obj.headers[self.name]


def _set_property(name: str, doc: str) -> property:
    """A :class:`HeaderSet` view of a comma-separated header, written back on change."""

    def fget(self: ResponseHeaderViews) -> HeaderSet:
        def on_update(header_set: HeaderSet) -> None:
            if header_set:
                self.headers.set(name, header_set.to_header())
            elif name in self.headers:
                del self.headers[name]

        return parse_set_header(self.headers.get(name), on_update)

    def fset(self: ResponseHeaderViews, value: str | Iterable[str] | None) -> None:
        if not value:
            if name in self.headers:
                del self.headers[name]
        elif isinstance(value, str):
            self.headers.set(name, value)
        else:
            self.headers.set(name, dump_header(value))

    return property(fget, fset, doc=doc)


class ResponseHeaderViews:
    """Header-backed attributes of a response (mixed into ``Response``)."""

    __slots__ = ()

    headers: Headers
    #: Cookies longer than this warn when set (0 disables the check).
    max_cookie_size = 4093

    # -- cookies ----------------------------------------------------------------

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: timedelta | int | None = None,
        expires: str | datetime | int | float | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Add a ``Set-Cookie`` header (warns if longer than max_cookie_size)."""
        self.headers.add(
            "Set-Cookie",
            dump_cookie(
                key,
                value=value,
                max_age=max_age,
                expires=expires,
                path=path,
                domain=domain,
                secure=secure,
                httponly=httponly,
                max_size=self.max_cookie_size,
                samesite=samesite,
                partitioned=partitioned,
            ),
        )

    def delete_cookie(
        self,
        key: str,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Expire a cookie on the client (path and domain must match its own)."""
        self.set_cookie(
            key,
            expires=0,
            max_age=0,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
        )

    # -- typed header views -------------------------------------------------------

    @property
    def mimetype(self) -> str | None:
        """The Content-Type without parameters, e.g. ``"text/html"``."""
        ct = self.headers.get("content-type")
        return ct.partition(";")[0].strip() if ct else None

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.headers.set("Content-Type", get_content_type(value))

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The Content-Type parameters; changing the dict rewrites the header."""

        def on_update(d: CallbackDict[str, str]) -> None:
            self.headers.set("Content-Type", dump_options_header(self.mimetype, d))

        params = parse_options_header(self.headers.get("content-type", ""))[1]
        return CallbackDict(params, on_update)

    location = _HeaderProperty[str]("Location", doc="Where a redirect points.")
    content_type = _HeaderProperty[str]("Content-Type", doc="The full Content-Type.")
    content_length = _HeaderProperty[int](
        "Content-Length", int, str, doc="The body length in bytes, as an int."
    )
    content_location = _HeaderProperty[str](
        "Content-Location", doc="A URL where the enclosed entity is available."
    )
    content_encoding = _HeaderProperty[str](
        "Content-Encoding", doc="Codings applied to the body, e.g. ``gzip``."
    )
    content_md5 = _HeaderProperty[str]("Content-MD5", doc="The body's MD5 digest.")
    accept_ranges = _HeaderProperty[str](
        "Accept-Ranges", doc='The range unit accepted: ``"bytes"`` or ``"none"``.'
    )
    age = _HeaderProperty[timedelta](
        "Age", parse_age, dump_age, doc="Time the response spent in caches."
    )
    date = _HeaderProperty[datetime](
        "Date", parse_date, _dump_date, doc="When the response was generated."
    )
    expires = _HeaderProperty[datetime](
        "Expires", parse_date, _dump_date, doc="When the response turns stale."
    )
    last_modified = _HeaderProperty[datetime](
        "Last-Modified", parse_date, _dump_date, doc="When the resource last changed."
    )

    vary = _set_property("Vary", "Request headers the response varies on.")
    content_language = _set_property("Content-Language", "Languages of the body.")
    allow = _set_property("Allow", "Methods the resource supports.")

    @property
    def retry_after(self) -> datetime | None:
        """When to retry (``Retry-After`` as seconds or a date), as a datetime."""
        value = self.headers.get("retry-after")
        if value is None:
            return None
        if value.isdigit():
            try:
                return datetime.now(timezone.utc) + timedelta(seconds=int(value))
            except OverflowError:
                return None
        return parse_date(value)

    @retry_after.setter
    def retry_after(self, value: datetime | int | str | None) -> None:
        if value is None:
            if "retry-after" in self.headers:
                del self.headers["retry-after"]
            return
        self.headers.set(
            "Retry-After",
            http_date(value) if isinstance(value, datetime) else str(value),
        )

    @property
    def cache_control(self) -> ResponseCacheControl:
        """The ``Cache-Control`` directives; changes are written back."""

        def on_update(cache_control: _CacheControl) -> None:
            if cache_control:
                self.headers.set("Cache-Control", cache_control.to_header())
            elif "cache-control" in self.headers:
                del self.headers["cache-control"]

        return parse_cache_control_header(
            self.headers.get("cache-control"), on_update, ResponseCacheControl
        )

    @property
    def content_range(self) -> ContentRange:
        """The ``Content-Range`` header (an empty object when it is not set)."""

        def on_update(rng: ContentRange) -> None:
            if rng:
                self.headers.set("Content-Range", rng.to_header())
            elif "content-range" in self.headers:
                del self.headers["content-range"]

        rv = parse_content_range_header(self.headers.get("content-range"), on_update)
        if rv is None:
            rv = ContentRange(None, None, None, on_update=on_update)
        return rv

    @content_range.setter
    def content_range(self, value: ContentRange | str | None) -> None:
        if not value:
            if "content-range" in self.headers:
                del self.headers["content-range"]
        elif isinstance(value, str):
            self.headers.set("Content-Range", value)
        else:
            self.headers.set("Content-Range", value.to_header())

    @property
    def www_authenticate(self) -> WWWAuthenticate:
        """The first ``WWW-Authenticate`` challenge (``basic`` if unset)."""
        value = WWWAuthenticate.from_header(self.headers.get("WWW-Authenticate"))
        if value is None:
            value = WWWAuthenticate("basic")
        self._bind_www_authenticate(value)
        return value

    @www_authenticate.setter
    def www_authenticate(
        self, value: WWWAuthenticate | list[WWWAuthenticate] | None
    ) -> None:
        if not value:
            del self.www_authenticate
        elif isinstance(value, list):
            self.headers.set("WWW-Authenticate", value[0].to_header())
            for item in value[1:]:
                self.headers.add("WWW-Authenticate", item.to_header())
        else:
            self.headers.set("WWW-Authenticate", value.to_header())
            self._bind_www_authenticate(value)

    @www_authenticate.deleter
    def www_authenticate(self) -> None:
        if "WWW-Authenticate" in self.headers:
            del self.headers["WWW-Authenticate"]

    def _bind_www_authenticate(self, value: WWWAuthenticate) -> None:
        def on_update(changed: WWWAuthenticate) -> None:
            self.www_authenticate = changed

        value._on_update = on_update

    def set_etag(self, etag: str, weak: bool = False) -> None:
        """Set the ``ETag`` header (quoted; ``W/`` prefix when weak)."""
        self.headers.set("ETag", quote_etag(etag, weak))

    def get_etag(self) -> tuple[str, bool] | tuple[None, None]:
        """``(etag, is_weak)`` from the ``ETag`` header, or ``(None, None)``."""
        return unquote_etag(self.headers.get("ETag"))
