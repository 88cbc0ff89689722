"""In-process drivers: call an app the way a server would, with no network.

One driver per protocol, the same for every framework of that protocol, so a
ratio between two frameworks compares frameworks, not drivers.

WSGI: the environ is built once; each request gets a fresh copy of it and a
fresh ``BytesIO`` over the body, calls ``app(environ, start_response)``,
iterates the body and calls ``close()`` when present.

ASGI: the scope is built once; each request gets a shallow copy (with a copy
of the lifespan state, as servers do) and its own ``receive``/``send`` pair.
``receive`` hands out the body messages, then waits until the response is
complete and reports ``http.disconnect``. A whole batch of requests runs in
one coroutine, so one ``run_until_complete`` drives many requests. Lifespan
startup runs once per app, before the first request.

Websocket: a polite client. It sends ``websocket.connect``, waits for the
accept, then sends each text message only after the previous echo came back,
and finally ``websocket.disconnect``.
"""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from time import perf_counter
from typing import Any

from benchmarks.scenarios import WEBSOCKET_MESSAGES, Request, Response, WebsocketResult

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]
WsgiApp = Callable[..., Iterable[bytes]]

SERVER = ("127.0.0.1", 8000)
CLIENT = ("127.0.0.1", 50000)
_DISCONNECT: Message = {"type": "http.disconnect"}


def _header_list(request: Request, cookie: str | None) -> list[tuple[str, str]]:
    headers = [("host", "localhost:8000"), ("user-agent", "hipflask-bench")]
    headers.extend((name.lower(), value) for name, value in request.headers)
    if cookie:
        headers.append(("cookie", cookie))
    return headers


def cookie_from(response: Response) -> str | None:
    """The ``name=value`` pairs of every Set-Cookie in ``response``, joined."""
    pairs = [
        value.split(";", 1)[0].strip()
        for key, value in response.headers
        if key == "set-cookie"
    ]
    return "; ".join(pairs) or None


# -- WSGI -------------------------------------------------------------------


def build_environ(request: Request, cookie: str | None = None) -> dict[str, Any]:
    """A WSGI environ for ``request`` (``wsgi.input`` is set per request)."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": request.path.encode("utf-8").decode("latin-1"),
        "QUERY_STRING": request.query,
        "SERVER_NAME": SERVER[0],
        "SERVER_PORT": str(SERVER[1]),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": CLIENT[0],
        "REMOTE_PORT": str(CLIENT[1]),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in _header_list(request, cookie):
        if name == "content-type":
            environ["CONTENT_TYPE"] = value
        elif name == "content-length":
            environ["CONTENT_LENGTH"] = value
        else:
            key = "HTTP_" + name.upper().replace("-", "_")
            environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def _write(data: bytes) -> None:
    """The ``write`` callable start_response returns; the apps here never use it."""


class WsgiDriver:
    """Sends one request shape to a WSGI app, once (``call``) or n times (``run``)."""

    def __init__(self, app: WsgiApp, request: Request, cookie: str | None = None):
        self.app = app
        self.body = request.body
        self.environ = build_environ(request, cookie)

    def call(self, body_stream: io.RawIOBase | None = None) -> Response:
        """One request; returns what the app answered."""
        captured: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            captured[:] = [status, headers]
            return _write

        environ = self.environ.copy()
        environ["wsgi.input"] = (
            io.BytesIO(self.body)
            if body_stream is None
            else io.BufferedReader(body_stream, 64 * 1024)
        )
        result = self.app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if not captured:
            raise RuntimeError("the app returned without calling start_response")
        status, headers = captured
        return Response(
            int(status.split(" ", 1)[0]),
            [(name.lower(), value) for name, value in headers],
            body,
        )

    def run(self, count: int) -> float:
        """Send ``count`` requests; return the seconds they took."""
        app = self.app
        copy = self.environ.copy
        body = self.body
        bytes_io = io.BytesIO

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            return _write

        started = perf_counter()
        for _ in range(count):
            environ = copy()
            environ["wsgi.input"] = bytes_io(body)
            result = app(environ, start_response)
            for _chunk in result:
                pass
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return perf_counter() - started


class ChunkStream(io.RawIOBase):
    """A readable raw stream over an iterator of byte chunks (for big uploads)."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._pending = memoryview(b"")  # a view: slicing it copies nothing

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            self._pending = memoryview(next(self._chunks, b""))
            if not self._pending:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


