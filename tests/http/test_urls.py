from __future__ import annotations

import random
import typing as t
import urllib.parse

import pytest
from werkzeug import urls as wz_urls
from werkzeug.datastructures import MultiDict as WzMultiDict
from werkzeug.test import create_environ
from werkzeug.wrappers import Request as WzRequest
from werkzeug.wsgi import get_path_info

from hipflask.http.exceptions import RequestEntityTooLarge
from hipflask.http.urls import (
    _ERRORS,
    decode_wsgi_path,
    iri_to_uri,
    parse_qs_lists,
    parse_qsl,
    uri_to_iri,
    url_encode,
    url_quote,
    url_quote_plus,
    url_unquote,
    url_unquote_plus,
)

# -- parse_qsl ----------------------------------------------------------------------

QUERY_CASES: list[tuple[str, list[tuple[str, str]]]] = [
    ("", []),
    ("q=abc&page=2", [("q", "abc"), ("page", "2")]),
    ("a=1&a=2", [("a", "1"), ("a", "2")]),
    ("a", [("a", "")]),
    ("a=", [("a", "")]),
    ("=b", [("", "b")]),
    ("=", [("", "")]),
    ("&&", []),
    ("a=1&&b=2&", [("a", "1"), ("b", "2")]),
    ("%zz", [("%zz", "")]),
    ("a=%4", [("a", "%4")]),
    ("a=%", [("a", "%")]),
    ("%%41=%4a", [("%A", "J")]),
    ("%e2%82", [("%E2%82", "")]),
    ("k=%ff%fe", [("k", "%FF%FE")]),
    ("x=%E2%82%AC%E2%82", [("x", "€%E2%82")]),
    ("a+b=c+d", [("a b", "c d")]),
    ("+=+", [(" ", " ")]),
    ("%2B=%26%3D", [("+", "&=")]),
    ("a=b=c", [("a", "b=c")]),
    ("a;b=c", [("a;b", "c")]),
    ("ä=ö&€=%E2%82%AC", [("ä", "ö"), ("€", "€")]),
    ("x=%C3%A9%41", [("x", "éA")]),
]


def _werkzeug_args(query: str) -> WzMultiDict[str, str]:
    environ = create_environ("/")
    # PEP 3333: the raw bytes of the query string, carried as latin-1.
    environ["QUERY_STRING"] = query.encode("utf-8").decode("latin-1")
    return WzRequest(environ).args


@pytest.mark.parametrize(("query", "expected"), QUERY_CASES)
def test_parse_qsl(query: str, expected: list[tuple[str, str]]) -> None:
    assert parse_qsl(query) == expected
    assert parse_qsl(query.encode()) == expected


@pytest.mark.parametrize(("query", "expected"), QUERY_CASES)
def test_parse_qsl_matches_werkzeug_request_args(
    query: str, expected: list[tuple[str, str]]
) -> None:
    ours = WzMultiDict(parse_qsl(query.encode()))
    theirs = _werkzeug_args(query)
    assert list(ours.items(multi=True)) == list(theirs.items(multi=True))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Werkzeug raises UnicodeDecodeError here (a 500); we replace the bytes.
        (b"a=\xff", [("a", "\ufffd")]),
        (b"\xc3=%ff", [("\ufffd", "%FF")]),
        (b"a=\xe2\x82&b=1", [("a", "\ufffd"), ("b", "1")]),
    ],
)
def test_parse_qsl_non_utf8_bytes(raw: bytes, expected: list[tuple[str, str]]) -> None:
    assert parse_qsl(raw) == expected


def test_parse_qsl_accepts_bytes_like() -> None:
    assert parse_qsl(bytearray(b"a=1")) == [("a", "1")]
    assert parse_qsl(memoryview(b"a=%20")) == [("a", " ")]


@pytest.mark.parametrize(
    ("query", "max_pairs"),
    [("a=1&b=2&c=3", 2), ("a&b", 1), ("a=1&a=2", 0), ("+&%41", 1)],
)
def test_parse_qsl_too_many_pairs(query: str, max_pairs: int) -> None:
    with pytest.raises(RequestEntityTooLarge) as info:
        parse_qsl(query, max_pairs=max_pairs)
    assert f"More than {max_pairs} fields" in str(info.value.description)


@pytest.mark.parametrize(
    ("query", "max_pairs", "count"),
    [("a=1&b=2", 2, 2), ("a=1&&&b=2&", 2, 2), ("", 0, 0), ("a", 1, 1)],
)
def test_parse_qsl_within_max_pairs(query: str, max_pairs: int, count: int) -> None:
    # Empty segments do not count as pairs.
    assert len(parse_qsl(query, max_pairs=max_pairs)) == count


