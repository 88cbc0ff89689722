from __future__ import annotations

import copy
import operator
import pickle
import types
import typing as t

import pytest
from werkzeug import datastructures as wz

from hipflask.http.exceptions import BadRequest, BadRequestKeyError
from hipflask.http.multidict import (
    CallbackDict,
    CombinedMultiDict,
    ImmutableMultiDict,
    MultiDict,
    iter_multi_items,
)

PAIRS = [("a", "1"), ("b", "2"), ("a", "3")]


def multi(d: MultiDict[t.Any, t.Any]) -> list[tuple[t.Any, t.Any]]:
    return list(d.items(multi=True))


# -- construction ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (None, []),
        ([], []),
        (PAIRS, [("a", "1"), ("a", "3"), ("b", "2")]),
        (tuple(PAIRS), [("a", "1"), ("a", "3"), ("b", "2")]),
        ({"a": "1", "b": 2}, [("a", "1"), ("b", 2)]),
        (
            {"a": ["1", "2"], "b": ("3",), "c": {"4"}},
            [("a", "1"), ("a", "2"), ("b", "3"), ("c", "4")],
        ),
        ({"empty": [], "x": "y"}, [("x", "y")]),
        (types.MappingProxyType({"a": ["1", "2"]}), [("a", "1"), ("a", "2")]),
        (MultiDict(PAIRS), [("a", "1"), ("a", "3"), ("b", "2")]),
        (ImmutableMultiDict(PAIRS), [("a", "1"), ("a", "3"), ("b", "2")]),
        (
            CombinedMultiDict(
                [MultiDict([("a", "1")]), MultiDict([("a", "2"), ("b", "3")])]
            ),
            [("a", "1"), ("a", "2"), ("b", "3")],
        ),
    ],
)
def test_construction(source: t.Any, expected: list[tuple[str, t.Any]]) -> None:
    assert multi(MultiDict(source)) == expected
    assert multi(ImmutableMultiDict(source)) == expected


def test_empty_value_lists_do_not_create_keys() -> None:
    assert "empty" not in MultiDict({"empty": [], "x": "y"})
    assert "empty" not in ImmutableMultiDict({"empty": ()})


def test_construction_from_iterator() -> None:
    assert multi(MultiDict(iter(PAIRS))) == [("a", "1"), ("a", "3"), ("b", "2")]
    assert multi(ImmutableMultiDict(p for p in PAIRS)) == multi(MultiDict(PAIRS))


def test_construction_from_multidict_copies_lists() -> None:
    original = MultiDict(PAIRS)
    clone = MultiDict(original)
    clone.add("a", "new")
    assert original.getlist("a") == ["1", "3"]


@pytest.mark.parametrize("cls", [MultiDict, ImmutableMultiDict])
def test_from_lists_takes_over_the_lists(cls: type[MultiDict[str, str]]) -> None:
    # What the query and form parsers build (name -> values) becomes the storage.
    lists = {"a": ["1", "3"], "b": ["2"]}
    d = cls._from_lists(lists)
    assert type(d) is cls
    assert d == cls(PAIRS)
    assert multi(d) == multi(MultiDict(PAIRS))
    assert d.getlist("a") == ["1", "3"]
    assert dict.__getitem__(d, "a") is lists["a"]
    assert cls._from_lists({}) == cls()
    assert type(cls._from_lists({})) is cls


def test_from_lists_immutable_refuses_changes() -> None:
    d = ImmutableMultiDict._from_lists({"a": ["1"]})
    with pytest.raises(TypeError):
        d["a"] = "2"
    assert hash(d) == hash(ImmutableMultiDict([("a", "1")]))


def test_getitem_returns_first_value() -> None:
    d = MultiDict(PAIRS)
    assert d["a"] == "1"
    assert d["b"] == "2"


@pytest.mark.parametrize("key", ["missing", "", 0, ("a",)])
def test_getitem_missing_raises_bad_request_key_error(key: t.Any) -> None:
    d = MultiDict(PAIRS)
    with pytest.raises(BadRequestKeyError) as info:
        d[key]
    assert isinstance(info.value, KeyError)
    assert isinstance(info.value, BadRequest)
    assert info.value.code == 400
    assert info.value.args == (key,)


