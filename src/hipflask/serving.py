"""The development server: ``hipflask run`` and ``Flask.run``, through uvicorn.

The app is served as ASGI, so async views and websockets work as they will in
production. :func:`run_simple` binds the socket itself, before uvicorn starts:
the banner then shows the real address (port 0 picks a free port), errors such
as a busy port are reported plainly, and the reloader's supervisor keeps the
port open across restarts (see :mod:`hipflask.reloader`; the child receives the
socket and serves on it). uvicorn's own start-up lines are silenced; its access
log and errors stay. A child whose app failed to load after an edit serves
:func:`load_error_app` and keeps watching, so fixing the file is enough.

Production serving is :mod:`hipflask.production` (``hipflask serve``).
"""

from __future__ import annotations

import copy
import errno
import importlib
import importlib.util
import ipaddress
import os
import shutil
import socket
import sys
import tempfile
import threading
import traceback
import typing as t
from collections.abc import Awaitable, Callable, Iterable

from .helpers import get_debug_flag, get_load_dotenv
from .reloader import (
    PARENT_GONE,
    RESTART_CODE,
    SERVER_FD_ENV,
    FileWatcher,
    is_running_from_reloader,
    make_watcher,
    start_watching,
    supervise,
)

if t.TYPE_CHECKING:
    import ssl

    from .app import Flask

__all__ = [
    "is_loopback",
    "load_error_app",
    "run_app",
    "run_simple",
    "show_server_banner",
]

Message = dict[str, t.Any]
ASGIApp = Callable[
    [Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]
SSLOption = t.Union["ssl.SSLContext", tuple[str, str], str, None]

_WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def show_server_banner(debug: bool | None, app_import_path: str | None) -> None:
    """Print which app is served and the debug state (once, not per restart)."""
    if is_running_from_reloader():
        return
    if app_import_path is not None:
        print(f" * Serving hipflask app '{app_import_path}'", flush=True)
    if debug is not None:
        print(f" * Debug mode: {'on' if debug else 'off'}", flush=True)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names only loopback addresses (``localhost``, 127/8, ::1)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.partition("%")[0]).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False
    addresses = {str(info[4][0]).partition("%")[0] for info in infos}
    return bool(addresses) and all(
        ipaddress.ip_address(address).is_loopback for address in addresses
    )


def _lan_address(family: int) -> str | None:
    """This machine's address on its default route (no packet is sent)."""
    target = "fd31:f903:5ab5:1::1" if family == socket.AF_INET6 else "10.253.155.219"
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((target, 58162))
            return str(probe.getsockname()[0])
        except OSError:
            return None


def _url(scheme: str, host: str, port: int) -> str:
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


def _print_running(
    host: str,
    port: int,
    scheme: str,
    watcher: FileWatcher | None,
    debug: bool,
) -> None:
    lines: list[str] = []
    if host in _WILDCARD_HOSTS:
        family = socket.AF_INET6 if host == "::" else socket.AF_INET
        loopback = "::1" if family == socket.AF_INET6 else "127.0.0.1"
        lines.append(f" * Running on all addresses ({host or '0.0.0.0'})")
        lines.append(f" * Running on {_url(scheme, loopback, port)}")
        lan = _lan_address(family)
        if lan is not None:
            lines.append(f" * Running on {_url(scheme, lan, port)}")
    else:
        lines.append(f" * Running on {_url(scheme, host, port)}")
    reloader = f"on ({watcher.name})" if watcher is not None else "off"
    lines.append(f" * Reloader: {reloader}")
    if debug and not is_loopback(host):
        lines.append(
            " * WARNING: debug mode is on and the server listens on"
            f" {host or '0.0.0.0'!r}, which is not a loopback address: anyone who"
            " can reach this machine can see tracebacks and application internals."
            " Use --host 127.0.0.1, or turn debug mode off."
        )
    lines.append(" * Press CTRL+C to quit")
    print("\n".join(lines), flush=True)


