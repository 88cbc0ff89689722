"""Structured header values, with Werkzeug 3.1's names and behaviour.

Defined here:

- :class:`RequestCacheControl` (immutable) and :class:`ResponseCacheControl`
  (RFC 9111 5.2): dicts of directive -> value (``None`` for a bare
  directive) with typed properties; every change calls ``on_update(self)``.
- :class:`ContentSecurityPolicy` (CSP level 3): a dict of directive name ->
  value with a property per standard directive (``default_src`` is
  ``default-src``); every change calls ``on_update(self)`` like the
  cache-control classes, which is how a response writes its header back. A
  directive without a value (``upgrade-insecure-requests``) is kept with the
  value ``""`` and serialized as its bare name.
- :class:`ETags`, :class:`IfRange`, :class:`Range` and :class:`ContentRange`
  (RFC 9110 13, 14) for conditional and partial requests.

Re-exported, so that every value class imports from here:
:class:`~hipflask.http.accept.Accept` and its variants, and
:class:`~hipflask.http.auth.Authorization` and
:class:`~hipflask.http.auth.WWWAuthenticate`.

Parsing lives in :mod:`hipflask.http.headers`; these classes hold, query and
serialize values. The ones made per request use ``__slots__``.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable, Iterable, Iterator, Mapping

from .accept import Accept, CharsetAccept, LanguageAccept, MIMEAccept
from .auth import Authorization, WWWAuthenticate
from .dates import http_date
from .header_syntax import dump_header, generate_etag, quote_etag, unquote_etag
from .multidict import CallbackDict

if t.TYPE_CHECKING:
    from datetime import datetime

__all__ = [
    "Accept",
    "Authorization",
    "CharsetAccept",
    "ContentRange",
    "ContentSecurityPolicy",
    "ETags",
    "IfRange",
    "LanguageAccept",
    "MIMEAccept",
    "Range",
    "RequestCacheControl",
    "ResponseCacheControl",
    "WWWAuthenticate",
    "cache_control_property",
    "csp_property",
    "is_byte_range_valid",
]


def _immutable_error(obj: object) -> t.NoReturn:
    raise TypeError(f"{type(obj).__name__!r} objects are immutable")


def cache_control_property(
    key: str, empty: t.Any, type: type[t.Any] | None, *, doc: str | None = None
) -> t.Any:
    """Make a property for the directive ``key``, for subclasses to extend.

    ``type=bool``: present or not. Otherwise the value converted with
    ``type`` (``None`` if that fails), ``empty`` if the directive has no
    value, ``None`` if absent. Setting ``None`` or ``False`` removes it.
    """

    def fget(self: _CacheControl) -> t.Any:
        return self._get_cache_value(key, empty, type)

    def fset(self: _CacheControl, value: t.Any) -> None:
        self._set_cache_value(key, value, type)

    def fdel(self: _CacheControl) -> None:
        self._del_cache_value(key)

    return property(fget, fset, fdel, doc or f"The ``{key}`` directive.")


_V = t.TypeVar("_V")


class _Directives(CallbackDict[str, _V]):
    """A header's directives as a dict; ``str()`` gives the header value.

    Pickling keeps the directives and drops ``on_update`` (a response's).
    """

    def to_header(self) -> str:
        """Serialize the directives to a header value."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        directives = " ".join(f"{key}={value!r}" for key, value in sorted(self.items()))
        return f"<{type(self).__name__} {directives}>"

    def __reduce_ex__(self, protocol: t.SupportsIndex) -> t.Any:
        return type(self), (dict(self),)


class _CacheControl(_Directives[str | None]):
    """Cache-Control directives; names use ``_`` where the header has ``-``."""

    no_store: bool = cache_control_property("no-store", None, bool)
    max_age: int | None = cache_control_property("max-age", None, int)
    no_transform: bool = cache_control_property("no-transform", None, bool)
    stale_if_error: int | None = cache_control_property("stale-if-error", None, int)

    def __init__(
        self,
        values: Mapping[str, str | None] | Iterable[tuple[str, str | None]] | None = (),
        on_update: Callable[[t.Any], None] | None = None,
    ) -> None:
        super().__init__(values, on_update)
        self.provided = values is not None

    def _get_cache_value(
        self, key: str, empty: t.Any, type: type[t.Any] | None
    ) -> t.Any:
        if type is bool:
            return key in self
        if key not in self:
            return None
        value = dict.__getitem__(self, key)
        if value is None:
            return empty
        if type is not None:
            try:
                return type(value)
            except ValueError:
                return None
        return value

    def _set_cache_value(
        self, key: str, value: t.Any, type: type[t.Any] | None
    ) -> None:
        if type is bool:
            if value:
                self[key] = None
            else:
                self.pop(key, None)
        elif value is None or value is False:
            self.pop(key, None)
        elif value is True:
            self[key] = None
        else:
            self[key] = str(value if type is None else type(value))

    def _del_cache_value(self, key: str) -> None:
        if key in self:
            del self[key]

    def to_header(self) -> str:
        """Serialize the directives to a header value."""
        return dump_header(self)

    cache_property = staticmethod(cache_control_property)


class RequestCacheControl(_CacheControl):
    """The request's Cache-Control; immutable."""

    no_cache: bool = cache_control_property("no-cache", None, bool)
    max_stale: int | t.Literal[True] | None = cache_control_property(
        "max-stale", True, int
    )
    min_fresh: int | None = cache_control_property("min-fresh", None, int)
    only_if_cached: bool = cache_control_property("only-if-cached", None, bool)

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __setitem__(self, key: t.Any, value: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def __delitem__(self, key: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def clear(self) -> t.NoReturn:
        _immutable_error(self)

    def popitem(self) -> t.NoReturn:
        _immutable_error(self)

    def pop(self, key: t.Any, *default: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def setdefault(self, key: t.Any, default: t.Any = None) -> t.NoReturn:
        _immutable_error(self)

    def update(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def __ior__(self, other: t.Any) -> t.NoReturn:  # type: ignore[misc]
        _immutable_error(self)


class ResponseCacheControl(_CacheControl):
    """The response's Cache-Control; every change calls ``on_update``."""

    no_cache: str | t.Literal[True] | None = cache_control_property(
        "no-cache", True, None
    )
    public: bool = cache_control_property("public", None, bool)
    private: str | t.Literal[True] | None = cache_control_property(
        "private", True, None
    )
    must_revalidate: bool = cache_control_property("must-revalidate", None, bool)
    proxy_revalidate: bool = cache_control_property("proxy-revalidate", None, bool)
    s_maxage: int | None = cache_control_property("s-maxage", None, int)
    immutable: bool = cache_control_property("immutable", None, bool)
    must_understand: bool = cache_control_property("must-understand", None, bool)
    stale_while_revalidate: int | None = cache_control_property(
        "stale-while-revalidate", None, int
    )


# ---------------------------------------------------------------------------
# Content-Security-Policy

# Separates a CSP directive's name from its value (CSP 3: ASCII whitespace).
_CSP_SPACE = " \t\n\r\f"


def csp_property(key: str, *, doc: str | None = None) -> t.Any:
    """Make a property for the CSP directive ``key``, for subclasses to extend.

    Reads the value (None if absent); setting a str stores it (``""`` for a
    directive without a value), setting None or deleting removes it.
    """

    def fget(self: ContentSecurityPolicy) -> str | None:
        return self.get(key)

    def fset(self: ContentSecurityPolicy, value: str | None) -> None:
        if value is None:
            self.pop(key, None)
        elif isinstance(value, str):
            self[key] = value
        else:
            raise TypeError(
                f"The CSP directive {key!r} takes a str or None,"
                f" not {type(value).__name__}."
            )

    def fdel(self: ContentSecurityPolicy) -> None:
        self.pop(key, None)

    return property(fget, fset, fdel, doc or f"The ``{key}`` directive.")


def _dump_csp(policy: Mapping[str, str | None]) -> str:
    """Serialize directives as ``name value; name value`` (bare name if no value).

    ValueError for a directive that would not read back as itself: an empty
    name, a name with whitespace or ``;``, or a value with ``;``; TypeError
    for a name or value that is not a str (a None value is a bare name).
    """
    parts = []
    for name, value in policy.items():
        if not isinstance(name, str) or not (value is None or isinstance(value, str)):
            raise TypeError(
                f"CSP directives are str names with str values: {name!r}: {value!r}."
            )
        if not name or ";" in name or any(c in _CSP_SPACE for c in name):
            raise ValueError(f"Invalid CSP directive name {name!r}.")
        if value and ";" in value:
            raise ValueError(
                f"The value of the CSP directive {name!r} must not contain ';':"
                f" {value!r}."
            )
        parts.append(f"{name} {value}" if value else name)
    return "; ".join(parts)


class ContentSecurityPolicy(_Directives[str]):
    """Content-Security-Policy directives; names use ``_`` where CSP has ``-``.

    Every change calls ``on_update(self)``. ``str()`` gives the header value.
    """

    base_uri: str | None = csp_property("base-uri")
    child_src: str | None = csp_property("child-src")
    connect_src: str | None = csp_property("connect-src")
    default_src: str | None = csp_property("default-src")
    font_src: str | None = csp_property("font-src")
    form_action: str | None = csp_property("form-action")
    frame_ancestors: str | None = csp_property("frame-ancestors")
    frame_src: str | None = csp_property("frame-src")
    img_src: str | None = csp_property("img-src")
    manifest_src: str | None = csp_property("manifest-src")
    media_src: str | None = csp_property("media-src")
    navigate_to: str | None = csp_property("navigate-to")
    object_src: str | None = csp_property("object-src")
    prefetch_src: str | None = csp_property("prefetch-src")
    plugin_types: str | None = csp_property("plugin-types")
    report_to: str | None = csp_property("report-to")
    report_uri: str | None = csp_property("report-uri")
    sandbox: str | None = csp_property("sandbox")
    script_src: str | None = csp_property("script-src")
    script_src_attr: str | None = csp_property("script-src-attr")
    script_src_elem: str | None = csp_property("script-src-elem")
    style_src: str | None = csp_property("style-src")
    style_src_attr: str | None = csp_property("style-src-attr")
    style_src_elem: str | None = csp_property("style-src-elem")
    worker_src: str | None = csp_property("worker-src")

    def __init__(
        self,
        values: Mapping[str, str] | Iterable[tuple[str, str]] | None = (),
        on_update: Callable[[ContentSecurityPolicy], None] | None = None,
    ) -> None:
        super().__init__(values, on_update)
        self.provided = values is not None

    def to_header(self) -> str:
        """Serialize the directives to a header value ("" if there are none)."""
        return _dump_csp(self)


# ---------------------------------------------------------------------------
# Entity tags and ranges


class ETags:
    """Entity tags from If-Match / If-None-Match, or the ``*`` star tag.

    ``in``, iteration and ``len`` see strong tags only.
    """

    __slots__ = ("_strong", "_weak", "star_tag")

    def __init__(
        self,
        strong_etags: Iterable[str] | None = None,
        weak_etags: Iterable[str] | None = None,
        star_tag: bool = False,
    ) -> None:
        self._strong = frozenset(strong_etags or ()) if not star_tag else frozenset()
        self._weak = frozenset(weak_etags or ())
        self.star_tag = star_tag

    def as_set(self, include_weak: bool = False) -> set[str]:
        """The strong tags (and weak ones too if asked) as a set."""
        result = set(self._strong)
        if include_weak:
            result.update(self._weak)
        return result

    def is_weak(self, etag: str) -> bool:
        """Whether ``etag`` is listed as weak."""
        return etag in self._weak

    def is_strong(self, etag: str) -> bool:
        """Whether ``etag`` is listed as strong."""
        return etag in self._strong

    def contains_weak(self, etag: str) -> bool:
        """Weak comparison: listed weak or strong, or the star tag."""
        return etag in self._weak or self.contains(etag)

    def contains(self, etag: str) -> bool:
        """Strong comparison: listed strong, or the star tag."""
        return self.star_tag or etag in self._strong

    def contains_raw(self, etag: str) -> bool:
        """Check a quoted tag: ``W/"x"`` by weak comparison, ``"x"`` strong."""
        tag, weak = unquote_etag(etag)
        if tag is None:
            return False
        return self.contains_weak(tag) if weak else self.contains(tag)

    def to_header(self) -> str:
        """Serialize to a header value."""
        if self.star_tag:
            return "*"
        return ", ".join(
            [f'"{tag}"' for tag in self._strong] + [f'W/"{tag}"' for tag in self._weak]
        )

    def __call__(
        self,
        etag: str | None = None,
        data: bytes | None = None,
        include_weak: bool = False,
    ) -> bool:
        """Whether ``etag`` (or the tag of ``data``) is listed."""
        if etag is None:
            if data is None:
                raise TypeError("'data' is required when 'etag' is not given.")
            etag = generate_etag(data)
        if include_weak and etag in self._weak:
            return True
        return etag in self._strong

    def __bool__(self) -> bool:
        return bool(self.star_tag or self._strong or self._weak)

    def __len__(self) -> int:
        return len(self._strong)

    def __iter__(self) -> Iterator[str]:
        return iter(self._strong)

    def __contains__(self, etag: object) -> bool:
        return isinstance(etag, str) and self.contains(etag)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


def is_byte_range_valid(
    start: int | None, stop: int | None, length: int | None
) -> bool:
    """Whether ``[start, stop)`` is a valid byte range of a ``length`` body.

    ``start`` and ``stop`` are both None for an unsatisfied range (``*``).
    """
    if start is None or stop is None:
        return start is None and stop is None and (length is None or length >= 0)
    if length is None:
        return 0 <= start < stop
    return 0 <= start < stop and start < length


class IfRange:
    """A parsed If-Range: an entity tag (weakness dropped) or a date, or neither."""

    __slots__ = ("date", "etag")

    def __init__(self, etag: str | None = None, date: datetime | None = None) -> None:
        self.etag = etag
        self.date = date

    def to_header(self) -> str:
        """Serialize to a header value ("" if empty)."""
        if self.date is not None:
            return http_date(self.date)
        if self.etag is not None:
            return quote_etag(self.etag)
        return ""

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


class Range:
    """A parsed Range header: ``units`` and ``(start, stop)`` pairs.

    ``stop`` is exclusive; ``(start, None)`` is open-ended and ``(-n, None)``
    the last ``n`` units. ValueError if a pair is invalid. The helpers work
    on ``bytes`` with exactly one range.
    """

    __slots__ = ("ranges", "units")

    def __init__(self, units: str, ranges: t.Sequence[tuple[int, int | None]]) -> None:
        for start, stop in ranges:
            if start is None or (stop is not None and (start < 0 or start >= stop)):
                raise ValueError(f"{(start, stop)} is not a valid range.")
        self.units = units
        self.ranges = ranges

    def range_for_length(self, length: int | None) -> tuple[int, int] | None:
        """The satisfiable ``(start, stop)`` for a body of ``length``, or None."""
        if self.units != "bytes" or length is None or len(self.ranges) != 1:
            return None
        start, stop = self.ranges[0]
        if stop is None:
            stop = length
            if start < 0:
                start += length
        if is_byte_range_valid(start, stop, length):
            return start, min(stop, length)
        return None

    def make_content_range(self, length: int | None) -> ContentRange | None:
        """The :class:`ContentRange` answering this range, or None."""
        span = self.range_for_length(length)
        if span is None:
            return None
        return ContentRange(self.units, span[0], span[1], length)

    def to_header(self) -> str:
        """Serialize to a Range header value."""
        ranges = []
        for start, stop in self.ranges:
            if stop is None:
                ranges.append(f"{start}-" if start >= 0 else str(start))
            else:
                ranges.append(f"{start}-{stop - 1}")
        return f"{self.units}={','.join(ranges)}"

    def to_content_range_header(self, length: int | None) -> str | None:
        """The Content-Range value answering this range, or None."""
        span = self.range_for_length(length)
        if span is None:
            return None
        return f"{self.units} {span[0]}-{span[1] - 1}/{length}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


class ContentRange:
    """A Content-Range: ``units start-(stop-1)/length``; falsy once unset.

    ``start`` and ``stop`` are None for ``*/length``; ``length`` is None for
    an unknown length. Changes call ``on_update(self)``.
    """

    __slots__ = ("_length", "_start", "_stop", "_units", "on_update")

    def __init__(
        self,
        units: str | None,
        start: int | None,
        stop: int | None,
        length: int | None = None,
        on_update: Callable[[ContentRange], None] | None = None,
    ) -> None:
        self.on_update = on_update
        self.set(start, stop, length, units)

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    @property
    def units(self) -> str | None:
        """The range unit, usually ``bytes``; None once unset."""
        return self._units

    @units.setter
    def units(self, value: str | None) -> None:
        self._units = value
        self._changed()

    @property
    def start(self) -> int | None:
        """The first position, or None for ``*/length``."""
        return self._start

    @start.setter
    def start(self, value: int | None) -> None:
        self._start = value
        self._changed()

    @property
    def stop(self) -> int | None:
        """The position after the last one, or None for ``*/length``."""
        return self._stop

    @stop.setter
    def stop(self, value: int | None) -> None:
        self._stop = value
        self._changed()

    @property
    def length(self) -> int | None:
        """The complete length, or None if unknown (``*``)."""
        return self._length

    @length.setter
    def length(self, value: int | None) -> None:
        self._length = value
        self._changed()

    def set(
        self,
        start: int | None,
        stop: int | None,
        length: int | None = None,
        units: str | None = "bytes",
    ) -> None:
        """Replace all values at once; ValueError if the range is invalid."""
        if not is_byte_range_valid(start, stop, length):
            raise ValueError(
                f"invalid content range: start={start!r}, stop={stop!r},"
                f" length={length!r}"
            )
        self._units = units
        self._start = start
        self._stop = stop
        self._length = length
        self._changed()

    def unset(self) -> None:
        """Clear the range, so the header should be removed."""
        self.set(None, None, units=None)

    def to_header(self) -> str:
        """Serialize to a header value ("" when unset)."""
        if self._units is None:
            return ""
        length = "*" if self._length is None else self._length
        if self._start is None or self._stop is None:
            return f"{self._units} */{length}"
        return f"{self._units} {self._start}-{self._stop - 1}/{length}"

    def __bool__(self) -> bool:
        return self._units is not None

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"
