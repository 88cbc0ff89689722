"""Dictionaries that keep several values per key, Werkzeug-compatible.

HTML forms and query strings may repeat a field (``?tag=a&tag=b``), so the request
data views are *multi dicts*: ``dict`` subclasses whose stored value for a key is the
list of every value received for it, in arrival order. The ordinary mapping API
reads the first value (``d["tag"] == "a"``); the ``*list`` methods see them all
(``d.getlist("tag") == ["a", "b"]``).

Storage invariant: the underlying ``dict`` maps each key to a ``list``. The only
way to store an empty list is ``setlist(key, [])`` or ``setlistdefault(key)``;
readers treat such a key as having no value (``d[key]`` raises, ``items()`` skips
it).

- :class:`MultiDict` is the mutable one; ``update()`` *adds* values, as in Werkzeug.
- :class:`ImmutableMultiDict` is what the request exposes (``args``, ``form``,
  ``files``): every mutator raises ``TypeError``, and it is hashable.
- :class:`CombinedMultiDict` is a read-only view over several multi dicts
  (``request.values`` = ``args`` then ``form``); its own ``dict`` storage stays
  empty and every reader walks ``dicts``.
- :class:`CallbackDict` is a plain ``dict`` that reports every change to an
  ``on_update`` callback (sessions use it to notice modification).

A missing key raises :class:`~hipflask.http.exceptions.BadRequestKeyError`, a
``KeyError`` that also renders as a 400 response, so ``request.form["x"]`` for an
absent field answers "400 Bad Request" rather than a 500.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable, Iterable, Iterator, Mapping
from copy import deepcopy as _deepcopy
from itertools import repeat

from .exceptions import BadRequestKeyError

if t.TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "CallbackDict",
    "CombinedMultiDict",
    "ImmutableMultiDict",
    "MultiDict",
    "iter_multi_items",
]

K = t.TypeVar("K")
V = t.TypeVar("V")
T = t.TypeVar("T")
D = t.TypeVar("D")

#: Marks "no default given" where ``None`` is a legitimate default.
_MISSING: t.Any = object()

# PERF: module-level aliases of the plain ``dict`` methods. Calling them skips the
# subclasses' first-value overrides (and a ``super()`` call) and reaches the stored
# lists directly. They are typed ``Any`` because the stored value type
# (``list[V]``) differs from the public one (``V``).
_dict_get: t.Any = dict.get
_dict_getitem: t.Any = dict.__getitem__
_dict_setitem: t.Any = dict.__setitem__
_dict_items: t.Any = dict.items
_dict_values: t.Any = dict.values
_dict_pop: t.Any = dict.pop
_dict_popitem: t.Any = dict.popitem
_dict_clear: t.Any = dict.clear
_dict_update: t.Any = dict.update

#: What the constructors and ``update`` accept.
MultiSource: t.TypeAlias = (
    "MultiDict[K, V] | Mapping[K, V | list[V] | tuple[V, ...] | set[V]]"
    " | Iterable[tuple[K, V]]"
)


def _is_foreign_multi(mapping: object) -> bool:
    """Tell whether ``mapping`` is another library's multi dict (Werkzeug's)."""
    return isinstance(mapping, Mapping) and callable(getattr(mapping, "getlist", None))


def iter_multi_items(mapping: MultiSource[K, V]) -> Iterator[tuple[K, V]]:
    """Yield every ``(key, value)`` pair of a multi dict, mapping or pair iterable.

    A plain mapping's list, tuple or set values count as several values. A foreign
    multi dict (one with ``getlist``, such as Werkzeug's) gives all its values.
    """
    if isinstance(mapping, MultiDict) or _is_foreign_multi(mapping):
        multi: t.Any = mapping
        yield from multi.items(multi=True)
    elif isinstance(mapping, Mapping):
        for key, value in mapping.items():
            if isinstance(value, (list, tuple, set)):
                for item in value:
                    yield key, item
            else:
                yield key, value
    else:
        yield from mapping


class MultiDict(dict[K, V]):
    """A ``dict`` holding a list of values per key; plain access sees the first.

    ``MultiDict([("a", "1"), ("a", "2")])["a"] == "1"``. Built from ``None``, a
    multi dict (all values kept), a mapping (list/tuple/set values mean several
    values, empty ones are skipped) or an iterable of ``(key, value)`` pairs.
    """

    __slots__ = ()

    @classmethod
    def _adopt(cls, source: MultiDict[K, V]) -> Self:
        """A new instance sharing ``source``'s value lists (no per-pair copy).

        For the framework's own freshly parsed dicts, which nothing else holds.
        """
        # PERF: dict.items() on the raw dict gives (key, list) pairs in C.
        new = cls.__new__(cls)
        dict.update(new, dict.items(source))
        return new

    @classmethod
    def _from_lists(cls, lists: dict[K, list[V]]) -> Self:
        """A new instance whose storage is ``lists`` (name -> non-empty list).

        For the framework's own parsers (``parse_qs_lists``), whose fresh dict
        nothing else holds; the lists are taken over, not copied.
        """
        new = cls.__new__(cls)
        if lists:
            _dict_update(new, lists)
        return new

    def __init__(self, mapping: MultiSource[K, V] | None = None) -> None:
        if mapping is None:
            return
        if type(mapping) is list or not isinstance(mapping, (dict, Mapping)):
            # PERF: the form and query parsers build multi dicts from pair lists.
            # Collecting into a plain dict (bound methods, no subclass dispatch)
            # and adopting it in one update is about a third faster; a list is
            # recognised before the slow ``Mapping`` ABC check.
            collected: dict[K, list[V]] = {}
            for key, value in mapping:
                if key in collected:
                    collected[key].append(value)
                else:
                    collected[key] = [value]
            _dict_update(self, collected)
        elif isinstance(mapping, MultiDict):
            for key, values in mapping.lists():
                _dict_setitem(self, key, values)
        elif _is_foreign_multi(mapping):
            foreign: t.Any = mapping
            for key in foreign:
                values = list(foreign.getlist(key))
                if values:
                    _dict_setitem(self, key, values)
        else:
            for key, value in mapping.items():
                if isinstance(value, (list, tuple, set)):
                    if value:
                        _dict_setitem(self, key, list(value))
                else:
                    _dict_setitem(self, key, [value])

    # -- pickling and copying ------------------------------------------------------

    def __getstate__(self) -> dict[K, list[V]]:
        return {key: list(values) for key, values in _dict_items(self)}

    def __setstate__(self, state: Mapping[K, list[V]]) -> None:
        _dict_clear(self)
        _dict_update(self, state)

    def __reduce_ex__(self, protocol: t.SupportsIndex) -> t.Any:
        # Rebuild empty, then restore the lists: the default dict protocol would
        # feed first values through ``__setitem__``, which immutable dicts refuse.
        return type(self), (), self.__getstate__()

    def copy(self) -> Self:
        """Return a shallow copy (the value lists are copied, not the values)."""
        return type(self)(self)

    def deepcopy(self, memo: dict[int, t.Any] | None = None) -> Self:
        """Return a deep copy."""
        return type(self)(_deepcopy(self.to_dict(flat=False), memo))

    def __copy__(self) -> Self:
        return self.copy()

    def __deepcopy__(self, memo: dict[int, t.Any]) -> Self:
        return self.deepcopy(memo)

    @classmethod
    def fromkeys(
        cls, keys: Iterable[t.Any], value: t.Any = None
    ) -> MultiDict[t.Any, t.Any]:
        """Return a new multi dict mapping each distinct key to ``[value]``."""
        return cls(zip(dict.fromkeys(keys), repeat(value)))

    # -- reading -------------------------------------------------------------------

    def __iter__(self) -> Iterator[K]:
        # Overriding __iter__ stops ``dict(md)`` from copying the stored lists
        # directly: CPython then goes through keys() and __getitem__ (first values).
        return dict.__iter__(self)

    def __getitem__(self, key: K) -> V:
        """Return the first value for ``key``; raise ``BadRequestKeyError`` if none."""
        try:
            values = _dict_getitem(self, key)
        except KeyError:
            raise BadRequestKeyError(key) from None
        if values:
            return values[0]  # type: ignore[no-any-return]
        raise BadRequestKeyError(key)

    @t.overload  # type: ignore[override]
    def get(self, key: K) -> V | None: ...
    @t.overload
    def get(self, key: K, default: V) -> V: ...
    @t.overload
    def get(self, key: K, default: T) -> V | T: ...
    @t.overload
    def get(self, key: K, *, type: Callable[[V], T]) -> T | None: ...
    @t.overload
    def get(self, key: K, default: D, type: Callable[[V], T]) -> T | D: ...

    def get(
        self,
        key: K,
        default: t.Any = None,
        type: Callable[[V], t.Any] | None = None,
    ) -> t.Any:
        """Return the first value for ``key``, or ``default``.

        With ``type``, return ``type(value)``; when that raises ``ValueError`` or
        ``TypeError`` the result is ``default``.
        """
        values = _dict_get(self, key)
        if not values:
            return default
        if type is None:
            return values[0]
        try:
            return type(values[0])
        except (ValueError, TypeError):
            return default

    @t.overload
    def getlist(self, key: K) -> list[V]: ...
    @t.overload
    def getlist(self, key: K, type: Callable[[V], T]) -> list[T]: ...

    def getlist(self, key: K, type: Callable[[V], t.Any] | None = None) -> list[t.Any]:
        """Return a new list of every value for ``key`` (empty if absent).

        With ``type``, values are converted; those whose conversion raises
        ``ValueError`` or ``TypeError`` are left out.
        """
        values = _dict_get(self, key)
        if not values:
            return []
        if type is None:
            return list(values)
        result = []
        for value in values:
            try:
                result.append(type(value))
            except (ValueError, TypeError):
                pass
        return result

    def items(self, multi: bool = False) -> Iterator[tuple[K, V]]:  # type: ignore[override]
        """Yield ``(key, first value)`` pairs; with ``multi``, one pair per value."""
        if multi:
            for key, values in _dict_items(self):
                for value in values:
                    yield key, value
        else:
            for key, values in _dict_items(self):
                if values:
                    yield key, values[0]

    def lists(self) -> Iterator[tuple[K, list[V]]]:
        """Yield ``(key, list of values)`` pairs; the lists are copies."""
        for key, values in _dict_items(self):
            yield key, list(values)

    def values(self) -> Iterator[V]:  # type: ignore[override]
        """Yield the first value of every key."""
        for values in _dict_values(self):
            if values:
                yield values[0]

    def listvalues(self) -> Iterable[list[V]]:
        """Return the stored value lists, in key order (not copies)."""
        return _dict_values(self)  # type: ignore[no-any-return]

    @t.overload
    def to_dict(self, flat: t.Literal[True] = ...) -> dict[K, V]: ...
    @t.overload
    def to_dict(self, flat: t.Literal[False]) -> dict[K, list[V]]: ...
    @t.overload
    def to_dict(self, flat: bool) -> dict[K, V] | dict[K, list[V]]: ...

    def to_dict(self, flat: bool = True) -> dict[K, V] | dict[K, list[V]]:
        """Return a plain dict: first values, or (``flat=False``) lists of values."""
        if flat:
            return {key: values[0] for key, values in _dict_items(self) if values}
        return dict(self.lists())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.items(multi=True))!r})"

    # -- writing -------------------------------------------------------------------

    def __setitem__(self, key: K, value: V) -> None:
        """Replace all values of ``key`` with ``value``."""
        _dict_setitem(self, key, [value])

    def add(self, key: K, value: V) -> None:
        """Append ``value`` to the values of ``key``."""
        values = _dict_get(self, key)
        if values is None:
            _dict_setitem(self, key, [value])
        else:
            values.append(value)

    def setlist(self, key: K, new_list: Iterable[V]) -> None:
        """Replace the values of ``key`` with a copy of ``new_list``."""
        _dict_setitem(self, key, list(new_list))

    @t.overload
    def setdefault(self, key: K) -> V | None: ...
    @t.overload
    def setdefault(self, key: K, default: V) -> V: ...

    def setdefault(self, key: K, default: V | None = None) -> V | None:
        """Return the first value of ``key``; if it has none, set it to ``default``."""
        values = _dict_get(self, key)
        if values:
            return values[0]  # type: ignore[no-any-return]
        _dict_setitem(self, key, [default])
        return default

    def setlistdefault(
        self, key: K, default_list: Iterable[V] | None = None
    ) -> list[V]:
        """Return the stored list of ``key`` (not a copy), creating it if absent."""
        values = _dict_get(self, key)
        if values is None:
            values = list(default_list or ())
            _dict_setitem(self, key, values)
        return values  # type: ignore[no-any-return]

    def update(self, mapping: MultiSource[K, V], /) -> None:  # type: ignore[override]
        """Add the values of ``mapping`` to this dict (existing values are kept)."""
        add = self.add
        for key, value in iter_multi_items(mapping):
            add(key, value)

    def __or__(  # type: ignore[override]
        self, other: Mapping[K, V | list[V] | tuple[V, ...] | set[V]]
    ) -> MultiDict[K, V]:
        if not isinstance(other, Mapping):
            return NotImplemented
        result: MultiDict[K, V] = self.copy()
        result.update(other)
        return result

    def __ior__(self, other: MultiSource[K, V]) -> Self:  # type: ignore[override]
        if not isinstance(other, (Mapping, Iterable)):
            return NotImplemented
        self.update(other)
        return self

    @t.overload
    def pop(self, key: K) -> V: ...
    @t.overload
    def pop(self, key: K, default: V) -> V: ...
    @t.overload
    def pop(self, key: K, default: T) -> V | T: ...

    def pop(self, key: K, default: t.Any = _MISSING) -> t.Any:
        """Remove ``key`` and return its first value (or ``default``)."""
        values = _dict_pop(self, key, None)
        if values:
            return values[0]
        if default is not _MISSING:
            return default
        raise BadRequestKeyError(key)

    def popitem(self) -> tuple[K, V]:
        """Remove the last inserted key; return it with its first value."""
        try:
            key, values = _dict_popitem(self)
        except KeyError as error:
            raise BadRequestKeyError(error.args[0]) from None
        if not values:
            raise BadRequestKeyError(key)
        return key, values[0]

    def poplist(self, key: K) -> list[V]:
        """Remove ``key`` and return its list of values (empty if absent)."""
        return _dict_pop(self, key, [])  # type: ignore[no-any-return]

    def popitemlist(self) -> tuple[K, list[V]]:
        """Remove the last inserted key; return it with its list of values."""
        try:
            return _dict_popitem(self)  # type: ignore[no-any-return]
        except KeyError as error:
            raise BadRequestKeyError(error.args[0]) from None


def _immutable(self: object) -> t.NoReturn:
    raise TypeError(f"{type(self).__name__!r} objects are immutable")


class ImmutableMultiDict(MultiDict[K, V]):
    """A :class:`MultiDict` that refuses changes (``TypeError``) and is hashable."""

    __slots__ = ("_hash_cache",)

    def __hash__(self) -> int:  # type: ignore[override]
        try:
            return self._hash_cache
        except AttributeError:
            self._hash_cache: int = hash(frozenset(self.items(multi=True)))
            return self._hash_cache

    def copy(self) -> MultiDict[K, V]:  # type: ignore[override]
        """Return a mutable :class:`MultiDict` with the same contents."""
        return MultiDict(self)

    def __copy__(self) -> Self:
        return self

    def __setitem__(self, key: K, value: V) -> t.NoReturn:
        _immutable(self)

    def __delitem__(self, key: K) -> t.NoReturn:
        _immutable(self)

    def add(self, key: K, value: V) -> t.NoReturn:
        _immutable(self)

    def setlist(self, key: K, new_list: Iterable[V]) -> t.NoReturn:
        _immutable(self)

    def setdefault(self, key: K, default: V | None = None) -> t.NoReturn:
        _immutable(self)

    def setlistdefault(
        self, key: K, default_list: Iterable[V] | None = None
    ) -> t.NoReturn:
        _immutable(self)

    def update(self, mapping: t.Any = None, /, **kwargs: t.Any) -> t.NoReturn:
        _immutable(self)

    def __ior__(self, other: t.Any) -> t.NoReturn:  # type: ignore[misc]
        _immutable(self)

    def pop(self, key: K, default: t.Any = _MISSING) -> t.NoReturn:
        _immutable(self)

    def popitem(self) -> t.NoReturn:
        _immutable(self)

    def poplist(self, key: K) -> t.NoReturn:
        _immutable(self)

    def popitemlist(self) -> t.NoReturn:
        _immutable(self)

    def clear(self) -> t.NoReturn:
        _immutable(self)


class CombinedMultiDict(ImmutableMultiDict[K, V]):
    """A read-only view over several multi dicts, searched in order.

    ``request.values`` is ``CombinedMultiDict([request.args, request.form])``.
    Reads see the wrapped dicts as they are now; ``getlist`` concatenates.
    """

    __slots__ = ("dicts",)

    def __init__(self, dicts: Iterable[MultiDict[K, V]] | None = None) -> None:
        self.dicts: list[MultiDict[K, V]] = list(dicts or ())

    def __reduce_ex__(self, protocol: t.SupportsIndex) -> t.Any:
        return type(self), (self.dicts,)

    @classmethod
    def fromkeys(cls, keys: t.Any, value: t.Any = None) -> t.NoReturn:
        raise TypeError(f"cannot create {cls.__name__!r} instances by fromkeys")

    def __getitem__(self, key: K) -> V:
        for d in self.dicts:
            if key in d:
                return d[key]
        raise BadRequestKeyError(key)

    def get(
        self,
        key: K,
        default: t.Any = None,
        type: Callable[[V], t.Any] | None = None,
    ) -> t.Any:
        """Return the first value found for ``key`` (converted by ``type``).

        A value whose conversion fails is skipped and the next dicts are tried.
        """
        for d in self.dicts:
            if key in d:
                if type is None:
                    return d[key]
                try:
                    return type(d[key])
                except (ValueError, TypeError):
                    continue
        return default

    def getlist(self, key: K, type: Callable[[V], t.Any] | None = None) -> list[t.Any]:
        """Return the values of ``key`` from every dict, concatenated."""
        result: list[t.Any] = []
        for d in self.dicts:
            result.extend(d.getlist(key, type))  # type: ignore[arg-type]
        return result

    def _key_dict(self) -> dict[K, None]:
        return dict.fromkeys(key for d in self.dicts for key in d)

    def keys(self) -> t.KeysView[K]:  # type: ignore[override]
        """Return the distinct keys, first-seen order."""
        return self._key_dict().keys()

    def __iter__(self) -> Iterator[K]:
        return iter(self._key_dict())

    def __len__(self) -> int:
        return len(self._key_dict())

    def __contains__(self, key: object) -> bool:
        return any(key in d for d in self.dicts)

    def items(self, multi: bool = False) -> Iterator[tuple[K, V]]:  # type: ignore[override]
        """Yield ``(key, first value)`` pairs; ``multi``: every pair of every dict."""
        if multi:
            for d in self.dicts:
                yield from d.items(multi=True)
            return
        seen: set[K] = set()
        for d in self.dicts:
            for key, value in d.items():
                if key not in seen:
                    seen.add(key)
                    yield key, value

    def values(self) -> Iterator[V]:  # type: ignore[override]
        return (pair[1] for pair in self.items())

    def lists(self) -> Iterator[tuple[K, list[V]]]:
        """Yield ``(key, values from every dict)`` pairs."""
        merged: dict[K, list[V]] = {}
        for d in self.dicts:
            for key, values in d.lists():
                existing = merged.get(key)
                if existing is None:
                    merged[key] = values
                else:
                    existing.extend(values)
        return iter(merged.items())

    def listvalues(self) -> Iterator[list[V]]:
        return (values for _key, values in self.lists())

    def to_dict(self, flat: bool = True) -> dict[K, V] | dict[K, list[V]]:  # type: ignore[override]
        if flat:
            return dict(self.items())
        return dict(self.lists())

    def copy(self) -> MultiDict[K, V]:  # type: ignore[override]
        """Return a mutable :class:`MultiDict` snapshot of the combined contents."""
        return MultiDict(self)

    def __copy__(self) -> MultiDict[K, V]:  # type: ignore[override]
        return self.copy()

    def deepcopy(self, memo: dict[int, t.Any] | None = None) -> MultiDict[K, V]:  # type: ignore[override]
        return MultiDict(_deepcopy(self.to_dict(flat=False), memo))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CombinedMultiDict):
            return dict(self.lists()) == dict(other.lists())
        if isinstance(other, MultiDict):
            # dict-to-dict comparison of the stored value lists.
            return dict(self.lists()) == other
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:  # type: ignore[override]
        # Not cached: the wrapped dicts may change.
        return hash(frozenset(self.items(multi=True)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.dicts!r})"


class CallbackDict(dict[K, V]):
    """A ``dict`` that calls ``on_update(self)`` after every change."""

    on_update: Callable[[Self], None] | None

    def __init__(
        self,
        initial: Mapping[K, V] | Iterable[tuple[K, V]] | None = None,
        on_update: Callable[[Self], None] | None = None,
    ) -> None:
        if initial is None:
            super().__init__()
        else:
            super().__init__(initial)
        self.on_update = on_update

    def _changed(self: Self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: K) -> None:
        super().__delitem__(key)
        self._changed()

    def clear(self) -> None:
        super().clear()
        self._changed()

    def popitem(self) -> tuple[K, V]:
        item = super().popitem()
        self._changed()
        return item

    @t.overload
    def pop(self, key: K) -> V: ...
    @t.overload
    def pop(self, key: K, default: V) -> V: ...
    @t.overload
    def pop(self, key: K, default: T) -> V | T: ...

    def pop(self, key: K, default: t.Any = _MISSING) -> t.Any:
        if key in self:
            value = super().pop(key)
            self._changed()
            return value
        if default is _MISSING:
            raise KeyError(key)
        return default

    def setdefault(self, key: K, default: V = None) -> V:  # type: ignore[assignment]
        if key in self:
            return super().__getitem__(key)
        super().__setitem__(key, default)
        self._changed()
        return default

    def update(self, *args: t.Any, **kwargs: V) -> None:
        super().update(*args, **kwargs)
        self._changed()

    def __ior__(self, other: t.Any) -> Self:  # type: ignore[override,misc]
        super().update(other)
        self._changed()
        return self

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"
