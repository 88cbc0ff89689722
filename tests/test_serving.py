"""Serving: ``hipflask run`` (with its reloader), ``Flask.run``, ``hipflask serve``.

The first half starts real processes on loopback ports and talks HTTP to them;
every process runs in its own process group, which teardown kills. Every wait is
bounded. The second half tests the pieces (banner, option checks, watchers, the
supervisor loop, the ASGI error app, server command lines) in process.
"""

from __future__ import annotations

import asyncio
import importlib.machinery
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import time
import types
import typing as t
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from hipflask import Flask
from hipflask import reloader as reloader_module
from hipflask import serving as serving_module
from hipflask.production import (
    app_from_environment,
    available_servers,
    choose_interface,
    serve_command_line,
)
from hipflask.reloader import (
    PARENT_GONE,
    FileWatcher,
    PollingWatcher,
    WatchfilesWatcher,
    make_watcher,
    start_watching,
    supervise,
)
from hipflask.serving import is_loopback, load_error_app, run_app, run_simple

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX process groups")
HIPFLASK_SCRIPT = Path(sys.executable).with_name("hipflask")
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in (
        "FLASK_RUN_FROM_CLI",
        "HIPFLASK_RUN_MAIN",
        "HIPFLASK_SERVER_FD",
        "HIPFLASK_SERVE_APP",
        "FLASK_DEBUG",
        "HIPFLASK_DEBUG",
    ):
        monkeypatch.setenv(key, "placeholder")
        monkeypatch.delenv(key)
    monkeypatch.setenv("HIPFLASK_SKIP_DOTENV", "1")


# -- processes -----------------------------------------------------------------------


#: Runs the rest of its command line with SIGINT handled as a terminal's Ctrl+C
#: is: a shell that starts the test run in the background (CI, say) leaves
#: SIGINT ignored, and an ignored signal stays ignored across exec.
_DEFAULT_SIGINT = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL);"
    " os.execvp(sys.argv[1], sys.argv[1:])"
)


class ServerProcess:
    """A process in its own group, its output collected line by line."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.args = args
        self.process = subprocess.Popen(
            [sys.executable, "-c", _DEFAULT_SIGINT, *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    @property
    def output(self) -> str:
        with self._changed:
            return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        """The first output line matching ``pattern`` (fails after ``timeout``)."""
        compiled = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    found = compiled.search(line)
                    if found:
                        return found
                left = deadline - time.monotonic()
                if left <= 0 or (self.process.poll() is not None and not left):
                    break
                self._changed.wait(min(left, 0.2))
        pytest.fail(f"no line matching {pattern!r} within {timeout} s:\n{self.output}")

    def signal(self, signum: int) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signum)

    def wait(self, timeout: float = 20) -> int:
        """The exit status (fails after ``timeout``, showing the output so far)."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running after {timeout} s:\n{self.output}")

    def group_alive(self) -> bool:
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # a zombie leader still counts
            return True
        return True

    def kill(self) -> None:
        """Kill the whole group (teardown)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass
        self._reader.join(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def spawn(tmp_path: Path) -> t.Iterator[t.Callable[..., ServerProcess]]:
    started: list[ServerProcess] = []

    def start(*args: str, env: dict[str, str] | None = None) -> ServerProcess:
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("FLASK_", "HIPFLASK_", "PYTEST_"))
        }
        environment.update(PYTHONUNBUFFERED="1", HIPFLASK_SKIP_DOTENV="1")
        environment.update(env or {})
        process = ServerProcess(list(args), tmp_path, environment)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()


def hipflask_command(*args: str) -> list[str]:
    if HIPFLASK_SCRIPT.exists():
        return [str(HIPFLASK_SCRIPT), *args]
    return [sys.executable, "-m", "hipflask", *args]


def fetch(
    url: str, timeout: float = 5, context: ssl.SSLContext | None = None
) -> tuple[int, str]:
    opener = _NO_PROXY
    if context is not None:
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPSHandler(context=context),
        )
    try:
        with opener.open(url, timeout=timeout) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def fetch_until(
    url: str, expected: str, timeout: float = 30, context: ssl.SSLContext | None = None
) -> tuple[int, str]:
    """GET ``url`` until the body contains ``expected``; the last answer."""
    deadline = time.monotonic() + timeout
    last: tuple[int, str] = (0, "")
    while time.monotonic() < deadline:
        try:
            last = fetch(url, context=context)
        except OSError as error:
            last = (0, str(error))
        if expected in last[1]:
            return last
        time.sleep(0.2)
    pytest.fail(f"{url} did not answer {expected!r} within {timeout} s: {last!r}")


def port_closed(port: int, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            probe.settimeout(1)
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return True
        time.sleep(0.2)
    return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write(path: Path, source: str) -> None:
    """Write ``source``, making sure the modification time moves on."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    if path.stat().st_mtime_ns <= before:
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


