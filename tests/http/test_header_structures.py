from __future__ import annotations

import copy
import typing as t
from collections.abc import Iterator, Mapping

import pytest
from werkzeug import datastructures as wz

from hipflask.http import header_structures
from hipflask.http.exceptions import BadRequestKeyError
from hipflask.http.header_structures import EnvironHeaders, Headers
from hipflask.http.multidict import MultiDict

FIELDS = [("Content-Type", "text/html"), ("X-Tag", "a"), ("x-tag", "b")]


def fields(headers: Headers) -> list[tuple[str, str]]:
    return list(headers)


# -- construction ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (None, []),
        ([], []),
        (FIELDS, FIELDS),
        (tuple(FIELDS), FIELDS),
        (
            {"A": "1", "B": ["2", "3"], "C": 4},
            [("A", "1"), ("B", "2"), ("B", "3"), ("C", "4")],
        ),
        (MultiDict([("A", "1"), ("A", 2)]), [("A", "1"), ("A", "2")]),
        (Headers(FIELDS), FIELDS),
        (
            EnvironHeaders({"HTTP_HOST": "h", "CONTENT_TYPE": "t/p"}),
            [("Host", "h"), ("Content-Type", "t/p")],
        ),
    ],
)
def test_construction(source: t.Any, expected: list[tuple[str, str]]) -> None:
    assert fields(Headers(source)) == expected


def test_construction_copies_the_list() -> None:
    source = Headers(FIELDS)
    copy_ = Headers(source)
    copy_.add("New", "1")
    assert fields(source) == FIELDS
    given = list(FIELDS)
    Headers(given).add("New", "1")
    assert given == FIELDS


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (1, "1"),
        (1.5, "1.5"),
        (None, "None"),
        (True, "True"),
        (b"x", "b'x'"),
        ("s", "s"),
    ],
)
def test_values_are_converted_with_str(value: object, stored: str) -> None:
    h = Headers([("A", value)])
    h.add("B", value)
    h.set("C", value)
    h["D"] = value
    assert fields(h) == [("A", stored), ("B", stored), ("C", stored), ("D", stored)]


def test_from_trusted_list_adopts_the_list() -> None:
    items = [("A", "1")]
    h = Headers._from_trusted_list(items)
    assert type(h) is Headers
    assert h._list is items
    h.add("B", "2")
    assert items == [("A", "1"), ("B", "2")]


def test_from_asgi() -> None:
    raw = [
        (b"host", b"example.com"),
        (b"x-name", "caf\xe9".encode("latin-1")),
        (b"x-name", b"2"),
    ]
    h = Headers.from_asgi(raw)
    assert type(h) is Headers
    # Names are title-cased and repeated fields joined, as a WSGI server does.
    assert fields(h) == [
        ("Host", "example.com"),
        ("X-Name", "caf\xe9, 2"),
    ]
    assert h["Host"] == "example.com"
    assert h.getlist("X-NAME") == ["caf\xe9, 2"]
    assert fields(Headers.from_asgi([])) == []
    # HTTP/2 sends cookies as several fields; they join with "; ".
    cookies = Headers.from_asgi([(b"cookie", b"a=1"), (b"cookie", b"b=2")])
    assert fields(cookies) == [("Cookie", "a=1; b=2")]


# -- reading ---------------------------------------------------------------------------


def test_getitem() -> None:
    h = Headers(FIELDS)
    assert h["content-type"] == "text/html"
    assert h["X-TAG"] == "a"
    assert h[0] == ("Content-Type", "text/html")
    assert h[-1] == ("x-tag", "b")
    sliced = h[1:]
    assert type(sliced) is Headers
    assert fields(sliced) == FIELDS[1:]
    with pytest.raises(IndexError):
        h[10]
    with pytest.raises(TypeError, match="Header keys must be str, int or slice"):
        h[1.5]  # type: ignore[call-overload]


