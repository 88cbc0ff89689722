"""The debug error page (issue #7): what it shows, what it hides, when it is served.

The first half renders pages for exceptions raised here (content, escaping,
caps, secrets, chains, frame folding). The second half serves apps through
:class:`~hipflask.debug.DebuggedApplication` under both protocols with the test
client, checks that without it (or with debug off) nothing changes, and serves
``examples/debug_demo.py`` with real servers.
"""

from __future__ import annotations

import asyncio
import html
import http.client
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import typing as t
import uuid
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

import hipflask.debug
from hipflask import Flask, request
from hipflask.debug import (
    DEBUGGER_KEY,
    MAX_CHAIN,
    MAX_FRAMES,
    MAX_LOCALS,
    MAX_MESSAGE,
    MAX_REPR,
    MAX_TEXT,
    DebuggedApplication,
    is_library_file,
    render_debug_page,
    render_debug_response,
    served_with_debugger,
)
from hipflask.http.datastructures import Headers
from hipflask.http.request import Request
from hipflask.testing import FlaskClient

ROOT = Path(__file__).resolve().parents[1]
SECRET = f"key-{uuid.uuid4().hex}"
#: The only elements and attributes the page may contain: nothing that runs,
#: loads, links or submits.
ALLOWED_TAGS = frozenset(
    {
        *("html", "head", "meta", "title", "style", "body", "header", "main"),
        *("footer", "section", "div", "h1", "h2", "h3", "p", "small", "table"),
        *("tr", "th", "td", "details", "summary", "code", "pre", "span", "textarea"),
    }
)
ALLOWED_ATTRIBUTES = frozenset(
    {
        *("lang", "charset", "name", "content", "class", "open", "readonly"),
        *("spellcheck", "aria-label"),
    }
)


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def capture(func: Callable[[], object]) -> BaseException:
    """The exception ``func`` raises."""
    try:
        func()
    except BaseException as error:
        return error
    raise AssertionError("expected an exception")


def locals_table(page: str) -> dict[str, str]:
    """Every ``name -> escaped value`` row of the page's locals tables."""
    rows = re.findall(
        r'<tr><td><code>([^<]*)</code></td><td class="value">([^<]*)</td></tr>', page
    )
    return dict(rows)


def assert_inert(page: str) -> None:
    markup = _Markup()
    markup.feed(page)
    markup.close()
    assert markup.tags <= ALLOWED_TAGS, markup.tags - ALLOWED_TAGS
    assert markup.attributes <= ALLOWED_ATTRIBUTES
    style = "".join(markup.styles)
    assert "url(" not in style
    assert "@import" not in style
    assert "<script" not in page.lower()


# -- content ------------------------------------------------------------------------


def failing_view(divisor: int) -> float:
    numbers = [1, 2, 3]
    label = "total"  # noqa: F841 (shown on the page)
    return sum(numbers) / divisor


def test_page_shows_exception_frames_source_locals_and_traceback() -> None:
    error = capture(lambda: failing_view(0))
    page = render_debug_page(error)
    assert "<h1>ZeroDivisionError</h1>" in page
    assert '<p class="message">division by zero</p>' in page
    assert "<code>failing_view</code>" in page
    assert f"{html.escape(__file__)}, line " in page
    # The source line, marked current, and its neighbours.
    assert re.search(
        r'<span class="current">\s*\d+\s+return sum\(numbers\) / divisor</span>', page
    )
    assert "numbers = [1, 2, 3]" in page
    table = locals_table(page)
    assert table["divisor"] == "0"
    assert table["numbers"] == "[1, 2, 3]"
    assert table["label"] == "&#x27;total&#x27;"
    plain = re.search(r"<textarea readonly[^>]*>(.*)</textarea>", page, re.S)
    assert plain is not None
    text = html.unescape(plain.group(1))
    assert text.startswith("Traceback (most recent call last):\n")
    assert "in failing_view\n    return sum(numbers) / divisor" in text
    assert text.endswith("ZeroDivisionError: division by zero\n")
    assert "No request information." in page
    assert_inert(page)


