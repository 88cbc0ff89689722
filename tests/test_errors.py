"""Error handling: handlers by code and class, propagation, trapping, logging.

Most behaviour is checked against real Flask: the same app is built on both
frameworks and every route's status and body are compared.
"""

from __future__ import annotations

import logging
import sys
import types
import typing as t
from functools import partial

import flask
import pytest
import werkzeug.exceptions

import hipflask
from hipflask import Blueprint, Flask, Response, abort, got_request_exception, request
from hipflask.http.exceptions import (
    BadRequest,
    BadRequestKeyError,
    Forbidden,
    HTTPException,
    InternalServerError,
    NotFound,
)
from hipflask.testing import FlaskClient


class AppError(Exception):
    pass


def raise_key_error() -> str:
    raise KeyError("x")


class SpecificError(AppError):
    pass


class MoreSpecificError(SpecificError):
    pass


@pytest.fixture(autouse=True)
def _restore_app_logger() -> t.Iterator[None]:
    """Tests silence ``app.logger``; the logger outlives the app (same name)."""
    logger = logging.getLogger("test_app")
    disabled = logger.disabled
    yield
    logger.disabled = disabled


# -- compared with Flask -----------------------------------------------------------

HANDLER_SETS: dict[str, list[tuple[str, t.Any]]] = {
    "none": [],
    "by-code": [("app", 404), ("app", 500), ("app", 418)],
    "by-class": [("app", "AppError"), ("app", "SpecificError")],
    "http-base": [("app", "HTTPException")],
    "exception-base": [("app", "Exception")],
    "blueprint": [("bp", "AppError"), ("app", "AppError"), ("bp", 404)],
    "nested": [("child", "AppError"), ("bp", "SpecificError"), ("app", "Exception")],
    "server-error-class": [("app", "InternalServerError")],
}


def build_errors(
    mod: types.ModuleType, handlers: str, config: dict[str, t.Any]
) -> t.Any:
    """An app whose routes raise a variety of errors, with a set of handlers."""
    exceptions = {
        "AppError": AppError,
        "SpecificError": SpecificError,
        "HTTPException": mod.__dict__.get("HTTPException")
        or werkzeug.exceptions.HTTPException,
        "InternalServerError": werkzeug.exceptions.InternalServerError,
        "Exception": Exception,
    }
    if mod is hipflask:
        exceptions["HTTPException"] = HTTPException
        exceptions["InternalServerError"] = InternalServerError
    app = mod.Flask("errors", root_path="/nonexistent-root")
    app.config.update(SECRET_KEY="k", PROPAGATE_EXCEPTIONS=False)
    app.config.update(config)
    app.logger.disabled = True
    bp = mod.Blueprint("bp", "errors", url_prefix="/bp")
    child = mod.Blueprint("child", "errors", url_prefix="/child")
    owners = {"app": app, "bp": bp, "child": child}

    def make_handler(owner: str, key: t.Any) -> t.Callable[[Exception], t.Any]:
        def handler(e: Exception) -> t.Any:
            original = getattr(e, "original_exception", None)
            code = getattr(e, "code", None)
            return (
                f"{owner}:{key}:{type(e).__name__}:{type(original).__name__}",
                code if isinstance(code, int) else 299,
            )

        return handler

    for owner, key in HANDLER_SETS[handlers]:
        target = exceptions.get(key, key) if isinstance(key, str) else key
        owners[owner].register_error_handler(target, make_handler(owner, key))

    def view(kind: str) -> t.Any:
        if kind == "app-error":
            raise AppError("a")
        if kind == "specific":
            raise SpecificError("s")
        if kind == "more-specific":
            raise MoreSpecificError("m")
        if kind == "zero":
            return 1 / 0
        if kind == "abort-404":
            mod.abort(404)
        if kind == "abort-418":
            mod.abort(418)
        if kind == "abort-500":
            mod.abort(500)
        if kind == "form-key":
            return mod.request.form["missing"]
        if kind == "bad-request":
            mod.abort(400)
        return "fine"

    for scaffold in (app, bp, child):
        scaffold.add_url_rule("/<kind>", "view", view, methods=["GET", "POST"])
    bp.register_blueprint(child)
    app.register_blueprint(bp)
    return app


