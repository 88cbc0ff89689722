"""The C twins of the application's steps give what the Python ones give: the
direct pipeline (``Flask._handle_direct`` and ``Flask._respond``, from
``http/_speedups_app.c``), and the URL match and a routing error's answer
(``Flask._match_request`` and ``Flask._unraised_routing_error``, from
``http/_speedups_routing.c``; at the end of this file).

Each story builds an application, pushes one request context and runs the
pipeline on it twice, each time in a ``contextvars.Context`` of its own: with
the C methods, and with the Python twins put back on the class. What is
compared: the answer (the parts of a fixed-body response, or a Response's
class, status, header fields and body), what the hooks, views and handlers
saw (including ``sys.exc_info()`` in an error handler), what was raised with
its ``__context__``, and the error the context recorded for the teardown
functions. A profiler hook also checks which stories C answered itself and
which it handed to the Python twin whole.
"""

from __future__ import annotations

import contextvars
import sys
import typing as t

import pytest

from hipflask import (
    Flask,
    Response,
    after_this_request,
    request,
    request_finished,
    request_started,
    session,
)
from hipflask import app as app_module
from hipflask.ctx import RequestContext, new_request_context
from hipflask.http._native import speedups
from hipflask.http.exceptions import NotFound
from hipflask.json.provider import DefaultJSONProvider
from hipflask.wrappers import Request

needs_c = pytest.mark.skipif(
    speedups is None, reason="the C helpers are not built or are switched off"
)


class _Stop(BaseException):
    """Not an Exception: the pipeline lets it through untouched."""


class _OwnResponse(Response):
    pass


class _OwnProvider(DefaultJSONProvider):
    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        made = super().response(*args, **kwargs)
        made.headers["X-Provider"] = "own"
        return made


class _MadeFlask(Flask):
    def make_response(self, rv: t.Any) -> Response:
        return super().make_response(rv)


#: Stories the C pipeline hands to the Python twin whole (nothing run before).
_HANDED_OVER = {
    "started receiver",
    "async view",
    "preprocessor",
    "before and chain not made",
    "overridden dispatch",
}

_STORIES = (
    "text",
    "json dict",
    "json list",
    "response object",
    "tuple",
    "bytes",
    "view args",
    "not found",
    "method not allowed",
    "redirect slash",
    "options",
    "head",
    "view replaced",
    "before answers",
    "before passes",
    "before raises",
    "before stops",
    "after hook",
    "after this request",
    "raises, handled",
    "raises, handled by code",
    "raises, unhandled",
    "raises, testing",
    "handler raises",
    "handler raises, testing",
    "handler sees exc_info",
    "before sets a routing error",
    "before sets OPTIONS",
    "not serializable",
    "finished receiver",
    "cookie sent",
    "session read",
    "session written",
    "own response class",
    "own json provider",
    "own make_response",
    "no content length",
    "no default mimetype",
    "own request class",
    "asgi text",
    "asgi cookie",
    *sorted(_HANDED_OVER),
)


def _describe(result: t.Any) -> t.Any:
    if isinstance(result, tuple):
        return ("parts", result)
    if isinstance(result, Response):
        return (
            type(result).__name__,
            result.status,
            list(result.headers.items()),
            result.get_data(),
        )
    return ("other", repr(result))


