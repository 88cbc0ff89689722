"""The example apps behind real servers: every server answers the same.

Issue #2 is done when the same example module is served by gunicorn (WSGI) and
uvicorn (ASGI), each started by a test on a loopback port, and a real HTTP
client gets identical responses from both. granian serves it too, under both
interfaces.

A module-scoped fixture starts every (server, app) pair at once as a
subprocess on a free port, polls each until it answers (20 s at most in all)
and stops them in teardown. Each test sends one request with
:mod:`http.client` (a fresh connection per request) to every server, checks
the answer against what the app must say, and checks that all servers said
the same: status code, body and the headers the app decides (Content-Type,
Content-Length, Allow, Location; not Date or Server, which servers add).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import typing as t
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from markupsafe import escape

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
START_TIMEOUT = 20.0
REQUEST_TIMEOUT = 10.0
COMPARED_HEADERS = ("Content-Type", "Content-Length", "Allow", "Location")
APPS = {"hello": "examples.hello:app", "limits": "examples.limits:app"}


def _gunicorn(target: str, port: int) -> list[str]:
    return [
        str(BIN / "gunicorn"),
        target,
        "-b",
        f"{HOST}:{port}",
        "--workers",
        "1",
        "--log-level",
        "warning",
    ]


def _uvicorn(target: str, port: int) -> list[str]:
    # No --interface: uvicorn must recognise the app as ASGI 3 by itself.
    return [
        sys.executable,
        "-m",
        "uvicorn",
        target,
        "--host",
        HOST,
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]


def _granian(interface: str) -> Callable[[str, int], list[str]]:
    def command(target: str, port: int) -> list[str]:
        return [
            str(BIN / "granian"),
            "--interface",
            interface,
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            "1",
            "--log-level",
            "warning",
            target,
        ]

    return command


SERVERS: dict[str, Callable[[str, int], list[str]]] = {
    "gunicorn": _gunicorn,
    "uvicorn": _uvicorn,
    "granian-wsgi": _granian("wsgi"),
    "granian-asgi": _granian("asgi"),
}


# -- running servers -------------------------------------------------------------------


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """One server process serving one app on a loopback port."""

    name: str
    app: str
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    error: str | None = None

    def log_tail(self, limit: int = 1500) -> str:
        try:
            return self.log.read_text(errors="replace")[-limit:]
        except OSError:
            return ""


def _start(server: Server, command: list[str]) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
    )
    # Settings from the environment must not change what is compared.
    for name in ("WEB_CONCURRENCY", "GUNICORN_CMD_ARGS", "FORWARDED_ALLOW_IPS"):
        env.pop(name, None)
    with server.log.open("wb") as log:
        server.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=1.0)
    try:
        connection.request("GET", "/")
        connection.getresponse().read()
    except OSError:
        return False
    finally:
        connection.close()
    return True


def _wait_until_ready(servers: list[Server], deadline: float) -> None:
    waiting = [server for server in servers if server.error is None]
    while waiting and time.monotonic() < deadline:
        for server in list(waiting):
            process = server.process
            if process is not None and process.poll() is not None:
                server.error = f"exited with {process.returncode}"
                waiting.remove(server)
            elif _answers(server.port):
                waiting.remove(server)
        if waiting:
            time.sleep(0.05)
    for server in waiting:
        server.error = f"not answering after {START_TIMEOUT:.0f} s"


def _stop(server: Server) -> None:
    process = server.process
    if process is None:
        return
    if process.poll() is None:
        # The server's own process group (start_new_session): its workers too.
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(10)
    else:
        # The leader exited; make sure no worker it started is left behind.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


@pytest.fixture(scope="module")
def servers(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[tuple[str, str], Server]]:
    """Every server serving every example app, started together."""
    logs = tmp_path_factory.mktemp("server-logs")
    running: dict[tuple[str, str], Server] = {}
    try:
        for name, command in SERVERS.items():
            for app, target in APPS.items():
                port = free_port()
                server = Server(name, app, port, logs / f"{name}-{app}.log")
                running[name, app] = server
                argv = command(target, port)
                if not Path(argv[0]).exists():
                    server.error = f"{argv[0]} is not installed"
                    continue
                _start(server, argv)
        _wait_until_ready(list(running.values()), time.monotonic() + START_TIMEOUT)
        yield running
    finally:
        for server in running.values():
            _stop(server)


# -- requests and answers --------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What a server said, minus what servers add by themselves."""

    status: int
    headers: dict[str, str | None]
    body: bytes

    def json(self) -> t.Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Case:
    """One request to one of the example apps, and what it must answer."""

    app: str
    method: str
    path: str
    check: Callable[[Answer], None]
    body: bytes | list[bytes] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def fetch(port: int, case: Case) -> Answer:
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        body: t.Any = case.body
        chunked = isinstance(body, list)
        if chunked:
            body = iter(t.cast(list[bytes], case.body))
        connection.request(
            case.method, case.path, body, case.headers, encode_chunked=chunked
        )
        response = connection.getresponse()
        data = response.read()
        headers = {name: response.getheader(name) for name in COMPARED_HEADERS}
        return Answer(response.status, headers, data)
    finally:
        connection.close()


