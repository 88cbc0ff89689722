"""Accept-* header values and content negotiation (RFC 9110 12.5).

:class:`Accept` is an immutable list of ``(value, quality)`` pairs sorted by
specificity, then quality, keeping the client's order among equals (as
Werkzeug 3.1). Subclasses decide what "matches" means:

- :class:`MIMEAccept`: ``*/*`` and ``text/*`` wildcards, parameters compared
  as a set; ``type/sub`` values from the application are validated.
- :class:`LanguageAccept`: case-insensitive, ``_`` equals ``-``, with a
  fallback to primary tags (``en-US`` and ``en``) in :meth:`best_match`.
- :class:`CharsetAccept`: charset aliases (``UTF8`` is ``utf-8``).

:meth:`Accept.best_match` picks the server value with the highest client
quality, then the most specific client item, then the server's order;
quality 0 excludes. Parsing is :func:`hipflask.http.headers.parse_accept_header`.
"""

from __future__ import annotations

import codecs
import functools
import typing as t
from collections.abc import Iterable, Iterator

__all__ = ["Accept", "CharsetAccept", "LanguageAccept", "MIMEAccept"]


def _immutable_error(obj: object) -> t.NoReturn:
    raise TypeError(f"{type(obj).__name__!r} objects are immutable")


class Accept(list[tuple[str, float]]):
    """Immutable list of ``(value, quality)``, most specific and preferred first.

    Equal items keep the client's order. ``accept["utf-8"]`` is the quality
    of a value (0 if not accepted), ``accept[0]`` the first pair. ``provided``
    is False when the header was absent.
    """

    __slots__ = ("_hash", "provided")

    def __init__(
        self, values: Accept | Iterable[tuple[str, float]] | None = ()
    ) -> None:
        if values is None:
            super().__init__()
            self.provided = False
        elif isinstance(values, Accept):
            super().__init__(values)
            self.provided = values.provided
        else:
            specificity = self._specificity
            super().__init__(
                sorted(values, key=lambda x: (specificity(x[0]), x[1]), reverse=True)
            )
            self.provided = True
        self._hash: int | None = None

    def _specificity(self, value: str) -> tuple[bool, ...]:
        """Sort key: more specific values sort first."""
        return (value != "*",)

    def _value_matches(self, value: str, item: str) -> bool:
        """Whether the server's ``value`` is covered by the client's ``item``."""
        return item == "*" or item.lower() == value.lower()

    def _match_index(self, value: str) -> int:
        """Index of the first (most specific) item covering ``value``, or -1."""
        for index, (item, _quality) in enumerate(self):
            if self._value_matches(value, item):
                return index
        return -1

    @t.overload
    def __getitem__(self, key: str) -> float: ...
    @t.overload
    def __getitem__(self, key: t.SupportsIndex) -> tuple[str, float]: ...
    @t.overload
    def __getitem__(self, key: slice) -> list[tuple[str, float]]: ...
    def __getitem__(
        self, key: str | t.SupportsIndex | slice
    ) -> float | tuple[str, float] | list[tuple[str, float]]:
        """Quality for a string key, else list indexing."""
        if isinstance(key, str):
            return self.quality(key)
        return list.__getitem__(self, key)

    def quality(self, key: str) -> float:
        """Quality the client gives ``key``; 0 if it is not accepted."""
        index = self._match_index(key)
        return 0 if index < 0 else list.__getitem__(self, index)[1]

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and self._match_index(value) >= 0

    def index(self, key: str | tuple[str, float], *args: t.SupportsIndex) -> int:
        """Position of the item covering ``key``; ValueError if none."""
        if isinstance(key, str):
            index = self._match_index(key)
            if index < 0:
                raise ValueError(key)
            return index
        return list.index(self, key, *args)

    def find(self, key: str | tuple[str, float]) -> int:
        """Position of the item covering ``key``, or -1."""
        try:
            return self.index(key)
        except ValueError:
            return -1

    def values(self) -> Iterator[str]:
        """Iterate over the values without qualities."""
        for item in self:
            yield item[0]

    def to_header(self) -> str:
        """Serialize back to a header value."""
        return ",".join(
            [
                value if quality == 1 else f"{value};q={quality}"
                for value, quality in self
            ]
        )

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        pairs = ", ".join(f"({value!r}, {quality})" for value, quality in self)
        return f"{type(self).__name__}([{pairs}])"

    def _best_single_match(self, match: str) -> tuple[str, float] | None:
        index = self._match_index(match)
        return None if index < 0 else list.__getitem__(self, index)

    @t.overload
    def best_match(self, matches: Iterable[str]) -> str | None: ...
    @t.overload
    def best_match(self, matches: Iterable[str], default: str) -> str: ...
    def best_match(
        self, matches: Iterable[str], default: str | None = None
    ) -> str | None:
        """Pick the server value the client prefers: highest quality, then
        most specific client item, then first in ``matches``. Quality 0
        excludes a value; ``default`` is returned if nothing matches.
        """
        result = default
        best_quality: float = -1
        best_specificity: tuple[bool, ...] = ()
        for server_item in matches:
            match = self._best_single_match(server_item)
            if match is None:
                continue
            client_item, quality = match
            if quality <= 0 or quality < best_quality:
                continue
            specificity = self._specificity(client_item)
            if quality > best_quality or specificity > best_specificity:
                result = server_item
                best_quality = quality
                best_specificity = specificity
        return result

    @property
    def best(self) -> str | None:
        """The client's most preferred value, or None if empty."""
        return list.__getitem__(self, 0)[0] if self else None

    # Immutability. PERF: the list stays a real list, so iteration and
    # len() run at C speed; only mutators are blocked.
    def __hash__(self) -> int:  # type: ignore[override]
        if self._hash is None:
            self._hash = hash(tuple(self))
        return self._hash

    def __reduce_ex__(self, protocol: t.SupportsIndex) -> t.Any:
        return type(self), (list(self),)

    def __setitem__(self, key: t.Any, value: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def __delitem__(self, key: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def __iadd__(self, other: t.Any) -> t.NoReturn:  # type: ignore[misc]
        _immutable_error(self)

    def __imul__(self, other: t.Any) -> t.NoReturn:  # type: ignore[misc]
        _immutable_error(self)

    def append(self, item: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def extend(self, iterable: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def insert(self, index: t.Any, item: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def remove(self, item: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def pop(self, index: t.Any = -1) -> t.NoReturn:
        _immutable_error(self)

    def clear(self) -> t.NoReturn:
        _immutable_error(self)

    def reverse(self) -> t.NoReturn:
        _immutable_error(self)

    def sort(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        _immutable_error(self)


def _split_mime(value: str) -> list[str]:
    """Split ``type/subtype; a=b`` at ``/`` and at ``;`` with its blanks.

    The same pieces as Werkzeug's ``/|[ \\t]*;[ \\t]*`` split, without a
    regex that backtracks over runs of blanks.
    """
    if ";" not in value:
        # PERF: most media ranges have no parameters.
        return value.split("/")
    pieces = value.split(";")
    last = len(pieces) - 1
    result: list[str] = []
    for number, piece in enumerate(pieces):
        if number:
            piece = piece.lstrip(" \t")
        if number < last:
            piece = piece.rstrip(" \t")
        result.extend(piece.split("/"))
    return result


_MimeParts = tuple[str, str, list[str]]


def _mime_parts(value: str) -> _MimeParts:
    pieces = _split_mime(value.lower())
    return pieces[0], pieces[1], sorted(pieces[2:])


def _server_mime_parts(value: str) -> _MimeParts:
    """Parse an application-supplied media range; ValueError if invalid."""
    if "/" not in value:
        raise ValueError(f"invalid mimetype {value!r}")
    parts = _mime_parts(value)
    if parts[0] == "*" and parts[1] != "*":
        raise ValueError(f"invalid mimetype {value!r}")
    return parts


def _mime_matches(value: _MimeParts, item: _MimeParts) -> bool:
    value_type, value_subtype, value_params = value
    item_type, item_subtype, item_params = item
    if item_type == "*":
        return item_subtype == "*"
    if value_type == "*" and value_subtype == "*":
        return True
    return item_type == value_type and (
        item_subtype == "*"
        or value_subtype == "*"
        or (item_subtype == value_subtype and item_params == value_params)
    )


class MIMEAccept(Accept):
    """:class:`Accept` for media types: ``*/*`` and ``text/*`` wildcards and
    parameters are matched. Asking about a value without ``/`` raises
    ValueError (it is a programming error).
    """

    __slots__ = ("_parsed",)

    def __init__(
        self, values: Accept | Iterable[tuple[str, float]] | None = ()
    ) -> None:
        super().__init__(values)
        self._parsed: list[_MimeParts | None] | None = None

    def _specificity(self, value: str) -> tuple[bool, ...]:
        return tuple([piece != "*" for piece in _split_mime(value)])

    def _value_matches(self, value: str, item: str) -> bool:
        if "/" not in item:
            return False
        return _mime_matches(_server_mime_parts(value), _mime_parts(item))

    def _match_index(self, value: str) -> int:
        # PERF: client items are split once per header, not once per query.
        parsed = self._parsed
        if parsed is None:
            parsed = self._parsed = [
                _mime_parts(item) if "/" in item else None for item, _q in self
            ]
        value_parts: _MimeParts | None = None
        for index, item_parts in enumerate(parsed):
            if item_parts is None:
                continue
            if value_parts is None:
                value_parts = _server_mime_parts(value)
            if _mime_matches(value_parts, item_parts):
                return index
        return -1

    @property
    def accept_html(self) -> bool:
        """True if the client accepts HTML (or XHTML)."""
        return self._match_index("text/html") >= 0 or self.accept_xhtml

    @property
    def accept_xhtml(self) -> bool:
        """True if the client accepts XHTML or XML."""
        return (
            self._match_index("application/xhtml+xml") >= 0
            or self._match_index("application/xml") >= 0
        )

    @property
    def accept_json(self) -> bool:
        """True if the client accepts JSON."""
        return self._match_index("application/json") >= 0


def _language_key(value: str) -> str:
    return value.lower().replace("_", "-")


def _primary_language(value: str) -> str:
    """The primary subtag: ``en`` of ``en-US`` or ``en_US``."""
    cut = len(value)
    for delimiter in "-_":
        found = value.find(delimiter, 0, cut)
        if found != -1:
            cut = found
    return value[:cut]


class LanguageAccept(Accept):
    """:class:`Accept` for language tags; ``en_US`` equals ``en-us``."""

    __slots__ = ()

    def _value_matches(self, value: str, item: str) -> bool:
        return item == "*" or _language_key(value) == _language_key(item)

    @t.overload
    def best_match(self, matches: Iterable[str]) -> str | None: ...
    @t.overload
    def best_match(self, matches: Iterable[str], default: str) -> str: ...
    def best_match(
        self, matches: Iterable[str], default: str | None = None
    ) -> str | None:
        """Like :meth:`Accept.best_match`, then fall back to primary tags:
        first the client's (``en-US`` accepts ``en``), then the server's
        (``en`` accepts ``en-US``, returning the server's full value).
        """
        matches = list(matches)
        result = super().best_match(matches)
        if result is not None:
            return result
        fallback = Accept([(_primary_language(item), q) for item, q in self])
        result = fallback.best_match(matches)
        if result is not None:
            return result
        result = super().best_match([_primary_language(item) for item in matches])
        if result is not None:
            return next(item for item in matches if item.startswith(result))
        return default


@functools.lru_cache(maxsize=256)
def _charset_key(name: str) -> str:
    if len(name) > 64:
        return name.lower()
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return name.lower()


class CharsetAccept(Accept):
    """:class:`Accept` for charsets; aliases match (``UTF8`` is ``utf-8``)."""

    __slots__ = ()

    def _value_matches(self, value: str, item: str) -> bool:
        return item == "*" or _charset_key(value) == _charset_key(item)
