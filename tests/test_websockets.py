"""Websockets under ASGI (see hipflask.websockets), driven with a hand-made client."""

from __future__ import annotations

import asyncio
import logging
import typing as t

import pytest

from hipflask import (
    Blueprint,
    Flask,
    Response,
    WebsocketDisconnect,
    abort,
    current_app,
    g,
    has_app_context,
    has_request_context,
    has_websocket_context,
    request,
    url_for,
    websocket,
)
from hipflask import websockets as websockets_module

Message = dict[str, t.Any]


class Client:
    """One websocket connection's receive/send pair, with a scripted inbox."""

    def __init__(
        self,
        path: str = "/ws",
        *,
        query_string: bytes = b"",
        headers: list[tuple[bytes, bytes]] | None = None,
        subprotocols: list[str] | None = None,
        denial: bool = False,
    ) -> None:
        self.scope: Message = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "server": ("testserver", 80),
            "path": path,
            "root_path": "",
            "query_string": query_string,
            "headers": headers if headers is not None else [(b"host", b"testserver")],
            "subprotocols": subprotocols or [],
        }
        if denial:  # the server offers ASGI's websocket denial responses
            self.scope["extensions"] = {"websocket.http.response": {}}
        self.inbox: asyncio.Queue[Message] = asyncio.Queue()
        self.inbox.put_nowait({"type": "websocket.connect"})
        self.sent: list[Message] = []

    def put(self, data: str | bytes) -> None:
        key = "text" if isinstance(data, str) else "bytes"
        self.inbox.put_nowait({"type": "websocket.receive", key: data})

    def disconnect(self, code: int = 1000) -> None:
        self.inbox.put_nowait({"type": "websocket.disconnect", "code": code})

    async def receive(self) -> Message:
        return await self.inbox.get()

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    async def serve(self, app: Flask) -> list[Message]:
        await app(self.scope, self.receive, self.send)
        return self.sent

    @property
    def types(self) -> list[str]:
        return [message["type"] for message in self.sent]


def _talk(
    app: Flask, *messages: str | bytes, client: Client | None = None
) -> list[Message]:
    """Serve one connection that sends ``messages`` and then disconnects."""

    async def run() -> list[Message]:
        nonlocal client
        if client is None:
            client = Client()
        for message in messages:
            client.put(message)
        client.disconnect()
        return await client.serve(app)

    return asyncio.run(run())


@pytest.fixture
def echo_app() -> Flask:
    app = Flask(__name__)

    @app.websocket("/ws")
    async def echo() -> None:
        while True:
            await websocket.send(await websocket.receive())

    return app


def test_echo_text_and_bytes_with_implicit_accept(echo_app: Flask) -> None:
    sent = _talk(echo_app, "hello", b"\x00\xff")
    assert sent == [
        {"type": "websocket.accept", "subprotocol": None},
        {"type": "websocket.send", "text": "hello"},
        {"type": "websocket.send", "bytes": b"\x00\xff"},
    ]


def test_explicit_accept_with_subprotocol_and_headers() -> None:
    app = Flask(__name__)

    @app.websocket("/ws")
    async def handler() -> None:
        offered = websocket.requested_subprotocols
        await websocket.accept(headers={"X-Token": "abc"}, subprotocol=offered[-1])
        await websocket.accept()  # accepting again does nothing
        await websocket.send(",".join(offered))

    client = Client(subprotocols=["chat", "superchat"])
    assert _talk(app, client=client) == [
        {
            "type": "websocket.accept",
            "subprotocol": "superchat",
            "headers": [(b"x-token", b"abc")],
        },
        {"type": "websocket.send", "text": "chat,superchat"},
        {"type": "websocket.close", "code": 1000, "reason": ""},
    ]


def test_accept_checks_its_arguments() -> None:
    app = Flask(__name__)
    errors: list[str] = []

    @app.websocket("/ws")
    async def handler() -> None:
        for kwargs in ({"subprotocol": 1}, {"headers": [("x", 1)]}):
            try:
                await websocket.accept(**kwargs)  # type: ignore[arg-type]
            except TypeError as e:
                errors.append(str(e))

    sent = _talk(app)
    assert len(errors) == 2
    assert "subprotocol" in errors[0]
    assert sent == [{"type": "websocket.close", "code": 1000, "reason": ""}]


