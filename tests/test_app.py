"""The Flask application object: routes, response conversion, errors, both protocols."""

from __future__ import annotations

import asyncio
import typing as t

import pytest

from hipflask import Flask, Response, abort, after_this_request, jsonify, request
from hipflask.http.exceptions import NotFound
from hipflask.testing import FlaskClient


def test_hello(app: Flask, client: FlaskClient) -> None:
    @app.route("/")
    def index() -> str:
        return "Hello"

    rv = client.get("/")
    assert rv.status_code == 200
    assert rv.data == b"Hello"
    assert rv.headers["Content-Type"] == "text/html; charset=utf-8"
    assert rv.headers["Content-Length"] == "5"


@pytest.mark.parametrize("decorator", ["get", "post", "put", "patch", "delete"])
def test_method_shortcuts(app: Flask, client: FlaskClient, decorator: str) -> None:
    getattr(app, decorator)("/x")(lambda: decorator)
    rv = client.open("/x", method=decorator.upper())
    assert rv.status_code == 200
    assert rv.text == decorator
    other = "POST" if decorator == "get" else "GET"
    assert client.open("/x", method=other).status_code == 405


def test_method_shortcut_rejects_methods_argument(app: Flask) -> None:
    with pytest.raises(TypeError, match="Use the 'route' decorator"):
        app.get("/x", methods=["POST"])


def test_route_methods_must_not_be_a_string(app: Flask) -> None:
    with pytest.raises(TypeError, match="Allowed methods must be a list"):
        app.add_url_rule("/x", "x", lambda: "", methods="POST")


def test_converters_and_args(app: Flask, client: FlaskClient) -> None:
    @app.route("/user/<int:user_id>/<name>")
    def user(user_id: int, name: str) -> dict[str, t.Any]:
        return {"id": user_id, "name": name, "q": request.args.getlist("q")}

    rv = client.get("/user/7/ann?q=1&q=2")
    assert rv.json == {"id": 7, "name": "ann", "q": ["1", "2"]}
    assert client.get("/user/x/ann").status_code == 404


def test_automatic_head_and_options(app: Flask, client: FlaskClient) -> None:
    @app.route("/", methods=["GET", "POST"])
    def index() -> str:
        return "body"

    head = client.head("/")
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["Content-Length"] == "4"
    options = client.options("/")
    assert options.status_code == 200
    assert sorted(options.headers["Allow"].split(", ")) == [
        "GET",
        "HEAD",
        "OPTIONS",
        "POST",
    ]


def test_405_lists_allowed_methods(app: Flask, client: FlaskClient) -> None:
    app.route("/only-post", methods=["POST"])(lambda: "x")
    rv = client.get("/only-post")
    assert rv.status_code == 405
    assert rv.headers["Allow"] == "OPTIONS, POST"


def test_unknown_method_is_405(app: Flask, client: FlaskClient) -> None:
    app.route("/")(lambda: "x")
    rv = client.open("/", method="BREW")
    assert rv.status_code == 405
    assert "GET" in rv.headers["Allow"]


def test_strict_slashes_redirect(app: Flask, client: FlaskClient) -> None:
    app.route("/folder/")(lambda: "folder")
    rv = client.get("/folder?x=1")
    assert rv.status_code == 308
    assert rv.headers["Location"] == "http://localhost/folder/?x=1"
    assert client.get("/folder", follow_redirects=True).text == "folder"


def test_404_page(client: FlaskClient) -> None:
    rv = client.get("/missing")
    assert rv.status_code == 404
    assert b"<h1>Not Found</h1>" in rv.data


# -- response conversion -------------------------------------------------------