BOUNDARY = "hipflask-test-boundary"
MULTIPART = (
    f"--{BOUNDARY}\r\n"
    'Content-Disposition: form-data; name="field"\r\n\r\n'
    "value\r\n"
    f"--{BOUNDARY}\r\n"
    'Content-Disposition: form-data; name="upload"; filename="hello.txt"\r\n'
    "Content-Type: text/plain\r\n\r\n"
    "file contents\r\n"
    f"--{BOUNDARY}--\r\n"
).encode()
HTML = "text/html; charset=utf-8"


def status_page(status: int, title: str) -> Callable[[Answer], None]:
    def check(answer: Answer) -> None:
        assert answer.status == status
        assert answer.headers["Content-Type"] == HTML
        assert f"<title>{status} {escape(title)}</title>".encode() in answer.body
        assert answer.headers["Content-Length"] == str(len(answer.body))

    return check


def text(expected: bytes) -> Callable[[Answer], None]:
    def check(answer: Answer) -> None:
        assert answer.status == 200
        assert answer.headers["Content-Type"] == HTML
        assert answer.body == expected
        assert answer.headers["Content-Length"] == str(len(expected))

    return check


def json_body(expected: object, status: int = 200) -> Callable[[Answer], None]:
    def check(answer: Answer) -> None:
        assert answer.status == status
        assert answer.headers["Content-Type"] == "application/json"
        assert answer.json() == expected
        assert answer.headers["Content-Length"] == str(len(answer.body))

    return check


def check_405(answer: Answer) -> None:
    status_page(405, "Method Not Allowed")(answer)
    assert answer.headers["Allow"] == "GET, HEAD, OPTIONS"


def check_head(answer: Answer) -> None:
    assert answer.status == 200
    assert answer.body == b""
    assert answer.headers["Content-Type"] == HTML
    assert answer.headers["Content-Length"] == str(len(b"Hello from hipflask!"))


def check_bad_json(answer: Answer) -> None:
    status_page(400, "Bad Request")(answer)
    assert b"The request body is not valid JSON." in answer.body


def redirect_to(size: int) -> Callable[[Answer], None]:
    def check(answer: Answer) -> None:
        assert answer.status == 303
        assert answer.headers["Location"] == f"/received/{size}"
        assert answer.headers["Content-Type"] == HTML
        assert f'<a href="/received/{size}">'.encode() in answer.body

    return check


