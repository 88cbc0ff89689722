"""Application and request contexts: proxies, ``g``, helpers, and no leaks."""

from __future__ import annotations

import asyncio
import io
import random
import threading
import typing as t
from concurrent.futures import ThreadPoolExecutor

import flask.globals
import pytest

from hipflask import (
    Flask,
    Response,
    abort,
    after_this_request,
    copy_current_request_context,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    session,
    stream_with_context,
)
from hipflask.ctx import AppContext, RequestContext, _AppCtxGlobals
from hipflask.globals import LocalProxy, _cv_app, _cv_request, app_ctx, request_ctx
from hipflask.testing import FlaskClient

Message = dict[str, t.Any]

#: ``stream_with_context`` used as a decorator (Flask types it as taking and
#: returning an iterator only).
stream_decorator = t.cast(
    t.Callable[[t.Callable[..., t.Iterator[str]]], t.Callable[..., t.Iterator[str]]],
    stream_with_context,
)


def http_scope(path: str = "/", method: str = "GET", **extra: t.Any) -> Message:
    """A minimal ASGI http scope."""
    scope: Message = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "server": ("localhost", 80),
        "client": ("127.0.0.1", 5000),
    }
    scope.update(extra)
    return scope


def no_context() -> bool:
    """Whether nothing is pushed in the calling thread's current Context."""
    return (
        not has_request_context()
        and not has_app_context()
        and _cv_request.get(None) is None
        and _cv_app.get(None) is None
    )


# -- proxies with no context -----------------------------------------------------


@pytest.mark.parametrize(
    ("proxy", "flask_message"),
    [
        (lambda: request.method, flask.globals._no_req_msg),
        (lambda: session.get("x"), flask.globals._no_req_msg),
        (lambda: g.user, flask.globals._no_app_msg),
        (lambda: current_app.name, flask.globals._no_app_msg),
        (lambda: request_ctx.request, flask.globals._no_req_msg),
        (lambda: app_ctx.app, flask.globals._no_app_msg),
        (lambda: request.args["x"], flask.globals._no_req_msg),
        (lambda: "x" in session, flask.globals._no_req_msg),
        (lambda: setattr(g, "x", 1), flask.globals._no_app_msg),
    ],
    ids=[
        "request",
        "session",
        "g",
        "current_app",
        "request_ctx",
        "app_ctx",
        "request-item",
        "session-contains",
        "g-setattr",
    ],
)
def test_proxy_outside_context_is_runtime_error_with_flasks_wording(
    proxy: t.Callable[[], t.Any], flask_message: str
) -> None:
    with pytest.raises(RuntimeError) as info:
        proxy()
    assert str(info.value) == flask_message
    assert str(info.value).startswith("Working outside of")


def test_unbound_proxies_are_falsy_and_say_so() -> None:
    assert not request
    assert not g
    assert not current_app
    assert repr(g) == "<LocalProxy unbound>"


def test_proxy_attributes_are_the_proxied_objects(app: Flask) -> None:
    with app.test_request_context("/p?a=1", method="POST"):
        real = request._get_current_object()  # type: ignore[attr-defined]
        assert request.method == "POST"
        assert request.args is real.args
        assert request.__dict__ is real.__dict__
        assert request.__class__ is type(real)
        assert isinstance(request, type(real))
        assert request.__wrapped__ is real  # type: ignore[attr-defined]
        assert hasattr(request, "form")
        assert not hasattr(request, "no_such_thing")
        with pytest.raises(AttributeError, match="no_such_thing") as info:
            request.no_such_thing  # type: ignore[attr-defined]  # noqa: B018
        with pytest.raises(AttributeError) as direct:
            real.no_such_thing  # noqa: B018
        assert str(info.value) == str(direct.value)
        g.user = "ann"
        assert g.user == "ann"
        assert g.__dict__ == {"user": "ann"}
        del g.user
        assert "user" not in g


def test_proxy_class_names_stay_the_proxys(app: Flask) -> None:
    # What the class defines (and object's names) are looked up on the proxy.
    with app.test_request_context("/"):
        assert request._get_current_object is not None  # type: ignore[attr-defined]
        assert request.__repr__.__self__ is request  # type: ignore[attr-defined]
        assert request.__len__.__func__ is LocalProxy.__len__  # type: ignore[attr-defined]
        assert request.__doc__ == type(request).__doc__
        assert request.__slots__ == type(request).__slots__
        assert isinstance(request, LocalProxy)
        assert isinstance(current_app, LocalProxy)