KINDS = [
    "fine",
    "app-error",
    "specific",
    "more-specific",
    "zero",
    "abort-404",
    "abort-418",
    "abort-500",
    "form-key",
    "bad-request",
]
PREFIXES = ["", "/bp", "/bp/child"]


def compare(handlers: str, config: dict[str, t.Any], protocol: str) -> None:
    flask_app = build_errors(flask, handlers, config)
    app = build_errors(hipflask, handlers, config)
    flask_client = flask_app.test_client()
    client = app.test_client(asgi=protocol == "asgi")
    checked = 0
    for prefix in PREFIXES:
        for kind in [*KINDS, "missing/path"]:
            path = f"{prefix}/{kind}"
            expected = flask_client.post(path)
            got = client.post(path)
            assert (got.status_code, got.data) == (
                expected.status_code,
                expected.data,
            ), path
            checked += 1
    assert checked == len(PREFIXES) * (len(KINDS) + 1)


@pytest.mark.parametrize("handlers", list(HANDLER_SETS))
def test_handlers_match_flask(protocol: str, handlers: str) -> None:
    compare(handlers, {}, protocol)


@pytest.mark.parametrize(
    "config",
    [
        {"TRAP_HTTP_EXCEPTIONS": True},
        {"TRAP_BAD_REQUEST_ERRORS": True},
        {"TRAP_BAD_REQUEST_ERRORS": False, "DEBUG": True},
        {"DEBUG": True, "PROPAGATE_EXCEPTIONS": False},
    ],
    ids=["trap-http", "trap-bad-request", "debug-no-trap", "debug"],
)
@pytest.mark.parametrize("handlers", ["none", "by-code", "http-base"])
def test_trapping_matches_flask(
    protocol: str, config: dict[str, t.Any], handlers: str
) -> None:
    compare(handlers, config, protocol)


# -- handlers ----------------------------------------------------------------------


def test_most_specific_class_wins(app: Flask, client: FlaskClient) -> None:
    app.register_error_handler(AppError, lambda e: "base")
    app.register_error_handler(SpecificError, lambda e: "specific")
    errors = {"base": AppError, "specific": SpecificError, "more": MoreSpecificError}

    @app.route("/<name>")
    def fail(name: str) -> str:
        raise errors[name]()

    assert client.get("/base").text == "base"
    assert client.get("/specific").text == "specific"
    assert client.get("/more").text == "specific"


def test_code_handler_and_class_handler_for_http_errors(
    app: Flask, client: FlaskClient
) -> None:
    @app.errorhandler(404)
    def not_found(e: NotFound) -> tuple[str, int]:
        return f"nothing at {request.path}", 404

    @app.errorhandler(Forbidden)
    def forbidden(e: Forbidden) -> tuple[str, int]:
        return f"forbidden: {e.description}", 403

    app.route("/secret")(lambda: abort(403, description="keep out"))
    assert client.get("/nope").text == "nothing at /nope"
    assert client.get("/secret").text == "forbidden: keep out"


def test_blueprint_handler_before_app_handler(app: Flask, client: FlaskClient) -> None:
    bp = Blueprint("bp", __name__)

    @bp.errorhandler(AppError)
    def bp_handler(e: Exception) -> str:
        return "from blueprint"

    @app.errorhandler(AppError)
    def app_handler(e: Exception) -> str:
        return "from app"

    def fail() -> str:
        raise AppError

    bp.add_url_rule("/fail", "fail", fail)
    app.add_url_rule("/fail", "fail", fail)
    app.register_blueprint(bp, url_prefix="/bp")
    assert client.get("/bp/fail").text == "from blueprint"
    assert client.get("/fail").text == "from app"


def test_app_errorhandler_from_blueprint(app: Flask, client: FlaskClient) -> None:
    bp = Blueprint("bp", __name__)

    @bp.app_errorhandler(404)
    def everywhere(e: Exception) -> tuple[str, int]:
        return "bp says 404", 404

    app.register_blueprint(bp)
    assert client.get("/anything").text == "bp says 404"