def _story_app(name: str, seen: list[t.Any]) -> Flask:
    app_class = _MadeFlask if name == "own make_response" else Flask
    app = app_class("pipeline_story", root_path="/nonexistent-root")
    app.secret_key = "a secret"

    @app.route("/", methods=["GET", "POST"])
    def index() -> t.Any:
        seen.append(("view", request.method))
        if name in ("json dict", "own json provider"):
            return {"a": 1, "b": [1, 2]}
        if name == "json list":
            return [1, "two"]
        if name == "response object":
            return Response("made", 202, {"X-Made": "yes"})
        if name == "tuple":
            return "made", 201, {"X-Tuple": "1"}
        if name == "bytes":
            return b"raw bytes"
        if name == "after this request":

            @after_this_request
            def later(response: Response) -> Response:
                response.headers["X-Later"] = "1"
                return response

        if name.startswith(("raises", "handler")):
            raise LookupError("the view failed")
        if name == "not serializable":
            return {"when": object()}
        if name == "session read":
            seen.append(("session", session.get("user")))
        if name == "session written":
            session["user"] = "someone"
        return "hello"

    @app.route("/user/<int:user_id>")
    def user(user_id: int) -> t.Any:
        seen.append(("user", user_id))
        return {"id": user_id}

    @app.route("/folder/")
    def folder() -> str:
        return "folder"

    if name == "async view":

        @app.route("/async")
        async def async_view() -> str:
            return "async"

    if name in (
        "raises, handled",
        "handler sees exc_info",
        "handler raises",
        "handler raises, testing",
    ):

        @app.errorhandler(LookupError)
        def lookup_failed(exc: LookupError) -> t.Any:
            seen.append(("handler", type(exc).__name__, sys.exc_info()[0]))
            if name.startswith("handler raises"):
                raise RuntimeError("the handler failed")
            return "handled", 418

    if name == "raises, handled by code":

        @app.errorhandler(500)
        def server_error(exc: Exception) -> t.Any:
            seen.append(("500 handler", type(exc).__name__))
            return "sorry", 500

    if name in ("raises, testing", "handler raises, testing"):
        app.testing = True
    if name.startswith("before"):

        @app.before_request
        def first() -> t.Any:
            seen.append("first before")
            if name == "before answers":
                return "from before", 203
            if name == "before raises":
                raise KeyError("before")
            if name == "before stops":
                raise _Stop()
            if name == "before sets a routing error":
                request.routing_exception = NotFound()
            if name == "before sets OPTIONS":
                request.method = "OPTIONS"
            return None

        @app.before_request
        def second() -> None:
            seen.append("second before")

    if name == "after hook":

        @app.after_request
        def after(response: Response) -> Response:
            seen.append(("after", response.status))
            response.headers["X-After"] = "1"
            return response

    if name == "preprocessor":

        @app.url_value_preprocessor
        def preprocess(endpoint: str | None, values: t.Any) -> None:
            seen.append(("preprocess", endpoint))

    if name == "own response class":
        app.response_class = _OwnResponse
    if name == "own json provider":
        app.json = _OwnProvider(app)
    if name == "own request class":
        app.request_class = type("OwnRequest", (Request,), {})
    if name == "overridden dispatch":
        app.dispatch_request = lambda: "dispatched"  # type: ignore[method-assign]
    return app


def _asgi_request(
    app: Flask, method: str, path: str, fields: list[tuple[bytes, bytes]]
) -> Request:
    """The app's request for an ASGI http scope with these header fields."""
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "scheme": "http",
        "server": ("localhost", 80),
        "headers": fields,
    }
    return app.request_class.from_asgi(scope, b"")


#: The stories that request something other than GET /.
_REQUEST_LINES = {
    "view args": ("/user/42", "GET"),
    "not found": ("/missing", "GET"),
    "method not allowed": ("/", "DELETE"),
    "redirect slash": ("/folder", "GET"),
    "options": ("/", "OPTIONS"),
    "head": ("/", "HEAD"),
    "async view": ("/async", "GET"),
}


def _request_context(app: Flask, name: str) -> RequestContext:
    path, method = _REQUEST_LINES.get(name, ("/", "GET"))
    headers: dict[str, str] = {}
    if name in ("cookie sent", "session read"):
        with app.test_request_context():
            cookie = app.session_interface.get_signing_serializer(app).dumps(  # type: ignore[attr-defined]
                {"user": "known"}
            )
        headers["Cookie"] = f"session={cookie}"
    if name.startswith("asgi"):
        fields = [(b"host", b"localhost")]
        if name == "asgi cookie":
            fields.append((b"cookie", b"session=x"))
        asgi_request = _asgi_request(app, method, path, fields)
        app._match_request(asgi_request)
        return new_request_context(app, asgi_request)
    return app.test_request_context(path, method=method, headers=headers)


