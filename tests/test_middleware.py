"""hipflask.middleware.ProxyFix, checked against Werkzeug's and through an app."""

from __future__ import annotations

import io
import typing as t

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix as WerkzeugProxyFix

from hipflask import Flask, request, url_for
from hipflask.middleware import ProxyFix
from hipflask.testing import FlaskClient

Environ = dict[str, t.Any]

BASE: Environ = {
    "REMOTE_ADDR": "10.0.0.2",
    "wsgi.url_scheme": "http",
    "HTTP_HOST": "internal:8000",
    "SERVER_NAME": "internal",
    "SERVER_PORT": "8000",
    "SCRIPT_NAME": "",
    "PATH_INFO": "/",
}
HEADERS: list[Environ] = [
    {},
    {"HTTP_X_FORWARDED_FOR": "203.0.113.7"},
    {"HTTP_X_FORWARDED_FOR": "1.1.1.1, 203.0.113.7"},  # a client-forged first hop
    {"HTTP_X_FORWARDED_FOR": ""},
    {"HTTP_X_FORWARDED_FOR": '"quoted", 2.2.2.2'},
    {"HTTP_X_FORWARDED_PROTO": "https"},
    {"HTTP_X_FORWARDED_PROTO": "http, https"},
    {"HTTP_X_FORWARDED_HOST": "example.org"},
    {"HTTP_X_FORWARDED_HOST": "example.org:8443"},
    {"HTTP_X_FORWARDED_HOST": "[::1]"},
    {"HTTP_X_FORWARDED_HOST": "[::1]:8443"},
    {"HTTP_X_FORWARDED_PORT": "443"},
    {"HTTP_X_FORWARDED_HOST": "example.org:1", "HTTP_X_FORWARDED_PORT": "443"},
    {"HTTP_X_FORWARDED_PREFIX": "/app"},
    {"HTTP_X_FORWARDED_PREFIX": "/outer, /inner"},
]
SETTINGS: list[dict[str, int]] = [
    {},
    {"x_for": 2, "x_proto": 0},
    {"x_for": 1, "x_proto": 1, "x_host": 1, "x_port": 1, "x_prefix": 1},
    {"x_for": 0, "x_proto": 2, "x_host": 2, "x_prefix": 2},
]


def _seen(middleware: type[t.Any], settings: dict[str, int], extra: Environ) -> Environ:
    seen: list[Environ] = []

    def app(environ: Environ, start_response: t.Any) -> list[bytes]:
        seen.append(dict(environ))
        return []

    middleware(app, **settings)({**BASE, **extra}, lambda *a: None)
    return seen[0]


@pytest.mark.parametrize("settings", SETTINGS, ids=str)
@pytest.mark.parametrize("extra", HEADERS, ids=str)
def test_matches_werkzeug(settings: dict[str, int], extra: Environ) -> None:
    assert _seen(ProxyFix, settings, extra) == _seen(WerkzeugProxyFix, settings, extra)


@pytest.mark.parametrize(
    ("extra", "key", "expected"),
    [
        ({"HTTP_X_FORWARDED_PROTO": "javascript"}, "wsgi.url_scheme", "http"),
        ({"HTTP_X_FORWARDED_PROTO": "HTTPS"}, "wsgi.url_scheme", "https"),
        ({"HTTP_X_FORWARDED_PORT": "443x"}, "SERVER_PORT", "8000"),
    ],
)
def test_odd_values_are_ignored_or_normalised(
    extra: Environ, key: str, expected: str
) -> None:
    settings = {"x_proto": 1, "x_port": 1}
    assert _seen(ProxyFix, settings, extra)[key] == expected


@pytest.mark.parametrize("bad", [-1, "1", 1.0, True, None])
def test_settings_are_checked(bad: t.Any) -> None:
    with pytest.raises(ValueError, match="x_host is a number of proxies"):
        ProxyFix(lambda e, s: [], x_host=bad)


def test_through_the_app(app: Flask, client: FlaskClient) -> None:
    app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
        app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_prefix=1
    )

    @app.route("/where")
    def where() -> dict[str, t.Any]:
        return {
            "addr": request.remote_addr,
            "url": url_for("where", _external=True),
            "root": request.script_root,
            "orig": request.environ["werkzeug.proxy_fix.orig"]["wsgi.url_scheme"],
        }

    rv = client.get(
        "/where",
        headers={
            "X-Forwarded-For": "6.6.6.6, 203.0.113.7",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "example.org",
            "X-Forwarded-Prefix": "/shop",
        },
    )
    assert rv.json == {
        "addr": "203.0.113.7",
        "url": "https://example.org/shop/where",
        "root": "/shop",
        "orig": "http",
    }


