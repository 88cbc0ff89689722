"""Starlette: async endpoints in a ``routes=[Route(...)]`` list.

Templates use ``Jinja2Templates``, the session ``SessionMiddleware``. The
before/after hooks are three pure ASGI middleware classes (Starlette's
recommended form; ``BaseHTTPMiddleware`` is slower): each appends to
``request.state.trace`` on the way in and adds a header on the way out.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from benchmarks.apps import common


async def hello(request: Request) -> Response:
    return PlainTextResponse("Hello, World!")


async def user(request: Request) -> Response:
    user_id = request.path_params["user_id"]
    return JSONResponse({"id": user_id, "name": f"user{user_id}"})


async def search(request: Request) -> Response:
    page = request.query_params.get("page")
    return JSONResponse(
        {"q": request.query_params.get("q"), "page": int(page) if page else None}
    )


async def form(request: Request) -> Response:
    async with request.form() as data:
        return JSONResponse({"count": len(data)})


async def upload(request: Request) -> Response:
    async with request.form() as data:
        received = data["file"]
        if isinstance(received, str):
            return PlainTextResponse("expected a file", status_code=400)
        return JSONResponse({"size": len(await received.read())})


async def upload_save(request: Request) -> Response:
    path = common.upload_path()
    async with request.form() as data:
        received = data["file"]
        if isinstance(received, str):
            return PlainTextResponse("expected a file", status_code=400)
        with open(path, "wb") as target:
            while chunk := await received.read(64 * 1024):
                target.write(chunk)
    return JSONResponse({"size": os.path.getsize(path)})


def _template_routes() -> list[BaseRoute]:
    templates = Jinja2Templates(directory=common.TEMPLATE_DIR)

    async def table(request: Request) -> Response:
        return templates.TemplateResponse(
            request, common.TEMPLATE_NAME, {"rows": common.ROWS}
        )

    return [Route("/table", table)]


async def login(request: Request) -> Response:
    request.session["user"] = common.SESSION_USER
    return PlainTextResponse("ok")


async def read_session(request: Request) -> Response:
    return PlainTextResponse(request.session["user"])


async def filler(request: Request) -> Response:
    return PlainTextResponse("filler")


async def post(request: Request) -> Response:
    params = request.path_params
    return JSONResponse({"user_id": params["user_id"], "post_id": params["post_id"]})


def _filler_routes(total: int) -> list[BaseRoute]:
    rules = {
        "static": "/api/v1/static{}/index",
        "int": "/api/v1/res{}/{{item_id:int}}",
        "slug": "/api/v1/res{}/{{slug}}/detail",
    }
    routes: list[BaseRoute] = [
        Route(rules[kind].format(index), filler)
        for kind, index in common.route_plan(total)
    ]
    routes.append(Route("/api/v1/users/{user_id:int}/posts/{post_id:int}", post))
    return routes


class Hook:
    """Pure ASGI middleware: one before hook and one after hook."""

    def __init__(self, app: ASGIApp, position: int):
        self.app = app
        self.name = common.BEFORE_HOOKS[position]
        self.header = common.AFTER_HEADERS[position]
        self.first = position == 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        if self.first:
            state["trace"] = [self.name]
        else:
            state["trace"].append(self.name)

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append(self.header, "1")
            await send(message)

        await self.app(scope, receive, send_with_header)


async def hooks(request: Request) -> Response:
    return PlainTextResponse(",".join(request.state.trace))


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass


def _app(routes: list[BaseRoute], **options: Any) -> Callable[[], Starlette]:
    return lambda: Starlette(routes=routes, **options)


BUILDERS: dict[str, Callable[[], Starlette]] = {
    "hello": _app([Route("/", hello)]),
    "json_param": _app([Route("/user/{user_id:int}", user)]),
    "query": _app([Route("/search", search)]),
    "form_post": _app([Route("/form", form, methods=["POST"])]),
    "not_found": _app([Route("/", hello)]),
    "upload": _app([Route("/upload", upload, methods=["POST"])]),
    "upload_save": _app([Route("/upload-save", upload_save, methods=["POST"])]),
    "template": lambda: Starlette(routes=_template_routes()),
    "session": _app(
        [Route("/login", login), Route("/session", read_session)],
        middleware=[Middleware(SessionMiddleware, secret_key=common.SECRET_KEY)],
    ),
    "routes_10": lambda: Starlette(routes=_filler_routes(10)),
    "routes_1000": lambda: Starlette(routes=_filler_routes(1000)),
    "middleware_hooks": _app(
        [Route("/hooks", hooks)],
        middleware=[Middleware(Hook, position=position) for position in range(3)],
    ),
    "websocket": _app([WebSocketRoute("/ws", echo)]),
}


def build(scenario: str) -> Starlette:
    """The Starlette app for ``scenario``."""
    builder = BUILDERS.get(scenario)
    if builder is None:
        raise LookupError(f"no Starlette app for scenario {scenario!r}")
    return builder()