def test_request_like_attributes() -> None:
    app = Flask(__name__)
    seen: dict[str, t.Any] = {}

    @app.websocket("/ws")
    async def handler() -> None:
        seen.update(
            path=websocket.path,
            args=websocket.args.to_dict(),
            header=websocket.headers["X-Thing"],
            cookies=websocket.cookies.to_dict(),
            scheme=websocket.scheme,
            host=websocket.host,
            url=websocket.url,
            endpoint=websocket.endpoint,
        )

    client = Client(
        query_string=b"a=1&b=two",
        headers=[
            (b"host", b"example.com:8000"),
            (b"x-thing", b"yes"),
            (b"cookie", b"name=value"),
        ],
    )
    _talk(app, client=client)
    assert seen == {
        "path": "/ws",
        "args": {"a": "1", "b": "two"},
        "header": "yes",
        "cookies": {"name": "value"},
        "scheme": "ws",
        "host": "example.com:8000",
        "url": "ws://example.com:8000/ws?a=1&b=two",
        "endpoint": "handler",
    }


def test_route_arguments_and_blueprint_prefix() -> None:
    app = Flask(__name__)
    bp = Blueprint("chat", __name__, url_prefix="/chat")

    @bp.route("/history/<int:room>")
    def history(room: int) -> str:
        return str(room)

    @bp.websocket("/room/<int:room>")
    async def room(room: int) -> None:
        # As Werkzeug builds them: websocket URLs are always external.
        await websocket.send(f"{room!r} {url_for('.room', room=room + 1)}")
        await websocket.send(url_for(".history", room=room))

    app.register_blueprint(bp)
    sent = _talk(app, client=Client("/chat/room/7"))
    assert [message.get("text") for message in sent[1:3]] == [
        "7 ws://testserver/chat/room/8",
        "/chat/history/7",
    ]
    assert sent[-1]["type"] == "websocket.close"
    # The converter refuses what it does not match: no such route.
    assert _talk(app, client=Client("/chat/room/x")) == [
        {"type": "websocket.close", "code": 1000, "reason": ""}
    ]


def test_add_url_rule_with_websocket_true() -> None:
    app = Flask(__name__)

    async def handler(name: str) -> None:
        await websocket.send(name)

    app.add_url_rule("/hi/<name>", view_func=handler, websocket=True)
    assert _talk(app, client=Client("/hi/bob"))[1]["text"] == "bob"


def test_contexts_inside_a_handler() -> None:
    app = Flask(__name__)
    seen: dict[str, t.Any] = {}
    torn_down: list[BaseException | None] = []

    @app.teardown_appcontext
    def teardown(exc: BaseException | None) -> None:
        torn_down.append(exc)

    @app.websocket("/ws")
    async def handler() -> None:
        g.user = "alice"
        seen.update(
            app=current_app._get_current_object(),  # type: ignore[attr-defined]
            user=g.user,
            has_app=has_app_context(),
            has_websocket=has_websocket_context(),
            has_request=has_request_context(),
        )
        with pytest.raises(RuntimeError, match="Working outside of request context"):
            request.path  # noqa: B018

    _talk(app)
    assert seen == {
        "app": app,
        "user": "alice",
        "has_app": True,
        "has_websocket": True,
        "has_request": False,
    }
    assert torn_down == [None]
    assert not has_app_context()
    assert not has_websocket_context()
    with pytest.raises(RuntimeError, match="Working outside of websocket context"):
        websocket.path  # noqa: B018


def test_no_route_is_refused_without_accepting(echo_app: Flask) -> None:
    assert _talk(echo_app, client=Client("/missing")) == [
        {"type": "websocket.close", "code": 1000, "reason": ""}
    ]


def test_http_only_rule_refuses_a_websocket() -> None:
    app = Flask(__name__)

    @app.route("/ws")
    def page() -> str:
        return "page"

    assert _talk(app) == [{"type": "websocket.close", "code": 1000, "reason": ""}]


@pytest.mark.parametrize("asgi", [False, True])
def test_http_request_to_a_websocket_rule(echo_app: Flask, asgi: bool) -> None:
    response = echo_app.test_client(asgi=asgi).get("/ws")
    assert response.status_code == 400


def test_handler_that_never_accepts_refuses() -> None:
    app = Flask(__name__)

    @app.websocket("/ws")
    async def handler() -> None:
        if websocket.headers.get("Authorization") is None:
            return

    assert _talk(app) == [{"type": "websocket.close", "code": 1000, "reason": ""}]