def test_getitem_of_empty_list_raises() -> None:
    d: MultiDict[str, str] = MultiDict()
    d.setlist("k", [])
    assert "k" in d
    with pytest.raises(BadRequestKeyError):
        d["k"]


def test_setitem_replaces_all_values() -> None:
    d = MultiDict(PAIRS)
    d["a"] = "x"
    assert d.getlist("a") == ["x"]


def test_dict_conversion_uses_first_values() -> None:
    assert dict(MultiDict(PAIRS)) == {"a": "1", "b": "2"}


# -- get / getlist -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "kwargs", "expected"),
    [
        ("a", {}, "1"),
        ("missing", {}, None),
        ("missing", {"default": "d"}, "d"),
        ("n", {"type": int}, 42),
        ("a", {"type": int}, 1),
        ("bad", {"type": int}, None),
        ("bad", {"default": -1, "type": int}, -1),
        ("missing", {"default": -1, "type": int}, -1),
        ("none", {"default": 7, "type": int}, 7),  # int(None) raises TypeError
    ],
)
def test_get(key: str, kwargs: dict[str, t.Any], expected: t.Any) -> None:
    d = MultiDict([("a", "1"), ("a", "x"), ("n", "42"), ("bad", "4x2"), ("none", None)])
    assert d.get(key, **kwargs) == expected


def test_get_with_empty_list_returns_default() -> None:
    d: MultiDict[str, str] = MultiDict()
    d.setlistdefault("k")
    assert d.get("k", "default") == "default"


def test_getlist() -> None:
    d = MultiDict([("n", "1"), ("n", "x"), ("n", "3"), ("n", None)])
    assert d.getlist("n") == ["1", "x", "3", None]
    assert d.getlist("n", type=int) == [1, 3]
    assert d.getlist("missing") == []
    assert d.getlist("missing", type=int) == []


def test_getlist_returns_a_copy() -> None:
    d = MultiDict(PAIRS)
    d.getlist("a").append("nope")
    assert d.getlist("a") == ["1", "3"]


# -- writing ---------------------------------------------------------------------------


def test_add_setlist_setdefault_setlistdefault() -> None:
    d: MultiDict[str, str] = MultiDict()
    d.add("a", "1")
    d.add("a", "2")
    assert d.getlist("a") == ["1", "2"]

    source = ["x", "y"]
    d.setlist("b", source)
    source.append("z")
    assert d.getlist("b") == ["x", "y"]

    assert d.setdefault("a", "ignored") == "1"
    assert d.setdefault("c", "new") == "new"
    assert d.getlist("c") == ["new"]
    assert d.setdefault("none") is None
    assert d.getlist("none") == [None]

    internal = d.setlistdefault("e", ["1"])
    internal.append("2")
    assert d.getlist("e") == ["1", "2"]
    assert d.setlistdefault("e", ["ignored"]) == ["1", "2"]
    assert d.setlistdefault("f") == []


def test_setdefault_on_empty_list_sets_default() -> None:
    d: MultiDict[str, str] = MultiDict()
    d.setlist("k", [])
    assert d.setdefault("k", "v") == "v"
    assert d["k"] == "v"


def test_update_adds_values_werkzeug_semantics() -> None:
    a = MultiDict({"x": 1})
    a.update(MultiDict({"x": 2, "y": 3}))
    assert multi(a) == [("x", 1), ("x", 2), ("y", 3)]
    a.update({"x": [4, 5], "z": []})
    assert a.getlist("x") == [1, 2, 4, 5]
    assert "z" not in a
    a.update([("y", 6)])
    assert a.getlist("y") == [3, 6]


def test_or_and_ior() -> None:
    d = MultiDict({"a": "1"})
    result = d | {"a": ["2", "3"], "b": "4"}
    assert type(result) is MultiDict
    assert multi(result) == [("a", "1"), ("a", "2"), ("a", "3"), ("b", "4")]
    assert multi(d) == [("a", "1")]

    same = d
    d |= [("a", "9")]
    assert d is same
    assert d.getlist("a") == ["1", "9"]

    with pytest.raises(TypeError):
        d | [("a", "1")]  # type: ignore[operator]
    with pytest.raises(TypeError):
        d |= 5  # type: ignore[arg-type]


