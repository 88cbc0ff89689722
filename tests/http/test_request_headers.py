"""Tests for hipflask.http.request_headers: the request's header-backed attributes.

The attributes are read from a request built from a WSGI environ and from the
ASGI scope the test builder makes of the same environ; the differential tests
build the environ with Werkzeug's builder and compare every attribute Werkzeug
3.1 also has with ``werkzeug.wrappers.Request`` over that environ.
"""

from __future__ import annotations

import typing as t

import pytest
from werkzeug import datastructures as wzds
from werkzeug.test import EnvironBuilder as WerkzeugBuilder
from werkzeug.wrappers import Request as WerkzeugRequest

from hipflask.http import HeaderSet, Request, RequestHeaderViews, UserAgent
from hipflask.http.request_headers import cached
from hipflask.testing_environ import environ_to_asgi

#: Every attribute the mixin defines.
VIEW_NAMES = [
    "accept_mimetypes",
    "accept_charsets",
    "accept_encodings",
    "accept_languages",
    "cache_control",
    "authorization",
    "if_match",
    "if_none_match",
    "if_modified_since",
    "if_unmodified_since",
    "if_range",
    "range",
    "date",
    "user_agent",
    "referrer",
    "origin",
    "pragma",
    "content_md5",
    "max_forwards",
    "access_control_request_headers",
    "access_control_request_method",
]

#: The attributes this change added, with the header each one reads.
NEW_HEADERS = {
    "access_control_request_headers": "Access-Control-Request-Headers",
    "access_control_request_method": "Access-Control-Request-Method",
    "content_md5": "Content-MD5",
    "max_forwards": "Max-Forwards",
}


def werkzeug_environ(
    headers: dict[str, str] | None = None, **kwargs: t.Any
) -> dict[str, t.Any]:
    """An environ from Werkzeug's own test builder."""
    builder = WerkzeugBuilder("/p", headers=headers, **kwargs)
    try:
        return builder.get_environ()
    finally:
        builder.close()


def both_requests(environ: dict[str, t.Any]) -> list[Request]:
    """A request from ``environ`` (WSGI) and one from its ASGI scope."""
    scope, _ = environ_to_asgi(environ)
    return [Request(dict(environ)), Request.from_asgi(scope)]


def plain(value: t.Any) -> t.Any:
    """A comparable picture of a HeaderSet (hipflask's or Werkzeug's)."""
    if isinstance(value, (HeaderSet, wzds.HeaderSet)):
        return ("HeaderSet", list(value))
    return value


# -- the mixin -------------------------------------------------------------------------


def test_request_inherits_the_views() -> None:
    assert issubclass(Request, RequestHeaderViews)
    assert RequestHeaderViews.__slots__ == ()
    for name in VIEW_NAMES:
        assert name in vars(RequestHeaderViews), name
        assert name not in vars(Request), name
    assert Request.user_agent_class is UserAgent


def test_parsed_views_are_cached_on_the_instance() -> None:
    request = Request(werkzeug_environ({"Accept": "text/html"}))
    assert isinstance(vars(RequestHeaderViews)["accept_mimetypes"], cached)
    first = request.accept_mimetypes
    assert request.__dict__["accept_mimetypes"] is first
    assert request.accept_mimetypes is first


def test_a_user_agent_class_on_a_subclass() -> None:
    class Agent(UserAgent):
        browser = "mine"

    class MyRequest(Request):
        user_agent_class = Agent

    agent = MyRequest(werkzeug_environ({"User-Agent": "x/1"})).user_agent
    assert type(agent) is Agent
    assert agent.string == "x/1"
    assert agent


# -- the new header attributes ---------------------------------------------------------


def test_new_attributes_when_absent() -> None:
    for request in both_requests(werkzeug_environ()):
        for name in NEW_HEADERS:
            assert getattr(request, name) is None, name


