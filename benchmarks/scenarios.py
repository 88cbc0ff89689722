"""The scenarios: one request (or websocket conversation) and its expected answer.

A scenario names the app each peer builds for it (``build(scenario.name)``),
the request the driver sends, and ``check``: a function of the response that
returns ``None`` when the answer is right, or a sentence saying what is wrong.
The first and the last response of every measured run go through ``check``;
the smoke test asserts the same thing.

``session`` first sends ``setup`` (GET /login) and replays the cookie it sets.
``upload_save`` is not timed: the memory probe uses it (with a 100 MiB body)
and the smoke test checks it with 1 MiB.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from benchmarks.apps import common

BOUNDARY = "hipflaskbenchmarkboundary7MA4YWxkTrZu0gW"
UPLOAD_BYTES = 1024 * 1024
FORM_FIELDS = (
    ("first_name", "Ada"),
    ("last_name", "Lovelace"),
    ("email", "ada@example.org"),
    ("age", "36"),
    ("city", "London"),
)
WEBSOCKET_MESSAGES = tuple(f"message {index}" for index in range(10))


@dataclass(frozen=True)
class Request:
    """An HTTP request as the drivers send it (header names in any case)."""

    method: str
    path: str
    query: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass(frozen=True)
class Response:
    """What a driver saw: status, headers (names lower-cased) and body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        for key, value in self.headers:
            if key == wanted:
                return value
        return None


@dataclass(frozen=True)
class WebsocketResult:
    """What the websocket driver saw: whether it was accepted, and the echoes."""

    accepted: bool
    received: list[str]


Check = Callable[[Response], "str | None"]


@dataclass(frozen=True)
class Scenario:
    """One benchmark scenario; see the module docstring."""

    name: str
    description: str
    request: Request
    status: int = 200
    check: Check | None = None
    setup: Request | None = None
    protocols: frozenset[str] = frozenset({"wsgi", "asgi"})
    websocket: bool = False
    timed: bool = True

    def verify(self, response: Response) -> str | None:
        """None when ``response`` is the expected answer, else what is wrong."""
        if response.status != self.status:
            return (
                f"expected status {self.status}, got {response.status}: "
                f"{_snippet(response.body)}"
            )
        return self.check(response) if self.check is not None else None

    def verify_websocket(self, result: WebsocketResult) -> str | None:
        """None when the echo conversation went as expected."""
        if not result.accepted:
            return "the websocket was not accepted"
        if result.received != list(WEBSOCKET_MESSAGES):
            return f"expected the 10 messages echoed, got {result.received[:3]!r}..."
        return None


def _snippet(body: bytes, limit: int = 160) -> str:
    text = body[:limit].decode("utf-8", "replace").replace("\n", " ")
    return repr(text + ("..." if len(body) > limit else ""))


def body_equals(expected: bytes) -> Check:
    """A check that the body is exactly ``expected``."""

    def check(response: Response) -> str | None:
        if response.body != expected:
            return f"expected body {expected!r}, got {_snippet(response.body)}"
        return None

    return check


def json_equals(expected: object) -> Check:
    """A check that the body is JSON equal to ``expected``."""

    def check(response: Response) -> str | None:
        try:
            data = json.loads(response.body)
        except ValueError:
            return f"expected JSON {expected!r}, got {_snippet(response.body)}"
        if data != expected:
            return f"expected JSON {expected!r}, got {data!r}"
        return None

    return check


def _check_table(response: Response) -> str | None:
    rows = response.body.count(b"<tr>")
    if rows != len(common.ROWS) + 1:
        return f"expected {len(common.ROWS) + 1} <tr> (header + rows), got {rows}"
    if b"Widget 20 &amp; Co" not in response.body:
        return "the rows are missing or not HTML-escaped ('Widget 20 &amp; Co')"
    return None


def _check_hooks(response: Response) -> str | None:
    trace = sorted(response.body.decode("utf-8", "replace").split(","))
    if trace != list(common.BEFORE_HOOKS):
        return f"expected the before hooks {common.BEFORE_HOOKS}, got {trace}"
    missing = [name for name in common.AFTER_HEADERS if response.header(name) != "1"]
    if missing:
        return f"after hooks did not set {missing}"
    return None


def _check_saved_upload(response: Response) -> str | None:
    # Called in the process that ran the app, so upload_path() is the same.
    path = common.upload_path()
    try:
        size = os.path.getsize(path)
    except OSError:
        return f"no file was saved at {path}"
    finally:
        if os.path.exists(path):
            os.unlink(path)
    try:
        expected = json.loads(response.body)["size"]
    except (ValueError, KeyError, TypeError):
        return f"expected JSON with the size, got {_snippet(response.body)}"
    if size != expected:
        return f"the saved file has {size} bytes, the response says {expected}"
    return None


def both(*checks: Check) -> Check:
    """A check that passes when all ``checks`` pass."""

    def check(response: Response) -> str | None:
        for one in checks:
            problem = one(response)
            if problem is not None:
                return problem
        return None

    return check


