"""``hipflask serve``: the app on a production server, in one command.

The first installed of granian, gunicorn and uvicorn (:data:`SERVERS`, or the
one ``--server`` names) replaces the current process (:func:`exec_server`), with
one worker per CPU by default. Each worker process imports the app through
:func:`app_from_environment`, which reads the ``--app`` value from
``HIPFLASK_SERVE_APP`` and loads it the way the command line does; the app is
loaded once beforehand too, so a broken app fails here, with a clear message.

The protocol is chosen from the app (:func:`choose_interface`): ASGI when
``asgi_app`` was wrapped by middleware or a view, hook or error handler is a
coroutine function; WSGI when ``wsgi_app`` was wrapped or everything is sync (a
sync app then skips the worker-thread hop ASGI needs). uvicorn always gets ASGI
(its WSGI mode is deprecated). Debug mode and the reloader are never used: the
workers turn ``app.debug`` off.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import typing as t
from collections.abc import Iterable

import click

from .concurrency import is_async_callable
from .discovery import ScriptInfo, pass_script_info
from .helpers import get_debug_flag

if t.TYPE_CHECKING:
    from .app import Flask

__all__ = [
    "GRANIAN_KILL_TIMEOUT",
    "SERVERS",
    "SERVE_APP_ENV",
    "app_from_environment",
    "available_servers",
    "choose_interface",
    "exec_server",
    "serve_command",
    "serve_command_line",
]

#: Production servers ``hipflask serve`` knows, best first.
SERVERS = ("granian", "gunicorn", "uvicorn")
#: The app's import path, as the server processes of ``hipflask serve`` read it.
SERVE_APP_ENV = "HIPFLASK_SERVE_APP"
#: Seconds granian gives a worker to stop before killing it (gunicorn's default
#: graceful timeout). Without one, granian waits forever for a worker that got
#: SIGTERM while starting, before it handles signals. ``-- --workers-kill-timeout
#: N`` overrides it.
GRANIAN_KILL_TIMEOUT = 30
#: What each server process imports (a factory: see :func:`app_from_environment`).
_FACTORY = "hipflask.production:app_from_environment"


def available_servers() -> list[str]:
    """The production servers installed, best first."""
    return [name for name in SERVERS if importlib.util.find_spec(name) is not None]


def _uses_async(app: Flask) -> bool:
    funcs: list[t.Callable[..., t.Any]] = list(app.view_functions.values())
    for table in (
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
        app.url_value_preprocessors,
    ):
        for chain in table.values():
            funcs.extend(chain)
    funcs.extend(app.teardown_appcontext_funcs)
    for by_code in app.error_handler_spec.values():
        for handlers in by_code.values():
            funcs.extend(handlers.values())
    return any(is_async_callable(func) for func in funcs)


def choose_interface(app: Flask, server: str, requested: str = "auto") -> str:
    """``"wsgi"`` or ``"asgi"`` for ``app`` on ``server`` (see the module doc)."""
    if requested not in ("auto", "wsgi", "asgi"):
        raise ValueError(f"Unknown interface {requested!r}: use auto, wsgi or asgi.")
    if server == "uvicorn":
        if requested == "wsgi":
            raise ValueError(
                "uvicorn serves hipflask apps as ASGI only; for WSGI use granian or"
                " gunicorn."
            )
        return "asgi"
    if requested != "auto":
        return requested
    own = vars(app)
    if "asgi_app" in own:
        return "asgi"
    if "wsgi_app" in own:
        return "wsgi"
    return "asgi" if _uses_async(app) else "wsgi"


def _gunicorn_asgi_worker() -> str:
    if importlib.util.find_spec("gunicorn.workers.gasgi") is not None:
        return "asgi"
    if importlib.util.find_spec("uvicorn_worker") is not None:
        return "uvicorn_worker.UvicornWorker"
    return "uvicorn.workers.UvicornWorker"


def serve_command_line(
    server: str,
    interface: str,
    host: str,
    port: int,
    workers: int,
    extra_args: Iterable[str] = (),
) -> list[str]:
    """The command that starts ``server`` on the app named by ``HIPFLASK_SERVE_APP``."""
    python = [sys.executable, "-m", server]
    extra = list(extra_args)
    if server == "granian":
        return [
            *python,
            "--interface",
            interface,
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--workers-kill-timeout",
            str(GRANIAN_KILL_TIMEOUT),
            "--factory",
            *extra,
            _FACTORY,
        ]
    if server == "gunicorn":
        bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        worker_class = ["--worker-class", _gunicorn_asgi_worker()]
        return [
            *python,
            "--bind",
            bind,
            "--workers",
            str(workers),
            *(worker_class if interface == "asgi" else []),
            *extra,
            f"{_FACTORY}()",
        ]
    if server == "uvicorn":
        return [
            *python,
            "--interface",
            "asgi3",
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--factory",
            *extra,
            _FACTORY,
        ]
    raise ValueError(f"Unknown server {server!r}: use one of {', '.join(SERVERS)}.")


def exec_server(argv: list[str], env: dict[str, str]) -> t.NoReturn:
    """Replace this process by ``argv`` (Windows: run it, exit with its status)."""
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name != "posix":
        raise SystemExit(subprocess.call(argv, env=env))
    os.execve(argv[0], argv, env)


def app_from_environment() -> Flask:
    """Load the app named by ``HIPFLASK_SERVE_APP``: the factory servers call."""
    target = os.environ.get(SERVE_APP_ENV)
    if not target:
        raise RuntimeError(
            f"{SERVE_APP_ENV} is not set. This factory is meant for the server"
            " processes that 'hipflask serve' starts."
        )
    info = ScriptInfo(
        app_import_path=target, set_debug_flag=False, load_dotenv_defaults=False
    )
    app = info.load_app()
    app.debug = False  # ``hipflask serve`` warned about it already
    return app


def _cpu_count() -> int:
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        return max(1, len(affinity(0)))
    return os.cpu_count() or 1


@click.command(
    "serve",
    short_help="Run a production server.",
    context_settings={"ignore_unknown_options": True},
)
@click.option(
    "--host",
    "-h",
    default="127.0.0.1",
    show_default=True,
    envvar=["HIPFLASK_SERVE_HOST"],
    help="The interface to bind to ('0.0.0.0' for every IPv4 interface).",
)
@click.option(
    "--port",
    "-p",
    default=8000,
    show_default=True,
    type=click.IntRange(1, 65535),
    envvar=["HIPFLASK_SERVE_PORT"],
    help="The port to bind to.",
)
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(min=1),
    default=None,
    envvar=["HIPFLASK_SERVE_WORKERS"],
    help="Worker processes. Default: the number of CPUs available.",
)
@click.option(
    "--server",
    "server_name",
    type=click.Choice(["auto", *SERVERS]),
    default="auto",
    show_default=True,
    help="The server to run; 'auto' takes the first installed of granian,"
    " gunicorn and uvicorn.",
)
@click.option(
    "--interface",
    type=click.Choice(["auto", "wsgi", "asgi"]),
    default="auto",
    show_default=True,
    help="The protocol between server and app; 'auto' picks ASGI for apps with"
    " async views or hooks, WSGI otherwise.",
)
@click.argument("server_args", nargs=-1, type=click.UNPROCESSED)
@pass_script_info
def serve_command(
    info: ScriptInfo,
    host: str,
    port: int,
    workers: int | None,
    server_name: str,
    interface: str,
    server_args: tuple[str, ...],
) -> None:
    """Run the app on a production server: granian, gunicorn or uvicorn.

    Never runs the debugger or the reloader. Arguments after '--' are passed
    to the server unchanged, for example: hipflask serve -- --backlog 4096
    """
    app = info.load_app()
    target = info.import_path_for_workers()
    if target is None:
        raise click.UsageError(
            "'hipflask serve' starts new processes that import the app, and this"
            " app comes from a create_app callback they cannot import. Name the"
            " app with '--app module:name' (or HIPFLASK_APP)."
        )
    installed = available_servers()
    if server_name == "auto":
        if not installed:
            raise click.ClickException(
                "'hipflask serve' needs a production server, and none is installed."
                " Install granian (pip install 'hipflask[serve]'), gunicorn or"
                " uvicorn."
            )
        server_name = installed[0]
    elif server_name not in installed:
        hint = "'hipflask[serve]'" if server_name == "granian" else server_name
        raise click.UsageError(
            f"The server {server_name!r} is not installed (pip install {hint})."
        )
    try:
        chosen = choose_interface(app, server_name, interface)
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    if workers is None:
        workers = _cpu_count()
    if app.debug or get_debug_flag():
        click.secho(
            " * Warning: debug mode is ignored: 'hipflask serve' never runs the"
            " debugger or the reloader (use 'hipflask run' for development).",
            err=True,
            fg="yellow",
        )
    plural = "" if workers == 1 else "s"
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(
        f" * Serving hipflask app '{target}' with {server_name}"
        f" ({chosen.upper()}, {workers} worker{plural})\n"
        f" * Listening on http://{shown_host}:{port}"
    )
    argv = serve_command_line(server_name, chosen, host, port, workers, server_args)
    env = dict(os.environ)
    env[SERVE_APP_ENV] = target
    exec_server(argv, env)