def test_pop() -> None:
    d = MultiDict(PAIRS)
    assert d.pop("a") == "1"
    assert "a" not in d
    assert d.pop("a", "default") == "default"
    assert d.pop("a", None) is None
    with pytest.raises(BadRequestKeyError) as info:
        d.pop("a")
    assert info.value.args == ("a",)


def test_pop_empty_list() -> None:
    d: MultiDict[str, str] = MultiDict()
    d.setlist("k", [])
    assert d.pop("k", "default") == "default"
    d.setlist("k", [])
    with pytest.raises(BadRequestKeyError):
        d.pop("k")


def test_poplist_popitem_popitemlist() -> None:
    d = MultiDict(PAIRS)
    assert d.poplist("a") == ["1", "3"]
    assert d.poplist("a") == []
    assert d.popitem() == ("b", "2")
    with pytest.raises(BadRequestKeyError):
        d.popitem()
    d = MultiDict(PAIRS)
    assert d.popitemlist() == ("b", ["2"])
    assert d.popitemlist() == ("a", ["1", "3"])
    with pytest.raises(BadRequestKeyError):
        d.popitemlist()
    d.setlist("empty", [])
    with pytest.raises(BadRequestKeyError):
        d.popitem()


# -- views -----------------------------------------------------------------------------


def test_views() -> None:
    d = MultiDict(PAIRS)
    d.setlist("empty", [])
    assert list(d) == ["a", "b", "empty"]
    assert list(d.keys()) == ["a", "b", "empty"]
    assert len(d) == 3
    assert list(d.items()) == [("a", "1"), ("b", "2")]
    assert list(d.items(multi=True)) == [("a", "1"), ("a", "3"), ("b", "2")]
    assert list(d.values()) == ["1", "2"]
    assert list(d.listvalues()) == [["1", "3"], ["2"], []]
    assert list(d.lists()) == [("a", ["1", "3"]), ("b", ["2"]), ("empty", [])]
    assert d.to_dict() == {"a": "1", "b": "2"}
    assert d.to_dict(flat=False) == {"a": ["1", "3"], "b": ["2"], "empty": []}


def test_lists_are_copies() -> None:
    d = MultiDict(PAIRS)
    for _key, values in d.lists():
        values.append("x")
    d.to_dict(flat=False)["a"].append("y")
    assert d.getlist("a") == ["1", "3"]


def test_repr() -> None:
    assert repr(MultiDict([("a", "b")])) == "MultiDict([('a', 'b')])"
    assert repr(MultiDict()) == "MultiDict([])"
    assert repr(ImmutableMultiDict(PAIRS)) == (
        "ImmutableMultiDict([('a', '1'), ('a', '3'), ('b', '2')])"
    )


def test_fromkeys() -> None:
    d = MultiDict.fromkeys(["a", "b", "a"], "v")
    assert type(d) is MultiDict
    assert multi(d) == [("a", "v"), ("b", "v")]
    assert multi(MultiDict.fromkeys(["x"])) == [("x", None)]
    i = ImmutableMultiDict.fromkeys(["a"], 1)
    assert type(i) is ImmutableMultiDict
    assert multi(i) == [("a", 1)]


# -- copying and pickling --------------------------------------------------------------


def test_copy_is_shallow() -> None:
    value = ["mutable"]
    d = MultiDict([("a", value)])
    for clone in (d.copy(), copy.copy(d)):
        assert type(clone) is MultiDict
        assert clone == d
        assert clone["a"] is value
        clone.add("a", "other")
        assert d.getlist("a") == [value]