def test_application_frames_open_library_frames_folded() -> None:
    error = capture(lambda: json.loads("{"))
    page = render_debug_page(error)
    frames = re.findall(r'<details class="frame (\w+)"( open)?>', page)
    kinds = [kind for kind, _ in frames]
    assert kinds[:2] == ["app", "app"]  # capture() and the lambda, in this file
    assert set(kinds[2:]) == {"library"}  # json's decoder
    assert all(bool(opened) == (kind == "app") for kind, opened in frames)
    assert "<code>raw_decode</code>" in page


@pytest.mark.parametrize(
    ("filename", "library"),
    [
        (json.__file__, True),
        (logging.__file__, True),
        (hipflask.debug.__file__, True),
        (pytest.__file__, True),
        ("/somewhere/lib/python3.11/site-packages/pkg/mod.py", True),
        ("/usr/lib/python3/dist-packages/pkg/mod.py", True),
        ("<frozen importlib._bootstrap>", True),
        (__file__, False),
        (str(ROOT / "examples" / "debug_demo.py"), False),
        ("<string>", False),
        ("<template>", False),
        ("relative/app.py", False),
    ],
)
def test_library_files(filename: str, library: bool) -> None:
    assert is_library_file(filename) is library


def test_exception_notes_and_qualified_names() -> None:
    error = capture(lambda: json.loads("{"))
    error.__notes__ = ["a note <b>"]  # type: ignore[attr-defined]
    page = render_debug_page(error)
    assert "<h1>json.decoder.JSONDecodeError</h1>" in page
    assert '<p class="note">a note &lt;b&gt;</p>' in page


# -- chains -------------------------------------------------------------------------


EMPTY: dict[str, int] = {}


def raise_cause() -> None:
    try:
        EMPTY["first"]
    except KeyError as error:
        raise ValueError("second") from error


def raise_context() -> None:
    try:
        EMPTY["first"]
    except KeyError:
        raise ValueError("second")  # noqa: B904


def raise_suppressed() -> None:
    try:
        EMPTY["first"]
    except KeyError:
        raise ValueError("second") from None


@pytest.mark.parametrize(
    ("func", "link"),
    [
        (raise_cause, "The above exception was the direct cause"),
        (raise_context, "During handling of the above exception"),
        (raise_suppressed, None),
    ],
)
def test_chained_exceptions_in_python_order(
    func: Callable[[], None], link: str | None
) -> None:
    page = render_debug_page(capture(func))
    second = page.index("<h3>ValueError: second</h3>")
    first = page.find("<h3>KeyError: &#x27;first&#x27;</h3>")
    if link is None:
        assert first == -1
        assert "The above exception" not in page
        assert "During handling" not in page
    else:
        assert 0 < first < page.index(link) < second
    assert page.index("<h1>ValueError</h1>") < second


def test_cyclic_and_long_chains_end() -> None:
    first, second = ValueError("one"), KeyError("two")
    first.__context__, second.__context__ = second, first
    page = render_debug_page(first)
    assert page.count('<div class="exception">') == 2

    newest = ValueError("e0")
    current = newest
    for number in range(1, MAX_CHAIN + 5):
        older = ValueError(f"e{number}")
        current.__cause__ = older
        current = older
    page = render_debug_page(newest)
    assert page.count('<div class="exception">') == MAX_CHAIN
    assert "5 earlier chained exceptions omitted." in page
    assert "<h3>ValueError: e0</h3>" in page
    assert f"<h3>ValueError: e{MAX_CHAIN}</h3>" not in page


# -- escaping and inertness ---------------------------------------------------------

