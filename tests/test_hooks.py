"""Request hooks: before/after/teardown, URL value preprocessors and defaults.

Orders are compared with real Flask: the same app is built on both frameworks
and the calls each one makes are recorded.
"""

from __future__ import annotations

import asyncio
import logging
import types
import typing as t

import flask
import pytest

import hipflask
from hipflask import Blueprint, Flask, Response, abort, g, request, url_for
from hipflask.testing import FlaskClient

Calls = list[str]


@pytest.fixture(autouse=True)
def _restore_app_logger() -> t.Iterator[None]:
    """Tests silence ``app.logger``; the logger outlives the app (same name)."""
    logger = logging.getLogger("test_app")
    disabled = logger.disabled
    yield
    logger.disabled = disabled


# -- order against Flask ---------------------------------------------------------


def build_nested(mod: types.ModuleType) -> tuple[t.Any, Calls]:
    """App + parent + child blueprint, each with every hook, recording calls."""
    app = mod.Flask("hooks", root_path="/nonexistent-root")
    app.config.update(SECRET_KEY="k", PROPAGATE_EXCEPTIONS=False)
    app.logger.disabled = True
    calls: Calls = []
    parent = mod.Blueprint("parent", "hooks", url_prefix="/p")
    child = mod.Blueprint("child", "hooks", url_prefix="/c")

    def hook(scope: str, kind: str, index: int) -> t.Callable[..., t.Any]:
        def record(*args: t.Any) -> t.Any:
            calls.append(f"{scope}.{kind}{index}")
            if kind.endswith("after"):
                return args[0]
            if kind.endswith("teardown"):
                calls.append(f"  exc={type(args[0]).__name__}")
            return None

        record.__name__ = f"{scope}_{kind}_{index}"
        return record

    for scope, obj in (("app", app), ("parent", parent), ("child", child)):
        for index in (1, 2):
            obj.before_request(hook(scope, "before", index))
            obj.after_request(hook(scope, "after", index))
            obj.teardown_request(hook(scope, "teardown", index))
            obj.url_value_preprocessor(hook(scope, "uvp", index))
            if obj is not app:
                obj.before_app_request(hook(scope, "app_before", index))
                obj.after_app_request(hook(scope, "app_after", index))
                obj.teardown_app_request(hook(scope, "app_teardown", index))
                obj.app_url_value_preprocessor(hook(scope, "app_uvp", index))

    def view() -> str:
        calls.append("view")
        if mod.request.args.get("fail"):
            raise KeyError("boom")
        if mod.request.args.get("abort"):
            mod.abort(418)
        return "ok"

    child.add_url_rule("/", "index", view)
    parent.add_url_rule("/", "index", view)
    app.add_url_rule("/", "index", view)
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    app.teardown_appcontext(lambda exc: calls.append("appcontext.teardown"))
    return app, calls


@pytest.mark.parametrize("path", ["/", "/p/", "/p/c/", "/missing", "/p/c/missing"])
@pytest.mark.parametrize("query", ["", "fail=1", "abort=1"])
def test_hook_order_matches_flask(protocol: str, path: str, query: str) -> None:
    flask_app, flask_calls = build_nested(flask)
    flask_rv = flask_app.test_client().get(path, query_string=query)
    app, calls = build_nested(hipflask)
    rv = app.test_client(asgi=protocol == "asgi").get(path, query_string=query)
    assert rv.status_code == flask_rv.status_code
    assert calls == flask_calls
    assert calls  # something ran


def test_nested_order_spelled_out(protocol: str) -> None:
    app, calls = build_nested(hipflask)
    app.test_client(asgi=protocol == "asgi").get("/p/c/")
    # App-wide first, then outer blueprint to inner, in registration order.
    befores = [c for c in calls if "before" in c]
    assert befores == [
        "app.before1",
        "app.before2",
        "parent.app_before1",
        "parent.app_before2",
        "child.app_before1",
        "child.app_before2",
        "parent.before1",
        "parent.before2",
        "child.before1",
        "child.before2",
    ]
    # after_request: innermost first, newest first.
    afters = [c for c in calls if "after" in c]
    assert afters == [
        "child.after2",
        "child.after1",
        "parent.after2",
        "parent.after1",
        "child.app_after2",
        "child.app_after1",
        "parent.app_after2",
        "parent.app_after1",
        "app.after2",
        "app.after1",
    ]