def test_request_and_app_proxies_read_the_current_objects(app: Flask) -> None:
    # Their direct attribute reads follow the context stack as it changes.
    other = Flask("other")
    with app.test_request_context("/first?a=1"):
        assert current_app.name == "test_app"
        assert request.path == "/first"
        with other.test_request_context("/second?a=2"):
            assert current_app.name == "other"
            assert request.path == "/second"
            assert request.args["a"] == "2"
        assert current_app.name == "test_app"
        assert request.args["a"] == "1"
        request.marker = "set"  # type: ignore[attr-defined]
        assert request._get_current_object().marker == "set"  # type: ignore[attr-defined]
    with app.app_context():
        assert current_app.config is app.config
        with pytest.raises(RuntimeError, match="outside of request context"):
            request.path  # noqa: B018


def test_proxy_subclass_keeps_its_own_names(app: Flask) -> None:
    class Tagged(LocalProxy):
        __slots__ = ()
        label = "tagged"

        def describe(self) -> str:
            return f"proxy of {self.__class__.__name__}"

    proxy: t.Any = Tagged(lambda: _cv_app.get().app, "unbound")
    with app.app_context():
        assert proxy.label == "tagged"
        assert proxy.describe() == "proxy of Flask"
        assert proxy.name == "test_app"
    with pytest.raises(RuntimeError, match="unbound"):
        proxy.name  # noqa: B018
    assert proxy.label == "tagged"


def test_request_needs_request_context_even_in_app_context(app: Flask) -> None:
    with app.app_context():
        assert current_app.name == "test_app"
        with pytest.raises(RuntimeError, match="outside of request context"):
            request.path  # noqa: B018


# -- app context ---------------------------------------------------------------


def test_app_context_provides_current_app_and_g(app: Flask) -> None:
    assert not has_app_context()
    with app.app_context() as ctx:
        assert isinstance(ctx, AppContext)
        assert has_app_context()
        assert not has_request_context()
        assert current_app._get_current_object() is app  # type: ignore[attr-defined]
        assert app_ctx._get_current_object() is ctx  # type: ignore[attr-defined]
        g.value = 1
        assert ctx.g.value == 1
    assert not has_app_context()


def test_nested_app_contexts_of_two_apps(app: Flask) -> None:
    other = Flask("other", root_path="/nonexistent-root")
    with app.app_context():
        g.name = "first"
        with other.app_context():
            assert current_app.name == "other"
            assert "name" not in g
        assert current_app.name == "test_app"
        assert g.name == "first"


def test_app_context_pushed_twice_tears_down_once(app: Flask) -> None:
    torn: list[BaseException | None] = []
    app.teardown_appcontext(torn.append)
    ctx = app.app_context()
    with ctx:
        with ctx:
            pass
        assert torn == []
    assert torn == [None]


def test_request_context_pushed_twice_tears_down_once(app: Flask) -> None:
    torn: list[str] = []
    app.teardown_request(lambda exc: torn.append("request"))
    app.teardown_appcontext(lambda exc: torn.append("app"))
    ctx = app.test_request_context("/")
    with ctx:
        outer_app_ctx = app_ctx._get_current_object()  # type: ignore[attr-defined]
        with ctx:
            assert len(ctx._cv_tokens) == 2
            assert request_ctx._get_current_object() is ctx  # type: ignore[attr-defined]
        assert torn == []
        assert len(ctx._cv_tokens) == 1
        assert request_ctx._get_current_object() is ctx  # type: ignore[attr-defined]
        assert app_ctx._get_current_object() is outer_app_ctx  # type: ignore[attr-defined]
    assert torn == ["request", "app"]
    assert ctx._cv_tokens == []
    assert no_context()


def test_popping_a_context_that_is_not_pushed_is_an_error(app: Flask) -> None:
    with pytest.raises(RuntimeError, match="is not pushed"):
        app.app_context().pop()
    with pytest.raises(RuntimeError, match="is not pushed"):
        app.test_request_context("/").pop()
    assert no_context()


def test_app_teardown_receives_the_exception(app: Flask) -> None:
    torn: list[BaseException | None] = []
    app.teardown_appcontext(torn.append)
    with pytest.raises(ZeroDivisionError), app.app_context():
        1 / 0  # noqa: B018
    assert len(torn) == 1
    assert isinstance(torn[0], ZeroDivisionError)


def test_popping_the_wrong_context_is_an_error(app: Flask) -> None:
    first = app.app_context()
    second = app.app_context()
    first.push()
    second.push()
    with pytest.raises(AssertionError, match="Popped wrong app context"):
        first.pop()
    # The variable was reset anyway: the inner push is gone.
    assert not has_app_context()