CASES: dict[str, Case] = {
    "index": Case("hello", "GET", "/", text(b"Hello from hipflask!")),
    "user": Case("hello", "GET", "/user/7", json_body({"id": 7, "name": "user7"})),
    "search": Case(
        "hello", "GET", "/search?q=a&page=2", json_body({"q": "a", "page": 2})
    ),
    "echo-form": Case(
        "hello",
        "POST",
        "/echo",
        json_body({"form": {"a": "1", "b": "two words"}, "files": []}),
        b"a=1&b=two+words",
        {"Content-Type": "application/x-www-form-urlencoded"},
    ),
    "echo-json": Case(
        "hello",
        "POST",
        "/echo",
        json_body({"received": {"x": [1, 2], "y": "\u00e9"}}),
        json.dumps({"x": [1, 2], "y": "\u00e9"}).encode(),
        {"Content-Type": "application/json"},
    ),
    "echo-multipart": Case(
        "hello",
        "POST",
        "/echo",
        json_body({"form": {"field": "value"}, "files": ["upload"]}),
        MULTIPART,
        {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    ),
    "echo-chunked-form": Case(
        "hello",
        "POST",
        "/echo",
        json_body({"form": {"a": "1", "b": "2"}, "files": []}),
        [b"a=1", b"&b=2"],
        {"Content-Type": "application/x-www-form-urlencoded"},
    ),
    "slow-async-view": Case("hello", "GET", "/slow", text(b"async view done")),
    "not-found": Case("hello", "GET", "/nowhere", status_page(404, "Not Found")),
    "converter-mismatch": Case(
        "hello", "GET", "/user/seven", status_page(404, "Not Found")
    ),
    "method-not-allowed": Case("hello", "POST", "/", check_405, b""),
    "head": Case("hello", "HEAD", "/", check_head),
    "teapot": Case("hello", "GET", "/teapot", status_page(418, "I'm a teapot")),
    "malformed-json": Case(
        "hello",
        "POST",
        "/echo",
        check_bad_json,
        b'{"x": [1, 2',
        {"Content-Type": "application/json"},
    ),
    "upload-redirect": Case(
        "limits",
        "POST",
        "/upload",
        redirect_to(10),
        b"0123456789",
        {"Content-Type": "application/octet-stream"},
    ),
    "received": Case("limits", "GET", "/received/10", json_body({"received": 10})),
    "too-large": Case(
        "limits",
        "POST",
        "/upload",
        status_page(413, "Request Entity Too Large"),
        b"x" * 2048,
        {"Content-Type": "application/octet-stream"},
    ),
    "too-large-chunked": Case(
        "limits",
        "POST",
        "/upload",
        status_page(413, "Request Entity Too Large"),
        [b"x" * 700, b"y" * 700],
        {"Content-Type": "application/octet-stream"},
    ),
    "at-the-limit": Case(
        "limits",
        "POST",
        "/upload",
        redirect_to(1024),
        b"x" * 1024,
        {"Content-Type": "application/octet-stream"},
    ),
    "raised-limit": Case(
        "limits",
        "POST",
        "/upload/larger",
        json_body({"received": 3000}),
        b"x" * 3000,
        {"Content-Type": "application/octet-stream"},
    ),
    "raised-limit-chunked": Case(
        "limits",
        "POST",
        "/upload/larger",
        json_body({"received": 3000}),
        [b"x" * 700, b"y" * 700, b"z" * 1600],
        {"Content-Type": "application/octet-stream"},
    ),
    "over-raised-limit-chunked": Case(
        "limits",
        "POST",
        "/upload/larger",
        status_page(413, "Request Entity Too Large"),
        [b"x" * 2000, b"y" * 2000, b"z" * 2000],
        {"Content-Type": "application/octet-stream"},
    ),
    "lowered-limit": Case(
        "limits",
        "POST",
        "/upload/smaller",
        status_page(413, "Request Entity Too Large"),
        b"x" * 100,
        {"Content-Type": "application/octet-stream"},
    ),
    "under-lowered-limit": Case(
        "limits",
        "POST",
        "/upload/smaller",
        json_body({"received": 16}),
        b"x" * 16,
        {"Content-Type": "application/octet-stream"},
    ),
}


def test_every_server_started(servers: dict[tuple[str, str], Server]) -> None:
    failed = {
        f"{server.name}/{server.app}": f"{server.error}\n{server.log_tail()}"
        for server in servers.values()
        if server.error is not None
    }
    assert failed == {}


@pytest.mark.parametrize("case_name", list(CASES))
def test_identical_answers(
    servers: dict[tuple[str, str], Server], case_name: str
) -> None:
    case = CASES[case_name]
    answers: dict[str, Answer] = {}
    for name in SERVERS:
        server = servers[name, case.app]
        if server.error is not None:
            pytest.fail(f"{name} did not start: {server.error}\n{server.log_tail()}")
        answers[name] = answer = fetch(server.port, case)
        try:
            case.check(answer)
        except AssertionError as error:
            raise AssertionError(f"{name}: {answer}") from error
    first = answers["gunicorn"]
    differing = {name: answer for name, answer in answers.items() if answer != first}
    assert differing == {}, f"gunicorn answered {first}"


def test_uvicorn_detects_asgi3_by_itself() -> None:
    # Flask.__call__ serves WSGI and ASGI 3; `uvicorn module:app` without
    # --interface must not take it for ASGI 2.
    import uvicorn

    from hipflask import Flask

    config = uvicorn.Config(Flask("detected"))
    config.load()
    assert config.interface == "asgi3"


# -- websockets ------------------------------------------------------------------------

WEBSOCKET_TARGET = "examples.websocket_echo:app"


def _websocket_talk(
    port: int, path: str, messages: list[str | bytes], subprotocols: list[str]
) -> tuple[str | None, list[str | bytes], int | None]:
    """A wsproto client's conversation: (subprotocol, echoes, server close code).

    Refused handshakes give ``("refused", [], status)``.
    """
    from wsproto import ConnectionType, WSConnection
    from wsproto.events import (
        AcceptConnection,
        BytesMessage,
        CloseConnection,
        Event,
        Message,
        RejectConnection,
        Request,
        TextMessage,
    )

    connection = WSConnection(ConnectionType.CLIENT)
    sock = socket.create_connection((HOST, port), timeout=REQUEST_TIMEOUT)
    pending: list[Event] = []

    def next_event() -> Event:
        while not pending:
            data = sock.recv(65536)
            connection.receive_data(data or None)
            pending.extend(connection.events())
            if not data and not pending:
                raise ConnectionError("the server closed the connection")
        return pending.pop(0)

    try:
        request = Request(host=f"{HOST}:{port}", target=path, subprotocols=subprotocols)
        sock.sendall(connection.send(request))
        event = next_event()
        if isinstance(event, RejectConnection):
            return "refused", [], event.status_code
        if not isinstance(event, AcceptConnection):
            raise AssertionError(f"unexpected handshake answer {event!r}")
        subprotocol = event.subprotocol
        echoes: list[str | bytes] = []
        for message in [None, *messages]:
            if message is not None:
                frame: Message[t.Any] = (
                    TextMessage(data=message)
                    if isinstance(message, str)
                    else BytesMessage(data=message)
                )
                sock.sendall(connection.send(frame))
            elif not path.startswith("/ws/"):
                continue  # only the greeting route speaks first
            event = next_event()
            if not isinstance(event, (TextMessage, BytesMessage)):
                raise AssertionError(f"expected a message, got {event!r}")
            echoes.append(event.data)
        sock.sendall(connection.send(CloseConnection(code=1000)))
        event = next_event()
        code = event.code if isinstance(event, CloseConnection) else None
        return subprotocol, echoes, code
    finally:
        sock.close()


def _check_websockets(port: int) -> None:
    assert _websocket_talk(port, "/ws", ["hi", b"\x00\x01"], []) == (
        None,
        ["hi", b"\x00\x01"],
        1000,
    )
    assert _websocket_talk(port, "/ws/ann", ["x"], ["chat"]) == (
        "chat",
        ["hello ann", "x"],
        1000,
    )
    # uvicorn offers websocket.http.response: the refusal is the app's 404.
    assert _websocket_talk(port, "/missing", [], []) == ("refused", [], 404)


@pytest.mark.parametrize("how", ["uvicorn", "hipflask run"])
def test_websocket_example_behind_a_real_server(tmp_path: Path, how: str) -> None:
    pytest.importorskip("wsproto")
    port = free_port()
    if how == "uvicorn":
        command = _uvicorn(WEBSOCKET_TARGET, port)
    else:
        command = [sys.executable, "-m", "hipflask", "--app", WEBSOCKET_TARGET]
        command += ["run", "--no-reload", "-p", str(port)]
    server = Server(how, WEBSOCKET_TARGET, port, tmp_path / "server.log")
    _start(server, command)
    try:
        _wait_until_ready([server], time.monotonic() + START_TIMEOUT)
        if server.error is not None:
            pytest.fail(f"{how} did not start: {server.error}\n{server.log_tail()}")
        _check_websockets(port)
        assert "Traceback" not in server.log_tail(), server.log_tail()
    finally:
        _stop(server)
