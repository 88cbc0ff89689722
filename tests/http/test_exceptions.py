from __future__ import annotations

import typing as t
from datetime import datetime, timezone
from typing import Any

import pytest
import werkzeug.exceptions as wz
import werkzeug.routing.exceptions as wz_routing

from hipflask.http import exceptions as ex
from hipflask.http.response import Response

STANDARD_CODES = sorted(wz.default_exceptions)
BAD_REQUEST_FAMILY = ["ClientDisconnected", "SecurityError", "BadHost"]


def _start_response_recorder() -> tuple[list[Any], Any]:
    calls: list[Any] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Any:
        calls.append((status, headers))
        return lambda data: None

    return calls, start_response


def test_default_exceptions_match_werkzeug() -> None:
    assert sorted(ex.default_exceptions) == STANDARD_CODES
    for code, cls in ex.default_exceptions.items():
        assert cls.__name__ == wz.default_exceptions[code].__name__
        assert cls.code == code
        assert issubclass(cls, ex.HTTPException)


@pytest.mark.parametrize("code", STANDARD_CODES)
def test_class_matches_werkzeug(code: int) -> None:
    ours = ex.default_exceptions[code]()
    theirs = wz.default_exceptions[code]()
    assert ours.code == theirs.code
    assert ours.name == theirs.name
    assert ours.description == theirs.description
    assert ours.get_description() == theirs.get_description()
    assert ours.get_body() == theirs.get_body()
    assert ours.get_headers() == theirs.get_headers()
    assert str(ours) == str(theirs)
    assert repr(ours) == repr(theirs)
    assert ours.args == theirs.args == ()


@pytest.mark.parametrize("code", STANDARD_CODES)
def test_get_response_matches_werkzeug(code: int) -> None:
    ours = ex.default_exceptions[code]().get_response()
    theirs = wz.default_exceptions[code]().get_response()
    assert isinstance(ours, Response)
    assert ours.status == theirs.status
    assert ours.status_code == code
    assert ours.get_data() == theirs.get_data()
    assert list(ours.headers.items()) == list(theirs.headers.items())


@pytest.mark.parametrize("code", STANDARD_CODES)
def test_wsgi_call_matches_werkzeug(code: int) -> None:
    environ = {"REQUEST_METHOD": "GET", "SERVER_NAME": "localhost", "SERVER_PORT": "80"}
    ours_calls, ours_start = _start_response_recorder()
    theirs_calls, theirs_start = _start_response_recorder()
    ours_body = b"".join(ex.default_exceptions[code]()(environ, ours_start))
    theirs_body = b"".join(wz.default_exceptions[code]()(dict(environ), theirs_start))
    assert ours_calls == theirs_calls
    assert ours_body == theirs_body


@pytest.mark.parametrize("name", BAD_REQUEST_FAMILY)
def test_bad_request_family(name: str) -> None:
    ours = getattr(ex, name)()
    theirs = getattr(wz, name)()
    assert isinstance(ours, ex.BadRequest)
    assert ours.code == 400
    assert ours.get_body() == theirs.get_body()
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize(
    "description",
    [
        "plain",
        "<script>alert('x')</script> & \"quotes\"",
        "line one\nline two\n",
        "",
        "unicode ☃ é",
    ],
)
def test_custom_description_escaped_like_werkzeug(description: str) -> None:
    ours = ex.NotFound(description)
    theirs = wz.NotFound(description)
    assert ours.description == description
    assert ours.get_description() == theirs.get_description()
    assert ours.get_body() == theirs.get_body()
    assert str(ours) == str(theirs)


def test_escaping_exact() -> None:
    body = ex.BadRequest("a<b>\nc&'\"").get_description()
    assert body == "<p>a&lt;b&gt;<br>c&amp;&#39;&#34;</p>"


def test_description_instance_override_keeps_class_default() -> None:
    ex.Forbidden("mine")
    assert ex.Forbidden().description == wz.Forbidden.description