APP_SOURCE = """
    import asyncio
    from hipflask import Flask, current_app

    app = Flask(__name__)

    @app.get("/")
    def index():
        return "{version}"

    @app.get("/async")
    async def slow():
        await asyncio.sleep(0)
        return "async view"

    @app.get("/debug")
    def debug():
        return str(current_app.debug)
"""


# -- hipflask run --------------------------------------------------------------------


@posix_only
@pytest.mark.server
def test_run_serves_sync_and_async_views(
    tmp_path: Path, spawn: t.Callable[..., ServerProcess]
) -> None:
    write(tmp_path / "app.py", APP_SOURCE.format(version="sync view"))
    server = spawn(
        sys.executable, "-m", "hipflask", "--app", "app.py", "run", "-p", "0"
    )
    port = int(server.wait_for(r"Running on http://127\.0\.0\.1:(\d+)").group(1))
    base = f"http://127.0.0.1:{port}"
    assert fetch(f"{base}/") == (200, "sync view")
    assert fetch(f"{base}/async") == (200, "async view")
    assert fetch(f"{base}/debug") == (200, "False")
    assert fetch(f"{base}/missing")[0] == 404
    banner = server.output
    assert " * Serving hipflask app 'app.py'" in banner
    assert " * Debug mode: off" in banner
    assert " * Reloader: off" in banner
    server.wait_for(r'"GET /async HTTP/1\.1" 200')  # uvicorn's access log
    server.signal(signal.SIGINT)
    assert server.wait() == 0
    assert port_closed(port)


@posix_only
@pytest.mark.server
def test_reloader_restarts_on_change_and_survives_a_bad_edit(
    tmp_path: Path, spawn: t.Callable[..., ServerProcess]
) -> None:
    app_file = tmp_path / "app.py"
    write(app_file, APP_SOURCE.format(version="version 1"))
    server = spawn(*hipflask_command("--debug", "run", "--port", "0"))
    port = int(server.wait_for(r"Running on http://127\.0\.0\.1:(\d+)").group(1))
    server.wait_for(r"^ \* Reloader: on \((polling|watchfiles)\)$")
    server.wait_for(r"^ \* Debug mode: on$")
    url = f"http://127.0.0.1:{port}/"
    assert fetch(url) == (200, "version 1")

    write(app_file, APP_SOURCE.format(version="version 2, longer"))
    assert fetch_until(url, "version 2") == (200, "version 2, longer")
    server.wait_for(rf"Detected change in '{re.escape(str(app_file))}', reloading")

    # A syntax error: the server stays up and says what happened.
    broken = textwrap.dedent(APP_SOURCE.format(version="version 3")) + "def broken(:\n"
    write(app_file, broken)
    status, body = fetch_until(url, "failed to load")
    assert status == 500
    assert "SyntaxError" in body  # debug mode: the traceback is in the page
    write(app_file, APP_SOURCE.format(version="version 4"))
    assert fetch_until(url, "version 4") == (200, "version 4")
    assert fetch(f"http://127.0.0.1:{port}/debug") == (200, "True")

    # SIGTERM to the supervisor stops the serving child too.
    server.signal(signal.SIGTERM)
    assert server.wait() == -signal.SIGTERM
    assert port_closed(port)
    deadline = time.monotonic() + 10
    while server.group_alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not server.group_alive()


