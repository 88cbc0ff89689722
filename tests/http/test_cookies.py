"""Tests for hipflask.http.cookies: Cookie parsing and Set-Cookie dumping."""

from __future__ import annotations

import random
import warnings
from datetime import datetime, timedelta, timezone

import pytest
from werkzeug import http as wz
from werkzeug.sansio import http as wz_sansio

from hipflask.http.cookies import _parse_quoted, dump_cookie, parse_cookie
from hipflask.http.dates import parse_date


def werkzeug_cookies(header: str | None) -> list[tuple[str, str]]:
    return wz_sansio.parse_cookie(header, cls=list)  # type: ignore[arg-type,return-value]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, []),
        ("", []),
        ("a=b", [("a", "b")]),
        ("a=b; c=d", [("a", "b"), ("c", "d")]),
        ("a=b;c=d", [("a", "b"), ("c", "d")]),
        ("  a = b  ;\tc=d\t", [("a", "b"), ("c", "d")]),
        ("a=1; a=2; b=3", [("a", "1"), ("a", "2"), ("b", "3")]),  # order, dupes
        ("a", [("a", "")]),
        ("a=", [("a", "")]),
        ("a=b=c", [("a", "b=c")]),
        ("a=b,c", [("a", "b,c")]),
        ("session=eyJ.abc-_~", [("session", "eyJ.abc-_~")]),
        ("é=ü", [("é", "ü")]),
        ('a="b"', [("a", "b")]),
        ('a=""', [("a", "")]),
        ('a="b; c=d"', [("a", "b; c=d")]),
        ('a="\\"q\\""', [("a", '"q"')]),
        ('a="\\\\"', [("a", "\\")]),
        ('a="\\054\\073"', [("a", ",;")]),
        ('a="\\303\\251"', [("a", "é")]),  # octal escapes are UTF-8 bytes
        ('a="\\377"', [("a", "\ufffd")]),  # invalid UTF-8 is replaced
        ('a="\\x"', [("a", "x")]),
        ('a="\\400"', [("a", "400")]),  # not an octal escape (> 0o377)
    ],
)
def test_parse_cookie(header: str | None, expected: list[tuple[str, str]]) -> None:
    assert parse_cookie(header) == expected
    assert werkzeug_cookies(header) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        # an empty name, or no name, drops the pair
        ("=b", []),
        ("=b; c=d", [("c", "d")]),
        (";;;", []),
        ("; a=b ;", [("a", "b")]),
        # blanks inside a value are not allowed
        ("a=b c; d=e", [("d", "e")]),
        ("a b=c; d=e", [("d", "e")]),
        # quotes must enclose the whole value
        ('a=b"c"; d=e', [("d", "e")]),
        ('a"b=c; d=e', [("d", "e")]),
        ('a="b"c; d=e', [("d", "e")]),
        ('a="unclosed; d=e', [("d", "e")]),  # resumes after the first ";"
        ('a="x;y"z; b=c', [("b", "c")]),
        ('a="x; y=1; z"w; b=c', [("y", "1"), ("b", "c")]),
        ('a="\\\n"; b=c', [("b", "c")]),
        ('a="x\\', []),
    ],
)
def test_parse_cookie_malformed(header: str, expected: list[tuple[str, str]]) -> None:
    assert parse_cookie(header) == expected
    assert werkzeug_cookies(header) == expected


def test_parse_cookie_fuzz_matches_werkzeug() -> None:
    rnd = random.Random(6265)
    alphabet = 'ab=;" \t\\,\n0W/é'
    for _ in range(5000):
        header = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 16)))
        assert parse_cookie(header) == werkzeug_cookies(header), header


def test_parse_cookie_fragment_fuzz_matches_werkzeug() -> None:
    rnd = random.Random(1)
    fragments = ["a", "=", ";", " ", '"', "\\", "\\054", "\\3", "x y", '\\"', "é"]
    for _ in range(5000):
        header = "".join(rnd.choice(fragments) for _ in range(rnd.randint(0, 10)))
        assert parse_cookie(header) == werkzeug_cookies(header), header


