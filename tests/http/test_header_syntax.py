"""Tests for hipflask.http.header_syntax: quoting, lists, dicts, parameters, etags."""

from __future__ import annotations

import random

import pytest
from werkzeug import http as wz

from hipflask.http.header_syntax import (
    dump_header,
    dump_options_header,
    generate_etag,
    parse_dict_header,
    parse_list_header,
    parse_options_header,
    quote_etag,
    quote_header_value,
    split_list,
    unquote_etag,
    unquote_header_value,
)

# ---------------------------------------------------------------------------
# Quoting


@pytest.mark.parametrize(
    ("value", "allow_token", "expected"),
    [
        ("foo", True, "foo"),
        ("foo", False, '"foo"'),
        ("", True, '""'),
        ("foo bar", True, '"foo bar"'),
        ('a"b', True, '"a\\"b"'),
        ("a\\b", True, '"a\\\\b"'),
        ("a,b", True, '"a,b"'),
        ("a;b", True, '"a;b"'),
        ("!#$%&'*+-.^_`|~", True, "!#$%&'*+-.^_`|~"),
        (42, True, "42"),
        ("é", True, '"é"'),
    ],
)
def test_quote_header_value(value: object, allow_token: bool, expected: str) -> None:
    assert quote_header_value(value, allow_token) == expected
    assert quote_header_value(value, allow_token) == wz.quote_header_value(
        value, allow_token
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"foo"', "foo"),
        ("foo", "foo"),
        ('"a\\"b"', 'a"b'),
        ('"a\\\\b"', "a\\b"),
        ('"a\\xb"', "axb"),
        ('"', '"'),
        ('""', ""),
        ('"foo', '"foo'),
        ('foo"', 'foo"'),
        ('"a\\\nb"', "a\\\nb"),  # "." does not match a line feed in Werkzeug
    ],
)
def test_unquote_header_value(value: str, expected: str) -> None:
    assert unquote_header_value(value) == expected
    assert wz.unquote_header_value(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"\\\\server\\share\\file.txt"', "\\\\server\\share\\file.txt"),
        ('"C:\\\\dir\\\\file.txt"', "C:\\dir\\file.txt"),
        ('"plain.txt"', "plain.txt"),
    ],
)
def test_unquote_header_value_filename(value: str, expected: str) -> None:
    assert unquote_header_value(value, is_filename=True) == expected


def test_quote_unquote_round_trip() -> None:
    for value in ["", "a", "a b", 'x"y', "x\\y", '\\"', "tab\there"]:
        assert unquote_header_value(quote_header_value(value)) == value


# ---------------------------------------------------------------------------
# Lists and dicts


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a, b, c", ["a", "b", "c"]),
        ('token, "quoted value"', ["token", "quoted value"]),
        ('"a, b", c', ["a, b", "c"]),
        ('"a \\" b", c', ['a " b', "c"]),
        ("a,,b, ,", ["a", "b"]),
        ("", []),
        (" \t ", []),
        ('a, "unclosed', []),
        ('"escaped at end\\', []),
        ('a="b, c"', ['a="b, c"']),
        ('"a"b"c"', ['a"b"c']),
        ('"a", "b\\\\", c', ["a", "b\\", "c"]),
    ],
)
def test_parse_list_header(value: str, expected: list[str]) -> None:
    assert parse_list_header(value) == expected
    assert wz.parse_list_header(value) == expected


def test_split_list_limit() -> None:
    assert split_list("a, b, , c, d", 3) == ["a", "b", "c"]
    assert split_list("a, b", 5) == ["a", "b"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('a=b, c="d, e", f', {"a": "b", "c": "d, e", "f": None}),
        ("a=", {"a": ""}),
        ("=b, c=d", {"c": "d"}),
        ("a = b", {"a": "b"}),
        ("a*=UTF-8''%e2%82%ac", {"a": "€"}),
        ("a*=iso-8859-1''%E9", {"a": "é"}),
        ("a*=foo''bar", {"a": "bar"}),  # unknown charset: not decoded
        ("a*=bar", {"a": "bar"}),
        ('a*="x"', {"a": "x"}),
        ("a=1, a=2", {"a": "2"}),
        ('a="unclosed', {}),
        ("", {}),
    ],
)
def test_parse_dict_header(value: str, expected: dict[str, str | None]) -> None:
    assert parse_dict_header(value) == expected
    assert wz.parse_dict_header(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        ["foo", "bar baz"],
        {"foo": "bar baz", "flag": None, "q": "1"},
        {"name*": "UTF-8''%e2%82%ac"},
        [],
        {},
        ("a", 'b"c'),
    ],
)
def test_dump_header(value: object) -> None:
    assert dump_header(value) == wz.dump_header(value)  # type: ignore[arg-type]