@posix_only
@pytest.mark.server
def test_reloader_child_stops_when_the_supervisor_dies(
    tmp_path: Path, spawn: t.Callable[..., ServerProcess]
) -> None:
    write(tmp_path / "app.py", APP_SOURCE.format(version="orphan test"))
    (tmp_path / "notes.txt").write_text("one")
    server = spawn(
        *hipflask_command(
            "run", "--reload", "--port", "0", "--extra-files", "notes.txt"
        )
    )
    port = int(server.wait_for(r"Running on http://127\.0\.0\.1:(\d+)").group(1))
    url = f"http://127.0.0.1:{port}/"
    assert fetch_until(url, "orphan test")[0] == 200
    write(tmp_path / "notes.txt", "two")  # an extra file triggers a reload
    server.wait_for(r"Detected change in '.*notes\.txt', reloading")
    assert fetch_until(url, "orphan test")[0] == 200
    server.signal(signal.SIGKILL)  # the supervisor only
    server.wait()
    assert port_closed(port)
    deadline = time.monotonic() + 10
    while server.group_alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not server.group_alive()


@posix_only
@pytest.mark.server
@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl tool")
def test_run_with_tls(tmp_path: Path, spawn: t.Callable[..., ServerProcess]) -> None:
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(tmp_path / "key.pem"),
            "-out",
            str(tmp_path / "cert.pem"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    write(tmp_path / "app.py", APP_SOURCE.format(version="over tls"))
    server = spawn(
        *hipflask_command("run", "-p", "0", "--cert", "cert.pem", "--key", "key.pem")
    )
    port = int(server.wait_for(r"Running on https://127\.0\.0\.1:(\d+)").group(1))
    context = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
    context.check_hostname = False
    assert fetch(f"https://127.0.0.1:{port}/", context=context) == (200, "over tls")


# -- Flask.run -----------------------------------------------------------------------


@posix_only
@pytest.mark.server
def test_app_run_with_reloader_restarts_the_script(
    tmp_path: Path, spawn: t.Callable[..., ServerProcess]
) -> None:
    script = tmp_path / "standalone.py"
    source = (
        APP_SOURCE
        + """
    if __name__ == "__main__":
        app.run(port=0, debug=True)
    """
    )
    write(script, source.format(version="run 1"))
    server = spawn(sys.executable, "standalone.py")
    port = int(server.wait_for(r"Running on http://127\.0\.0\.1:(\d+)").group(1))
    server.wait_for(r"^ \* Serving hipflask app 'standalone'$")
    url = f"http://127.0.0.1:{port}/"
    assert fetch(url) == (200, "run 1")
    write(script, source.format(version="run 2"))
    assert fetch_until(url, "run 2") == (200, "run 2")
    server.signal(signal.SIGINT)
    assert server.wait() == 0
    assert port_closed(port)


def test_app_run_uses_server_name_and_resets_setup_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[t.Any, ...]] = []
    monkeypatch.setattr(
        serving_module,
        "run_simple",
        lambda *args, **kwargs: calls.append((args, kwargs)),
    )
    app = Flask("runner")
    app.config["SERVER_NAME"] = "example.test:8123"
    app._got_first_request = True
    app.run(load_dotenv=False)
    assert calls[0][0] == ("example.test", 8123, app)
    assert calls[0][1] == {
        "use_reloader": False,
        "use_debugger": False,
        "threaded": True,
    }
    assert app._got_first_request is False