def test_handler_exception_closes_1011_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Flask(__name__)
    torn_down: list[BaseException | None] = []
    app.teardown_appcontext(torn_down.append)

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.receive()
        raise ValueError("secret detail")

    with caplog.at_level(logging.ERROR):
        sent = _talk(app, "hi")
    assert sent == [
        {"type": "websocket.accept", "subprotocol": None},
        {"type": "websocket.close", "code": 1011, "reason": ""},
    ]
    assert "secret detail" not in repr(sent)
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.getMessage() == "Exception on /ws [WEBSOCKET]"
    assert record.exc_info is not None and record.exc_info[0] is ValueError
    assert isinstance(torn_down[0], ValueError)


def test_client_disconnect_ends_the_handler_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Flask(__name__)
    events: list[t.Any] = []

    @app.websocket("/ws")
    async def handler() -> None:
        try:
            while True:
                events.append(await websocket.receive())
        except WebsocketDisconnect as e:
            events.append(e.code)
            raise
        finally:
            events.append("finally")

    client = Client()
    client.put("one")
    client.disconnect(1001)
    with caplog.at_level(logging.WARNING):
        sent = asyncio.run(client.serve(app))
    assert events == ["one", 1001, "finally"]
    assert sent == [{"type": "websocket.accept", "subprotocol": None}]
    assert not caplog.records


@pytest.mark.parametrize("accept", [False, True])
def test_abort_closes_1008_without_logging(
    caplog: pytest.LogCaptureFixture, accept: bool
) -> None:
    app = Flask(__name__)

    @app.websocket("/ws")
    async def handler() -> None:
        if accept:
            await websocket.accept()
        abort(403, "Members only.")

    with caplog.at_level(logging.WARNING):
        sent = _talk(app)
    # Accepted, the close says why; unaccepted, the refusal is a bare 403.
    accepted = [{"type": "websocket.accept", "subprotocol": None}] if accept else []
    reason = "Members only." if accept else ""
    close = {"type": "websocket.close", "code": 1008, "reason": reason}
    assert sent == [*accepted, close]
    assert not caplog.records


def test_close_reason_is_cut_to_123_bytes() -> None:
    app = Flask(__name__)

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        abort(400, "é" * 100)  # 200 bytes of UTF-8

    reason = _talk(app)[-1]["reason"]
    assert reason == "é" * 61  # 122 bytes: the 62nd "é" would split
    assert len(reason.encode()) <= 123


