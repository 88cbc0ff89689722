from __future__ import annotations

import io
import json
import sys
import typing as t
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from typing import Any

import flask
import pytest
import werkzeug.utils
from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wrappers import Response as WerkzeugResponse

from hipflask.http.datastructures import Headers
from hipflask.http.exceptions import RequestedRangeNotSatisfiable
from hipflask.http.headers import (
    parse_date,
    parse_etags,
    parse_if_range_header,
    parse_range_header,
)
from hipflask.http.response import Response, get_content_type, redirect, text_response

# -- helpers --------------------------------------------------------------------


def items(headers: Any) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers.items()]


def wsgi_environ(method: str = "GET", **extra: Any) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": method,
        "wsgi.url_scheme": "http",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/a/b",
        **extra,
    }


def run_wsgi(
    app: Any, method: str = "GET", **extra: Any
) -> tuple[str, list[tuple[str, str]], bytes, Any]:
    environ = wsgi_environ(method, **extra)
    calls: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Any:
        calls.append((status, headers))
        return lambda data: None

    app_iter = app(environ, start_response)
    try:
        body = b"".join(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if close is not None:
            close()
    return calls[0][0], calls[0][1], body, app_iter


class Closable:
    """A body iterable recording close()."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.chunks)

    def close(self) -> None:
        self.closed = True


# -- construction ---------------------------------------------------------------


def test_hello_fast_path() -> None:
    response = Response("hello")
    assert response.status == "200 OK"
    assert response.status_code == 200
    assert response.response == [b"hello"]
    assert response.headers._list == [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", "5"),
    ]
    assert response.direct_passthrough is False


def test_json_fast_path() -> None:
    response = Response('{"a":1}\n', mimetype="application/json")
    assert response.status == "200 OK"
    assert response.response == [b'{"a":1}\n']
    assert response.headers._list == [
        ("Content-Type", "application/json"),
        ("Content-Length", "8"),
    ]


def test_mimetype_without_automatic_content_length() -> None:
    class NoLength(Response):
        automatically_set_content_length = False

    response = NoLength("x", mimetype="text/plain")
    assert response.headers._list == [("Content-Type", "text/plain; charset=utf-8")]


class _OwnInit(Response):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.headers["X-Own-Init"] = "1"


class _Plain(Response):
    default_mimetype = "text/plain"


class _NoMimetype(Response):
    default_mimetype = None


class _Created(Response):
    default_status = 201


class _OddStatus(Response):
    default_status = 299


class _NoLength(Response):
    automatically_set_content_length = False


@pytest.mark.parametrize(
    "cls", [Response, _OwnInit, _Plain, _NoMimetype, _Created, _OddStatus, _NoLength]
)
@pytest.mark.parametrize("mimetype", [None, "application/json"])
def test_text_response_is_the_class_call(
    cls: type[Response], mimetype: str | None
) -> None:
    made = text_response(cls, "héllo", mimetype)
    expected = cls("héllo", mimetype=mimetype)
    assert type(made) is cls
    assert made.status == expected.status
    assert made.headers._list == expected.headers._list
    assert made.get_data() == expected.get_data()


CONSTRUCTOR_CASES: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    ((), {}),
    (("hello",), {}),
    (("héllo",), {}),
    ((b"bytes",), {}),
    ((bytearray(b"ba"),), {}),
    (([b"a", b"b"],), {}),
    (("x", 404), {}),
    (("x", "404 Custom Phrase"), {}),
    (("x", 201, [("X-A", "1")]), {}),
    (("x", 201, {"X-A": "1", "Content-Type": "text/plain"}), {}),
    (("x",), {"mimetype": "application/json"}),
    (("x",), {"mimetype": "text/plain"}),
    (("x",), {"mimetype": "image/svg+xml"}),
    (("x",), {"mimetype": "application/javascript"}),
    (("x",), {"content_type": "text/plain"}),
    (("x",), {"content_type": "application/x; a=b", "mimetype": "text/plain"}),
    (("x",), {"headers": [("Content-Type", "a/b")], "mimetype": "text/css"}),
    (("",), {}),
    # A mimetype on the straight-line path, and beside it.
    (('{"a":1}\n',), {"mimetype": "application/json"}),
    (("x", 404), {"mimetype": "application/json"}),
    (("x", 299), {"mimetype": "application/json"}),
    (("x", "404 Custom"), {"mimetype": "text/plain"}),
    (("x",), {"mimetype": ""}),
    (("x",), {"mimetype": "text/html"}),
    ((b"x",), {"mimetype": "application/json"}),
    (("x",), {"mimetype": "application/json", "direct_passthrough": True}),
]


@pytest.mark.parametrize(("args", "kwargs"), CONSTRUCTOR_CASES)
def test_construction_matches_flask(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    ours = Response(*args, **kwargs)
    theirs = flask.Response(*args, **kwargs)
    assert ours.status == theirs.status
    assert ours.status_code == theirs.status_code
    assert items(ours.headers) == items(theirs.headers)
    assert ours.get_data() == theirs.get_data()
    assert ours.is_sequence == theirs.is_sequence


def test_str_body_is_encoded_utf8() -> None:
    response = Response("☃")
    assert response.response == [b"\xe2\x98\x83"]
    assert response.content_length == 3


def test_iterable_body_kept_and_streamed() -> None:
    def gen() -> Iterator[bytes]:
        yield b"a"

    body = gen()
    response = Response(body)
    assert response.response is body
    assert "Content-Length" not in response.headers
    assert response.is_streamed
    assert not response.is_sequence


def test_list_body_kept_without_length() -> None:
    body = [b"a", b"bc"]
    response = Response(body)
    assert response.response is body
    assert "Content-Length" not in response.headers
    assert not response.is_streamed
    assert response.is_sequence


def test_headers_instance_adopted() -> None:
    headers = Headers([("X-A", "1")])
    response = Response("x", headers=headers)
    assert response.headers is headers
    assert headers["Content-Type"] == "text/html; charset=utf-8"


def test_existing_content_type_header_kept() -> None:
    response = Response("x", headers={"content-type": "text/plain"})
    assert response.headers.getlist("Content-Type") == ["text/plain"]


def test_headers_validated_when_user_supplied() -> None:
    with pytest.raises(ValueError):
        Response("x", headers=[("X-Bad", "a\r\nInjected: 1")])


def test_direct_passthrough_flag() -> None:
    assert Response(b"x", direct_passthrough=True).direct_passthrough is True


def test_subclass_defaults() -> None:
    class Plain(Response):
        default_mimetype = "text/plain"
        default_status = 201

    class NoType(Response):
        default_mimetype = None

    class NoLength(Response):
        automatically_set_content_length = False

    assert Plain("x").headers["Content-Type"] == "text/plain; charset=utf-8"
    assert Plain("x").status == "201 CREATED"
    assert "Content-Type" not in NoType("x").headers
    assert "Content-Length" not in NoLength("x").headers
    assert NoLength("x").get_data() == b"x"


@pytest.mark.parametrize(
    ("mimetype", "expected"),
    [
        ("text/html", "text/html; charset=utf-8"),
        ("text/plain", "text/plain; charset=utf-8"),
        ("application/json", "application/json"),
        ("application/xml", "application/xml; charset=utf-8"),
        ("application/atom+xml", "application/atom+xml; charset=utf-8"),
        ("application/sql", "application/sql; charset=utf-8"),
        ("image/png", "image/png"),
    ],
)
def test_get_content_type(mimetype: str, expected: str) -> None:
    assert get_content_type(mimetype) == expected
    assert get_content_type(mimetype) == werkzeug.utils.get_content_type(
        mimetype, "utf-8"
    )
    assert get_content_type(mimetype, "latin-1") == werkzeug.utils.get_content_type(
        mimetype, "latin-1"
    )


# -- status ---------------------------------------------------------------------

VALID_STATUSES: list[tuple[Any, str, int]] = [
    (200, "200 OK", 200),
    (HTTPStatus.NOT_FOUND, "404 NOT FOUND", 404),
    ("200", "200 OK", 200),
    ("404 NOT FOUND", "404 NOT FOUND", 404),
    ("404 Not Found", "404 Not Found", 404),
    ("404 Custom words here", "404 Custom words here", 404),
    ("299", "299 UNKNOWN", 299),
    (299, "299 UNKNOWN", 299),
    (" 201  ", "201 CREATED", 201),
    ("404 ", "404 NOT FOUND", 404),
    ("abc", "0 abc", 0),
    (1000, "1000 UNKNOWN", 1000),
    (418, "418 I'M A TEAPOT", 418),
    (308, "308 PERMANENT REDIRECT", 308),
]


@pytest.mark.parametrize(("value", "line", "code"), VALID_STATUSES)
def test_status_valid(value: Any, line: str, code: int) -> None:
    response = Response("x", value)
    assert (response.status, response.status_code) == (line, code)
    theirs = WerkzeugResponse("x", value)
    assert (theirs.status, theirs.status_code) == (line, code)
    setter = Response()
    setter.status = value
    assert (setter.status, setter.status_code) == (line, code)


@pytest.mark.parametrize(
    ("value", "line", "code"), [v for v in VALID_STATUSES if isinstance(v[0], int)]
)
def test_status_code_setter(value: int, line: str, code: int) -> None:
    response = Response()
    response.status_code = value
    assert (response.status, response.status_code) == (line, code)


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ("", ValueError, "Empty status argument"),
        ("   ", ValueError, "Empty status argument"),
        (200.0, TypeError, "Invalid status argument"),
        ((), TypeError, "Invalid status argument"),
        ([200], TypeError, "Invalid status argument"),
        (b"200", TypeError, "Invalid status argument"),
        (object(), TypeError, "Invalid status argument"),
    ],
)
def test_status_invalid(value: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Response("x", value)
    response = Response()
    with pytest.raises(error, match=message):
        response.status = value
    assert response.status == "200 OK"


def test_status_code_setter_rejects_none() -> None:
    response = Response()
    with pytest.raises(TypeError):
        response.status_code = None  # type: ignore[assignment]


# -- body -----------------------------------------------------------------------


def test_data_property_roundtrip() -> None:
    response = Response()
    response.data = "héllo"
    assert response.data == "héllo".encode()
    assert response.headers["Content-Length"] == "6"
    assert response.get_data(as_text=True) == "héllo"
    response.set_data(b"xy")
    assert response.response == [b"xy"]
    assert response.content_length == 2


def test_get_data_buffers_generator_and_closes_it_later() -> None:
    source = Closable([b"a", "b", b"c"])  # type: ignore[list-item]
    response = Response(source)
    assert response.get_data() == b"abc"
    assert response.response == [b"a", b"b", b"c"]
    assert not source.closed
    response.close()
    assert source.closed


def test_direct_passthrough_refuses_buffering() -> None:
    response = Response(iter([b"a"]), direct_passthrough=True)
    with pytest.raises(RuntimeError, match="direct passthrough"):
        response.get_data()
    assert response.calculate_content_length() is None


def test_implicit_sequence_conversion_disabled() -> None:
    class Strict(Response):
        implicit_sequence_conversion = False

    response = Strict(iter([b"a"]))
    with pytest.raises(RuntimeError, match="make_sequence"):
        response.get_data()
    response.make_sequence()
    assert response.get_data() == b"a"


def test_calculate_content_length_and_iter_encoded() -> None:
    response = Response(["ä", b"b"])
    assert list(response.iter_encoded()) == [b"\xc3\xa4", b"b"]
    assert response.calculate_content_length() == 3


def test_freeze() -> None:
    mixed: list[bytes | str] = [b"a", "b"]
    response = Response(iter(mixed))
    response.freeze()
    assert response.response == [b"a", b"b"]
    assert response.headers["Content-Length"] == "2"
    theirs = WerkzeugResponse(iter(mixed))  # type: ignore[arg-type]
    theirs.freeze()
    assert response.headers["ETag"] == theirs.headers["ETag"]


def test_close_runs_callbacks_in_order() -> None:
    source = Closable([b"x"])
    response = Response(source)
    calls: list[str] = []

    def first() -> None:
        calls.append("first")

    assert response.call_on_close(first) is first
    response.call_on_close(lambda: calls.append("second"))
    with response as entered:
        assert entered is response
    assert calls == ["first", "second"]
    assert source.closed


def test_call_on_close_is_per_instance() -> None:
    one = Response()
    one.call_on_close(lambda: None)
    assert len(Response()._on_close) == 0


def test_repr() -> None:
    assert repr(Response("hello")) == "<Response 5 bytes [200 OK]>"
    assert repr(Response(iter([b"x"]), 404)) == "<Response streamed [404 NOT FOUND]>"
    assert repr(Response(io.BytesIO(b"x"))) == "<Response streamed [200 OK]>"


# -- JSON -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mimetype", "expected"),
    [
        ("application/json", True),
        ("application/problem+json", True),
        ("application/jsonx", False),
        ("text/json", False),
        ("text/html", False),
    ],
)
def test_is_json(mimetype: str, expected: bool) -> None:
    assert Response("{}", mimetype=mimetype).is_json is expected


def test_json() -> None:
    response = Response('{"a": [1, 2]}', mimetype="application/json")
    assert response.json == {"a": [1, 2]}
    assert response.get_json() == {"a": [1, 2]}
    html = Response('{"a": 1}')
    assert html.json is None
    assert html.get_json(force=True) == {"a": 1}


def test_json_errors() -> None:
    bad = Response("{nope", mimetype="application/json")
    with pytest.raises(ValueError):
        bad.get_json()
    assert bad.get_json(silent=True) is None


def test_json_module_hook() -> None:
    class Loader:
        @staticmethod
        def loads(data: bytes) -> Any:
            return ("custom", json.loads(data))

    class Custom(Response):
        json_module = Loader

    assert Custom("[1]", mimetype="application/json").json == ("custom", [1])
    assert Response.json_module is json


# -- cookies --------------------------------------------------------------------

COOKIE_CASES: list[dict[str, Any]] = [
    {"key": "a"},
    {"key": "a", "value": "b"},
    {"key": "a", "value": "with space;semi"},
    {"key": "a", "value": "b", "max_age": 60},
    {"key": "a", "value": "b", "max_age": timedelta(hours=1)},
    {
        "key": "a",
        "value": "b",
        "expires": datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    },
    {"key": "a", "value": "b", "expires": 0},
    {"key": "a", "value": "b", "path": "/sub", "domain": "example.com"},
    {"key": "a", "value": "b", "path": None},
    {"key": "a", "value": "b", "secure": True, "httponly": True},
    {"key": "a", "value": "b", "samesite": "Lax"},
    {"key": "a", "value": "b", "samesite": "strict"},
    {"key": "a", "value": "b", "samesite": "None", "secure": True},
    {"key": "a", "value": "b", "partitioned": True},
]


@pytest.mark.parametrize("kwargs", COOKIE_CASES)
def test_set_cookie_matches_werkzeug(kwargs: dict[str, Any]) -> None:
    ours = Response()
    theirs = WerkzeugResponse()
    ours.set_cookie(**kwargs)
    theirs.set_cookie(**kwargs)
    assert ours.headers.getlist("Set-Cookie") == theirs.headers.getlist("Set-Cookie")


def test_set_cookie_exact() -> None:
    response = Response()
    response.set_cookie("sid", "abc", secure=True, httponly=True, samesite="Lax")
    assert response.headers.getlist("Set-Cookie") == [
        "sid=abc; Secure; HttpOnly; Path=/; SameSite=Lax"
    ]
    response = Response()
    response.set_cookie("sid", "abc", max_age=10)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("sid=abc; Expires=")
    assert cookie.endswith(" GMT; Max-Age=10; Path=/")


def test_cookies_accumulate() -> None:
    response = Response()
    response.set_cookie("a", "1")
    response.set_cookie("b", "2")
    assert len(response.headers.getlist("Set-Cookie")) == 2


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"path": "/x", "domain": "example.com"},
        {"secure": True, "samesite": "None"},
        {"partitioned": True},
    ],
)
def test_delete_cookie_matches_werkzeug(kwargs: dict[str, Any]) -> None:
    ours = Response()
    theirs = WerkzeugResponse()
    ours.delete_cookie("a", **kwargs)
    theirs.delete_cookie("a", **kwargs)
    assert ours.headers.getlist("Set-Cookie") == theirs.headers.getlist("Set-Cookie")
    assert "Max-Age=0" in ours.headers["Set-Cookie"]


def test_set_cookie_invalid_samesite() -> None:
    with pytest.raises(ValueError):
        Response().set_cookie("a", "b", samesite="sometimes")


def test_oversized_cookie_warns() -> None:
    assert Response.max_cookie_size == 4093
    with pytest.warns(UserWarning):
        Response().set_cookie("big", "x" * 5000)

    class NoLimit(Response):
        max_cookie_size = 0

    NoLimit().set_cookie("big", "x" * 5000)  # no warning (warnings are errors here)


# -- header views ---------------------------------------------------------------


def test_simple_header_properties() -> None:
    response = Response()
    for attr, header, value in [
        ("location", "Location", "/next"),
        ("content_location", "Content-Location", "/c"),
        ("content_encoding", "Content-Encoding", "gzip"),
        ("accept_ranges", "Accept-Ranges", "bytes"),
        ("content_md5", "Content-MD5", "Q2hlY2sgSW50ZWdyaXR5IQ=="),
        ("content_type", "Content-Type", "application/x-thing"),
    ]:
        setattr(response, attr, value)
        assert response.headers[header] == value
        assert getattr(response, attr) == value
        setattr(response, attr, None)
        assert header not in response.headers
        assert getattr(response, attr) is None
        setattr(response, attr, value)
        delattr(response, attr)
        assert header not in response.headers


def test_content_length_property() -> None:
    response = Response()
    assert response.content_length is None
    response.content_length = 12
    assert response.headers["Content-Length"] == "12"
    assert response.content_length == 12
    response.headers.set("Content-Length", "garbage")
    assert response.content_length is None


def test_mimetype_and_params() -> None:
    response = Response("x", content_type="text/plain; charset=utf-8; format=flowed")
    assert response.mimetype == "text/plain"
    assert response.mimetype_params == {"charset": "utf-8", "format": "flowed"}
    params = response.mimetype_params
    params["charset"] = "latin-1"
    assert response.mimetype_params["charset"] == "latin-1"
    assert response.headers["Content-Type"].startswith("text/plain;")
    response.mimetype = "application/json"
    assert response.headers["Content-Type"] == "application/json"
    response.mimetype = "text/csv"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert Response(content_type="").mimetype is None


DATE = datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("attr", "header"),
    [("date", "Date"), ("expires", "Expires"), ("last_modified", "Last-Modified")],
)
def test_date_properties(attr: str, header: str) -> None:
    response = Response()
    theirs = WerkzeugResponse()
    setattr(response, attr, DATE)
    setattr(theirs, attr, DATE)
    assert (
        response.headers[header]
        == theirs.headers[header]
        == "Wed, 21 Oct 2015 07:28:00 GMT"
    )
    assert getattr(response, attr) == DATE
    setattr(response, attr, 0)
    assert response.headers[header] == "Thu, 01 Jan 1970 00:00:00 GMT"
    response.headers.set(header, "not a date")
    assert getattr(response, attr) is None
    setattr(response, attr, None)
    assert header not in response.headers


def test_age() -> None:
    response = Response()
    response.age = timedelta(seconds=90)
    assert response.headers["Age"] == "90"
    assert response.age == timedelta(seconds=90)
    response.age = 5
    assert response.age == timedelta(seconds=5)
    for bad in ["-1", "abc", "1.5"]:
        response.headers.set("Age", bad)
        assert response.age is None
    with pytest.raises(ValueError):
        response.age = -3


def test_retry_after() -> None:
    response = Response()
    assert response.retry_after is None
    response.retry_after = 120
    assert response.headers["Retry-After"] == "120"
    delta = response.retry_after - datetime.now(timezone.utc)  # type: ignore[operator]
    assert timedelta(seconds=100) < delta <= timedelta(seconds=120)
    response.retry_after = DATE
    assert response.headers["Retry-After"] == "Wed, 21 Oct 2015 07:28:00 GMT"
    assert response.retry_after == DATE
    response.headers.set("Retry-After", "junk")
    assert response.retry_after is None
    response.retry_after = None
    assert "Retry-After" not in response.headers


@pytest.mark.parametrize(
    ("attr", "header"),
    [("vary", "Vary"), ("allow", "Allow"), ("content_language", "Content-Language")],
)
def test_header_set_properties(attr: str, header: str) -> None:
    response = Response()
    view = getattr(response, attr)
    assert len(view) == 0
    view.add("Accept")
    assert response.headers[header] == "Accept"
    view.add("Cookie")
    assert response.headers[header] == "Accept, Cookie"
    view.clear()
    assert header not in response.headers
    setattr(response, attr, ["a", "b"])
    assert response.headers[header] == "a, b"
    assert "a" in getattr(response, attr)
    setattr(response, attr, "x, y")
    assert response.headers[header] == "x, y"
    setattr(response, attr, None)
    assert header not in response.headers


def test_cache_control() -> None:
    response = Response()
    cc = response.cache_control
    cc.max_age = 60
    assert response.headers["Cache-Control"] == "max-age=60"
    response.cache_control.public = True
    assert set(response.headers["Cache-Control"].split(", ")) == {
        "max-age=60",
        "public",
    }
    theirs = WerkzeugResponse()
    theirs.cache_control.max_age = 60
    theirs.cache_control.public = True
    assert response.cache_control.max_age == theirs.cache_control.max_age == 60
    response.cache_control.max_age = None
    response.cache_control.public = False
    assert "Cache-Control" not in response.headers


def test_content_range_property() -> None:
    response = Response()
    rng = response.content_range
    assert not rng
    rng.set(0, 10, 100)
    assert response.headers["Content-Range"] == "bytes 0-9/100"
    assert response.content_range.stop == 10
    response.content_range = "bytes 5-9/10"
    assert response.content_range.start == 5
    response.content_range = None
    assert "Content-Range" not in response.headers


def test_www_authenticate_property() -> None:
    from hipflask.http.header_types import WWWAuthenticate

    response = Response()
    assert response.www_authenticate.type == "basic"
    assert "WWW-Authenticate" not in response.headers
    response.www_authenticate = WWWAuthenticate("basic", {"realm": "r s"})
    assert response.headers["WWW-Authenticate"] == 'Basic realm="r s"'
    challenge = response.www_authenticate
    assert challenge.type == "basic"
    challenge.parameters["realm"] = "changed"
    assert response.headers["WWW-Authenticate"] == "Basic realm=changed"
    response.www_authenticate = [
        WWWAuthenticate("basic", {"realm": "a"}),
        WWWAuthenticate("bearer"),
    ]
    assert len(response.headers.getlist("WWW-Authenticate")) == 2
    del response.www_authenticate
    assert "WWW-Authenticate" not in response.headers


# -- ETags ----------------------------------------------------------------------


def test_etags() -> None:
    response = Response("data")
    assert response.get_etag() == (None, None)
    response.set_etag("abc")
    assert response.headers["ETag"] == '"abc"'
    assert response.get_etag() == ("abc", False)
    response.set_etag("abc", weak=True)
    assert response.headers["ETag"] == 'W/"abc"'
    assert response.get_etag() == ("abc", True)


def test_add_etag_matches_werkzeug() -> None:
    ours = Response("some data")
    theirs = WerkzeugResponse("some data")
    ours.add_etag()
    theirs.add_etag()
    assert ours.headers["ETag"] == theirs.headers["ETag"]
    ours.set_etag("keep")
    ours.add_etag()
    assert ours.get_etag() == ("keep", False)
    ours.add_etag(overwrite=True, weak=True)
    assert ours.get_etag()[1] is True
    assert ours.get_etag()[0] == theirs.get_etag()[0]


# -- make_conditional -----------------------------------------------------------

ETAG = "abc"
LAST_MODIFIED = "Wed, 21 Oct 2015 07:28:00 GMT"
EARLIER = "Tue, 20 Oct 2015 07:28:00 GMT"
LATER = "Thu, 22 Oct 2015 07:28:00 GMT"
BODY = b"0123456789"

HEADER_TO_ENVIRON = {
    "If-Match": "HTTP_IF_MATCH",
    "If-None-Match": "HTTP_IF_NONE_MATCH",
    "If-Modified-Since": "HTTP_IF_MODIFIED_SINCE",
    "If-Unmodified-Since": "HTTP_IF_UNMODIFIED_SINCE",
    "If-Range": "HTTP_IF_RANGE",
    "Range": "HTTP_RANGE",
}


class StandInRequest:
    """The request attributes make_conditional reads, built from header strings."""

    def __init__(self, method: str, headers: dict[str, str]) -> None:
        self.method = method
        self.headers = Headers(headers)
        self.if_match = parse_etags(headers.get("If-Match"))
        self.if_none_match = parse_etags(headers.get("If-None-Match"))
        self.if_modified_since = parse_date(headers.get("If-Modified-Since"))
        self.if_unmodified_since = parse_date(headers.get("If-Unmodified-Since"))
        self.if_range = parse_if_range_header(headers.get("If-Range"))
        self.range = parse_range_header(headers.get("Range"))


def make_source(kind: str, method: str, headers: dict[str, str]) -> Any:
    environ = {
        "REQUEST_METHOD": method,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
    }
    for name, value in headers.items():
        environ[HEADER_TO_ENVIRON[name]] = value
    if kind == "environ":
        return environ
    if kind == "werkzeug":
        return WerkzeugRequest(environ)
    return StandInRequest(method, headers)


SOURCES = ["environ", "stand-in", "werkzeug"]


def conditional_response(body: Any = BODY) -> Response:
    response = Response(body)
    response.set_etag(ETAG)
    response.headers.set("Last-Modified", LAST_MODIFIED)
    return response


# (request headers, method, expected status, expected body after range handling)
CONDITIONAL_MATRIX: list[tuple[str, dict[str, str], str, int, bytes]] = [
    ("plain", {}, "GET", 200, BODY),
    ("inm-match", {"If-None-Match": '"abc"'}, "GET", 304, BODY),
    ("inm-weak-match", {"If-None-Match": 'W/"abc"'}, "GET", 304, BODY),
    ("inm-list", {"If-None-Match": '"x", "abc"'}, "GET", 304, BODY),
    ("inm-star", {"If-None-Match": "*"}, "GET", 304, BODY),
    ("inm-miss", {"If-None-Match": '"other"'}, "GET", 200, BODY),
    ("inm-head", {"If-None-Match": '"abc"'}, "HEAD", 304, BODY),
    ("ims-same", {"If-Modified-Since": LAST_MODIFIED}, "GET", 304, BODY),
    ("ims-later", {"If-Modified-Since": LATER}, "GET", 304, BODY),
    ("ims-earlier", {"If-Modified-Since": EARLIER}, "GET", 200, BODY),
    ("ims-garbage", {"If-Modified-Since": "yesterday"}, "GET", 200, BODY),
    (
        "inm-miss-beats-ims",
        {"If-None-Match": '"other"', "If-Modified-Since": LATER},
        "GET",
        200,
        BODY,
    ),
    ("im-match", {"If-Match": '"abc"'}, "GET", 200, BODY),
    ("im-star", {"If-Match": "*"}, "GET", 200, BODY),
    ("im-miss", {"If-Match": '"other"'}, "GET", 412, BODY),
    ("im-weak", {"If-Match": 'W/"abc"'}, "GET", 412, BODY),
    ("ius-later", {"If-Unmodified-Since": LATER}, "GET", 200, BODY),
    ("ius-same", {"If-Unmodified-Since": LAST_MODIFIED}, "GET", 200, BODY),
    ("ius-earlier", {"If-Unmodified-Since": EARLIER}, "GET", 412, BODY),
    (
        "im-match-ignores-ius",
        {"If-Match": '"abc"', "If-Unmodified-Since": EARLIER},
        "GET",
        200,
        BODY,
    ),
    ("post-ignored", {"If-None-Match": '"abc"'}, "POST", 200, BODY),
    ("range", {"Range": "bytes=0-4"}, "GET", 206, b"01234"),
    ("range-suffix", {"Range": "bytes=-3"}, "GET", 206, b"789"),
    ("range-open", {"Range": "bytes=7-"}, "GET", 206, b"789"),
    ("range-clamped", {"Range": "bytes=8-100"}, "GET", 206, b"89"),
    ("if-range-etag", {"Range": "bytes=0-1", "If-Range": '"abc"'}, "GET", 206, b"01"),
    (
        "if-range-etag-miss",
        {"Range": "bytes=0-1", "If-Range": '"old"'},
        "GET",
        200,
        BODY,
    ),
    (
        "if-range-date",
        {"Range": "bytes=0-1", "If-Range": LAST_MODIFIED},
        "GET",
        206,
        b"01",
    ),
    (
        "if-range-date-old",
        {"Range": "bytes=0-1", "If-Range": EARLIER},
        "GET",
        200,
        BODY,
    ),
    (
        "range-304-first",
        {"Range": "bytes=0-1", "If-None-Match": '"abc"'},
        "GET",
        304,
        BODY,
    ),
    ("range-412-first", {"Range": "bytes=0-1", "If-Match": '"zzz"'}, "GET", 412, BODY),
    ("range-head", {"Range": "bytes=0-4"}, "HEAD", 206, b"01234"),
]


@pytest.mark.parametrize("source_kind", SOURCES)
@pytest.mark.parametrize(
    ("headers", "method", "status", "body"),
    [case[1:] for case in CONDITIONAL_MATRIX],
    ids=[case[0] for case in CONDITIONAL_MATRIX],
)
def test_make_conditional_matrix(
    source_kind: str, headers: dict[str, str], method: str, status: int, body: bytes
) -> None:
    response = conditional_response()
    result = response.make_conditional(
        make_source(source_kind, method, headers),
        accept_ranges=True,
        complete_length=len(BODY),
    )
    assert result is response
    assert response.status_code == status
    assert response.get_data() == body
    if method in ("GET", "HEAD"):
        assert "Date" in response.headers
        assert response.headers["Accept-Ranges"] == "bytes"
        assert response.headers["Content-Length"] == str(len(body))
    else:
        assert "Date" not in response.headers
        assert "Accept-Ranges" not in response.headers
    if status == 206:
        assert response.headers["Content-Range"].startswith("bytes ")
        assert response.headers["Content-Range"].endswith(f"/{len(BODY)}")


@pytest.mark.parametrize("source_kind", SOURCES)
@pytest.mark.parametrize(
    "range_header",
    ["bytes=100-200", "bytes=abc", "bytes=5-2", "lines=0-1", "bytes=0-1, 4-5"],
)
def test_make_conditional_unsatisfiable(source_kind: str, range_header: str) -> None:
    response = conditional_response()
    with pytest.raises(RequestedRangeNotSatisfiable) as info:
        response.make_conditional(
            make_source(source_kind, "GET", {"Range": range_header}),
            accept_ranges=True,
            complete_length=len(BODY),
        )
    assert info.value.length == len(BODY)
    assert ("Content-Range", f"bytes */{len(BODY)}") in info.value.get_headers()
    # Werkzeug agrees that these are 416s.
    theirs = WerkzeugResponse(BODY)
    with pytest.raises(Exception) as wz_info:
        theirs.make_conditional(
            make_source("environ", "GET", {"Range": range_header}),
            accept_ranges=True,
            complete_length=len(BODY),
        )
    assert getattr(wz_info.value, "code", None) == 416


@pytest.mark.parametrize("source_kind", SOURCES)
def test_make_conditional_range_needs_opt_in(source_kind: str) -> None:
    response = conditional_response()
    response.make_conditional(make_source(source_kind, "GET", {"Range": "bytes=0-1"}))
    assert response.status_code == 200
    assert "Accept-Ranges" not in response.headers
    response = conditional_response()
    response.make_conditional(
        make_source(source_kind, "GET", {"Range": "bytes=0-1"}), accept_ranges="bytes"
    )
    assert response.status_code == 200  # no complete_length
    assert response.headers["Accept-Ranges"] == "bytes"
    response = conditional_response()
    response.make_conditional(
        make_source(source_kind, "GET", {"Range": "bytes=0-1"}),
        accept_ranges=True,
        complete_length=0,
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("headers", "method"),
    [
        ({}, "GET"),
        ({"If-None-Match": '"abc"'}, "GET"),
        ({"If-None-Match": '"abc"'}, "HEAD"),
        ({"If-None-Match": '"nope"'}, "GET"),
        ({"If-Modified-Since": LAST_MODIFIED}, "GET"),
        ({"If-Modified-Since": EARLIER}, "GET"),
        ({"If-Match": '"zzz"'}, "GET"),
        ({"If-Match": '"abc"'}, "GET"),
        ({"Range": "bytes=2-5"}, "GET"),
        ({"Range": "bytes=-2"}, "GET"),
        ({"Range": "bytes=2-5", "If-Range": '"abc"'}, "GET"),
        ({"Range": "bytes=2-5", "If-Range": '"no"'}, "GET"),
        ({}, "PUT"),
    ],
)
def test_make_conditional_agrees_with_werkzeug(
    headers: dict[str, str], method: str
) -> None:
    ours = conditional_response()
    theirs = WerkzeugResponse(BODY)
    theirs.set_etag(ETAG)
    theirs.headers["Last-Modified"] = LAST_MODIFIED
    environ = make_source("environ", method, headers)
    ours.make_conditional(environ, accept_ranges=True, complete_length=len(BODY))
    theirs.make_conditional(
        dict(environ), accept_ranges=True, complete_length=len(BODY)
    )
    assert ours.status_code == theirs.status_code
    assert ours.get_data() == theirs.get_data()
    for name in ("Content-Range", "Content-Length", "Accept-Ranges", "ETag"):
        assert ours.headers.get(name) == theirs.headers.get(name)


def test_make_conditional_keeps_existing_date() -> None:
    response = conditional_response()
    response.headers.set("Date", LAST_MODIFIED)
    response.make_conditional({"REQUEST_METHOD": "GET"})
    assert response.headers.getlist("Date") == [LAST_MODIFIED]


def test_make_conditional_without_validators() -> None:
    response = Response(BODY)
    response.make_conditional(
        {
            "REQUEST_METHOD": "GET",
            "HTTP_IF_NONE_MATCH": '"abc"',
            "HTTP_IF_MATCH": '"abc"',
        }
    )
    assert response.status_code == 412  # If-Match cannot match a response without ETag
    response = Response(BODY)
    response.make_conditional(
        {"REQUEST_METHOD": "GET", "HTTP_IF_MODIFIED_SINCE": LATER}
    )
    assert response.status_code == 200


def test_range_over_generator() -> None:
    def chunks() -> Iterator[bytes]:
        yield b"012"
        yield b"345"
        yield "678"  # type: ignore[misc]
        yield b"9"

    response = conditional_response(chunks())
    response.make_conditional(
        {"REQUEST_METHOD": "GET", "HTTP_RANGE": "bytes=2-7"},
        accept_ranges=True,
        complete_length=10,
    )
    assert response.status_code == 206
    assert response.headers["Content-Length"] == "6"
    status, headers, body, _ = run_wsgi(response)
    assert status == "206 PARTIAL CONTENT"
    assert body == b"234567"
    assert ("Content-Range", "bytes 2-7/10") in headers


class SeekableFile:
    """A send_file-style wrapper: iterates blocks, can seek."""

    def __init__(self, data: bytes, block: int = 4) -> None:
        self.file = io.BytesIO(data)
        self.block = block
        self.seeks: list[int] = []
        self.closed = False

    def seekable(self) -> bool:
        return True

    def seek(self, pos: int) -> None:
        self.seeks.append(pos)
        self.file.seek(pos)

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        data = self.file.read(self.block)
        if not data:
            raise StopIteration
        return data

    def close(self) -> None:
        self.closed = True


def test_range_over_seekable_passthrough_body() -> None:
    source = SeekableFile(BODY)
    response = Response(source, direct_passthrough=True)
    response.make_conditional(
        {"REQUEST_METHOD": "GET", "HTTP_RANGE": "bytes=3-8"},
        accept_ranges=True,
        complete_length=10,
    )
    assert response.status_code == 206
    _, headers, body, _ = run_wsgi(response)
    assert body == b"345678"
    assert source.seeks == [3]
    assert ("Content-Length", "6") in headers
    assert source.closed


# -- _prepare and the WSGI call -------------------------------------------------


def test_prepare_common_case_allocates_nothing() -> None:
    response = Response("hello")
    code, headers, body = response._prepare("GET")
    assert code == 200
    assert headers is response.headers._list
    assert body is response.response
    assert body == [b"hello"]


def test_prepare_head() -> None:
    response = Response("hello")
    _, headers, body = response._prepare("HEAD")
    assert list(body) == []
    assert ("Content-Length", "5") in headers


@pytest.mark.parametrize("code", [100, 101, 103, 204])
def test_prepare_no_body_status_drops_length(code: int) -> None:
    response = Response("hello", code)
    status, headers, body = response._prepare("GET")
    assert status == code
    assert list(body) == []
    assert "content-length" not in [name.lower() for name, _ in headers]
    assert ("Content-Type", "text/html; charset=utf-8") in headers
    # The response itself is untouched.
    assert response.headers["Content-Length"] == "5"


def test_prepare_304_drops_entity_headers() -> None:
    response = Response(
        "hello",
        304,
        headers=[
            ("ETag", '"a"'),
            ("Expires", LAST_MODIFIED),
            ("Content-Location", "/x"),
            ("Last-Modified", LAST_MODIFIED),
            ("Cache-Control", "no-cache"),
            ("Allow", "GET"),
            ("Content-Encoding", "gzip"),
            ("Content-Language", "en"),
            ("Content-Range", "bytes 0-1/2"),
            ("Vary", "Cookie"),
        ],
    )
    _, headers, body = response._prepare("GET")
    assert list(body) == []
    assert headers == [
        ("ETag", '"a"'),
        ("Expires", LAST_MODIFIED),
        ("Content-Location", "/x"),
        ("Cache-Control", "no-cache"),
        ("Vary", "Cookie"),
    ]
    theirs = WerkzeugResponse("hello", 304, headers=response.headers._list)
    assert headers == theirs.get_wsgi_headers({}).to_wsgi_list()


def test_prepare_adds_length_to_a_copy() -> None:
    response = Response([b"ab", "c"])
    _, headers, body = response._prepare("GET")
    assert list(body) == [b"ab", b"c"]
    assert headers[-1] == ("Content-Length", "3")
    assert "Content-Length" not in response.headers
    assert headers is not response.headers._list


def test_prepare_streamed_body() -> None:
    mixed: list[bytes | str] = [b"a", "é"]
    response = Response(iter(mixed))
    _, headers, body = response._prepare("GET")
    assert "content-length" not in [name.lower() for name, _ in headers]
    assert list(body) == [b"a", b"\xc3\xa9"]


def test_prepare_direct_passthrough() -> None:
    source = iter([b"a"])
    response = Response(source, direct_passthrough=True)
    _, _, body = response._prepare("GET")
    assert body is source


@pytest.mark.parametrize(
    "location",
    [
        "/plain/path?q=1#frag",
        "/ü ber?q=ä#f",
        "http://Exämple.com:8080/a b",
        "https://example.com/a%20b",
        "relative/path",
        "/with space",
        "/[x]",
    ],
)
def test_prepare_location_iri_matches_werkzeug(location: str) -> None:
    response = redirect(location)
    _, headers, _ = response._prepare("GET")
    theirs = werkzeug.utils.redirect(location)
    expected = theirs.get_wsgi_headers({"REQUEST_METHOD": "GET"}).to_wsgi_list()
    assert headers == expected
    assert response.location == location


def test_prepare_content_location_iri() -> None:
    response = Response("x", headers={"Content-Location": "/é"})
    _, headers, _ = response._prepare("GET")
    assert ("Content-Location", "/%C3%A9") in headers


def test_autocorrect_location_header() -> None:
    class Absolute(Response):
        autocorrect_location_header = True

    response = Absolute("x", 302, headers={"Location": "next"})
    _, headers, _ = response._prepare("GET", "http://localhost/a/b")
    assert ("Location", "http://localhost/a/next") in headers
    _, headers, _ = response._prepare("GET", lambda: "https://h/x/")
    assert ("Location", "https://h/x/next") in headers
    _, headers, _, _ = run_wsgi(response)
    assert ("Location", "http://localhost/a/next") in headers
    # Off by default, as in Flask.
    _, headers, _ = Response("x", 302, headers={"Location": "next"})._prepare(
        "GET", "http://h/a"
    )
    assert ("Location", "next") in headers


WSGI_CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], str]] = [
    ("hello", ("hello",), {}, "GET"),
    ("hello-head", ("hello",), {}, "HEAD"),
    ("not-found", ("gone", 404), {}, "GET"),
    ("no-content", ("ignored", 204), {}, "GET"),
    ("not-modified", ("ignored", 304, {"ETag": '"x"'}), {}, "GET"),
    ("continue", ("", 100), {}, "GET"),
    ("list", ([b"a", "b"],), {}, "GET"),
    ("generator", (iter([b"a", b"b"]),), {}, "GET"),
    ("json", ('{"a": 1}',), {"mimetype": "application/json"}, "GET"),
    ("redirect-iri", ("x", 302, {"Location": "/ü"}), {}, "GET"),
    ("head-list", ([b"abc"],), {}, "HEAD"),
]


@pytest.mark.parametrize(
    ("args", "kwargs", "method"),
    [c[1:] for c in WSGI_CASES],
    ids=[c[0] for c in WSGI_CASES],
)
def test_wsgi_call_matches_flask(
    args: tuple[Any, ...], kwargs: dict[str, Any], method: str
) -> None:
    def copy_args() -> tuple[Any, ...]:
        return tuple(
            iter(list(a)) if isinstance(a, type(iter([]))) else a for a in args
        )

    ours = Response(*copy_args(), **kwargs)
    theirs = flask.Response(*copy_args(), **kwargs)
    # Generators can only be consumed once: rebuild for each side.
    if args and isinstance(args[0], type(iter([]))):
        ours = Response(iter([b"a", b"b"]), **kwargs)
        theirs = flask.Response(iter([b"a", b"b"]), **kwargs)
    assert run_wsgi(ours, method)[:3] == run_wsgi(theirs, method)[:3]


def test_wsgi_call_closes_body_and_callbacks() -> None:
    source = Closable([b"x"])
    response = Response(source)
    closed: list[bool] = []
    response.call_on_close(lambda: closed.append(True))
    _, _, body, _ = run_wsgi(response)
    assert body == b"x"
    assert source.closed
    assert closed == [True]


def test_wsgi_call_head_still_closes() -> None:
    source = Closable([b"x"])
    response = Response(source)
    run_wsgi(response, "HEAD")
    assert source.closed


def test_wsgi_call_gives_server_a_copy_of_headers() -> None:
    response = Response("x")
    seen: list[list[tuple[str, str]]] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Any:
        headers.append(("Server", "mutating"))
        seen.append(headers)
        return lambda data: None

    response({"REQUEST_METHOD": "GET"}, start_response)
    assert "Server" not in response.headers
    assert seen[0][-1] == ("Server", "mutating")


# -- get_wsgi_headers / get_app_iter / get_wsgi_response ---------------------------


def make_pair(case: str) -> tuple[Response, Any]:
    """The same response as hipflask's and as Flask's (Werkzeug's) class."""
    args, kwargs, _ = GET_WSGI_CASES[case]
    pair = []
    for cls in (Response, flask.Response):
        fresh = tuple(iter([b"a", b"b"]) if a == "generator" else a for a in args)
        pair.append(cls(*fresh, **kwargs))
    return pair[0], pair[1]


GET_WSGI_CASES: dict[str, tuple[tuple[Any, ...], dict[str, Any], str]] = {
    "hello": (("hello",), {}, "GET"),
    "hello-head": (("hello",), {}, "HEAD"),
    "list-no-length": (([b"a", "b\u00e9"],), {}, "GET"),
    "list-head": (([b"abc"],), {}, "HEAD"),
    "generator": (("generator",), {}, "GET"),
    "no-content": (("gone", 204), {}, "GET"),
    "continue": (("", 101), {}, "GET"),
    "not-modified": (("x", 304, {"ETag": '"e"', "Allow": "GET"}), {}, "GET"),
    "redirect-iri": (("x", 302, {"Location": "/\u00fc?q=\u00e9"}), {}, "GET"),
    "content-location": (("x", 200, {"Content-Location": "/\u00e9"}), {}, "GET"),
    "custom-status": (("x", "299 Fine Thanks"), {}, "GET"),
}


@pytest.mark.parametrize("case", list(GET_WSGI_CASES))
def test_get_wsgi_response_matches_werkzeug(case: str) -> None:
    method = GET_WSGI_CASES[case][2]
    ours, theirs = make_pair(case)
    environ = wsgi_environ(method)
    app_iter, status, headers = ours.get_wsgi_response(environ)
    their_iter, their_status, their_headers = theirs.get_wsgi_response(environ)
    assert status == their_status == ours.status
    assert headers == their_headers
    assert b"".join(app_iter) == b"".join(their_iter)
    ours, theirs = make_pair(case)
    assert ours.get_wsgi_headers(environ).to_wsgi_list() == (
        theirs.get_wsgi_headers(environ).to_wsgi_list()
    )
    assert b"".join(ours.get_app_iter(environ)) == b"".join(
        theirs.get_app_iter(environ)
    )


@pytest.mark.parametrize("case", list(GET_WSGI_CASES))
def test_get_wsgi_response_is_what_call_sends(case: str) -> None:
    method = GET_WSGI_CASES[case][2]
    first, _ = make_pair(case)
    second, _ = make_pair(case)
    app_iter, status, headers = first.get_wsgi_response(wsgi_environ(method))
    assert (status, headers, b"".join(app_iter)) == run_wsgi(second, method)[:3]


def test_get_wsgi_headers_is_a_copy() -> None:
    response = Response("x")
    headers = response.get_wsgi_headers(wsgi_environ())
    assert isinstance(headers, Headers)
    headers["X-New"] = "1"
    _, _, header_list = response.get_wsgi_response(wsgi_environ())
    header_list.append(("X-Other", "2"))
    assert "X-New" not in response.headers
    assert "X-Other" not in response.headers


def test_get_wsgi_headers_autocorrects_location_from_the_environ() -> None:
    class Absolute(Response):
        autocorrect_location_header = True

    response = Absolute("x", 302, headers={"Location": "next"})
    environ = wsgi_environ(
        "GET",
        HTTP_HOST="example.com:8080",
        SCRIPT_NAME="/app",
        PATH_INFO="/d/\u00c3\u00a9",  # /d/é as PEP 3333 latin-1
        QUERY_STRING="q=1",
    )
    assert response.get_wsgi_headers(environ)["Location"] == (
        "http://example.com:8080/app/d/next"
    )
    _, _, header_list = response.get_wsgi_response(environ)
    assert ("Location", "http://example.com:8080/app/d/next") in header_list
    theirs = flask.Response("x", 302, headers={"Location": "next"})
    theirs.autocorrect_location_header = True
    assert theirs.get_wsgi_headers(environ)["Location"] == (
        "http://example.com:8080/app/d/next"
    )
    # Off by default, as in Flask.
    plain = Response("x", 302, headers={"Location": "next"})
    assert plain.get_wsgi_headers(environ)["Location"] == "next"


def test_get_app_iter_closes_the_response() -> None:
    source = Closable([b"x"])
    response = Response(source)
    closed: list[bool] = []
    response.call_on_close(lambda: closed.append(True))
    app_iter = response.get_app_iter(wsgi_environ("HEAD"))
    assert list(app_iter) == []
    t.cast(Any, app_iter).close()
    assert source.closed
    assert closed == [True]


def test_get_app_iter_without_close_needs_none() -> None:
    response = Response("x")
    assert response.get_app_iter(wsgi_environ()) is response.response
    assert list(response.get_app_iter({})) == [b"x"]  # no method: as for GET


# -- stream ---------------------------------------------------------------------


def test_stream_appends_to_the_body() -> None:
    response = Response("a")
    stream = response.stream
    assert stream is response.stream
    assert response.headers["Content-Length"] == "1"
    assert stream.write("b\u00e9") == 2
    assert stream.write(b"cd") == 2
    assert stream.write(bytearray(b"e")) == 1
    stream.writelines(["f", b"g"])
    assert response.response == [b"a", b"b\xc3\xa9", b"cd", b"e", b"f", b"g"]
    assert "Content-Length" not in response.headers
    assert stream.tell() == 9
    assert response.get_data() == b"ab\xc3\xa9cdefg"
    _, headers, _, _ = run_wsgi(response)
    assert ("Content-Length", "9") in headers


def test_stream_attributes() -> None:
    stream = Response().stream
    assert stream.mode == "wb+"
    assert stream.encoding == "utf-8"
    assert stream.isatty() is False
    stream.flush()
    assert stream.closed is False
    stream.close()
    assert stream.closed is True
    for call in (lambda: stream.write(b"x"), stream.flush, stream.isatty):
        with pytest.raises(ValueError, match="closed file"):
            call()
    assert stream.tell() == 0


def test_stream_print_and_werkzeug_parity() -> None:
    ours, theirs = Response(), flask.Response()
    for response in (ours, theirs):
        print("hello", "world", file=response.stream)
        response.stream.write(b"bytes")
    assert ours.get_data() == theirs.get_data() == b"hello world\nbytes"
    assert run_wsgi(ours)[:3] == run_wsgi(theirs)[:3]


def test_stream_buffers_a_tuple_or_streamed_body() -> None:
    response = Response((b"a", "b"))
    response.stream.write(b"c")
    assert response.response == [b"a", "b", b"c"]
    source = Closable([b"x", b"y"])
    response = Response(source)
    response.stream.write("z")
    assert response.response == [b"x", b"y", b"z"]
    response.close()
    assert source.closed


def test_stream_write_to_an_unbufferable_body_raises_as_get_data() -> None:
    passthrough = Response(iter([b"x"]), direct_passthrough=True)
    with pytest.raises(RuntimeError, match="direct passthrough") as written:
        passthrough.stream.write(b"y")
    with pytest.raises(RuntimeError) as read:
        passthrough.get_data()
    assert str(written.value) == str(read.value)

    class NoConversion(Response):
        implicit_sequence_conversion = False

    response = NoConversion(iter([b"x"]))
    with pytest.raises(RuntimeError, match="implicit conversion was disabled"):
        response.stream.write(b"y")
    with pytest.raises(RuntimeError, match="implicit conversion was disabled"):
        response.stream.tell()


def test_stream_write_rejects_other_types() -> None:
    response = Response("a")
    with pytest.raises(TypeError, match="write\\(\\) takes bytes or str, not int"):
        response.stream.write(5)  # type: ignore[arg-type]
    assert response.response == [b"a"]
    assert response.headers["Content-Length"] == "1"


# -- redirect -------------------------------------------------------------------


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("location", ["/next", "http://example.com/a?b=c&d=<e>", "/ü"])
def test_redirect_matches_werkzeug(code: int, location: str) -> None:
    ours = redirect(location, code)
    theirs = werkzeug.utils.redirect(location, code)
    assert ours.status == theirs.status
    assert ours.get_data() == theirs.get_data()
    assert items(ours.headers) == items(theirs.headers)
    assert ours.headers["Location"] == location


def test_redirect_body_exact() -> None:
    assert redirect("/a&b").get_data(as_text=True) == (
        "<!doctype html>\n"
        "<html lang=en>\n"
        "<title>Redirecting...</title>\n"
        "<h1>Redirecting...</h1>\n"
        "<p>You should be redirected automatically to the target URL: "
        '<a href="/a&amp;b">/a&amp;b</a>. If not, click the link.\n'
    )


def test_redirect_response_class() -> None:
    class Mine(Response):
        pass

    assert type(redirect("/x", Response=Mine)) is Mine
    assert type(redirect("/x")) is Response


def test_redirect_iri_sent_as_uri() -> None:
    status, headers, _, _ = run_wsgi(redirect("/☃ snow"))
    assert status == "302 FOUND"
    assert ("Location", "/%E2%98%83%20snow") in headers


# -- force_type / from_app ------------------------------------------------------


def simple_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("201 CREATED", [("Content-Type", "text/plain"), ("X-App", "1")])
    return [b"made ", b"it"]


def lazy_app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"lazy"


def write_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"written-")
    return [b"returned"]


def test_force_type_reclasses() -> None:
    class Mine(Response):
        pass

    response = Response("x")
    forced = Mine.force_type(response)
    assert forced is response
    assert type(forced) is Mine


def test_force_type_runs_wsgi_app() -> None:
    forced = Response.force_type(simple_app, {"REQUEST_METHOD": "GET"})
    assert forced.status == "201 CREATED"
    assert forced.get_data() == b"made it"
    assert forced.headers["X-App"] == "1"
    with pytest.raises(TypeError, match="without an environ"):
        Response.force_type(simple_app)


@pytest.mark.parametrize("buffered", [False, True])
@pytest.mark.parametrize(
    ("app", "expected"),
    [(simple_app, b"made it"), (lazy_app, b"lazy"), (write_app, b"written-returned")],
)
def test_from_app(app: Any, expected: bytes, buffered: bool) -> None:
    response = Response.from_app(app, {"REQUEST_METHOD": "GET"}, buffered=buffered)
    assert response.get_data() == expected
    assert response.headers["Content-Type"] == "text/plain"
    theirs = WerkzeugResponse.from_app(
        app, {"REQUEST_METHOD": "GET"}, buffered=buffered
    )
    assert response.status == theirs.status


def test_from_app_closes_app_iterable() -> None:
    source = Closable([b"a"])

    def app(environ: dict[str, Any], start_response: Any) -> Closable:
        start_response("200 OK", [])
        return source

    response = Response.from_app(app, {}, buffered=True)
    assert source.closed
    assert response.get_data() == b"a"


def test_from_app_without_start_response() -> None:
    def broken(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        return []

    with pytest.raises(RuntimeError, match="start_response"):
        Response.from_app(broken, {})


def test_wsgi_call_passthrough_body_returned_as_is() -> None:
    source = SeekableFile(BODY)
    response = Response(source, direct_passthrough=True)
    calls: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        calls.append(status)
        return lambda data: None

    assert response({"REQUEST_METHOD": "GET"}, start_response) is source
    assert calls == ["200 OK"]


def test_wsgi_call_passthrough_still_runs_close_callbacks() -> None:
    source = SeekableFile(BODY)
    response = Response(source, direct_passthrough=True)
    closed: list[bool] = []
    response.call_on_close(lambda: closed.append(True))
    _, _, body, _ = run_wsgi(response)
    assert body == BODY
    assert closed == [True]
    assert source.closed


def test_from_app_reraises_exc_info() -> None:
    def failing(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        try:
            raise KeyError("inner")
        except KeyError:
            start_response("500 INTERNAL SERVER ERROR", [], sys.exc_info())
        return []

    with pytest.raises(KeyError, match="inner"):
        Response.from_app(failing, {})


def test_make_conditional_naive_request_dates() -> None:
    request = StandInRequest("GET", {})
    request.if_modified_since = datetime(2015, 10, 21, 7, 28, 0, 500)  # naive = UTC
    response = conditional_response()
    response.make_conditional(request)
    assert response.status_code == 304


def test_range_over_closable_passthrough_body() -> None:
    source = Closable([b"ab", b"cd", b"ef"])
    response = Response(source, direct_passthrough=True)
    response.make_conditional(
        {"REQUEST_METHOD": "GET", "HTTP_RANGE": "bytes=1-4"},
        accept_ranges=True,
        complete_length=6,
    )
    _, headers, body, _ = run_wsgi(response)
    assert body == b"bcde"
    assert ("Content-Range", "bytes 1-4/6") in headers
    assert source.closed


def test_prepare_passes_async_iterable_through() -> None:
    class AsyncBody:
        def __aiter__(self) -> AsyncBody:
            return self

        async def __anext__(self) -> bytes:
            raise StopAsyncIteration

    body = AsyncBody()
    response = Response(body)  # type: ignore[arg-type]
    _, headers, prepared = response._prepare("GET")
    assert prepared is t.cast(t.Any, body)
    assert "content-length" not in [name.lower() for name, _ in headers]


def test_location_that_cannot_be_converted_is_still_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import hipflask.http.urls

    def broken(value: str) -> str:
        raise ValueError("bad authority")

    monkeypatch.setattr(hipflask.http.urls, "iri_to_uri", broken)
    _, headers, _ = redirect("http://host:99999/ä b")._prepare("GET")
    assert ("Location", "http://host:99999/%C3%A4%20b") in headers


@pytest.mark.parametrize(
    "location", ["HTTP://Example.COM/x", "http://host:/a", "/a/b?c=d&e=f#g"]
)
def test_uri_safe_location_sent_unchanged(location: str) -> None:
    _, headers, _ = redirect(location)._prepare("GET")
    assert ("Location", location) in headers


def test_prepare_repeated_location_fields_collapse_like_werkzeug() -> None:
    fields = [
        ("Location", "/first"),
        ("Content-Location", "/c1"),
        ("X-Other", "1"),
        ("Location", "/ä"),
        ("Content-Location", "/c2"),
    ]
    ours = Response("x", 302, headers=fields)
    theirs = WerkzeugResponse("x", 302, headers=fields, mimetype="text/html")
    _, headers, _ = ours._prepare("GET")
    assert headers == theirs.get_wsgi_headers({}).to_wsgi_list()
    assert headers[:3] == [
        ("Location", "/%C3%A4"),
        ("Content-Location", "/c2"),
        ("X-Other", "1"),
    ]
