"""The WSGI adapter: the request and context it builds, and their push and pop."""

from __future__ import annotations

import io
import typing as t
import weakref

import pytest

from hipflask import Flask, Request, current_app, has_app_context, request
from hipflask.ctx import AppContext, RequestContext
from hipflask.globals import _cv_app, _cv_request, app_ctx, request_ctx
from hipflask.http.request import Request as HTTPRequest


def make_environ(**extra: t.Any) -> dict[str, t.Any]:
    """A minimal PEP 3333 environ for ``GET /``."""
    environ: dict[str, t.Any] = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
    }
    environ.update(extra)
    for name in [name for name, value in environ.items() if value is None]:
        del environ[name]
    return environ


def call(app: Flask, environ: dict[str, t.Any]) -> tuple[str, bytes]:
    """Serve ``environ`` with ``app``: the status line and the whole body."""
    status: list[str] = []

    def start_response(line: str, headers: list[tuple[str, str]]) -> None:
        status.append(line)

    body = app(environ, start_response)
    try:
        data = b"".join(body)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return status[0], data


def no_context() -> bool:
    return _cv_request.get(None) is None and _cv_app.get(None) is None


def reporting_app() -> tuple[Flask, list[Request]]:
    """An app answering every method and path; the requests it saw are kept."""
    app = Flask("wsgi_test")
    seen: list[Request] = []
    methods = ["GET", "POST", "PUT", "DELETE", "PROPFIND"]

    @app.route("/", methods=methods)
    @app.route("/<path:rest>", methods=methods)
    def view(rest: str = "") -> str:
        seen.append(request._get_current_object())  # type: ignore[attr-defined]
        return f"{request.method} {request.path}"

    return app, seen


ENVIRONS = [
    {},
    {"REQUEST_METHOD": "post"},
    {"REQUEST_METHOD": "PROPFIND"},
    {"REQUEST_METHOD": None},
    {"PATH_INFO": None},
    {"PATH_INFO": ""},
    {"PATH_INFO": "a/b"},
    {"PATH_INFO": "/caf\xc3\xa9"},
    {"PATH_INFO": "/already-text-\u20ac"},
]


@pytest.mark.parametrize("extra", ENVIRONS)
def test_default_request_is_what_request_environ_makes(extra: dict[str, t.Any]) -> None:
    """The default class is built in the adapter: the same as Request(environ)."""
    app, seen = reporting_app()
    environ = make_environ(**extra)
    expected = Request(make_environ(**extra))
    status, body = call(app, environ)
    assert status == "200 OK"
    (got,) = seen
    assert type(got) is Request
    assert body.decode() == f"{expected.method} {expected.path}"
    for name in ("method", "path", "shallow", "_scope", "_body"):
        assert getattr(got, name) == getattr(expected, name), name
    assert got.environ is environ
    assert environ.keys() == expected.environ.keys()
    assert type(environ["werkzeug.request"]) is weakref.ProxyType
    assert environ["werkzeug.request"].path == got.path
    assert got.url_rule is not None and got.url_rule.rule in ("/", "/<path:rest>")
    assert got.routing_exception is None
    assert no_context()


def test_request_class_that_is_not_the_default_is_called() -> None:
    """Another request class is constructed through its own __init__."""
    app, seen = reporting_app()
    calls: list[str] = []

    class CustomRequest(Request):
        def __init__(self, environ: dict[str, t.Any], *args: t.Any) -> None:
            calls.append(environ["PATH_INFO"])
            super().__init__(environ, *args)

    app.request_class = CustomRequest
    status, body = call(app, make_environ(PATH_INFO="/x", REQUEST_METHOD="put"))
    assert (status, body) == ("200 OK", b"PUT /x")
    assert calls == ["/x"]
    assert type(seen[0]) is CustomRequest
    assert no_context()


def test_toolkit_request_class_is_called_too() -> None:
    """Only hipflask's Request is built by _from_environ, not its toolkit base."""
    app, seen = reporting_app()
    app.request_class = HTTPRequest  # type: ignore[assignment]
    assert call(app, make_environ()) == ("200 OK", b"GET /")
    assert type(seen[0]) is HTTPRequest


def test_contexts_pushed_for_the_request_and_popped_after() -> None:
    app = Flask("wsgi_test")
    seen: dict[str, t.Any] = {}

    @app.route("/")
    def view() -> str:
        seen["request_ctx"] = request_ctx._get_current_object()
        seen["app_ctx"] = app_ctx._get_current_object()
        seen["app"] = current_app._get_current_object()
        return "ok"

    assert call(app, make_environ()) == ("200 OK", b"ok")
    assert type(seen["request_ctx"]) is RequestContext
    assert type(seen["app_ctx"]) is AppContext
    assert seen["app"] is app
    assert seen["request_ctx"].app is app
    assert seen["request_ctx"]._cv_tokens == []
    assert seen["app_ctx"]._cv_tokens == []
    assert no_context()


def test_app_context_of_the_same_app_is_reused_and_stays_pushed() -> None:
    app = Flask("wsgi_test")
    seen: list[AppContext] = []

    @app.route("/")
    def view() -> str:
        seen.append(app_ctx._get_current_object())  # type: ignore[attr-defined]
        return "ok"

    with app.app_context() as outer:
        assert call(app, make_environ()) == ("200 OK", b"ok")
        assert seen == [outer]
        assert _cv_app.get() is outer
        assert _cv_request.get(None) is None
    assert no_context()


def test_app_context_of_another_app_gets_one_of_this_app() -> None:
    app = Flask("wsgi_test")
    other = Flask("other")
    seen: list[AppContext] = []

    @app.route("/")
    def view() -> str:
        seen.append(app_ctx._get_current_object())  # type: ignore[attr-defined]
        return "ok"

    with other.app_context() as outer:
        assert call(app, make_environ()) == ("200 OK", b"ok")
        assert seen[0] is not outer and seen[0].app is app
        assert _cv_app.get() is outer
    assert no_context()


def test_teardowns_see_the_propagated_exception_and_contexts_are_popped() -> None:
    app = Flask("wsgi_test")
    app.config["PROPAGATE_EXCEPTIONS"] = True
    torn: list[tuple[str, BaseException | None, bool]] = []

    @app.route("/")
    def view() -> str:
        raise KeyError("boom")

    @app.teardown_request
    def request_down(exc: BaseException | None) -> None:
        torn.append(("request", exc, has_app_context()))

    @app.teardown_appcontext
    def app_down(exc: BaseException | None) -> None:
        torn.append(("app", exc, has_app_context()))

    with pytest.raises(KeyError):
        call(app, make_environ())
    assert [(kind, type(exc), ctx) for kind, exc, ctx in torn] == [
        ("request", KeyError, True),
        ("app", KeyError, True),
    ]
    assert no_context()


def test_view_pushing_its_request_context_again_pops_once_more() -> None:
    """A context pushed twice is torn down only by its last pop."""
    app = Flask("wsgi_test")
    torn: list[BaseException | None] = []

    @app.teardown_request
    def down(exc: BaseException | None) -> None:
        torn.append(exc)

    @app.route("/")
    def view() -> str:
        ctx = request_ctx._get_current_object()
        ctx.push()
        ctx.pop()
        assert torn == []
        return "ok"

    assert call(app, make_environ()) == ("200 OK", b"ok")
    assert torn == [None]
    assert no_context()