MALICIOUS = [
    "<script>alert(1)</script>",
    "</textarea><script>alert(2)</script>",
    '"><img src=x onerror=alert(3)>',
    "</pre></details><form action=//evil.example><button>go</button>",
    "<!-- --><style>@import url(//evil.example/x.css)</style>",
    "'; background: url(javascript:alert(4)); '",
]


@pytest.mark.parametrize("payload", MALICIOUS)
def test_everything_is_escaped(payload: str) -> None:
    def view(value: str) -> None:
        local_copy = {"key": value, value: [value]}  # noqa: F841
        raise RuntimeError(value)

    error = capture(lambda: view(payload))
    error.__notes__ = [payload]  # type: ignore[attr-defined]
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/x",
        "QUERY_STRING": "q%3Cscript%3E=1",
        "HTTP_X_EVIL": payload,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
    }
    page = render_debug_page(error, Request(environ))
    assert payload not in page
    assert html.escape(payload) in page
    assert page.count("</textarea>") == 1
    assert_inert(page)


def test_response_headers_forbid_active_content() -> None:
    response = render_debug_response(capture(lambda: 1 / 0))
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "form-action 'none'" in policy
    assert "script-src" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "ZeroDivisionError" in response.get_data(as_text=True)


# -- bad reprs and big values -------------------------------------------------------


class BrokenRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