@pytest.mark.parametrize(
    ("host", "port", "server_name", "expect_host", "expect_port"),
    [
        (None, None, None, "127.0.0.1", 5000),
        (None, None, "pocoo.org:8080", "pocoo.org", 8080),
        ("localhost", None, "pocoo.org:8080", "localhost", 8080),
        (None, 80, "pocoo.org:8080", "pocoo.org", 80),
        ("localhost", 0, "localhost:8080", "localhost", 0),
        (None, None, "localhost:0", "localhost", 0),
        (None, None, "pocoo.org", "pocoo.org", 5000),
    ],
)
def test_run_app_host_and_port(
    monkeypatch: pytest.MonkeyPatch,
    host: str | None,
    port: int | None,
    server_name: str | None,
    expect_host: str,
    expect_port: int,
) -> None:
    calls: list[tuple[t.Any, ...]] = []
    monkeypatch.setattr(
        serving_module, "run_simple", lambda *args, **kw: calls.append(args)
    )
    app = Flask("hosts")
    app.config["SERVER_NAME"] = server_name
    run_app(app, host, port, None, False, {})
    assert calls == [(expect_host, expect_port, app)]


@pytest.mark.parametrize(
    ("env", "debug", "expected"),
    [
        ({}, None, False),
        ({"FLASK_DEBUG": "1"}, None, True),
        ({"HIPFLASK_DEBUG": "1"}, None, True),
        ({"FLASK_DEBUG": "1"}, False, False),
        ({}, True, True),
    ],
)
def test_run_app_debug(
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    debug: bool | None,
    expected: bool,
    capsys: pytest.CaptureFixture[str],
) -> None:
    options: list[dict[str, t.Any]] = []
    monkeypatch.setattr(
        serving_module, "run_simple", lambda *a, **kw: options.append(kw)
    )
    app = Flask("debugging")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("HIPFLASK_SKIP_DOTENV")  # env vars are read after dotenv
    monkeypatch.setitem(sys.modules, "dotenv", None)
    run_app(app, None, None, debug, True, {"use_reloader": False})
    assert app.debug is expected
    assert options == [
        {"use_reloader": False, "use_debugger": expected, "threaded": True}
    ]
    assert f" * Debug mode: {'on' if expected else 'off'}" in capsys.readouterr().out


def test_run_app_is_a_no_op_under_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[object] = []
    monkeypatch.setattr(serving_module, "run_simple", lambda *a, **kw: calls.append(a))
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    Flask("ignored").run()
    assert calls == []
    assert "Ignoring a call to 'app.run()'" in capsys.readouterr().err


# -- hipflask serve ------------------------------------------------------------------


#: Passed through to each server: a worker forked just before SIGTERM, that
#: has not set up its own signal handling yet, ignores the signal, and the
#: server kills it only after its grace period (30 s by default for gunicorn
#: and for granian under ``hipflask serve``).
_SHORT_GRACE = {
    "granian": ["--", "--workers-kill-timeout", "5"],
    "gunicorn": ["--", "--graceful-timeout", "5"],
    "uvicorn": [],  # its workers start from a fresh interpreter, not a fork
}


@posix_only
@pytest.mark.server
@pytest.mark.parametrize("server_name", ["granian", "gunicorn", "uvicorn"])
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_serve_with_each_server(
    tmp_path: Path,
    spawn: t.Callable[..., ServerProcess],
    server_name: str,
    kind: str,
) -> None:
    if server_name not in available_servers():
        pytest.skip(f"{server_name} is not installed")
    source = APP_SOURCE.format(version=f"{server_name} {kind}")
    if kind == "sync":
        source = source.replace("async def slow", "def slow").replace(
            "await asyncio.sleep(0)", "pass"
        )
    write(tmp_path / "app.py", source)
    port = free_port()
    server = spawn(
        *hipflask_command("serve", "--server", server_name, "-p", str(port), "-w", "2"),
        *_SHORT_GRACE[server_name],
        env={"HIPFLASK_DEBUG": "1"},
    )
    interface = "ASGI" if kind == "async" or server_name == "uvicorn" else "WSGI"
    server.wait_for(
        rf"Serving hipflask app '.*app\.py' with {server_name}"
        rf" \({interface}, 2 workers\)"
    )
    url = f"http://127.0.0.1:{port}"
    assert fetch_until(f"{url}/", f"{server_name} {kind}") == (
        200,
        f"{server_name} {kind}",
    )
    assert fetch(f"{url}/async") == (200, "async view")
    assert fetch(f"{url}/debug") == (200, "False")  # never debug in production
    if server_name == "granian":  # see _SHORT_GRACE
        server.wait_for(r"Started worker-1\b")
        server.wait_for(r"Started worker-2\b")
    server.signal(signal.SIGTERM)
    server.wait(timeout=30)
    assert port_closed(port)
    deadline = time.monotonic() + 15
    while server.group_alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not server.group_alive()


