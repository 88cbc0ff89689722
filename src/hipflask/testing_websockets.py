"""The test client's websocket connections (``client.websocket(path)``), as Quart's.

:class:`WebsocketTestConnection` runs the application's websocket scope in a task
on the running event loop and stands in for the server: two queues carry the
ASGI messages each way. Entering it (``async with``) sends ``websocket.connect``
and waits for the application's answer: an accept, or a refusal, which raises
:class:`~hipflask.WebsocketDisconnect` for a close, or
:class:`WebsocketResponseError` (a subclass, with the ``response``) for an HTTP
answer: the connection offers ASGI's ``websocket.http.response`` extension, as
uvicorn does. Leaving it sends
``websocket.disconnect`` and waits for the application to finish, so the
handler's ``finally`` blocks and teardown functions have run afterwards.
"""

from __future__ import annotations

import asyncio
import json
import typing as t
from types import TracebackType
from urllib.parse import urlsplit

from .websockets import WebsocketDisconnect

if t.TYPE_CHECKING:
    from .app import Flask
    from .wrappers import Response

Message = dict[str, t.Any]


class WebsocketResponseError(WebsocketDisconnect):
    """The application refused the handshake with an HTTP ``response``.

    A websocket client sees such a connection end without a close frame (1006).
    """

    def __init__(self, response: Response) -> None:
        super().__init__(1006, f"refused with HTTP {response.status}")
        self.response = response


class WebsocketTestConnection:
    """One websocket conversation with an application, for tests."""

    def __init__(
        self,
        app: Flask,
        path: str,
        *,
        headers: t.Mapping[str, str] | None = None,
        subprotocols: t.Sequence[str] = (),
        scheme: str = "ws",
        host: str = "localhost",
    ) -> None:
        parts = urlsplit(path)
        raw_headers = [(b"host", host.encode("latin-1"))]
        for name, value in (headers or {}).items():
            raw_headers.append(
                (name.lower().encode("latin-1"), value.encode("latin-1"))
            )
        self.app = app
        self.scope: Message = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "scheme": scheme,
            "server": (host, 443 if scheme == "wss" else 80),
            "client": ("127.0.0.1", 0),
            "path": parts.path or "/",
            "raw_path": (parts.path or "/").encode("latin-1"),
            "root_path": "",
            "query_string": parts.query.encode("latin-1"),
            "headers": raw_headers,
            "subprotocols": list(subprotocols),
            "extensions": {"websocket.http.response": {}},
        }
        #: What the application accepted with (None before the accept).
        self.subprotocol: str | None = None
        self.accept_headers: list[tuple[bytes, bytes]] = []
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._close: Message | None = None

    async def _receive(self) -> Message:
        return await self._to_app.get()

    async def _send(self, message: Message) -> None:
        await self._from_app.put(message)

    async def _next(self) -> Message:
        """The application's next message (its end counts as a close 1006)."""
        task = self._task
        if task is None:
            raise RuntimeError("The connection is not open: use 'async with'.")
        getter = asyncio.ensure_future(self._from_app.get())
        await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            return getter.result()
        getter.cancel()
        task.result()  # the application's own error, if it raised
        return {"type": "websocket.close", "code": 1006, "reason": ""}

    def _closed(self, message: Message) -> WebsocketDisconnect:
        self._close = message
        return WebsocketDisconnect(message.get("code", 1000), message.get("reason", ""))

    async def __aenter__(self) -> WebsocketTestConnection:
        self._task = asyncio.ensure_future(
            self.app(self.scope, self._receive, self._send)
        )
        await self._to_app.put({"type": "websocket.connect"})
        message = await self._next()
        if message["type"] == "websocket.http.response.start":
            body = await self._next()
            await self._finish()
            self._close = {"type": "websocket.close", "code": 1006, "reason": ""}
            raise WebsocketResponseError(
                self.app.response_class(
                    body.get("body", b""),
                    message["status"],
                    [
                        (name.decode("latin-1"), value.decode("latin-1"))
                        for name, value in message.get("headers") or ()
                    ],
                )
            )
        if message["type"] != "websocket.accept":
            await self._finish()
            raise self._closed(message)
        self.subprotocol = message.get("subprotocol")
        self.accept_headers = list(message.get("headers") or ())
        return self

    async def send(self, data: str | bytes) -> None:
        """Send a text (str) or binary (bytes) message to the application."""
        if isinstance(data, str):
            await self._to_app.put({"type": "websocket.receive", "text": data})
        elif isinstance(data, bytes):
            await self._to_app.put({"type": "websocket.receive", "bytes": data})
        else:
            raise TypeError(f"Send str or bytes, not {type(data).__name__}.")

    async def receive(self) -> str | bytes:
        """The application's next message; WebsocketDisconnect once it closed."""
        if self._close is not None:
            raise self._closed(self._close)
        message = await self._next()
        if message["type"] == "websocket.send":
            text = message.get("text")
            return text if text is not None else t.cast(bytes, message["bytes"])
        raise self._closed(message)

    async def send_json(self, obj: t.Any) -> None:
        """Send ``obj`` as JSON in a text message."""
        await self.send(json.dumps(obj))

    async def receive_json(self) -> t.Any:
        """The application's next message, parsed as JSON."""
        return json.loads(await self.receive())

    async def close(self, code: int = 1000) -> None:
        """Disconnect (as a client would) and wait for the application to end."""
        if self._task is None:
            return
        if not self._task.done():
            await self._to_app.put({"type": "websocket.disconnect", "code": code})
        await self._finish()

    async def _finish(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            await task

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