@pytest.mark.parametrize("key", ["missing", "", "Content-Typ", "Content-Type-X"])
def test_getitem_missing(key: str) -> None:
    with pytest.raises(BadRequestKeyError) as info:
        Headers(FIELDS)[key]
    assert info.value.args == (key,)
    assert isinstance(info.value, KeyError)


def test_non_ascii_names_compare_case_insensitively() -> None:
    h = Headers([("X-\xc9t\xe9", "1"), ("\u0130", "2")])
    assert h["x-\xe9t\xe9"] == "1"
    assert h.get("\u0130".lower()) == "2"
    assert h.get("i") is None


@pytest.mark.parametrize(
    ("key", "kwargs", "expected"),
    [
        ("Content-Length", {}, "42"),
        ("content-length", {"type": int}, 42),
        ("missing", {}, None),
        ("missing", {"default": "d"}, "d"),
        ("x-bad", {"type": int}, None),
        ("x-bad", {"default": -1, "type": int}, -1),
    ],
)
def test_get(key: str, kwargs: dict[str, t.Any], expected: t.Any) -> None:
    h = Headers([("Content-Length", "42"), ("X-Bad", "4x"), ("X-Tag", "a")])
    assert h.get(key, **kwargs) == expected


def test_get_type_error_gives_default() -> None:
    def conversion(value: str) -> int:
        raise TypeError(value)

    assert Headers(FIELDS).get("X-Tag", "d", type=conversion) == "d"


def test_getlist_and_get_all() -> None:
    h = Headers([("N", "1"), ("n", "x"), ("Other", "0"), ("N", "3")])
    assert h.getlist("n") == ["1", "x", "3"]
    assert h.getlist("N", type=int) == [1, 3]
    assert h.getlist("missing") == []
    assert h.get_all("N") == ["1", "x", "3"]


def test_views() -> None:
    h = Headers(FIELDS)
    assert "content-TYPE" in h
    assert "missing" not in h
    assert 1 not in h
    assert ("Content-Type", "text/html") not in h
    assert list(h) == FIELDS
    assert len(h) == 3
    assert list(h.keys()) == ["Content-Type", "X-Tag", "x-tag"]
    assert list(h.keys(lower=True)) == ["content-type", "x-tag", "x-tag"]
    assert list(h.values()) == ["text/html", "a", "b"]
    assert list(h.items()) == FIELDS
    assert list(h.items(lower=True)) == [
        ("content-type", "text/html"),
        ("x-tag", "a"),
        ("x-tag", "b"),
    ]
    wsgi = h.to_wsgi_list()
    assert wsgi == FIELDS
    wsgi.append(("Changed", "1"))
    assert len(h) == 3


def test_items_can_be_iterated_while_changing() -> None:
    h = Headers(FIELDS)
    for name, value in h.items():
        h.add(name + "-Copy", value)
        h.remove(name)
    assert list(h.keys()) == ["Content-Type-Copy", "X-Tag-Copy", "x-tag-Copy"]


def test_str_and_repr() -> None:
    h = Headers([("A", "1"), ("B", "2")])
    assert str(h) == "A: 1\r\nB: 2\r\n\r\n"
    assert str(Headers()) == "\r\n"
    assert repr(h) == "Headers([('A', '1'), ('B', '2')])"


def test_equality() -> None:
    h = Headers(FIELDS)
    assert h == Headers(list(reversed(FIELDS)))
    assert h == Headers([(name.upper(), value) for name, value in FIELDS])
    assert h != Headers(FIELDS[:2])
    assert h != Headers([("Content-Type", "TEXT/HTML"), *FIELDS[1:]])
    assert h != FIELDS
    with pytest.raises(TypeError, match="unhashable"):
        hash(h)


def test_copy() -> None:
    h = Headers(FIELDS)
    for clone in (h.copy(), copy.copy(h)):
        assert type(clone) is Headers
        assert clone == h
        clone.add("X", "1")
        assert "X" not in h


