"""FastAPI: typed async path operations, as its tutorial writes them.

Parameters are declared in the signature and validated by FastAPI (path and
query ints, a pydantic form model, ``UploadFile``). Templates use
``Jinja2Templates``; the session is Starlette's ``SessionMiddleware`` (what
FastAPI's docs point to); the hooks are three ``@app.middleware("http")``
functions, FastAPI's documented middleware form.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import FastAPI, Form, Request, UploadFile, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from starlette.middleware.sessions import SessionMiddleware

from benchmarks.apps import common


class Person(BaseModel):
    first_name: str
    last_name: str
    email: str
    age: int
    city: str


def hello() -> FastAPI:
    app = FastAPI()

    @app.get("/", response_class=PlainTextResponse)
    async def index() -> str:
        return "Hello, World!"

    return app


def json_param() -> FastAPI:
    app = FastAPI()

    @app.get("/user/{user_id}")
    async def user(user_id: int) -> dict[str, Any]:
        return {"id": user_id, "name": f"user{user_id}"}

    return app


def query() -> FastAPI:
    app = FastAPI()

    @app.get("/search")
    async def search(q: str, page: int) -> dict[str, Any]:
        return {"q": q, "page": page}

    return app


def form_post() -> FastAPI:
    app = FastAPI()

    @app.post("/form")
    async def form(data: Annotated[Person, Form()]) -> dict[str, Any]:
        return {"count": len(data.model_fields_set)}

    return app


def upload() -> FastAPI:
    app = FastAPI()

    @app.post("/upload")
    async def receive_file(file: UploadFile) -> dict[str, Any]:
        return {"size": len(await file.read())}

    return app


def upload_save() -> FastAPI:
    app = FastAPI()

    @app.post("/upload-save")
    async def save_file(file: UploadFile) -> dict[str, Any]:
        path = common.upload_path()
        with open(path, "wb") as target:
            while chunk := await file.read(64 * 1024):
                target.write(chunk)
        return {"size": os.path.getsize(path)}

    return app


def template() -> FastAPI:
    app = FastAPI()
    templates = Jinja2Templates(directory=common.TEMPLATE_DIR)

    @app.get("/table", response_class=HTMLResponse)
    async def table(request: Request) -> Response:
        return templates.TemplateResponse(
            request, common.TEMPLATE_NAME, {"rows": common.ROWS}
        )

    return app


def session() -> FastAPI:
    app = FastAPI()
    app.add_middleware(SessionMiddleware, secret_key=common.SECRET_KEY)

    @app.get("/login", response_class=PlainTextResponse)
    async def login(request: Request) -> str:
        request.session["user"] = common.SESSION_USER
        return "ok"

    @app.get("/session", response_class=PlainTextResponse)
    async def read(request: Request) -> str:
        return str(request.session["user"])

    return app


def _routes(total: int) -> Callable[[], FastAPI]:
    def build_routes() -> FastAPI:
        app = FastAPI()

        async def filler() -> str:
            return "filler"

        rules = {
            "static": "/api/v1/static{}/index",
            "int": "/api/v1/res{}/{{item_id}}",
            "slug": "/api/v1/res{}/{{slug}}/detail",
        }
        for kind, index in common.route_plan(total):
            app.add_api_route(
                rules[kind].format(index),
                filler,
                response_class=PlainTextResponse,
                name=f"filler{index}",
            )

        @app.get("/api/v1/users/{user_id}/posts/{post_id}")
        async def post(user_id: int, post_id: int) -> dict[str, Any]:
            return {"user_id": user_id, "post_id": post_id}

        return app

    return build_routes


Next = Callable[[Request], Awaitable[Response]]


def middleware_hooks() -> FastAPI:
    app = FastAPI()

    def hook(position: int) -> Callable[[Request, Next], Awaitable[Response]]:
        name = common.BEFORE_HOOKS[position]
        header = common.AFTER_HEADERS[position]

        async def run(request: Request, call_next: Next) -> Response:
            if position == 0:
                request.state.trace = [name]
            else:
                request.state.trace.append(name)
            response = await call_next(request)
            response.headers[header] = "1"
            return response

        return run

    # The middleware added last runs first: add the third hook first.
    for position in (2, 1, 0):
        app.middleware("http")(hook(position))

    @app.get("/hooks", response_class=PlainTextResponse)
    async def hooks(request: Request) -> str:
        return ",".join(request.state.trace)

    return app


def websocket() -> FastAPI:
    app = FastAPI()

    @app.websocket("/ws")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            while True:
                await websocket.send_text(await websocket.receive_text())
        except WebSocketDisconnect:
            pass

    return app


BUILDERS: dict[str, Callable[[], FastAPI]] = {
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


def build(scenario: str) -> FastAPI:
    """The FastAPI app for ``scenario``."""
    builder = BUILDERS.get(scenario)
    if builder is None:
        raise LookupError(f"no FastAPI app for scenario {scenario!r}")
    return builder()
