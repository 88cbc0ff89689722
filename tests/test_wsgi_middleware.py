"""WSGI middleware on app.wsgi_app applies under ASGI too (hipflask.wsgi_middleware)."""

from __future__ import annotations

import asyncio
import io
import typing as t

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from hipflask import Flask, request, stream_with_context, url_for, websocket
from hipflask.testing import FlaskClient

Message = dict[str, t.Any]
Environ = dict[str, t.Any]
StartResponse = t.Callable[..., t.Any]
WSGIApp = t.Callable[[Environ, StartResponse], t.Iterable[bytes]]


def test_proxy_fix_applies(app: Flask, client: FlaskClient) -> None:
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    @app.route("/who")
    def who() -> dict[str, t.Any]:
        return {
            "addr": request.remote_addr,
            "scheme": request.scheme,
            "url": url_for("who", _external=True),
        }

    rv = client.get(
        "/who",
        headers={
            "X-Forwarded-For": "203.0.113.7",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "example.org",
        },
    )
    assert rv.json == {
        "addr": "203.0.113.7",
        "scheme": "https",
        "url": "https://example.org/who",
    }


class AddHeader:
    """Adds a response header; answers 403 itself for /blocked."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self.calls = 0

    def __call__(self, environ: Environ, start_response: StartResponse) -> t.Any:
        self.calls += 1
        if environ["PATH_INFO"] == "/blocked":
            start_response("403 FORBIDDEN", [("Content-Type", "text/plain")])
            return [b"blocked by middleware"]

        def wrapped(status: str, headers: list[tuple[str, str]], *exc: t.Any) -> t.Any:
            return start_response(status, [*headers, ("X-Middleware", "yes")], *exc)

        return self.app(environ, wrapped)


def test_middleware_rewrites_and_short_circuits(
    app: Flask, client: FlaskClient
) -> None:
    middleware = AddHeader(app.wsgi_app)
    app.wsgi_app = middleware  # type: ignore[method-assign]
    app.add_url_rule("/", "index", lambda: "hello")
    rv = client.get("/")
    assert (rv.status_code, rv.data, rv.headers["X-Middleware"]) == (
        200,
        b"hello",
        "yes",
    )
    blocked = client.get("/blocked")
    assert (blocked.status_code, blocked.data) == (403, b"blocked by middleware")
    assert "X-Middleware" not in blocked.headers
    assert middleware.calls == 2


def test_middleware_may_read_and_replace_the_body(
    app: Flask, client: FlaskClient
) -> None:
    inner = app.wsgi_app

    def upper_body(environ: Environ, start_response: StartResponse) -> t.Any:
        data = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(data.upper())
        return inner(environ, start_response)

    app.wsgi_app = upper_body  # type: ignore[method-assign]

    @app.post("/form")
    def form() -> dict[str, str]:
        return dict(request.form)

    assert client.post("/form", data={"name": "ann"}).json == {"NAME": "ANN"}


def test_body_limit_still_applies(app: Flask, client: FlaskClient) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10
    app.wsgi_app = AddHeader(app.wsgi_app)  # type: ignore[method-assign]

    @app.post("/form")
    def form() -> str:
        return str(len(request.form))

    assert client.post("/form", data={"a": "x" * 50}).status_code == 413
    assert client.post("/form", data={"a": "x"}).data == b"1"


def test_streamed_body_and_close(app: Flask, client: FlaskClient) -> None:
    app.wsgi_app = AddHeader(app.wsgi_app)  # type: ignore[method-assign]
    closed: list[str | None] = []

    @app.route("/stream")
    def stream() -> t.Any:
        def generate() -> t.Iterator[str]:
            try:
                yield "a"
                yield ""
                yield request.args.get("last", "b")
            finally:
                closed.append(request.args.get("last"))

        return stream_with_context(generate())

    rv = client.get("/stream?last=z")
    assert (rv.data, rv.headers["X-Middleware"]) == (b"az", "yes")
    assert closed == ["z"]


def _asgi(
    app: t.Any, scope: Message, messages: list[Message]
) -> tuple[list[Message], Message | None]:
    """Run one ASGI call; (messages sent, None)."""
    sent: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent, None


def _scope(path: str = "/") -> Message:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"cookie", b"a=1"), (b"cookie", b"b=2")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }


def test_environ_follows_pep_3333_and_joins_cookies() -> None:
    seen: list[Environ] = []

    def spy(environ: Environ, start_response: StartResponse) -> list[bytes]:
        seen.append({**environ, "body": environ["wsgi.input"].read()})
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"written ")  # the legacy write() callable
        return [b"returned"]

    app = Flask(__name__)
    app.wsgi_app = spy  # type: ignore[method-assign]
    sent, _ = _asgi(app, _scope("/p"), [{"type": "http.request", "body": b""}])
    assert sent[0]["status"] == 200
    assert (b"content-type", b"text/plain") in sent[0]["headers"]
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b"written returned"
    environ = seen[0]
    assert environ["wsgi.version"] == (1, 0)
    assert environ["wsgi.url_scheme"] == "http"
    assert environ["wsgi.multithread"] is True
    assert environ["PATH_INFO"] == "/p"
    assert environ["REMOTE_ADDR"] == "127.0.0.1"
    assert environ["HTTP_COOKIE"] == "a=1; b=2"
    assert environ["body"] == b""


def test_a_stack_that_never_starts_the_response_fails_loudly() -> None:
    app = Flask(__name__)
    app.wsgi_app = lambda environ, start_response: [b"no status"]  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="did not call start_response"):
        _asgi(app, _scope(), [{"type": "http.request", "body": b""}])


def test_client_gone_before_the_body_ends() -> None:
    calls: list[str] = []
    app = Flask(__name__)
    app.wsgi_app = lambda environ, start_response: calls.append("called")  # type: ignore[method-assign]
    sent, _ = _asgi(
        app,
        {**_scope(), "method": "POST"},
        [{"type": "http.request", "body": b"x", "more_body": True}],
    )
    assert (sent, calls) == ([], [])


def test_asgi_middleware_wraps_the_wsgi_stack(protocol: str) -> None:
    app = Flask(__name__)
    app.wsgi_app = AddHeader(app.wsgi_app)  # type: ignore[method-assign]
    inner_asgi = app.asgi_app
    seen: list[str] = []

    async def asgi_middleware(scope: Message, receive: t.Any, send: t.Any) -> None:
        seen.append(scope["type"])
        await inner_asgi(scope, receive, send)

    app.asgi_app = asgi_middleware  # type: ignore[method-assign]
    app.add_url_rule("/", "index", lambda: "hello")
    rv = app.test_client(asgi=protocol == "asgi").get("/")
    assert (rv.data, rv.headers["X-Middleware"]) == (b"hello", "yes")
    assert seen == (["http"] if protocol == "asgi" else [])


def test_websockets_are_still_served_natively() -> None:
    app = Flask(__name__)
    app.wsgi_app = AddHeader(app.wsgi_app)  # type: ignore[method-assign]

    @app.websocket("/ws")
    async def echo() -> None:
        await websocket.send(await websocket.receive())

    async def run() -> str | bytes:
        async with app.test_client().websocket("/ws") as ws:
            await ws.send("hi")
            return await ws.receive()

    assert asyncio.run(run()) == "hi"


class GatedFlask(Flask):
    """Flask code that gates requests in an overridden ``wsgi_app``."""

    def wsgi_app(self, environ: Environ, start_response: StartResponse) -> t.Any:
        if environ["PATH_INFO"] == "/blocked":
            start_response("403 FORBIDDEN", [("Content-Type", "text/plain")])
            return [b"blocked by the subclass"]
        return super().wsgi_app(environ, start_response)


def test_an_overridden_wsgi_app_runs_under_both_protocols(protocol: str) -> None:
    app = GatedFlask(__name__)
    app.add_url_rule("/blocked", "blocked", lambda: "reached the view")
    app.add_url_rule("/open", "open", lambda: "open")

    @app.websocket("/ws")
    async def echo() -> None:
        await websocket.send(await websocket.receive())

    client = app.test_client(asgi=protocol == "asgi")
    rv = client.get("/blocked")
    assert (rv.status_code, rv.data) == (403, b"blocked by the subclass")
    assert client.get("/open").data == b"open"

    async def talk() -> str | bytes:
        async with app.test_client().websocket("/ws") as ws:
            await ws.send("hi")
            return await ws.receive()

    assert asyncio.run(talk()) == "hi"  # websockets: served natively


def test_a_subclass_overriding_asgi_app_too_keeps_each_for_its_protocol() -> None:
    calls: list[str] = []

    class Both(GatedFlask):
        async def asgi_app(self, scope: Message, receive: t.Any, send: t.Any) -> None:
            calls.append("asgi")
            await super().asgi_app(scope, receive, send)

    app = Both(__name__)
    app.add_url_rule("/blocked", "blocked", lambda: "reached the view")
    assert app.test_client(asgi=True).get("/blocked").data == b"reached the view"
    assert calls == ["asgi"]