def test_subclass_copy_and_slice_keep_the_class() -> None:
    class MyHeaders(Headers):
        __slots__ = ()

    h = MyHeaders(FIELDS)
    assert type(h.copy()) is MyHeaders
    assert type(h[:1]) is MyHeaders


# -- writing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "options", "expected"),
    [
        ("attachment", {"filename": "a.txt"}, "attachment; filename=a.txt"),
        ("attachment", {"filename": "a b.txt"}, 'attachment; filename="a b.txt"'),
        (
            "attachment",
            {"filename": 'say "hi"\\'},
            'attachment; filename="say \\"hi\\"\\\\"',
        ),
        ("attachment", {"filename": ""}, 'attachment; filename=""'),
        ("text/plain", {"charset": "utf-8"}, "text/plain; charset=utf-8"),
        ("v", {"max_age": 5}, "v; max-age=5"),
        ("v", {"flag": None}, "v; flag"),
        ("v", {"a": 1, "b": None, "c": "x;y"}, 'v; a=1; b; c="x;y"'),
        (
            "attachment",
            {"filename*": "UTF-8''a%20b"},
            "attachment; filename*=UTF-8''a%20b",
        ),
        (7, {"q": "1"}, "7; q=1"),
    ],
)
def test_add_with_options(
    value: object, options: dict[str, t.Any], expected: str
) -> None:
    h = Headers()
    h.add("X", value, **options)
    h.add_header("Y", value, **options)
    h.set("Z", value, **options)
    assert fields(h) == [("X", expected), ("Y", expected), ("Z", expected)]


def test_add_keeps_existing() -> None:
    h = Headers(FIELDS)
    h.add("X-TAG", "c")
    assert h.getlist("x-tag") == ["a", "b", "c"]
    assert h[-1] == ("X-TAG", "c")


def test_set_replaces_first_in_place_and_removes_the_rest() -> None:
    h = Headers([("A", "1"), ("X-Tag", "a"), ("B", "2"), ("x-tag", "b"), ("C", "3")])
    h.set("X-TAG", "new")
    assert fields(h) == [("A", "1"), ("X-TAG", "new"), ("B", "2"), ("C", "3")]
    h.set("D", "4")
    assert h[-1] == ("D", "4")
    h.set("a", "one")
    assert h[0] == ("a", "one")
    empty = Headers()
    empty.set("A", "1")
    assert fields(empty) == [("A", "1")]


def test_set_with_non_ascii_key() -> None:
    h = Headers([("\u0130", "1"), ("x", "2"), ("\u0130", "3")])
    h.set("\u0130", "new")
    assert fields(h) == [("\u0130", "new"), ("x", "2")]


def test_setitem() -> None:
    h = Headers(FIELDS)
    h["x-tag"] = "only"
    assert fields(h) == [("Content-Type", "text/html"), ("x-tag", "only")]
    h[0] = ("Content-Length", 5)
    assert h[0] == ("Content-Length", "5")
    h[0:1] = [("A", 1), ("B", "2")]
    assert fields(h) == [("A", "1"), ("B", "2"), ("x-tag", "only")]


def test_setitem_new_and_existing_names() -> None:
    # Names of one length, in several cases: only a case-insensitive match counts.
    h = Headers([("Content-Type", "text/plain"), ("X-After-3", "3"), ("Vary", "A")])
    h["X-After-2"] = "2"
    h["X-After-1"] = "1"
    assert [name for name, _ in h] == [
        "Content-Type",
        "X-After-3",
        "Vary",
        "X-After-2",
        "X-After-1",
    ]
    h.add("x-after-3", "again")
    h["X-AFTER-3"] = "new"  # first one replaced in place, the repeat dropped
    h["x-after-1"] = "one"  # a name seen before, in another case
    assert fields(h) == [
        ("Content-Type", "text/plain"),
        ("X-AFTER-3", "new"),
        ("Vary", "A"),
        ("X-After-2", "2"),
        ("x-after-1", "one"),
    ]