def test_base_exception_without_code() -> None:
    ours = ex.HTTPException()
    theirs = wz.HTTPException()
    assert ours.name == "Unknown Error"
    assert str(ours) == str(theirs) == "??? Unknown Error: None"
    assert repr(ours) == repr(theirs) == "<HTTPException '???: Unknown Error'>"
    assert ours.get_description() == theirs.get_description() == "<p></p>"


def test_str_and_repr() -> None:
    assert str(ex.NotFound()).startswith(
        "404 Not Found: The requested URL was not found"
    )
    assert repr(ex.NotFound()) == "<NotFound '404: Not Found'>"
    assert repr(ex.ImATeapot()) == "<ImATeapot '418: I'm a teapot'>"


def test_given_response_is_returned() -> None:
    response = Response("custom", 418)
    error = ex.HTTPException(response=response)
    assert error.get_response() is response
    calls, start_response = _start_response_recorder()
    environ = {"REQUEST_METHOD": "GET"}
    assert b"".join(error(environ, start_response)) == b"custom"
    assert calls[0][0] == "418 I'M A TEAPOT"


def test_get_response_accepts_request_like_object() -> None:
    class FakeRequest:
        environ = {"REQUEST_METHOD": "GET"}

    response = ex.NotFound().get_response(FakeRequest())
    assert response.status_code == 404


def test_get_response_rejects_non_environ() -> None:
    with pytest.raises(TypeError, match="is not a WSGI environment"):
        ex.NotFound().get_response(42)


def test_head_request_gets_no_body() -> None:
    calls, start_response = _start_response_recorder()
    body = ex.NotFound()({"REQUEST_METHOD": "HEAD"}, start_response)
    assert b"".join(body) == b""
    headers = dict(calls[0][1])
    assert headers["Content-Length"] == str(len(ex.NotFound().get_body().encode()))


class TestUnauthorized:
    def test_no_challenge(self) -> None:
        assert ex.Unauthorized().get_headers() == [
            ("Content-Type", "text/html; charset=utf-8")
        ]

    def test_list_of_challenges_like_werkzeug(self) -> None:
        values = ['Basic realm="a"', "Bearer"]
        ours = ex.Unauthorized(www_authenticate=values)
        theirs = wz.Unauthorized(www_authenticate=values)  # type: ignore[arg-type]
        assert ours.get_headers() == theirs.get_headers()
        assert ours.get_headers()[1:] == [
            ("WWW-Authenticate", 'Basic realm="a"'),
            ("WWW-Authenticate", "Bearer"),
        ]

    def test_single_string_challenge(self) -> None:
        error = ex.Unauthorized(www_authenticate='Basic realm="x"')
        assert error.get_headers()[1:] == [("WWW-Authenticate", 'Basic realm="x"')]

    def test_single_challenge_object(self) -> None:
        class Challenge:
            def __getitem__(self, key: str) -> str:
                return "value"

            def __str__(self) -> str:
                return 'Digest realm="r"'

        error = ex.Unauthorized(www_authenticate=Challenge())
        assert error.get_headers()[1:] == [("WWW-Authenticate", 'Digest realm="r"')]

    def test_description_and_response_positions(self) -> None:
        error = ex.Unauthorized("desc")
        assert error.description == "desc"
        assert error.get_response().status_code == 401


class TestMethodNotAllowed:
    def test_allow_header(self) -> None:
        ours = ex.MethodNotAllowed(["GET", "HEAD"])
        theirs = wz.MethodNotAllowed(["GET", "HEAD"])
        assert ours.get_headers() == theirs.get_headers()
        assert ("Allow", "GET, HEAD") in ours.get_headers()
        assert ours.valid_methods == ["GET", "HEAD"]
        assert ours.get_response().headers["Allow"] == "GET, HEAD"

    def test_no_methods_no_header(self) -> None:
        assert [name for name, _ in ex.MethodNotAllowed().get_headers()] == [
            "Content-Type"
        ]

    def test_description_keyword(self) -> None:
        error = ex.MethodNotAllowed(description="nope")
        assert error.description == "nope"
        assert "<p>nope</p>" in error.get_body()


