"""The test client's websocket helper (see hipflask.testing_websockets)."""

from __future__ import annotations

import asyncio

import pytest

from hipflask import Flask, WebsocketDisconnect, g, websocket


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