def test_setitem_matches_set_for_unusual_names() -> None:
    class Name(str):
        pass

    cases: list[tuple[list[tuple[str, str]], str]] = [
        ([("\u212a-Tag", "kelvin"), ("A", "1")], "K-TAG"),  # KELVIN SIGN lowers to k
        ([("\u0130", "1"), ("x", "2"), ("\u0130", "3")], "\u0130"),  # lowers longer
        ([("X-Tag", "1")], Name("x-tag")),
        ([("X-Tag", "1")], ""),
        ([("", "1"), ("X-Tag", "1")], ""),
    ]
    for items, key in cases:
        by_set = Headers(items)
        by_set.set(key, "new")
        by_item = Headers(items)
        by_item[key] = "new"
        assert fields(by_item) == fields(by_set)
    kelvin = Headers([("\u212a-Tag", "kelvin"), ("A", "1")])
    kelvin["K-TAG"] = "new"
    assert fields(kelvin) == [("K-TAG", "new"), ("A", "1")]


def test_setitem_checks_names_it_has_seen_before() -> None:
    h = Headers()
    h["X-Seen"] = "tab\there caf\xe9 \u2603"  # not printable, still safe
    with pytest.raises(ValueError, match="values must not contain newline"):
        h["X-Seen"] = "a\r\nb"
    with pytest.raises(ValueError, match="values must not contain NUL"):
        h["X-Seen"] = "a\0b"
    assert fields(h) == [("X-Seen", "tab\there caf\xe9 \u2603")]


def test_setitem_name_memo_stays_bounded() -> None:
    limit = header_structures._NAME_MEMO_LIMIT
    h = Headers()
    for i in range(limit * 2):
        h[f"X-{i}"] = "v"
    assert len(h) == limit * 2
    assert len(header_structures._LOWER_NAMES) <= limit
    h["x-0"] = "w"
    assert h[0] == ("x-0", "w")


def test_setdefault() -> None:
    h = Headers(FIELDS)
    assert h.setdefault("x-tag", "ignored") == "a"
    assert h.setdefault("New", 5) == "5"
    assert h[-1] == ("New", "5")


def test_setlist_and_setlistdefault() -> None:
    h = Headers([("A", "0"), ("X", "1"), ("B", "0"), ("x", "2")])
    h.setlist("X", ["a", "b", "c"])
    assert fields(h) == [("A", "0"), ("X", "a"), ("B", "0"), ("X", "b"), ("X", "c")]
    h.setlist("X", iter([]))
    assert fields(h) == [("A", "0"), ("B", "0")]
    h.setlist("Y", (v for v in ["1", "2"]))
    assert h.getlist("y") == ["1", "2"]
    result = h.setlistdefault("y", ["ignored"])
    assert result == ["1", "2"]
    result.append("3")
    assert h.getlist("y") == ["1", "2"]
    assert h.setlistdefault("Z", [1, 2]) == ["1", "2"]


def test_extend() -> None:
    h = Headers([("A", "1")])
    h.extend([("A", "2")], B="3")
    h.extend({"C": ["4", "5"]})
    h.extend(MultiDict([("D", "6"), ("D", "7")]))
    h.extend(Headers([("A", "8")]))
    h.extend()
    assert fields(h) == [
        ("A", "1"),
        ("A", "2"),
        ("B", "3"),
        ("C", "4"),
        ("C", "5"),
        ("D", "6"),
        ("D", "7"),
        ("A", "8"),
    ]


UPDATE_CASES: list[tuple[t.Any, dict[str, t.Any]]] = [
    ({"x-tag": "z"}, {}),
    ({"X-Tag": ["p", "q"], "New": ("1", "2")}, {}),
    ([("x-tag", "1"), ("X-TAG", "2"), ("Other", "3")], {}),
    (None, {"X_Tag": "kw", "Other": ["k1", "k2"]}),
    ("multidict", {}),
    ("headers", {}),
    ({"Content-Type": set()}, {}),
]