# -- before_request ------------------------------------------------------------------


def test_before_request_return_value_short_circuits(
    app: Flask, client: FlaskClient
) -> None:
    calls: Calls = []

    @app.before_request
    def first() -> t.Any:
        calls.append("first")
        if request.args.get("stop"):
            return "stopped", 403, {"X-Stop": "yes"}
        return None

    @app.before_request
    def second() -> None:
        calls.append("second")

    @app.after_request
    def after(response: Response) -> Response:
        calls.append("after")
        return response

    @app.route("/")
    def index() -> str:
        calls.append("view")
        return "view"

    rv = client.get("/?stop=1")
    assert (rv.status_code, rv.text, rv.headers["X-Stop"]) == (403, "stopped", "yes")
    assert calls == ["first", "after"]
    calls.clear()
    assert client.get("/").text == "view"
    assert calls == ["first", "second", "view", "after"]


def test_before_request_runs_for_404_and_405(app: Flask, client: FlaskClient) -> None:
    seen: list[str | None] = []
    app.before_request(lambda: seen.append(request.endpoint))
    app.post("/only-post")(lambda: "x")
    assert client.get("/nowhere").status_code == 404
    assert client.get("/only-post").status_code == 405
    assert seen == [None, None]


def test_async_hooks(app: Flask, client: FlaskClient) -> None:
    calls: Calls = []

    @app.before_request
    async def before() -> None:
        await asyncio.sleep(0)
        calls.append("before")

    @app.after_request
    async def after(response: Response) -> Response:
        calls.append("after")
        response.headers["X-After"] = "1"
        return response

    @app.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        calls.append(f"teardown {exc}")

    @app.teardown_appcontext
    async def teardown_app(exc: BaseException | None) -> None:
        calls.append("teardown_app")

    def view() -> str:
        calls.append("view")
        return "ok"

    app.add_url_rule("/", "view", view)
    rv = client.get("/")
    assert rv.headers["X-After"] == "1"
    assert calls == ["before", "view", "after", "teardown None", "teardown_app"]


def test_async_before_request_short_circuits(app: Flask, client: FlaskClient) -> None:
    @app.before_request
    async def deny() -> t.Any:
        return "denied", 401

    app.route("/")(lambda: "view")
    rv = client.get("/")
    assert (rv.status_code, rv.text) == (401, "denied")


# -- after_request -----------------------------------------------------------------


def test_after_request_can_replace_the_response(
    app: Flask, client: FlaskClient
) -> None:
    @app.after_request
    def replace(response: Response) -> Response:
        return Response(f"replaced {response.status_code}", status=201)

    @app.after_request
    def inner(response: Response) -> Response:
        response.headers["X-Inner"] = "1"
        return response

    app.route("/")(lambda: "original")
    rv = client.get("/")
    assert (rv.status_code, rv.text) == (201, "replaced 200")
    assert "X-Inner" not in rv.headers


def test_after_request_runs_on_error_handler_responses(
    app: Flask, client: FlaskClient
) -> None:
    app.after_request(lambda r: (r.headers.__setitem__("X-After", "1"), r)[1])

    @app.errorhandler(404)
    def not_found(e: Exception) -> tuple[str, int]:
        return "custom 404", 404

    rv = client.get("/missing")
    assert rv.text == "custom 404"
    assert rv.headers["X-After"] == "1"