class BrokenStr(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no str")


def test_failing_repr_and_str_leave_placeholders() -> None:
    def view() -> None:
        broken = BrokenRepr()  # noqa: F841
        nested = [1, BrokenRepr()]  # noqa: F841
        raise BrokenStr()

    page = render_debug_page(capture(view))
    table = locals_table(page)
    placeholder = "&lt;unrepresentable BrokenRepr object: RuntimeError in repr&gt;"
    assert table["broken"] == placeholder
    assert table["nested"] == f"[1, {placeholder}]"
    assert '<p class="message">&lt;exception str() failed&gt;</p>' in page


def test_big_values_are_capped() -> None:
    def view() -> None:
        text = "x" * 1_000_000  # noqa: F841
        data = b"y" * 1_000_000  # noqa: F841
        array = bytearray(1_000_000)  # noqa: F841
        numbers = list(range(100_000))  # noqa: F841
        mapping = {str(n): n for n in range(10_000)}  # noqa: F841
        huge_int = 10**5000  # noqa: F841
        nested: list[object] = []
        for _ in range(100):
            nested = [nested]
        raise ValueError("big")

    page = render_debug_page(capture(view))
    assert len(page) < 40_000
    table = locals_table(page)
    assert set(table) >= {"text", "data", "array", "numbers", "mapping", "huge_int"}
    for value in table.values():
        assert len(html.unescape(value)) <= MAX_REPR
    assert table["huge_int"] == "&lt;int of 16610 bits&gt;"
    assert table["numbers"].startswith("[0, 1, 2,")
    assert table["numbers"].endswith("...]")
    assert re.fullmatch(r"&#x27;x+\.\.\.x+&#x27;", table["text"])
    assert table["data"].startswith("b&#x27;yyy")
    assert table["nested"] == "[[[[...]]]]"


def test_long_messages_and_tracebacks_are_capped() -> None:
    message = "m" * (MAX_TEXT + 50_000)
    page = render_debug_page(capture(lambda: failing_message(message)))
    assert len(page) < MAX_TEXT + 3 * MAX_MESSAGE + 20_000
    assert "characters omitted ...]" in page
    assert "m" * MAX_MESSAGE not in page.split("<textarea")[0]


def failing_message(message: str) -> None:
    raise ValueError(message)


def _generated(name: str, count: int, body: str) -> Callable[..., t.Any]:
    """A function with ``count`` locals ``v0``... then ``body`` (one line)."""
    lines = [f"def {name}(depth):"]
    lines += [f"    v{n} = {n}" for n in range(count)]
    lines.append(f"    {body}")
    namespace: dict[str, t.Any] = {}
    exec("\n".join(lines), namespace)
    return t.cast(Callable[..., t.Any], namespace[name])


def test_locals_per_frame_capped() -> None:
    many = _generated("many", 100, "raise ValueError('many')")
    page = render_debug_page(capture(lambda: many(0)))
    table = locals_table(page)
    assert "depth" in table
    assert f"v{MAX_LOCALS - 2}" in table
    assert f"v{MAX_LOCALS - 1}" not in table
    assert f"{101 - MAX_LOCALS} more local variables not shown." in page


def test_frames_and_locals_on_one_page_capped() -> None:
    deep = _generated("deep", 30, "return deep(depth - 1) if depth else 1 / 0")
    error = capture(lambda: deep(300))
    page = render_debug_page(error)
    frames = page.count('<details class="frame')
    assert frames == MAX_FRAMES
    omitted = len(list(_walk(error))) - MAX_FRAMES
    assert f"... {omitted} frames omitted ..." in page
    # 31 locals in each of ~48 frames is past the page's total.
    assert "Local variables not shown: page limit." in page
    assert len(page) < 600_000


def _walk(error: BaseException) -> Iterator[object]:
    tb = error.__traceback__
    while tb is not None:
        yield tb.tb_frame
        tb = tb.tb_next


def test_module_level_frames_do_not_list_globals() -> None:
    value = "-".join(["global", "value"])  # not in this file's source text
    namespace: dict[str, t.Any] = {"SOMETHING": value}
    code = compile("raise ValueError('module')", "module_file.py", "exec")
    error = capture(lambda: exec(code, namespace))
    page = render_debug_page(error)
    module_frame = page.split("<code>&lt;module&gt;</code>")[1].split("</details>")[0]
    assert "Module-level names are not listed." in module_frame
    assert "<table" not in module_frame
    assert value not in module_frame


# -- secrets ------------------------------------------------------------------------


def fresh(tag: str) -> str:
    """A value that appears nowhere in this file (the page shows its source)."""
    return f"{tag}-{uuid.uuid4().hex}"


def test_secrets_are_hidden() -> None:
    app = Flask("secrets")
    token, password_value, cookie, csrf = map(fresh, ["tok", "pw", "sid", "csrf"])
    app.config.update(SECRET_KEY=SECRET, API_TOKEN=token)

    def view() -> None:
        key = SECRET  # noqa: F841
        password = password_value  # noqa: F841
        settings = app.config  # noqa: F841
        environ = {"HTTP_COOKIE": cookie, "HTTP_AUTHORIZATION": token}  # noqa: F841
        headers = Headers([("Cookie", cookie), ("Accept", "text/html")])  # noqa: F841
        asgi_headers = [(b"cookie", cookie.encode()), (b"accept", b"*/*")]  # noqa: F841
        nested = [{"csrf_token": csrf}, SECRET.encode()]  # noqa: F841
        raise ValueError(f"bad key {SECRET}")

    with app.app_context():
        page = render_debug_page(capture(view))
    for value in (SECRET, token, password_value, cookie, csrf):
        assert value not in page
    table = locals_table(page)
    assert table["key"] == "******"
    assert table["password"] == "******"
    assert table["settings"] == f"&lt;Config: {len(app.config)} keys, values hidden&gt;"
    assert table["environ"] == (
        "{&#x27;HTTP_COOKIE&#x27;: ******, &#x27;HTTP_AUTHORIZATION&#x27;: ******}"
    )
    assert table["headers"] == (
        "Headers([(&#x27;Cookie&#x27;, ******),"
        " (&#x27;Accept&#x27;, &#x27;text/html&#x27;)])"
    )
    assert table["asgi_headers"] == (
        "[(b&#x27;cookie&#x27;, ******), (b&#x27;accept&#x27;, b&#x27;*/*&#x27;)]"
    )
    assert table["nested"] == "[{&#x27;csrf_token&#x27;: ******}, ******]"
    assert "bad key ******" in page


def test_config_argument_supplies_secrets_outside_an_app_context() -> None:
    secret = fresh("plain")

    def view() -> None:
        value = secret  # noqa: F841
        raise ValueError("x")

    error = capture(view)
    assert secret in render_debug_page(error)
    page = render_debug_page(error, config={"MY_SECRET": secret})
    assert secret not in page


def test_request_summary_hides_cookie_and_authorization_values() -> None:
    cookie = f"session={fresh('s')}; theme=dark"
    authorization = f"Basic {fresh('u')}"
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/submit",
        "QUERY_STRING": "page=2&q=term",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "example.test",
        "HTTP_COOKIE": cookie,
        "HTTP_AUTHORIZATION": authorization,
        "HTTP_X_TRACE": "trace-1",
        "REMOTE_ADDR": "10.0.0.9",
        "wsgi.url_scheme": "https",
    }
    page = render_debug_page(capture(lambda: 1 / 0), Request(environ))
    assert '<tr><th>Method</th><td class="value">POST</td></tr>' in page
    assert "https://example.test/submit?page=2&amp;q=term" in page
    assert "10.0.0.9" in page
    assert "page, q (values not shown)" in page
    assert "session, theme (values not shown)" in page
    assert "(the body was not read as a form)" in page
    assert '<tr><th>X-Trace</th><td class="value">trace-1</td></tr>' in page
    assert f'<th>Cookie</th><td class="value">(hidden, {len(cookie)} char' in page
    assert f"(hidden, {len(authorization)} characters)" in page
    assert cookie.split(";", maxsplit=1)[0].split("=")[1] not in page
    assert authorization not in page