@pytest.mark.parametrize(("arg", "kwargs"), UPDATE_CASES)
def test_update_matches_werkzeug(arg: t.Any, kwargs: dict[str, t.Any]) -> None:
    ours = Headers(FIELDS)
    theirs = wz.Headers(FIELDS)
    if arg == "multidict":
        ours.update(MultiDict([("X-Tag", "m1"), ("X-Tag", "m2")]))
        theirs.update(wz.MultiDict([("X-Tag", "m1"), ("X-Tag", "m2")]))
    elif arg == "headers":
        ours.update(Headers([("x-tag", "h1"), ("x-tag", "h2"), ("N", "1")]))
        theirs.update(wz.Headers([("x-tag", "h1"), ("x-tag", "h2"), ("N", "1")]))
    else:
        ours.update(arg, **kwargs)
        theirs.update(arg, **kwargs)
    assert fields(ours) == list(theirs)


def test_or_and_ior() -> None:
    h = Headers(FIELDS)
    merged = h | {"X-Tag": "new"}
    assert fields(merged) == [("Content-Type", "text/html"), ("X-Tag", "new")]
    assert fields(h) == FIELDS
    same = h
    h |= [("content-type", "text/plain")]
    assert h is same
    assert h["Content-Type"] == "text/plain"
    with pytest.raises(TypeError):
        h | [("a", "b")]  # type: ignore[operator]


def test_remove_and_delitem() -> None:
    h = Headers(FIELDS)
    fields_before = h._list
    h.remove("X-TAG")
    assert fields(h) == FIELDS[:1]
    assert h._list is fields_before
    h.remove("missing")
    h = Headers(FIELDS)
    del h["x-tag"]
    assert fields(h) == FIELDS[:1]
    h = Headers(FIELDS)
    del h[0]
    assert fields(h) == FIELDS[1:]
    del h[:]
    assert fields(h) == []


def test_pop() -> None:
    h = Headers([*FIELDS, ("Last", "z")])
    assert h.pop() == ("Last", "z")
    assert h.pop(0) == ("Content-Type", "text/html")
    assert h.pop("X-TAG") == "a"
    assert fields(h) == []
    assert h.pop("x-tag", "default") == "default"
    with pytest.raises(BadRequestKeyError):
        h.pop("x-tag")
    with pytest.raises(IndexError):
        h.pop()


def test_popitem_and_clear() -> None:
    h = Headers(FIELDS)
    assert h.popitem() == ("x-tag", "b")
    h.clear()
    assert len(h) == 0
    with pytest.raises(IndexError):
        h.popitem()


# -- header injection guard ------------------------------------------------------------

BAD_VALUES = [
    ("a\nb", "newline"),
    ("a\rb", "newline"),
    ("a\r\nSet-Cookie: x=y", "newline"),
    ("\n", "newline"),
    ("trailing\n", "newline"),
    ("a\0b", "NUL"),
    ("\0", "NUL"),
    ("a\0\nb", "newline"),
]

WRITERS: list[tuple[str, t.Callable[[Headers, str, str], object]]] = [
    ("constructor", lambda h, n, v: Headers([(n, v)])),
    ("constructor-dict", lambda h, n, v: Headers({n: v})),
    ("add", lambda h, n, v: h.add(n, v)),
    ("add-option", lambda h, n, v: h.add(n, "x", param=v) if n == "X" else h.add(n, v)),
    ("add_header", lambda h, n, v: h.add_header(n, v)),
    ("set", lambda h, n, v: h.set(n, v)),
    ("setitem-name", lambda h, n, v: h.__setitem__(n, v)),
    ("setitem-index", lambda h, n, v: h.__setitem__(0, (n, v))),
    ("setitem-slice", lambda h, n, v: h.__setitem__(slice(0, 1), [(n, v)])),
    ("setdefault", lambda h, n, v: h.setdefault(n, v)),
    ("setlist", lambda h, n, v: h.setlist(n, ["ok", v])),
    ("setlistdefault", lambda h, n, v: h.setlistdefault(n, [v])),
    ("extend", lambda h, n, v: h.extend([(n, v)])),
    ("extend-mapping", lambda h, n, v: h.extend({n: [v]})),
    ("update", lambda h, n, v: h.update({n: v})),
    ("update-pairs", lambda h, n, v: h.update([(n, v)])),
]