def test_deepcopy() -> None:
    value = ["mutable"]
    d = MultiDict([("a", value)])
    for clone in (d.deepcopy(), copy.deepcopy(d)):
        assert clone == d
        assert clone["a"] is not value


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("cls", [MultiDict, ImmutableMultiDict])
def test_pickle(cls: type[MultiDict[str, str]], protocol: int) -> None:
    d = cls(PAIRS)
    restored = pickle.loads(pickle.dumps(d, protocol))
    assert type(restored) is cls
    assert multi(restored) == multi(d)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_combined(protocol: int) -> None:
    c = CombinedMultiDict([MultiDict(PAIRS), MultiDict([("c", "4")])])
    restored = pickle.loads(pickle.dumps(c, protocol))
    assert type(restored) is CombinedMultiDict
    assert multi(restored) == multi(c)


def test_getstate_setstate() -> None:
    d = MultiDict(PAIRS)
    state = d.__getstate__()
    assert state == {"a": ["1", "3"], "b": ["2"]}
    other: MultiDict[str, str] = MultiDict([("zzz", "1")])
    other.__setstate__(state)
    assert multi(other) == multi(d)


def test_slots() -> None:
    assert not hasattr(MultiDict(), "__dict__")
    assert not hasattr(ImmutableMultiDict(), "__dict__")
    assert not hasattr(CombinedMultiDict(), "__dict__")


# -- ImmutableMultiDict ----------------------------------------------------------------

MUTATIONS: list[tuple[str, t.Callable[[t.Any], object]]] = [
    ("setitem", lambda d: d.__setitem__("a", "x")),
    ("delitem", lambda d: d.__delitem__("a")),
    ("add", lambda d: d.add("a", "x")),
    ("setlist", lambda d: d.setlist("a", ["x"])),
    ("setdefault", lambda d: d.setdefault("new", "x")),
    ("setlistdefault", lambda d: d.setlistdefault("new")),
    ("update", lambda d: d.update({"a": "x"})),
    ("ior", lambda d: d.__ior__({"a": "x"})),
    ("pop", lambda d: d.pop("a")),
    ("pop-default", lambda d: d.pop("missing", None)),
    ("poplist", lambda d: d.poplist("a")),
    ("popitem", lambda d: d.popitem()),
    ("popitemlist", lambda d: d.popitemlist()),
    ("clear", lambda d: d.clear()),
]


