"""Tests for hipflask.http.header_types: Cache-Control, ETags and range values."""

from __future__ import annotations

import pickle
import re
import typing as t
from datetime import datetime, timezone

import pytest
from werkzeug import datastructures as wzds
from werkzeug import http as wz

from hipflask.http import accept, auth, header_types
from hipflask.http.header_types import (
    ContentRange,
    ContentSecurityPolicy,
    ETags,
    IfRange,
    Range,
    RequestCacheControl,
    ResponseCacheControl,
    cache_control_property,
    csp_property,
    is_byte_range_valid,
)
from hipflask.http.headers import parse_cache_control_header
from hipflask.http.multidict import CallbackDict


def test_reexports() -> None:
    assert header_types.Accept is accept.Accept
    assert header_types.MIMEAccept is accept.MIMEAccept
    assert header_types.Authorization is auth.Authorization
    assert header_types.WWWAuthenticate is auth.WWWAuthenticate
    for name in header_types.__all__:
        assert hasattr(header_types, name), name


# ---------------------------------------------------------------------------
# Cache-Control

REQUEST_CASES = [
    "",
    "no-cache",
    "no-store, max-age=0",
    "max-age=abc",
    "max-age",
    "max-stale",
    "max-stale=10",
    "min-fresh=5",
    "min-fresh",
    "only-if-cached, no-transform",
    "stale-if-error=30",
    'no-cache="field"',
]
REQUEST_PROPERTIES = [
    "no_cache",
    "no_store",
    "max_age",
    "max_stale",
    "min_fresh",
    "only_if_cached",
    "no_transform",
    "stale_if_error",
]


@pytest.mark.parametrize("value", REQUEST_CASES)
@pytest.mark.parametrize("name", REQUEST_PROPERTIES)
def test_request_cache_control_properties_match_werkzeug(value: str, name: str) -> None:
    ours = parse_cache_control_header(value)
    theirs = wz.parse_cache_control_header(value)
    assert getattr(ours, name) == getattr(theirs, name)
    assert type(getattr(ours, name)) is type(getattr(theirs, name))


RESPONSE_CASES = [
    "",
    "no-cache",
    'no-cache="Set-Cookie"',
    "private",
    'private="x"',
    "public, max-age=60, s-maxage=30",
    "s-maxage=x",
    "must-revalidate, proxy-revalidate, immutable, must-understand",
    "stale-while-revalidate=5, stale-if-error=6",
]
RESPONSE_PROPERTIES = [
    "no_cache",
    "no_store",
    "max_age",
    "public",
    "private",
    "must_revalidate",
    "proxy_revalidate",
    "s_maxage",
    "immutable",
    "must_understand",
    "stale_while_revalidate",
    "stale_if_error",
    "no_transform",
]


@pytest.mark.parametrize("value", RESPONSE_CASES)
@pytest.mark.parametrize("name", RESPONSE_PROPERTIES)
def test_response_cache_control_properties_match_werkzeug(
    value: str, name: str
) -> None:
    ours = parse_cache_control_header(value, None, ResponseCacheControl)
    theirs = wzds.ResponseCacheControl(dict(ours))
    assert getattr(ours, name) == getattr(theirs, name)
    assert type(getattr(ours, name)) is type(getattr(theirs, name))


def test_request_cache_control_values() -> None:
    cc = parse_cache_control_header("no-cache, max-age=60, max-stale, min-fresh=x")
    assert cc.no_cache is True
    assert cc.max_age == 60
    assert cc.max_stale is True
    assert cc.min_fresh is None
    assert cc.only_if_cached is False
    assert cc.to_header() == "no-cache, max-age=60, max-stale, min-fresh=x"
    assert str(cc) == cc.to_header()


@pytest.mark.parametrize(
    "mutate",
    [
        lambda cc: cc.__setitem__("a", "b"),
        lambda cc: cc.__delitem__("no-cache"),
        lambda cc: cc.pop("no-cache"),
        lambda cc: cc.popitem(),
        lambda cc: cc.clear(),
        lambda cc: cc.update({"a": "b"}),
        lambda cc: cc.setdefault("a", "b"),
        lambda cc: setattr(cc, "max_age", 5),
        lambda cc: setattr(cc, "no_cache", False),
    ],
)
def test_request_cache_control_is_immutable(mutate: object) -> None:
    cc = parse_cache_control_header("no-cache")
    with pytest.raises(TypeError, match="immutable"):
        mutate(cc)  # type: ignore[operator]
    assert dict(cc) == {"no-cache": None}


def test_request_cache_control_ior_is_immutable() -> None:
    cc = parse_cache_control_header("no-cache")
    with pytest.raises(TypeError, match="immutable"):
        cc |= {"a": "b"}