RETURNS: list[tuple[str, t.Any, int, bytes, str]] = [
    ("str", "text", 200, b"text", "text/html; charset=utf-8"),
    ("bytes", b"raw", 200, b"raw", "text/html; charset=utf-8"),
    ("dict", {"a": 1}, 200, b'{"a":1}\n', "application/json"),
    ("list", [1, 2], 200, b"[1,2]\n", "application/json"),
    ("status", ("made", 201), 201, b"made", "text/html; charset=utf-8"),
    ("status_str", ("made", "202 ACCEPTED"), 202, b"made", "text/html; charset=utf-8"),
    (
        "headers",
        ("h", {"Content-Type": "text/plain"}),
        200,
        b"h",
        "text/plain",
    ),
    (
        "status_headers",
        ({"x": 1}, 418, [("X-Tea", "pot")]),
        418,
        b'{"x":1}\n',
        "application/json",
    ),
    ("response", Response("r", 203), 203, b"r", "text/html; charset=utf-8"),
    ("generator", None, 200, b"ab", "text/html; charset=utf-8"),
]


@pytest.mark.parametrize(
    ("name", "value", "status", "body", "ctype"), RETURNS, ids=[r[0] for r in RETURNS]
)
def test_make_response_conversions(
    app: Flask,
    client: FlaskClient,
    name: str,
    value: t.Any,
    status: int,
    body: bytes,
    ctype: str,
) -> None:
    if name == "generator":
        app.route("/")(lambda: (c for c in ["a", "b"]))
    else:
        app.route("/")(lambda: value)
    rv = client.get("/")
    assert rv.status_code == status
    assert rv.data == body
    assert rv.headers["Content-Type"] == ctype


# -- returns sent without a Response object (the pipeline's plain path) -------


@pytest.mark.parametrize(
    ("value", "body", "ctype"),
    [
        ("héllo", "héllo".encode(), "text/html; charset=utf-8"),
        ({"b": 1, "a": [1, 2]}, b'{"a":[1,2],"b":1}\n', "application/json"),
        ([1, "x"], b'[1,"x"]\n', "application/json"),
    ],
    ids=["str", "dict", "list"],
)
def test_plain_returns_match_the_response_object(
    app: Flask, client: FlaskClient, value: t.Any, body: bytes, ctype: str
) -> None:
    app.route("/")(lambda: value)
    expected = app.make_response(value)
    for method in ("GET", "HEAD"):
        rv = client.open("/", method=method)
        assert rv.status == expected.status == "200 OK"
        pairs = [("content-type", ctype), ("content-length", str(len(body)))]
        assert [(k.lower(), v) for k, v in expected.headers] == pairs
        assert [(k.lower(), v) for k, v in rv.headers] == pairs
        assert rv.data == (body if method == "GET" else b"")


def test_overridden_make_response_sees_plain_returns(protocol: str) -> None:
    class Custom(Flask):
        def make_response(self, rv: t.Any) -> Response:
            response = super().make_response(rv)
            response.headers["X-Made"] = "custom"
            return response

    app = Custom(__name__)
    app.add_url_rule("/text", "text", lambda: "text")
    app.add_url_rule("/json", "json", lambda: {"a": 1})
    client = app.test_client(asgi=protocol == "asgi")
    assert client.get("/text").headers["X-Made"] == "custom"
    assert client.get("/json").headers["X-Made"] == "custom"


def test_custom_response_class_builds_plain_returns(
    app: Flask, client: FlaskClient
) -> None:
    class Plain(Response):
        default_mimetype = "text/plain"

    app.route("/")(lambda: "text")
    assert client.get("/").headers["Content-Type"] == "text/html; charset=utf-8"
    app.response_class = Plain
    assert client.get("/").headers["Content-Type"] == "text/plain; charset=utf-8"


def test_custom_json_provider_response_is_used(app: Flask, client: FlaskClient) -> None:
    from hipflask.json.provider import DefaultJSONProvider

    class Provider(DefaultJSONProvider):
        def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
            response = super().response(*args, **kwargs)
            response.headers["X-Provider"] = "custom"
            return response

    app.json = Provider(app)
    app.route("/")(lambda: {"a": 1})
    rv = client.get("/")
    assert rv.headers["X-Provider"] == "custom"
    assert rv.data == b'{"a":1}\n'