def test_new_attributes_when_sent() -> None:
    environ = werkzeug_environ(
        {
            "Access-Control-Request-Headers": "Content-Type, X-Requested-With",
            "Access-Control-Request-Method": "PUT",
            "Content-MD5": "Q2hlY2sgSW50ZWdyaXR5IQ==",
            "Max-Forwards": "10",
        }
    )
    for request in both_requests(environ):
        headers = request.access_control_request_headers
        assert isinstance(headers, HeaderSet)
        assert list(headers) == ["Content-Type", "X-Requested-With"]
        assert "content-type" in headers
        assert request.access_control_request_method == "PUT"
        assert request.content_md5 == "Q2hlY2sgSW50ZWdyaXR5IQ=="
        assert request.max_forwards == 10


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10", 10),
        ("0", 0),
        ("-1", -1),
        ("+5", 5),
        (" 7 ", 7),
        ("abc", None),
        ("", None),
        ("1.5", None),
        ("0x10", None),
        ("1, 2", None),
        ("9" * 5000, None),  # over Python's int digit limit: still no error
    ],
)
def test_max_forwards(value: str, expected: int | None) -> None:
    for request in both_requests(werkzeug_environ({"Max-Forwards": value})):
        assert request.max_forwards == expected


def test_access_control_request_headers_items() -> None:
    environ = werkzeug_environ(
        {"Access-Control-Request-Headers": ' a , ,B,,  c d ,"x, y"'}
    )
    for request in both_requests(environ):
        assert list(request.access_control_request_headers or ()) == [
            "a",
            "B",
            "c d",
            "x, y",
        ]


def test_access_control_request_headers_is_a_fresh_set() -> None:
    request = Request(werkzeug_environ({"Access-Control-Request-Headers": "a"}))
    first = request.access_control_request_headers
    assert first is not None
    first.add("b")
    assert list(request.access_control_request_headers or ()) == ["a"]
    assert request.headers["Access-Control-Request-Headers"] == "a"


def test_access_control_request_headers_folds_case_duplicates() -> None:
    # hipflask's HeaderSet keeps the first of names equal but for case;
    # Werkzeug's keeps both when it parses (its set operations ignore case).
    request = Request(werkzeug_environ({"Access-Control-Request-Headers": "X-A, x-a"}))
    assert list(request.access_control_request_headers or ()) == ["X-A"]


def test_empty_access_control_request_headers_is_an_empty_set() -> None:
    environ = werkzeug_environ({"Access-Control-Request-Headers": ""})
    for request in both_requests(environ):
        headers = request.access_control_request_headers
        assert isinstance(headers, HeaderSet)
        assert not headers


# -- nothing a client sends raises -----------------------------------------------------

ODD_VALUES = [
    "",
    " ",
    ",",
    ",,,",
    '"',
    '"unterminated, x',
    "=",
    ";",
    "*",
    "W/",
    'W/"',
    "bytes=",
    "bytes=-",
    "bytes=5-1",
    "Basic",
    "Basic !!!",
    "Basic " + "A" * 3,
    "Digest ,,=,",
    "\x00\x01\x7f",
    "\u00e9\u00ff",
    "9" * 5000,
    "-" * 100,
    "a=" * 200,
    "Sun, 99 Nov 9999 99:99:99 GMT",
    "q=abc, text/html;q=nan, */*;q=-1",
    "max-age=abc, no-cache=",
]


@pytest.mark.parametrize("value", ODD_VALUES)
def test_odd_values_never_raise(value: str) -> None:
    header_names = [
        "Accept",
        "Accept-Charset",
        "Accept-Encoding",
        "Accept-Language",
        "Cache-Control",
        "Authorization",
        "If-Match",
        "If-None-Match",
        "If-Modified-Since",
        "If-Unmodified-Since",
        "If-Range",
        "Range",
        "Date",
        "User-Agent",
        "Referer",
        "Origin",
        "Pragma",
        *NEW_HEADERS.values(),
    ]
    environ = werkzeug_environ(dict.fromkeys(header_names, value))
    for request in both_requests(environ):
        for name in VIEW_NAMES:
            getattr(request, name)


# -- against Werkzeug ------------------------------------------------------------------