def _reporting_app() -> Flask:
    app = Flask(__name__)
    app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
        app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=1
    )

    @app.route("/report")
    def report() -> dict[str, t.Any]:
        return {
            "addr": request.remote_addr,
            "scheme": request.scheme,
            "host": request.host,
            "root": request.script_root,
            "url": request.url,
            "orig": request.environ["werkzeug.proxy_fix.orig"]["HTTP_HOST"],
        }

    return app


@pytest.mark.parametrize("extra", HEADERS, ids=str)
def test_asgi_scope_rewrite_matches_the_wsgi_one(extra: Environ) -> None:
    headers = {
        key[5:].replace("_", "-").title(): value
        for key, value in extra.items()
        if key.startswith("HTTP_")
    }
    app = _reporting_app()
    wsgi = app.test_client().get("/report", headers=headers)
    asgi = app.test_client(asgi=True).get("/report", headers=headers)
    assert wsgi.status_code == asgi.status_code
    assert wsgi.json == asgi.json


def test_proxy_fix_around_the_app_is_served_natively_under_asgi(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import hipflask.app

    def no_bridge(*args: t.Any) -> t.NoReturn:
        raise AssertionError("served through the WSGI bridge")

    monkeypatch.setattr(hipflask.app, "serve_wsgi_stack", no_bridge)
    app = _reporting_app()
    rv = app.test_client(asgi=True).get(
        "/report", headers={"X-Forwarded-For": "203.0.113.7"}
    )
    assert rv.json["addr"] == "203.0.113.7"


def test_websockets_see_the_forwarded_values() -> None:
    import asyncio

    from hipflask import websocket

    app = _reporting_app()

    @app.websocket("/ws")
    async def where() -> None:
        await websocket.send(f"{websocket.scheme} {websocket.host}")

    async def run() -> str | bytes:
        client = app.test_client().websocket(
            "/ws", headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ex.org"}
        )
        async with client as ws:
            return await ws.receive()

    assert asyncio.run(run()) == "wss ex.org"


def test_a_deeper_stack_still_goes_through_the_bridge(protocol: str) -> None:
    app = Flask(__name__)
    inner = app.wsgi_app

    def tag(environ: Environ, start_response: t.Any) -> t.Any:
        environ["HTTP_X_TAG"] = "seen"
        return inner(environ, start_response)

    app.wsgi_app = ProxyFix(tag)  # type: ignore[method-assign]
    app.add_url_rule(
        "/", "i", lambda: f"{request.headers.get('X-Tag')} {request.remote_addr}"
    )
    rv = app.test_client(asgi=protocol == "asgi").get(
        "/", headers={"X-Forwarded-For": "9.9.9.9"}
    )
    assert rv.data == b"seen 9.9.9.9"


# A client can send the byte 0xB2 ("²" in latin-1): str.isdigit() accepts it,
# int() does not. Neither the ProxyFix rewrite nor request.server may fail.
@pytest.mark.parametrize(
    "forwarded",
    [
        {"HTTP_X_FORWARDED_HOST": "example.org:\u00b2"},
        {"HTTP_X_FORWARDED_PORT": "\u00b2"},
        {"HTTP_X_FORWARDED_HOST": "[::1]:\u00b9\u00b2"},
    ],
    ids=["host-port", "port", "ipv6-port"],
)
@pytest.mark.parametrize("asgi", [False, True], ids=["wsgi", "asgi"])
def test_non_ascii_digits_are_not_a_port(forwarded: Environ, asgi: bool) -> None:
    import asyncio

    app = Flask(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = True
    app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
        app.wsgi_app, x_host=1, x_port=1
    )

    @app.route("/")
    def server() -> str:
        return repr(request.server)

    environ = {
        **BASE,
        "REQUEST_METHOD": "GET",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        **forwarded,
    }
    if not asgi:
        statuses: list[str] = []
        body = b"".join(app(environ, lambda status, headers: statuses.append(status)))
        assert statuses[0].startswith("200"), (statuses, body)
        return
    sent: list[dict[str, t.Any]] = []

    async def receive() -> dict[str, t.Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, t.Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"internal:8000")]
        + [
            (key[5:].lower().replace("_", "-").encode(), value.encode("latin-1"))
            for key, value in forwarded.items()
        ],
        "client": ("10.0.0.2", 1234),
        "server": ("internal", 8000),
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 200, sent
