"""Typed views over a response's headers: the header half of :class:`Response`.

:class:`ResponseHeaderViews` is a mixin holding everything that reads or writes
``self.headers`` and nothing else: cookies, ``mimetype``, dates, ``Vary`` /
``Allow`` sets, ``Cache-Control``, ``Content-Range``, ``WWW-Authenticate``,
ETags, CORS (``access_control_*``), ``Content-Security-Policy`` and the
cross-origin isolation policies. Nothing is parsed when a response is built;
each attribute parses its header when read and writes it back when assigned
(assigning None removes it). A malformed header reads as the attribute's
"absent" value (None, an empty structure, or the policy default), never an
error; assigning a value of the wrong type or an unknown policy raises.

Structured values (``cache_control``, ``content_security_policy``, ``vary``...)
are parsed fresh on every read and handed an ``on_update`` callback,
:meth:`ResponseHeaderViews._write_back`, that rewrites the header from the
value's ``to_header()`` (or removes it once the value is empty); so
``response.cache_control.max_age = 60`` updates the header. An object assigned
to such an attribute is serialized once, not bound: later changes to it (it
may be shared by many responses) do not reach the header.

:class:`~hipflask.http.response.Response` is the class users see; the split only
keeps each module readable.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from enum import Enum

from .datastructures import CallbackDict, Headers
from .header_types import (
    ContentRange,
    ContentSecurityPolicy,
    ResponseCacheControl,
    WWWAuthenticate,
)
from .headers import (
    COEP,
    COOP,
    dump_age,
    dump_cookie,
    dump_csp_header,
    dump_header,
    dump_options_header,
    http_date,
    parse_age,
    parse_cache_control_header,
    parse_content_range_header,
    parse_csp_header,
    parse_date,
    parse_options_header,
    parse_set_header,
    quote_etag,
    unquote_etag,
)

if t.TYPE_CHECKING:
    from .datastructures import HeaderSet

    class _Serializable(t.Protocol):
        def to_header(self) -> str: ...


__all__ = ["ResponseHeaderViews", "get_content_type"]

_T = t.TypeVar("_T")
_E = t.TypeVar("_E", bound=Enum)

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


def _dump_max_age(value: int | timedelta | str) -> str:
    """Seconds for ``Access-Control-Max-Age``: an int, a timedelta or a str."""
    if isinstance(value, timedelta):
        return str(int(value.total_seconds()))
    if isinstance(value, str) or (
        isinstance(value, int) and not isinstance(value, bool)
    ):
        return str(value)
    raise TypeError(
        "access_control_max_age takes an int, a timedelta or a str,"
        f" not {type(value).__name__}."
    )


def _csp_type_error(attr: str, value: object) -> str:
    return (
        f"{attr} takes a str, a ContentSecurityPolicy, a mapping or None,"
        f" not {type(value).__name__}."
    )


def _load_policy(enum: type[_E], value: str | None, default: _E) -> _E:
    """The policy a COOP / COEP header names; ``default`` if absent or unknown.

    Parameters (``same-origin; report-to="x"``) are ignored.
    """
    if value is None:
        return default
    try:
        return enum(value.partition(";")[0].strip(" \t"))
    except ValueError:
        return default


def _dump_policy(enum: type[Enum], attr: str, value: object) -> str:
    """The header value for a policy given as a member (of any enum) or a str."""
    if isinstance(value, Enum):
        value = value.value
    if not isinstance(value, str):
        raise TypeError(
            f"{attr} takes a {enum.__name__} member, its str value or None,"
            f" not {type(value).__name__}."
        )
    try:
        return str(enum(value).value)
    except ValueError:
        known = ", ".join(repr(member.value) for member in enum)
        raise ValueError(
            f"{attr}: {value!r} is not a {enum.__name__} value ({known})."
        ) from None


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


def _set_property(name: str, doc: str, absent_is_none: bool = False) -> property:
    """A :class:`HeaderSet` view of a comma-separated header, written back on change.

    With ``absent_is_none`` a missing header reads as None (Werkzeug's CORS
    attributes), otherwise as an empty set that adds the header when filled.
    """

    def fget(self: ResponseHeaderViews) -> HeaderSet | None:
        value = self.headers.get(name)
        if value is None and absent_is_none:
            return None
        return parse_set_header(value, self._write_back(name))

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
        if value.isascii() and value.isdigit():
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

    def _write_back(self, name: str) -> Callable[[_Serializable], None]:
        """An ``on_update`` that rewrites header ``name`` from a changed value.

        The value's ``to_header()`` replaces the header; an empty (falsy)
        value removes it.
        """

        def on_update(value: _Serializable) -> None:
            if value:
                self.headers.set(name, value.to_header())
            else:
                self.headers.remove(name)

        return on_update

    @property
    def cache_control(self) -> ResponseCacheControl:
        """The ``Cache-Control`` directives; changes are written back."""
        return parse_cache_control_header(
            self.headers.get("cache-control"),
            self._write_back("Cache-Control"),
            ResponseCacheControl,
        )

    @property
    def content_range(self) -> ContentRange:
        """The ``Content-Range`` header (an empty object when it is not set)."""
        on_update = self._write_back("Content-Range")
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

    # -- Content-Security-Policy --------------------------------------------------

    def _get_csp(self, name: str) -> ContentSecurityPolicy:
        return parse_csp_header(self.headers.get(name), self._write_back(name))

    def _set_csp(
        self, name: str, attr: str, value: Mapping[str, str] | str | None
    ) -> None:
        if not value:
            if value is not None and not isinstance(value, (str, Mapping)):
                raise TypeError(_csp_type_error(attr, value))
            self.headers.remove(name)
        elif isinstance(value, str):
            self.headers.set(name, value)
        elif isinstance(value, Mapping):
            self.headers.set(name, dump_csp_header(value))
        else:
            raise TypeError(_csp_type_error(attr, value))

    @property
    def content_security_policy(self) -> ContentSecurityPolicy:
        """``Content-Security-Policy`` (empty if unset); changes are written back.

        Assign a str, a :class:`ContentSecurityPolicy` or a mapping of
        directives; None or an empty value removes the header.
        """
        return self._get_csp("Content-Security-Policy")

    @content_security_policy.setter
    def content_security_policy(self, value: Mapping[str, str] | str | None) -> None:
        self._set_csp("Content-Security-Policy", "content_security_policy", value)

    @property
    def content_security_policy_report_only(self) -> ContentSecurityPolicy:
        """``Content-Security-Policy-Report-Only``, used as the policy above."""
        return self._get_csp("Content-Security-Policy-Report-Only")

    @content_security_policy_report_only.setter
    def content_security_policy_report_only(
        self, value: Mapping[str, str] | str | None
    ) -> None:
        self._set_csp(
            "Content-Security-Policy-Report-Only",
            "content_security_policy_report_only",
            value,
        )

    # -- CORS and cross-origin isolation ------------------------------------------

    @property
    def access_control_allow_credentials(self) -> bool:
        """Whether ``Access-Control-Allow-Credentials`` is ``true`` (the only value)."""
        value = self.headers.get("Access-Control-Allow-Credentials")
        return value is not None and value.strip(" \t") == "true"

    @access_control_allow_credentials.setter
    def access_control_allow_credentials(self, value: bool | None) -> None:
        if value:
            self.headers.set("Access-Control-Allow-Credentials", "true")
        else:
            self.headers.remove("Access-Control-Allow-Credentials")

    access_control_allow_headers = _set_property(
        "Access-Control-Allow-Headers",
        "Request headers a cross-origin request may send.",
        absent_is_none=True,
    )
    access_control_allow_methods = _set_property(
        "Access-Control-Allow-Methods",
        "Methods a cross-origin request may use.",
        absent_is_none=True,
    )
    access_control_expose_headers = _set_property(
        "Access-Control-Expose-Headers",
        "Response headers cross-origin scripts may read.",
        absent_is_none=True,
    )
    access_control_allow_origin = _HeaderProperty[str](
        "Access-Control-Allow-Origin",
        doc="The origin allowed to read the response, or ``*``.",
    )
    access_control_max_age = _HeaderProperty[int](
        "Access-Control-Max-Age",
        int,
        _dump_max_age,
        doc="Seconds a preflight answer may be cached (None if not an integer).",
    )

    @property
    def cross_origin_opener_policy(self) -> COOP:
        """``Cross-Origin-Opener-Policy``; ``COOP.UNSAFE_NONE`` if unset/unknown."""
        return _load_policy(
            COOP, self.headers.get("Cross-Origin-Opener-Policy"), COOP.UNSAFE_NONE
        )

    @cross_origin_opener_policy.setter
    def cross_origin_opener_policy(self, value: COOP | str | None) -> None:
        if value is None:
            self.headers.remove("Cross-Origin-Opener-Policy")
        else:
            self.headers.set(
                "Cross-Origin-Opener-Policy",
                _dump_policy(COOP, "cross_origin_opener_policy", value),
            )

    @property
    def cross_origin_embedder_policy(self) -> COEP:
        """``Cross-Origin-Embedder-Policy``; ``COEP.UNSAFE_NONE`` if unset/unknown."""
        return _load_policy(
            COEP, self.headers.get("Cross-Origin-Embedder-Policy"), COEP.UNSAFE_NONE
        )

    @cross_origin_embedder_policy.setter
    def cross_origin_embedder_policy(self, value: COEP | str | None) -> None:
        if value is None:
            self.headers.remove("Cross-Origin-Embedder-Policy")
        else:
            self.headers.set(
                "Cross-Origin-Embedder-Policy",
                _dump_policy(COEP, "cross_origin_embedder_policy", value),
            )

    # -- ETags ----------------------------------------------------------------------

    def set_etag(self, etag: str, weak: bool = False) -> None:
        """Set the ``ETag`` header (quoted; ``W/`` prefix when weak)."""
        self.headers.set("ETag", quote_etag(etag, weak))

    def get_etag(self) -> tuple[str, bool] | tuple[None, None]:
        """``(etag, is_weak)`` from the ``ETag`` header, or ``(None, None)``."""
        return unquote_etag(self.headers.get("ETag"))