def _story(name: str, handle: t.Callable[..., t.Any]) -> list[t.Any]:
    seen: list[t.Any] = []
    app = _story_app(name, seen)
    settings = (Response.automatically_set_content_length, Response.default_mimetype)
    if name == "no content length":
        Response.automatically_set_content_length = False
    if name == "no default mimetype":
        Response.default_mimetype = None  # type: ignore[assignment]

    def started(sender: t.Any, **extra: t.Any) -> None:
        seen.append("started")

    def finished(sender: t.Any, response: Response, **extra: t.Any) -> None:
        seen.append(("finished", response.status))

    if name == "started receiver":
        request_started.connect(started, app)
    if name == "finished receiver":
        request_finished.connect(finished, app)
    ctx = _request_context(app, name)
    if name == "before and chain not made":
        app.before_request(lambda: seen.append("late before"))
    try:
        ctx.push()
        if name != "before and chain not made":
            rule = ctx.request.url_rule
            app._chain_for(rule.endpoint if rule is not None else None)
        if name == "view replaced":  # after the chain took the view
            app.view_functions["index"] = lambda: "replaced"
        try:
            seen.append(("answer", _describe(handle(app, ctx))))
        except BaseException as exc:
            context = exc.__context__
            seen.append(
                ("raised", type(exc).__name__, str(exc), type(context).__name__)
            )
        seen.append(("recorded error", type(ctx._exception).__name__))
        seen.append(("session", dict(ctx._opened_session or {})))
        ctx.pop(ctx._exception)
    finally:
        Response.automatically_set_content_length, Response.default_mimetype = settings
        request_started.disconnect(started, app)
        request_finished.disconnect(finished, app)
    return seen


def _with_python_twins(name: str) -> list[t.Any]:
    c_handle, c_respond = Flask._handle_direct, Flask._respond
    type.__setattr__(Flask, "_handle_direct", app_module.PYTHON_HANDLE_DIRECT)
    type.__setattr__(Flask, "_respond", app_module.PYTHON_RESPOND)
    try:
        return _story(name, lambda app, ctx: app._handle_direct(ctx))
    finally:
        type.__setattr__(Flask, "_handle_direct", c_handle)
        type.__setattr__(Flask, "_respond", c_respond)


def _with_c(name: str) -> tuple[list[t.Any], bool]:
    """The story with the C methods, and whether the Python twin of
    _handle_direct ran."""
    twin = app_module.PYTHON_HANDLE_DIRECT.__code__
    entered: list[bool] = []

    def profile(frame: t.Any, event: str, arg: t.Any) -> None:
        if event == "call" and frame.f_code is twin:
            entered.append(True)

    def run() -> list[t.Any]:
        sys.setprofile(profile)
        try:
            return _story(name, lambda app, ctx: app._handle_direct(ctx))
        finally:
            sys.setprofile(None)

    seen = run()
    return seen, bool(entered)


@needs_c
def test_the_c_methods_are_in_place() -> None:
    assert Flask._handle_direct is speedups.handle_direct
    assert Flask._respond is speedups.respond


@needs_c
@pytest.mark.parametrize("story", _STORIES)
def test_the_c_pipeline_does_what_python_does(story: str) -> None:
    with_c, python_ran = contextvars.Context().run(_with_c, story)
    with_python = contextvars.Context().run(_with_python_twins, story)
    assert with_c == with_python
    assert python_ran == (story in _HANDED_OVER)
    assert any(
        event[0] in ("answer", "raised") for event in with_c if isinstance(event, tuple)
    )


@needs_c
def test_stories_cover_the_answers_that_matter() -> None:
    """The stories reach each kind of ending (a guard against stories that all
    end the same way)."""
    endings = {
        story: next(
            event
            for event in contextvars.Context().run(_with_c, story)[0]
            if isinstance(event, tuple) and event[0] in ("answer", "raised")
        )
        for story in (
            "text",
            "json dict",
            "response object",
            "tuple",
            "raises, testing",
            "before stops",
            "not found",
        )
    }
    assert endings["text"][1][0] == "parts"
    assert endings["json dict"][1][0] == "parts"
    assert endings["response object"][1][0] == "Response"
    assert endings["tuple"][1][1] == "201 CREATED"
    assert endings["raises, testing"][:2] == ("raised", "LookupError")
    assert endings["before stops"][:2] == ("raised", "_Stop")
    assert endings["not found"][1][0] == "parts"  # the standard page, as parts
    assert endings["not found"][1][1][1] == "404 NOT FOUND"


@needs_c
def test_arguments_are_checked() -> None:
    app = Flask("checked", root_path="/nonexistent-root")
    with pytest.raises(TypeError):
        speedups.handle_direct(app)
    with pytest.raises(TypeError):
        speedups.respond(app, None)
    with pytest.raises(TypeError):
        speedups.configure_app()


# -- _match_request ----------------------------------------------------------------