class TestRequestedRangeNotSatisfiable:
    @pytest.mark.parametrize(
        ("kwargs", "expected"),
        [
            ({}, None),
            ({"length": 10}, "bytes */10"),
            ({"length": 0}, "bytes */0"),
            ({"length": 5, "units": "items"}, "items */5"),
        ],
    )
    def test_content_range(self, kwargs: dict[str, Any], expected: str | None) -> None:
        ours = ex.RequestedRangeNotSatisfiable(**kwargs)
        theirs = wz.RequestedRangeNotSatisfiable(**kwargs)
        assert ours.get_headers() == theirs.get_headers()
        assert dict(ours.get_headers()).get("Content-Range") == expected


class TestRetryAfter:
    @pytest.mark.parametrize("cls_name", ["TooManyRequests", "ServiceUnavailable"])
    @pytest.mark.parametrize(
        "retry_after",
        [None, 0, 30, datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc)],
    )
    def test_header(self, cls_name: str, retry_after: Any) -> None:
        ours = getattr(ex, cls_name)(retry_after=retry_after)
        theirs = getattr(wz, cls_name)(retry_after=retry_after)
        assert ours.get_headers() == theirs.get_headers()
        assert ours.retry_after == retry_after

    def test_seconds_value(self) -> None:
        assert ex.TooManyRequests(retry_after=30).get_headers()[-1] == (
            "Retry-After",
            "30",
        )


def test_internal_server_error_original_exception() -> None:
    cause = ValueError("boom")
    error = ex.InternalServerError(original_exception=cause)
    assert error.original_exception is cause
    assert ex.InternalServerError().original_exception is None
    assert ex.InternalServerError("d").description == "d"


class TestBadRequestKeyError:
    def test_is_key_error_and_bad_request(self) -> None:
        error = ex.BadRequestKeyError("name")
        assert isinstance(error, KeyError)
        assert isinstance(error, ex.BadRequest)
        assert error.args == ("name",)
        assert error.code == 400
        with pytest.raises(KeyError):
            raise error

    def test_no_arg(self) -> None:
        assert ex.BadRequestKeyError().args == ()

    @pytest.mark.parametrize("arg", [None, "name", 3])
    def test_matches_werkzeug(self, arg: Any) -> None:
        ours = ex.BadRequestKeyError(arg)
        theirs = wz.BadRequestKeyError(arg)
        assert str(ours) == str(theirs)
        assert repr(ours) == repr(theirs)
        assert ours.description == theirs.description
        assert ours.get_body() == theirs.get_body()

    def test_show_exception(self) -> None:
        ours = ex.BadRequestKeyError("name")
        theirs = wz.BadRequestKeyError("name")
        ours.show_exception = True
        theirs.show_exception = True
        assert ours.description == theirs.description
        assert (ours.description or "").endswith("\nKeyError: 'name'")
        assert ours.get_body() == theirs.get_body()
        assert "name" not in (ex.BadRequestKeyError("name").description or "")

    def test_description_setter_and_kwarg(self) -> None:
        error = ex.BadRequestKeyError("k")
        error.description = "custom"
        assert error.description == "custom"
        assert ex.BadRequestKeyError("k", description="given").description == "given"
        # The class default is untouched.
        assert ex.BadRequestKeyError("k").description == ex.BadRequest.description


class TestRequestRedirect:
    def test_attributes(self) -> None:
        error = ex.RequestRedirect("http://localhost/new/")
        assert error.code == 308
        assert error.new_url == "http://localhost/new/"
        assert isinstance(error, ex.RoutingException)
        assert isinstance(error, ex.HTTPException)
        theirs = wz_routing.RequestRedirect("http://localhost/new/")
        assert str(error) == str(theirs)
        assert repr(error) == repr(theirs)

    def test_response(self) -> None:
        ours = ex.RequestRedirect("http://localhost/new/").get_response()
        theirs = wz_routing.RequestRedirect("http://localhost/new/").get_response()
        assert ours.status_code == 308
        assert ours.status == theirs.status
        assert ours.headers["Location"] == "http://localhost/new/"
        assert ours.get_data() == theirs.get_data()

    def test_not_a_default_exception(self) -> None:
        assert 308 not in ex.default_exceptions