# -- ASGI -------------------------------------------------------------------


def build_scope(request: Request, cookie: str | None = None) -> dict[str, Any]:
    """An ASGI http scope for ``request`` (the websocket one is derived from it)."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": "http",
        "path": request.path,
        "raw_path": request.path.encode("utf-8"),
        "query_string": request.query.encode("latin-1"),
        "root_path": "",
        "headers": [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in _header_list(request, cookie)
        ],
        "client": CLIENT,
        "server": SERVER,
        "extensions": {},
    }


class _Exchange:
    """The receive/send pair of one ASGI http request."""

    __slots__ = (
        "body",
        "capture",
        "complete",
        "headers",
        "messages",
        "status",
        "waiter",
    )

    def __init__(self, messages: Iterator[Message], capture: bool):
        self.messages = messages
        self.capture = capture
        self.complete = False
        self.waiter: asyncio.Future[None] | None = None
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []

    async def receive(self) -> Message:
        message = next(self.messages, None)
        if message is not None:
            return message
        # The body is all sent: like a real client, wait for the response.
        if not self.complete:
            if self.waiter is None or self.waiter.done():
                self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter
        return _DISCONNECT

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.body":
            if self.capture:
                self.body.append(message.get("body", b""))
            if not message.get("more_body", False):
                self.complete = True
                waiter = self.waiter
                if waiter is not None and not waiter.done():
                    waiter.set_result(None)
        elif kind == "http.response.start" and self.capture:
            self.status = message["status"]
            self.headers = list(message.get("headers", ()))


def body_messages(body: bytes) -> list[Message]:
    """The ``http.request`` messages of a body held in memory."""
    return [{"type": "http.request", "body": body, "more_body": False}]


def streamed_messages(chunks: Iterable[bytes]) -> Iterator[Message]:
    """``http.request`` messages over generated chunks (never all in memory)."""
    for chunk in chunks:
        yield {"type": "http.request", "body": chunk, "more_body": True}
    yield {"type": "http.request", "body": b"", "more_body": False}


class AsgiDriver:
    """Sends one request shape to an ASGI app inside one event loop."""

    def __init__(
        self,
        app: AsgiApp,
        request: Request,
        cookie: str | None = None,
        state: dict[str, Any] | None = None,
    ):
        self.app = app
        self.scope = build_scope(request, cookie)
        self.state = state if state is not None else {}
        self.messages = body_messages(request.body)

    async def call(self, stream: Iterator[Message] | None = None) -> Response:
        """One request; returns what the app answered."""
        scope = self.scope.copy()
        scope["state"] = self.state.copy()
        exchange = _Exchange(iter(self.messages) if stream is None else stream, True)
        await self.app(scope, exchange.receive, exchange.send)
        if not exchange.status:
            raise RuntimeError("the app returned without sending http.response.start")
        return Response(
            exchange.status,
            [
                (name.decode("latin-1").lower(), value.decode("latin-1"))
                for name, value in exchange.headers
            ],
            b"".join(exchange.body),
        )

    async def run(self, count: int) -> float:
        """Send ``count`` requests; return the seconds they took."""
        app = self.app
        copy = self.scope.copy
        state = self.state
        messages = self.messages
        exchange_type = _Exchange
        started = perf_counter()
        for _ in range(count):
            scope = copy()
            scope["state"] = state.copy()
            exchange = exchange_type(iter(messages), False)
            await app(scope, exchange.receive, exchange.send)
        return perf_counter() - started


class _WebsocketClient:
    """The receive/send pair of one websocket conversation."""

    __slots__ = ("accepted", "closed", "inbox", "received", "sent", "waiter")

    def __init__(self) -> None:
        self.inbox: list[Message] = [{"type": "websocket.connect"}]
        self.inbox.extend(
            {"type": "websocket.receive", "text": text} for text in WEBSOCKET_MESSAGES
        )
        self.inbox.append({"type": "websocket.disconnect", "code": 1000})
        self.inbox.reverse()
        self.accepted = False
        self.closed = False
        self.received: list[str] = []
        self.sent = 0  # messages handed to the app so far
        self.waiter: asyncio.Future[None] | None = None

    def _answered(self) -> bool:
        # Message k (k >= 1) may go once the accept and k - 1 echoes came back.
        return self.closed or len(self.received) + self.accepted >= self.sent

    async def receive(self) -> Message:
        if not self.inbox:
            return {"type": "websocket.disconnect", "code": 1000}
        while not self._answered():
            if self.waiter is None or self.waiter.done():
                self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter
        self.sent += 1
        return self.inbox.pop()

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "websocket.accept":
            self.accepted = True
        elif kind == "websocket.send":
            text = message.get("text")
            if text is None:
                text = (message.get("bytes") or b"").decode("utf-8", "replace")
            self.received.append(text)
        elif kind == "websocket.close":
            self.closed = True
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class WebsocketDriver:
    """Runs the echo conversation against an ASGI app."""

    def __init__(self, app: AsgiApp, request: Request, state: dict[str, Any] | None):
        self.app = app
        scope = build_scope(request)
        scope["type"] = "websocket"
        scope["scheme"] = "ws"
        scope["subprotocols"] = []
        del scope["method"]
        self.scope = scope
        self.state = state if state is not None else {}

    async def call(self) -> WebsocketResult:
        """One conversation; returns what the client saw."""
        scope = self.scope.copy()
        scope["state"] = self.state.copy()
        client = _WebsocketClient()
        await self.app(scope, client.receive, client.send)
        return WebsocketResult(client.accepted, client.received)

    async def run(self, count: int) -> float:
        """Hold ``count`` conversations; return the seconds they took."""
        app = self.app
        copy = self.scope.copy
        state = self.state
        started = perf_counter()
        for _ in range(count):
            scope = copy()
            scope["state"] = state.copy()
            client = _WebsocketClient()
            await app(scope, client.receive, client.send)
        return perf_counter() - started


class Lifespan:
    """Runs an ASGI app's lifespan protocol around the measured requests."""

    def __init__(self, app: AsgiApp):
        self.app = app
        self.state: dict[str, Any] = {}
        self.supported = False
        self._inbox: asyncio.Queue[Message] | None = None
        self._task: asyncio.Task[None] | None = None

    async def startup(self, timeout: float = 10.0) -> None:
        """Send ``lifespan.startup``; raise if the app reports a failure."""
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._inbox = inbox
        started: asyncio.Future[Message] = loop.create_future()

        async def send(message: Message) -> None:
            if message["type"].startswith("lifespan.startup") and not started.done():
                started.set_result(message)

        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self.state,
        }
        inbox.put_nowait({"type": "lifespan.startup"})
        task = loop.create_task(self._guarded(self.app(scope, inbox.get, send)))
        self._task = task
        waiting: set[asyncio.Future[Any]] = {started, task}
        done, _ = await asyncio.wait(
            waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if started in done:
            message = started.result()
            if message["type"] == "lifespan.startup.failed":
                raise RuntimeError(f"lifespan startup failed: {message.get('message')}")
            self.supported = True
        elif task in done:
            # The app raised or returned on the lifespan scope: not supported,
            # which servers accept. Requests go ahead without it.
            self.supported = False
        else:
            raise TimeoutError("the app did not answer lifespan.startup")

    @staticmethod
    async def _guarded(call: Awaitable[None]) -> None:
        try:
            await call
        except Exception:  # an app without lifespan support may raise here
            return

    async def shutdown(self, timeout: float = 10.0) -> None:
        """Send ``lifespan.shutdown`` and wait (bounded) for the app to finish."""
        if self._task is None or self._inbox is None:
            return
        if self.supported:
            self._inbox.put_nowait({"type": "lifespan.shutdown"})
            try:
                await asyncio.wait_for(self._task, timeout)
            except asyncio.TimeoutError:
                pass
        if not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
