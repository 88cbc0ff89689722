"""Header field lists: :class:`Headers` and :class:`EnvironHeaders`.

Re-exported by :mod:`hipflask.http.datastructures`, the import location
applications know from Werkzeug.

:class:`Headers` keeps header fields as a plain list of ``(name, value)`` string
tuples in ``_list``: the shape WSGI's ``start_response`` and the ASGI adapter both
want, so a response hands it over without conversion. Order and repeated names are
preserved; lookups compare names case-insensitively by scanning the list, which
beats hashing for the handful of fields a message carries. Everything added through
the public API is converted to ``str`` and checked once, when added: a CR, LF or
NUL in a name or value raises ``ValueError`` (a header injection guard).
``Headers._from_trusted_list`` adopts a list the framework built itself, without
copying or checking it; ``Headers.from_asgi`` decodes an ASGI scope's raw headers.

:class:`EnvironHeaders` is a read-only ``Headers`` over a WSGI environ. Building it
costs nothing; a lookup maps the name to one environ key (``User-Agent`` ->
``HTTP_USER_AGENT``), and iteration renders names from environ keys as Werkzeug
does (``HTTP_X_FORWARDED_FOR`` -> ``X-Forwarded-For``).

Header parameters given as keyword arguments (``add("Content-Disposition",
"attachment", filename="a b.txt")``) are written as ``; name=value``, with the
value as a token when it can be one and a quoted-string otherwise (RFC 9110)::

    parameter       = parameter-name "=" parameter-value
    parameter-name  = token
    parameter-value = ( token / quoted-string )
    quoted-string   = DQUOTE *( qdtext / quoted-pair ) DQUOTE
    quoted-pair     = "\\" ( HTAB / SP / VCHAR / obs-text )
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable, Iterable, Iterator, Mapping

from ._native import new_instance, speedups
from .exceptions import BadRequestKeyError
from .header_syntax import quote_header_value
from .multidict import MultiDict, iter_multi_items

if t.TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["EnvironHeaders", "Headers"]

T = t.TypeVar("T")
D = t.TypeVar("D")

_MISSING: t.Any = object()


def _with_options(value: object, options: Mapping[str, object]) -> str:
    """Append ``; name=value`` parameters; ``None`` means a bare ``name``."""
    parts = [str(value)]
    for key, option in options.items():
        name = key.replace("_", "-")
        if option is None:
            parts.append(name)
        elif name.endswith("*"):
            # Already in RFC 8187 ext-value form (charset'lang'pct-encoded).
            parts.append(f"{name}={option}")
        else:
            parts.append(f"{name}={quote_header_value(option)}")
    return "; ".join(parts)


def _reject(what: str, text: str) -> t.NoReturn:
    if "\0" in text and "\r" not in text and "\n" not in text:
        raise ValueError(f"Header {what} must not contain NUL characters.")
    raise ValueError(f"Header {what} must not contain newline characters.")


def _checked(name: str, value: object) -> tuple[str, str]:
    """Return the ``(name, value)`` tuple to store, or raise if it is unsafe."""
    if not isinstance(name, str):
        raise TypeError(f"Header names must be str, not {type(name).__name__}.")
    # PERF: three substring tests beat a regex search about threefold here.
    if "\n" in name or "\r" in name or "\0" in name:
        _reject("names", name)
    text = value if isinstance(value, str) else str(value)
    if "\n" in text or "\r" in text or "\0" in text:
        _reject("values", text)
    return name, text


# PERF: header names seen by ``Headers.__setitem__``, memoised with their
# lowercase form; bounded, as names may come from clients.
_NAME_MEMO_LIMIT = 1024
#: name -> name.lower(), for str names that are ASCII with no CR, LF or NUL.
_LOWER_NAMES: dict[str, str] = {}


def _lower_name(name: str) -> str | None:
    """``name.lower()`` if ``name`` is ASCII and safe (then memoised), else None.

    ASCII matters to the callers: an ASCII name can only equal (ignoring case)
    a name of the same length, so they compare lengths before lowering.
    """
    if not name.isascii() or "\n" in name or "\r" in name or "\0" in name:
        return None
    if len(_LOWER_NAMES) >= _NAME_MEMO_LIMIT:
        _LOWER_NAMES.clear()
    lower = _LOWER_NAMES[name] = name.lower()
    return lower


#: The C version of ``__setitem__``'s adding of a new field, when built (it
#: answers None for what it leaves to the Python code).
_c_add_new_field: t.Callable[[list[tuple[str, str]], str, str], bool | None] | None = (
    speedups.add_new_field if speedups is not None else None
)


def _safe_text(text: str) -> bool:
    """Whether ``text`` has no CR, LF or NUL (a header value may not)."""
    return "\n" not in text and "\r" not in text and "\0" not in text


def _checked_pairs(pairs: Iterable[tuple[str, t.Any]]) -> list[tuple[str, str]]:
    """Return ``pairs`` as a list of checked ``(name, value)`` string tuples."""
    fields: list[tuple[str, str]] = []
    append = fields.append
    # PERF: the common case (str name and value, nothing to reject) runs inline.
    for name, value in pairs:
        if value.__class__ is not str:
            value = str(value)
        if (
            name.__class__ is not str
            or "\n" in name
            or "\r" in name
            or "\0" in name
            or "\n" in value
            or "\r" in value
            or "\0" in value
        ):
            append(_checked(name, value))
        else:
            append((name, value))
    return fields


def _as_lists(mapping: Mapping[str, t.Any]) -> Iterator[tuple[str, Iterable[t.Any]]]:
    """Yield ``(name, values)``: list, tuple and set values are several values."""
    for key, value in mapping.items():
        if isinstance(value, (list, tuple, set)):
            yield key, value
        else:
            yield key, (value,)


def _immutable(self: object) -> t.NoReturn:
    raise TypeError(f"{type(self).__name__!r} objects are immutable")


#: What ``Headers(...)``, ``extend`` and ``update`` accept.
HeaderSource: t.TypeAlias = (
    "Headers | MultiDict[str, t.Any] | Mapping[str, t.Any]"
    " | Iterable[tuple[str, t.Any]]"
)


def _join_repeated(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Merge fields sent more than once into one field, in first-seen order."""
    joined: dict[str, list[str]] = {}
    for name, value in items:
        joined.setdefault(name, []).append(value)
    return [
        (name, ("; " if name == "Cookie" else ", ").join(values))
        for name, values in joined.items()
    ]