# -- served through the debugger ----------------------------------------------------


@pytest.fixture
def debug_app() -> Flask:
    """An app in debug mode, not testing, as ``hipflask run --debug`` serves it."""
    app = Flask("debug_app", root_path="/nonexistent-root")
    app.config.update(DEBUG=True, TESTING=False, SECRET_KEY=SECRET)
    return app


@pytest.fixture
def debugged(debug_app: Flask, protocol: str) -> FlaskClient:
    """A test client talking to the app through the debugger wrapper."""
    return FlaskClient(DebuggedApplication(debug_app), asgi=protocol == "asgi")


def add_failing_views(app: Flask, torn_down: list[BaseException | None]) -> None:
    @app.route("/boom", methods=["GET", "POST"])
    def boom() -> str:
        fields = request.form.to_dict()
        password = "hunter22"  # noqa: F841
        return str(len(fields) / 0)

    @app.get("/async-boom")
    async def async_boom() -> str:
        await asyncio.sleep(0)
        missing = "nope"
        return {"present": "1"}[missing]

    @app.teardown_request
    def record(error: BaseException | None) -> None:
        torn_down.append(error)


def test_debug_page_served_for_a_sync_view(
    debug_app: Flask, debugged: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    torn_down: list[BaseException | None] = []
    add_failing_views(debug_app, torn_down)
    cookie, authorization = f"sid={fresh('v')}", fresh("Bearer")
    response = debugged.post(
        "/boom?page=2",
        data={"title": "a form value", "body": "more"},
        headers={"Cookie": cookie, "Authorization": authorization},
    )
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    page = response.get_data(as_text=True)
    assert "<h1>ZeroDivisionError</h1>" in page
    assert '<details class="frame app" open><summary><code>boom</code>' in page
    assert "return str(len(fields) / 0)" in page
    table = locals_table(page)
    assert html.unescape(table["fields"]) == "{'title': 'a form value', 'body': 'more'}"
    assert table["password"] == "******"
    assert '<tr><th>Endpoint</th><td class="value">boom</td></tr>' in page
    assert "http://localhost/boom?page=2" in page
    assert "body, title (values not shown)" in page
    for hidden in (cookie, authorization, SECRET):
        assert hidden not in page
    assert "ZeroDivisionError: division by zero\n</textarea>" in page
    assert_inert(page)
    # Logged for the console, and teardown saw the error, as when it propagates.
    assert [record.getMessage() for record in caplog.records] == [
        "Exception on /boom [POST]"
    ]
    assert caplog.records[0].exc_info is not None
    assert isinstance(torn_down[0], ZeroDivisionError)


def test_debug_page_served_for_an_async_view(
    debug_app: Flask, debugged: FlaskClient
) -> None:
    add_failing_views(debug_app, [])
    response = debugged.get("/async-boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "<h1>KeyError</h1>" in page
    assert "<code>async_boom</code>" in page
    assert locals_table(page)["missing"] == "&#x27;nope&#x27;"


def test_head_request_gets_headers_only(
    debug_app: Flask, debugged: FlaskClient
) -> None:
    add_failing_views(debug_app, [])
    response = debugged.head("/boom")
    assert response.status_code == 500
    assert response.get_data() == b""
    assert int(response.headers["Content-Length"]) > 1000


def test_test_client_still_raises(debug_app: Flask, protocol: str) -> None:
    # Flask semantics (its test_exception_propagation[DEBUG]): without the
    # development server's debugger, the exception reaches the caller.
    add_failing_views(debug_app, [])
    client = debug_app.test_client(asgi=protocol == "asgi")
    with pytest.raises(ZeroDivisionError):
        client.get("/boom")


def test_testing_mode_client_raises(app: Flask, client: FlaskClient) -> None:
    app.debug = True
    add_failing_views(app, [])
    with pytest.raises(KeyError):
        client.get("/async-boom")


@pytest.mark.parametrize("propagate", [None, False])
def test_debug_off_gives_plain_500_and_logs(
    debug_app: Flask,
    debugged: FlaskClient,
    caplog: pytest.LogCaptureFixture,
    propagate: bool | None,
) -> None:
    debug_app.config.update(DEBUG=False, PROPAGATE_EXCEPTIONS=propagate)
    torn_down: list[BaseException | None] = []
    add_failing_views(debug_app, torn_down)
    response = debugged.get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Internal Server Error" in page
    for detail in ("ZeroDivisionError", "Traceback", "boom", "hunter22"):
        assert detail not in page
    assert "Content-Security-Policy" not in response.headers
    assert [record.getMessage() for record in caplog.records] == [
        "Exception on /boom [GET]"
    ]
    logged = caplog.records[0].exc_info
    assert logged is not None and logged[0] is ZeroDivisionError
    assert isinstance(torn_down[0], ZeroDivisionError)


def test_handled_exceptions_stay_handled_in_debug_mode(
    debug_app: Flask, debugged: FlaskClient
) -> None:
    # PROPAGATE_EXCEPTIONS=False: the app handles errors even in debug mode.
    debug_app.config["PROPAGATE_EXCEPTIONS"] = False
    add_failing_views(debug_app, [])
    response = debugged.get("/boom")
    assert response.status_code == 500
    assert "ZeroDivisionError" not in response.get_data(as_text=True)


def test_debug_off_and_propagating_reaches_the_server(
    debug_app: Flask, debugged: FlaskClient
) -> None:
    debug_app.config.update(DEBUG=False, PROPAGATE_EXCEPTIONS=True)
    add_failing_views(debug_app, [])
    with pytest.raises(ZeroDivisionError):
        debugged.get("/boom")


def test_requests_are_marked(debug_app: Flask, debugged: FlaskClient) -> None:
    seen: list[bool] = []

    @debug_app.get("/")
    def index() -> str:
        seen.append(served_with_debugger(request))
        return "ok"

    assert debugged.get("/").get_data() == b"ok"
    debug_app.test_client().get("/")
    assert seen == [True, False]


def test_preserved_contexts_still_work(debug_app: Flask, debugged: FlaskClient) -> None:
    @debug_app.get("/")
    def index() -> str:
        return "ok"

    with debugged:
        debugged.get("/?x=1")
        assert request.args["x"] == "1"


# -- errors that escape the app ----------------------------------------------------


def test_errors_outside_the_pipeline(
    debug_app: Flask, debugged: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_wsgi(environ: dict[str, t.Any], start_response: t.Any) -> t.Any:
        marker = environ.get(DEBUGGER_KEY)  # noqa: F841
        raise LookupError("middleware <failed>")

    async def broken_asgi(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        marker = scope["extensions"]["hipflask.environ"].get(DEBUGGER_KEY)  # noqa: F841
        raise LookupError("middleware <failed>")

    debug_app.wsgi_app = broken_wsgi  # type: ignore[method-assign]
    debug_app.asgi_app = broken_asgi  # type: ignore[method-assign]
    cookie = f"sid={fresh('v')}"
    response = debugged.get("/x?y=1", headers={"Cookie": cookie})
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<p class="message">middleware &lt;failed&gt;</p>' in page
    assert locals_table(page)["marker"] == "True"
    assert "http://localhost/x?y=1" in page
    assert (
        f'<th>Cookie</th><td class="value">(hidden, {len(cookie)} characters)' in page
    )
    assert cookie not in page
    assert [record.getMessage() for record in caplog.records] == [
        "Exception on /x [GET]"
    ]


def test_escaping_errors_pass_through_with_debug_off(
    debug_app: Flask, debugged: FlaskClient
) -> None:
    def broken(*args: t.Any) -> t.Any:
        raise LookupError("middleware failed")

    async def broken_asgi(*args: t.Any) -> None:
        raise LookupError("middleware failed")

    debug_app.debug = False
    debug_app.wsgi_app = broken  # type: ignore[method-assign,assignment]
    debug_app.asgi_app = broken_asgi  # type: ignore[method-assign,assignment]
    with pytest.raises(LookupError):
        debugged.get("/")


def test_any_wsgi_app_can_be_wrapped() -> None:
    def plain(environ: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
        raise OSError("disk on fire")

    response = FlaskClient(DebuggedApplication(plain)).get("/")
    assert response.status_code == 500
    assert "<h1>OSError</h1>" in response.get_data(as_text=True)

    # An environ too broken to build a request from still gets the page.
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: t.Any, exc_info: t.Any = None) -> None:
        started.append((status, headers))

    environ = {"REQUEST_METHOD": None, "PATH_INFO": "/", "QUERY_STRING": "\udcff"}
    body = b"".join(DebuggedApplication(plain)(environ, start_response))
    assert started[0][0] == "500 INTERNAL SERVER ERROR"
    assert ("Content-Length", str(len(body))) in started[0][1]
    assert b"No request information." in body
    assert b"disk on fire" in body


def run_asgi(app: t.Any, scope: dict[str, t.Any], incoming: list[t.Any]) -> list[t.Any]:
    """Run ``app`` on one scope; the messages it sent."""
    sent: list[t.Any] = []

    async def receive() -> t.Any:
        return incoming.pop(0)

    async def send(message: t.Any) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


HTTP_SCOPE = {
    "type": "http",
    "method": "GET",
    "path": "/",
    "query_string": b"",
    "headers": [],
    "scheme": "http",
}


def test_asgi_error_after_the_response_started_reaches_the_server() -> None:
    async def late_failure(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("mid-stream")

    with pytest.raises(RuntimeError, match="mid-stream"):
        run_asgi(DebuggedApplication(late_failure), dict(HTTP_SCOPE), [])


def test_asgi_scope_is_copied_and_other_scopes_pass_through() -> None:
    scopes: list[dict[str, t.Any]] = []

    async def recorder(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        scopes.append(scope)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    original = {**HTTP_SCOPE, "extensions": {"hipflask.environ": {"k": "v"}}}
    sent = run_asgi(DebuggedApplication(recorder), original, [])
    assert sent[0]["status"] == 204
    assert scopes[0]["extensions"]["hipflask.environ"] == {"k": "v", DEBUGGER_KEY: True}
    assert original["extensions"] == {"hipflask.environ": {"k": "v"}}

    app = Flask("lifespan")
    sent = run_asgi(
        DebuggedApplication(app),
        {"type": "lifespan"},
        [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}],
    )
    assert [message["type"] for message in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]


def test_wrapper_is_seen_as_asgi_by_interface_guessing_servers() -> None:
    assert asyncio.iscoroutinefunction(DebuggedApplication(Flask("x")).__call__)


# -- real servers -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(port: int, path: str) -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, headers, response.read().decode()
    finally:
        connection.close()


def wait_until_serving(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}")
        try:
            fetch(port, "/")
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail("the server did not answer within 20 s")


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[[list[str], int], None]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(command: list[str], port: int) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("FLASK_", "HIPFLASK_", "PYTEST_"))
        }
        env["HIPFLASK_SKIP_DOTENV"] = "1"
        with (tmp_path / f"server-{port}.log").open("wb") as log:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(process)
        wait_until_serving(process, port)

    yield start
    for process in started:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


def _uvicorn(port: int) -> list[str]:
    # No --interface: uvicorn must see the wrapper as ASGI 3 by itself.
    return [
        *(sys.executable, "-m", "uvicorn", "examples.debug_demo:application"),
        *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
    ]


def _gunicorn(port: int) -> list[str]:
    return [
        str(Path(sys.executable).with_name("gunicorn")),
        "examples.debug_demo:application",
        *("-b", f"127.0.0.1:{port}", "--workers", "1", "--log-level", "warning"),
    ]


@pytest.mark.server
@pytest.mark.skipif(os.name != "posix", reason="POSIX process groups")
@pytest.mark.parametrize("command", [_uvicorn, _gunicorn], ids=["uvicorn", "gunicorn"])
def test_real_server_serves_the_debug_page(
    serve: Callable[[list[str], int], None], command: Callable[[int], list[str]]
) -> None:
    port = free_port()
    serve(command(port), port)
    assert fetch(port, "/")[0] == 200
    status, headers, page = fetch(port, "/boom")
    assert status == 500
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in headers["content-security-policy"]
    assert "<h1>ZeroDivisionError</h1>" in page
    assert "<code>average</code>" in page
    assert "return sum(numbers) / len(numbers)" in page
    assert locals_table(page)["numbers"] == "[]"
    assert_inert(page)
    status, _, page = fetch(port, "/async-boom?key=absent")
    assert status == 500
    assert "<h1>KeyError</h1>" in page
    assert locals_table(page)["wanted"] == "&#x27;absent&#x27;"


@pytest.mark.server
@pytest.mark.skipif(os.name != "posix", reason="POSIX process groups")
def test_hipflask_run_debug_serves_the_debug_page(
    serve: Callable[[list[str], int], None],
) -> None:
    port = free_port()
    command = [sys.executable, "-m", "hipflask", "--app", "examples.debug_demo:app"]
    serve([*command, "run", "--debug", "--no-reload", "-p", str(port)], port)
    status, _, page = fetch(port, "/boom")
    assert status == 500
    assert "<h1>ZeroDivisionError</h1>" in page


@pytest.mark.server
def test_readme_quick_start_reaches_the_debug_page(
    serve: Callable[[list[str], int], None],
) -> None:
    # The README's `make run` command line, on a free port: the example app's
    # /error route shows the debug page.
    port = free_port()
    command = [sys.executable, "-m", "hipflask", "--app", "examples/hello.py"]
    serve([*command, "run", "--debug", "--no-reload", "-p", str(port)], port)
    status, _, page = fetch(port, "/")
    assert status == 200
    assert page == "Hello from hipflask!"
    status, _, page = fetch(port, "/error")
    assert status == 500
    assert "<h1>TypeError</h1>" in page
    assert "about to fail" in page  # a local's repr
    assert "<script" not in page
