"""Tests for hipflask.http.headers: the typed header parsers and the re-exports."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from werkzeug import datastructures as wzds
from werkzeug import http as wz

from hipflask.http import headers
from hipflask.http.datastructures import HeaderSet
from hipflask.http.header_types import (
    Accept,
    CharsetAccept,
    ContentSecurityPolicy,
    ETags,
    IfRange,
    LanguageAccept,
    MIMEAccept,
    RequestCacheControl,
    ResponseCacheControl,
)
from hipflask.http.headers import (
    COEP,
    COOP,
    MAX_ACCEPT_ITEMS,
    MAX_ETAGS,
    MAX_RANGES,
    dump_csp_header,
    is_resource_modified,
    parse_accept_header,
    parse_authorization_header,
    parse_cache_control_header,
    parse_content_range_header,
    parse_csp_header,
    parse_etags,
    parse_if_range_header,
    parse_range_header,
    parse_set_header,
    parse_www_authenticate_header,
)

UTC = timezone.utc
MEGABYTE = 1 << 20


def test_every_name_in_all_is_importable() -> None:
    for name in headers.__all__:
        assert getattr(headers, name) is not None, name
    for name in ["parse_cookie", "dump_cookie", "http_date", "parse_date"]:
        assert name in headers.__all__


@pytest.mark.parametrize(
    "first",
    [
        "hipflask.http.headers",
        "hipflask.http.header_types",
        "hipflask.http.header_syntax",
        "hipflask.http.cookies",
        "hipflask.http.dates",
        "hipflask.http.accept",
        "hipflask.http.auth",
    ],
)
def test_modules_import_in_any_order(first: str) -> None:
    code = f"import {first}; import hipflask.http.headers as h; h.parse_etags('x')"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------
# Accept


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text/html", [("text/html", 1)]),
        (
            "text/html;q=0.5, text/plain, */*;q=0.1",
            [("text/plain", 1), ("text/html", 0.5), ("*/*", 0.1)],
        ),
        ("a;q=1.0, b;q=0", [("a", 1), ("b", 0)]),
        ("a;q=2, b;q=-1, c;q=x, d;q=0.5.1, e", [("e", 1)]),  # invalid q skipped
        ("a;q=, b", [("a", 1), ("b", 1)]),  # empty q ignored, as Werkzeug
        ("a;q=0.5 junk", [("a", 0.5)]),
        ("a ; Q=0.3", [("a", 0.3)]),
        ('text/html;level="1";q=0.4', [("text/html; level=1", 0.4)]),
        ("text/html;a=b c", [("text/html; a=b", 1)]),
        ("a, , b,", [("a", 1), ("b", 1)]),
        ('"a, b", c', [("a, b", 1), ("c", 1)]),
        ("a;q=٠.٥", [("a", 1)]),  # not a token: the q parameter is dropped
    ],
)
def test_parse_accept_header(value: str, expected: list[tuple[str, float]]) -> None:
    parsed = parse_accept_header(value)
    assert list(parsed) == expected
    assert parsed.provided
    assert list(wz.parse_accept_header(value)) == expected


@pytest.mark.parametrize("value", [None, ""])
def test_parse_accept_header_missing(value: str | None) -> None:
    parsed = parse_accept_header(value, MIMEAccept)
    assert type(parsed) is MIMEAccept
    assert list(parsed) == []
    assert not parsed.provided


@pytest.mark.parametrize(
    ("cls", "wz_cls"),
    [
        (Accept, wzds.Accept),
        (MIMEAccept, wzds.MIMEAccept),
        (LanguageAccept, wzds.LanguageAccept),
        (CharsetAccept, wzds.CharsetAccept),
    ],
)
@pytest.mark.parametrize(
    "value",
    [
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "application/json, text/*;q=0.5, */*;q=0.1",
        "text/html;level=1, text/html, text/*, */*;q=0.2",
        "en-US,en;q=0.9,fr;q=0.8,*;q=0.1",
        "utf-8, iso-8859-1;q=0.5, *;q=0.1",
        "gzip, deflate, br;q=0.9",
        "*/*",
    ],
)
def test_parse_accept_header_matches_werkzeug(
    cls: type[Accept], wz_cls: type[wzds.Accept], value: str
) -> None:
    ours = parse_accept_header(value, cls)
    theirs = wz.parse_accept_header(value, wz_cls)
    assert type(ours) is cls
    assert list(ours) == list(theirs)
    assert ours.to_header() == theirs.to_header()


def test_parse_accept_header_fuzz_matches_werkzeug() -> None:
    rnd = random.Random(9110)
    alphabet = 'text/html;q=0.5,*/ \t"1'
    for _ in range(3000):
        value = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 20)))
        ours = parse_accept_header(value, MIMEAccept)
        theirs = wz.parse_accept_header(value, wzds.MIMEAccept)
        assert list(ours) == list(theirs), value
        offers = ["text/html", "text/plain", "application/json"]
        assert ours.best_match(offers) == theirs.best_match(offers), value


def test_parse_accept_header_caps_items() -> None:
    value = ", ".join(f"type/sub{number}" for number in range(MAX_ACCEPT_ITEMS + 10))
    parsed = parse_accept_header(value)
    assert len(parsed) == MAX_ACCEPT_ITEMS
    assert parsed[MAX_ACCEPT_ITEMS - 1] == (f"type/sub{MAX_ACCEPT_ITEMS - 1}", 1)


@pytest.mark.parametrize(
    "value",
    [
        "," * MEGABYTE,
        "text/html;q=0.5," * (MEGABYTE // 16),
        "text/html" + " " * MEGABYTE + ";q=1",
        '"' + "a," * (MEGABYTE // 2),
        ";" * MEGABYTE,
    ],
    ids=["commas", "many-items", "blanks", "unclosed-quote", "semicolons"],
)
def test_parse_accept_header_hostile(value: str) -> None:
    parsed = parse_accept_header(value, MIMEAccept)
    assert len(parsed) <= MAX_ACCEPT_ITEMS
    assert parsed.best_match(["text/html", "application/json"]) in {None, "text/html"}


# ---------------------------------------------------------------------------
# Cache-Control


def test_parse_cache_control_header() -> None:
    parsed = parse_cache_control_header('no-cache, max-age=60, private="x, y"')
    assert type(parsed) is RequestCacheControl
    assert dict(parsed) == {"no-cache": None, "max-age": "60", "private": "x, y"}
    assert parsed.no_cache is True
    assert parsed.max_age == 60
    assert parsed.provided


def test_parse_cache_control_header_cls_and_on_update() -> None:
    calls: list[str] = []
    parsed = parse_cache_control_header(
        "public, max-age=5",
        lambda cc: calls.append(cc.to_header()),
        ResponseCacheControl,
    )
    assert type(parsed) is ResponseCacheControl
    parsed.max_age = 10
    assert calls == ["public, max-age=10"]


@pytest.mark.parametrize("value", [None, ""])
def test_parse_cache_control_header_empty(value: str | None) -> None:
    parsed = parse_cache_control_header(value)
    assert dict(parsed) == {}
    assert parsed.provided is wz.parse_cache_control_header(value).provided


@pytest.mark.parametrize(
    "value",
    [
        "no-cache",
        "max-age=0, must-revalidate",
        'no-cache="Set-Cookie", max-stale',
        "max-age=abc, s-maxage=10",
        "=5, a=",
        'a="unclosed',
        "MAX-AGE=5",
    ],
)
def test_parse_cache_control_header_matches_werkzeug(value: str) -> None:
    assert dict(parse_cache_control_header(value)) == dict(
        wz.parse_cache_control_header(value)
    )


# ---------------------------------------------------------------------------
# ETags


@pytest.mark.parametrize(
    ("value", "strong", "weak", "star"),
    [
        (None, set(), set(), False),
        ("", set(), set(), False),
        ("*", set(), set(), True),
        ('"a"', {"a"}, set(), False),
        ('"a", W/"b", "c"', {"a", "c"}, {"b"}, False),
        ('w/"b"', set(), {"b"}, False),
        ('  "a"  ,  W/"b"  ', {"a"}, {"b"}, False),
        ('""', {""}, set(), False),  # Werkzeug turns an empty tag into None
        ("a, W/b", {"a"}, {"b"}, False),  # bare tags are tolerated
        ('"a" junk, "b"', {"b"}, set(), False),
        ('"a, "b"', {"b"}, set(), False),  # resumes after the first comma
        ('W/ "a", "b"', {"b"}, set(), False),
        ("W/", {"W/"}, set(), False),
        ('"a", *', {"a", "*"}, set(), False),
        (",,,", set(), set(), False),
    ],
)
def test_parse_etags(
    value: str | None, strong: set[str], weak: set[str], star: bool
) -> None:
    parsed = parse_etags(value)
    assert parsed.as_set() == strong
    assert parsed.as_set(include_weak=True) == strong | weak
    assert parsed.star_tag is star


def test_parse_etags_fuzz_matches_werkzeug() -> None:
    rnd = random.Random(7232)

    def normal(tags: set[str | None]) -> set[str]:
        return {"" if tag is None else tag for tag in tags}

    for _ in range(5000):
        value = "".join(rnd.choice('aW/w", \t*') for _ in range(rnd.randint(0, 14)))
        ours, theirs = parse_etags(value), wz.parse_etags(value)
        assert ours.star_tag == theirs.star_tag, value
        assert ours.as_set() == normal(theirs.as_set()), value  # type: ignore[arg-type]
        assert ours.as_set(True) == normal(theirs.as_set(True)), value  # type: ignore[arg-type]


def test_parse_etags_reads_at_most_max_items() -> None:
    value = ", ".join(f'"{number}"' for number in range(MAX_ETAGS + 5))
    parsed = parse_etags(value)
    assert len(parsed) == MAX_ETAGS
    assert str(MAX_ETAGS - 1) in parsed
    assert str(MAX_ETAGS) not in parsed


@pytest.mark.parametrize(
    "value",
    ["," * MEGABYTE, '"a,' * (MEGABYTE // 3), "W/" * (MEGABYTE // 2), '"' * MEGABYTE],
    ids=["commas", "unclosed-quotes", "weak-markers", "quotes"],
)
def test_parse_etags_hostile(value: str) -> None:
    assert len(parse_etags(value).as_set(include_weak=True)) <= MAX_ETAGS


# ---------------------------------------------------------------------------
# Conditional requests

T0 = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
EARLIER = T0 - timedelta(hours=1)
LATER = T0 + timedelta(hours=1)


def _modified(method: str = "GET", **kwargs: object) -> bool:
    kwargs.setdefault("if_none_match", ETags())
    kwargs.setdefault("if_modified_since", None)
    return is_resource_modified(method=method, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        # no preconditions
        ({"etag": '"a"', "last_modified": T0}, True),
        # If-None-Match: weak comparison, star matches
        ({"if_none_match": parse_etags('"a"'), "etag": '"a"'}, False),
        ({"if_none_match": parse_etags('W/"a"'), "etag": '"a"'}, False),
        ({"if_none_match": parse_etags('"a"'), "etag": 'W/"a"'}, False),
        ({"if_none_match": parse_etags('"b"'), "etag": '"a"'}, True),
        ({"if_none_match": parse_etags("*"), "etag": '"a"'}, False),
        ({"if_none_match": parse_etags("*")}, False),
        ({"if_none_match": parse_etags('"a"')}, True),
        # If-None-Match present: If-Modified-Since is ignored
        (
            {
                "if_none_match": parse_etags('"b"'),
                "etag": '"a"',
                "if_modified_since": LATER,
                "last_modified": T0,
            },
            True,
        ),
        # If-Modified-Since
        ({"if_modified_since": T0, "last_modified": T0}, False),
        ({"if_modified_since": LATER, "last_modified": T0}, False),
        ({"if_modified_since": EARLIER, "last_modified": T0}, True),
        ({"if_modified_since": T0}, True),
        (
            {"if_modified_since": "Mon, 01 Jan 2024 12:00:00 GMT", "last_modified": T0},
            False,
        ),
        ({"if_modified_since": "garbage", "last_modified": T0}, True),
        ({"if_modified_since": T0, "last_modified": T0.replace(microsecond=5)}, False),
        ({"if_modified_since": T0, "last_modified": T0.replace(tzinfo=None)}, False),
        # If-Match: strong comparison; fails -> False
        ({"if_match": parse_etags('"a"'), "etag": '"a"'}, True),
        ({"if_match": parse_etags('"a"'), "etag": 'W/"a"'}, False),
        ({"if_match": parse_etags('W/"a"'), "etag": '"a"'}, False),
        ({"if_match": parse_etags('"b"'), "etag": '"a"'}, False),
        ({"if_match": parse_etags("*"), "etag": '"a"'}, True),
        ({"if_match": parse_etags('"a"')}, False),
        # If-Match passes, If-None-Match then decides
        (
            {
                "if_match": parse_etags('"a"'),
                "if_none_match": parse_etags('"a"'),
                "etag": '"a"',
            },
            False,
        ),
        # If-Unmodified-Since (only without If-Match)
        ({"if_unmodified_since": T0, "last_modified": T0}, True),
        ({"if_unmodified_since": EARLIER, "last_modified": T0}, False),
        ({"if_unmodified_since": EARLIER}, True),
        (
            {
                "if_match": parse_etags('"a"'),
                "etag": '"a"',
                "if_unmodified_since": EARLIER,
                "last_modified": T0,
            },
            True,
        ),
    ],
)
def test_is_resource_modified(kwargs: dict[str, object], expected: bool) -> None:
    assert _modified(**kwargs) is expected


def test_is_resource_modified_methods() -> None:
    # If-Modified-Since only applies to GET and HEAD.
    assert _modified("HEAD", if_modified_since=T0, last_modified=T0) is False
    assert _modified("POST", if_modified_since=T0, last_modified=T0) is True
    # A matching If-None-Match fails other methods too (412).
    assert _modified("PUT", if_none_match=parse_etags("*"), etag='"a"') is False


@pytest.mark.parametrize(
    ("if_range", "expected"),
    [
        (IfRange(etag="a"), False),
        (IfRange(etag="b"), True),
        (IfRange(date=T0), False),
        (IfRange(date=LATER), False),
        (IfRange(date=EARLIER), True),
        (IfRange(), True),  # no validator: the other preconditions decide
    ],
)
def test_is_resource_modified_if_range(if_range: IfRange, expected: bool) -> None:
    result = _modified(
        if_range=if_range, ignore_if_range=False, etag='"a"', last_modified=T0
    )
    assert result is expected
    # ignored unless asked for
    assert _modified(if_range=if_range, etag='"a"', last_modified=T0) is True


def test_is_resource_modified_if_range_weak_etag_never_matches() -> None:
    assert _modified(if_range=IfRange(etag="a"), ignore_if_range=False, etag='W/"a"')


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"HTTP_IF_NONE_MATCH": '"a"'},
        {"HTTP_IF_NONE_MATCH": '"b"'},
        {"HTTP_IF_NONE_MATCH": '"b", W/"a"'},
        {"HTTP_IF_MODIFIED_SINCE": "Mon, 01 Jan 2024 12:00:00 GMT"},
        {"HTTP_IF_MODIFIED_SINCE": "Mon, 01 Jan 2024 11:00:00 GMT"},
        {"HTTP_IF_MODIFIED_SINCE": "Mon, 01 Jan 2024 13:00:00 GMT"},
        {"HTTP_IF_MATCH": '"a"'},
        {"HTTP_IF_MATCH": '"b"'},
    ],
)
def test_is_resource_modified_agrees_with_werkzeug_for_get(
    environ: dict[str, str],
) -> None:
    ours = is_resource_modified(
        method="GET",
        if_none_match=parse_etags(environ.get("HTTP_IF_NONE_MATCH")),
        if_modified_since=environ.get("HTTP_IF_MODIFIED_SINCE"),
        if_match=parse_etags(environ.get("HTTP_IF_MATCH")),
        etag='"a"',
        last_modified=T0,
    )
    theirs = wz.is_resource_modified(
        {"REQUEST_METHOD": "GET", **environ}, etag='"a"', last_modified=T0
    )
    assert ours is theirs


# ---------------------------------------------------------------------------
# Range, Content-Range, If-Range


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("bytes=0-499", [(0, 500)]),
        ("bytes=500-999", [(500, 1000)]),
        ("bytes=-500", [(-500, None)]),
        ("bytes=9500-", [(9500, None)]),
        ("bytes=0-0,-1", [(0, 1), (-1, None)]),
        ("bytes=0-499, 500-999, -500", [(0, 500), (500, 1000), (-500, None)]),
        ("bytes = 0 - 499 ", [(0, 500)]),
        ("BYTES=0-1", [(0, 2)]),
        ("items=0-1", [(0, 2)]),
    ],
)
def test_parse_range_header(value: str, expected: list[tuple[int, int | None]]) -> None:
    parsed = parse_range_header(value)
    assert parsed is not None
    assert list(parsed.ranges) == expected
    theirs = wz.parse_range_header(value)
    assert theirs is not None
    assert list(theirs.ranges) == expected
    assert parsed.units == theirs.units


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "bytes",
        "bytes=",
        "bytes=abc",
        "bytes=1",
        "bytes=-",
        "bytes=-0",
        "bytes=--5",
        "bytes=5-1",
        "bytes=0-1,",
        "bytes=0-1,,2-3",
        "bytes=0-,5-6",  # an open range must be last
        "bytes=-5,0-1",  # a suffix range must be last
        "bytes=5-9,0-1",  # descending
        "bytes=0-5,3-9",  # overlapping
        "bytes=+1-2",
        "bytes=1_0-20",
        "bytes=١-٢",
        "bytes=0x1-2",
        "bytes=1-2-3",
        "bytes=" + "9" * 20 + "-",  # more digits than any real offset
    ],
)
def test_parse_range_header_invalid(value: str | None) -> None:
    assert parse_range_header(value) is None


def test_parse_range_header_caps_ranges() -> None:
    ranges = ",".join(
        f"{number * 10}-{number * 10 + 1}" for number in range(MAX_RANGES)
    )
    parsed = parse_range_header("bytes=" + ranges)
    assert parsed is not None
    assert len(parsed.ranges) == MAX_RANGES
    assert parse_range_header(f"bytes={ranges},{MAX_RANGES * 10}-") is None


def test_parse_range_header_fuzz_matches_werkzeug() -> None:
    rnd = random.Random(7233)
    for _ in range(5000):
        value = "".join(
            rnd.choice("bytes=0123-, \t") for _ in range(rnd.randint(0, 16))
        )
        ours, theirs = parse_range_header(value), wz.parse_range_header(value)
        if theirs is None:
            assert ours is None, value
        else:
            assert ours is not None, value
            assert (ours.units, list(ours.ranges)) == (
                theirs.units,
                list(theirs.ranges),
            )


@pytest.mark.parametrize(
    "value",
    ["bytes=" + "0-1," * (MEGABYTE // 4), "bytes=" + " " * MEGABYTE, "=" * MEGABYTE],
    ids=["many-ranges", "blanks", "equals"],
)
def test_parse_range_header_hostile(value: str) -> None:
    assert parse_range_header(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("bytes 0-499/1234", ("bytes", 0, 500, 1234)),
        ("bytes 0-499/*", ("bytes", 0, 500, None)),
        ("bytes */1234", ("bytes", None, None, 1234)),
        ("bytes */*", ("bytes", None, None, None)),
        ("bytes 0-1234/1234", ("bytes", 0, 1235, 1234)),  # Werkzeug checks start only
        ("bytes 1233-1233/1234", ("bytes", 1233, 1234, 1234)),
        ("  bytes 0-0/1 ", ("bytes", 0, 1, 1)),
    ],
)
def test_parse_content_range_header(
    value: str, expected: tuple[str, int | None, int | None, int | None]
) -> None:
    parsed = parse_content_range_header(value)
    assert parsed is not None
    assert (parsed.units, parsed.start, parsed.stop, parsed.length) == expected
    theirs = wz.parse_content_range_header(value)
    assert theirs is not None
    assert (theirs.units, theirs.start, theirs.stop, theirs.length) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "bytes",
        "bytes 0-499",
        "bytes 0-499/abc",
        "bytes 500-499/1234",
        "bytes */-1",
        "bytes -5-10/20",
        "bytes 5/20",
        "bytes a-b/20",
        "bytes 0-1/" + "9" * 40,
    ],
)
def test_parse_content_range_header_invalid(value: str | None) -> None:
    assert parse_content_range_header(value) is None


def test_parse_content_range_header_on_update() -> None:
    seen: list[str] = []
    parsed = parse_content_range_header("bytes 0-4/10", seen.append)  # type: ignore[arg-type]
    assert parsed is not None
    assert seen == [parsed]  # type: ignore[comparison-overlap]
    parsed.stop = 8
    assert seen == [parsed, parsed]  # type: ignore[comparison-overlap]
    assert parsed.to_header() == "bytes 0-7/10"


@pytest.mark.parametrize(
    ("value", "etag", "date"),
    [
        (None, None, None),
        ("", None, None),
        ('"abc"', "abc", None),
        ('W/"abc"', "abc", None),
        ("Mon, 01 Jan 2024 12:00:00 GMT", None, T0),
        ("garbage", "garbage", None),
    ],
)
def test_parse_if_range_header(
    value: str | None, etag: str | None, date: datetime | None
) -> None:
    parsed = parse_if_range_header(value)
    assert (parsed.etag, parsed.date) == (etag, date)
    theirs = wz.parse_if_range_header(value)
    assert (theirs.etag, theirs.date) == (etag, date)


# ---------------------------------------------------------------------------
# Authorization and WWW-Authenticate


@pytest.mark.parametrize(
    ("value", "auth_type", "parameters", "token"),
    [
        ("Basic dXNlcjpwYXNz", "basic", {"username": "user", "password": "pass"}, None),
        ("basic dXNlcjo=", "basic", {"username": "user", "password": ""}, None),
        ("Basic OnBhc3M=", "basic", {"username": "", "password": "pass"}, None),
        ("Basic dTpwOng=", "basic", {"username": "u", "password": "p:x"}, None),
        ("Basic w6k6w7w=", "basic", {"username": "é", "password": "ü"}, None),
        ("Bearer abc.def-ghi", "bearer", {}, "abc.def-ghi"),
        ("Bearer dG9rZW4=", "bearer", {}, "dG9rZW4="),
        (
            'Digest username="u", realm="r", nonce="n", uri="/", response="x"',
            "digest",
            {"username": "u", "realm": "r", "nonce": "n", "uri": "/", "response": "x"},
            None,
        ),
        ("Custom", "custom", {}, ""),
    ],
)
def test_parse_authorization_header(
    value: str, auth_type: str, parameters: dict[str, str], token: str | None
) -> None:
    parsed = parse_authorization_header(value)
    assert parsed is not None
    assert (parsed.type, parsed.parameters, parsed.token) == (
        auth_type,
        parameters,
        token,
    )


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "Basic",
        "Basic !!!!",
        "Basic dXNlcjpwYXN",  # incomplete padding
        "Basic dXNl=cjpw",  # padding in the middle
        "Basic dXNlcg==",  # "user": no colon
        "Basic /w==",  # not UTF-8
        "Basic dXNlcjpwYXNz\u00e9",  # non-ASCII
        "Basic " + "A" * MEGABYTE,
    ],
    ids=lambda value: repr(value)[:30],
)
def test_parse_authorization_header_invalid(value: str | None) -> None:
    assert parse_authorization_header(value) is None


def test_parse_www_authenticate_header() -> None:
    parsed = parse_www_authenticate_header('Basic realm="Login Required"')
    assert parsed is not None
    assert (parsed.type, parsed.parameters, parsed.token) == (
        "basic",
        {"realm": "Login Required"},
        None,
    )
    bearer = parse_www_authenticate_header("Bearer")
    assert bearer is not None
    assert (bearer.type, bearer.token) == ("bearer", "")
    assert parse_www_authenticate_header("") is None
    assert parse_www_authenticate_header(None) is None


def test_parse_auth_hostile() -> None:
    value = "Digest " + 'a="b", ' * (MEGABYTE // 7)
    parsed = parse_authorization_header(value)
    assert parsed is not None
    assert parsed.parameters == {"a": "b"}
    www = parse_www_authenticate_header('Digest realm="' + "\\" * MEGABYTE)
    assert www is not None
    assert www.parameters == {}


# ---------------------------------------------------------------------------
# Set headers


def test_parse_set_header() -> None:
    calls: list[HeaderSet] = []
    parsed = parse_set_header('token, "quoted value", Token', calls.append)
    assert isinstance(parsed, HeaderSet)
    assert "TOKEN" in parsed
    assert "quoted value" in parsed
    parsed.add("new")
    assert calls == [parsed]


@pytest.mark.parametrize("value", [None, ""])
def test_parse_set_header_empty(value: str | None) -> None:
    parsed = parse_set_header(value)
    assert isinstance(parsed, HeaderSet)
    assert len(parsed) == 0


# ---------------------------------------------------------------------------
# Content-Security-Policy, COOP and COEP


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, {}),
        ("", {}),
        (";", {}),
        (" ; ;; \t", {}),
        ("default-src 'self'", {"default-src": "'self'"}),
        (
            "default-src 'self'; img-src * data:",
            {"default-src": "'self'", "img-src": "* data:"},
        ),
        (
            "  default-src   'self'  ;img-src *;",
            {"default-src": "'self'", "img-src": "*"},
        ),
        ("default-src\t'self'", {"default-src": "'self'"}),
        # A directive without a value is kept (Werkzeug drops it).
        (
            "upgrade-insecure-requests; default-src 'self'",
            {"upgrade-insecure-requests": "", "default-src": "'self'"},
        ),
        # Names are case-insensitive; the first of repeated directives counts.
        ("Default-SRC a; default-src b", {"default-src": "a"}),
        # Commas (several policies) are not split: the value keeps them.
        ("default-src a, img-src b", {"default-src": "a, img-src b"}),
        ("=; ''", {"=": "", "''": ""}),
    ],
)
def test_parse_csp_header(value: str | None, expected: dict[str, str]) -> None:
    parsed = parse_csp_header(value)
    assert type(parsed) is ContentSecurityPolicy
    assert parsed == expected
    assert list(parsed) == list(expected)


def test_parse_csp_header_cls_and_on_update() -> None:
    class Policy(ContentSecurityPolicy):
        pass

    changes: list[str] = []
    parsed = parse_csp_header(
        "default-src 'self'", lambda csp: changes.append(csp.to_header()), Policy
    )
    assert type(parsed) is Policy
    parsed.img_src = "*"
    assert changes == ["default-src 'self'; img-src *"]
    empty = parse_csp_header(None, None, Policy)
    assert type(empty) is Policy
    assert not empty


def test_dump_csp_header() -> None:
    assert dump_csp_header({}) == ""
    assert dump_csp_header({"default-src": "'self'", "img-src": "*"}) == (
        "default-src 'self'; img-src *"
    )
    # An empty or None value is a bare directive.
    assert dump_csp_header({"upgrade-insecure-requests": "", "sandbox": None}) == (
        "upgrade-insecure-requests; sandbox"
    )
    with pytest.raises(ValueError, match="'img-src'"):
        dump_csp_header({"img-src": "*; script-src *"})
    assert dump_csp_header(ContentSecurityPolicy({"a": "b"})) == "a b"


CSP_FUZZ_FRAGMENTS = ["a", "img-src", " ", "\t", ";", ";;", "'self'", ",", "é", "\n"]


def test_parse_csp_header_fuzz_never_raises_and_round_trips() -> None:
    rnd = random.Random(4711)
    for _ in range(3000):
        value = "".join(
            rnd.choice(CSP_FUZZ_FRAGMENTS) for _ in range(rnd.randint(0, 12))
        )
        parsed = parse_csp_header(value)
        # Whatever was read serializes, and reads back as the same policy.
        assert parse_csp_header(parsed.to_header()) == parsed, value


@pytest.mark.parametrize(
    "value",
    [";" * MEGABYTE, "a" + " " * MEGABYTE + "b", "a b;" * (MEGABYTE // 4)],
    ids=["semicolons", "blanks", "repeats"],
)
def test_parse_csp_header_hostile(value: str) -> None:
    assert len(parse_csp_header(value)) <= 1


# Well-formed policies, where hipflask and Werkzeug must read the same.
CSP_AGREED = [
    "",
    ";",
    "default-src 'self'",
    "default-src 'self'; img-src * data:; script-src 'nonce-abc' 'strict-dynamic'",
    "  default-src   'self'  ;;img-src *;",
    "default-src 'self', img-src *",
    "frame-ancestors 'none'; report-uri /csp; report-to csp-endpoint",
    "sandbox allow-scripts allow-forms; plugin-types application/pdf",
]


@pytest.mark.parametrize("value", CSP_AGREED)
def test_parse_csp_header_matches_werkzeug(value: str) -> None:
    ours = parse_csp_header(value)
    theirs = wz.parse_csp_header(value)
    assert dict(ours) == dict(theirs)
    assert ours.to_header() == theirs.to_header()
    assert ours.default_src == theirs.default_src
    assert wz.dump_csp_header(theirs) == dump_csp_header(ours)


@pytest.mark.parametrize(
    ("value", "ours", "werkzeugs"),
    [
        ("upgrade-insecure-requests", {"upgrade-insecure-requests": ""}, {}),
        ("default-src\t'self'", {"default-src": "'self'"}, {}),
        ("Img-Src *", {"img-src": "*"}, {"Img-Src": "*"}),
        ("img-src a; img-src b", {"img-src": "a"}, {"img-src": "b"}),
    ],
)
def test_parse_csp_header_differs_from_werkzeug_on_purpose(
    value: str, ours: dict[str, str], werkzeugs: dict[str, str]
) -> None:
    assert parse_csp_header(value) == ours
    assert dict(wz.parse_csp_header(value)) == werkzeugs


def test_coop_and_coep_match_werkzeug() -> None:
    assert [(m.name, m.value) for m in COOP] == [(m.name, m.value) for m in wz.COOP]
    assert [(m.name, m.value) for m in COEP] == [(m.name, m.value) for m in wz.COEP]
    assert COOP("same-origin") is COOP.SAME_ORIGIN
    assert COEP("require-corp") is COEP.REQUIRE_CORP