class Headers:
    """An ordered list of ``(name, value)`` header fields, looked up by name.

    Names are case-insensitive for lookup and kept as given. A name may repeat.
    Iterating yields ``(name, value)`` tuples. A missing name raises
    :class:`~hipflask.http.exceptions.BadRequestKeyError` (a ``KeyError``).
    """

    __slots__ = ("_list",)

    def __init__(self, defaults: HeaderSource | None = None) -> None:
        if defaults is None:
            self._list: list[tuple[str, str]] = []
        elif type(defaults) is Headers:
            # PERF: already checked when they were added.
            self._list = list(defaults._list)
        elif type(defaults) is list:
            self._list = _checked_pairs(defaults)
        else:
            self._list = []
            self.extend(defaults)

    @classmethod
    def _from_trusted_list(cls, items: list[tuple[str, str]]) -> Headers:
        """Adopt ``items`` as the field list, without copying or checking it."""
        headers = new_instance(cls)
        headers._list = items
        return headers

    @classmethod
    def from_asgi(cls, raw: Iterable[tuple[bytes, bytes]]) -> Headers:
        """Build headers from an ASGI scope's ``headers`` (latin-1 byte pairs).

        Names are title-cased (``content-type`` -> ``Content-Type``), as the WSGI
        environ view renders them, and repeated fields are joined into one, as
        WSGI servers join them (``Cookie`` with ``"; "``, others with ``", "``),
        so a request reads the same under both protocols.
        """
        # PERF: the server has already parsed and validated these.
        items = [
            (name.decode("latin-1").title(), value.decode("latin-1"))
            for name, value in raw
        ]
        names = {name for name, _ in items}
        if len(names) != len(items):
            items = _join_repeated(items)
        return cls._from_trusted_list(items)

    def _spawn(self, items: list[tuple[str, str]]) -> Headers:
        if type(self) is Headers:
            return Headers._from_trusted_list(items)
        return type(self)(items)

    def _find(self, key: str) -> str | None:
        """Return the first value for ``key`` or ``None``."""
        ikey = key.lower()
        if key.isascii():
            # PERF: a length check is far cheaper than lower() and rules out most
            # fields; exact for ASCII keys, as lowering keeps an ASCII length.
            size = len(key)
            for name, value in self._list:
                if len(name) == size and name.lower() == ikey:
                    return value
        else:
            for name, value in self._list:
                if name.lower() == ikey:
                    return value
        return None

    # -- reading -------------------------------------------------------------------

    @t.overload
    def __getitem__(self, key: str) -> str: ...
    @t.overload
    def __getitem__(self, key: int) -> tuple[str, str]: ...
    @t.overload
    def __getitem__(self, key: slice) -> Headers: ...

    def __getitem__(self, key: str | int | slice) -> str | tuple[str, str] | Headers:
        """Return the first value of a name, the field at an index, or a slice."""
        if isinstance(key, str):
            value = self._find(key)
            if value is None:
                raise BadRequestKeyError(key)
            return value
        if isinstance(key, int):
            return self._list[key]
        if isinstance(key, slice):
            return self._spawn(self._list[key])
        raise TypeError(
            f"Header keys must be str, int or slice, not {type(key).__name__}."
        )

    @t.overload
    def get(self, key: str) -> str | None: ...
    @t.overload
    def get(self, key: str, default: str) -> str: ...
    @t.overload
    def get(self, key: str, default: T) -> str | T: ...
    @t.overload
    def get(self, key: str, *, type: Callable[[str], T]) -> T | None: ...
    @t.overload
    def get(self, key: str, default: D, type: Callable[[str], T]) -> T | D: ...

    def get(
        self,
        key: str,
        default: t.Any = None,
        type: Callable[[str], t.Any] | None = None,
    ) -> t.Any:
        """Return the first value for ``key``, or ``default``.

        With ``type``, return ``type(value)``; when that raises ``ValueError`` or
        ``TypeError`` the result is ``default``.
        """
        value = self._find(key)
        if value is None:
            return default
        if type is None:
            return value
        try:
            return type(value)
        except (ValueError, TypeError):
            return default

    @t.overload
    def getlist(self, key: str) -> list[str]: ...
    @t.overload
    def getlist(self, key: str, type: Callable[[str], T]) -> list[T]: ...

    def getlist(
        self, key: str, type: Callable[[str], t.Any] | None = None
    ) -> list[t.Any]:
        """Return every value for ``key`` (converted by ``type``, failures skipped)."""
        ikey = key.lower()
        values = [value for name, value in self._list if name.lower() == ikey]
        if type is None:
            return values
        result = []
        for value in values:
            try:
                result.append(type(value))
            except (ValueError, TypeError):
                pass
        return result

    def get_all(self, name: str) -> list[str]:
        """Return every value for ``name`` (``wsgiref.headers`` spelling)."""
        return self.getlist(name)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._find(key) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._list)

    def __len__(self) -> int:
        return len(self._list)

    def keys(self, lower: bool = False) -> Iterator[str]:
        """Yield each field's name (lowercased with ``lower``), repeats included."""
        if lower:
            return (name.lower() for name, _value in self._list)
        return (name for name, _value in self._list)

    def values(self) -> Iterator[str]:
        """Yield each field's value."""
        return (value for _name, value in self._list)

    def items(self, lower: bool = False) -> Iterator[tuple[str, str]]:
        """Yield ``(name, value)`` tuples (names lowercased with ``lower``)."""
        if lower:
            return ((name.lower(), value) for name, value in self._list)
        return iter(list(self._list))

    def to_wsgi_list(self) -> list[tuple[str, str]]:
        """Return the fields as a new list of ``(name, value)`` tuples."""
        return list(self._list)

    def copy(self) -> Headers:
        """Return a copy with its own field list."""
        return self._spawn(list(self._list))

    def __copy__(self) -> Headers:
        return self.copy()

    def __eq__(self, other: object) -> bool:
        # As Werkzeug: same class, same fields regardless of order and name case.
        if other.__class__ is not self.__class__:
            return NotImplemented
        mine = {(name.lower(), value) for name, value in self._list}
        theirs = {(name.lower(), value) for name, value in other._list}
        return mine == theirs

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        """Return the fields as HTTP header lines plus the terminating blank line."""
        lines = [f"{name}: {value}\r\n" for name, value in self._list]
        lines.append("\r\n")
        return "".join(lines)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)!r})"

    # -- writing -------------------------------------------------------------------

    def add(self, key: str, value: t.Any, /, **options: t.Any) -> None:
        """Append a field; keyword arguments become ``; name=value`` parameters.

        Underscores in parameter names become dashes; a ``None`` value adds the bare
        name; values that are not tokens are quoted.
        """
        if options:
            value = _with_options(value, options)
        elif value.__class__ is not str:
            value = str(value)
        # PERF: the common case skips the call to _checked.
        if (
            key.__class__ is str
            and "\n" not in key
            and "\r" not in key
            and "\0" not in key
            and "\n" not in value
            and "\r" not in value
            and "\0" not in value
        ):
            self._list.append((key, value))
        else:
            self._list.append(_checked(key, value))

    def add_header(self, key: str, value: t.Any, /, **options: t.Any) -> None:
        """Same as :meth:`add` (``wsgiref.headers`` spelling)."""
        self.add(key, value, **options)

    def set(self, key: str, value: t.Any, /, **options: t.Any) -> None:
        """Replace the first field named ``key`` in place and drop the others.

        Appends the field when ``key`` is absent. Options work as in :meth:`add`.
        """
        if options:
            value = _with_options(value, options)
        self._replace(key, [_checked(key, value)])

    def _replace(self, key: str, items: list[tuple[str, str]]) -> None:
        """Put ``items`` (checked) in place of the fields named ``key``.

        The first item takes the position of the first such field (or is appended),
        later ones are appended, and the other old fields are dropped.
        """
        if not items:
            self.remove(key)
            return
        fields = self._list
        ikey = key.lower()
        size = len(key) if key.isascii() else -1  # length filter, see _find
        first = -1
        repeated = False
        for index, (name, _value) in enumerate(fields):
            if (size < 0 or len(name) == size) and name.lower() == ikey:
                if first >= 0:
                    repeated = True
                    break
                first = index
        if first < 0:
            fields.extend(items)
            return
        fields[first] = items[0]
        if repeated:
            rest = fields[first + 1 :]
            fields[first + 1 :] = [f for f in rest if f[0].lower() != ikey]
        if len(items) > 1:
            fields.extend(items[1:])

    def setlist(self, key: str, values: Iterable[t.Any]) -> None:
        """Replace the fields named ``key`` with one per value (none: remove)."""
        self._replace(key, _checked_pairs([(key, value) for value in values]))

    def setdefault(self, key: str, default: t.Any) -> str:
        """Return the first value for ``key``; if absent, set it to ``default``."""
        value = self._find(key)
        if value is not None:
            return value
        item = _checked(key, default)
        self._list.append(item)
        return item[1]

    def setlistdefault(self, key: str, default: Iterable[t.Any]) -> list[str]:
        """Return the values for ``key``; if absent, set them from ``default``.

        The returned list is a copy: changing it does not change the headers.
        """
        if key not in self:
            self.setlist(key, default)
        return self.getlist(key)

    def extend(self, arg: HeaderSource | None = None, /, **kwargs: t.Any) -> None:
        """Add every field of ``arg`` and ``kwargs``, keeping existing ones."""
        if arg is not None:
            if type(arg) is Headers:
                self._list.extend(arg._list)
            elif type(arg) is list:
                self._list.extend(_checked_pairs(arg))
            else:
                self._list.extend(_checked_pairs(iter_multi_items(arg)))
        if kwargs:
            self._list.extend(_checked_pairs(iter_multi_items(kwargs)))

    def update(self, arg: HeaderSource | None = None, /, **kwargs: t.Any) -> None:
        """Replace the fields of every name found in ``arg`` and ``kwargs``.

        A name's values in a multi dict, in ``Headers``, or given as a list, tuple or
        set replace all its fields; from a pair iterable, the last pair wins.
        """
        plan: list[tuple[str, Iterable[t.Any]]] = []
        if arg is not None:
            if isinstance(arg, (Headers, MultiDict)) or callable(
                getattr(arg, "getlist", None)  # Werkzeug's MultiDict and Headers
            ):
                multi: t.Any = arg
                plan.extend(
                    (key, multi.getlist(key)) for key in dict.fromkeys(multi.keys())
                )
            elif isinstance(arg, Mapping):
                plan.extend(_as_lists(arg))
            else:
                plan.extend((key, (value,)) for key, value in arg)
        plan.extend(_as_lists(kwargs))
        # Check everything before changing anything.
        checked = [
            (key, _checked_pairs([(key, value) for value in values]))
            for key, values in plan
        ]
        for key, items in checked:
            self._replace(key, items)

    def __or__(self, other: Mapping[str, t.Any]) -> Headers:
        if not isinstance(other, Mapping):
            return NotImplemented
        result = self.copy()
        result.update(other)
        return result

    def __ior__(self, other: Mapping[str, t.Any] | Iterable[tuple[str, t.Any]]) -> Self:
        if not isinstance(other, (Mapping, Iterable)):
            return NotImplemented
        self.update(other)
        return self

    @t.overload
    def __setitem__(self, key: str, value: t.Any) -> None: ...
    @t.overload
    def __setitem__(self, key: int, value: tuple[str, t.Any]) -> None: ...
    @t.overload
    def __setitem__(self, key: slice, value: Iterable[tuple[str, t.Any]]) -> None: ...

    def __setitem__(self, key: t.Any, value: t.Any) -> None:
        """Set a name (as :meth:`set`), or replace the field(s) at an index or slice."""
        if type(value) is str:
            if _c_add_new_field is not None:
                # PERF: the common spelling's usual case (a new, safe field) in C.
                added = _c_add_new_field(self._list, key, value)
                if added:
                    return
                if added is not None:  # a field of that name is there
                    self._replace(key, [(key, value)])
                    return
            # PERF: ``headers["X-Name"] = "value"``, the common spelling. A name
            # seen before is known safe and ASCII, with its lowercase form, from
            # one subscript; a printable value has no CR, LF or NUL. A new name
            # (the usual case) is then found absent in one scan that lowers only
            # the names of its length, and appended.
            try:
                ikey: str | None = _LOWER_NAMES[key]
            except (KeyError, TypeError):  # not seen yet; unhashable (a slice)
                ikey = _lower_name(key) if type(key) is str else None
            if ikey is not None and (value.isprintable() or _safe_text(value)):
                size = len(key)
                fields = self._list
                for name, _value in fields:
                    if len(name) == size and name.lower() == ikey:
                        break
                else:
                    fields.append((key, value))
                    return
                self._replace(key, [(key, value)])
                return
        if isinstance(key, str):
            self.set(key, value)  # raises for an unsafe name or value
        elif isinstance(key, int):
            name, text = value
            self._list[key] = _checked(name, text)
        else:
            self._list[key] = [_checked(name, text) for name, text in value]

    def __delitem__(self, key: str | int | slice) -> None:
        """Remove every field with a name, or the field(s) at an index or slice."""
        if isinstance(key, str):
            self.remove(key)
        else:
            del self._list[key]

    def remove(self, key: str) -> None:
        """Remove every field named ``key`` (no error when there is none)."""
        ikey = key.lower()
        self._list[:] = [field for field in self._list if field[0].lower() != ikey]

    @t.overload
    def pop(self) -> tuple[str, str]: ...
    @t.overload
    def pop(self, key: int) -> tuple[str, str]: ...
    @t.overload
    def pop(self, key: str) -> str: ...
    @t.overload
    def pop(self, key: str, default: T) -> str | T: ...

    def pop(self, key: str | int | None = None, default: t.Any = _MISSING) -> t.Any:
        """Remove and return: the last field, the field at an index, or a name.

        For a name, every field with it is removed and the first value returned;
        a missing name returns ``default`` or raises ``BadRequestKeyError``.
        """
        if key is None:
            return self._list.pop()
        if isinstance(key, int):
            return self._list.pop(key)
        value = self._find(key)
        if value is None:
            if default is _MISSING:
                raise BadRequestKeyError(key)
            return default
        self.remove(key)
        return value

    def popitem(self) -> tuple[str, str]:
        """Remove and return the last field."""
        return self._list.pop()

    def clear(self) -> None:
        """Remove every field."""
        self._list.clear()


