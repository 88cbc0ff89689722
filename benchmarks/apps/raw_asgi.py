"""The ASGI floor: a hand-written ASGI callable per scenario, no framework.

The same work as ``raw_wsgi``, in ASGI's terms: handlers are coroutines
taking the scope, ``receive`` and the route parameters; ``RawAsgiApp`` routes,
runs the hooks, and sends ``http.response.start`` + one ``http.response.body``.
It answers lifespan (no startup work) and the websocket echo.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from benchmarks.apps import common
from benchmarks.apps.raw_common import (
    TARGET_RULE,
    MultipartSink,
    Router,
    add_filler_routes,
    count_form_fields,
    dumps,
    load_template,
    session_cookie,
    session_user,
)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]
Result = tuple[int, Headers, bytes]

TEXT = b"text/plain; charset=utf-8"
HTML = b"text/html; charset=utf-8"
JSON = b"application/json"


def _reply(status: int, content_type: bytes, body: bytes) -> Result:
    return (
        status,
        [(b"content-type", content_type), (b"content-length", str(len(body)).encode())],
        body,
    )


class RawAsgiApp:
    """Route, run hooks, call the handler, answer; plus lifespan and websockets."""

    def __init__(
        self,
        router: Router,
        before: tuple[Callable[[Scope], None], ...] = (),
        after: tuple[Callable[[Headers], None], ...] = (),
    ):
        self.router = router
        self.before = before
        self.after = after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "websocket":
            handler, params, _ = self.router.match("WEBSOCKET", scope["path"])
            if handler is None:
                await send({"type": "websocket.close", "code": 1000})
            else:
                await handler(scope, receive, send, **params)
        elif kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler, params, known = self.router.match(scope["method"], scope["path"])
        if handler is None:
            if known:
                status, headers, body = _reply(405, TEXT, b"")
            else:
                status, headers, body = _reply(404, TEXT, b"Not Found")
        else:
            for hook in self.before:
                hook(scope)
            status, headers, body = await handler(scope, receive, **params)
            for after in self.after:
                after(headers)
        await send(
            {"type": "http.response.start", "status": status, "headers": headers}
        )
        await send({"type": "http.response.body", "body": body})


async def _body_chunks(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


async def _read_body(receive: Receive) -> bytes:
    return b"".join([chunk async for chunk in _body_chunks(receive)])


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")  # type: ignore[no-any-return]
    return ""


async def _feed(sink: MultipartSink, receive: Receive) -> int:
    async for chunk in _body_chunks(receive):
        sink.parser.write(chunk)
    sink.parser.finalize()
    return sink.size


def hello() -> RawAsgiApp:
    async def index(scope: Scope, receive: Receive) -> Result:
        return _reply(200, TEXT, b"Hello, World!")

    router = Router()
    router.add("GET", "/", index)
    return RawAsgiApp(router)


def json_param() -> RawAsgiApp:
    async def user(scope: Scope, receive: Receive, user_id: int) -> Result:
        return _reply(200, JSON, dumps({"id": user_id, "name": f"user{user_id}"}))

    router = Router()
    router.add("GET", "/user/<int:user_id>", user)
    return RawAsgiApp(router)


def query() -> RawAsgiApp:
    async def search(scope: Scope, receive: Receive) -> Result:
        args = dict(parse_qsl(scope["query_string"].decode("latin-1")))
        page = args.get("page")
        body = dumps({"q": args.get("q"), "page": int(page) if page else None})
        return _reply(200, JSON, body)

    router = Router()
    router.add("GET", "/search", search)
    return RawAsgiApp(router)


def form_post() -> RawAsgiApp:
    async def form(scope: Scope, receive: Receive) -> Result:
        count = count_form_fields(await _read_body(receive))
        return _reply(200, JSON, dumps({"count": count}))

    router = Router()
    router.add("POST", "/form", form)
    return RawAsgiApp(router)


def upload() -> RawAsgiApp:
    async def receive_file(scope: Scope, receive: Receive) -> Result:
        size = await _feed(MultipartSink(_header(scope, b"content-type")), receive)
        return _reply(200, JSON, dumps({"size": size}))

    router = Router()
    router.add("POST", "/upload", receive_file)
    return RawAsgiApp(router)


def upload_save() -> RawAsgiApp:
    async def save_file(scope: Scope, receive: Receive) -> Result:
        path = common.upload_path()
        with open(path, "wb") as target:
            await _feed(MultipartSink(_header(scope, b"content-type"), target), receive)
        return _reply(200, JSON, dumps({"size": os.path.getsize(path)}))

    router = Router()
    router.add("POST", "/upload-save", save_file)
    return RawAsgiApp(router)


def template() -> RawAsgiApp:
    table_template = load_template()

    async def table(scope: Scope, receive: Receive) -> Result:
        return _reply(200, HTML, table_template.render(rows=common.ROWS).encode())

    router = Router()
    router.add("GET", "/table", table)
    return RawAsgiApp(router)


def session() -> RawAsgiApp:
    async def login(scope: Scope, receive: Receive) -> Result:
        status, headers, body = _reply(200, TEXT, b"ok")
        headers.append((b"set-cookie", session_cookie().encode("latin-1")))
        return status, headers, body

    async def read(scope: Scope, receive: Receive) -> Result:
        user = session_user(_header(scope, b"cookie"))
        if user is None:
            return _reply(400, TEXT, b"no session")
        return _reply(200, TEXT, user.encode())

    router = Router()
    router.add("GET", "/login", login)
    router.add("GET", "/session", read)
    return RawAsgiApp(router)


def _routes(total: int) -> Callable[[], RawAsgiApp]:
    def build_routes() -> RawAsgiApp:
        async def filler(scope: Scope, receive: Receive, **params: Any) -> Result:
            return _reply(200, TEXT, b"filler")

        async def post(
            scope: Scope, receive: Receive, user_id: int, post_id: int
        ) -> Result:
            return _reply(200, JSON, dumps({"user_id": user_id, "post_id": post_id}))

        router = Router()
        add_filler_routes(router, total, filler)
        router.add("GET", TARGET_RULE, post)
        return RawAsgiApp(router)

    return build_routes


def middleware_hooks() -> RawAsgiApp:
    first, second, third = common.BEFORE_HOOKS

    def before_first(scope: Scope) -> None:
        scope["bench.trace"] = [first]

    def before_second(scope: Scope) -> None:
        scope["bench.trace"].append(second)

    def before_third(scope: Scope) -> None:
        scope["bench.trace"].append(third)

    def after(header: str) -> Callable[[Headers], None]:
        name = header.lower().encode("latin-1")

        def set_header(headers: Headers) -> None:
            headers.append((name, b"1"))

        return set_header

    async def hooks(scope: Scope, receive: Receive) -> Result:
        return _reply(200, TEXT, ",".join(scope["bench.trace"]).encode())

    router = Router()
    router.add("GET", "/hooks", hooks)
    return RawAsgiApp(
        router,
        before=(before_first, before_second, before_third),
        after=tuple(after(header) for header in common.AFTER_HEADERS),
    )


def websocket() -> RawAsgiApp:
    async def echo(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            kind = message["type"]
            if kind == "websocket.connect":
                await send({"type": "websocket.accept"})
            elif kind == "websocket.receive":
                if message.get("text") is not None:
                    await send({"type": "websocket.send", "text": message["text"]})
                else:
                    await send({"type": "websocket.send", "bytes": message["bytes"]})
            else:
                return

    router = Router()
    router.add("WEBSOCKET", "/ws", echo)
    return RawAsgiApp(router)


BUILDERS: dict[str, Callable[[], RawAsgiApp]] = {
    "hello": hello,
    "json_param": json_param,
    "query": query,
    "form_post": form_post,
    "not_found": hello,
    "upload": upload,
    "upload_save": upload_save,
    "template": template,
    "session": session,
    "routes_10": _routes(10),
    "routes_1000": _routes(1000),
    "middleware_hooks": middleware_hooks,
    "websocket": websocket,
}


def build(scenario: str) -> RawAsgiApp:
    """The raw ASGI callable for ``scenario``."""
    builder = BUILDERS.get(scenario)
    if builder is None:
        raise LookupError(f"no raw ASGI app for scenario {scenario!r}")
    return builder()