DIFFERENTIAL_CASES: list[dict[str, str]] = [
    {},
    {"Max-Forwards": "abc"},
    {"Max-Forwards": "-1"},
    {"Max-Forwards": "10"},
    {"Max-Forwards": " 10 "},
    {"Max-Forwards": ""},
    {"Max-Forwards": "1.0"},
    {"Max-Forwards": "9" * 5000},
    {"Access-Control-Request-Headers": "Content-Type, X-Custom"},
    {"Access-Control-Request-Headers": ' a , ,B,,  c d ,"x, y"'},
    {"Access-Control-Request-Headers": ""},
    {"Access-Control-Request-Headers": " , , "},
    {"Access-Control-Request-Headers": '"unterminated, x'},
    {"Access-Control-Request-Method": "DELETE"},
    {"Access-Control-Request-Method": ""},
    {"Content-MD5": "Q2hlY2sgSW50ZWdyaXR5IQ=="},
    {"Content-MD5": ""},
    {
        "Max-Forwards": "0",
        "Access-Control-Request-Headers": "authorization",
        "Access-Control-Request-Method": "POST",
        "Content-MD5": "x",
        "Pragma": "no-cache",
        "Referer": "https://example.com/",
        "Origin": "null",
    },
]

#: The new attributes read from the environ rather than a header.
ENVIRON_NAMES = ["remote_user", "is_multithread", "is_multiprocess", "is_run_once"]


@pytest.mark.parametrize(
    "headers", DIFFERENTIAL_CASES, ids=[str(i) for i in range(len(DIFFERENTIAL_CASES))]
)
def test_new_header_attributes_match_werkzeug(headers: dict[str, str]) -> None:
    environ = werkzeug_environ(headers)
    theirs = WerkzeugRequest(dict(environ))
    # (Not pragma: Werkzeug's is a HeaderSet, hipflask's the header's text.)
    names = [*NEW_HEADERS, "referrer", "origin"]
    for ours in both_requests(environ):
        for name in names:
            assert plain(getattr(ours, name)) == plain(getattr(theirs, name)), name


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"multithread": True},
        {"multiprocess": True, "run_once": True},
        {"environ_overrides": {"REMOTE_USER": "bob"}},
        {"environ_overrides": {"REMOTE_USER": ""}},
        {"multithread": True, "multiprocess": True, "run_once": True},
    ],
)
def test_environ_attributes_match_werkzeug(kwargs: dict[str, t.Any]) -> None:
    environ = werkzeug_environ(**kwargs)
    theirs = WerkzeugRequest(dict(environ))
    ours = Request(dict(environ))
    for name in ENVIRON_NAMES:
        assert getattr(ours, name) == getattr(theirs, name), name


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"method": "POST", "data": {"a": "b"}},
        {"method": "POST", "data": b"x", "content_type": "text/plain"},
        {"method": "POST", "data": b"x", "content_type": ""},
        {"method": "POST", "json": {"a": 1}},
    ],
)
def test_want_form_data_parsed_matches_werkzeug(kwargs: dict[str, t.Any]) -> None:
    environ = werkzeug_environ(**kwargs)
    expected = WerkzeugRequest(dict(environ)).want_form_data_parsed
    for ours in both_requests(environ):
        assert ours.want_form_data_parsed is expected


def test_missing_wsgi_flags_read_false() -> None:
    # Werkzeug gives the raw value (None when missing); hipflask a bool.
    request = Request({"REQUEST_METHOD": "GET", "PATH_INFO": "/"})
    assert request.remote_user is None
    assert request.is_multithread is False
    assert request.is_multiprocess is False
    assert request.is_run_once is False
    truthy = Request({"wsgi.multithread": 1, "wsgi.run_once": "yes"})
    assert truthy.is_multithread is True
    assert truthy.is_run_once is True


def test_environ_attributes_under_asgi() -> None:
    environ = werkzeug_environ(
        multithread=False,
        multiprocess=True,
        run_once=True,
        environ_overrides={"REMOTE_USER": "bob"},
    )
    scope, _ = environ_to_asgi(environ)
    request = Request.from_asgi(scope)
    # The wsgi.* flags do not cross into a scope: the ASGI answers.
    assert request.is_multithread is True
    assert request.is_multiprocess is False
    assert request.is_run_once is False
    # REMOTE_USER does, in the hipflask.environ extension (as the test client).
    assert request.remote_user == "bob"
    plain_scope = dict(scope, extensions={})
    assert Request.from_asgi(plain_scope).remote_user is None


def test_explicit_flags_in_the_scope_extension_win() -> None:
    scope, _ = environ_to_asgi(werkzeug_environ())
    scope["extensions"] = {
        "hipflask.environ": {"wsgi.multithread": False, "wsgi.multiprocess": True}
    }
    request = Request.from_asgi(scope)
    assert request.is_multithread is False
    assert request.is_multiprocess is True
    assert request.is_run_once is False
