"""Falcon (ASGI, ``falcon.asgi.App``): resources with async responders.

Same shapes and idiomatic equivalents as ``falcon_wsgi`` (jinja2 template
loaded once, itsdangerous-signed session cookie, three middleware components
for the hooks), plus the websocket echo through ``on_websocket``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import falcon
import falcon.asgi
from falcon.errors import WebSocketDisconnected
from itsdangerous import BadSignature

from benchmarks.apps import common
from benchmarks.apps.raw_common import SESSION_SERIALIZER, load_template

Request = falcon.asgi.Request
Response = falcon.asgi.Response
if TYPE_CHECKING:
    App = falcon.asgi.App[Request, Response]


class Hello:
    async def on_get(self, req: Request, resp: Response) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "Hello, World!"


class User:
    async def on_get(self, req: Request, resp: Response, user_id: int) -> None:
        resp.media = {"id": user_id, "name": f"user{user_id}"}


class Search:
    async def on_get(self, req: Request, resp: Response) -> None:
        resp.media = {"q": req.get_param("q"), "page": req.get_param_as_int("page")}


class Form:
    async def on_post(self, req: Request, resp: Response) -> None:
        resp.media = {"count": len(await req.get_media())}


class Upload:
    async def on_post(self, req: Request, resp: Response) -> None:
        size = 0
        async for part in await req.get_media():
            if part.name == "file":
                size = len(await part.stream.read())
        resp.media = {"size": size}


class UploadSave:
    async def on_post(self, req: Request, resp: Response) -> None:
        path = common.upload_path()
        async for part in await req.get_media():
            if part.name == "file":
                with open(path, "wb") as target:
                    while chunk := await part.stream.read(64 * 1024):
                        target.write(chunk)
        resp.media = {"size": os.path.getsize(path)}


class Table:
    def __init__(self) -> None:
        self.template = load_template()

    async def on_get(self, req: Request, resp: Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = self.template.render(rows=common.ROWS)


class Login:
    async def on_get(self, req: Request, resp: Response) -> None:
        value = SESSION_SERIALIZER.dumps({"user": common.SESSION_USER})
        resp.set_cookie(common.SESSION_COOKIE, value, secure=False, path="/")
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "ok"


class Session:
    async def on_get(self, req: Request, resp: Response) -> None:
        values = req.get_cookie_values(common.SESSION_COOKIE)
        try:
            data = SESSION_SERIALIZER.loads(values[0]) if values else None
        except BadSignature:
            data = None
        if not data:
            raise falcon.HTTPBadRequest(title="no session")
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = data["user"]


class Filler:
    async def on_get(self, req: Request, resp: Response, **params: Any) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "filler"


class Post:
    async def on_get(
        self, req: Request, resp: Response, user_id: int, post_id: int
    ) -> None:
        resp.media = {"user_id": user_id, "post_id": post_id}


class Hook:
    """One before hook (process_request) and one after hook (process_response)."""

    def __init__(self, position: int):
        self.position = position
        self.name = common.BEFORE_HOOKS[position]
        self.header = common.AFTER_HEADERS[position]

    async def process_request(self, req: Request, resp: Response) -> None:
        if self.position == 0:
            req.context.trace = [self.name]
        else:
            req.context.trace.append(self.name)

    async def process_response(
        self, req: Request, resp: Response, resource: object, req_succeeded: bool
    ) -> None:
        resp.set_header(self.header, "1")


class Hooks:
    async def on_get(self, req: Request, resp: Response) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = ",".join(req.context.trace)


class Echo:
    async def on_websocket(self, req: Request, ws: falcon.asgi.WebSocket) -> None:
        await ws.accept()
        while True:
            try:
                message = await ws.receive_text()
            except WebSocketDisconnected:
                return
            await ws.send_text(message)


def _single(path: str, resource: Callable[[], object]) -> Callable[[], App]:
    def build_one() -> App:
        app = falcon.asgi.App()
        app.add_route(path, resource())
        return app

    return build_one


def session() -> App:
    app = falcon.asgi.App()
    app.add_route("/login", Login())
    app.add_route("/session", Session())
    return app


def _routes(total: int) -> Callable[[], App]:
    def build_routes() -> App:
        app = falcon.asgi.App()
        filler = Filler()
        rules = {
            "static": "/api/v1/static{}/index",
            "int": "/api/v1/res{}/{{item_id:int}}",
            "slug": "/api/v1/res{}/{{slug}}/detail",
        }
        for kind, index in common.route_plan(total):
            app.add_route(rules[kind].format(index), filler)
        app.add_route("/api/v1/users/{user_id:int}/posts/{post_id:int}", Post())
        return app

    return build_routes


def middleware_hooks() -> App:
    app = falcon.asgi.App(middleware=[Hook(position) for position in range(3)])
    app.add_route("/hooks", Hooks())
    return app


BUILDERS: dict[str, Callable[[], App]] = {
    "hello": _single("/", Hello),
    "json_param": _single("/user/{user_id:int}", User),
    "query": _single("/search", Search),
    "form_post": _single("/form", Form),
    "not_found": _single("/", Hello),
    "upload": _single("/upload", Upload),
    "upload_save": _single("/upload-save", UploadSave),
    "template": _single("/table", Table),
    "session": session,
    "routes_10": _routes(10),
    "routes_1000": _routes(1000),
    "middleware_hooks": middleware_hooks,
    "websocket": _single("/ws", Echo),
}


def build(scenario: str) -> App:
    """The Falcon ASGI app for ``scenario``."""
    builder = BUILDERS.get(scenario)
    if builder is None:
        raise LookupError(f"no Falcon ASGI app for scenario {scenario!r}")
    return builder()