@pytest.mark.parametrize(("writer_name", "write"), WRITERS, ids=[w[0] for w in WRITERS])
@pytest.mark.parametrize(("value", "kind"), BAD_VALUES)
def test_bad_values_are_rejected(
    writer_name: str,
    write: t.Callable[[Headers, str, str], object],
    value: str,
    kind: str,
) -> None:
    h = Headers([("Keep", "1")])
    with pytest.raises(
        ValueError, match=rf"^Header values must not contain {kind} characters\.$"
    ):
        write(h, "X", value)
    assert fields(h) == [("Keep", "1")]


@pytest.mark.parametrize(("writer_name", "write"), WRITERS, ids=[w[0] for w in WRITERS])
@pytest.mark.parametrize(("name", "kind"), BAD_VALUES)
def test_bad_names_are_rejected(
    writer_name: str,
    write: t.Callable[[Headers, str, str], object],
    name: str,
    kind: str,
) -> None:
    h = Headers([("Keep", "1")])
    with pytest.raises(
        ValueError, match=rf"^Header names must not contain {kind} characters\.$"
    ):
        write(h, name, "ok")
    assert fields(h) == [("Keep", "1")]


@pytest.mark.parametrize("name", [b"X", 1, None, ("X",)])
def test_non_str_names_are_rejected(name: t.Any) -> None:
    with pytest.raises(TypeError, match=r"^Header names must be str, not "):
        Headers().add(name, "v")
    with pytest.raises(TypeError, match=r"^Header names must be str, not "):
        Headers([(name, "v")])


def test_allowed_characters() -> None:
    value = 'tab\there, latin-1 caf\xe9, unicode \u2603, quote " and ; = ,'
    h = Headers([("X", value)])
    assert h["x"] == value


def test_werkzeug_also_rejects_newlines() -> None:
    for value in ("a\nb", "a\rb"):
        with pytest.raises(ValueError):
            wz.Headers([("X", value)])
        with pytest.raises(ValueError):
            Headers([("X", value)])


# -- EnvironHeaders --------------------------------------------------------------------

ENVIRON: dict[str, t.Any] = {
    "REQUEST_METHOD": "GET",
    "PATH_INFO": "/",
    "SERVER_NAME": "localhost",
    "wsgi.input": object(),
    "HTTP_HOST": "example.com",
    "HTTP_USER_AGENT": "curl/8",
    "HTTP_X_FORWARDED_FOR": "1.2.3.4",
    "HTTP_ACCEPT_ENCODING": "gzip",
    "HTTP_X_EMPTY": "",
    "HTTP_X_2FA_TOKEN": "t",
    "CONTENT_TYPE": "text/plain",
    "CONTENT_LENGTH": "",
    "HTTP_CONTENT_TYPE": "ignored",
    "HTTP_CONTENT_LENGTH": "ignored",
}


@pytest.fixture
def environ_headers() -> EnvironHeaders:
    return EnvironHeaders(dict(ENVIRON))


def test_environ_headers_iteration(environ_headers: EnvironHeaders) -> None:
    assert list(environ_headers) == [
        ("Host", "example.com"),
        ("User-Agent", "curl/8"),
        ("X-Forwarded-For", "1.2.3.4"),
        ("Accept-Encoding", "gzip"),
        ("X-Empty", ""),
        ("X-2Fa-Token", "t"),
        ("Content-Type", "text/plain"),
    ]
    assert len(environ_headers) == 7
    assert isinstance(environ_headers, Headers)