class TestAbort:
    @pytest.mark.parametrize("code", STANDARD_CODES)
    def test_every_code(self, code: int) -> None:
        with pytest.raises(ex.default_exceptions[code]) as info:
            ex.abort(code)
        assert info.value.code == code

    def test_arguments_forwarded(self) -> None:
        with pytest.raises(ex.NotFound) as info:
            ex.abort(404, "gone fishing")
        assert info.value.description == "gone fishing"
        with pytest.raises(ex.MethodNotAllowed) as info2:
            ex.abort(405, valid_methods=["POST"])
        assert info2.value.valid_methods == ["POST"]

    def test_response(self) -> None:
        response = Response("teapot", 418)
        with pytest.raises(ex.HTTPException) as info:
            ex.abort(response)
        assert type(info.value) is ex.HTTPException
        assert info.value.get_response() is response

    def test_werkzeug_response_accepted(self) -> None:
        from werkzeug.wrappers import Response as WerkzeugResponse

        response = WerkzeugResponse("x", 401)
        with pytest.raises(ex.HTTPException) as info:
            ex.abort(response)
        assert info.value.response is t.cast(t.Any, response)

    @pytest.mark.parametrize("code", [200, 302, 308, 999, 0, -1, "404", None])
    def test_unknown_code(self, code: Any) -> None:
        with pytest.raises(LookupError, match=f"no exception for {code!r}"):
            ex.abort(code)

    def test_aborter_extra_and_mapping(self) -> None:
        class Custom(ex.HTTPException):
            code = 499
            description = "custom"

        aborter = ex.Aborter(extra={499: Custom})
        with pytest.raises(Custom):
            aborter(499)
        with pytest.raises(ex.NotFound):
            aborter(404)
        only = ex.Aborter(mapping={499: Custom})
        with pytest.raises(LookupError):
            only(404)
        assert 499 not in ex.default_exceptions


def test_status_code_table_matches_werkzeug() -> None:
    from werkzeug.http import HTTP_STATUS_CODES

    assert ex.HTTP_STATUS_CODES == HTTP_STATUS_CODES


def test_no_werkzeug_import_in_module() -> None:
    import inspect

    source = inspect.getsource(ex)
    assert "import werkzeug" not in source
    assert "from werkzeug" not in source


# -- the standard page, made once per (code, phrase, description) ---------------------


def _page_of(error: ex.HTTPException) -> tuple[int, bytes, list[tuple[str, str]]]:
    response = error.get_response()
    return response.status_code, response.get_data(), list(response.headers.items())


def test_repeated_page_is_the_same_and_matches_werkzeug() -> None:
    first = _page_of(ex.NotFound())
    assert _page_of(ex.NotFound()) == first
    theirs = wz.NotFound().get_response()
    assert first == (404, theirs.get_data(), list(theirs.headers.items()))


@pytest.mark.parametrize("method", ["get_body", "get_description"])
def test_subclass_overriding_the_page_is_asked_after_the_standard_page(
    method: str,
) -> None:
    _page_of(ex.NotFound())  # the standard 404 page is remembered

    def replaced(self: ex.HTTPException, *args: Any) -> str:
        return "<p>mine</p>"

    Mine = type("Mine", (ex.NotFound,), {method: replaced})
    status, body, _headers = _page_of(Mine())
    assert status == 404
    assert b"<p>mine</p>" in body
    assert b"was not found" not in body
    assert _page_of(Mine()) == (status, body, _headers)


def test_subclass_overriding_name_is_used() -> None:
    _page_of(ex.NotFound())

    class Renamed(ex.NotFound):
        name = "Gone Fishing"  # type: ignore[assignment]

    _status, body, _headers = _page_of(Renamed())
    assert b"<title>404 Gone Fishing</title>" in body