@pytest.mark.parametrize(("name", "mutate"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_immutable_multidict_refuses_mutation(
    name: str, mutate: t.Callable[[t.Any], object]
) -> None:
    d = ImmutableMultiDict(PAIRS)
    with pytest.raises(
        TypeError, match=r"^'ImmutableMultiDict' objects are immutable$"
    ):
        mutate(d)
    assert multi(d) == [("a", "1"), ("a", "3"), ("b", "2")]


def test_immutable_multidict_ior_statement() -> None:
    d = ImmutableMultiDict(PAIRS)
    with pytest.raises(TypeError, match="immutable"):
        d |= {"a": "x"}


def test_immutable_multidict_hash_and_copy() -> None:
    a = ImmutableMultiDict(PAIRS)
    b = ImmutableMultiDict(list(reversed(PAIRS)))
    assert hash(a) == hash(ImmutableMultiDict(PAIRS))
    assert a in {a}
    assert a != b  # value order within a key matters
    mutable = a.copy()
    assert type(mutable) is MultiDict
    mutable.add("a", "x")
    assert a.getlist("a") == ["1", "3"]
    assert copy.copy(a) is a
    deep = copy.deepcopy(a)
    assert type(deep) is ImmutableMultiDict
    assert deep == a
    merged = a | {"c": "4"}
    assert type(merged) is MultiDict
    assert merged.getlist("c") == ["4"]


# -- CombinedMultiDict -----------------------------------------------------------------


@pytest.fixture
def combined() -> CombinedMultiDict[str, str]:
    args = MultiDict([("a", "1"), ("n", "x"), ("a", "2")])
    form = MultiDict([("b", "3"), ("a", "4"), ("n", "5")])
    return CombinedMultiDict([args, form])


def test_combined_reading(combined: CombinedMultiDict[str, str]) -> None:
    assert combined["a"] == "1"
    assert combined["b"] == "3"
    with pytest.raises(BadRequestKeyError):
        combined["missing"]
    assert combined.get("missing", "d") == "d"
    assert combined.get("n") == "x"
    assert combined.get("n", type=int) == 5  # the first dict's value fails to convert
    assert combined.get("a", type=lambda v: int(v) * 10) == 10
    assert combined.getlist("a") == ["1", "2", "4"]
    assert combined.getlist("n", type=int) == [5]
    assert list(combined.keys()) == ["a", "n", "b"]
    assert list(combined) == ["a", "n", "b"]
    assert len(combined) == 3
    assert "b" in combined
    assert "missing" not in combined
    assert list(combined.items()) == [("a", "1"), ("n", "x"), ("b", "3")]
    assert list(combined.items(multi=True)) == [
        ("a", "1"),
        ("a", "2"),
        ("n", "x"),
        ("b", "3"),
        ("a", "4"),
        ("n", "5"),
    ]
    assert list(combined.values()) == ["1", "x", "3"]
    assert list(combined.lists()) == [
        ("a", ["1", "2", "4"]),
        ("n", ["x", "5"]),
        ("b", ["3"]),
    ]
    assert list(combined.listvalues()) == [["1", "2", "4"], ["x", "5"], ["3"]]
    assert combined.to_dict() == {"a": "1", "n": "x", "b": "3"}
    assert combined.to_dict(flat=False) == {
        "a": ["1", "2", "4"],
        "n": ["x", "5"],
        "b": ["3"],
    }
    assert dict(combined) == {"a": "1", "n": "x", "b": "3"}
    assert bool(combined)
    assert not CombinedMultiDict()
    assert len(combined.dicts) == 2


def test_combined_is_a_live_view(combined: CombinedMultiDict[str, str]) -> None:
    combined.dicts[1].add("new", "v")
    assert combined["new"] == "v"


def test_combined_copy(combined: CombinedMultiDict[str, str]) -> None:
    for snapshot in (combined.copy(), copy.copy(combined)):
        assert type(snapshot) is MultiDict
        assert snapshot.getlist("a") == ["1", "2", "4"]
        snapshot.add("a", "x")
        assert combined.getlist("a") == ["1", "2", "4"]
    deep = copy.deepcopy(combined)
    assert type(deep) is MultiDict
    assert deep.to_dict(flat=False) == combined.to_dict(flat=False)


def test_combined_equality_and_hash(combined: CombinedMultiDict[str, str]) -> None:
    assert combined == MultiDict(combined)
    assert MultiDict(combined) == combined
    assert combined == CombinedMultiDict(combined.dicts)
    assert combined != MultiDict()
    assert operator.ne(combined, CombinedMultiDict(combined.dicts)) is False
    assert hash(combined) == hash(CombinedMultiDict(combined.dicts))


@pytest.mark.parametrize(("name", "mutate"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_combined_refuses_mutation(
    combined: CombinedMultiDict[str, str],
    name: str,
    mutate: t.Callable[[t.Any], object],
) -> None:
    with pytest.raises(TypeError, match=r"^'CombinedMultiDict' objects are immutable$"):
        mutate(combined)


def test_combined_fromkeys_and_repr(combined: CombinedMultiDict[str, str]) -> None:
    with pytest.raises(TypeError, match="fromkeys"):
        CombinedMultiDict.fromkeys(["a"])
    assert repr(CombinedMultiDict([MultiDict([("a", "b")])])) == (
        "CombinedMultiDict([MultiDict([('a', 'b')])])"
    )


# -- iter_multi_items ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (MultiDict(PAIRS), [("a", "1"), ("a", "3"), ("b", "2")]),
        ({"a": ["1", "2"], "b": "3", "c": ()}, [("a", "1"), ("a", "2"), ("b", "3")]),
        (PAIRS, PAIRS),
        (iter(PAIRS), PAIRS),
    ],
)
def test_iter_multi_items(source: t.Any, expected: list[tuple[str, str]]) -> None:
    assert list(iter_multi_items(source)) == expected


# -- CallbackDict ----------------------------------------------------------------------


CALLBACK_CASES: list[tuple[str, t.Callable[[t.Any], object], int]] = [
    ("setitem", lambda d: d.__setitem__("x", 1), 1),
    ("delitem", lambda d: d.__delitem__("a"), 1),
    ("clear", lambda d: d.clear(), 1),
    ("popitem", lambda d: d.popitem(), 1),
    ("pop-present", lambda d: d.pop("a"), 1),
    ("pop-missing-default", lambda d: d.pop("missing", None), 0),
    ("setdefault-new", lambda d: d.setdefault("x", 1), 1),
    ("setdefault-present", lambda d: d.setdefault("a", 9), 0),
    ("update", lambda d: d.update({"x": 1}, y=2), 1),
    ("ior", lambda d: d.__ior__({"x": 1}), 1),
    ("get", lambda d: d.get("a"), 0),
    ("getitem", lambda d: d["a"], 0),
]


@pytest.mark.parametrize(
    ("name", "action", "calls"), CALLBACK_CASES, ids=[c[0] for c in CALLBACK_CASES]
)
def test_callback_dict(
    name: str, action: t.Callable[[t.Any], object], calls: int
) -> None:
    seen: list[object] = []
    d: CallbackDict[str, int] = CallbackDict({"a": 1}, seen.append)
    action(d)
    assert len(seen) == calls
    assert all(item is d for item in seen)


def test_callback_dict_basics() -> None:
    d: CallbackDict[str, int] = CallbackDict()
    assert d == {}
    assert d.on_update is None
    d["a"] = 1  # no callback: nothing to call
    assert repr(d) == "<CallbackDict {'a': 1}>"
    with pytest.raises(KeyError):
        d.pop("missing")
    assert d.setdefault("a", 5) == 1
    assert d.pop("a") == 1


# -- Werkzeug equivalence --------------------------------------------------------------

SCENARIOS: list[t.Callable[[t.Any], object]] = [
    lambda d: d.add("a", "x"),
    lambda d: d.update({"a": ["p", "q"], "z": "r"}),
    lambda d: d.update(d.__class__([("b", "s")])),
    lambda d: d.setlist("b", ["u", "v"]),
    lambda d: d.__setitem__("a", "w"),
    lambda d: d.setdefault("n", "new"),
    lambda d: d.poplist("b"),
    lambda d: d.pop("a"),
]


def test_matches_werkzeug_step_by_step() -> None:
    ours: MultiDict[str, str] = MultiDict(PAIRS)
    theirs: wz.MultiDict[str, str] = wz.MultiDict(PAIRS)
    for step in SCENARIOS:
        assert step(ours) == step(theirs)
        assert multi(ours) == list(theirs.items(multi=True))
        assert repr(ours) == repr(theirs)
        assert ours.to_dict() == theirs.to_dict()
        assert ours.to_dict(flat=False) == theirs.to_dict(flat=False)
        assert list(ours.values()) == list(theirs.values())


def test_combined_matches_werkzeug() -> None:
    dicts = [MultiDict([("a", "1"), ("b", "2")]), MultiDict([("a", "3"), ("c", "x")])]
    ours = CombinedMultiDict(dicts)
    theirs = wz.CombinedMultiDict([wz.MultiDict(d.items(multi=True)) for d in dicts])
    assert ours.getlist("a") == theirs.getlist("a")
    assert ours.get("c", type=int) == theirs.get("c", type=int)
    assert sorted(ours.keys()) == sorted(theirs.keys())
    assert list(ours.items(multi=True)) == list(theirs.items(multi=True))
    assert dict(ours.lists()) == dict(theirs.lists())
    assert ours.to_dict() == theirs.to_dict()


def test_werkzeug_multidicts_keep_all_values() -> None:
    theirs = wz.MultiDict([("a", "1"), ("a", "2"), ("b", "3")])
    assert multi(MultiDict(theirs)) == [("a", "1"), ("a", "2"), ("b", "3")]
    assert list(iter_multi_items(theirs)) == [("a", "1"), ("a", "2"), ("b", "3")]
    ours: MultiDict[str, str] = MultiDict()
    ours.update(theirs)
    assert ours.getlist("a") == ["1", "2"]
