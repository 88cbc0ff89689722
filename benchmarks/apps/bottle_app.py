"""Bottle: a ``Bottle()`` app with decorated routes and the thread-local request.

Dicts are returned as JSON by Bottle's autojson. Templates use
``bottle.jinja2_template`` (cached by Bottle, autoescape on). The session is
Bottle's own signed cookie (``set_cookie``/``get_cookie`` with ``secret``,
holding a string). The hooks are Bottle's ``before_request`` and
``after_request`` hooks.
"""

# Bottle ships no type information: its decorators leave views untyped.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import bottle  # type: ignore[import-untyped]
from bottle import request, response

from benchmarks.apps import common

TEMPLATE_LOOKUP = [str(common.TEMPLATE_DIR)]


def hello() -> bottle.Bottle:
    app = bottle.Bottle()

    @app.get("/")
    def index() -> str:
        return "Hello, World!"

    return app


def json_param() -> bottle.Bottle:
    app = bottle.Bottle()

    @app.get("/user/<user_id:int>")
    def user(user_id: int) -> dict[str, Any]:
        return {"id": user_id, "name": f"user{user_id}"}

    return app


def query() -> bottle.Bottle:
    app = bottle.Bottle()

    @app.get("/search")
    def search() -> dict[str, Any]:
        page = request.query.get("page")
        return {"q": request.query.get("q"), "page": int(page) if page else None}

    return app


def form_post() -> bottle.Bottle:
    app = bottle.Bottle()

    @app.post("/form")
    def form() -> dict[str, Any]:
        return {"count": len(request.forms)}

    return app


def upload() -> bottle.Bottle:
    app = bottle.Bottle()

    @app.post("/upload")
    def receive_file() -> dict[str, Any]:
        return {"size": len(request.files["file"].file.read())}

    return app


def upload_save() -> bottle.Bottle:
    app = bottle.Bottle()

    @app.post("/upload-save")
    def save_file() -> dict[str, Any]:
        path = common.upload_path()
        request.files["file"].save(path, overwrite=True)
        return {"size": os.path.getsize(path)}

    return app


def template() -> bottle.Bottle:
    app = bottle.Bottle()

    @app.get("/table")
    def table() -> str:
        return bottle.jinja2_template(  # type: ignore[no-any-return]
            common.TEMPLATE_NAME,
            rows=common.ROWS,
            template_lookup=TEMPLATE_LOOKUP,
            template_settings={"autoescape": True},
        )

    return app


def session() -> bottle.Bottle:
    app = bottle.Bottle()

    @app.get("/login")
    def login() -> str:
        response.set_cookie(
            common.SESSION_COOKIE,
            common.SESSION_USER,
            secret=common.SECRET_KEY,
            path="/",
        )
        return "ok"

    @app.get("/session")
    def read() -> str:
        user = request.get_cookie(common.SESSION_COOKIE, secret=common.SECRET_KEY)
        if user is None:
            bottle.abort(400, "no session")
        return str(user)

    return app


def _routes(total: int) -> Callable[[], bottle.Bottle]:
    def build_routes() -> bottle.Bottle:
        app = bottle.Bottle()

        def filler(**params: Any) -> str:
            return "filler"

        rules = {
            "static": "/api/v1/static{}/index",
            "int": "/api/v1/res{}/<item_id:int>",
            "slug": "/api/v1/res{}/<slug>/detail",
        }
        for kind, index in common.route_plan(total):
            app.route(rules[kind].format(index), callback=filler)

        @app.get("/api/v1/users/<user_id:int>/posts/<post_id:int>")
        def post(user_id: int, post_id: int) -> dict[str, Any]:
            return {"user_id": user_id, "post_id": post_id}

        return app

    return build_routes


def middleware_hooks() -> bottle.Bottle:
    app = bottle.Bottle()
    first, second, third = common.BEFORE_HOOKS

    @app.hook("before_request")
    def before_first() -> None:
        request.environ["bench.trace"] = [first]

    @app.hook("before_request")
    def before_second() -> None:
        request.environ["bench.trace"].append(second)

    @app.hook("before_request")
    def before_third() -> None:
        request.environ["bench.trace"].append(third)

    def after(header: str) -> Callable[[], None]:
        def set_header() -> None:
            response.set_header(header, "1")

        return set_header

    for header in common.AFTER_HEADERS:
        app.add_hook("after_request", after(header))

    @app.get("/hooks")
    def hooks() -> str:
        return ",".join(request.environ["bench.trace"])

    return app


BUILDERS: dict[str, Callable[[], bottle.Bottle]] = {
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
}


def build(scenario: str) -> bottle.Bottle:
    """The Bottle app for ``scenario``."""
    builder = BUILDERS.get(scenario)
    if builder is None:
        raise LookupError(f"no Bottle app for scenario {scenario!r}")
    return builder()
