"""Quart: Flask's API with async views (``await request.form``, ``await
render_template``), as Quart's docs write them. ``MAX_CONTENT_LENGTH`` is
raised from Quart's 16 MiB default for the upload apps only.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from quart import Quart, g, render_template, request, session, websocket

from benchmarks.apps import common


def _new_app() -> Quart:
    app = Quart(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = True
    return app


def hello() -> Quart:
    app = _new_app()

    @app.route("/")
    async def index() -> str:
        return "Hello, World!"

    return app


def json_param() -> Quart:
    app = _new_app()

    @app.route("/user/<int:user_id>")
    async def user(user_id: int) -> dict[str, Any]:
        return {"id": user_id, "name": f"user{user_id}"}

    return app


def query() -> Quart:
    app = _new_app()

    @app.route("/search")
    async def search() -> dict[str, Any]:
        return {"q": request.args.get("q"), "page": request.args.get("page", type=int)}

    return app


def form_post() -> Quart:
    app = _new_app()

    @app.route("/form", methods=["POST"])
    async def form() -> dict[str, Any]:
        return {"count": len(await request.form)}

    return app


def upload() -> Quart:
    app = _new_app()
    app.config["MAX_CONTENT_LENGTH"] = common.MAX_UPLOAD_BYTES

    @app.route("/upload", methods=["POST"])
    async def receive_file() -> dict[str, Any]:
        files = await request.files
        return {"size": len(files["file"].read())}

    return app


def upload_save() -> Quart:
    app = _new_app()
    app.config["MAX_CONTENT_LENGTH"] = common.MAX_UPLOAD_BYTES

    @app.route("/upload-save", methods=["POST"])
    async def save_file() -> dict[str, Any]:
        path = common.upload_path()
        files = await request.files
        await files["file"].save(Path(path))
        return {"size": os.path.getsize(path)}

    return app


def template() -> Quart:
    app = _new_app()

    @app.route("/table")
    async def table() -> str:
        return await render_template(common.TEMPLATE_NAME, rows=common.ROWS)

    return app


def session_app() -> Quart:
    app = _new_app()
    app.secret_key = common.SECRET_KEY

    @app.route("/login")
    async def login() -> str:
        session["user"] = common.SESSION_USER
        return "ok"

    @app.route("/session")
    async def read() -> str:
        return str(session["user"])

    return app


def _routes(total: int) -> Callable[[], Quart]:
    def build_routes() -> Quart:
        app = _new_app()

        async def filler(**values: Any) -> str:
            return "filler"

        rules = {
            "static": "/api/v1/static{}/index",
            "int": "/api/v1/res{}/<int:item_id>",
            "slug": "/api/v1/res{}/<slug>/detail",
        }
        for kind, index in common.route_plan(total):
            app.add_url_rule(
                rules[kind].format(index), endpoint=f"filler{index}", view_func=filler
            )

        @app.route("/api/v1/users/<int:user_id>/posts/<int:post_id>")
        async def post(user_id: int, post_id: int) -> dict[str, Any]:
            return {"user_id": user_id, "post_id": post_id}

        return app

    return build_routes


def middleware_hooks() -> Quart:
    app = _new_app()
    first, second, third = common.BEFORE_HOOKS

    @app.before_request
    async def before_first() -> None:
        g.trace = [first]

    @app.before_request
    async def before_second() -> None:
        g.trace.append(second)

    @app.before_request
    async def before_third() -> None:
        g.trace.append(third)

    def after(header: str) -> Callable[[Any], Any]:
        async def set_header(response: Any) -> Any:
            response.headers[header] = "1"
            return response

        return set_header

    for header in common.AFTER_HEADERS:
        app.after_request(after(header))

    @app.route("/hooks")
    async def hooks() -> str:
        return ",".join(g.trace)

    return app


def websocket_app() -> Quart:
    app = _new_app()

    @app.websocket("/ws")
    async def echo() -> None:
        while True:
            await websocket.send(await websocket.receive())

    return app


BUILDERS: dict[str, Callable[[], Quart]] = {
    "hello": hello,
    "json_param": json_param,
    "query": query,
    "form_post": form_post,
    "not_found": hello,
    "upload": upload,
    "upload_save": upload_save,
    "template": template,
    "session": session_app,
    "routes_10": _routes(10),
    "routes_1000": _routes(1000),
    "middleware_hooks": middleware_hooks,
    "websocket": websocket_app,
}


def build(scenario: str) -> Quart:
    """The Quart app for ``scenario``."""
    builder = BUILDERS.get(scenario)
    if builder is None:
        raise LookupError(f"no Quart app for scenario {scenario!r}")
    return builder()