def test_request_cache_control_hash_and_pickle() -> None:
    cc = parse_cache_control_header("no-cache, max-age=5")
    assert hash(cc) == hash(parse_cache_control_header("max-age=5, no-cache"))
    copy = pickle.loads(pickle.dumps(cc))
    assert type(copy) is RequestCacheControl
    assert dict(copy) == dict(cc)


def test_response_cache_control_setters_call_on_update() -> None:
    headers: list[str] = []
    cc = ResponseCacheControl((), lambda changed: headers.append(changed.to_header()))
    assert isinstance(cc, CallbackDict)
    cc.public = True
    cc.max_age = 60
    cc.no_cache = True
    cc.private = "Set-Cookie"
    cc.s_maxage = "30"  # type: ignore[assignment]
    assert (
        headers[-1] == "public, max-age=60, no-cache, private=Set-Cookie, s-maxage=30"
    )
    assert cc.s_maxage == 30
    cc.max_age = None
    cc.public = False
    cc.no_cache = False
    del cc.private
    assert headers[-1] == "s-maxage=30"
    assert len(headers) == 9
    cc["x-custom"] = "1"
    assert headers[-1] == "s-maxage=30, x-custom=1"


def test_response_cache_control_matches_werkzeug_after_changes() -> None:
    ours = ResponseCacheControl()
    theirs = wzds.ResponseCacheControl()
    for target in (ours, theirs):
        target.no_store = True
        target.max_age = 3600
        target.private = True
        target.stale_while_revalidate = 10
        target.must_understand = True
    assert ours.to_header() == theirs.to_header()
    assert dict(ours) == dict(theirs)


def test_response_cache_control_bad_int() -> None:
    cc = ResponseCacheControl()
    with pytest.raises(ValueError):  # int("soon")
        cc.max_age = "soon"  # type: ignore[assignment]
    assert "max-age" not in cc


def test_cache_control_provided() -> None:
    assert RequestCacheControl(None).provided is False
    assert RequestCacheControl({"a": None}).provided is True


def test_cache_control_property_for_extensions() -> None:
    class ExtendedCacheControl(ResponseCacheControl):
        vendor: int | None = cache_control_property("x-vendor", 0, int)
        flag: bool = ResponseCacheControl.cache_property("x-flag", None, bool)

    cc = ExtendedCacheControl({"x-vendor": None})
    assert cc.vendor == 0
    cc.vendor = 5
    cc.flag = True
    assert cc.to_header() == "x-vendor=5, x-flag"
    assert ExtendedCacheControl.vendor.__doc__ == "The ``x-vendor`` directive."


def test_cache_control_repr() -> None:
    cc = ResponseCacheControl({"public": None, "max-age": "5"})
    assert repr(cc) == "<ResponseCacheControl max-age='5' public=None>"


# ---------------------------------------------------------------------------
# ETags


def test_etags_queries() -> None:
    tags = ETags(["a", "b"], ["w"])
    assert tags.contains("a")
    assert "a" in tags
    assert "w" not in tags
    assert tags.contains_weak("w")
    assert tags.contains_weak("a")
    assert not tags.contains_weak("x")
    assert tags.is_strong("a") and not tags.is_strong("w")
    assert tags.is_weak("w") and not tags.is_weak("a")
    assert tags.contains_raw('"a"')
    assert tags.contains_raw('W/"w"')
    assert not tags.contains_raw('"w"')
    assert not tags.contains_raw("")
    assert tags.as_set() == {"a", "b"}
    assert tags.as_set(include_weak=True) == {"a", "b", "w"}
    assert sorted(tags) == ["a", "b"]
    assert len(tags) == 2
    assert bool(tags)
    assert 42 not in tags


def test_etags_call() -> None:
    tags = ETags(["a"], ["w"])
    assert tags("a")
    assert not tags("w")
    assert tags("w", include_weak=True)
    assert not ETags(["x"])(data=b"hello")
    assert ETags(["aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"])(data=b"hello")
    with pytest.raises(TypeError, match="'data' is required"):
        tags()


def test_etags_star() -> None:
    star = ETags(["ignored"], star_tag=True)
    assert star.contains("anything")
    assert "x" in star
    assert star.as_set() == set()
    assert star.to_header() == "*"
    assert bool(star)


def test_etags_empty() -> None:
    empty = ETags()
    assert not empty
    assert empty.to_header() == ""
    assert "a" not in empty


@pytest.mark.parametrize(
    ("strong", "weak"),
    [(["a"], []), ([], ["w"]), (["a"], ["w"])],
)
def test_etags_to_header(strong: list[str], weak: list[str]) -> None:
    ours = ETags(strong, weak)
    assert ours.to_header() == wzds.ETags(strong, weak).to_header()
    assert str(ours) == ours.to_header()
    assert repr(ours) == f"<ETags {ours.to_header()!r}>"