def test_handler_return_values(app: Flask, client: FlaskClient) -> None:
    app.register_error_handler(
        AppError, lambda e: Response("as response", status=409, headers={"X-A": "1"})
    )
    app.register_error_handler(418, lambda e: ({"error": e.description}, 418))

    @app.route("/app")
    def app_error() -> str:
        raise AppError

    app.route("/teapot")(lambda: abort(418, description="short and stout"))
    rv = client.get("/app")
    assert (rv.status_code, rv.text, rv.headers["X-A"]) == (409, "as response", "1")
    rv = client.get("/teapot")
    assert (rv.status_code, rv.json) == (418, {"error": "short and stout"})


def test_async_error_handler(app: Flask, client: FlaskClient) -> None:
    @app.errorhandler(AppError)
    async def handler(e: Exception) -> tuple[str, int]:
        return f"async {type(e).__name__}", 409

    @app.route("/")
    async def index() -> str:
        raise AppError

    rv = client.get("/")
    assert (rv.status_code, rv.text) == (409, "async AppError")


def test_abort_with_a_response(app: Flask, client: FlaskClient) -> None:
    app.route("/")(lambda: abort(Response("custom", status=402)))
    rv = client.get("/")
    assert (rv.status_code, rv.text) == (402, "custom")


def test_unhandled_error_is_500_with_original_exception(
    app: Flask, client: FlaskClient
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.logger.disabled = True
    received: list[InternalServerError] = []

    @app.errorhandler(500)
    def server_error(e: InternalServerError) -> tuple[str, int]:
        received.append(e)
        return "custom 500", 500

    @app.route("/zero")
    def zero() -> str:
        return str(1 / 0)

    app.route("/abort")(lambda: abort(500))
    rv = client.get("/zero")
    assert (rv.status_code, rv.text) == (500, "custom 500")
    assert isinstance(received[0], InternalServerError)
    assert isinstance(received[0].original_exception, ZeroDivisionError)
    assert client.get("/abort").text == "custom 500"
    assert received[1].original_exception is None


# -- errors in error handlers --------------------------------------------------------


@pytest.fixture
def quiet_app(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Flask:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(app.logger, "disabled", True)
    return app


def test_error_in_a_handler_becomes_500(quiet_app: Flask, client: FlaskClient) -> None:
    @quiet_app.errorhandler(404)
    def broken(e: Exception) -> str:
        raise ValueError("handler broke")

    seen: list[Exception] = []

    def server_error(e: InternalServerError) -> tuple[str, int]:
        seen.append(t.cast(Exception, e.original_exception))
        return "500 page", 500

    quiet_app.register_error_handler(500, server_error)
    rv = client.get("/missing")
    assert (rv.status_code, rv.text) == (500, "500 page")
    assert isinstance(seen[0], ValueError)


@pytest.mark.parametrize("failure", ["raises", "returns-none", "after-request"])
def test_broken_500_handling_ends_in_a_plain_500(
    quiet_app: Flask, client: FlaskClient, failure: str
) -> None:
    @quiet_app.errorhandler(500)
    def broken(e: Exception) -> t.Any:
        if failure == "raises":
            raise RuntimeError("500 handler broke")
        if failure == "returns-none":
            return None
        return "handled", 500

    @quiet_app.after_request
    def after(response: Response) -> Response:
        if failure == "after-request":
            raise RuntimeError("after_request broke")
        return response

    @quiet_app.route("/")
    def index() -> str:
        raise KeyError("original")

    rv = client.get("/")
    assert rv.status_code == 500
    if failure == "after-request":
        # As in Flask: the handler's response, without the failed hook's work.
        assert rv.text == "handled"
    else:
        assert b"Internal Server Error" in rv.data


def test_broken_500_handling_is_logged(app: Flask, client: FlaskClient) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    app.logger.addHandler(Collect())
    app.logger.propagate = False
    try:
        app.register_error_handler(500, lambda e: 1 / 0)
        app.route("/")(raise_key_error)
        assert client.get("/").status_code == 500
    finally:
        app.logger.propagate = True
    messages = [r.getMessage() for r in records]
    assert messages[0] == "Exception on / [GET]"
    assert records[0].exc_info is not None
    assert records[0].exc_info[0] is KeyError
    assert any(r.exc_info and r.exc_info[0] is ZeroDivisionError for r in records[1:])


# -- propagation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "propagates"),
    [
        ({"TESTING": True}, True),
        ({"TESTING": False}, False),
        ({"TESTING": False, "DEBUG": True}, True),
        ({"TESTING": True, "PROPAGATE_EXCEPTIONS": False}, False),
        ({"TESTING": False, "PROPAGATE_EXCEPTIONS": True}, True),
    ],
)
def test_propagate_exceptions(
    app: Flask, client: FlaskClient, config: dict[str, t.Any], propagates: bool
) -> None:
    app.config.update(config)
    app.logger.disabled = True

    @app.route("/")
    def index() -> str:
        raise AppError("escaped")

    if propagates:
        with pytest.raises(AppError, match="escaped"):
            client.get("/")
    else:
        assert client.get("/").status_code == 500


def test_http_exceptions_never_propagate(app: Flask, client: FlaskClient) -> None:
    app.route("/")(lambda: abort(409))
    assert client.get("/").status_code == 409


@pytest.mark.parametrize(
    ("config", "trapped"),
    [
        ({}, False),
        ({"DEBUG": True}, True),
        ({"TRAP_BAD_REQUEST_ERRORS": True}, True),
        ({"TRAP_BAD_REQUEST_ERRORS": False, "DEBUG": True}, False),
        ({"TRAP_HTTP_EXCEPTIONS": True}, True),
    ],
)
def test_missing_form_key_trapping(
    app: Flask, client: FlaskClient, config: dict[str, t.Any], trapped: bool
) -> None:
    app.config.update(config)
    app.post("/")(lambda: request.form["missing"])
    if trapped:
        with pytest.raises(BadRequestKeyError) as info:
            client.post("/", data={"other": "1"})
        assert info.value.args == ("missing",)
    else:
        rv = client.post("/", data={"other": "1"})
        assert rv.status_code == 400


def test_trap_http_exceptions_lets_any_http_error_through(
    app: Flask, client: FlaskClient
) -> None:
    app.config["TRAP_HTTP_EXCEPTIONS"] = True
    app.route("/")(lambda: abort(404))
    with pytest.raises(NotFound):
        client.get("/")


def test_bad_request_key_error_in_debug_names_the_key(
    app: Flask, client: FlaskClient
) -> None:
    app.config.update(DEBUG=True, TRAP_BAD_REQUEST_ERRORS=False)
    app.post("/")(lambda: request.form["secret_field"])
    rv = client.post("/", data={})
    assert rv.status_code == 400
    assert b"KeyError: &#39;secret_field&#39;" in rv.data
    app2 = Flask("plain", root_path="/nonexistent-root")
    app2.post("/")(lambda: request.form["secret_field"])
    rv = app2.test_client(asgi=client.asgi).post("/", data={})
    assert rv.status_code == 400
    assert b"secret_field" not in rv.data


# -- the public pieces and overriding them -------------------------------------------


def test_handle_http_exception_called_directly(app: Flask) -> None:
    app.register_error_handler(404, lambda e: ("handled", 404))
    with app.test_request_context():
        assert app.handle_http_exception(NotFound()) == ("handled", 404)
        forbidden = Forbidden()
        assert app.handle_http_exception(forbidden) is forbidden


def test_handle_user_exception_called_directly(app: Flask) -> None:
    app.register_error_handler(AppError, lambda e: "handled")
    with app.test_request_context():
        assert app.handle_user_exception(SpecificError()) == "handled"
        with pytest.raises(KeyError):
            app.handle_user_exception(KeyError("x"))


def test_handle_exception_called_directly(app: Flask) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.logger.disabled = True
    with app.test_request_context():
        rv = app.handle_exception(ValueError("x"))
        assert isinstance(rv, Response)
        assert rv.status_code == 500
    app.config["PROPAGATE_EXCEPTIONS"] = True
    with app.test_request_context(), pytest.raises(ValueError, match="direct"):
        app.handle_exception(ValueError("direct"))


def test_subclass_overrides_are_used(protocol: str) -> None:
    class App(Flask):
        def handle_http_exception(self, e: HTTPException) -> t.Any:
            return f"http {e.code}", e.code

        def handle_user_exception(self, e: Exception) -> t.Any:
            if isinstance(e, KeyError):
                return "user", 400
            return super().handle_user_exception(e)

        def handle_exception(self, e: Exception) -> Response:
            return Response(f"exception {type(e).__name__}", 500)

    app = App("sub", root_path="/nonexistent-root")
    app.add_url_rule("/key", "key", raise_key_error)
    app.add_url_rule("/zero", "zero", lambda: 1 / 0)

    @app.route("/async-key")
    async def async_key() -> str:
        raise KeyError("x")

    client = app.test_client(asgi=protocol == "asgi")
    got = [
        (rv.status_code, rv.text)
        for rv in (
            client.get("/key"),
            client.get("/zero"),
            client.get("/missing"),
            client.get("/async-key"),
        )
    ]
    assert got == [
        (400, "user"),
        (500, "exception ZeroDivisionError"),
        (404, "http 404"),
        (400, "user"),
    ]


def test_instance_wrapping_of_handlers_is_used(app: Flask, client: FlaskClient) -> None:
    """The pattern Flask-RESTful uses to route errors through itself."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.logger.disabled = True

    def router(original: t.Callable[[Exception], t.Any], e: Exception) -> t.Any:
        if isinstance(e, AppError):
            return {"routed": type(e).__name__}, 409
        return original(e)

    app.handle_user_exception = partial(router, app.handle_user_exception)  # type: ignore[method-assign]
    app.handle_exception = partial(router, app.handle_exception)  # type: ignore[method-assign]

    @app.route("/app")
    def app_error() -> str:
        raise SpecificError

    app.add_url_rule("/zero", "zero", lambda: 1 / 0)
    app.add_url_rule("/ok", "ok", lambda: "ok")
    rv = client.get("/app")
    assert (rv.status_code, rv.json) == (409, {"routed": "SpecificError"})
    assert client.get("/zero").status_code == 500
    assert client.get("/ok").text == "ok"


def test_handle_exception_override_teardown_sees_the_error(protocol: str) -> None:
    class App(Flask):
        def handle_exception(self, e: Exception) -> Response:
            return Response("overridden", 503)

    app = App("sub", root_path="/nonexistent-root")
    seen: list[BaseException | None] = []
    app.teardown_request(seen.append)
    app.route("/")(lambda: 1 / 0)
    rv = app.test_client(asgi=protocol == "asgi").get("/")
    assert (rv.status_code, rv.text) == (503, "overridden")
    assert isinstance(seen[0], ZeroDivisionError)


# -- log_exception and got_request_exception -----------------------------------------


def test_log_exception_override(protocol: str) -> None:
    logged: list[t.Any] = []

    class App(Flask):
        def log_exception(self, exc_info: t.Any) -> None:
            logged.append(exc_info)

    app = App("sub", root_path="/nonexistent-root")
    app.route("/")(lambda: 1 / 0)
    assert app.test_client(asgi=protocol == "asgi").get("/").status_code == 500
    assert logged[0][0] is ZeroDivisionError
    assert isinstance(logged[0][1], ZeroDivisionError)


def test_got_request_exception_signal(app: Flask, client: FlaskClient) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.logger.disabled = True
    received: list[tuple[t.Any, BaseException]] = []

    def on_exception(sender: t.Any, exception: BaseException, **extra: t.Any) -> None:
        received.append((sender, exception))

    app.register_error_handler(AppError, lambda e: "handled")

    @app.route("/unhandled")
    def unhandled() -> str:
        raise KeyError("k")

    @app.route("/handled")
    def handled() -> str:
        raise AppError

    app.route("/http")(lambda: abort(404))
    with got_request_exception.connected_to(on_exception, app):
        assert client.get("/handled").text == "handled"
        assert client.get("/http").status_code == 404
        assert client.get("/unhandled").status_code == 500
    assert len(received) == 1
    assert received[0][0] is app
    assert isinstance(received[0][1], KeyError)


# -- registration errors -------------------------------------------------------------


@pytest.mark.parametrize(
    ("argument", "error", "message"),
    [
        (999, ValueError, "'999' is not a recognized HTTP error code."),
        (AppError(), TypeError, "is an instance, not a class."),
        (int, ValueError, "'int' is not a subclass of Exception."),
    ],
)
def test_register_error_handler_rejects_bad_keys(
    app: Flask, argument: t.Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(").replace(".", r"\.")):
        app.register_error_handler(argument, lambda e: "")
    flask_app = flask.Flask("reference")
    with pytest.raises(error) as reference:
        flask_app.register_error_handler(argument, lambda e: "")
    with pytest.raises(error) as ours:
        app.register_error_handler(argument, lambda e: "")
    assert str(ours.value) == str(reference.value)


def test_handler_for_custom_http_exception_subclass(
    app: Flask, client: FlaskClient
) -> None:
    class PaymentRequired(HTTPException):
        code = 402
        description = "Pay up."

    app.register_error_handler(PaymentRequired, lambda e: (e.description, e.code))
    app.route("/")(lambda: (_ for _ in ()).throw(PaymentRequired()))
    rv = client.get("/")
    assert (rv.status_code, rv.text) == (402, "Pay up.")
    assert issubclass(BadRequestKeyError, BadRequest)


# -- routing errors answered without raising them ------------------------------------
# When nothing but Flask's own steps would see a routing error raised (no handler
# takes it, it is not trapped, no step replaced), the pipeline answers with its
# page without raising it: the error then has no traceback. Otherwise it is
# raised, as in Flask. These tests pin both sides.

ERROR_STEPS = [
    "raise_routing_exception",
    "handle_user_exception",
    "handle_http_exception",
    "trap_http_exception",
    "make_response",
]


def _page(error: werkzeug.exceptions.HTTPException) -> bytes:
    return error.get_response().get_data()


def test_routing_error_page_runs_the_pipeline(app: Flask, client: FlaskClient) -> None:
    events: list[t.Any] = []
    app.before_request(lambda: events.append("before"))

    @app.after_request
    def after(response: Response) -> Response:
        error = request.routing_exception
        events.append((type(response), response.status_code, type(error)))
        events.append(error.__traceback__)  # type: ignore[union-attr]
        return response

    app.teardown_request(lambda exc: events.append(("teardown", exc)))
    app.route("/")(lambda: "index")
    with got_request_exception.connected_to(lambda *a, **k: events.append(a), app):
        rv = client.get("/missing")
    assert (rv.status_code, rv.data) == (404, _page(werkzeug.exceptions.NotFound()))
    assert rv.headers["Content-Type"] == "text/html; charset=utf-8"
    assert rv.headers["Content-Length"] == str(len(rv.data))
    assert events == [
        "before",
        (Response, 404, NotFound),
        None,  # not raised
        ("teardown", None),
    ]


def test_before_request_answer_wins_over_routing_error(
    app: Flask, client: FlaskClient
) -> None:
    app.before_request(lambda: ("early", 200))
    assert client.get("/missing").text == "early"


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_routing_error_pages_like_flask(protocol: str, method: str) -> None:
    def build(mod: types.ModuleType) -> t.Any:
        app = mod.Flask("pages", root_path="/nonexistent-root")
        app.add_url_rule("/", "index", lambda: "index")
        app.add_url_rule("/post", "post", lambda: "posted", methods=["POST"])
        app.add_url_rule("/dir/", "dir", lambda: "dir")
        app.add_url_rule("/u/<int:n>", "user", lambda n: str(n))
        return app

    def headers(response: t.Any) -> dict[str, t.Any]:
        # Header names case-insensitively; Allow's methods in any order.
        fields = {name.lower(): value for name, value in response.headers.items()}
        if "allow" in fields:
            fields["allow"] = set(fields["allow"].split(", "))
        return fields

    client = build(hipflask).test_client(asgi=protocol == "asgi")
    flask_client = build(flask).test_client()
    for path in ["/missing", "/post", "/dir", "/dir?x=1&y=%20", "/u/x", "/u//1"]:
        got = client.open(path, method=method)
        expected = flask_client.open(path, method=method)
        assert (got.status, got.data, headers(got)) == (
            expected.status,
            expected.data,
            headers(expected),
        ), path


def test_redirect_is_made_absolute_once(app: Flask, client: FlaskClient) -> None:
    seen: list[t.Any] = []

    @app.after_request
    def after(response: Response) -> Response:
        seen.append(request.routing_exception)
        return response

    app.route("/dir/")(lambda: "dir")
    rv = client.get("/dir?q=1")
    assert (rv.status_code, rv.headers["Location"]) == (
        308,
        "http://localhost/dir/?q=1",
    )
    assert seen[0].new_url == "http://localhost/dir/?q=1"


def test_handler_for_a_routing_error_runs_while_it_is_raised(
    app: Flask, client: FlaskClient
) -> None:
    seen: list[tuple[bool, bool, bool]] = []

    @app.errorhandler(404)
    def not_found(e: NotFound) -> t.Any:
        seen.append(
            (
                sys.exc_info()[1] is e,
                e is request.routing_exception,
                e.__traceback__ is not None,
            )
        )
        return "handled", 404

    assert client.get("/missing").text == "handled"
    assert seen == [(True, True, True)]


def test_handler_put_in_the_spec_after_the_first_404_is_used(
    app: Flask, client: FlaskClient
) -> None:
    app.route("/")(lambda: "index")
    page = _page(werkzeug.exceptions.NotFound())
    assert client.get("/missing").data == page
    app.error_handler_spec[None][404][NotFound] = lambda e: ("by code", 404)
    assert client.get("/missing").text == "by code"
    del app.error_handler_spec[None][404][NotFound]
    assert client.get("/missing").data == page
    app.error_handler_spec[None][None][HTTPException] = lambda e: ("by class", 404)
    assert client.get("/missing").text == "by class"
    app.error_handler_spec.clear()
    assert client.get("/missing").data == page
    # A blueprint's handlers do not take a URL that matched no rule.
    app.error_handler_spec["bp"][404][NotFound] = lambda e: ("blueprint", 404)
    assert client.get("/missing").data == page


def test_handler_registered_before_the_next_first_request_is_used(
    app: Flask, client: FlaskClient
) -> None:
    assert client.get("/missing").status_code == 404
    app._got_first_request = False  # as after app.run() returned
    app.register_error_handler(404, lambda e: ("late", 404))
    assert client.get("/missing").text == "late"


@pytest.mark.parametrize("step", ERROR_STEPS)
def test_error_step_replaced_in_a_subclass_is_called(protocol: str, step: str) -> None:
    calls: list[str] = []

    def replacement(self: Flask, *args: t.Any) -> t.Any:
        calls.append(step)
        return getattr(Flask, step)(self, *args)

    app = type("App", (Flask,), {step: replacement})(
        "sub", root_path="/nonexistent-root"
    )
    client = app.test_client(asgi=protocol == "asgi")
    rv = client.get("/missing")
    assert (rv.status_code, rv.data) == (404, _page(werkzeug.exceptions.NotFound()))
    assert step in calls


@pytest.mark.parametrize("step", ERROR_STEPS)
def test_error_step_wrapped_on_the_instance_is_called(
    app: Flask, client: FlaskClient, step: str
) -> None:
    """Set after the first 404 was answered without raising."""
    assert client.get("/missing").status_code == 404
    calls: list[tuple[str, type]] = []
    original = getattr(app, step)

    def replacement(*args: t.Any) -> t.Any:
        calls.append((step, type(args[-1])))
        return original(*args)

    setattr(app, step, replacement)
    rv = client.get("/missing")
    assert (rv.status_code, rv.data) == (404, _page(werkzeug.exceptions.NotFound()))
    expected = (
        hipflask.wrappers.Request if step == "raise_routing_exception" else NotFound
    )
    assert (step, expected) in calls


def test_make_response_override_gets_the_routing_error(protocol: str) -> None:
    class App(Flask):
        def make_response(self, rv: t.Any) -> Response:
            if isinstance(rv, HTTPException):
                return Response(f"json {rv.code}", rv.code, mimetype="application/json")
            return super().make_response(rv)

    app = App("sub", root_path="/nonexistent-root")
    app.route("/post", methods=["POST"])(lambda: "posted")
    client = app.test_client(asgi=protocol == "asgi")
    rv = client.get("/missing")
    assert (rv.status_code, rv.text, rv.mimetype) == (
        404,
        "json 404",
        "application/json",
    )
    assert client.get("/post").text == "json 405"


def test_trap_settings_are_read_per_request(app: Flask, client: FlaskClient) -> None:
    app.route("/")(lambda: "index")
    assert client.get("/missing").status_code == 404
    app.config["TRAP_HTTP_EXCEPTIONS"] = True
    with pytest.raises(NotFound):
        client.get("/missing")
    app.config["TRAP_HTTP_EXCEPTIONS"] = False
    app.config["TRUSTED_HOSTS"] = ["example.com"]  # a 400 while routing
    assert client.get("/").status_code == 400
    app.config["TRAP_BAD_REQUEST_ERRORS"] = True
    with pytest.raises(BadRequest):
        client.get("/")
    assert client.get("/missing", base_url="http://example.com").status_code == 404


def test_public_steps_still_raise_or_return_the_error(app: Flask) -> None:
    app.route("/")(lambda: "index")
    with app.test_request_context("/missing"):
        with pytest.raises(NotFound):
            app.dispatch_request()
        error = NotFound()
        assert app.handle_user_exception(error) is error
        assert app.handle_http_exception(error) is error
        assert app.full_dispatch_request().status_code == 404


def test_routing_error_page_with_a_custom_response_class(
    app: Flask, client: FlaskClient
) -> None:
    class Custom(Response):
        automatically_set_content_length = False
        default_mimetype = "text/plain"

    app.response_class = Custom
    seen: list[type] = []

    @app.after_request
    def after(response: Response) -> Response:
        seen.append(type(response))
        return response

    rv = client.get("/missing")
    # As Flask: the page is built as the base class, then re-classed.
    assert rv.headers["Content-Type"] == "text/html; charset=utf-8"
    assert rv.headers["Content-Length"] == str(len(rv.data))
    assert seen == [Custom]


def test_abort_in_a_view_without_handler(app: Flask, client: FlaskClient) -> None:
    seen: list[type] = []

    @app.after_request
    def after(response: Response) -> Response:
        seen.append(type(response))
        return response

    app.route("/")(lambda: abort(410))
    rv = client.get("/")
    assert (rv.status_code, rv.data) == (410, _page(werkzeug.exceptions.Gone()))
    assert seen == [Response]


def test_routing_error_leaves_no_reference_cycle(app: Flask) -> None:
    import gc
    import types

    from hipflask.testing import EnvironBuilder

    app.add_url_rule("/", "index", lambda: "index")
    app.add_url_rule("/dir/", "dir", lambda: "dir")
    app.add_url_rule("/post", "post", lambda: "posted", methods=["POST"])

    def call(path: str) -> None:
        environ = EnvironBuilder(app, path=path).get_environ()
        body = app(environ, lambda status, headers, exc_info=None: None)
        b"".join(body)
        getattr(body, "close", lambda: None)()

    def is_request_garbage(obj: object) -> bool:
        # Only what a request leaves counts: other threads (servers started by
        # other tests) may drop cycles of their own meanwhile.
        if isinstance(obj, (BaseException, types.TracebackType)):
            return True
        if isinstance(obj, types.FrameType):
            return "hipflask" in obj.f_code.co_filename
        return type(obj).__module__.startswith("hipflask")

    for path in ["/missing", "/post", "/dir"]:
        call(path)  # warm up
        gc.collect()
        gc.disable()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            call(path)
            gc.collect()
            left = [obj for obj in gc.garbage if is_request_garbage(obj)]
            assert left == [], path
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
