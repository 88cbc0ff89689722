"""Every Response name issue #2 lists, plus HTTP errors and ``abort``.

Most tests have a view build a response, change it through one public name and
return it; the ``client`` fixture runs each under WSGI and ASGI. Where the
result is a header, the same change is made to Flask's own ``Response`` (a
Werkzeug response with Flask's defaults) and served through Werkzeug's test
client: status, headers and body must be identical. Unit checks at the end
read the attributes back on both classes.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from http import HTTPStatus

import flask
import pytest
import werkzeug.exceptions
import werkzeug.http
from werkzeug.test import Client as WerkzeugClient
from werkzeug.test import EnvironBuilder as WerkzeugEnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest

from hipflask import Flask, Response, abort, jsonify, request
from hipflask.http import (
    HTTPException,
    NotFound,
    RequestedRangeNotSatisfiable,
    ResponseCacheControl,
    default_exceptions,
)
from hipflask.http import Response as PlainResponse
from hipflask.http import abort as http_abort
from hipflask.http.dates import parse_date
from hipflask.http.headers import COEP
from hipflask.testing import FlaskClient

UTC = timezone.utc
WHEN = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)

AnyResponse = t.Any  # hipflask.Response or flask.Response: same public names
Operation = Callable[[AnyResponse], object]


Answer = tuple[int, list[tuple[str, str]], bytes]


def _answer(status_code: int, headers: t.Any, body: bytes) -> Answer:
    # Names in lower case: ASGI sends them so, and they are case-insensitive.
    items = sorted(
        (name.lower(), _dated(name, value)) for name, value in headers.items()
    )
    return status_code, items, body


def _dated(name: str, value: str) -> str:
    """A Date field's value as a placeholder, once it is checked to be an HTTP
    date: two responses made a second apart (theirs and ours) still compare."""
    if name.lower() != "date":
        return value
    assert parse_date(value) is not None, value
    return "<an HTTP date>"


def _werkzeug_answer(response: AnyResponse) -> Answer:
    answer = WerkzeugClient(response).get("/")
    return _answer(answer.status_code, answer.headers, answer.get_data())


def _our_answer(rv: t.Any) -> Answer:
    return _answer(rv.status_code, rv.headers, rv.get_data())


def _set_cookie_everything(r: AnyResponse) -> None:
    r.set_cookie(
        "k",
        "v w",
        max_age=60,
        expires=WHEN,
        path="/p",
        domain="example.com",
        secure=True,
        httponly=True,
        samesite="Lax",
        partitioned=True,
    )


def _headers(r: AnyResponse) -> None:
    r.headers["X-One"] = "1"
    r.headers.add("X-Multi", "a")
    r.headers.add("X-Multi", "b")
    r.headers.set("x-one", "replaced")


def _cache_control(r: AnyResponse) -> None:
    r.cache_control.public = True
    r.cache_control.max_age = 60
    r.cache_control.must_revalidate = True


def _cache_control_private(r: AnyResponse) -> None:
    r.cache_control.no_store = True
    r.cache_control.private = True
    r.cache_control.s_maxage = 10


def _vary(r: AnyResponse) -> None:
    r.vary.add("Accept-Encoding")
    r.vary.add("Cookie")
    r.vary.add("cookie")


def _csp(r: AnyResponse) -> None:
    r.content_security_policy.default_src = "'self'"
    r.content_security_policy.img_src = "* data:"
    r.content_security_policy_report_only = "default-src 'none'; report-uri /r"


def _cors(r: AnyResponse) -> None:
    r.access_control_allow_origin = "https://example.com"
    r.access_control_allow_credentials = True
    r.access_control_allow_methods = ["GET", "POST"]
    r.access_control_allow_headers = ["X-Requested-With", "Content-Type"]
    # A list: Werkzeug would write a str assigned here character by character.
    r.access_control_expose_headers = ["X-Total"]
    r.access_control_max_age = 600


def _isolation(r: AnyResponse) -> None:
    # Each side takes its own enums; hipflask's accepts the str values too.
    theirs = isinstance(r, flask.Response)
    r.cross_origin_opener_policy = (
        werkzeug.http.COOP.SAME_ORIGIN if theirs else "same-origin"
    )
    r.cross_origin_embedder_policy = (
        werkzeug.http.COEP.REQUIRE_CORP if theirs else COEP.REQUIRE_CORP
    )


def _stream(r: AnyResponse) -> None:
    r.stream.write(" and more")
    r.stream.writelines([b", bytes", "\u00e9"])


OPERATIONS: dict[str, Operation] = {
    "nothing": lambda r: None,
    "status-int": lambda r: setattr(r, "status", 201),
    "status-line": lambda r: setattr(r, "status", "299 Custom Thing"),
    "status-http-status": lambda r: setattr(r, "status", HTTPStatus.ACCEPTED),
    "status-code": lambda r: setattr(r, "status_code", 404),
    "status-code-unknown": lambda r: setattr(r, "status_code", 599),
    "headers": _headers,
    "mimetype-text": lambda r: setattr(r, "mimetype", "text/plain"),
    "mimetype-json": lambda r: setattr(r, "mimetype", "application/json"),
    "mimetype-xml": lambda r: setattr(r, "mimetype", "application/xml"),
    "content-type": lambda r: setattr(
        r, "content_type", "application/xml; charset=latin-1"
    ),
    "content-length": lambda r: setattr(r, "content_length", 4),
    "set-data-text": lambda r: r.set_data("h\u00e9llo"),
    "set-data-bytes": lambda r: r.set_data(b"\x00\x01\x02"),
    "data-property": lambda r: setattr(r, "data", "via data"),
    "set-cookie": lambda r: r.set_cookie("k", "v"),
    "set-cookie-everything": _set_cookie_everything,
    "set-cookie-max-age-timedelta": lambda r: r.set_cookie(
        "k", "v", max_age=timedelta(hours=1, seconds=1)
    ),
    "set-cookie-expires-timestamp": lambda r: r.set_cookie("k", "v", expires=0),
    "set-cookie-expires-string": lambda r: r.set_cookie(
        "k", "v", expires="Thu, 01 Jan 2032 00:00:00 GMT"
    ),
    "set-cookie-samesite-strict": lambda r: r.set_cookie("k", "v", samesite="Strict"),
    "set-cookie-samesite-none": lambda r: r.set_cookie(
        "k", "v", samesite="None", secure=True
    ),
    "set-cookie-no-path": lambda r: r.set_cookie("k", "v", path=None),
    "set-cookie-quoted-value": lambda r: r.set_cookie("k", 'a "quoted";\\ value'),
    "set-cookie-two": lambda r: (r.set_cookie("a", "1"), r.set_cookie("b", "2")),
    "delete-cookie": lambda r: r.delete_cookie("k"),
    "delete-cookie-scoped": lambda r: r.delete_cookie(
        "k", path="/p", domain=".example.com", secure=True, httponly=True
    ),
    "location": lambda r: setattr(r, "location", "/elsewhere?x=1"),
    "location-iri": lambda r: setattr(r, "location", "/caf\u00e9?q=\u00e9"),
    "location-absolute": lambda r: setattr(r, "location", "https://example.com/x"),
    "cache-control": _cache_control,
    "cache-control-private": _cache_control_private,
    "vary": _vary,
    "expires": lambda r: setattr(r, "expires", WHEN),
    "expires-timestamp": lambda r: setattr(r, "expires", 0),
    "last-modified": lambda r: setattr(r, "last_modified", WHEN),
    "set-etag": lambda r: r.set_etag("abc"),
    "set-etag-weak": lambda r: r.set_etag("abc", weak=True),
    "add-etag": lambda r: r.add_etag(),
    "add-etag-weak": lambda r: r.add_etag(weak=True),
    "add-etag-keeps-existing": lambda r: (r.set_etag("mine"), r.add_etag()),
    "add-etag-overwrite": lambda r: (r.set_etag("mine"), r.add_etag(overwrite=True)),
    "content-security-policy": _csp,
    "cors": _cors,
    "cross-origin-isolation": _isolation,
    "stream": _stream,
}


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_response_names_through_a_view(
    app: Flask, client: FlaskClient, name: str
) -> None:
    operation = OPERATIONS[name]

    @app.route("/")
    def view() -> Response:
        response = Response("body")
        operation(response)
        return response

    expected = flask.Response("body")
    operation(expected)
    assert _our_answer(client.get("/")) == _werkzeug_answer(expected)


def test_some_operations_exactly(app: Flask, client: FlaskClient) -> None:
    # The Werkzeug comparison above could pass with both wrong: pin a few.
    results: dict[str, t.Any] = {}
    for name in ("status-line", "set-cookie-everything", "cache-control", "vary"):
        operation = OPERATIONS[name]
        response = Response("body")
        operation(response)
        results[name] = response
    assert results["status-line"].status == "299 Custom Thing"
    assert results["status-line"].status_code == 299
    assert results["set-cookie-everything"].headers["Set-Cookie"] == (
        'k="v w"; Domain=example.com; Expires=Wed, 02 Jan 2030 03:04:05 GMT;'
        " Max-Age=60; Secure; HttpOnly; Path=/p; SameSite=Lax; Partitioned"
    )
    assert results["cache-control"].headers["Cache-Control"] == (
        "public, max-age=60, must-revalidate"
    )
    assert results["vary"].headers["Vary"] == "Accept-Encoding, Cookie"


# -- the body --------------------------------------------------------------------------


def test_status_and_body_returned_by_a_view(app: Flask, client: FlaskClient) -> None:
    @app.route("/")
    def view() -> Response:
        response = Response("created", status=201, mimetype="text/plain")
        assert response.status == "201 CREATED"
        assert response.status_code == 201
        assert response.get_data() == b"created"
        assert response.get_data(as_text=True) == "created"
        assert response.content_length == 7
        return response

    rv = client.get("/")
    assert rv.status == "201 CREATED"
    assert rv.status_code == 201
    assert rv.data == b"created"
    assert rv.mimetype == "text/plain"
    assert rv.content_type == "text/plain; charset=utf-8"
    assert rv.content_length == 7


def test_streamed_response(app: Flask, client: FlaskClient) -> None:
    seen: dict[str, t.Any] = {}

    def generate() -> Iterator[str]:
        yield "a"
        yield "b\u00e9"
        yield ""
        yield "c"

    @app.route("/")
    def view() -> Response:
        response = Response(generate(), mimetype="text/plain")
        seen["is_streamed"] = response.is_streamed
        seen["response_is_iterator"] = not isinstance(response.response, list)
        return response

    rv = client.get("/")
    assert rv.data == "ab\u00e9c".encode()
    assert "Content-Length" not in rv.headers
    assert seen == {"is_streamed": True, "response_is_iterator": True}


def test_is_streamed_and_response_attribute() -> None:
    fixed = Response("x")
    assert fixed.response == [b"x"]
    assert fixed.is_streamed is False
    listed = Response([b"a", "b"])
    assert listed.is_streamed is False
    assert listed.get_data() == b"ab"
    generated = Response(iter([b"a"]))
    assert generated.is_streamed is True
    assert generated.get_data() == b"a"
    # get_data buffered the iterator into a list.
    assert generated.response == [b"a"]
    assert generated.is_streamed is False


def test_direct_passthrough(app: Flask, client: FlaskClient) -> None:
    @app.route("/")
    def view() -> Response:
        response = Response(iter([b"raw ", b"bytes"]), direct_passthrough=True)
        assert response.direct_passthrough is True
        with pytest.raises(RuntimeError, match="direct passthrough"):
            response.get_data()
        return response

    rv = client.get("/")
    assert rv.data == b"raw bytes"
    assert Response("x").direct_passthrough is False


def test_call_on_close(app: Flask, client: FlaskClient) -> None:
    closed: list[str] = []

    @app.route("/")
    def view() -> Response:
        response = Response("closing")
        returned = response.call_on_close(lambda: closed.append("first"))
        assert callable(returned)

        @response.call_on_close
        def second() -> None:
            closed.append("second")

        return response

    rv = client.get("/")
    assert rv.data == b"closing"
    assert closed == ["first", "second"]


def test_call_on_close_with_a_streamed_body(app: Flask, client: FlaskClient) -> None:
    events: list[str] = []

    def generate() -> Iterator[bytes]:
        events.append("start")
        yield b"data"
        events.append("end")

    @app.route("/")
    def view() -> Response:
        response = Response(generate())
        response.call_on_close(lambda: events.append("closed"))
        return response

    assert client.get("/").data == b"data"
    assert events == ["start", "end", "closed"]


def test_json_and_get_json(app: Flask, client: FlaskClient) -> None:
    @app.route("/json")
    def json_view() -> Response:
        return jsonify(a=[1, 2], b="\u00e9")

    @app.route("/text")
    def text_view() -> Response:
        return Response('{"a": 1}', mimetype="text/plain")

    rv = client.get("/json")
    assert rv.json == {"a": [1, 2], "b": "\u00e9"}
    assert rv.get_json() == {"a": [1, 2], "b": "\u00e9"}
    assert rv.mimetype == "application/json"
    rv = client.get("/text")
    assert rv.json is None
    assert rv.get_json() is None
    assert rv.get_json(force=True) == {"a": 1}


@pytest.mark.parametrize(
    ("body", "mimetype", "kwargs", "expected"),
    [
        ('{"a": 1}', "application/json", {}, {"a": 1}),
        ('{"a": 1}', "application/problem+json", {}, {"a": 1}),
        ('{"a": 1}', "text/plain", {}, None),
        ('{"a": 1}', "text/plain", {"force": True}, {"a": 1}),
        ("{bad", "application/json", {"silent": True}, None),
        ("{bad", "application/json", {}, ValueError),
        ("", "application/json", {"silent": True}, None),
    ],
)
def test_get_json_like_werkzeug(
    body: str, mimetype: str, kwargs: dict[str, bool], expected: object
) -> None:
    ours = Response(body, mimetype=mimetype)
    theirs = flask.Response(body, mimetype=mimetype)
    if expected is ValueError:
        with pytest.raises(ValueError):
            ours.get_json(**kwargs)
        with pytest.raises(ValueError):
            theirs.get_json(**kwargs)
    else:
        assert ours.get_json(**kwargs) == expected
        assert theirs.get_json(**kwargs) == expected
        if not kwargs:
            assert ours.json == theirs.json == expected


# -- defaults --------------------------------------------------------------------------


def test_default_mimetype_and_status(app: Flask, client: FlaskClient) -> None:
    class PlainTextResponse(Response):
        default_mimetype = "text/plain"
        default_status = 202

    app.response_class = PlainTextResponse
    app.route("/")(lambda: "queued")
    rv = client.get("/")
    assert rv.status_code == 202
    assert rv.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert rv.data == b"queued"


def test_defaults_of_the_classes() -> None:
    assert Response.default_mimetype == flask.Response.default_mimetype == "text/html"
    assert Response.default_status == flask.Response.default_status == 200
    assert PlainResponse.default_mimetype == "text/html"
    assert PlainResponse.default_status == 200
    response = Response()
    assert response.status == "200 OK"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.get_data() == b""
    assert Response(mimetype=None, content_type="x/y").content_type == "x/y"


def test_default_mimetype_none() -> None:
    class Bare(Response):
        default_mimetype = None

    assert "Content-Type" not in Bare("x").headers
    assert Bare("x").mimetype is None


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        ("", ValueError, "Empty status argument"),
        ("   ", ValueError, "Empty status argument"),
        (object(), TypeError, "Invalid status argument"),
        ([200], TypeError, "Invalid status argument"),
        (2.5, TypeError, "Invalid status argument"),
    ],
)
def test_bad_status(status: object, error: type[Exception], message: str) -> None:
    # (Werkzeug raises AttributeError for some of these.)
    with pytest.raises(error, match=message):
        Response("x", status=status)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "line", "code"),
    [
        (404, "404 NOT FOUND", 404),
        ("404", "404 NOT FOUND", 404),
        ("404 Gone Fishing", "404 Gone Fishing", 404),
        (HTTPStatus.IM_A_TEAPOT, "418 I'M A TEAPOT", 418),
        (299, "299 UNKNOWN", 299),
        ("Just A Phrase", "0 Just A Phrase", 0),
    ],
)
def test_status_forms(status: t.Any, line: str, code: int) -> None:
    ours = Response("x", status=status)
    theirs = flask.Response("x", status=status)
    assert (ours.status, ours.status_code) == (line, code)
    assert (theirs.status, theirs.status_code) == (line, code)


# -- reading header views back ---------------------------------------------------------


def _both(operation: Operation) -> tuple[Response, flask.Response]:
    ours, theirs = Response("body"), flask.Response("body")
    operation(ours)
    operation(theirs)
    return ours, theirs


def test_header_views_read_back_like_werkzeug() -> None:
    def change(r: AnyResponse) -> None:
        r.set_etag("tag", weak=True)
        r.expires = WHEN
        r.last_modified = WHEN - timedelta(days=1)
        r.location = "/next"
        r.mimetype = "text/csv"
        _cache_control(r)
        _vary(r)

    ours, theirs = _both(change)
    for name in (
        "status",
        "status_code",
        "mimetype",
        "content_type",
        "content_length",
        "location",
        "expires",
        "last_modified",
    ):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours.get_etag() == theirs.get_etag() == ("tag", True)
    assert ours.expires == WHEN
    assert ours.expires is not None
    assert ours.expires.tzinfo is not None
    assert ours.mimetype_params == theirs.mimetype_params == {"charset": "utf-8"}
    assert isinstance(ours.cache_control, ResponseCacheControl)
    assert ours.cache_control.max_age == theirs.cache_control.max_age == 60
    assert ours.cache_control.public is theirs.cache_control.public is True
    assert ours.cache_control.no_store is theirs.cache_control.no_store is False
    assert list(ours.vary) == list(theirs.vary) == ["Accept-Encoding", "Cookie"]
    assert "COOKIE" in ours.vary


def test_absent_header_views() -> None:
    ours, theirs = _both(lambda r: None)
    for name in ("location", "expires", "last_modified"):
        assert getattr(ours, name) is None
        assert getattr(theirs, name) is None
    assert ours.get_etag() == theirs.get_etag() == (None, None)
    assert list(ours.vary) == list(theirs.vary) == []
    assert ours.cache_control.max_age is None
    assert ours.content_length == theirs.content_length == 4


def test_assigning_none_removes_the_header() -> None:
    response = Response("x")
    response.location = "/a"
    response.expires = WHEN
    response.location = None
    response.expires = None
    assert "Location" not in response.headers
    assert "Expires" not in response.headers


def test_cache_control_updates_the_header_in_place() -> None:
    response = Response("x")
    cache_control = response.cache_control
    cache_control.max_age = 5
    assert response.headers["Cache-Control"] == "max-age=5"
    cache_control.max_age = None
    assert "Cache-Control" not in response.headers


def test_add_etag_is_the_sha1_of_the_body() -> None:
    from werkzeug.http import generate_etag

    response = Response("some body")
    response.add_etag()
    assert response.get_etag() == (generate_etag(b"some body"), False)


def test_set_cookie_warns_about_a_large_cookie() -> None:
    response = Response("x")
    with pytest.warns(UserWarning, match="cookie is too large"):
        response.set_cookie("big", "x" * 5000)


def test_max_cookie_size_from_the_app_config(app: Flask, client: FlaskClient) -> None:
    app.config["MAX_COOKIE_SIZE"] = 100

    @app.route("/")
    def view() -> Response:
        response = Response("x")
        assert response.max_cookie_size == 100
        response.set_cookie("small", "x" * 10)
        return response

    assert client.get("/").headers["Set-Cookie"] == "small=xxxxxxxxxx; Path=/"


# -- make_conditional ------------------------------------------------------------------

BODY = b"0123456789"
LAST_MODIFIED = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)

CONDITIONAL_CASES: dict[str, tuple[str, dict[str, str], dict[str, t.Any], int]] = {
    # name: (method, request headers, make_conditional kwargs, status)
    "plain": ("GET", {}, {"accept_ranges": True, "complete_length": 10}, 200),
    "if-none-match-hit": ("GET", {"If-None-Match": '"v1"'}, {}, 304),
    "if-none-match-weak-hit": ("GET", {"If-None-Match": 'W/"v1"'}, {}, 304),
    "if-none-match-miss": ("GET", {"If-None-Match": '"v2"'}, {}, 200),
    "if-none-match-star": ("GET", {"If-None-Match": "*"}, {}, 304),
    "if-modified-since-same": (
        "GET",
        {"If-Modified-Since": "Mon, 01 Jan 2024 12:00:00 GMT"},
        {},
        304,
    ),
    "if-modified-since-earlier": (
        "GET",
        {"If-Modified-Since": "Sun, 31 Dec 2023 12:00:00 GMT"},
        {},
        200,
    ),
    "if-match-miss": ("GET", {"If-Match": '"other"'}, {}, 412),
    "if-match-hit": ("GET", {"If-Match": '"v1"'}, {}, 200),
    "if-unmodified-since-earlier": (
        "GET",
        {"If-Unmodified-Since": "Sun, 31 Dec 2023 12:00:00 GMT"},
        {},
        412,
    ),
    "range": (
        "GET",
        {"Range": "bytes=2-4"},
        {"accept_ranges": True, "complete_length": 10},
        206,
    ),
    "range-suffix": (
        "GET",
        {"Range": "bytes=-3"},
        {"accept_ranges": "bytes", "complete_length": 10},
        206,
    ),
    "range-open": (
        "GET",
        {"Range": "bytes=7-"},
        {"accept_ranges": True, "complete_length": 10},
        206,
    ),
    "range-whole": (
        "GET",
        {"Range": "bytes=0-"},
        {"accept_ranges": True, "complete_length": 10},
        206,
    ),
    "range-unsatisfiable": (
        "GET",
        {"Range": "bytes=20-30"},
        {"accept_ranges": True, "complete_length": 10},
        416,
    ),
    "range-without-accept-ranges": (
        "GET",
        {"Range": "bytes=2-4"},
        {"complete_length": 10},
        200,
    ),
    "range-without-complete-length": (
        "GET",
        {"Range": "bytes=2-4"},
        {"accept_ranges": True},
        200,
    ),
    "if-range-hit": (
        "GET",
        {"Range": "bytes=2-4", "If-Range": '"v1"'},
        {"accept_ranges": True, "complete_length": 10},
        206,
    ),
    "if-range-miss": (
        "GET",
        {"Range": "bytes=2-4", "If-Range": '"old"'},
        {"accept_ranges": True, "complete_length": 10},
        200,
    ),
    "post-ignores-preconditions": (
        "POST",
        {"If-None-Match": '"v1"', "Range": "bytes=2-4"},
        {"accept_ranges": True, "complete_length": 10},
        200,
    ),
}


# Cases where hipflask follows RFC 9110 and Werkzeug 3.1 does not: the status
# Werkzeug gives. A failed If-Unmodified-Since is a 412 (RFC 9110 13.1.4);
# Werkzeug only answers 412 for If-Match and serves the body otherwise.
DIFFERS_FROM_WERKZEUG = {"if-unmodified-since-earlier": 200}


def _conditional_response(response_class: type[t.Any]) -> t.Any:
    response = response_class(BODY, mimetype="text/plain")
    response.set_etag("v1")
    response.last_modified = LAST_MODIFIED
    return response


def _werkzeug_conditional(
    method: str, headers: dict[str, str], kwargs: dict[str, t.Any]
) -> Answer:
    builder = WerkzeugEnvironBuilder(
        path="/", method=method, headers=list(headers.items())
    )
    environ = builder.get_environ()
    response = _conditional_response(flask.Response)
    try:
        response = response.make_conditional(WerkzeugRequest(environ), **kwargs)
    except werkzeug.exceptions.HTTPException as error:
        # What Flask does with an HTTPException: it becomes the response.
        response = error.get_response(environ)
    answer = WerkzeugClient(response).open(builder)
    return _answer(answer.status_code, answer.headers, answer.get_data())


@pytest.mark.parametrize("name", list(CONDITIONAL_CASES))
def test_make_conditional(app: Flask, client: FlaskClient, name: str) -> None:
    method, headers, kwargs, status = CONDITIONAL_CASES[name]

    @app.route("/", methods=["GET", "POST"])
    def view() -> Response:
        response = _conditional_response(Response)
        returned = response.make_conditional(request, **kwargs)
        assert returned is response
        return t.cast(Response, returned)

    rv = client.open("/", method=method, headers=headers)
    assert rv.status_code == status
    theirs = _werkzeug_conditional(method, headers, kwargs)
    if name in DIFFERS_FROM_WERKZEUG:
        assert theirs[0] == DIFFERS_FROM_WERKZEUG[name]
    else:
        assert _our_answer(rv) == theirs


def test_make_conditional_exact_values(app: Flask, client: FlaskClient) -> None:
    kwargs = {"accept_ranges": True, "complete_length": 10}

    @app.route("/")
    def view() -> Response:
        response = _conditional_response(Response)
        return t.cast(Response, response.make_conditional(request, **kwargs))

    partial = client.get("/", headers={"Range": "bytes=2-4"})
    assert partial.status_code == 206
    assert partial.data == b"234"
    assert partial.headers["Content-Range"] == "bytes 2-4/10"
    assert partial.headers["Content-Length"] == "3"
    assert partial.headers["Accept-Ranges"] == "bytes"
    not_modified = client.get("/", headers={"If-None-Match": '"v1"'})
    assert not_modified.status_code == 304
    assert not_modified.data == b""
    assert "Content-Type" not in not_modified.headers
    assert not_modified.headers["ETag"] == '"v1"'
    unsatisfiable = client.get("/", headers={"Range": "bytes=20-"})
    assert unsatisfiable.status_code == 416
    assert unsatisfiable.headers["Content-Range"] == "bytes */10"
    head = client.head("/", headers={"Range": "bytes=2-4"})
    assert head.status_code == 206
    assert head.data == b""
    assert head.headers["Content-Length"] == "3"


def test_make_conditional_with_an_environ() -> None:
    headers = [("If-None-Match", '"v1"')]
    environ = WerkzeugEnvironBuilder(headers=headers).get_environ()
    response = _conditional_response(Response).make_conditional(environ)
    assert response.status_code == 304


# -- HTTP errors and abort -------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(default_exceptions))
def test_abort_every_standard_code(app: Flask, client: FlaskClient, code: int) -> None:
    @app.route("/")
    def view() -> str:
        abort(code)

    rv = client.get("/")
    expected = werkzeug.exceptions.default_exceptions[code]().get_response()
    assert rv.status_code == code
    assert rv.status == expected.status
    assert _our_answer(rv) == _werkzeug_answer(expected)


def test_every_standard_class_matches_werkzeug() -> None:
    assert set(default_exceptions) == set(werkzeug.exceptions.default_exceptions)
    for code, cls in default_exceptions.items():
        theirs = werkzeug.exceptions.default_exceptions[code]
        assert cls.__name__ == theirs.__name__
        assert cls.code == theirs.code == code
        assert cls.description == theirs.description
        assert issubclass(cls, HTTPException)


@pytest.mark.parametrize(
    ("raise_it", "status", "fragment"),
    [
        (lambda: abort(404, "gone fishing"), 404, b"<p>gone fishing</p>"),
        (lambda: abort(404, description="a <b>"), 404, b"<p>a &lt;b&gt;</p>"),
        (lambda: http_abort(403), 403, b"<title>403 Forbidden</title>"),
        (
            lambda: abort(Response("custom body", status=409)),
            409,
            b"custom body",
        ),
        (lambda: _raise(NotFound()), 404, b"<title>404 Not Found</title>"),
        (
            lambda: _raise(NotFound("not here")),
            404,
            b"<p>not here</p>",
        ),
        (
            lambda: _raise(RequestedRangeNotSatisfiable(length=10)),
            416,
            b"<title>416 Requested Range Not Satisfiable</title>",
        ),
    ],
)
def test_raising_http_errors_in_views(
    app: Flask,
    client: FlaskClient,
    raise_it: Callable[[], None],
    status: int,
    fragment: bytes,
) -> None:
    @app.route("/")
    def view() -> str:
        raise_it()
        return "unreachable"

    rv = client.get("/")
    assert rv.status_code == status
    assert fragment in rv.data


def _raise(error: Exception) -> None:
    raise error


def test_http_exception_subclass_and_error_handler(
    app: Flask, client: FlaskClient
) -> None:
    class PaymentRequired(HTTPException):
        code = 402
        description = "Pay first."

    @app.errorhandler(PaymentRequired)
    def handle(error: PaymentRequired) -> tuple[str, int]:
        return f"handled {error.code}: {error.description}", error.code or 500

    @app.route("/")
    def view() -> str:
        raise PaymentRequired()

    rv = client.get("/")
    assert rv.status_code == 402
    assert rv.data == b"handled 402: Pay first."


def test_abort_unknown_code_is_a_500(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    @app.route("/")
    def view() -> str:
        abort(299)

    # Under TESTING the error propagates to the client, as in Flask.
    with pytest.raises(LookupError, match="no exception for 299"):
        client.get("/")
    app.testing = False
    # The logger is shared by every app named "test_app": restore it afterwards.
    monkeypatch.setattr(app.logger, "disabled", True)
    assert client.get("/").status_code == 500
    with pytest.raises(LookupError, match="299"):
        http_abort(299)


def test_abort_405_and_416_with_details(app: Flask, client: FlaskClient) -> None:
    @app.route("/405")
    def method() -> str:
        abort(405, valid_methods=["GET", "POST"])

    @app.route("/416")
    def requested_range() -> str:
        abort(416, length=99)

    assert client.get("/405").headers["Allow"] == "GET, POST"
    assert client.get("/416").headers["Content-Range"] == "bytes */99"