@pytest.mark.parametrize(
    "query",
    ["%" * 200_000, "%4" * 100_000, "&" * 200_000, "=" * 200_000, "%zz+" * 50_000],
)
def test_parse_qsl_pathological_input_completes(query: str) -> None:
    pairs = parse_qsl(query)
    assert sum(len(name) + len(value) for name, value in pairs) <= len(query)


def _reference_pairs(query: str) -> list[tuple[str, str]]:
    """parse_qsl's rules spelled out slowly, on urllib's unquote."""
    pairs = []
    for part in query.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append(
                (
                    urllib.parse.unquote(name.replace("+", " "), "utf-8", _ERRORS),
                    urllib.parse.unquote(value.replace("+", " "), "utf-8", _ERRORS),
                )
            )
    return pairs


def _grouped(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {}
    for name, value in pairs:
        lists.setdefault(name, []).append(value)
    return lists


# Pieces whose mixes exercise escapes (valid, invalid, partial UTF-8, separators
# in disguise), "+", non-ASCII text and empty parts.
_PIECES = [
    "a", "B", "=", "&", "%", "+", "2", "6", "3", "d", "D", "F", " ", "é", "\ufffd",
    "%26", "%3D", "%3d", "%2B", "%2b", "%25", "%20", "%41", "%C3%A9", "%c3", "%A9",
    "%E2%82", "%E2%82%AC", "%FF", "%zz", "%4", "%%",
]  # fmt: skip
_GENERATED = [
    "".join(random.Random(seed).choices(_PIECES, k=random.Random(-seed).randint(1, 14)))
    for seed in range(1, 1500)
]


@pytest.mark.parametrize("chunk", range(0, len(_GENERATED), 100))
def test_parse_qsl_matches_the_reference(chunk: int) -> None:
    for query in _GENERATED[chunk : chunk + 100]:
        expected = _reference_pairs(query)
        assert parse_qsl(query) == expected, query
        assert parse_qsl(query.encode()) == expected, query


@pytest.mark.parametrize("chunk", range(0, len(_GENERATED), 100))
def test_parse_qs_lists_groups_what_parse_qsl_gives(chunk: int) -> None:
    for query in _GENERATED[chunk : chunk + 100]:
        expected = _grouped(parse_qsl(query))
        assert parse_qs_lists(query) == expected, query
        assert parse_qs_lists(query.encode()) == expected, query


@pytest.mark.parametrize(("query", "expected"), QUERY_CASES)
def test_parse_qs_lists(query: str, expected: list[tuple[str, str]]) -> None:
    assert parse_qs_lists(query.encode()) == _grouped(expected)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Escapes that decode to no separator: the whole query is decoded at once.
        ("a=%41%42&b=%C3%A9+x", {"a": ["AB"], "b": ["é x"]}),
        ("a=%E2%82&b=%AC", {"a": ["%E2%82"], "b": ["%AC"]}),
        ("a%C3=%A9", {"a%C3": ["%A9"]}),
        ("a=%2526&b=%253D", {"a": ["%26"], "b": ["%3D"]}),
        ("a=%2B&a=+", {"a": ["+", " "]}),
        # An escaped "&" or "=": decoded part by part, after splitting.
        ("a=%26b&c=1", {"a": ["&b"], "c": ["1"]}),
        ("%3D=1&x=%41", {"=": ["1"], "x": ["A"]}),
        ("k%3dv=1&k=2", {"k=v": ["1"], "k": ["2"]}),
    ],
)
def test_parse_qs_lists_escapes(query: str, expected: dict[str, list[str]]) -> None:
    assert parse_qs_lists(query) == expected
    assert parse_qs_lists(query.encode()) == expected


def test_parse_qs_lists_non_utf8_bytes_and_bytes_like() -> None:
    assert parse_qs_lists(b"a=\xff&a=%ff") == {"a": ["\ufffd", "%FF"]}
    assert parse_qs_lists(bytearray(b"a=1")) == {"a": ["1"]}
    assert parse_qs_lists(memoryview(b"a=%20")) == {"a": [" "]}
    assert parse_qs_lists("") == {}


@pytest.mark.parametrize(
    ("query", "max_pairs"),
    [("a=1&b=2&c=3", 2), ("a&b", 1), ("a=1&a=2", 0), ("+&%41", 1)],
)
def test_parse_qs_lists_too_many_pairs(query: str, max_pairs: int) -> None:
    with pytest.raises(RequestEntityTooLarge) as info:
        parse_qs_lists(query, max_pairs=max_pairs)
    assert f"More than {max_pairs} fields" in str(info.value.description)