def _bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port``; exits with a message on failure."""
    address = host.strip("[]")
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name == "posix":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        sock.listen(2048)
    except OSError as e:
        sock.close()
        if isinstance(e, socket.gaierror):
            reason = f"the host name {host!r} cannot be resolved ({e.strerror})"
        elif e.errno in _ADDRESS_IN_USE:
            reason = (
                f"port {port} on {host} is in use by another program. Stop that"
                " program, or choose another port (--port, or app.run(port=...))"
            )
        else:
            reason = f"{e.strerror or e} ({host}:{port})"
        print(f" * Error: cannot start the server: {reason}.", file=sys.stderr)
        raise SystemExit(1) from None
    return sock


#: EADDRINUSE, and Windows' WSAEADDRINUSE.
_ADDRESS_IN_USE = frozenset({errno.EADDRINUSE, 10048})


def _check_ssl(ssl_context: SSLOption) -> None:
    """Reject a TLS setting the server could not use, before anything starts."""
    if ssl_context is None:
        return
    if ssl_context == "adhoc":
        if importlib.util.find_spec("cryptography") is None:
            raise RuntimeError(
                "An ad-hoc certificate needs the cryptography package"
                " (pip install cryptography)."
            )
        return
    if isinstance(ssl_context, tuple):
        if len(ssl_context) != 2 or not all(isinstance(p, str) for p in ssl_context):
            raise TypeError(
                "ssl_context must be a (cert_file, key_file) pair of paths."
            )
        return
    import ssl as ssl_module

    if isinstance(ssl_context, ssl_module.SSLContext):
        import inspect

        import uvicorn

        if "ssl_context_factory" not in inspect.signature(uvicorn.Config).parameters:
            raise RuntimeError(
                "Serving with an SSLContext object needs a newer uvicorn (one whose"
                " Config accepts ssl_context_factory); pass certificate and key"
                " files instead."
            )
        return
    raise TypeError(
        "ssl_context must be None, 'adhoc', a (cert_file, key_file) pair or an"
        f" ssl.SSLContext, not {type(ssl_context).__name__}."
    )


def _make_adhoc_certificate(folder: str) -> tuple[str, str]:
    """A self-signed certificate for localhost, written to ``folder``."""
    import datetime

    x509: t.Any = importlib.import_module("cryptography.x509")
    oid: t.Any = importlib.import_module("cryptography.x509.oid")
    hashes: t.Any = importlib.import_module("cryptography.hazmat.primitives.hashes")
    ec: t.Any = importlib.import_module("cryptography.hazmat.primitives.asymmetric.ec")
    serialization: t.Any = importlib.import_module(
        "cryptography.hazmat.primitives.serialization"
    )
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(oid.NameOID.COMMON_NAME, "localhost"),
            x509.NameAttribute(
                oid.NameOID.ORGANIZATION_NAME, "hipflask development certificate"
            ),
        ]
    )
    now = datetime.datetime.now(datetime.timezone.utc)
    alt_names = x509.SubjectAlternativeName(
        [
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(alt_names, critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file = os.path.join(folder, "adhoc.crt")
    key_file = os.path.join(folder, "adhoc.key")
    with open(cert_file, "wb") as out:
        out.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(key_file, "wb") as out:
        out.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return cert_file, key_file


def _ssl_options(ssl_context: SSLOption, scratch: list[str]) -> dict[str, t.Any]:
    """uvicorn.Config keyword arguments for a TLS setting (validated already)."""
    if ssl_context is None:
        return {}
    if isinstance(ssl_context, str):  # "adhoc"
        folder = tempfile.mkdtemp(prefix="hipflask-adhoc-")
        scratch.append(folder)
        cert_file, key_file = _make_adhoc_certificate(folder)
        return {"ssl_certfile": cert_file, "ssl_keyfile": key_file}
    if isinstance(ssl_context, tuple):
        return {"ssl_certfile": ssl_context[0], "ssl_keyfile": ssl_context[1]}
    context = ssl_context
    return {"ssl_context_factory": lambda config, default: context}


def _log_config() -> dict[str, t.Any]:
    """uvicorn's logging, minus its start-up and shutdown chatter."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("loggers", {}).setdefault("uvicorn.error", {})["level"] = (
        "WARNING"
    )
    return config


def _serve(
    application: t.Any,
    sock: socket.socket,
    ssl_context: SSLOption,
    watcher: FileWatcher | None,
) -> bool:
    """Serve on ``sock`` until stopped; True when the watcher asked for a restart."""
    import uvicorn

    scratch: list[str] = []
    changed: list[str] = []
    try:
        config = uvicorn.Config(
            application,
            interface="asgi3",
            proxy_headers=False,
            log_config=_log_config(),
            timeout_graceful_shutdown=5,
            **_ssl_options(ssl_context, scratch),
        )
        server = uvicorn.Server(config)
        stop_watching: threading.Event | None = None
        if watcher is not None:

            def on_change(path: str) -> None:
                changed.append(path)
                if path != PARENT_GONE:
                    print(
                        f" * Detected change in {path!r}, reloading",
                        file=sys.stderr,
                        flush=True,
                    )
                server.should_exit = True

            stop_watching = start_watching(watcher, on_change)
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:
            pass
        finally:
            if stop_watching is not None:
                stop_watching.set()
    finally:
        for folder in scratch:
            shutil.rmtree(folder, ignore_errors=True)
    return bool(changed) and changed[0] != PARENT_GONE


def _inherited_socket() -> socket.socket | None:
    fd = os.environ.get(SERVER_FD_ENV)
    if not fd:
        return None
    return socket.socket(fileno=int(fd))