# ---------------------------------------------------------------------------
# Byte ranges


@pytest.mark.parametrize(
    ("start", "stop", "length", "expected"),
    [
        (None, None, None, True),
        (None, None, 10, True),
        (None, None, -1, False),
        (None, 5, 10, False),
        (0, None, 10, False),
        (0, 5, None, True),
        (5, 5, None, False),
        (-1, 5, None, False),
        (0, 5, 10, True),
        (0, 11, 10, True),  # only start is checked against length (Werkzeug)
        (10, 11, 10, False),
        (5, 4, 10, False),
    ],
)
def test_is_byte_range_valid(
    start: int | None, stop: int | None, length: int | None, expected: bool
) -> None:
    assert is_byte_range_valid(start, stop, length) is expected


@pytest.mark.parametrize(
    ("ranges", "length", "span", "content_range"),
    [
        ([(0, 500)], 1000, (0, 500), "bytes 0-499/1000"),
        ([(0, 500)], 100, (0, 100), "bytes 0-99/100"),
        ([(-500, None)], 1000, (500, 1000), "bytes 500-999/1000"),
        ([(-500, None)], 100, None, None),
        ([(900, None)], 1000, (900, 1000), "bytes 900-999/1000"),
        ([(1000, None)], 1000, None, None),
        ([(0, 1), (5, 6)], 1000, None, None),
        ([(0, 1)], None, None, None),
    ],
)
def test_range_for_length(
    ranges: list[tuple[int, int | None]],
    length: int | None,
    span: tuple[int, int] | None,
    content_range: str | None,
) -> None:
    rng = Range("bytes", ranges)
    assert rng.range_for_length(length) == span
    assert rng.to_content_range_header(length) == content_range
    theirs = wzds.Range("bytes", ranges)
    assert theirs.range_for_length(length) == span
    made = rng.make_content_range(length)
    assert (made.to_header() if made else None) == content_range


def test_range_other_units() -> None:
    assert Range("items", [(0, 5)]).range_for_length(10) is None


@pytest.mark.parametrize(
    ("ranges", "header"),
    [
        ([(0, 500)], "bytes=0-499"),
        ([(-500, None)], "bytes=-500"),
        ([(9500, None)], "bytes=9500-"),
        ([(0, 1), (5, 10), (-3, None)], "bytes=0-0,5-9,-3"),
    ],
)
def test_range_to_header(ranges: list[tuple[int, int | None]], header: str) -> None:
    rng = Range("bytes", ranges)
    assert rng.to_header() == header
    assert str(rng) == header
    assert repr(rng) == f"<Range {header!r}>"


@pytest.mark.parametrize("ranges", [[(5, 5)], [(5, 1)], [(-1, 5)]])
def test_range_rejects_invalid(ranges: list[tuple[int, int | None]]) -> None:
    with pytest.raises(ValueError, match="not a valid range"):
        Range("bytes", ranges)


def test_content_range() -> None:
    calls: list[str] = []
    cr = ContentRange("bytes", 0, 500, 1000, on_update=lambda c: calls.append(str(c)))
    assert cr.to_header() == "bytes 0-499/1000"
    assert bool(cr)
    cr.length = None
    assert cr.to_header() == "bytes 0-499/*"
    cr.set(None, None, 1000)
    assert cr.to_header() == "bytes */1000"
    assert (cr.units, cr.start, cr.stop, cr.length) == ("bytes", None, None, 1000)
    cr.unset()
    assert not cr
    assert cr.to_header() == ""
    assert calls == [
        "bytes 0-499/1000",
        "bytes 0-499/*",
        "bytes */1000",
        "",
    ]


@pytest.mark.parametrize(
    ("start", "stop", "length"),
    [(5, 1, None), (0, None, 10), (None, 5, 10), (10, 12, 10), (-1, 2, None)],
)
def test_content_range_rejects_invalid(
    start: int | None, stop: int | None, length: int | None
) -> None:
    with pytest.raises(ValueError, match="invalid content range"):
        ContentRange("bytes", start, stop, length)


def test_content_range_repr() -> None:
    assert repr(ContentRange("bytes", 0, 1, 2)) == "<ContentRange 'bytes 0-0/2'>"


MOMENT = datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("if_range", "header"),
    [
        (IfRange(), ""),
        (IfRange(etag="abc"), '"abc"'),
        (IfRange(date=MOMENT), "Wed, 21 Oct 2015 07:28:00 GMT"),
        (IfRange(etag="abc", date=MOMENT), "Wed, 21 Oct 2015 07:28:00 GMT"),
    ],
)
def test_if_range_to_header(if_range: IfRange, header: str) -> None:
    assert if_range.to_header() == header
    assert str(if_range) == header
    assert repr(if_range) == f"<IfRange {header!r}>"