#: ``Headers.__setitem__`` in Python. When the C helpers are built, their
#: ``headers_setitem`` takes its place on the class: the same steps for a str
#: value, without a Python frame (PERF: the usual ``headers[name] = value``),
#: and this method for everything else.
PYTHON_SETITEM = Headers.__setitem__
if speedups is not None:
    speedups.configure_headers(PYTHON_SETITEM)
    type.__setattr__(Headers, "__setitem__", speedups.headers_setitem)


# PERF: EnvironHeaders memoises its two string conversions, which otherwise cost
# more than the dict lookups they feed. Clients choose header names, so each memo
# is emptied when it grows past a bound.
_MEMO_LIMIT = 1024
#: lookup name -> environ key ("User-Agent" -> "HTTP_USER_AGENT").
_ENVIRON_KEYS: dict[str, str] = {}
#: environ key -> field name ("HTTP_USER_AGENT" -> "User-Agent"), "" if not one.
_FIELD_NAMES: dict[str, str] = {}
_BODY_FIELDS = frozenset({"Content-Type", "Content-Length"})


def _environ_key(name: str) -> str:
    key = name.upper().replace("-", "_")
    if key not in {"CONTENT_TYPE", "CONTENT_LENGTH"}:
        key = "HTTP_" + key
    if len(_ENVIRON_KEYS) >= _MEMO_LIMIT:
        _ENVIRON_KEYS.clear()
    _ENVIRON_KEYS[name] = key
    return key