@posix_only
@pytest.mark.server
def test_serve_granian_stopped_while_starting(
    tmp_path: Path, spawn: t.Callable[..., ServerProcess]
) -> None:
    """SIGTERM before granian's workers handle signals still stops the server."""
    if "granian" not in available_servers():
        pytest.skip("granian is not installed")
    write(tmp_path / "app.py", APP_SOURCE.format(version="starting"))
    port = free_port()
    server = spawn(
        *hipflask_command(
            "serve", "--server", "granian", "-p", str(port), "-w", "2",
            "--", "--workers-kill-timeout", "2",
        ),
    )  # fmt: skip
    server.wait_for(r"Spawning worker-2\b")
    server.signal(signal.SIGTERM)
    server.wait(timeout=30)
    # granian reports the worker it had to kill: the case this test is about
    server.wait_for(r"Killing worker-\d after it refused to gracefully stop")
    deadline = time.monotonic() + 15
    while server.group_alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not server.group_alive()


def test_serve_command_lines() -> None:
    python = [sys.executable, "-m"]
    factory = "hipflask.production:app_from_environment"
    assert serve_command_line("granian", "asgi", "0.0.0.0", 80, 4) == [
        *python, "granian", "--interface", "asgi", "--host", "0.0.0.0",
        "--port", "80", "--workers", "4", "--workers-kill-timeout", "30",
        "--factory", factory,
    ]  # fmt: skip
    # the user's arguments come after the defaults (the last value wins)
    extra = ["--workers-kill-timeout", "5"]
    granian = serve_command_line("granian", "wsgi", "::", 80, 1, extra)
    assert granian[-5:] == ["30", "--factory", *extra, factory]
    assert serve_command_line("gunicorn", "wsgi", "::1", 8000, 2, ["-t", "5"]) == [
        *python, "gunicorn", "--bind", "[::1]:8000", "--workers", "2",
        "-t", "5", f"{factory}()",
    ]  # fmt: skip
    asgi = serve_command_line("gunicorn", "asgi", "127.0.0.1", 8000, 1)
    assert asgi[asgi.index("--worker-class") + 1] == "asgi"
    assert serve_command_line("uvicorn", "asgi", "127.0.0.1", 8000, 1) == [
        *python, "uvicorn", "--interface", "asgi3", "--host", "127.0.0.1",
        "--port", "8000", "--workers", "1", "--factory", factory,
    ]  # fmt: skip
    with pytest.raises(ValueError, match="Unknown server 'waitress'"):
        serve_command_line("waitress", "wsgi", "127.0.0.1", 8000, 1)


def test_choose_interface() -> None:
    app = Flask("plain")
    assert choose_interface(app, "granian") == "wsgi"
    assert choose_interface(app, "uvicorn") == "asgi"
    assert choose_interface(app, "granian", "asgi") == "asgi"
    with pytest.raises(ValueError, match="Unknown interface 'rsgi'"):
        choose_interface(app, "granian", "rsgi")

    @app.errorhandler(404)
    async def not_found(error: Exception) -> str:
        return "gone"

    assert choose_interface(app, "gunicorn") == "asgi"
    hooked = Flask("hooked")

    @hooked.before_request
    async def before() -> None:
        return None

    assert choose_interface(hooked, "granian") == "asgi"
    wrapped = Flask("wrapped")
    wrapped.asgi_app = wrapped.asgi_app  # type: ignore[method-assign]
    assert choose_interface(wrapped, "granian") == "asgi"


