"""Typed views over a request's headers: the header half of :class:`Request`.

:class:`RequestHeaderViews` is a mixin holding the attributes that only read
``self.headers``: content negotiation (``accept_*``), ``Cache-Control``,
``Authorization``, the conditional headers (``If-*``, ``Range``), ``Date``,
``User-Agent``, the CORS preflight headers and a few plain strings. Each one
parses its header when first read; what a client sends never raises here: a
missing or malformed header reads as None or an empty value.

Also here: :class:`cached`, the lazy attribute both halves use, and
:class:`UserAgent`. :class:`~hipflask.http.request.Request` is the class users
see; the split only keeps each module readable.
"""

from __future__ import annotations

import typing as t

from .header_types import (
    Accept,
    Authorization,
    CharsetAccept,
    ETags,
    IfRange,
    LanguageAccept,
    MIMEAccept,
    Range,
    RequestCacheControl,
)
from .headers import (
    parse_accept_header,
    parse_authorization_header,
    parse_cache_control_header,
    parse_date,
    parse_etags,
    parse_if_range_header,
    parse_range_header,
    parse_set_header,
)

if t.TYPE_CHECKING:
    from datetime import datetime

    from .datastructures import EnvironHeaders, Headers, HeaderSet

__all__ = ["RequestHeaderViews", "UserAgent"]

R = t.TypeVar("R")


class cached(t.Generic[R]):
    """A lazily computed attribute stored in the instance ``__dict__``."""

    def __init__(self, func: t.Callable[[t.Any], R]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @t.overload
    def __get__(self, obj: None, owner: type | None = None) -> cached[R]: ...

    @t.overload
    def __get__(self, obj: object, owner: type | None = None) -> R: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> R | cached[R]:
        if obj is None:
            return self
        value = self.func(obj)
        obj.__dict__[self.name] = value
        return value


class UserAgent:
    """The User-Agent header, unparsed (as Werkzeug's default user agent)."""

    platform: str | None = None
    browser: str | None = None
    version: str | None = None
    language: str | None = None

    def __init__(self, string: str) -> None:
        self.string = string

    def to_header(self) -> str:
        """The header value."""
        return self.string

    def __str__(self) -> str:
        return self.string

    def __bool__(self) -> bool:
        return bool(self.browser)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.browser!r}/{self.version}>"


class RequestHeaderViews:
    """Header-backed attributes of a request (mixed into ``Request``)."""

    # Request keeps its per-request fields in slots (plus a __dict__ for the
    # cached attributes); an empty tuple here keeps that layout.
    __slots__ = ()

    #: The class ``user_agent`` builds from the header.
    user_agent_class: type[UserAgent] = UserAgent

    if t.TYPE_CHECKING:

        @property
        def headers(self) -> EnvironHeaders | Headers:
            """The request headers (defined by ``Request``)."""

    # -- negotiation ------------------------------------------------------------

    @cached
    def accept_mimetypes(self) -> MIMEAccept:
        """Parsed Accept header."""
        return parse_accept_header(self.headers.get("Accept"), MIMEAccept)

    @cached
    def accept_charsets(self) -> CharsetAccept:
        """Parsed Accept-Charset header."""
        return parse_accept_header(self.headers.get("Accept-Charset"), CharsetAccept)

    @cached
    def accept_encodings(self) -> Accept:
        """Parsed Accept-Encoding header."""
        return parse_accept_header(self.headers.get("Accept-Encoding"))

    @cached
    def accept_languages(self) -> LanguageAccept:
        """Parsed Accept-Language header."""
        return parse_accept_header(self.headers.get("Accept-Language"), LanguageAccept)

    @cached
    def cache_control(self) -> RequestCacheControl:
        """Parsed Cache-Control header."""
        return parse_cache_control_header(
            self.headers.get("Cache-Control"), None, RequestCacheControl
        )

    @cached
    def authorization(self) -> Authorization | None:
        """Parsed Authorization header (None when absent or malformed)."""
        return parse_authorization_header(self.headers.get("Authorization"))

    # -- conditionals -----------------------------------------------------------

    @cached
    def if_match(self) -> ETags:
        """Parsed If-Match header."""
        return parse_etags(self.headers.get("If-Match"))

    @cached
    def if_none_match(self) -> ETags:
        """Parsed If-None-Match header."""
        return parse_etags(self.headers.get("If-None-Match"))

    @cached
    def if_modified_since(self) -> datetime | None:
        """Parsed If-Modified-Since header."""
        return parse_date(self.headers.get("If-Modified-Since"))

    @cached
    def if_unmodified_since(self) -> datetime | None:
        """Parsed If-Unmodified-Since header."""
        return parse_date(self.headers.get("If-Unmodified-Since"))

    @cached
    def if_range(self) -> IfRange:
        """Parsed If-Range header."""
        return parse_if_range_header(self.headers.get("If-Range"))

    @cached
    def range(self) -> Range | None:
        """Parsed Range header (None when absent or invalid)."""
        return parse_range_header(self.headers.get("Range"))

    # -- other headers ----------------------------------------------------------

    @cached
    def date(self) -> datetime | None:
        """Parsed Date header."""
        return parse_date(self.headers.get("Date"))

    @cached
    def user_agent(self) -> UserAgent:
        """The User-Agent header."""
        return self.user_agent_class(self.headers.get("User-Agent", ""))

    @property
    def referrer(self) -> str | None:
        """The Referer header."""
        return self.headers.get("Referer")

    @property
    def origin(self) -> str | None:
        """The Origin header."""
        return self.headers.get("Origin")

    @property
    def pragma(self) -> str | None:
        """The Pragma header."""
        return self.headers.get("Pragma")

    @property
    def content_md5(self) -> str | None:
        """The Content-MD5 header, as sent (not checked against the body)."""
        return self.headers.get("Content-MD5")

    @property
    def max_forwards(self) -> int | None:
        """The Max-Forwards header as an int (None when absent or not an int).

        Read as Python's ``int()`` reads it, as Werkzeug does: surrounding
        spaces and a sign are accepted, so ``"-1"`` gives -1.
        """
        value = self.headers.get("Max-Forwards")
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            return None

    # -- CORS preflight -----------------------------------------------------------

    @property
    def access_control_request_headers(self) -> HeaderSet | None:
        """The Access-Control-Request-Headers names, as a :class:`HeaderSet`.

        None when the header is absent (as Werkzeug); empty items are skipped.
        A new set on each read: changing it changes nothing else.
        """
        value = self.headers.get("Access-Control-Request-Headers")
        if value is None:
            return None
        return parse_set_header(value)

    @property
    def access_control_request_method(self) -> str | None:
        """The Access-Control-Request-Method header."""
        return self.headers.get("Access-Control-Request-Method")