_MATCH_CASES = (
    # (name, path, method, Host header or None for none, expected to be C's own)
    ("static", "/plain", "GET", "localhost", True),
    ("static with defaults", "/defaults", "GET", "localhost", True),
    ("static, no Host", "/plain", "GET", None, True),
    ("static, empty Host", "/plain", "GET", "", True),
    ("dynamic", "/item/7", "GET", "localhost", True),
    ("dynamic, bad value", "/item/x", "GET", "localhost", True),
    ("missing", "/missing", "GET", "localhost", True),
    ("wrong method", "/plain", "DELETE", "localhost", True),
    ("slash redirect", "/slash", "GET", "localhost", True),
    ("double slash", "//plain", "GET", "localhost", True),
    ("Host with a control character", "/plain", "GET", "local\x7fhost", False),
    ("Host not ASCII", "/plain", "GET", "lócalhost", False),
    ("trusted hosts", "/plain", "GET", "localhost", False),
    ("untrusted host", "/plain", "GET", "localhost", False),
    ("rule added since the map was compiled", "/late", "GET", "localhost", False),
    ("subdomain matching", "/plain", "GET", "localhost", False),
    ("host matching", "/plain", "GET", "localhost", False),
    ("map not compiled", "/plain", "GET", "localhost", False),
    ("config with its own __getitem__", "/plain", "GET", "localhost", False),
    ("map with its own _match_unlisted", "/item/7", "GET", "localhost", True),
    ("_match_unlisted replaced on the map", "/item/7", "GET", "localhost", True),
    ("_match_unlisted raises", "/item/7", "GET", "localhost", True),
    ("own request class", "/item/7", "GET", "localhost", True),
    ("asgi static", "/plain", "GET", "localhost", True),
    ("asgi bad Host", "/plain", "GET", "local\x00host", False),
)


class _OwnConfigLookup(dict):  # type: ignore[type-arg]
    def __getitem__(self, key: str) -> t.Any:
        return super().__getitem__(key)


def _match_story(case: tuple[str, str, str, str | None, bool]) -> list[t.Any]:
    from hipflask.routing import Map

    name, path, method, host, _own = case
    options: dict[str, t.Any] = {}
    if name == "host matching":
        options = {"host_matching": True, "static_host": "localhost"}
    if name == "subdomain matching":
        options = {"subdomain_matching": True}
    app = Flask("match_story", root_path="/nonexistent-root", **options)
    seen: list[t.Any] = []
    if name == "map with its own _match_unlisted":

        class OwnMap(Map):
            def _match_unlisted(self, *args: t.Any) -> t.Any:
                seen.append("own _match_unlisted")
                return super()._match_unlisted(*args)

        app.url_map = OwnMap()
    route_host = {"host": "localhost"} if name == "host matching" else {}
    app.add_url_rule("/plain", "plain", lambda: "plain", **route_host)
    app.add_url_rule(
        "/defaults", "defaults", lambda page: "d", defaults={"page": 1}, **route_host
    )
    app.add_url_rule("/item/<int:item_id>", "item", lambda item_id: "i", **route_host)
    app.add_url_rule("/slash/", "slash", lambda: "s", **route_host)
    if name == "trusted hosts":
        app.config["TRUSTED_HOSTS"] = ["localhost"]
    if name == "untrusted host":
        app.config["TRUSTED_HOSTS"] = ["example.com"]
    if name == "subdomain matching":
        app.config["SERVER_NAME"] = "localhost"
    if name == "config with its own __getitem__":
        app.config = _OwnConfigLookup(app.config)  # type: ignore[assignment]
    if name == "own request class":
        app.request_class = type("OwnRequest", (Request,), {})
    if name != "map not compiled":
        app.url_map.update()
    else:
        app.url_map._dirty = True
    if name == "rule added since the map was compiled":
        app.add_url_rule("/late", "late", lambda: "late")
    if name == "_match_unlisted replaced on the map":
        unlisted = app.url_map._match_unlisted

        def spy(*args: t.Any) -> t.Any:
            seen.append("instance _match_unlisted")
            return unlisted(*args)

        app.url_map._match_unlisted = spy  # type: ignore[method-assign]
    if name == "_match_unlisted raises":

        def failing(*args: t.Any) -> t.Any:
            raise LookupError("no match today")

        app.url_map._match_unlisted = failing  # type: ignore[method-assign]
    if name.startswith("asgi"):
        fields = [(b"host", (host or "").encode("latin-1"))]
        request_ = _asgi_request(app, method, path, fields)
    else:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "wsgi.url_scheme": "http",
        }
        if host is not None:
            environ["HTTP_HOST"] = host
        request_ = app.request_class(environ)
    try:
        app._match_request(request_)
    except BaseException as exc:
        seen.append(("raised", type(exc).__name__, str(exc)))
    error = request_.routing_exception
    rule = request_.url_rule
    seen.append(
        (
            rule.rule if rule is not None else None,
            request_.view_args,
            type(error).__name__,
            str(error) if error is not None else None,
            getattr(error, "new_url", None),
        )
    )
    return seen


