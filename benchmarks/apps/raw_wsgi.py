"""The floor: a hand-written WSGI callable per scenario, no framework.

Every app is a ``RawApp``: route with ``raw_common.Router``, run the hooks if
any, call the handler, send its (status, headers, body). Handlers take the
environ and the route parameters and do the scenario's work with the standard
library (``json``, ``urllib.parse``) and jinja2 / itsdangerous /
python-multipart where the frameworks use them too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
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

Headers = list[tuple[str, str]]
Result = tuple[str, Headers, bytes]
Handler = Callable[..., Result]

TEXT = "text/plain; charset=utf-8"
HTML = "text/html; charset=utf-8"
JSON = "application/json"


def _reply(status: str, content_type: str, body: bytes) -> Result:
    return (
        status,
        [("Content-Type", content_type), ("Content-Length", str(len(body)))],
        body,
    )


class RawApp:
    """Route, run hooks, call the handler, answer."""

    def __init__(
        self,
        router: Router,
        before: tuple[Callable[[dict[str, Any]], None], ...] = (),
        after: tuple[Callable[[Headers], None], ...] = (),
    ):
        self.router = router
        self.before = before
        self.after = after

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        handler, params, known = self.router.match(
            environ["REQUEST_METHOD"], environ["PATH_INFO"]
        )
        if handler is None:
            if known:
                status, headers, body = _reply("405 Method Not Allowed", TEXT, b"")
            else:
                status, headers, body = _reply("404 Not Found", TEXT, b"Not Found")
        else:
            for hook in self.before:
                hook(environ)
            status, headers, body = handler(environ, **params)
            for after in self.after:
                after(headers)
        start_response(status, headers)
        return [body]


def _read_body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _body_chunks(environ: dict[str, Any], size: int = 64 * 1024) -> Iterator[bytes]:
    remaining = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ["wsgi.input"]
    while remaining > 0:
        chunk = stream.read(min(size, remaining))
        if not chunk:
            break
        remaining -= len(chunk)
        yield chunk


def hello() -> RawApp:
    def index(environ: dict[str, Any]) -> Result:
        return _reply("200 OK", TEXT, b"Hello, World!")

    router = Router()
    router.add("GET", "/", index)
    return RawApp(router)


def json_param() -> RawApp:
    def user(environ: dict[str, Any], user_id: int) -> Result:
        return _reply("200 OK", JSON, dumps({"id": user_id, "name": f"user{user_id}"}))

    router = Router()
    router.add("GET", "/user/<int:user_id>", user)
    return RawApp(router)


def query() -> RawApp:
    def search(environ: dict[str, Any]) -> Result:
        args = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        page = args.get("page")
        body = dumps({"q": args.get("q"), "page": int(page) if page else None})
        return _reply("200 OK", JSON, body)

    router = Router()
    router.add("GET", "/search", search)
    return RawApp(router)


def form_post() -> RawApp:
    def form(environ: dict[str, Any]) -> Result:
        count = count_form_fields(_read_body(environ))
        return _reply("200 OK", JSON, dumps({"count": count}))

    router = Router()
    router.add("POST", "/form", form)
    return RawApp(router)


def upload() -> RawApp:
    def receive_file(environ: dict[str, Any]) -> Result:
        size = MultipartSink(environ["CONTENT_TYPE"]).feed(_body_chunks(environ))
        return _reply("200 OK", JSON, dumps({"size": size}))

    router = Router()
    router.add("POST", "/upload", receive_file)
    return RawApp(router)


def upload_save() -> RawApp:
    def save_file(environ: dict[str, Any]) -> Result:
        path = common.upload_path()
        with open(path, "wb") as target:
            MultipartSink(environ["CONTENT_TYPE"], target).feed(_body_chunks(environ))
        return _reply("200 OK", JSON, dumps({"size": os.path.getsize(path)}))

    router = Router()
    router.add("POST", "/upload-save", save_file)
    return RawApp(router)


def template() -> RawApp:
    table_template = load_template()

    def table(environ: dict[str, Any]) -> Result:
        body = table_template.render(rows=common.ROWS).encode()
        return _reply("200 OK", HTML, body)

    router = Router()
    router.add("GET", "/table", table)
    return RawApp(router)


def session() -> RawApp:
    def login(environ: dict[str, Any]) -> Result:
        status, headers, body = _reply("200 OK", TEXT, b"ok")
        headers.append(("Set-Cookie", session_cookie()))
        return status, headers, body

    def read(environ: dict[str, Any]) -> Result:
        user = session_user(environ.get("HTTP_COOKIE", ""))
        if user is None:
            return _reply("400 Bad Request", TEXT, b"no session")
        return _reply("200 OK", TEXT, user.encode())

    router = Router()
    router.add("GET", "/login", login)
    router.add("GET", "/session", read)
    return RawApp(router)


def _routes(total: int) -> Callable[[], RawApp]:
    def build_routes() -> RawApp:
        def filler(environ: dict[str, Any], **params: Any) -> Result:
            return _reply("200 OK", TEXT, b"filler")

        def post(environ: dict[str, Any], user_id: int, post_id: int) -> Result:
            body = dumps({"user_id": user_id, "post_id": post_id})
            return _reply("200 OK", JSON, body)

        router = Router()
        add_filler_routes(router, total, filler)
        router.add("GET", TARGET_RULE, post)
        return RawApp(router)

    return build_routes


def middleware_hooks() -> RawApp:
    first, second, third = common.BEFORE_HOOKS

    def before_first(environ: dict[str, Any]) -> None:
        environ["bench.trace"] = [first]

    def before_second(environ: dict[str, Any]) -> None:
        environ["bench.trace"].append(second)

    def before_third(environ: dict[str, Any]) -> None:
        environ["bench.trace"].append(third)

    def after(header: str) -> Callable[[Headers], None]:
        def set_header(headers: Headers) -> None:
            headers.append((header, "1"))

        return set_header

    def hooks(environ: dict[str, Any]) -> Result:
        return _reply("200 OK", TEXT, ",".join(environ["bench.trace"]).encode())

    router = Router()
    router.add("GET", "/hooks", hooks)
    return RawApp(
        router,
        before=(before_first, before_second, before_third),
        after=tuple(after(header) for header in common.AFTER_HEADERS),
    )


BUILDERS: dict[str, Callable[[], RawApp]] = {
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


def build(scenario: str) -> RawApp:
    """The raw WSGI callable for ``scenario``."""
    builder = BUILDERS.get(scenario)
    if builder is None:
        raise LookupError(f"no raw WSGI app for scenario {scenario!r}")
    return builder()