def run_simple(
    hostname: str,
    port: int,
    application: t.Any,
    use_reloader: bool = False,
    use_debugger: bool = False,
    use_evalex: bool = True,
    extra_files: Iterable[str] | None = None,
    exclude_patterns: Iterable[str] | None = None,
    reloader_interval: float = 1,
    reloader_type: str = "auto",
    threaded: bool = True,
    processes: int = 1,
    request_handler: t.Any = None,
    static_files: t.Any = None,
    passthrough_errors: bool = False,
    ssl_context: SSLOption = None,
) -> None:
    """Serve an ASGI application (a hipflask app is one) for development.

    Werkzeug's ``run_simple`` arguments are accepted. ``threaded``,
    ``use_evalex`` and ``passthrough_errors`` change nothing here (sync views
    always run in worker threads; errors are the app's business);
    ``use_debugger`` serves the debug page for unhandled errors (see
    :mod:`hipflask.debug`) and counts towards the non-loopback warning.
    ``ssl_context`` is ``None``, ``"adhoc"``, a ``(cert_file, key_file)`` pair
    or an ``ssl.SSLContext``. Returns after Ctrl+C.
    """
    if not isinstance(port, int):
        raise TypeError(f"port must be an integer, got {type(port).__name__}.")
    if request_handler is not None or static_files is not None:
        raise TypeError(
            "request_handler and static_files are not supported by hipflask's"
            " development server."
        )
    if processes != 1:
        raise ValueError(
            "The development server runs one process; for several, use"
            " 'hipflask serve --workers N'."
        )
    _check_ssl(ssl_context)
    debug = bool(use_debugger or getattr(application, "debug", False))
    if use_debugger:
        # The debug page (inert: it shows, never executes) is the dev server's.
        from .debug import DebuggedApplication

        application = DebuggedApplication(application)
    watcher: FileWatcher | None = None
    if use_reloader:
        watcher = make_watcher(
            reloader_type, extra_files or (), exclude_patterns or (), reloader_interval
        )
    if is_running_from_reloader():
        sock = _inherited_socket() or _bind(hostname, port)
        if _serve(application, sock, ssl_context, watcher):
            raise SystemExit(RESTART_CODE)
        return
    sock = _bind(hostname, port)
    scheme = "https" if ssl_context is not None else "http"
    _print_running(hostname, sock.getsockname()[1], scheme, watcher, debug)
    if watcher is None:
        _serve(application, sock, ssl_context, None)
        return
    if os.name == "posix":
        code = supervise(sock.fileno())
        sock.close()
    else:  # the child binds the port itself
        sock.close()
        code = supervise(None)
    if code:
        raise SystemExit(code)


def load_error_app(error: BaseException, show_traceback: bool) -> ASGIApp:
    """An ASGI app answering 500 with ``error``, for a reload that failed to load."""
    text = (
        "The application failed to load. Fix the error and save the file: the"
        " server restarts by itself.\n"
    )
    if show_traceback:
        text += "\n" + "".join(traceback.format_exception(error))
    else:
        text += "The traceback is in the server's console.\n"
    body = text.encode("utf-8")
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode("ascii")),
    ]

    async def app(
        scope: Message,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] == "http":
            await send(
                {"type": "http.response.start", "status": 500, "headers": headers}
            )
            await send({"type": "http.response.body", "body": body})
        elif scope["type"] == "websocket":
            await receive()
            await send({"type": "websocket.close", "code": 1011})
        elif scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    return app


def run_app(
    app: Flask,
    host: str | None,
    port: int | None,
    debug: bool | None,
    load_dotenv: bool,
    options: dict[str, t.Any],
) -> None:
    """What ``Flask.run`` does: pick host, port and debug as Flask does, then serve."""
    if os.environ.get("FLASK_RUN_FROM_CLI") == "true":
        if not is_running_from_reloader():
            print(
                " * Ignoring a call to 'app.run()' that would block the current"
                " 'hipflask' command.\n"
                "   Only call 'app.run()' in an 'if __name__ == \"__main__\"' guard.",
                file=sys.stderr,
            )
        return
    if get_load_dotenv(load_dotenv):
        from .cli import load_dotenv as _load_dotenv

        _load_dotenv()
        if "HIPFLASK_DEBUG" in os.environ or "FLASK_DEBUG" in os.environ:
            app.debug = get_debug_flag()
    if debug is not None:
        app.debug = bool(debug)
    server_name = app.config.get("SERVER_NAME")
    sn_host = sn_port = None
    if server_name:
        sn_host, _, sn_port = server_name.partition(":")
    if not host:
        host = sn_host or "127.0.0.1"
    if port or port == 0:
        port = int(port)
    elif sn_port:
        port = int(sn_port)
    else:
        port = 5000
    options.setdefault("use_reloader", app.debug)
    options.setdefault("use_debugger", app.debug)
    options.setdefault("threaded", True)
    show_server_banner(app.debug, app.name)
    # Looked up at call time, so that a replaced ``serving.run_simple`` is used.
    run_simple(host, port, app, **options)