def test_send_to_a_gone_client_is_a_disconnect(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A server raises OSError for a send after the client left (uvicorn's
    # ClientDisconnected): the handler sees WebsocketDisconnect(1006).
    app = Flask(__name__)
    codes: list[int] = []

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        try:
            while True:
                await websocket.send("tick")
        except WebsocketDisconnect as e:
            codes.append(e.code)
            raise

    client = Client()

    async def send(message: Message) -> None:
        if message["type"] != "websocket.accept":
            raise ConnectionResetError("gone")
        client.sent.append(message)

    client.send = send  # type: ignore[method-assign]
    with caplog.at_level(logging.WARNING):
        sent = asyncio.run(client.serve(app))
    assert codes == [1006]
    assert sent == [{"type": "websocket.accept", "subprotocol": None}]
    assert not caplog.records


def test_receive_and_send_after_close_raise_disconnect() -> None:
    app = Flask(__name__)
    errors: list[str] = []

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        await websocket.close(4000, "bye")
        await websocket.close(4001)  # a second close does nothing
        for call in (websocket.receive(), websocket.send("x")):
            try:
                await call
            except WebsocketDisconnect as e:
                errors.append(str(e))

    assert _talk(app) == [
        {"type": "websocket.accept", "subprotocol": None},
        {"type": "websocket.close", "code": 4000, "reason": "bye"},
    ]
    assert errors == [
        "The websocket connection is closed (code 4000): bye",
        "The websocket connection is closed (code 4000): bye",
    ]


def test_send_of_a_wrong_type_raises_type_error() -> None:
    app = Flask(__name__)

    @app.websocket("/ws")
    async def handler() -> None:
        try:
            await websocket.send(42)  # type: ignore[arg-type]
        except TypeError as e:
            await websocket.send(str(e))

    sent = _talk(app)
    assert "must be str" in sent[1]["text"]
    assert "int" in sent[1]["text"]


def test_disconnect_before_the_handshake_sends_nothing(echo_app: Flask) -> None:
    async def run() -> list[Message]:
        client = Client()
        client.inbox.get_nowait()
        client.disconnect()
        return await client.serve(echo_app)

    assert asyncio.run(run()) == []


def test_contexts_do_not_leak_between_concurrent_connections() -> None:
    app = Flask(__name__)
    both_in = asyncio.Event
    arrived: list[str] = []
    gate: dict[str, asyncio.Event] = {}

    @app.websocket("/ws/<name>")
    async def handler(name: str) -> None:
        g.name = name
        arrived.append(name)
        if len(arrived) == 2:
            gate["open"].set()
        await gate["open"].wait()
        await websocket.send(f"{g.name} {websocket.path} {len(g.__dict__)}")

    async def run() -> tuple[list[Message], list[Message]]:
        gate["open"] = both_in()
        first, second = Client("/ws/a"), Client("/ws/b")
        first.disconnect()
        second.disconnect()
        results = await asyncio.gather(first.serve(app), second.serve(app))
        # Nothing stays behind in the caller's context either.
        assert not has_app_context() and not has_websocket_context()
        return results[0], results[1]

    first, second = asyncio.run(run())
    assert first[1]["text"] == "a /ws/a 1"
    assert second[1]["text"] == "b /ws/b 1"


def test_sync_handlers_are_refused_at_registration() -> None:
    app = Flask(__name__)

    def sync_handler() -> None:
        pass

    with pytest.raises(TypeError, match="must be an async function"):
        app.websocket("/ws")(sync_handler)
    with pytest.raises(TypeError, match="must be an async function"):
        app.add_url_rule("/ws", view_func=sync_handler, websocket=True)
    bp = Blueprint("bp", __name__)
    with pytest.raises(TypeError, match="'sync_handler' must be an async"):
        bp.websocket("/ws")(sync_handler)
    bp.add_url_rule("/ws", view_func=sync_handler, websocket=True)
    with pytest.raises(TypeError, match=r"'bp\.sync_handler' must be an async"):
        app.register_blueprint(bp)


def test_websocket_outside_a_handler_raises() -> None:
    with pytest.raises(RuntimeError, match="Working outside of websocket context"):
        websocket.receive  # noqa: B018
    assert not has_websocket_context()


# -- hooks ----------------------------------------------------------------------


def _hooked_app(events: list[t.Any]) -> Flask:
    """An app and a blueprint with every websocket hook, recording their calls."""
    app = Flask(__name__)
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    def record(name: str, returns: t.Any = None) -> t.Callable[..., t.Any]:
        def hook(*args: t.Any) -> t.Any:
            events.append((name, *args))
            return args[0] if " after" in name else returns

        return hook

    app.before_websocket(record("app before"))
    app.after_websocket(record("app after 1"))
    app.after_websocket(record("app after 2"))
    app.teardown_websocket(record("app teardown 1"))
    app.teardown_websocket(record("app teardown 2"))
    bp.before_websocket(record("bp before"))
    bp.after_websocket(record("bp after"))
    bp.teardown_websocket(record("bp teardown"))

    @bp.websocket("/ws")
    async def handler() -> str:
        events.append(("handler", await websocket.receive()))
        return "rv"

    app.register_blueprint(bp)
    return app


def test_websocket_hooks_run_in_flask_order() -> None:
    events: list[t.Any] = []
    app = _hooked_app(events)
    _talk(app, "hi", client=Client("/bp/ws"))
    assert events == [
        ("app before",),
        ("bp before",),
        ("handler", "hi"),
        ("bp after", "rv"),
        ("app after 2", "rv"),
        ("app after 1", "rv"),
        ("bp teardown", None),
        ("app teardown 2", None),
        ("app teardown 1", None),
    ]


def test_blueprint_hooks_do_not_run_for_the_apps_websockets() -> None:
    events: list[t.Any] = []
    app = _hooked_app(events)

    @app.websocket("/ws")
    async def top() -> None:
        events.append(("top",))

    _talk(app)
    assert [event[0] for event in events] == [
        "app before",
        "top",
        "app after 2",
        "app after 1",
        "app teardown 2",
        "app teardown 1",
    ]


def test_before_websocket_return_value_refuses_without_running_the_handler() -> None:
    app = Flask(__name__)
    ran: list[str] = []
    app.before_websocket(lambda: "no")
    app.after_websocket(lambda rv: ran.append("after"))
    app.teardown_websocket(lambda exc: ran.append("teardown"))

    @app.websocket("/ws")
    async def handler() -> None:
        ran.append("handler")

    assert _talk(app) == [{"type": "websocket.close", "code": 1000, "reason": ""}]
    assert ran == ["teardown"]


def test_before_websocket_abort_refuses_the_handshake(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Flask(__name__)

    @app.before_websocket
    def authenticate() -> None:
        if websocket.args.get("token") != "secret":
            abort(401)

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send("welcome")

    with caplog.at_level(logging.WARNING):
        refused = _talk(app)
        admitted = _talk(app, client=Client(query_string=b"token=secret"))
    assert refused == [{"type": "websocket.close", "code": 1008, "reason": ""}]
    assert admitted[1] == {"type": "websocket.send", "text": "welcome"}
    assert not caplog.records


def test_async_hooks_are_awaited_and_see_the_contexts() -> None:
    app = Flask(__name__)
    seen: list[t.Any] = []

    @app.before_websocket
    async def before() -> None:
        g.user = "ada"

    @app.after_websocket
    async def after(rv: t.Any) -> t.Any:
        seen.append((g.user, websocket.path, rv))
        return rv

    @app.teardown_websocket
    async def teardown(exc: BaseException | None) -> None:
        seen.append(("teardown", has_websocket_context(), current_app.name))

    @app.websocket("/ws")
    async def handler() -> int:
        await websocket.send(g.user)
        return 7

    assert _talk(app)[1] == {"type": "websocket.send", "text": "ada"}
    assert seen == [("ada", "/ws", 7), ("teardown", True, app.name)]


def test_after_websocket_runs_when_the_client_ends_the_conversation(
    echo_app: Flask,
) -> None:
    ran: list[t.Any] = []
    echo_app.after_websocket(lambda rv: ran.append(("after", rv)))
    echo_app.teardown_websocket(lambda exc: ran.append(("teardown", exc)))
    _talk(echo_app, "one")
    assert ran == [("after", None), ("teardown", None)]


def test_handler_error_skips_after_hooks_and_reaches_teardown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Flask(__name__)
    ran: list[t.Any] = []
    app.after_websocket(lambda rv: ran.append("after"))
    app.teardown_websocket(lambda exc: ran.append(exc))

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        raise KeyError("boom")

    with caplog.at_level(logging.ERROR):
        sent = _talk(app)
    assert sent[-1] == {"type": "websocket.close", "code": 1011, "reason": ""}
    assert len(ran) == 1 and isinstance(ran[0], KeyError)


def test_a_failing_teardown_is_logged_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Flask(__name__)
    ran: list[str] = []
    app.teardown_websocket(lambda exc: ran.append("first registered"))

    @app.teardown_websocket
    def broken(exc: BaseException | None) -> None:
        raise RuntimeError("teardown failed")

    app.teardown_appcontext(lambda exc: ran.append("appcontext"))

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()

    with caplog.at_level(logging.ERROR):
        _talk(app)
    assert ran == ["first registered", "appcontext"]
    assert "teardown failed" in caplog.text


def test_blueprint_app_wide_websocket_hooks() -> None:
    app = Flask(__name__)
    bp = Blueprint("bp", __name__)
    ran: list[str] = []
    bp.before_app_websocket(lambda: ran.append("before"))
    bp.after_app_websocket(lambda rv: ran.append("after"))
    bp.teardown_app_websocket(lambda exc: ran.append("teardown"))
    app.register_blueprint(bp)

    @app.websocket("/ws")
    async def handler() -> None:
        ran.append("handler")

    _talk(app)
    assert ran == ["before", "handler", "after", "teardown"]


def test_request_hooks_do_not_run_for_websockets(echo_app: Flask) -> None:
    ran: list[str] = []
    echo_app.before_request(lambda: ran.append("before_request"))
    echo_app.teardown_request(lambda exc: ran.append("teardown_request"))
    _talk(echo_app, "one")
    assert ran == []


# -- JSON -----------------------------------------------------------------------


def test_send_json_and_receive_json_use_the_apps_provider() -> None:
    app = Flask(__name__)
    app.json.sort_keys = True  # type: ignore[attr-defined]

    @app.websocket("/ws")
    async def handler() -> None:
        data = await websocket.receive_json()
        await websocket.send_json({"z": data["n"] + 1, "a": [True, None]})

    sent = _talk(app, '{"n": 41}')
    assert sent[1] == {"type": "websocket.send", "text": '{"a": [true, null], "z": 42}'}
    # Bytes carrying UTF-8 JSON are read too.
    assert _talk(app, b'{"n": 1}')[1]["text"] == '{"a": [true, null], "z": 2}'


@pytest.mark.parametrize("message", ["{not json", b"\xff\xfe"])
def test_receive_json_of_a_bad_message_closes_1008_with_the_reason(
    message: str | bytes, caplog: pytest.LogCaptureFixture
) -> None:
    app = Flask(__name__)

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.receive_json()

    with caplog.at_level(logging.WARNING):
        close = _talk(app, message)[-1]
    assert close["type"] == "websocket.close" and close["code"] == 1008
    assert close["reason"].startswith("The websocket message is not valid JSON")
    assert not caplog.records


# -- refusals answered with an HTTP response (websocket.http.response) -------------


def _denial(sent: list[Message]) -> tuple[int, dict[str, str], bytes]:
    """The HTTP response the app refused with: (status, headers, body)."""
    assert [message["type"] for message in sent] == [
        "websocket.http.response.start",
        "websocket.http.response.body",
    ], sent
    headers = {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in sent[0]["headers"]
    }
    return sent[0]["status"], headers, sent[1]["body"]


def test_denial_for_no_route(echo_app: Flask) -> None:
    status, headers, body = _denial(
        _talk(echo_app, client=Client("/missing", denial=True))
    )
    assert status == 404
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["content-length"] == str(len(body))
    assert b"Not Found" in body


def test_denial_for_abort_before_accepting(caplog: pytest.LogCaptureFixture) -> None:
    app = Flask(__name__)

    @app.before_websocket
    def authenticate() -> None:
        if websocket.args.get("token") != "secret":
            abort(401, "A token, please.")

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send("welcome")

    with caplog.at_level(logging.WARNING):
        status, _, body = _denial(_talk(app, client=Client(denial=True)))
        admitted = _talk(app, client=Client(query_string=b"token=secret", denial=True))
    assert status == 401
    assert b"A token, please." in body
    assert admitted[1] == {"type": "websocket.send", "text": "welcome"}
    assert not caplog.records


def test_denial_with_a_response_from_abort() -> None:
    app = Flask(__name__)

    @app.websocket("/ws")
    async def handler() -> None:
        response = Response("Come back later.", 503, {"Retry-After": "120"})
        abort(response)

    status, headers, body = _denial(_talk(app, client=Client(denial=True)))
    assert (status, headers["retry-after"], body) == (503, "120", b"Come back later.")


def test_denial_from_a_before_websocket_return_value() -> None:
    app = Flask(__name__)
    ran: list[str] = []
    app.before_websocket(lambda: ("Not today.", 429))
    app.teardown_websocket(lambda exc: ran.append("teardown"))

    @app.websocket("/ws")
    async def handler() -> None:
        ran.append("handler")

    assert _denial(_talk(app, client=Client(denial=True)))[::2] == (429, b"Not today.")
    assert ran == ["teardown"]


def test_denial_from_the_handlers_return_value() -> None:
    app = Flask(__name__)
    seen: list[t.Any] = []

    @app.after_websocket
    def after(rv: t.Any) -> t.Any:
        seen.append(rv)
        return rv

    @app.websocket("/ws")
    async def handler() -> t.Any:
        if websocket.headers.get("Authorization") is None:
            return {"error": "no credentials"}, 401
        await websocket.accept()
        return "ignored once accepted"

    status, headers, body = _denial(_talk(app, client=Client(denial=True)))
    assert (status, headers["content-type"]) == (401, "application/json")
    assert body == b'{"error":"no credentials"}\n'
    sent = _talk(
        app,
        client=Client(
            headers=[(b"host", b"testserver"), (b"authorization", b"x")], denial=True
        ),
    )
    assert [message["type"] for message in sent] == [
        "websocket.accept",
        "websocket.close",
    ]
    assert seen == [({"error": "no credentials"}, 401), "ignored once accepted"]


def test_denial_for_an_error_is_a_bare_500_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Flask(__name__)

    @app.websocket("/ws")
    async def handler() -> None:
        raise ValueError("secret detail")

    with caplog.at_level(logging.ERROR):
        status, _, body = _denial(_talk(app, client=Client(denial=True)))
    assert status == 500
    assert b"Internal Server Error" in body and b"secret detail" not in body
    assert "secret detail" in caplog.text


def test_no_denial_once_accepted_or_without_a_value() -> None:
    app = Flask(__name__)

    @app.websocket("/ws")
    async def handler() -> None:
        if websocket.args.get("accept"):
            await websocket.accept()
        abort(403, "Members only.")

    @app.websocket("/quiet")
    async def quiet() -> None:
        return None

    accepted = _talk(app, client=Client(query_string=b"accept=1", denial=True))
    assert accepted[-1] == {
        "type": "websocket.close",
        "code": 1008,
        "reason": "Members only.",
    }
    quiet_sent = _talk(app, client=Client("/quiet", denial=True))
    assert quiet_sent == [{"type": "websocket.close", "code": 1000, "reason": ""}]


# -- a client that goes away cancels a handler busy elsewhere (Quart's rule) ---------


@pytest.fixture
def quick_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(websockets_module, "IDLE_CHECK_SECONDS", 0.01)


def test_disconnect_cancels_a_handler_busy_elsewhere(quick_sweep: None) -> None:
    app = Flask(__name__)
    events: list[str] = []
    app.after_websocket(lambda rv: events.append("after"))
    app.teardown_websocket(lambda exc: events.append(f"teardown {exc!r}"))

    @app.websocket("/ws")
    async def waiter() -> None:
        await websocket.accept()
        try:
            await asyncio.Event().wait()  # never set: only a cancel ends this
        except asyncio.CancelledError:
            events.append("cancelled")
            raise
        finally:
            events.append(f"finally closed={websocket.closed}")

    async def run() -> list[Message]:
        client = Client()
        served = asyncio.ensure_future(client.serve(app))
        await asyncio.sleep(0.05)
        assert not served.done()
        client.disconnect()
        sent = await asyncio.wait_for(served, 5)
        if hasattr(served, "cancelling"):  # Python 3.11+: the cancel was taken back
            assert served.cancelling() == 0
        return sent

    sent = asyncio.run(run())
    assert sent == [{"type": "websocket.accept", "subprotocol": None}]
    assert events == ["cancelled", "finally closed=True", "after", "teardown None"]
    assert not any(websockets_module._live.values())  # nothing left to watch


def test_a_message_seen_ahead_is_the_next_receive(quick_sweep: None) -> None:
    app = Flask(__name__)

    @app.websocket("/ws")
    async def slow_echo() -> None:
        await websocket.accept()
        while True:
            await asyncio.sleep(0.05)  # busy: the sweep receives meanwhile
            await websocket.send(await websocket.receive())

    async def run() -> list[Message]:
        client = Client()
        served = asyncio.ensure_future(client.serve(app))
        for text in ("one", "two", "three"):
            client.put(text)
        await asyncio.sleep(0.3)
        client.disconnect()
        return await asyncio.wait_for(served, 5)

    sent = asyncio.run(run())
    assert [m.get("text") for m in sent if m["type"] == "websocket.send"] == [
        "one",
        "two",
        "three",
    ]


def test_a_handler_waiting_in_receive_is_not_cancelled(quick_sweep: None) -> None:
    app = Flask(__name__)
    events: list[str] = []

    @app.websocket("/ws")
    async def reader() -> None:
        try:
            await websocket.receive()
        except WebsocketDisconnect as e:
            events.append(f"disconnect {e.code}")
        except asyncio.CancelledError:
            events.append("cancelled")
            raise

    async def run() -> None:
        client = Client()
        served = asyncio.ensure_future(client.serve(app))
        await asyncio.sleep(0.05)
        client.disconnect(1001)
        await asyncio.wait_for(served, 5)

    asyncio.run(run())
    assert events == ["disconnect 1001"]


def test_the_servers_own_cancel_still_cancels(quick_sweep: None) -> None:
    app = Flask(__name__)
    torn_down: list[str] = []
    app.teardown_websocket(lambda exc: torn_down.append("teardown"))

    @app.websocket("/ws")
    async def waiter() -> None:
        await websocket.accept()
        await asyncio.Event().wait()

    async def run() -> None:
        served = asyncio.ensure_future(Client().serve(app))
        await asyncio.sleep(0.05)
        served.cancel()
        with pytest.raises(asyncio.CancelledError):
            await served

    asyncio.run(run())
    assert torn_down == ["teardown"]
    assert not any(websockets_module._live.values())  # nothing left to watch