def test_custom_app_ctx_globals_class(app: Flask) -> None:
    class Globals(_AppCtxGlobals):
        def __init__(self) -> None:
            self.spam = "eggs"

    app.app_ctx_globals_class = Globals
    with app.app_context():
        assert g.spam == "eggs"
        assert isinstance(g._get_current_object(), Globals)
    with app.app_context():
        g.first = 1  # a write makes the namespace: the app's class still
        assert isinstance(g._get_current_object(), Globals)
        assert (g.spam, g.first) == ("eggs", 1)


def test_g_first_write_makes_the_default_namespace(app: Flask) -> None:
    with app.app_context() as ctx:
        g.first = 1
        namespace = ctx.g
        assert type(namespace) is _AppCtxGlobals
        assert g._get_current_object() is namespace
        assert namespace.__dict__ == {"first": 1}
        ctx.g.second = 2
        assert g.second == 2


# -- g ---------------------------------------------------------------------------


def test_g_dict_like_helpers(app: Flask) -> None:
    with app.app_context():
        assert g.get("missing") is None
        assert g.get("missing", 3) == 3
        assert "user" not in g
        g.user = "ann"
        assert "user" in g
        assert g.setdefault("user", "bob") == "ann"
        assert g.setdefault("role", "admin") == "admin"
        assert sorted(g) == ["role", "user"]
        assert g.pop("role") == "admin"
        with pytest.raises(KeyError):
            g.pop("role")
        assert g.pop("role", None) is None
        assert list(g) == ["user"]
        with pytest.raises(AttributeError):
            g.nothing  # noqa: B018
        del g.user
        with pytest.raises(AttributeError):
            del g.user
        assert repr(g) == "<hipflask.g of 'test_app'>"


def test_g_proxy_names_and_globals_class_attributes(app: Flask) -> None:
    class Globals(_AppCtxGlobals):
        @property
        def upper(self) -> str:
            return str(self.name).upper()

        @property
        def doubled(self) -> int:
            return int(self.__dict__.get("_doubled", 0))

        @doubled.setter
        def doubled(self, value: int) -> None:
            self.__dict__["_doubled"] = value * 2

    app.app_ctx_globals_class = Globals
    with app.app_context():
        real = g._get_current_object()  # type: ignore[attr-defined]
        assert real is app_ctx.g
        assert g.__class__ is Globals
        assert isinstance(g, Globals)
        assert g.__repr__.__self__ is g
        assert g.__slots__ == ()
        g.name = "ann"
        assert g.upper == "ANN"
        # As Flask's: the namespace's __setattr__ stores every name in its dict
        # (a property setter is not called); a read finds the property first.
        g.doubled = 2
        assert g.doubled == 0
        assert g.__dict__ == {"name": "ann", "doubled": 2}
        values = g.__dict__
        g.__dict__ = {"other": 1}  # stored under that name, not a replacement
        assert g.__dict__ is values
        assert values["__dict__"] == {"other": 1}
        with pytest.raises(AttributeError, match=r"^missing$"):
            g.missing  # noqa: B018
    with pytest.raises(RuntimeError, match="outside of application context"):
        g.name  # noqa: B018


def test_g_is_fresh_for_every_request(app: Flask, client: FlaskClient) -> None:
    @app.route("/")
    def index() -> str:
        seen = g.get("count", 0)
        g.count = seen + 1
        return str(seen)

    assert [client.get("/").text for _ in range(3)] == ["0", "0", "0"]


def test_g_shared_between_hooks_and_view(app: Flask, client: FlaskClient) -> None:
    @app.before_request
    def load_user() -> None:
        g.user = request.args.get("user", "anonymous")

    @app.after_request
    def tag(response: Response) -> Response:
        response.headers["X-User"] = g.user
        return response

    app.route("/")(lambda: f"hello {g.user}")
    rv = client.get("/?user=ann")
    assert rv.text == "hello ann"
    assert rv.headers["X-User"] == "ann"


def test_g_in_async_view(app: Flask, client: FlaskClient) -> None:
    @app.before_request
    def before() -> None:
        g.value = "set by sync hook"

    @app.route("/")
    async def index() -> str:
        await asyncio.sleep(0)
        return str(g.value)

    assert client.get("/").text == "set by sync hook"


# -- request context -------------------------------------------------------------


def test_request_context_pushes_an_app_context(app: Flask) -> None:
    with app.test_request_context("/path?x=1") as ctx:
        assert isinstance(ctx, RequestContext)
        assert has_request_context()
        assert has_app_context()
        assert current_app._get_current_object() is app  # type: ignore[attr-defined]
        assert request.path == "/path"
        assert request.args["x"] == "1"
        assert request_ctx._get_current_object() is ctx  # type: ignore[attr-defined]
    assert no_context()