def test_app_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(RuntimeError, match="HIPFLASK_SERVE_APP is not set"):
        app_from_environment()
    (tmp_path / "served_mod_xyz.py").write_text(
        "from hipflask import Flask\napp = Flask('served')\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", sys.path[:])
    monkeypatch.setenv("HIPFLASK_SERVE_APP", "served_mod_xyz.py")
    monkeypatch.setenv("HIPFLASK_DEBUG", "1")
    try:
        app = app_from_environment()
        assert app.name == "served"
        assert app.debug is False
    finally:
        sys.modules.pop("served_mod_xyz", None)


# -- run_simple's checks and banner ------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"port": "5000"}, TypeError, "port must be an integer, got str."),
        ({"request_handler": object()}, TypeError, "request_handler and static_files"),
        ({"static_files": {"/": "."}}, TypeError, "request_handler and static_files"),
        ({"processes": 2}, ValueError, "use 'hipflask serve --workers N'"),
        ({"ssl_context": 42}, TypeError, "not int."),
        ({"ssl_context": ("cert.pem",)}, TypeError, "(cert_file, key_file) pair"),
        ({"ssl_context": "adhoc"}, RuntimeError, "needs the cryptography package"),
        (
            {"use_reloader": True, "reloader_type": "inotify"},
            ValueError,
            "Unknown reloader type 'inotify'",
        ),
        (
            {"use_reloader": True, "reloader_interval": 0},
            ValueError,
            "must be positive",
        ),
    ],
)
def test_run_simple_rejects_bad_arguments(
    monkeypatch: pytest.MonkeyPatch,
    kwargs: dict[str, t.Any],
    error: type[Exception],
    message: str,
) -> None:
    monkeypatch.setitem(sys.modules, "cryptography", None)
    arguments: dict[str, t.Any] = {"hostname": "127.0.0.1", "port": 0}
    arguments.update(kwargs)
    with pytest.raises(error) as info:
        run_simple(application=Flask("x"), **arguments)
    assert message in str(info.value)


def test_run_simple_reports_a_busy_port(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(SystemExit) as info:
            run_simple("127.0.0.1", port, Flask("x"))
    assert info.value.code == 1
    assert (
        f" * Error: cannot start the server: port {port} on 127.0.0.1 is in use by"
        " another program." in capsys.readouterr().err
    )


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("dev.localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("10.0.0.1", False),
        ("fe80::1%eth0", False),
    ],
)
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


def test_banner_warns_about_debug_on_a_public_address(
    capsys: pytest.CaptureFixture[str],
) -> None:
    serving_module._print_running("127.0.0.1", 5000, "http", None, True)
    assert capsys.readouterr().out == (
        " * Running on http://127.0.0.1:5000\n"
        " * Reloader: off\n"
        " * Press CTRL+C to quit\n"
    )
    serving_module._print_running("0.0.0.0", 5000, "https", PollingWatcher(), True)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == " * Running on all addresses (0.0.0.0)"
    assert lines[1] == " * Running on https://127.0.0.1:5000"
    assert " * Reloader: on (polling)" in lines
    [warning] = [line for line in lines if "WARNING" in line]
    assert warning.startswith(
        " * WARNING: debug mode is on and the server listens on '0.0.0.0', which is"
        " not a loopback address"
    )
    serving_module._print_running("::1", 5000, "http", None, False)
    assert " * Running on http://[::1]:5000" in capsys.readouterr().out


# -- the ASGI error app --------------------------------------------------------------