@needs_c
@pytest.mark.parametrize("case", _MATCH_CASES, ids=[case[0] for case in _MATCH_CASES])
def test_matching_in_c_does_what_python_does(
    case: tuple[str, str, str, str | None, bool],
) -> None:
    assert Flask._match_request is speedups.match_request
    twin = app_module.PYTHON_MATCH_REQUEST
    entered: list[bool] = []

    def profile(frame: t.Any, event: str, arg: t.Any) -> None:
        if event == "call" and frame.f_code is twin.__code__:
            entered.append(True)

    sys.setprofile(profile)
    try:
        with_c = _match_story(case)
    finally:
        sys.setprofile(None)
    type.__setattr__(Flask, "_match_request", twin)
    try:
        with_python = _match_story(case)
    finally:
        type.__setattr__(Flask, "_match_request", speedups.match_request)
    assert with_c == with_python
    assert (not entered) == case[4]


# -- _unraised_routing_error -------------------------------------------------------

_UNRAISED_CASES = (
    "not found",
    "method not allowed",
    "rule matched",
    "not an HTTP error",
    "bad request key error",
    "bad request, trapped",
    "not found, bad requests trapped",
    "all trapped",
    "redirect",
    "code None",
    "handler for 404",
    "handler for 500 only",
    "config with its own __getitem__",
    *(
        f"{step} on the class"
        for step in ("raise_routing_exception", "trap_http_exception")
    ),
    *(
        f"{step} on the instance"
        for step in (
            "raise_routing_exception",
            "handle_user_exception",
            "handle_http_exception",
            "trap_http_exception",
        )
    ),
)


def _unraised_story(name: str) -> list[t.Any]:
    from hipflask.http import exceptions as ex

    app_class: type[Flask] = Flask
    if name.endswith("on the class"):
        step = name.split(maxsplit=1)[0]
        app_class = type(
            "Stepped",
            (Flask,),
            {step: lambda self, *args: getattr(Flask, step)(self, *args)},
        )
    app = app_class("unraised_story", root_path="/nonexistent-root")
    app.add_url_rule("/plain", "plain", lambda: "plain")
    if name.endswith("on the instance"):
        step = name.split(maxsplit=1)[0]
        setattr(app, step, getattr(app, step))
    if name == "handler for 404":
        app.register_error_handler(404, lambda e: ("handled", 404))
    if name == "handler for 500 only":
        app.register_error_handler(500, lambda e: ("handled", 500))
    if name in {"bad request, trapped", "not found, bad requests trapped"}:
        app.config["TRAP_BAD_REQUEST_ERRORS"] = True
    if name == "all trapped":
        app.config["TRAP_HTTP_EXCEPTIONS"] = True
    if name == "config with its own __getitem__":
        app.config = _OwnConfigLookup(app.config)  # type: ignore[assignment]
    errors: dict[str, t.Callable[[], Exception]] = {
        "method not allowed": lambda: ex.MethodNotAllowed(["GET"]),
        "not an HTTP error": lambda: LookupError("not HTTP"),
        "bad request key error": lambda: ex.BadRequestKeyError("key"),
        "bad request, trapped": lambda: ex.BadRequest(),
        "redirect": lambda: ex.RequestRedirect("/plain/"),
        "code None": lambda: ex.HTTPException("no code"),
    }
    error = errors.get(name, ex.NotFound)()
    path = "/plain" if name == "rule matched" else "/missing"
    with app.test_request_context(path) as ctx:
        answer = app._unraised_routing_error(ctx.request, error)
    return [
        "same error" if answer is error else _describe(answer),
        type(answer).__name__,
    ]


@needs_c
@pytest.mark.parametrize("name", _UNRAISED_CASES)
def test_routing_errors_are_answered_in_c_as_in_python(name: str) -> None:
    assert Flask._unraised_routing_error is speedups.unraised_routing_error
    with_c = _unraised_story(name)
    type.__setattr__(
        Flask, "_unraised_routing_error", app_module.PYTHON_UNRAISED_ROUTING_ERROR
    )
    try:
        with_python = _unraised_story(name)
    finally:
        type.__setattr__(
            Flask, "_unraised_routing_error", speedups.unraised_routing_error
        )
    assert with_c == with_python