def test_class_patched_after_the_page_was_made_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _page_of(ex.NotFound())
    monkeypatch.setattr(ex.NotFound, "get_body", lambda self, *a: "patched")
    assert _page_of(ex.NotFound())[1] == b"patched"


def test_page_follows_instance_code_and_description() -> None:
    error = ex.NotFound("first")
    assert b"<p>first</p>" in _page_of(error)[1]
    error.description = "second"
    error.code = 410
    status, body, _headers = _page_of(error)
    assert status == 410
    assert b"<title>410 Gone</title>" in body
    assert b"<p>second</p>" in body


def test_page_follows_a_changed_status_phrase(monkeypatch: pytest.MonkeyPatch) -> None:
    class Custom(ex.HTTPException):
        code = 499

    assert b"<title>499 Unknown Error</title>" in _page_of(Custom())[1]
    monkeypatch.setitem(ex.HTTP_STATUS_CODES, 499, "Client Closed Request")
    assert b"<title>499 Client Closed Request</title>" in _page_of(Custom())[1]


def test_markup_description_is_not_escaped_like_werkzeug() -> None:
    from markupsafe import Markup

    plain = "<b>bold</b>"
    assert ex.NotFound(plain).get_description() == "<p>&lt;b&gt;bold&lt;/b&gt;</p>"
    # The equal plain string was escaped (and remembered) first.
    ours = ex.NotFound(Markup(plain))
    theirs = wz.NotFound(Markup(plain))
    assert ours.get_description() == theirs.get_description() == "<p><b>bold</b></p>"
    assert _page_of(ours)[1] == theirs.get_response().get_data()


def test_long_description_page() -> None:
    description = "x" * 5000
    ours = _page_of(ex.BadRequest(description))
    theirs = wz.BadRequest(description).get_response()
    assert ours[1] == theirs.get_data()


def test_headers_added_by_subclass_or_override() -> None:
    status, _body, headers = _page_of(ex.MethodNotAllowed(["GET", "POST"]))
    assert status == 405
    assert headers[-1] == ("Allow", "GET, POST")

    class JSONError(ex.NotFound):
        def get_headers(self, *args: Any) -> list[tuple[str, str]]:
            return [("Content-Type", "application/json")]

        def get_body(self, *args: Any) -> str:
            return "{}"

    assert _page_of(JSONError()) == (
        404,
        b"{}",
        [("Content-Type", "application/json"), ("Content-Length", "2")],
    )


def test_page_as_another_response_class() -> None:
    class Mine(Response):
        pass

    page = ex.NotFound()._page(Mine)
    assert type(page) is Mine
    assert (page.status_code, page.get_data()) == (
        404,
        ex.NotFound().get_body().encode(),
    )


# -- construction -----------------------------------------------------------------


def test_args_like_werkzeug() -> None:
    for ours, theirs in [
        (ex.NotFound(), wz.NotFound()),
        (ex.NotFound("d"), wz.NotFound("d")),
        (ex.NotFound("d", Response("r")), wz.NotFound("d", Response("r"))),  # type: ignore[arg-type]
        (ex.MethodNotAllowed(["GET"]), wz.MethodNotAllowed(["GET"])),
        (ex.RequestRedirect("/x"), wz_routing.RequestRedirect("/x")),
    ]:
        assert ours.args == theirs.args == ()
    assert ex.NotFound().response is None
    assert "response" not in vars(ex.NotFound())


def test_a_following_base_init_is_called() -> None:
    calls: list[tuple[Any, ...]] = []

    class Tracked(Exception):
        def __init__(self, *args: Any) -> None:
            calls.append(args)
            super().__init__(*args)

    class Both(ex.HTTPException, Tracked):
        code = 499

    Both()
    Both("description")
    assert calls == [(), ()]
    assert Both("description").args == ()


def test_pickle_round_trip() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(ex.NotFound("gone")))
    assert type(error) is ex.NotFound
    assert (error.description, error.response, error.args) == ("gone", None, ())