def test_parse_qs_lists_within_max_pairs() -> None:
    assert parse_qs_lists("a=1&&&b=2&", max_pairs=2) == {"a": ["1"], "b": ["2"]}


# -- quoting ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        ("/a b/ä", {}, "/a%20b/%C3%A4"),
        ("a:b/c", {}, "a:b/c"),
        ("a:b/c", {"safe": ""}, "a%3Ab%2Fc"),
        (b"a b\xff", {}, "a%20b%FF"),
        ("-._~", {}, "-._~"),
        ("é", {"charset": "latin-1"}, "%E9"),
        (42, {}, "42"),
    ],
)
def test_url_quote(value: t.Any, kwargs: dict[str, t.Any], expected: str) -> None:
    assert url_quote(value, **kwargs) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a b+c", "a+b%2Bc"),
        ("a/b", "a%2Fb"),
        (b"a b", "a+b"),
        (b"ab", "ab"),
        ("ä", "%C3%A4"),
    ],
)
def test_url_quote_plus(value: str | bytes, expected: str) -> None:
    assert url_quote_plus(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a%20b+c", "a b+c"),
        ("%C3%A4", "ä"),
        ("%zz%4", "%zz%4"),
        ("%ff", "\ufffd"),
        (b"%C3%A4", "ä"),
    ],
)
def test_url_unquote(value: str | bytes, expected: str) -> None:
    assert url_unquote(value) == expected


def test_url_unquote_plus() -> None:
    assert url_unquote_plus("a+b%2B") == "a b+"
    assert url_unquote_plus(b"a+b%2B") == "a b+"
    with pytest.raises(UnicodeDecodeError):
        url_unquote("%ff", errors="strict")


# -- url_encode ---------------------------------------------------------------------

ENCODE_CASES: list[tuple[t.Any, str]] = [
    ({"a": "1", "b": "x y"}, "a=1&b=x+y"),
    ({"a": [1, 2], "b": None, "c": "z"}, "a=1&a=2&c=z"),
    ({"t": ("x", "y")}, "t=x&t=y"),
    ([("a", "1"), ("b", None), ("a", "2")], "a=1&a=2"),
    ({"q": "ä/€?&=+#"}, "q=%C3%A4/%E2%82%AC?%26%3D%2B%23"),
    ({"s": "!$'()*,/:;?@"}, "s=!$'()*,/:;?@"),
    ({"n": 1.5, "b": True}, "n=1.5&b=True"),
    ({"k y": "v"}, "k+y=v"),
    ({}, ""),
]


@pytest.mark.parametrize(("obj", "expected"), ENCODE_CASES)
def test_url_encode(obj: t.Any, expected: str) -> None:
    assert url_encode(obj) == expected


@pytest.mark.parametrize(("obj", "expected"), ENCODE_CASES)
def test_url_encode_matches_werkzeug(obj: t.Any, expected: str) -> None:
    assert url_encode(obj) == wz_urls._urlencode(obj)


def test_url_encode_multidict() -> None:
    data = WzMultiDict([("b", "1"), ("a", "2"), ("b", "3")])
    assert url_encode(data) == "b=1&b=3&a=2"
    assert url_encode(data, sort=True) == "a=2&b=1&b=3"


def test_url_encode_sort_mixed_key_types() -> None:
    assert url_encode([(2, "x"), ("1", "y"), (b"0", "z")], sort=True) == ("0=z&1=y&2=x")


# -- IRI / URI ------------------------------------------------------------------------

IRIS = [
    "http://\u2603.net/p\xe5th?q=\xe8ry%DF",
    "/a b",
    "/login?next=%2F",
    "/x?y=ä#frag#x",
    "http://u:p@Ex.com:8080/p?q#f",
    "http://üser:päss@example.com/",
    "itms-services://?action=download-manifest&url=https://x/ä",
    "http://[::1]:80/p",
    "http://[2001:DB8::1]/",
    "mailto:ä@b.de",
    "http://ÄÖ.de/",
    "/",
    "",
    "relative/ä",
    "http://x/%zz",
    'http://x/a b<>"{}|\\^`',
    "HTTP://X/",
    "https://example.com/%E2%82%AC?a=%26",
]


@pytest.mark.parametrize("iri", IRIS)
def test_iri_to_uri_matches_werkzeug(iri: str) -> None:
    assert iri_to_uri(iri) == wz_urls.iri_to_uri(iri)