def test_slots_on_per_request_objects() -> None:
    for obj in [
        ETags(),
        IfRange(),
        Range("bytes", []),
        ContentRange(None, None, None),
        accept.Accept(),
        accept.MIMEAccept(),
        auth.Authorization("basic"),
    ]:
        assert not hasattr(obj, "__dict__"), type(obj).__name__


# ---------------------------------------------------------------------------
# Content-Security-Policy

CSP_DIRECTIVES = [
    "base_uri",
    "child_src",
    "connect_src",
    "default_src",
    "font_src",
    "form_action",
    "frame_ancestors",
    "frame_src",
    "img_src",
    "manifest_src",
    "media_src",
    "navigate_to",
    "object_src",
    "prefetch_src",
    "plugin_types",
    "report_to",
    "report_uri",
    "sandbox",
    "script_src",
    "script_src_attr",
    "script_src_elem",
    "style_src",
    "style_src_attr",
    "style_src_elem",
    "worker_src",
]


@pytest.mark.parametrize("attr", CSP_DIRECTIVES)
def test_csp_directive_properties(attr: str) -> None:
    key = attr.replace("_", "-")
    changes: list[str] = []
    csp = ContentSecurityPolicy(on_update=lambda c: changes.append(c.to_header()))
    assert getattr(csp, attr) is None
    setattr(csp, attr, "'self' https:")
    assert csp[key] == "'self' https:"
    assert getattr(csp, attr) == "'self' https:"
    assert changes == [f"{key} 'self' https:"]
    setattr(csp, attr, None)
    assert key not in csp
    assert changes[-1] == ""
    # The same names and keys as Werkzeug's class.
    theirs = wzds.ContentSecurityPolicy({key: "x"})
    assert getattr(theirs, attr) == getattr(ContentSecurityPolicy({key: "x"}), attr)


def test_csp_to_header_str_and_repr() -> None:
    csp = ContentSecurityPolicy(
        [("default-src", "'self'"), ("upgrade-insecure-requests", ""), ("x", "a b")]
    )
    assert csp.to_header() == "default-src 'self'; upgrade-insecure-requests; x a b"
    assert str(csp) == csp.to_header()
    assert repr(csp) == (
        "<ContentSecurityPolicy default-src=\"'self'\""
        " upgrade-insecure-requests='' x='a b'>"
    )
    assert ContentSecurityPolicy().to_header() == ""
    assert ContentSecurityPolicy().provided
    assert not ContentSecurityPolicy(None).provided


def test_csp_deleting_a_directive() -> None:
    changes: list[ContentSecurityPolicy] = []
    csp = ContentSecurityPolicy({"img-src": "*"}, changes.append)
    del csp.img_src
    assert "img-src" not in csp
    assert len(changes) == 1
    del csp.img_src  # absent: nothing happens
    assert len(changes) == 1


def test_csp_property_rejects_non_str() -> None:
    csp = ContentSecurityPolicy()
    with pytest.raises(TypeError, match=r"'default-src'.*list"):
        csp.default_src = ["'self'"]  # type: ignore[assignment]
    assert not csp


@pytest.mark.parametrize(
    ("directives", "error", "culprit"),
    [
        ({"default-src": "'self'; script-src *"}, ValueError, "default-src"),
        ({"": "x"}, ValueError, "''"),
        ({"two words": "x"}, ValueError, "two words"),
        ({"a;b": "x"}, ValueError, "a;b"),
        ({"img-src": 5}, TypeError, "img-src"),
    ],
)
def test_csp_to_header_rejects_what_would_not_read_back(
    directives: dict[str, t.Any], error: type[Exception], culprit: str
) -> None:
    with pytest.raises(error, match=re.escape(culprit)):
        ContentSecurityPolicy(directives).to_header()


def test_csp_pickle_drops_the_callback() -> None:
    csp = ContentSecurityPolicy({"default-src": "'self'"}, print)
    copy = pickle.loads(pickle.dumps(csp))
    assert copy == csp
    assert type(copy) is ContentSecurityPolicy
    assert copy.on_update is None


def test_csp_property_for_subclasses() -> None:
    class TrustedTypes(ContentSecurityPolicy):
        require_trusted_types_for = csp_property("require-trusted-types-for")

    csp = TrustedTypes()
    csp.require_trusted_types_for = "'script'"
    assert csp.to_header() == "require-trusted-types-for 'script'"
    assert isinstance(csp, CallbackDict)