def test_none_return_raises_type_error(app: Flask, client: FlaskClient) -> None:
    @app.route("/")
    def index() -> None:
        return None

    with pytest.raises(TypeError, match="The view function for 'index' did not"):
        client.get("/")


def test_bad_return_type_is_type_error(app: Flask, client: FlaskClient) -> None:
    app.route("/")(lambda: 42)
    with pytest.raises(TypeError, match="but it was a int"):
        client.get("/")


def test_bad_tuple_length(app: Flask, client: FlaskClient) -> None:
    app.route("/")(lambda: ("a", 200, {}, "extra"))
    with pytest.raises(TypeError, match="did not return a valid response tuple"):
        client.get("/")


def test_wsgi_callable_return(app: Flask, client: FlaskClient) -> None:
    def wsgi(environ: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
        start_response("202 Accepted", [("X-From", "wsgi")])
        return [b"inner"]

    app.route("/")(lambda: wsgi)
    rv = client.get("/")
    assert rv.status_code == 202
    assert rv.headers["X-From"] == "wsgi"
    assert rv.data == b"inner"


def test_jsonify(app: Flask, client: FlaskClient) -> None:
    app.route("/")(lambda: jsonify(b=2, a=1))
    assert client.get("/").data == b'{"a":1,"b":2}\n'


# -- sync and async views ------------------------------------------------------


def test_async_view(app: Flask, client: FlaskClient) -> None:
    @app.route("/")
    async def index() -> str:
        await asyncio.sleep(0)
        return f"async {request.method}"

    assert client.get("/").text == "async GET"


def test_async_view_mixed_with_sync_hooks(app: Flask, client: FlaskClient) -> None:
    calls: list[str] = []

    @app.before_request
    def before() -> None:
        calls.append("before")

    @app.after_request
    async def after(response: Response) -> Response:
        calls.append("after")
        response.headers["X-After"] = "1"
        return response

    @app.route("/")
    async def index() -> str:
        calls.append("view")
        return "ok"

    rv = client.get("/")
    assert rv.headers["X-After"] == "1"
    assert calls == ["before", "view", "after"]


def test_sync_endpoint_takes_one_worker_thread_under_asgi(
    app: Flask, protocol: str
) -> None:
    import threading

    main = threading.current_thread()
    seen: list[threading.Thread] = []

    def record() -> None:
        seen.append(threading.current_thread())

    for _ in range(3):
        app.before_request(record)

    @app.after_request
    def after(response: Response) -> Response:
        record()
        return response

    @app.route("/")
    def index() -> str:
        record()
        return request.path

    client = app.test_client(asgi=protocol == "asgi")
    assert client.get("/").text == "/"
    assert len(seen) == 5
    # All hooks and the view share one thread: one hop per request, not per hook.
    assert len(set(seen)) == 1
    if protocol == "asgi":
        assert seen[0] is not main
    else:
        assert seen[0] is main


def test_async_views_under_wsgi_reuse_one_event_loop(app: Flask) -> None:
    loops: list[asyncio.AbstractEventLoop] = []

    @app.route("/")
    async def index() -> str:
        loops.append(asyncio.get_running_loop())
        return "x"

    client = app.test_client()
    for _ in range(3):
        assert client.get("/").text == "x"
    assert len(loops) == 3
    assert loops[0] is loops[1] is loops[2]


def test_asgi_sync_inline_option(app: Flask) -> None:
    import threading

    app.config["ASGI_SYNC_INLINE"] = True
    main = threading.current_thread()
    seen: list[threading.Thread] = []

    @app.route("/")
    def index() -> str:
        seen.append(threading.current_thread())
        return "x"

    assert app.test_client(asgi=True).get("/").text == "x"
    assert seen == [main]


# -- hooks and errors ----------------------------------------------------------


def test_before_request_short_circuits(app: Flask, client: FlaskClient) -> None:
    @app.before_request
    def stop() -> str | None:
        return "stopped" if request.args.get("stop") else None

    app.route("/")(lambda: "view")
    assert client.get("/").text == "view"
    assert client.get("/?stop=1").text == "stopped"


def test_after_request_reverse_order(app: Flask, client: FlaskClient) -> None:
    order: list[int] = []

    @app.after_request
    def first(r: Response) -> Response:
        order.append(1)
        return r

    @app.after_request
    def second(r: Response) -> Response:
        order.append(2)
        return r

    app.route("/")(lambda: "x")
    client.get("/")
    assert order == [2, 1]


def test_teardown_receives_exception(app: Flask, client: FlaskClient) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    seen: list[BaseException | None] = []
    app.teardown_request(seen.append)

    @app.route("/boom")
    def boom() -> str:
        raise ZeroDivisionError

    app.route("/ok")(lambda: "ok")
    assert client.get("/ok").status_code == 200
    assert client.get("/boom").status_code == 500
    assert seen[0] is None
    assert isinstance(seen[1], ZeroDivisionError)


def test_error_handler_by_code_and_class(app: Flask, client: FlaskClient) -> None:
    @app.errorhandler(404)
    def not_found(e: NotFound) -> tuple[str, int]:
        return f"custom {e.code}", 404

    class MyError(Exception):
        pass

    class SubError(MyError):
        pass

    @app.errorhandler(MyError)
    def my_error(e: MyError) -> tuple[str, int]:
        return type(e).__name__, 409

    @app.route("/sub")
    def sub() -> str:
        raise SubError

    @app.route("/abort")
    def aborted() -> str:
        abort(404)

    assert client.get("/nope").text == "custom 404"
    assert client.get("/abort").text == "custom 404"
    rv = client.get("/sub")
    assert (rv.status_code, rv.text) == (409, "SubError")


def test_unhandled_exception_is_500_without_traceback(
    app: Flask, client: FlaskClient
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/")
    def index() -> str:
        raise RuntimeError("secret detail")

    rv = client.get("/")
    assert rv.status_code == 500
    assert b"secret detail" not in rv.data
    assert b"Traceback" not in rv.data


def test_error_in_500_handler_ends_in_plain_500(
    app: Flask, client: FlaskClient
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.errorhandler(500)
    def broken(e: Exception) -> str:
        raise ValueError("handler broke")

    @app.route("/")
    def index() -> str:
        raise RuntimeError

    rv = client.get("/")
    assert rv.status_code == 500


def test_propagate_in_testing(app: Flask, client: FlaskClient) -> None:
    @app.route("/")
    def index() -> str:
        raise LookupError("raised to the test")

    with pytest.raises(LookupError, match="raised to the test"):
        client.get("/")


# -- registration errors -------------------------------------------------------


def test_endpoint_overwrite_is_assertion_error(app: Flask) -> None:
    app.add_url_rule("/a", "same", lambda: "a")
    with pytest.raises(AssertionError, match="overwriting an existing endpoint"):
        app.add_url_rule("/b", "same", lambda: "b")


def test_setup_after_first_request_raises(app: Flask, client: FlaskClient) -> None:
    app.route("/")(lambda: "x")
    client.get("/")
    with pytest.raises(AssertionError, match="can no longer be called"):
        app.route("/late")(lambda: "late")


def test_unknown_error_code_handler(app: Flask) -> None:
    with pytest.raises(ValueError, match="is not a recognized HTTP error code"):
        app.register_error_handler(999, lambda e: "x")


# -- bad input -----------------------------------------------------------------


def test_malformed_json_is_400(app: Flask, client: FlaskClient) -> None:
    @app.post("/")
    def index() -> t.Any:
        return {"got": request.get_json()}

    rv = client.post("/", data=b"{not json", content_type="application/json")
    assert rv.status_code == 400
    assert b"not valid JSON" in rv.data


def test_get_json_wrong_content_type_is_415(app: Flask, client: FlaskClient) -> None:
    app.post("/")(lambda: {"got": request.get_json()})
    rv = client.post("/", data=b"{}", content_type="text/plain")
    assert rv.status_code == 415


@pytest.mark.parametrize("send_length", [True, False], ids=["length", "chunked"])
def test_body_over_max_content_length_is_413(
    app: Flask, protocol: str, send_length: bool
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 100
    app.post("/")(lambda: str(len(request.get_data())))
    client = app.test_client(asgi=protocol == "asgi")
    body = b"x" * 1000
    if send_length:
        rv = client.post("/", data=body)
    else:
        import io

        rv = client.post(
            "/",
            input_stream=io.BytesIO(body),
            environ_overrides={"wsgi.input_terminated": True},
            headers={"Transfer-Encoding": "chunked"},
        )
    assert rv.status_code == 413
    assert client.post("/", data=b"x" * 50).text == "50"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/echo/%zz", "%zz"),
        ("/echo/%e2%82%ac", "\u20ac"),
        ("/echo/%ff", "\ufffd"),
        ("/echo/a%20b", "a b"),
    ],
)
def test_odd_path_encodings_are_decoded_not_500(
    app: Flask, client: FlaskClient, path: str, expected: str
) -> None:
    app.route("/echo/<path:rest>")(lambda rest: rest)
    rv = client.get(path)
    assert rv.status_code == 200
    assert rv.text == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [("q=%zz", "%zz"), ("q=%ff", "%FF"), ("q=a+b", "a b"), ("q", "")],
)
def test_odd_query_encodings(
    app: Flask, client: FlaskClient, query: str, expected: str
) -> None:
    app.route("/")(lambda: request.args["q"])
    rv = client.get("/?" + query)
    assert rv.status_code == 200
    assert rv.text == expected


def test_missing_form_key_is_400(app: Flask, client: FlaskClient) -> None:
    app.post("/")(lambda: request.form["missing"])
    assert client.post("/", data={"other": "1"}).status_code == 400


@pytest.mark.parametrize("bad", ["a\r\nb", "a\nb", "a\x00b"])
def test_header_injection_from_view_is_value_error(
    app: Flask, client: FlaskClient, bad: str
) -> None:
    @app.route("/")
    def index() -> Response:
        response = Response("x")
        response.headers["X-Bad"] = bad
        return response

    with pytest.raises(ValueError):
        client.get("/")


# -- app object basics ---------------------------------------------------------


def test_call_dispatches_on_arity(app: Flask) -> None:
    app.route("/")(lambda: "x")
    coro = app({"type": "lifespan"}, None, None)
    assert asyncio.iscoroutine(coro)
    coro.close()


def test_lifespan(app: Flask) -> None:
    sent: list[dict[str, t.Any]] = []
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive() -> dict[str, t.Any]:
        return next(messages)

    async def send(message: dict[str, t.Any]) -> None:
        sent.append(message)

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert [m["type"] for m in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]


def test_import_does_not_load_werkzeug_flask_or_starlette() -> None:
    import subprocess
    import sys

    code = (
        "import sys, hipflask;"
        "print([m for m in ('werkzeug','flask','starlette') if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("\x8a", 400),
        ("bad\x00host", 400),
        ("tab\there", 400),
        ("xn--bcher-kva.example", 200),
        ("b\u00fccher.example", 200),
        ("localhost:8080", 200),
    ],
)
def test_host_header_with_control_characters_is_400(
    app: Flask, protocol: str, host: str, status: int
) -> None:
    app.route("/")(lambda: "ok")
    if protocol == "wsgi":
        from hipflask.testing import EnvironBuilder

        environ = EnvironBuilder(app).get_environ()
        environ["HTTP_HOST"] = host
        out: dict[str, t.Any] = {}

        def start_response(s: str, h: list[tuple[str, str]], e: t.Any = None) -> None:
            out["status"] = int(s.split(maxsplit=1)[0])

        b"".join(app(environ, start_response))
        assert out["status"] == status
        return
    sent: list[dict[str, t.Any]] = []

    async def receive() -> dict[str, t.Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, t.Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "query_string": b"",
        "headers": [(b"host", host.encode("latin-1", "replace"))],
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == status


@pytest.mark.parametrize(
    ("host", "status"),
    [("localhost", 200), ("bad\x01host", 400), ("", 200)],
    ids=["good", "control-char", "empty"],
)
def test_host_with_control_characters_is_a_bad_request(
    app: Flask, client: FlaskClient, host: str, status: int
) -> None:
    """The Host check runs inline for WSGI and through the request for ASGI."""

    @app.route("/")
    def index() -> str:
        return "ok"

    response = client.get("/", headers={"Host": host})
    assert response.status_code == status


def test_cookie_header_without_session_cookie_sends_plain_response(
    app: Flask, client: FlaskClient
) -> None:
    """A Cookie header (read inline for WSGI) without the session cookie adds no
    Set-Cookie nor Vary; with the session cookie the session is refreshed."""

    @app.route("/")
    def index() -> str:
        return "ok"

    @app.route("/login")
    def login() -> str:
        from hipflask import session

        session["user"] = "alice"
        session.permanent = True
        return "in"

    response = client.get("/", headers={"Cookie": "other=1"})
    assert response.text == "ok"
    assert "Set-Cookie" not in response.headers
    assert "Vary" not in response.headers
    client.get("/login")
    refreshed = client.get("/")
    assert refreshed.text == "ok"
    assert "session=" in refreshed.headers.get("Set-Cookie", "")


def test_str_return_with_after_hook_is_made_and_seen_by_the_hook(
    app: Flask, client: FlaskClient
) -> None:
    # The direct pipeline builds the response for a str without make_response's
    # call when make_response is not overridden (fast path taken).
    seen: list[object] = []

    @app.after_request
    def after(response: Response) -> Response:
        seen.append(type(response))
        response.headers["X-After"] = "1"
        return response

    @app.route("/")
    def index() -> str:
        return "text"

    rv = client.get("/")
    assert rv.data == b"text"
    assert rv.headers["X-After"] == "1"
    assert rv.headers["Content-Type"] == "text/html; charset=utf-8"
    assert rv.headers["Content-Length"] == "4"
    assert seen == [app.response_class]


def test_str_return_with_after_hook_uses_overridden_make_response(
    protocol: str,
) -> None:
    # A subclass's make_response is still called for a str (fast path not taken).
    class App(Flask):
        def make_response(self, rv: t.Any) -> Response:
            response = super().make_response(rv)
            response.headers["X-Made"] = "yes"
            return response

    app = App("test_app_sub")

    @app.after_request
    def after(response: Response) -> Response:
        response.headers["X-After"] = response.headers["X-Made"]
        return response

    @app.route("/")
    def index() -> str:
        return "text"

    rv = app.test_client(asgi=protocol == "asgi").get("/")
    assert rv.data == b"text"
    assert rv.headers["X-After"] == "yes"


def test_str_return_with_after_this_request_only(
    app: Flask, client: FlaskClient
) -> None:
    @app.route("/")
    def index() -> str:
        @after_this_request
        def later(response: Response) -> Response:
            response.headers["X-Later"] = "1"
            return response

        return "text"

    rv = client.get("/")
    assert rv.data == b"text"
    assert rv.headers["X-Later"] == "1"


def test_direct_view_called_with_and_without_arguments(
    app: Flask, client: FlaskClient
) -> None:
    # A view without URL arguments is called with none; one with arguments gets
    # them as keywords (a route default included).
    @app.route("/plain")
    def plain() -> str:
        return "plain"

    @app.route("/item/<int:item_id>")
    @app.route("/item", defaults={"item_id": 0})
    def item(item_id: int) -> str:
        return f"item {item_id}"

    assert client.get("/plain").data == b"plain"
    assert client.get("/item/7").data == b"item 7"
    assert client.get("/item").data == b"item 0"


# -- matching: the app's own static lookup and the map's general path ----------


MATCH_CONFIGS = {
    # The app looks up a static rule itself only with the first config.
    "default": ({}, {}),
    "trusted_hosts": ({"TRUSTED_HOSTS": ["localhost", ".example.com"]}, {}),
    "subdomain_matching": ({"SERVER_NAME": "localhost"}, {"subdomain_matching": True}),
    "host_matching": ({}, {"host_matching": True, "static_host": "localhost"}),
}


def matching_app(config_name: str) -> Flask:
    config, options = MATCH_CONFIGS[config_name]
    app = Flask("match_test", root_path="/nonexistent-root", **options)
    app.config.update(TESTING=True, **config)
    host = {"host": "localhost"} if options.get("host_matching") else {}

    @app.route("/plain", **host)
    def plain() -> str:
        return f"plain {request.url_rule.rule} {request.view_args}"  # type: ignore[union-attr]

    @app.route("/defaults", defaults={"page": 1}, **host)
    def defaults(page: int) -> str:
        return f"defaults {page} {request.view_args}"

    @app.route("/item/<int:item_id>", **host)
    def item(item_id: int) -> str:
        return f"item {item_id} {request.view_args}"

    @app.route("/slash/", methods=["POST", "GET"], **host)
    def slash() -> str:
        return "slash"

    return app


@pytest.mark.parametrize("config_name", list(MATCH_CONFIGS))
def test_matching_is_the_same_with_and_without_the_static_lookup(
    config_name: str, protocol: str
) -> None:
    """Static hits, dynamic rules, misses and redirects under every config."""
    app = matching_app(config_name)
    client = app.test_client(asgi=protocol == "asgi")
    url_map = app.url_map
    client.get("/plain")  # the first request compiles the map
    calls: list[str] = []
    for name in ("_match_or_error", "_match_unlisted"):
        method = getattr(url_map, name)

        def spy(*args: t.Any, _name: str = name, _method: t.Any = method) -> t.Any:
            calls.append(_name)
            return _method(*args)

        setattr(url_map, name, spy)
    rv = client.get("/plain")
    assert (rv.status_code, rv.text) == (200, "plain /plain {}")
    # The app's own static lookup answers only with the default config.
    assert calls == ([] if config_name == "default" else ["_match_or_error"])
    calls.clear()
    client.get("/item/7")
    assert calls[0] == (
        "_match_unlisted" if config_name == "default" else "_match_or_error"
    )
    rv = client.get("/defaults")
    assert (rv.status_code, rv.text) == (200, "defaults 1 {'page': 1}")
    rv = client.get("/item/7")
    assert (rv.status_code, rv.text) == (200, "item 7 {'item_id': 7}")
    assert client.get("/missing").status_code == 404
    rv = client.put("/plain")
    assert rv.status_code == 405
    assert set(rv.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    rv = client.get("/slash")
    assert rv.status_code == 308
    assert rv.headers["Location"] == "http://localhost/slash/"
    assert client.post("/slash/").text == "slash"


def test_untrusted_host_is_refused_before_the_static_lookup(protocol: str) -> None:
    app = matching_app("trusted_hosts")
    client = app.test_client(asgi=protocol == "asgi")
    assert client.get("/plain", base_url="http://evil.test").status_code == 400
    assert client.get("/plain", base_url="http://api.example.com").status_code == 200


@pytest.mark.parametrize("path", ["/late", "/late/3"])
def test_rule_added_to_the_map_after_a_request_is_matched(
    app: Flask, client: FlaskClient, path: str
) -> None:
    """A changed map (not compiled yet) is matched through the map itself."""
    from hipflask.routing import Rule

    @app.route("/")
    def index() -> str:
        return "index"

    assert client.get("/").text == "index"
    app.url_map.add(Rule("/late", endpoint="late"))
    app.url_map.add(Rule("/late/<int:n>", endpoint="late"))
    app.view_functions["late"] = lambda n=0: f"late {n}"
    assert app.url_map._dirty
    assert (
        client.get(path).text == f"late {path.rpartition('/')[2].replace('late', '0')}"
    )
    assert not app.url_map._dirty