def test_dump_header_examples() -> None:
    assert dump_header(["foo", "bar baz"]) == 'foo, "bar baz"'
    assert dump_header({"foo": "bar baz", "x": None}) == 'foo="bar baz", x'


# ---------------------------------------------------------------------------
# Parameters (Content-Type, Content-Disposition)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ("", {})),
        ("", ("", {})),
        ("text/html", ("text/html", {})),
        ('text/html; charset="utf-8"', ("text/html", {"charset": "utf-8"})),
        ("text/html; Charset=UTF-8", ("text/html", {"charset": "UTF-8"})),
        ("  text/plain ;  a=b ;c=d  ", ("text/plain", {"a": "b", "c": "d"})),
        ("text/plain;", ("text/plain", {})),
        ("; a=b", ("", {})),
        ('form-data; name="a\\"b"', ("form-data", {"name": 'a"b'})),
        ('form-data; name="a%22b"', ("form-data", {"name": 'a"b'})),
        ('form-data; name="a\\\\b"', ("form-data", {"name": "a\\b"})),
        ('form-data; name="a;b"; x=y', ("form-data", {"name": "a;b", "x": "y"})),
        # malformed parts are skipped
        ("a; b; c=d", ("a", {"c": "d"})),
        ("a; b =c; d=e", ("a", {"d": "e"})),
        ("a; b= c; d=e", ("a", {"d": "e"})),
        ("a; b=; d=e", ("a", {"d": "e"})),
        ('a; "b"=c; d=e', ("a", {"d": "e"})),
        ('a; b=c"x"; d=e', ("a", {"b": "c", "d": "e"})),
        ('a; b="unclosed; d=e', ("a", {})),
        ('a; x=1; b="unclosed; d=e', ("a", {"x": "1"})),
        # RFC 2231 / 8187
        (
            "attachment; filename*=UTF-8''%e2%82%ac%20rates.txt",
            ("attachment", {"filename": "€ rates.txt"}),
        ),
        ("a; f*=iso-8859-1'en'%E9", ("a", {"f": "é"})),
        ("a; f*=bogus''%E9", ("a", {"f": "%E9"})),
        ("a; f*0=one; f*1=two", ("a", {"f": "onetwo"})),
        ("a; f*0*=UTF-8''%e2%82%ac; f*1=.txt", ("a", {"f": "€.txt"})),
        ("a; f=plain; f*0=x; f*1=y", ("a", {"f": "xy"})),
        ("a; f*0=x; f=plain", ("a", {"f": "plain"})),
    ],
)
def test_parse_options_header(
    value: str | None, expected: tuple[str, dict[str, str]]
) -> None:
    assert parse_options_header(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "attachment; filename*=UTF-8''%e2%82%ac; filename=\"EURO\"",
        "attachment; filename=\"EURO\"; filename*=UTF-8''%e2%82%ac",
    ],
)
def test_parse_options_header_prefers_decoded_ext_value(value: str) -> None:
    # RFC 6266 4.3: filename* wins over filename, whichever comes first.
    # (Werkzeug takes the last of the two.)
    assert parse_options_header(value) == ("attachment", {"filename": "€"})


def test_parse_options_header_continuation_not_dropped_after_ext() -> None:
    value = "a; f*0*=UTF-8''%e2%82%ac; f*1=.txt; f=x"
    assert parse_options_header(value) == ("a", {"f": "€.txt"})


def test_parse_options_header_matches_werkzeug_sample() -> None:
    for value in [
        "text/html; charset=utf-8",
        'multipart/form-data; boundary="----x"',
        "a; b=c; b=d",
        "a;b=c;d=e",
        "a;\tb=c",
        'a; b="c\\d"',
        "a; b*=utf-8''%zz",
        "a; B*0=x; b*1=y",
        'a; b="x" junk; c=d',
    ]:
        assert parse_options_header(value) == wz.parse_options_header(value), value


@pytest.mark.parametrize(
    ("header", "options", "expected"),
    [
        ("text/html", {"charset": "UTF-8"}, "text/html; charset=UTF-8"),
        ("form-data", {"name": "a b"}, 'form-data; name="a b"'),
        ("a", {"x": None, "y": "1"}, "a; y=1"),
        (None, {"x": "1"}, "x=1"),
        ("a", {"f*": "UTF-8''%e2%82%ac"}, "a; f*=UTF-8''%e2%82%ac"),
        ("a", {}, "a"),
    ],
)
def test_dump_options_header(
    header: str | None, options: dict[str, str | None], expected: str
) -> None:
    assert dump_options_header(header, options) == expected
    assert wz.dump_options_header(header, options) == expected