@pytest.mark.parametrize(
    ("iri", "expected"),
    [
        (
            "http://\u2603.net/p\xe5th?q=\xe8ry%DF",
            "http://xn--n3h.net/p%C3%A5th?q=%C3%A8ry%DF",
        ),
        ("/a b", "/a%20b"),
        ("/already%20encoded/%C3%A4", "/already%20encoded/%C3%A4"),
        ("foo:///x", "foo:///x"),
        ("http://a..b/", "http://a..b/"),
        ("http://a:xy z/", "http://a:xy%20z/"),
        ("http://[::1/", "http://[::1/"),
    ],
)
def test_iri_to_uri(iri: str, expected: str) -> None:
    assert iri_to_uri(iri) == expected


@pytest.mark.parametrize(
    "iri",
    ["http://[", "http://]/", "http://a:99999999/", "http://" + "a" * 100 + "é.com/"],
)
def test_iri_to_uri_never_raises(iri: str) -> None:
    result = iri_to_uri(iri)
    assert result.isascii()


URIS = [
    "http://xn--n3h.net/p%C3%A5th?q=%C3%A8ry%DF",
    "/a%2fb%2Fc%c3%a9",
    "/?a=%26%3d%c3%a9",
    "http://u%40x:p%3a@xn--n3h.net:81/",
    "http://x/%E2%82",
    "/%e2%2f%82%ac",
    "/%20%25%7f",
    "http://x/a#%23%c3%a9",
    "http://[::1]:8/%c3%a9",
    "/plain",
]


@pytest.mark.parametrize("uri", URIS)
def test_uri_to_iri_matches_werkzeug(uri: str) -> None:
    assert uri_to_iri(uri) == wz_urls.uri_to_iri(uri)


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (
            "http://xn--n3h.net/p%C3%A5th?q=%C3%A8ry%DF",
            "http://\u2603.net/påth?q=èry%DF",
        ),
        ("/a%2fb%c3%a9", "/a%2fbé"),
        # Werkzeug raises UnicodeError for an invalid punycode label.
        ("http://xn--invalid-.com/", "http://xn--invalid-.com/"),
        ("http://[::1/", "http://[::1/"),
    ],
)
def test_uri_to_iri(uri: str, expected: str) -> None:
    assert uri_to_iri(uri) == expected


@pytest.mark.parametrize("iri", [i for i in IRIS if "%" not in i and " " not in i])
def test_iri_round_trip(iri: str) -> None:
    assert uri_to_iri(iri_to_uri(iri)) == uri_to_iri(iri)


# -- decode_wsgi_path -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/", "/"),
        ("/plain/path", "/plain/path"),
        ("/\xc3\xa4/\xe2\x82\xac", "/ä/€"),
        ("/\xff", "/\ufffd"),
        ("/\xe2\x82", "/\ufffd"),
        # Not PEP 3333 (already decoded), but seen in the wild: kept as given.
        ("/€", "/€"),
    ],
)
def test_decode_wsgi_path(raw: str, expected: str) -> None:
    assert decode_wsgi_path(raw) == expected


@pytest.mark.parametrize("raw", ["/", "/a b", "/\xc3\xa4", "/\xff\xfe", "/%C3%A4"])
def test_decode_wsgi_path_matches_werkzeug(raw: str) -> None:
    assert decode_wsgi_path(raw) == get_path_info({"PATH_INFO": raw})


# -- the C escape decoder's fast path ----------------------------------------------


_UNQUOTE_CASES = [
    *_GENERATED[:300],
    "a\\x41=%41",  # a backslash of its own: the table decodes
    "\\=%5C%41",
    "%41%zz",  # an invalid escape: the decoder raises, the table keeps it
    "x=%4",
    "k=%E2%82%AC%ff",
]


@pytest.mark.parametrize("fast", [True, False])
def test_unquote_same_with_and_without_the_c_decoder(
    fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hipflask.http import urls

    if not fast:
        monkeypatch.setattr(urls, "_escape_decode", None)
    for text in _UNQUOTE_CASES:
        if text.isascii():
            expected = urllib.parse.unquote(text, "utf-8", _ERRORS)
            assert urls._unquote(text) == expected, text
        expected_lists = _grouped(_reference_pairs(text))
        assert parse_qs_lists(text) == expected_lists, text


def test_parse_qs_lists_long_query_within_max_pairs() -> None:
    query = "&".join(f"k{i}=v" for i in range(5))
    assert len(parse_qs_lists(query, max_pairs=5)) == 5
    with pytest.raises(RequestEntityTooLarge):
        parse_qs_lists(query, max_pairs=4)