def test_environ_headers_match_werkzeug(environ_headers: EnvironHeaders) -> None:
    theirs = wz.EnvironHeaders(environ_headers.environ)  # type: ignore[arg-type]
    assert list(environ_headers) == list(theirs)
    assert len(environ_headers) == len(theirs)
    for name in ("user-agent", "X_Forwarded_For", "HOST", "X-Empty", "Content-Type"):
        assert environ_headers[name] == theirs[name]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("User-Agent", "curl/8"),
        ("user-agent", "curl/8"),
        ("USER_AGENT", "curl/8"),
        ("x-forwarded-for", "1.2.3.4"),
        ("Content-Type", "text/plain"),
        ("content_type", "text/plain"),
        ("X-Empty", ""),
        ("Content-Length", None),  # empty CONTENT_LENGTH counts as absent
        ("Missing", None),
        ("", None),
        ("HTTP_HOST", None),
        ("Request-Method", None),
        (1, None),
        (("tuple",), None),
        (["unhashable"], None),
    ],
)
def test_environ_headers_lookup(
    environ_headers: EnvironHeaders, key: t.Any, expected: str | None
) -> None:
    assert environ_headers.get(key) == expected
    assert (key in environ_headers) is (expected is not None)
    if expected is None:
        if isinstance(key, str):
            with pytest.raises(BadRequestKeyError):
                environ_headers[key]
        assert environ_headers.getlist(key) == []
    else:
        assert environ_headers[key] == expected
        assert environ_headers.getlist(key) == [expected]


def test_environ_headers_reading_api(environ_headers: EnvironHeaders) -> None:
    environ_headers.environ["HTTP_X_NUMBER"] = "12"
    assert environ_headers.get("X-Number", type=int) == 12
    assert environ_headers.get("Host", -1, type=int) == -1
    assert environ_headers.getlist("X-Number", type=int) == [12]
    assert environ_headers.getlist("Host", type=int) == []
    assert environ_headers.get_all("host") == ["example.com"]
    assert list(environ_headers.keys())[:2] == ["Host", "User-Agent"]
    assert list(environ_headers.keys(lower=True))[:2] == ["host", "user-agent"]
    assert list(environ_headers.values())[:2] == ["example.com", "curl/8"]
    assert next(iter(environ_headers.items())) == ("Host", "example.com")
    assert next(iter(environ_headers.items(lower=True))) == ("host", "example.com")
    assert environ_headers[0] == ("Host", "example.com")
    sliced = environ_headers[:2]
    assert type(sliced) is Headers
    assert fields(sliced) == [("Host", "example.com"), ("User-Agent", "curl/8")]
    assert environ_headers.to_wsgi_list()[0] == ("Host", "example.com")
    assert str(environ_headers).startswith(
        "Host: example.com\r\nUser-Agent: curl/8\r\n"
    )
    assert repr(environ_headers).startswith("EnvironHeaders([('Host', 'example.com'), ")


def test_environ_headers_copy(environ_headers: EnvironHeaders) -> None:
    for snapshot in (environ_headers.copy(), copy.copy(environ_headers)):
        assert type(snapshot) is Headers
        assert fields(snapshot) == list(environ_headers)
        snapshot.add("X-New", "1")
        assert "X-New" not in environ_headers
    assert Headers(environ_headers) == environ_headers.copy()
    merged = environ_headers | {"Host": "other"}
    assert type(merged) is Headers
    assert merged["host"] == "other"


def test_environ_headers_equality(environ_headers: EnvironHeaders) -> None:
    assert environ_headers == EnvironHeaders(environ_headers.environ)
    assert environ_headers != EnvironHeaders(dict(environ_headers.environ))
    assert environ_headers != environ_headers.copy()
    with pytest.raises(TypeError, match="unhashable"):
        hash(environ_headers)