def test_options_round_trip() -> None:
    options = {"name": 'quo"te', "filename": "a b;c.txt", "x": "plain"}
    assert parse_options_header(dump_options_header("form-data", options)) == (
        "form-data",
        options,
    )


# ---------------------------------------------------------------------------
# Entity tags


@pytest.mark.parametrize(
    ("etag", "weak", "expected"),
    [("abc", False, '"abc"'), ("abc", True, 'W/"abc"'), ("", False, '""')],
)
def test_quote_etag(etag: str, weak: bool, expected: str) -> None:
    assert quote_etag(etag, weak) == expected


def test_quote_etag_rejects_quote() -> None:
    with pytest.raises(ValueError, match="cannot contain"):
        quote_etag('a"b')


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"abc"', ("abc", False)),
        ('W/"abc"', ("abc", True)),
        ('w/"abc"', ("abc", True)),
        ("abc", ("abc", False)),
        ("W/abc", ("abc", True)),
        ('"', ("", False)),
        ('W/"', ("", True)),
        ("", (None, None)),
        (None, (None, None)),
        ('"abc', ('"abc', False)),
    ],
)
def test_unquote_etag(
    value: str | None, expected: tuple[str, bool] | tuple[None, None]
) -> None:
    assert unquote_etag(value) == expected
    assert wz.unquote_etag(value) == expected


def test_generate_etag() -> None:
    assert generate_etag(b"hello") == "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"
    assert generate_etag(b"hello") == wz.generate_etag(b"hello")


# ---------------------------------------------------------------------------
# Differential fuzzing against Werkzeug 3.1 (fixed seed)

_FRAGMENTS = [
    *("filename", "name", "*", "*0", "*1", "*0*", "=", "utf-8''", "UTF-8'en'"),
    *("iso-8859-1''", "foo''", "%e2%82%ac", "%22", '"', "\\", '\\"', "\\\\"),
    *(";", "; ", " ", "\t", "a", "'", ",", "text/plain", "\n", "é"),
]


def _fuzz_inputs(count: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    return [
        "".join(rnd.choice(_FRAGMENTS) for _ in range(rnd.randint(0, 9)))
        for _ in range(count)
    ]


def test_fuzz_matches_werkzeug() -> None:
    for value in _fuzz_inputs(4000, seed=2024):
        assert parse_list_header(value) == wz.parse_list_header(value), value
        assert parse_dict_header(value) == wz.parse_dict_header(value), value
        assert unquote_header_value(value) == wz.unquote_header_value(value), value
        assert quote_header_value(value) == wz.quote_header_value(value), value
        # (the sample holds no "key* and key" pair, where hipflask differs)
        assert parse_options_header(value) == wz.parse_options_header(value), value


# ---------------------------------------------------------------------------
# Hostile input: finishes (linear scans) and gives the bounded result

MEGABYTE = 1 << 20


@pytest.mark.parametrize(
    ("value", "expected_length"),
    [
        ("," * MEGABYTE, 0),
        ('"' * MEGABYTE, 1),  # an even number of quotes: one long item
        ('"' + "\\" * MEGABYTE, 0),
        ('"' + "a," * (MEGABYTE // 2), 0),  # unclosed quote
        (',"' * (MEGABYTE // 2), 262144),
    ],
    ids=["commas", "quotes", "backslashes", "unclosed", "comma-quote"],
)
def test_hostile_lists(value: str, expected_length: int) -> None:
    assert len(parse_list_header(value)) == expected_length
    assert len(parse_dict_header(value)) <= expected_length


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a;" + "b=" * (MEGABYTE // 2), ("a", {"b": "b"})),
        ("a; b=" + '"\\\\' * (MEGABYTE // 3), ("a", {"b": "\\"})),
        ("a" + ";" * MEGABYTE, ("a", {})),
        ("a; " + " " * MEGABYTE + "b=c", ("a", {"b": "c"})),
    ],
    ids=["keys", "escapes", "semicolons", "blanks"],
)
def test_hostile_options(value: str, expected: tuple[str, dict[str, str]]) -> None:
    assert parse_options_header(value) == expected


def test_hostile_option_count_is_bounded_by_input() -> None:
    value = "a; " + "b*0*=utf-8''%41;" * (MEGABYTE // 16)
    assert parse_options_header(value) == ("a", {"b": "A" * (MEGABYTE // 16)})