# -- teardown ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "status", "request_exc", "handled"),
    [
        ("", 200, None, False),
        ("mode=abort", 404, None, False),
        ("mode=handled", 200, None, True),
        ("mode=unhandled", 500, ZeroDivisionError, False),
        ("mode=before", 500, LookupError, False),
        ("mode=after", 500, ValueError, False),
    ],
)
def test_teardowns_always_run_and_see_the_unhandled_exception(
    app: Flask,
    client: FlaskClient,
    query: str,
    status: int,
    request_exc: type[BaseException] | None,
    handled: bool,
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.logger.disabled = True
    seen: list[tuple[str, type[BaseException] | None]] = []

    def kind(exc: BaseException | None) -> type[BaseException] | None:
        return None if exc is None else type(exc)

    app.teardown_request(lambda exc: seen.append(("request", kind(exc))))
    app.teardown_appcontext(lambda exc: seen.append(("app", kind(exc))))

    class Handled(Exception):
        pass

    app.register_error_handler(Handled, lambda e: "handled")

    @app.before_request
    def before() -> None:
        if request.args.get("mode") == "before":
            raise LookupError

    @app.after_request
    def after(response: Response) -> Response:
        if request.args.get("mode") == "after":
            raise ValueError
        return response

    @app.route("/")
    def index() -> str:
        mode = request.args.get("mode")
        if mode == "abort":
            abort(404)
        if mode == "handled":
            raise Handled
        if mode == "unhandled":
            1 / 0  # noqa: B018
        return "ok"

    assert client.get("/", query_string=query).status_code == status
    assert seen == [("request", request_exc), ("app", request_exc)]


def test_teardown_order_newest_first(app: Flask, client: FlaskClient) -> None:
    calls: Calls = []
    app.teardown_request(lambda e: calls.append("request1"))
    app.teardown_request(lambda e: calls.append("request2"))
    app.teardown_appcontext(lambda e: calls.append("app1"))
    app.teardown_appcontext(lambda e: calls.append("app2"))
    app.route("/")(lambda: "")
    client.get("/")
    assert calls == ["request2", "request1", "app2", "app1"]


def test_teardown_sees_propagated_exception(app: Flask, client: FlaskClient) -> None:
    seen: list[BaseException | None] = []
    app.teardown_request(seen.append)

    @app.route("/")
    def index() -> str:
        raise KeyError("propagated")

    with pytest.raises(KeyError, match="propagated"):
        client.get("/")
    assert len(seen) == 1
    assert isinstance(seen[0], KeyError)


# -- URL value preprocessors and defaults --------------------------------------------


def test_url_value_preprocessor_and_url_defaults(
    app: Flask, client: FlaskClient
) -> None:
    @app.url_defaults
    def add_language(endpoint: str, values: dict[str, t.Any]) -> None:
        if "lang" in values or not g.get("lang"):
            return
        if app.url_map.is_endpoint_expecting(endpoint, "lang"):
            values["lang"] = g.lang

    @app.url_value_preprocessor
    def pull_language(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        g.lang = values.pop("lang", None) if values else None

    @app.route("/<lang>/")
    def index() -> str:
        return url_for("about")

    @app.route("/<lang>/about")
    def about() -> str:
        return url_for("index")

    assert client.get("/de/").text == "/de/about"
    assert client.get("/fr/about").text == "/fr/"


def test_url_value_preprocessor_runs_before_before_request(
    app: Flask, client: FlaskClient
) -> None:
    calls: Calls = []
    app.before_request(lambda: calls.append("before"))
    app.url_value_preprocessor(
        lambda endpoint, values: calls.append(f"uvp {endpoint} {values}")
    )
    app.route("/<int:n>")(lambda n: str(n))
    assert client.get("/5").text == "5"
    assert calls == ["uvp <lambda> {'n': 5}", "before"]


def test_blueprint_url_values_and_app_url_defaults(
    app: Flask, client: FlaskClient
) -> None:
    bp = Blueprint("shop", __name__, url_prefix="/<shop>")

    @bp.url_value_preprocessor
    def pull_shop(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        g.shop = values.pop("shop") if values else None

    @bp.url_defaults
    def add_shop(endpoint: str, values: dict[str, t.Any]) -> None:
        values.setdefault("shop", g.shop)

    @bp.app_url_defaults
    def everywhere(endpoint: str, values: dict[str, t.Any]) -> None:
        if endpoint == "plain":
            values.setdefault("ref", "bp")

    @bp.route("/item/<int:n>")
    def item(n: int) -> str:
        return f"{g.shop}:{n}:{url_for('.item', n=n + 1)}"

    app.register_blueprint(bp)
    app.add_url_rule("/plain", "plain", lambda: url_for("plain"))
    assert client.get("/acme/item/1").text == "acme:1:/acme/item/2"
    assert client.get("/plain").text == "/plain?ref=bp"


def test_app_url_value_preprocessor_from_blueprint_sees_every_request(
    app: Flask, client: FlaskClient
) -> None:
    seen: list[str | None] = []
    bp = Blueprint("bp", __name__)
    bp.app_url_value_preprocessor(lambda endpoint, values: seen.append(endpoint))
    bp.route("/in-bp")(lambda: "")
    app.register_blueprint(bp)
    app.route("/in-app")(lambda: "")
    client.get("/in-bp")
    client.get("/in-app")
    assert seen == ["bp.<lambda>", "<lambda>"]


# -- flattened once ------------------------------------------------------------------


def test_hook_chains_are_flattened_once_per_endpoint(
    app: Flask, client: FlaskClient
) -> None:
    calls: Calls = []
    bp = Blueprint("bp", __name__)
    bp.before_request(lambda: calls.append("bp.before"))
    bp.route("/")(lambda: "bp")
    app.register_blueprint(bp, url_prefix="/bp")
    app.before_request(lambda: calls.append("app.before"))
    app.route("/")(lambda: "app")
    client.get("/bp/")
    chain = app._chain_for("bp.<lambda>")
    assert app._chain_for("bp.<lambda>") is chain
    # Changing the tables behind the setup methods' back changes nothing now:
    # the request path reads the flattened chain, not the tables.
    app.before_request_funcs["bp"].append(lambda: calls.append("late"))
    client.get("/bp/")
    assert calls == ["app.before", "bp.before"] * 2
    # And the setup methods refuse, as Flask's do after the first request.
    with pytest.raises(AssertionError, match="can no longer be called"):
        app.before_request(lambda: None)


# -- subclass overrides of the pipeline's public pieces --------------------------------


def override(mod: types.ModuleType, name: str) -> t.Callable[..., t.Any]:
    """A replacement for the app method ``name`` that leaves a mark."""
    if name == "process_response":

        def process_response(self: t.Any, response: t.Any) -> t.Any:
            response.headers["X-Overridden"] = name
            return response

        return process_response
    if name == "finalize_request":

        def finalize_request(
            self: t.Any, rv: t.Any, from_error_handler: bool = False
        ) -> t.Any:
            response = self.make_response(rv)
            response.headers["X-Overridden"] = name
            return response

        return finalize_request

    def replaced(self: t.Any) -> t.Any:
        return mod.Response(name, headers={"X-Overridden": name})

    return replaced


@pytest.mark.parametrize(
    "name",
    [
        "make_default_options_response",
        "dispatch_request",
        "full_dispatch_request",
        "preprocess_request",
        "process_response",
        "finalize_request",
    ],
)
def test_overridden_pipeline_methods_are_called_as_in_flask(
    protocol: str, name: str
) -> None:
    def build(mod: types.ModuleType) -> t.Any:
        app_class = type("App", (mod.Flask,), {name: override(mod, name)})
        app = app_class("subclassed", root_path="/nonexistent-root")
        app.add_url_rule("/", "index", lambda: "view")
        return app

    method = "OPTIONS" if name == "make_default_options_response" else "GET"
    theirs = build(flask).test_client().open("/", method=method)
    assert theirs.headers["X-Overridden"] == name
    ours = build(hipflask).test_client(asgi=protocol == "asgi").open("/", method=method)
    assert ours.headers.get("X-Overridden") == name
    assert (ours.status_code, ours.data) == (theirs.status_code, theirs.data)


# -- the after-request steps, as Flask runs them ----------------------------------


def build_after_steps(mod: types.ModuleType, use_async: bool) -> tuple[t.Any, Calls]:
    """after_this_request (one registering another), after_request hooks that set
    headers, replace the response and write the session, and a request_finished
    receiver: every step ``process_response`` has. With ``use_async`` the hook
    that replaces the response and the inner after_this_request are async."""
    app = mod.Flask("after_steps", root_path="/nonexistent-root")
    app.config.update(SECRET_KEY="k")
    calls: Calls = []

    @app.after_request
    def outer(response: t.Any) -> t.Any:
        calls.append(f"outer sees {response.headers.get('X-Inner')}")
        response.headers["X-Outer"] = "1"
        response.headers["x-inner"] = "2"  # an existing name, in another case
        mod.session["seen"] = True
        return response

    def replace(response: t.Any) -> t.Any:
        calls.append("replace")
        new = mod.Response(f"replaced {response.get_data(as_text=True)}")
        new.headers["X-Inner"] = "1"
        return new

    def later(response: t.Any) -> t.Any:
        calls.append("later")
        response.headers["X-Later"] = "1"
        return response

    if use_async:
        app.after_request(_as_async(replace))
    else:
        app.after_request(replace)

    @app.route("/")
    def index() -> str:
        @mod.after_this_request
        def first(response: t.Any) -> t.Any:
            calls.append("first")
            mod.after_this_request(_as_async(later) if use_async else later)
            return response

        mod.g.trace = ["view"]
        return ",".join(mod.g.trace)

    def finished(sender: t.Any, response: t.Any, **extra: t.Any) -> None:
        calls.append(f"finished {response.get_data(as_text=True)}")

    mod.request_finished.connect(finished, app, weak=False)
    return app, calls


def _as_async(func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    async def wrapper(*args: t.Any) -> t.Any:
        return func(*args)

    return wrapper


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_after_request_steps_match_flask(protocol: str, use_async: bool) -> None:
    # Flask (without its async extra) runs the sync version.
    flask_app, flask_calls = build_after_steps(flask, False)
    theirs = flask_app.test_client().get("/")
    app, calls = build_after_steps(hipflask, use_async)
    ours = app.test_client(asgi=protocol == "asgi").get("/")
    assert calls == flask_calls
    assert calls == [
        "first",
        "later",
        "replace",
        "outer sees 1",
        "finished replaced view",
    ]
    assert (ours.status_code, ours.text) == (theirs.status_code, theirs.text)
    names = ["content-type", "content-length", "x-inner", "x-outer", "vary"]
    names.append("set-cookie")
    assert [name.lower() for name, _ in ours.headers] == names
    assert [name.lower() for name, _ in theirs.headers] == names
    assert ours.headers["X-Inner"] == "2"
    assert "X-Later" not in ours.headers  # set on the response replace() dropped
    assert ours.headers["Vary"] == theirs.headers["Vary"] == "Cookie"


def test_after_request_error_is_a_500_and_teardown_sees_it(
    app: Flask, client: FlaskClient
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.logger.disabled = True
    seen: list[BaseException | None] = []

    @app.after_request
    def broken(response: Response) -> Response:
        raise ValueError("after")

    app.teardown_request(seen.append)
    app.route("/")(lambda: "ok")
    rv = client.get("/")
    assert rv.status_code == 500
    assert [type(exc) for exc in seen] == [ValueError]


def test_session_refreshed_by_a_request_with_after_hooks(
    app: Flask, client: FlaskClient
) -> None:
    # A permanent session the request never touches is re-sent (Flask's
    # SESSION_REFRESH_EACH_REQUEST); the after hook does not touch it either.
    @app.route("/login")
    def login() -> str:
        hipflask.session.permanent = True
        hipflask.session["user"] = "ann"
        return "in"

    app.after_request(lambda r: r)
    app.route("/")(lambda: "page")
    assert "Set-Cookie" in client.get("/login").headers
    assert "Set-Cookie" in client.get("/").headers
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    assert "Set-Cookie" not in client.get("/").headers