def test_environ_headers_is_a_live_view(environ_headers: EnvironHeaders) -> None:
    environ_headers.environ["HTTP_X_LATE"] = "yes"
    del environ_headers.environ["HTTP_HOST"]
    assert environ_headers["x-late"] == "yes"
    assert "Host" not in environ_headers
    assert ("X-Late", "yes") in list(environ_headers)


class _LookupOnlyEnviron(Mapping[str, str]):
    """An environ that fails if anyone walks it."""

    def __init__(self, data: dict[str, str]) -> None:
        self.data = data

    def __getitem__(self, key: str) -> str:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("the environ was iterated")

    def __len__(self) -> int:
        raise AssertionError("the environ was measured")

    def items(self) -> t.Any:
        raise AssertionError("the environ was iterated")


def test_environ_headers_construction_and_lookup_do_not_walk_the_environ() -> None:
    headers = EnvironHeaders(
        _LookupOnlyEnviron({"HTTP_HOST": "h", "CONTENT_TYPE": "x/y"})
    )
    assert headers["Host"] == "h"
    assert headers.get("content-type") == "x/y"
    assert "Accept" not in headers
    assert headers.getlist("HOST") == ["h"]


ENVIRON_MUTATIONS: list[tuple[str, t.Callable[[t.Any], object]]] = [
    ("add", lambda h: h.add("A", "1")),
    ("add_header", lambda h: h.add_header("A", "1")),
    ("set", lambda h: h.set("Host", "1")),
    ("setlist", lambda h: h.setlist("Host", ["1"])),
    ("setdefault", lambda h: h.setdefault("A", "1")),
    ("setlistdefault", lambda h: h.setlistdefault("A", ["1"])),
    ("extend", lambda h: h.extend([("A", "1")])),
    ("update", lambda h: h.update({"A": "1"})),
    ("ior", lambda h: h.__ior__({"A": "1"})),
    ("setitem", lambda h: h.__setitem__("Host", "1")),
    ("delitem", lambda h: h.__delitem__("Host")),
    ("remove", lambda h: h.remove("Host")),
    ("pop", lambda h: h.pop("Host")),
    ("pop-last", lambda h: h.pop()),
    ("popitem", lambda h: h.popitem()),
    ("clear", lambda h: h.clear()),
    ("list", lambda h: setattr(h, "_list", [])),
]


@pytest.mark.parametrize(
    ("name", "mutate"), ENVIRON_MUTATIONS, ids=[m[0] for m in ENVIRON_MUTATIONS]
)
def test_environ_headers_refuse_mutation(
    environ_headers: EnvironHeaders, name: str, mutate: t.Callable[[t.Any], object]
) -> None:
    with pytest.raises(TypeError, match=r"^'EnvironHeaders' objects are immutable$"):
        mutate(environ_headers)
    assert environ_headers.environ == ENVIRON


def test_environ_headers_memos_stay_bounded() -> None:
    limit = header_structures._MEMO_LIMIT
    environ = {f"HTTP_X_{i}": "v" for i in range(limit * 2)}
    headers = EnvironHeaders(environ)
    assert len(list(headers)) == limit * 2
    for i in range(limit * 2):
        assert headers[f"X-{i}"] == "v"
    assert len(header_structures._ENVIRON_KEYS) <= limit
    assert len(header_structures._FIELD_NAMES) <= limit


def test_werkzeug_structures_are_accepted() -> None:
    theirs = wz.MultiDict([("X-Tag", "1"), ("X-Tag", "2")])
    h = Headers(FIELDS)
    h.update(theirs)
    assert h.getlist("x-tag") == ["1", "2"]
    assert fields(Headers(wz.Headers([("A", "1"), ("A", "2")]))) == [
        ("A", "1"),
        ("A", "2"),
    ]
    h = Headers(FIELDS)
    h.update(wz.Headers([("x-tag", "w")]))
    assert fields(h) == [("Content-Type", "text/html"), ("x-tag", "w")]


def test_slots() -> None:
    assert not hasattr(Headers(), "__dict__")
    assert not hasattr(EnvironHeaders({}), "__dict__")