def test_request_context_reuses_the_current_app_context(app: Flask) -> None:
    with app.app_context() as actx:
        g.kept = True
        with app.test_request_context():
            assert app_ctx._get_current_object() is actx  # type: ignore[attr-defined]
            assert g.kept
        assert has_app_context()
    assert not has_app_context()


def test_test_request_context_takes_the_clients_arguments(app: Flask) -> None:
    with app.test_request_context(
        "/submit",
        base_url="https://example.org/root/",
        method="POST",
        query_string={"q": "x"},
        headers={"X-Thing": "1"},
        json={"a": [1, 2]},
    ):
        assert request.method == "POST"
        assert request.url == "https://example.org/root/submit?q=x"
        assert request.script_root == "/root"
        assert request.headers["X-Thing"] == "1"
        assert request.get_json() == {"a": [1, 2]}
    with app.test_request_context("/f", method="POST", data={"name": "ann"}):
        assert request.form["name"] == "ann"
    with app.test_request_context(
        environ_base={"REMOTE_ADDR": "10.1.2.3"}, subdomain="api"
    ):
        assert request.remote_addr == "10.1.2.3"
        assert request.host == "api.localhost"


def test_test_request_context_matches_the_url(app: Flask) -> None:
    app.route("/user/<int:id>")(lambda id: "")
    with app.test_request_context("/user/3"):
        assert request.endpoint == "<lambda>"
        assert request.view_args == {"id": 3}
    with app.test_request_context("/missing"):
        assert request.url_rule is None
        assert request.routing_exception is not None
        assert request.routing_exception.code == 404  # type: ignore[attr-defined]


def test_teardown_request_runs_on_pop_with_the_exception(app: Flask) -> None:
    torn: list[BaseException | None] = []
    app.teardown_request(torn.append)
    with app.test_request_context():
        pass
    with pytest.raises(KeyError), app.test_request_context():
        raise KeyError("x")
    assert torn[0] is None
    assert isinstance(torn[1], KeyError)
    assert no_context()


def test_teardown_error_still_pops_the_contexts(app: Flask) -> None:
    @app.teardown_request
    def broken(exc: BaseException | None) -> None:
        raise ZeroDivisionError

    ctx = app.test_request_context()
    ctx.push()
    with pytest.raises(ZeroDivisionError):
        ctx.pop()
    assert no_context()


# -- after_this_request ------------------------------------------------------------


def test_after_this_request_runs_before_after_request(
    app: Flask, client: FlaskClient
) -> None:
    order: list[str] = []

    @app.after_request
    def app_hook(response: Response) -> Response:
        order.append("after_request")
        return response

    @app.route("/")
    def index() -> str:
        @after_this_request
        def add_header(response: Response) -> Response:
            order.append("after_this_request")
            response.headers["X-Foo"] = "a header"
            return response

        return "ok"

    app.route("/other")(lambda: "x")
    rv = client.get("/")
    assert rv.headers["X-Foo"] == "a header"
    assert order == ["after_this_request", "after_request"]
    # Only for the request that asked.
    assert "X-Foo" not in client.get("/other").headers


def test_after_this_request_from_async_view_and_async_callback(
    app: Flask, client: FlaskClient
) -> None:
    @app.route("/")
    async def index() -> str:
        @after_this_request
        async def add_header(response: Response) -> Response:
            await asyncio.sleep(0)
            response.headers["X-Async"] = "yes"
            return response

        return "ok"

    assert client.get("/").headers["X-Async"] == "yes"


def test_after_this_request_outside_request_is_runtime_error() -> None:
    with pytest.raises(RuntimeError, match="'after_this_request' can only be used"):
        after_this_request(lambda r: r)


# -- copy_current_request_context ----------------------------------------------------


def test_copy_current_request_context_in_a_thread(
    app: Flask, client: FlaskClient
) -> None:
    seen: dict[str, t.Any] = {}

    @app.route("/")
    def index() -> str:
        session["user"] = "ann"

        @copy_current_request_context
        def work() -> None:
            seen["path"] = request.path
            seen["arg"] = request.args["x"]
            seen["app"] = current_app.name
            seen["user"] = session.get("user")

        worker = threading.Thread(target=work)
        worker.start()
        worker.join()
        return "ok"

    assert client.get("/?x=42").text == "ok"
    assert seen == {"path": "/", "arg": "42", "app": "test_app", "user": "ann"}