def _field_name(key: str) -> str:
    # Some servers repeat the body headers as HTTP_*; the CGI keys win.
    if not isinstance(key, str) or key in {"HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"}:
        return ""
    if key.startswith("HTTP_"):
        name = key[5:].replace("_", "-").title()
    elif key in {"CONTENT_TYPE", "CONTENT_LENGTH"}:
        name = key.replace("_", "-").title()
    else:
        name = ""
    if len(_FIELD_NAMES) >= _MEMO_LIMIT:
        _FIELD_NAMES.clear()
    _FIELD_NAMES[key] = name
    return name


class EnvironHeaders(Headers):
    """A read-only :class:`Headers` view of a WSGI environ's request headers.

    Fields are the ``HTTP_*`` keys plus non-empty ``CONTENT_TYPE`` and
    ``CONTENT_LENGTH``. Reads always reflect the environ as it is now.
    """

    __slots__ = ("environ",)

    def __init__(self, environ: Mapping[str, t.Any]) -> None:
        self.environ = environ

    @property
    def _list(self) -> list[tuple[str, str]]:
        # The inherited readers see a freshly rendered list of the environ.
        return list(self.__iter__())

    @_list.setter
    def _list(self, value: list[tuple[str, str]]) -> None:
        _immutable(self)

    @classmethod
    def _from_trusted_list(cls, items: list[tuple[str, str]]) -> Headers:
        return Headers._from_trusted_list(items)

    def _spawn(self, items: list[tuple[str, str]]) -> Headers:
        return Headers._from_trusted_list(items)

    def _find(self, key: str) -> str | None:
        try:
            environ_key = _ENVIRON_KEYS.get(key)
        except TypeError:  # unhashable
            return None
        if environ_key is None:
            if not isinstance(key, str):
                return None
            environ_key = _environ_key(key)
        value: str | None = self.environ.get(environ_key)
        if value == "" and not environ_key.startswith("HTTP_"):
            return None  # an empty CONTENT_TYPE / CONTENT_LENGTH means absent
        return value

    def __iter__(self) -> Iterator[tuple[str, str]]:
        names = _FIELD_NAMES
        for key, value in self.environ.items():
            name = names.get(key)
            if name is None:
                name = _field_name(key)
            if name and (value or name not in _BODY_FIELDS):
                yield name, value

    def __len__(self) -> int:
        return sum(1 for _field in self)

    def getlist(
        self, key: str, type: Callable[[str], t.Any] | None = None
    ) -> list[t.Any]:
        value = self._find(key)
        if value is None:
            return []
        if type is None:
            return [value]
        try:
            return [type(value)]
        except (ValueError, TypeError):
            return []

    def items(self, lower: bool = False) -> Iterator[tuple[str, str]]:
        if lower:
            return ((name.lower(), value) for name, value in self)
        return iter(self)

    def copy(self) -> Headers:
        """Return a mutable :class:`Headers` snapshot of the environ's headers."""
        return Headers._from_trusted_list(list(self))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EnvironHeaders):
            return NotImplemented
        return self.environ is other.environ

    __hash__ = None

    def add(self, key: str, value: t.Any, /, **options: t.Any) -> t.NoReturn:
        _immutable(self)

    def add_header(self, key: str, value: t.Any, /, **options: t.Any) -> t.NoReturn:
        _immutable(self)

    def set(self, key: str, value: t.Any, /, **options: t.Any) -> t.NoReturn:
        _immutable(self)

    def setlist(self, key: str, values: Iterable[t.Any]) -> t.NoReturn:
        _immutable(self)

    def setdefault(self, key: str, default: t.Any) -> t.NoReturn:
        _immutable(self)

    def setlistdefault(self, key: str, default: Iterable[t.Any]) -> t.NoReturn:
        _immutable(self)

    def extend(self, arg: t.Any = None, /, **kwargs: t.Any) -> t.NoReturn:
        _immutable(self)

    def update(self, arg: t.Any = None, /, **kwargs: t.Any) -> t.NoReturn:
        _immutable(self)

    def __ior__(self, other: t.Any) -> t.NoReturn:  # type: ignore[misc]
        _immutable(self)

    def __setitem__(self, key: t.Any, value: t.Any) -> t.NoReturn:
        _immutable(self)

    def __delitem__(self, key: t.Any) -> t.NoReturn:
        _immutable(self)

    def remove(self, key: str) -> t.NoReturn:
        _immutable(self)

    def pop(self, key: t.Any = None, default: t.Any = _MISSING) -> t.NoReturn:
        _immutable(self)

    def popitem(self) -> t.NoReturn:
        _immutable(self)

    def clear(self) -> t.NoReturn:
        _immutable(self)
