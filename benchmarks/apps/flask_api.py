"""The apps written against Flask's API: one code for hipflask and for Flask.

``build(scenario, api)`` takes the module to build with: ``hipflask`` (served
as WSGI and as ASGI by the same object) or ``flask`` (the reference peer, and
a way to check these apps while hipflask is still growing). Each builder
takes from ``api`` only the names its scenario uses, so a name hipflask does
not have yet fails that scenario alone, with a precise reason.

The code is what a Flask user writes: sync views, decorators, ``request``,
``session`` and ``g`` globals. ``PROPAGATE_EXCEPTIONS`` is on so that a
failing view surfaces as its real exception rather than a bare 500.
"""

# The app's type depends on the module that builds it (hipflask or flask), so
# mypy sees ``Any`` and its route decorators as untyped.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import os
from collections.abc import Callable
from types import ModuleType
from typing import Any

from benchmarks.apps import common


def build(scenario: str, api: ModuleType) -> Any:
    """The app for ``scenario``, built with the Flask-compatible module ``api``."""
    builder = _BUILDERS.get(scenario)
    if builder is None:
        raise LookupError(f"no Flask-API app for scenario {scenario!r}")
    return builder(api)


def _new_app(api: ModuleType) -> Any:
    app = api.Flask(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = True
    return app


def hello(api: ModuleType) -> Any:
    app = _new_app(api)

    @app.route("/")
    def index() -> str:
        return "Hello, World!"

    return app


def json_param(api: ModuleType) -> Any:
    app = _new_app(api)

    @app.route("/user/<int:user_id>")
    def user(user_id: int) -> dict[str, Any]:
        return {"id": user_id, "name": f"user{user_id}"}

    return app


def query(api: ModuleType) -> Any:
    app = _new_app(api)
    request, jsonify = api.request, api.jsonify

    @app.route("/search")
    def search() -> Any:
        return jsonify(q=request.args.get("q"), page=request.args.get("page", type=int))

    return app


def form_post(api: ModuleType) -> Any:
    app = _new_app(api)
    request = api.request

    @app.route("/form", methods=["POST"])
    def form() -> dict[str, Any]:
        return {"count": len(request.form)}

    return app


def upload(api: ModuleType) -> Any:
    app = _new_app(api)
    request = api.request

    @app.route("/upload", methods=["POST"])
    def receive_file() -> dict[str, Any]:
        return {"size": len(request.files["file"].read())}

    return app


def upload_save(api: ModuleType) -> Any:
    app = _new_app(api)
    app.config["MAX_CONTENT_LENGTH"] = common.MAX_UPLOAD_BYTES
    request = api.request

    @app.route("/upload-save", methods=["POST"])
    def save_file() -> dict[str, Any]:
        path = common.upload_path()
        request.files["file"].save(path)
        return {"size": os.path.getsize(path)}

    return app


def template(api: ModuleType) -> Any:
    app = _new_app(api)
    render_template = api.render_template

    @app.route("/table")
    def table() -> Any:
        return render_template(common.TEMPLATE_NAME, rows=common.ROWS)

    return app


def session(api: ModuleType) -> Any:
    app = _new_app(api)
    app.secret_key = common.SECRET_KEY
    session = api.session

    @app.route("/login")
    def login() -> str:
        session["user"] = common.SESSION_USER
        return "ok"

    @app.route("/session")
    def read() -> Any:
        return session["user"]

    return app


def _routes(total: int) -> Callable[[ModuleType], Any]:
    def build_routes(api: ModuleType) -> Any:
        app = _new_app(api)

        def filler(**values: Any) -> str:
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
        def post(user_id: int, post_id: int) -> dict[str, Any]:
            return {"user_id": user_id, "post_id": post_id}

        return app

    return build_routes


def middleware_hooks(api: ModuleType) -> Any:
    app = _new_app(api)
    g = api.g
    first, second, third = common.BEFORE_HOOKS

    @app.before_request
    def before_first() -> None:
        g.trace = [first]

    @app.before_request
    def before_second() -> None:
        g.trace.append(second)

    @app.before_request
    def before_third() -> None:
        g.trace.append(third)

    def after(header: str) -> Callable[[Any], Any]:
        def set_header(response: Any) -> Any:
            response.headers[header] = "1"
            return response

        return set_header

    for header in common.AFTER_HEADERS:
        app.after_request(after(header))

    @app.route("/hooks")
    def hooks() -> str:
        return ",".join(g.trace)

    return app


def websocket(api: ModuleType) -> Any:
    """Quart's websocket API, which hipflask is expected to follow."""
    app = _new_app(api)
    websocket = api.websocket

    @app.websocket("/ws")
    async def echo() -> None:
        while True:
            message = await websocket.receive()
            await websocket.send(message)

    return app


_BUILDERS: dict[str, Callable[[ModuleType], Any]] = {
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