def test_copy_current_request_context_from_async_view(
    app: Flask, client: FlaskClient
) -> None:
    @app.route("/")
    async def index() -> str:
        @copy_current_request_context
        def work() -> str:
            return f"{request.method} {request.path}"

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, work)

    assert client.get("/").text == "GET /"


def test_copy_current_request_context_outside_request_is_runtime_error() -> None:
    with pytest.raises(RuntimeError, match="'copy_current_request_context' can"):
        copy_current_request_context(lambda: None)


# -- stream_with_context -------------------------------------------------------------


def test_stream_with_context_keeps_the_request(app: Flask, client: FlaskClient) -> None:
    @app.route("/")
    def index() -> Response:
        def generate() -> t.Iterator[str]:
            yield "Hello "
            yield request.args["name"]
            yield "!"

        return Response(stream_with_context(generate()))

    assert client.get("/?name=World").text == "Hello World!"


def test_stream_with_context_as_decorator_with_session(
    app: Flask, client: FlaskClient
) -> None:
    @app.route("/")
    def index() -> Response:
        session["who"] = "ann"

        @stream_decorator
        def generate() -> t.Iterator[str]:
            yield session["who"]
            yield g.get("missing", "-")

        return Response(generate())

    assert client.get("/").text == "ann-"


def test_stream_with_context_from_async_view(app: Flask, client: FlaskClient) -> None:
    @app.route("/")
    async def index() -> Response:
        session["test"] = "async"

        @stream_decorator
        def generate() -> t.Iterator[str]:
            yield session["test"]
            yield request.path

        return Response(generate())

    assert client.get("/").text == "async/"
    assert client.get("/").text == "async/"
    with client:
        assert client.get("/").text == "async/"


def test_stream_with_context_outside_request_is_runtime_error() -> None:
    def generate() -> t.Iterator[str]:
        yield ""

    with pytest.raises(RuntimeError, match="'stream_with_context' can only be used"):
        stream_with_context(generate())


def test_stream_closed_before_reading_closes_the_generator(app: Flask) -> None:
    closed: list[bool] = []

    def generate() -> t.Iterator[str]:
        try:
            yield "x"
        finally:
            closed.append(True)

    with app.test_request_context():
        wrapped = stream_with_context(generate())
    generate_started = iter(wrapped)
    generate_started.close()  # type: ignore[attr-defined]
    assert no_context()
    # The user's generator never started, so it has nothing to clean up.
    assert closed == []


# -- no leaks ----------------------------------------------------------------------


def build_flaky_app() -> Flask:
    """An app whose requests fail in many ways, chosen by the query string."""
    app = Flask("flaky", root_path="/nonexistent-root")
    app.config.update(SECRET_KEY="k", PROPAGATE_EXCEPTIONS=False)
    app.logger.disabled = True

    @app.before_request
    def before() -> str | None:
        mode = request.args.get("mode")
        if mode == "before-error":
            raise LookupError("before")
        if mode == "before-return":
            return "short"
        return None

    @app.after_request
    def after(response: Response) -> Response:
        if request.args.get("mode") == "after-error":
            raise ValueError("after")
        return response

    @app.route("/")
    def index() -> str:
        mode = request.args.get("mode")
        g.mode = mode
        session["n"] = session.get("n", 0) + 1
        if mode == "view-error":
            raise RuntimeError("view")
        if mode == "abort":
            abort(418)
        return f"ok {request.args['i']}"

    @app.route("/async")
    async def async_index() -> str:
        await asyncio.sleep(0)
        if request.args.get("mode") == "view-error":
            raise RuntimeError("async view")
        return f"ok {request.args['i']}"

    @app.route("/stream")
    def stream() -> Response:
        @stream_decorator
        def generate() -> t.Iterator[str]:
            yield request.args["i"]
            if request.args.get("mode") == "view-error":
                raise RuntimeError("in stream")

        return Response(generate())

    return app


MODES = [None, "before-error", "before-return", "after-error", "view-error", "abort"]
EXPECTED_STATUS = {
    None: 200,
    "before-error": 500,
    "before-return": 200,
    "after-error": 500,
    "view-error": 500,
    "abort": 418,
}