def drive_asgi(
    app: t.Any, scope: dict[str, t.Any], incoming: list[dict[str, t.Any]]
) -> list[dict[str, t.Any]]:
    sent: list[dict[str, t.Any]] = []
    queue = list(incoming)

    async def receive() -> dict[str, t.Any]:
        return queue.pop(0)

    async def send(message: dict[str, t.Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def test_load_error_app() -> None:
    try:
        raise SyntaxError("invalid syntax (app.py, line 3)")
    except SyntaxError as error:
        caught = error
    app = load_error_app(caught, show_traceback=True)
    start, body = drive_asgi(app, {"type": "http"}, [])
    assert start["status"] == 500
    assert (b"content-type", b"text/plain; charset=utf-8") in start["headers"]
    text = body["body"].decode()
    assert text.startswith("The application failed to load.")
    assert "SyntaxError: invalid syntax (app.py, line 3)" in text
    quiet = drive_asgi(
        load_error_app(caught, show_traceback=False), {"type": "http"}, []
    )
    assert "SyntaxError" not in quiet[1]["body"].decode()
    assert "The traceback is in the server's console." in quiet[1]["body"].decode()
    lifespan = drive_asgi(
        app,
        {"type": "lifespan"},
        [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}],
    )
    assert lifespan == [
        {"type": "lifespan.startup.complete"},
        {"type": "lifespan.shutdown.complete"},
    ]
    websocket = drive_asgi(app, {"type": "websocket"}, [{"type": "websocket.connect"}])
    assert websocket == [{"type": "websocket.close", "code": 1011}]


# -- watchers ------------------------------------------------------------------------


def run_watcher(
    watcher: FileWatcher,
    action: t.Callable[[], None],
    alive: bool = True,
    then_stop: bool = False,
) -> str | None:
    """Start waiting for a change, do ``action``, return what the watcher saw."""
    stop = threading.Event()
    seen: list[str | None] = []
    watcher.prepare()
    thread = threading.Thread(
        target=lambda: seen.append(watcher.wait_for_change(stop, lambda: alive))
    )
    thread.start()
    try:
        action()
        if then_stop:
            stop.set()
        thread.join(timeout=15)
    finally:
        stop.set()
        thread.join(timeout=15)
    assert seen, "the watcher did not return"
    return seen[0]


W = t.TypeVar("W", bound=FileWatcher)


def only_project(watcher: W, project: Path) -> W:
    """Leave out imported modules and other roots: hipflask's sources may change."""
    watcher._module_files = set  # type: ignore[method-assign]
    watcher._import_roots = lambda: [str(project)]  # type: ignore[method-assign]
    return watcher


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("main.py", "pkg/__init__.py", "pkg/mod.py", "skipped/gen.py"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")
    for clutter in (".git/hook.py", "node_modules/m/x.py", "pkg/__pycache__/mod.py"):
        path = tmp_path / clutter
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    venv = tmp_path / "env"
    (venv / "lib").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr\n")
    (venv / "lib" / "site.py").write_text("")
    return tmp_path


def test_watched_files(project: Path) -> None:
    (project / "notes.txt").write_text("")
    watcher = PollingWatcher(
        extra_files=["notes.txt"], exclude_patterns=[str(project / "skipped" / "*")]
    )
    files = {path for path in watcher.files() if path.startswith(str(project))}
    assert files == {
        str(project / "main.py"),
        str(project / "pkg" / "__init__.py"),
        str(project / "pkg" / "mod.py"),
        str(project / "notes.txt"),
    }
    assert reloader_module.__file__ in watcher.files()  # imported modules


def test_polling_watcher_reports_changes_only(project: Path) -> None:
    watcher = only_project(
        PollingWatcher(
            exclude_patterns=[str(project / "skipped" / "*")], interval=0.05
        ),
        project,
    )

    def edit() -> None:
        (project / "new.py").write_text("created later\n")  # not a change
        (project / "skipped" / "gen.py").write_text("excluded\n")
        time.sleep(0.3)
        write(project / "pkg" / "mod.py", "x = 2\n")

    assert run_watcher(watcher, edit) == str(project / "pkg" / "mod.py")
    nothing = only_project(PollingWatcher(interval=0.05), project)
    assert run_watcher(nothing, lambda: time.sleep(0.2), then_stop=True) is None
    assert run_watcher(nothing, lambda: None, alive=False) == PARENT_GONE


def test_start_watching_calls_back_once(project: Path) -> None:
    changes: list[str] = []
    done = threading.Event()

    def on_change(path: str) -> None:
        changes.append(path)
        done.set()

    stop = start_watching(
        only_project(PollingWatcher(interval=0.05), project), on_change
    )
    try:
        write(project / "main.py", "x = 3\n")
        assert done.wait(15)
    finally:
        stop.set()
    assert changes == [str(project / "main.py")]


def fake_watchfiles(
    monkeypatch: pytest.MonkeyPatch, changes: list[set[tuple[int, str]]]
) -> list[dict[str, t.Any]]:
    calls: list[dict[str, t.Any]] = []
    module = types.ModuleType("watchfiles")
    module.__spec__ = importlib.machinery.ModuleSpec("watchfiles", None)

    def watch(
        *paths: str,
        watch_filter: t.Callable[[int, str], bool],
        stop_event: threading.Event,
        yield_on_timeout: bool,
        rust_timeout: int,
        recursive: bool = True,
    ) -> t.Iterator[set[tuple[int, str]]]:
        calls.append({"paths": paths, "recursive": recursive, "timeout": rust_timeout})
        for batch in changes:
            yield {change for change in batch if watch_filter(*change)}

    module.watch = watch  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "watchfiles", module)
    return calls


def test_watchfiles_watcher(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = fake_watchfiles(
        monkeypatch,
        [
            set(),  # a timeout
            {(2, str(project / "README.md")), (2, str(project / "skipped" / "gen.py"))},
            {(2, str(project / "pkg" / "mod.py"))},
        ],
    )
    watcher = make_watcher(
        "auto", exclude_patterns=[str(project / "skipped" / "*")], interval=0.5
    )
    assert isinstance(watcher, WatchfilesWatcher)
    watcher.prepare()
    found = watcher.wait_for_change(threading.Event(), lambda: True)
    assert found == str(project / "pkg" / "mod.py")
    assert calls[0]["recursive"] is False
    assert calls[0]["timeout"] == 500
    assert str(project / "pkg") in calls[0]["paths"]
    assert str(project / "skipped") not in calls[0]["paths"]


def test_make_watcher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "watchfiles", None)
    assert type(make_watcher("auto")) is PollingWatcher
    assert type(make_watcher("stat")) is PollingWatcher
    with pytest.raises(ValueError, match="needs the watchfiles package"):
        make_watcher("watchfiles")


# -- the supervisor ------------------------------------------------------------------


@posix_only
def test_supervise_restarts_on_code_3_and_hands_down_the_socket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = tmp_path / "runs"
    child = textwrap.dedent(
        f"""
        import os, socket, sys
        path = {str(counter)!r}
        runs = int(open(path).read()) if os.path.exists(path) else 0
        open(path, "w").write(str(runs + 1))
        assert os.environ["HIPFLASK_RUN_MAIN"] == "true"
        sock = socket.socket(fileno=int(os.environ["HIPFLASK_SERVER_FD"]))
        assert sock.getsockname()[1] == int(os.environ["EXPECTED_PORT"])
        sock.detach()
        sys.exit(3 if runs < 2 else 7)
        """
    )
    monkeypatch.setattr(
        reloader_module, "_child_command", lambda: [sys.executable, "-c", child]
    )
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        monkeypatch.setenv("EXPECTED_PORT", str(listener.getsockname()[1]))
        assert supervise(listener.fileno()) == 7
    assert counter.read_text() == "3"
    assert os.environ.get("HIPFLASK_RUN_MAIN") is None
