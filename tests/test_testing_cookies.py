"""The test client's cookie jar."""

from __future__ import annotations

import time
import typing as t

import pytest
import werkzeug.test

from hipflask.testing_cookies import Cookie, CookieJar, host_name


@pytest.mark.parametrize(
    "header",
    [
        "a=b",
        "a=b; Path=/x; Domain=example.com",
        'q="with \\"quotes\\" and \\054comma"; HttpOnly',
        "s=1; Secure; SameSite=Strict",
        "e=1; Expires=Wed, 21 Oct 2099 07:28:00 GMT",
        "m=1; Max-Age=3600",
        "sp = spaced ; path = /p ; DOMAIN = sub.example.com",
        "u=%C3%A9",
    ],
)
def test_parse_matches_werkzeug(header: str) -> None:
    ours = Cookie._from_response_header("www.example.com", "/dir/page", header)
    theirs = werkzeug.test.Cookie._from_response_header(
        "www.example.com", "/dir/page", header
    )
    assert ours is not None
    fields = [f for f in theirs.__dataclass_fields__ if f != "domain"]
    assert {f: getattr(ours, f) for f in fields} == {
        f: getattr(theirs, f) for f in fields
    }
    assert ours.domain == theirs.domain.lstrip(".").lower()


@pytest.mark.parametrize(
    ("header", "max_age", "expired"),
    [
        ("k=v; Max-Age=10", 10, False),
        ("k=v; Max-Age=0", 0, True),
        ("k=v; Max-Age=-5", -5, True),
        ("k=v; Max-Age=1e3", None, False),
        ("k=v; Max-Age=", None, False),
        ("k=v; Max-Age=\u0661", None, False),  # a non-ASCII digit
        ("k=v; Max-Age", None, False),
    ],
)
def test_max_age(header: str, max_age: int | None, expired: bool) -> None:
    cookie = Cookie._from_response_header("h", "/", header, now=1000.0)
    assert cookie is not None
    assert cookie.max_age == max_age
    assert cookie._expired(1000.0) is expired


@pytest.mark.parametrize("header", ["", ";", "novalue", "=v", "  =v; Path=/", "; a=b"])
def test_unusable_headers(header: str) -> None:
    assert Cookie._from_response_header("h", "/", header) is None


@pytest.mark.parametrize(
    ("domain", "origin_only", "host", "matches"),
    [
        ("example.com", True, "example.com", True),
        ("example.com", True, "www.example.com", False),
        ("example.com", False, "www.example.com", True),
        ("example.com", False, "a.b.example.com", True),
        ("example.com", False, "badexample.com", False),
        ("example.com", False, "example.org", False),
        ("example.com", False, "com", False),
    ],
)
def test_domain_matching(
    domain: str, origin_only: bool, host: str, matches: bool
) -> None:
    cookie = Cookie._from_response_header(domain, "/", "k=v")
    assert cookie is not None
    cookie.origin_only = origin_only
    assert cookie._matches_request(host, "/") is matches


@pytest.mark.parametrize(
    ("cookie_path", "path", "matches"),
    [
        ("/", "/", True),
        ("/", "/anything/else", True),
        ("/foo", "/foo", True),
        ("/foo", "/foo/", True),
        ("/foo", "/foo/bar", True),
        ("/foo", "/foobar", False),
        ("/foo/", "/foo/bar", True),
        ("/foo/", "/foo", False),
        ("/foo", "/", False),
    ],
)
def test_path_matching(cookie_path: str, path: str, matches: bool) -> None:
    cookie = Cookie._from_response_header("h", "/", f"k=v; Path={cookie_path}")
    assert cookie is not None
    assert cookie._matches_request("h", path) is matches


@pytest.mark.parametrize(
    ("request_path", "attribute", "expected"),
    [
        ("/", "", "/"),
        ("/page", "", "/"),
        ("/dir/page", "", "/dir"),
        ("/dir/sub/", "", "/dir/sub"),
        ("/dir/page", "; Path=relative", "/dir"),
        ("/dir/page", "; Path=", "/dir"),
        ("/dir/page", "; Path=/explicit", "/explicit"),
    ],
)
def test_default_path(request_path: str, attribute: str, expected: str) -> None:
    cookie = Cookie._from_response_header("h", request_path, "k=v" + attribute)
    assert cookie is not None
    assert cookie.path == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("example.com", "example.com"),
        ("Example.COM:8080", "example.com"),
        ("example.com.", "example.com"),
        ("[::1]:5000", "::1"),
        ("[::1]", "::1"),
        ("user@host:1", "host"),
        ("", ""),
        ("[unterminated", "unterminated"),
    ],
)
def test_host_name(host: str, expected: str) -> None:
    assert host_name(host) == expected


def test_jar_store_send_and_expire() -> None:
    jar = CookieJar()
    jar.update_from_headers("h", "/", ["a=1", "b=2; Max-Age=100", "c=3; Secure"])
    assert len(jar) == 3
    assert jar.request_header("h", "/", secure=False) == "a=1; b=2"
    assert jar.request_header("h", "/", secure=True) == "a=1; b=2; c=3"
    # Same (domain, path, name): replaced in place, order kept.
    jar.update_from_headers("h", "/", ["a=new"])
    assert jar.request_header("h", "/", secure=False) == "a=new; b=2"
    # A cookie whose time ran out is dropped when next due to be sent.
    b = jar.get("b", "h")
    assert b is not None
    b.expires_at = time.time() - 1
    assert jar.request_header("h", "/", secure=False) == "a=new"
    assert jar.get("b", "h") is None
    assert [c.key for c in jar] == ["a", "c"]


def test_jar_set_and_delete() -> None:
    jar = CookieJar()
    jar.set(
        "k", "v v", domain="example.com", origin_only=False, path="/p", httponly=True
    )
    cookie = jar.get("k", "example.com", "/p")
    assert cookie is not None
    assert (cookie.value, cookie.decoded_value, cookie.http_only) == (
        '"v v"',
        "v v",
        True,
    )
    assert jar.request_header("www.example.com", "/p/x", secure=False) == 'k="v v"'
    jar.set("k", "", domain="example.com", path="/p", max_age=0)
    assert jar.get("k", "example.com", "/p") is None
    jar.set("x", "1")
    jar.delete("x")
    jar.delete("never-set")
    assert len(jar) == 0
    assert jar.request_header("localhost", "/", secure=True) == ""


def test_cookie_fields() -> None:
    cookie = Cookie._from_response_header(
        "h", "/", "k=v; Domain=.Sub.Example.com; SameSite=None; Secure"
    )
    assert cookie is not None
    expected: dict[str, t.Any] = {
        "key": "k",
        "value": "v",
        "decoded_key": "k",
        "decoded_value": "v",
        "expires": None,
        "max_age": None,
        "domain": "sub.example.com",
        "origin_only": False,
        "path": "/",
        "secure": True,
        "http_only": False,
        "same_site": "None",
    }
    assert {name: getattr(cookie, name) for name in expected} == expected
    assert cookie.expires_at is None