@pytest.mark.parametrize("path", ["/", "/async"])
def test_thread_pool_hammering_leaves_no_context(protocol: str, path: str) -> None:
    app = build_flaky_app()
    workers = 8
    rng = random.Random(1234)
    jobs = [(i, rng.choice(MODES)) for i in range(200)]

    def run(job: tuple[int, str | None]) -> tuple[int, str | None, int, bool]:
        i, mode = job
        client = app.test_client(asgi=protocol == "asgi")
        query: dict[str, t.Any] = {"i": i}
        if mode is not None:
            query["mode"] = mode
        rv = client.get(path, query_string=query)
        return i, mode, rv.status_code, no_context()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(run, jobs))
        # One check per worker thread: the barrier keeps each on its own thread.
        barrier = threading.Barrier(workers)

        def check() -> tuple[str, bool]:
            barrier.wait(timeout=10)
            return threading.current_thread().name, no_context()

        checks = [pool.submit(check) for _ in range(workers)]
        per_thread = [future.result() for future in checks]

    assert len({name for name, _ in per_thread}) == workers
    assert all(clean for _, clean in per_thread)
    for _i, mode, status, clean in results:
        assert clean
        expected = EXPECTED_STATUS[mode]
        if path == "/async" and mode == "abort":
            expected = 200  # the async view does not abort
        assert status == expected, mode
    assert no_context()


def test_concurrent_asgi_tasks_see_their_own_request() -> None:
    app = Flask("tasks", root_path="/nonexistent-root")

    @app.route("/<name>")
    async def index(name: str) -> str:
        g.name = name
        # Let every other request run before this one reads its context.
        for _ in range(5):
            await asyncio.sleep(0)
        return f"{name}:{request.view_args['name']}:{g.name}"  # type: ignore[index]

    async def one(name: str) -> bytes:
        body = b""

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            nonlocal body
            if message["type"] == "http.response.body":
                body += message.get("body", b"")

        await app(http_scope(f"/{name}"), receive, send)
        assert no_context()
        return body

    async def main() -> list[bytes]:
        return await asyncio.gather(*(one(f"n{i}") for i in range(20)))

    bodies = asyncio.run(main())
    assert bodies == [f"n{i}:n{i}:n{i}".encode() for i in range(20)]


def test_propagated_exception_leaves_no_context(
    app: Flask, client: FlaskClient
) -> None:
    torn: list[str] = []
    app.teardown_request(lambda exc: torn.append(type(exc).__name__))
    app.teardown_appcontext(lambda exc: torn.append("app"))

    @app.route("/")
    def index() -> str:
        raise KeyError("boom")

    with pytest.raises(KeyError):
        client.get("/")
    assert no_context()
    assert torn == ["KeyError", "app"]


@pytest.mark.parametrize("sync_view", [True, False], ids=["sync", "async"])
def test_asgi_disconnect_mid_body_leaves_no_context(sync_view: bool) -> None:
    app = Flask("gone", root_path="/nonexistent-root")
    called: list[str] = []
    app.teardown_request(lambda exc: called.append("teardown"))

    def sync_index() -> str:
        called.append("view")
        return str(request.get_data(as_text=True))

    async def async_index() -> str:
        called.append("view")
        return str(request.get_data(as_text=True))

    app.add_url_rule(
        "/", "index", sync_index if sync_view else async_index, methods=["POST"]
    )

    async def main() -> list[Message]:
        messages: t.Iterator[Message] = iter(
            [
                {"type": "http.request", "body": b"part", "more_body": True},
                {"type": "http.disconnect"},
            ]
        )
        sent: list[Message] = []

        async def receive() -> Message:
            return next(messages)

        async def send(message: Message) -> None:
            sent.append(message)

        await app(http_scope("/", "POST"), receive, send)
        assert no_context()
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, no_context)
        return sent

    assert asyncio.run(main()) == []
    # The view never ran: the request was gone before its body was complete.
    assert called == []
    assert no_context()


@pytest.mark.parametrize("path", ["/sync", "/async"])
def test_asgi_client_gone_while_streaming_pops_the_stream_contexts(path: str) -> None:
    app = Flask("gone", root_path="/nonexistent-root")
    closed: list[bool] = []
    torn: list[str] = []
    app.teardown_request(lambda exc: torn.append(type(exc).__name__))

    def body() -> t.Iterator[str]:
        try:
            for i in range(100):
                yield f"{request.path}{i},"
        finally:
            closed.append(has_request_context())

    @app.route("/sync")
    def sync_view() -> Response:
        return Response(stream_with_context(body()))

    @app.route("/async")
    async def async_view() -> Response:
        return Response(stream_with_context(body()))

    async def main() -> list[bytes]:
        chunks: list[bytes] = []

        async def receive() -> Message:
            await asyncio.sleep(3600)
            raise AssertionError("not reached")

        async def send(message: Message) -> None:
            if message["type"] == "http.response.body":
                chunks.append(message["body"])
                if len(chunks) == 2:
                    raise OSError("client went away")

        with pytest.raises(OSError, match="client went away"):
            await app(http_scope(path), receive, send)
        assert no_context()
        return chunks

    chunks = asyncio.run(main())
    assert chunks == [f"{path}0,".encode(), f"{path}1,".encode()]
    # The generator was closed inside its contexts, which were then popped.
    assert closed == [True]
    assert torn == ["NoneType", "GeneratorExit"]
    assert no_context()