def test_parse_cookie_without_quotes_matches_the_general_scanner() -> None:
    # Headers without '"' take the split fast path; _parse_quoted handles any
    # header with the same grammar, so both must agree (and with Werkzeug).
    rnd = random.Random(2109)
    fragments = ["a", "bc", "=", "==", ";", "; ", " ", "\t", ",", "é", "\n", "x y"]
    for _ in range(5000):
        header = "".join(rnd.choice(fragments) for _ in range(rnd.randint(0, 14)))
        expected = _parse_quoted(header)
        assert parse_cookie(header) == expected, header
        assert werkzeug_cookies(header) == expected, header


MEGABYTE = 1 << 20


@pytest.mark.parametrize(
    ("header", "expected_count"),
    [
        (";" * MEGABYTE, 0),
        (" " * MEGABYTE, 0),
        ('"' * MEGABYTE, 0),
        ("a=" * (MEGABYTE // 2), 1),
        ("a;" * (MEGABYTE // 2), MEGABYTE // 2),
        ('a="' + ';a="\\' * (MEGABYTE // 5), 0),
        (';a="' * (MEGABYTE // 4), MEGABYTE // 8),
        ('a="' + "\\\\;" * (MEGABYTE // 3), MEGABYTE // 3 - 1),
        ('a="' + "x" * MEGABYTE, 0),
    ],
    ids=[
        "semicolons",
        "spaces",
        "quotes",
        "equals",
        "bare-names",
        "reopened-quotes",
        "quote-per-pair",
        "escaped-backslashes",
        "unclosed",
    ],
)
def test_parse_cookie_hostile(header: str, expected_count: int) -> None:
    assert len(parse_cookie(header)) == expected_count


# ---------------------------------------------------------------------------
# dump_cookie

MOMENT = datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"key": "a", "value": "b"},
        {"key": "a"},
        {"key": "a", "value": "b", "path": None},
        {"key": "a", "value": "b", "path": "/a b;c/ü"},
        {"key": "a", "value": "b", "path": ""},
        {"key": "a", "value": "b", "domain": "example.com"},
        {"key": "a", "value": "b", "domain": ".Example.com:8080"},
        {"key": "a", "value": "b", "domain": "bücher.example"},
        {"key": "a", "value": "b", "domain": ""},
        {"key": "a", "value": "b", "expires": MOMENT},
        {"key": "a", "value": "b", "expires": 0},
        {"key": "a", "value": "b", "expires": 1445412480.5},
        {"key": "a", "value": "b", "expires": "Thu, 01 Jan 1970 00:00:00 GMT"},
        {"key": "a", "value": "b", "max_age": 0, "sync_expires": False},
        {"key": "a", "value": "b", "max_age": 60, "expires": MOMENT},
        {"key": "a", "max_age": timedelta(hours=1), "sync_expires": False},
        {"key": "a", "value": "b", "secure": True, "httponly": True},
        {"key": "a", "value": "b", "samesite": "strict"},
        {"key": "a", "value": "b", "samesite": "LAX"},
        {"key": "a", "value": "b", "samesite": "none", "secure": True},
        {"key": "a", "value": "b", "partitioned": True},
        {
            "key": "session",
            "value": "eyJfcGVybWFuZW50Ijp0cnVlfQ.ZxYz",
            "max_age": 3600,
            "expires": MOMENT,
            "path": "/app",
            "domain": "example.com",
            "secure": True,
            "httponly": True,
            "samesite": "Lax",
            "partitioned": True,
        },
        # values that need quoting
        {"key": "a", "value": "b c"},
        {"key": "a", "value": 'q"uote'},
        {"key": "a", "value": "back\\slash"},
        {"key": "a", "value": "com,ma;semi"},
        {"key": "a", "value": "é€"},
        {"key": "a", "value": "\x00\x01\x19\x1a\x1f\x7f"},
        {"key": "a", "value": "!#$%&'()*+-./:<=>?@[]^_`{|}~"},
        {"key": "ü", "value": "x"},
    ],
)
def test_dump_cookie_matches_werkzeug(kwargs: dict[str, object]) -> None:
    assert dump_cookie(**kwargs) == wz.dump_cookie(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"key": "a", "value": "b"}, "a=b; Path=/"),
        ({"key": "a", "value": "b c"}, 'a="b c"; Path=/'),
        ({"key": "a", "value": ",;"}, 'a="\\054\\073"; Path=/'),
        ({"key": "a", "value": "é"}, 'a="\\303\\251"; Path=/'),
        (
            {"key": "a", "partitioned": True, "samesite": "none"},
            "a=; Secure; Path=/; SameSite=None; Partitioned",
        ),
        (
            {"key": "a", "max_age": 10, "expires": 0, "domain": "x.org"},
            "a=; Domain=x.org; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=10;"
            " Path=/",
        ),
    ],
)
def test_dump_cookie_format(kwargs: dict[str, object], expected: str) -> None:
    assert dump_cookie(**kwargs) == expected  # type: ignore[arg-type]


def test_dump_cookie_max_age_sets_expires() -> None:
    before = datetime.now(timezone.utc).replace(microsecond=0)
    header = dump_cookie("a", "b", max_age=timedelta(hours=1))
    after = datetime.now(timezone.utc)
    attributes = dict(part.split("=", 1) for part in header.split("; ")[1:])
    assert attributes["Max-Age"] == "3600"
    expires = parse_date(attributes["Expires"])
    assert expires is not None
    assert before + timedelta(hours=1) <= expires <= after + timedelta(hours=1)


def test_dump_cookie_no_sync_expires() -> None:
    assert dump_cookie("a", max_age=5, sync_expires=False) == "a=; Max-Age=5; Path=/"


@pytest.mark.parametrize("samesite", ["", "lux", "Strict ", "none;"])
def test_dump_cookie_bad_samesite(samesite: str) -> None:
    with pytest.raises(ValueError, match="SameSite must be"):
        dump_cookie("a", samesite=samesite)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"key": "a", "value": "b\r\nSet-Cookie: x=y"},
        {"key": "a", "value": "b\n"},
        {"key": "a\r", "value": "b"},
        {"key": "a", "domain": "x.org\r\nX: y"},
        {"key": "a", "expires": "never\n"},
    ],
)
def test_dump_cookie_rejects_newlines(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="CR or LF"):
        dump_cookie(**kwargs)  # type: ignore[arg-type]


def test_dump_cookie_bad_domain() -> None:
    with pytest.raises(ValueError):  # idna's UnicodeError
        dump_cookie("a", domain="a..b")


def test_dump_cookie_too_large_warns_like_werkzeug() -> None:
    with pytest.warns(UserWarning) as ours:
        header = dump_cookie("big", "x" * 5000)
    with pytest.warns(UserWarning) as theirs:
        wz.dump_cookie("big", "x" * 5000)
    assert str(ours[0].message) == str(theirs[0].message)
    assert "The 'big' cookie is too large" in str(ours[0].message)
    assert ours[0].filename == __file__
    assert len(header) == 5012


def test_dump_cookie_size_limits() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dump_cookie("big", "x" * 5000, max_size=0)
        dump_cookie("a", "x" * 4083)  # exactly 4093 characters
    with pytest.warns(UserWarning):
        dump_cookie("a", "x" * 4084)


@pytest.mark.parametrize(
    "value",
    ["plain", "with space", 'q"uote', "back\\slash", ",;", "é€😀", "\x01\x7f", ""],
)
def test_cookie_round_trip(value: str) -> None:
    header = dump_cookie("name", value)
    pair = header.split("; Path=")[0]
    assert parse_cookie(pair) == [("name", value)]
