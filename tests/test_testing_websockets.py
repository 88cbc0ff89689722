"""The test client's websocket helper (see hipflask.testing_websockets)."""

from __future__ import annotations

import asyncio

import pytest

import hipflask.testing
from hipflask import Flask, WebsocketDisconnect, abort, g, websocket
from hipflask.testing_websockets import WebsocketResponseError


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.events = []  # type: ignore[attr-defined]

    @app.websocket("/echo")
    async def echo() -> None:
        try:
            await websocket.accept(
                headers={"X-Hello": "yes"},
                subprotocol=next(iter(websocket.requested_subprotocols), None),
            )
            g.count = 0
            while True:
                message = await websocket.receive()
                g.count += 1
                await websocket.send(message)
        finally:
            app.events.append("finally")  # type: ignore[attr-defined]

    @app.websocket("/greet")
    async def greet() -> None:
        await websocket.send(f"hi {websocket.args.get('name')} {websocket.host}")

    @app.websocket("/closed")
    async def closed() -> None:
        pass

    return app


def test_echo_through_the_client(app: Flask) -> None:
    async def run() -> list[str | bytes]:
        client = app.test_client()
        async with client.websocket("/echo", subprotocols=["chat"]) as ws:
            assert ws.subprotocol == "chat"
            assert ws.accept_headers == [(b"x-hello", b"yes")]
            await ws.send("text")
            first = await ws.receive()
            await ws.send(b"\x00")
            return [first, await ws.receive()]

    assert asyncio.run(run()) == ["text", b"\x00"]
    assert app.events == ["finally"]  # type: ignore[attr-defined]


def test_handler_end_is_seen_as_close(app: Flask) -> None:
    async def run() -> tuple[str | bytes, int]:
        async with app.test_client().websocket("/greet?name=ann") as ws:
            greeting = await ws.receive()
            with pytest.raises(WebsocketDisconnect) as info:
                await ws.receive()
            with pytest.raises(WebsocketDisconnect):
                await ws.receive()  # still closed
            return greeting, info.value.code

    assert asyncio.run(run()) == ("hi ann localhost", 1000)


@pytest.mark.parametrize("path", ["/closed", "/missing"])
def test_refused_handshake_raises(app: Flask, path: str) -> None:
    async def run() -> None:
        async with app.test_client().websocket(path):
            pass

    with pytest.raises(WebsocketDisconnect):
        asyncio.run(run())


def test_refusal_with_a_response_raises_with_it(app: Flask) -> None:
    @app.websocket("/private")
    async def private() -> None:
        abort(401, "Log in first.")

    async def run(path: str) -> WebsocketResponseError:
        with pytest.raises(WebsocketResponseError) as info:
            async with app.test_client().websocket(path):
                pass
        return info.value

    error = asyncio.run(run("/private"))
    assert isinstance(error, WebsocketDisconnect)
    assert error.code == 1006
    assert error.response.status_code == 401
    assert b"Log in first." in error.response.data
    assert error.response.mimetype == "text/html"
    assert asyncio.run(run("/missing")).response.status_code == 404
    assert hipflask.testing.WebsocketResponseError is WebsocketResponseError


def test_send_checks_its_argument(app: Flask) -> None:
    async def run() -> None:
        async with app.test_client().websocket("/echo") as ws:
            await ws.send(1)  # type: ignore[arg-type]

    with pytest.raises(TypeError, match="str or bytes"):
        asyncio.run(run())


def test_receive_needs_an_open_connection(app: Flask) -> None:
    ws = app.test_client().websocket("/echo")
    with pytest.raises(RuntimeError, match="async with"):
        asyncio.run(ws.receive())
    asyncio.run(ws.close())  # closing what never opened does nothing


def test_json_through_the_client(app: Flask) -> None:
    async def run() -> object:
        async with app.test_client().websocket("/echo") as ws:
            await ws.send_json({"n": [1, "two"]})
            return await ws.receive_json()

    assert asyncio.run(run()) == {"n": [1, "two"]}