# -- the sync pipeline and the inlined pushes (fast paths and their fallbacks) ----


@pytest.mark.parametrize("async_hook", [False, True], ids=["sync-hook", "async-hook"])
def test_sync_view_pipeline_with_sync_or_async_hooks(
    app: Flask, client: FlaskClient, async_hook: bool
) -> None:
    """All-sync endpoints run as plain calls; an async hook takes the coroutine."""
    seen: list[t.Any] = []

    if async_hook:

        @app.before_request
        async def before_async() -> None:
            g.before = "async"

    else:

        @app.before_request
        def before_sync() -> None:
            g.before = "sync"

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        seen.append(exc)

    @app.route("/")
    def index() -> str:
        return f"{g.before} {request.path}"

    @app.route("/fail")
    def fail() -> str:
        raise KeyError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/")
    assert response.text == ("async /" if async_hook else "sync /")
    assert seen == [None]
    assert client.get("/fail").status_code == 500
    assert isinstance(seen[1], KeyError)
    assert no_context()


def test_sync_pipeline_error_handler_and_after_hook(
    app: Flask, client: FlaskClient
) -> None:
    """Errors and after_request hooks leave the sync path for their coroutines."""

    @app.errorhandler(ValueError)
    def handle(e: ValueError) -> tuple[str, int]:
        return f"handled {e}", 400

    @app.route("/bad")
    def bad() -> str:
        raise ValueError("x")

    @app.route("/hooked")
    def hooked() -> str:
        return "body"

    @app.after_request
    def after(response: Response) -> Response:
        response.headers["X-After"] = "1"
        return response

    response = client.get("/bad")
    assert (response.status_code, response.text) == (400, "handled x")
    assert response.headers["X-After"] == "1"
    assert client.get("/hooked").headers["X-After"] == "1"
    assert no_context()


def test_sync_pipeline_not_taken_when_a_step_is_overridden(
    protocol: str,
) -> None:
    """A subclass overriding a pipeline method gets Flask's sequence."""

    class Custom(Flask):
        def dispatch_request(self) -> t.Any:
            return "custom " + str(super().dispatch_request())

    app = Custom("custom")

    @app.route("/")
    def index() -> str:
        return "view"

    assert app.test_client(asgi=protocol == "asgi").get("/").text == "custom view"
    assert no_context()


def test_call_goes_through_a_replaced_wsgi_or_asgi_app(
    app: Flask, protocol: str
) -> None:
    """Middleware set on ``wsgi_app``/``asgi_app`` is called; else the adapter."""
    calls: list[str] = []

    @app.route("/")
    def index() -> str:
        return "ok"

    client = app.test_client(asgi=protocol == "asgi")
    assert client.get("/").text == "ok"
    assert calls == []
    if protocol == "asgi":
        inner_asgi = app.asgi_app

        async def asgi_mw(scope: t.Any, receive: t.Any, send: t.Any) -> None:
            calls.append("asgi")
            await inner_asgi(scope, receive, send)

        app.asgi_app = asgi_mw  # type: ignore[method-assign]
    else:
        inner_wsgi = app.wsgi_app

        def wsgi_mw(environ: t.Any, start_response: t.Any) -> t.Any:
            calls.append("wsgi")
            return inner_wsgi(environ, start_response)

        app.wsgi_app = wsgi_mw  # type: ignore[method-assign]
    assert client.get("/").text == "ok"
    assert calls == [protocol]


def test_call_goes_through_an_overridden_wsgi_or_asgi_app(protocol: str) -> None:
    calls: list[str] = []

    class Custom(Flask):
        def wsgi_app(self, environ: t.Any, start_response: t.Any) -> t.Any:
            calls.append("wsgi")
            return super().wsgi_app(environ, start_response)

        async def asgi_app(self, scope: t.Any, receive: t.Any, send: t.Any) -> None:
            calls.append("asgi")
            await super().asgi_app(scope, receive, send)

    app = Custom("custom")

    @app.route("/")
    def index() -> str:
        return "ok"

    assert app.test_client(asgi=protocol == "asgi").get("/").text == "ok"
    assert calls == [protocol]