def urlencoded_form() -> bytes:
    """The ``form_post`` body: five urlencoded fields."""
    return (
        "&".join(f"{name}={value}" for name, value in FORM_FIELDS)
        .replace("@", "%40")
        .encode()
    )


def multipart_head(filename: str = "data.bin") -> bytes:
    """Everything of a one-file multipart body that comes before the file."""
    return (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()


def multipart_tail() -> bytes:
    """Everything of a one-file multipart body that comes after the file."""
    return f"\r\n--{BOUNDARY}--\r\n".encode()


def multipart_length(size: int) -> int:
    """Content-Length of a one-file multipart body with a ``size``-byte file."""
    return len(multipart_head()) + size + len(multipart_tail())


def multipart_chunks(size: int, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
    """A one-file multipart body, generated piece by piece (never held whole)."""
    yield multipart_head()
    block = bytes(range(256)) * (chunk_size // 256)
    remaining = size
    while remaining > 0:
        piece = block if remaining >= len(block) else block[:remaining]
        remaining -= len(piece)
        yield piece
    yield multipart_tail()


def multipart_upload(size: int) -> bytes:
    """A whole one-file multipart body in memory (for the 1 MiB scenario)."""
    return b"".join(multipart_chunks(size))


MULTIPART_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def _upload_request(size: int, path: str) -> Request:
    return Request(
        "POST",
        path,
        headers=(
            ("Content-Type", MULTIPART_TYPE),
            ("Content-Length", str(multipart_length(size))),
        ),
        body=multipart_upload(size),
    )


_FORM_BODY = urlencoded_form()
_ROUTES_CHECK = json_equals(
    {"user_id": common.TARGET_USER_ID, "post_id": common.TARGET_POST_ID}
)
_ROUTES_PATH = f"/api/v1/users/{common.TARGET_USER_ID}/posts/{common.TARGET_POST_ID}"

SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario(
            "hello",
            "GET / -> 'Hello, World!' as text",
            Request("GET", "/"),
            check=body_equals(b"Hello, World!"),
        ),
        Scenario(
            "json_param",
            "GET /user/<int:id> -> JSON object",
            Request("GET", "/user/42"),
            check=json_equals({"id": 42, "name": "user42"}),
        ),
        Scenario(
            "query",
            "GET /search?q=hipflask&page=2 -> JSON of both args",
            Request("GET", "/search", query="q=hipflask&page=2"),
            check=json_equals({"q": "hipflask", "page": 2}),
        ),
        Scenario(
            "form_post",
            "POST /form, 5 urlencoded fields -> JSON count",
            Request(
                "POST",
                "/form",
                headers=(
                    ("Content-Type", "application/x-www-form-urlencoded"),
                    ("Content-Length", str(len(_FORM_BODY))),
                ),
                body=_FORM_BODY,
            ),
            check=json_equals({"count": len(FORM_FIELDS)}),
        ),
        Scenario(
            "not_found",
            "GET /does-not-exist on the hello app -> 404",
            Request("GET", "/does-not-exist"),
            status=404,
        ),
        Scenario(
            "upload",
            "POST /upload, 1 MiB multipart file -> JSON size",
            _upload_request(UPLOAD_BYTES, "/upload"),
            check=json_equals({"size": UPLOAD_BYTES}),
        ),
        Scenario(
            "template",
            "GET /table -> 20-row Jinja2 table (autoescaped)",
            Request("GET", "/table"),
            check=_check_table,
        ),
        Scenario(
            "session",
            "GET /session -> value read from the signed-cookie session",
            Request("GET", "/session"),
            check=body_equals(common.SESSION_USER.encode()),
            setup=Request("GET", "/login"),
        ),
        Scenario(
            "routes_10",
            "10-rule app: match the last dynamic rule",
            Request("GET", _ROUTES_PATH),
            check=_ROUTES_CHECK,
        ),
        Scenario(
            "routes_1000",
            "1,000-rule app (mixed static/dynamic): match the last dynamic rule",
            Request("GET", _ROUTES_PATH),
            check=_ROUTES_CHECK,
        ),
        Scenario(
            "middleware_hooks",
            "GET /hooks through 3 before-request + 3 after-request hooks",
            Request("GET", "/hooks"),
            check=_check_hooks,
        ),
        Scenario(
            "websocket",
            "websocket /ws: connect, echo 10 text messages, close",
            Request("GET", "/ws"),
            protocols=frozenset({"asgi"}),
            websocket=True,
        ),
        Scenario(
            "upload_save",
            "POST /upload-save, multipart file saved to disk -> JSON size",
            _upload_request(UPLOAD_BYTES, "/upload-save"),
            check=both(json_equals({"size": UPLOAD_BYTES}), _check_saved_upload),
            timed=False,
        ),
    )
}

TIMED = [name for name, scenario in SCENARIOS.items() if scenario.timed]