def test_custom_app_context_class_is_pushed_and_popped_by_its_methods(
    client: FlaskClient, app: Flask
) -> None:
    """The request context inlines AppContext's push/pop only for that exact type."""
    events: list[str] = []

    class CustomAppContext(AppContext):
        def push(self) -> None:
            events.append("push")
            super().push()

        def _release(self) -> None:
            events.append("release")
            super()._release()

    app.app_context = lambda: CustomAppContext(app)  # type: ignore[method-assign]

    @app.route("/")
    def index() -> str:
        return type(app_ctx._get_current_object()).__name__

    assert client.get("/").text == "CustomAppContext"
    assert events == ["push", "release"]
    assert no_context()


def test_app_context_signals_fire_around_a_request(
    client: FlaskClient, app: Flask
) -> None:
    """appcontext_pushed/popped still fire with the inlined push and pop."""
    from hipflask import signals

    events: list[str] = []

    @app.route("/")
    def index() -> str:
        events.append("view")
        return "ok"

    def pushed(sender: Flask, **kw: t.Any) -> None:
        events.append("pushed")

    def popped(sender: Flask, **kw: t.Any) -> None:
        events.append("popped")

    with (
        signals.appcontext_pushed.connected_to(pushed, app),
        signals.appcontext_popped.connected_to(popped, app),
    ):
        client.get("/")
    assert events == ["pushed", "view", "popped"]
    client.get("/")
    assert events == ["pushed", "view", "popped", "view"]


def test_app_context_overridden_on_the_class_is_used_for_requests(
    protocol: str,
) -> None:
    """Pushing builds the AppContext itself only for Flask's own app_context."""

    class CustomAppContext(AppContext):
        pass

    class Custom(Flask):
        def app_context(self) -> AppContext:
            return CustomAppContext(self)

    app = Custom("custom")

    @app.route("/")
    def index() -> str:
        return type(app_ctx._get_current_object()).__name__

    client = app.test_client(asgi=protocol == "asgi")
    assert client.get("/").text == "CustomAppContext"
    assert no_context()
    plain = Flask("plain")
    plain.route("/")(index)
    assert plain.test_client(asgi=protocol == "asgi").get("/").text == "AppContext"


def test_g_proxy_and_the_namespace_object_share_one_dict(app: Flask) -> None:
    # The proxy reads and writes the default namespace's dict directly: what
    # is set either way is seen both ways, the special names keep the normal
    # lookup, and a namespace assigned to the context replaces the old one.
    with app.app_context() as ctx:
        g.a = 1
        namespace = ctx.g
        assert type(namespace) is _AppCtxGlobals
        assert namespace.a == 1
        namespace.b = 2
        assert g.b == 2
        g.__dict__ = {"x": 1}  # a key, as with Flask
        assert g.__dict__ is vars(namespace)
        assert g.__dict__["__dict__"] == {"x": 1}
        assert "a" in g and list(g) == ["a", "b", "__dict__"]
        del g.a
        with pytest.raises(AttributeError, match=r"^a$"):
            g.a  # noqa: B018

        class Other:
            pass

        replacement = Other()
        replacement.c = 3  # type: ignore[attr-defined]
        ctx.g = replacement  # type: ignore[assignment]
        assert g.c == 3
        g.d = 4
        assert replacement.d == 4  # type: ignore[attr-defined]
        with pytest.raises(AttributeError):
            g.b  # noqa: B018
        fresh = _AppCtxGlobals()
        ctx.g = fresh
        g.e = 5
        assert vars(fresh) == {"e": 5}


def test_uploaded_files_are_closed_when_the_request_ends(
    client: FlaskClient, app: Flask
) -> None:
    streams: list[t.Any] = []

    @app.route("/upload", methods=["POST"])
    def upload() -> str:
        stored = request.files["f"]
        streams.append(stored.stream)
        return stored.read().decode()

    response = client.post("/upload", data={"f": (io.BytesIO(b"body"), "a.txt")})
    assert response.text == "body"
    assert streams[0].closed


def test_a_request_class_with_its_own_close_has_it_called_every_request(
    client: FlaskClient, app: Flask
) -> None:
    from hipflask.wrappers import Request as FlaskRequest

    closed: list[str] = []

    class ClosingRequest(FlaskRequest):
        def close(self) -> None:
            closed.append(self.path)
            super().close()

    app.request_class = ClosingRequest

    @app.route("/")
    def index() -> str:
        return "ok"

    assert client.get("/").text == "ok"
    assert client.get("/").text == "ok"
    assert closed == ["/", "/"]
