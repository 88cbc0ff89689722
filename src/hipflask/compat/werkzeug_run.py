"""``app.run()`` on Werkzeug's development server, as Flask does, under compat.

hipflask's own ``app.run`` serves with uvicorn. Code written for Flask expects
``app.run`` to hand the application to ``werkzeug.serving.run_simple`` (tests
replace that function to check what it receives), so when Werkzeug is installed
:func:`install` makes ``Flask.run`` do exactly that:

- inside the ``flask run`` command (``FLASK_RUN_FROM_CLI=true``) it does nothing
  but say so, since the command already serves the app;
- ``.env`` files are loaded unless ``FLASK_SKIP_DOTENV`` says otherwise, and
  ``FLASK_DEBUG`` then sets ``app.debug``; a ``debug`` argument wins over both;
- the host defaults to ``SERVER_NAME``'s host, else ``127.0.0.1``; the port to the
  argument (``0`` included), else ``SERVER_NAME``'s port, else ``5000``;
- ``use_reloader`` and ``use_debugger`` default to ``app.debug``, ``threaded`` to
  True;
- ``run_simple`` is looked up on ``werkzeug.serving`` at each call.
"""

from __future__ import annotations

import importlib
import os
import sys
import typing as t

__all__ = ["install", "run"]


def _helper(name: str) -> t.Callable[..., t.Any] | None:
    try:
        module = importlib.import_module("hipflask.helpers")
    except ImportError:
        return None
    found = getattr(module, name, None)
    return found if callable(found) else None


def _load_dotenv(load: bool) -> None:
    get_load_dotenv = _helper("get_load_dotenv")
    if get_load_dotenv is not None and not get_load_dotenv(load):
        return
    if get_load_dotenv is None and not load:
        return
    try:
        cli = importlib.import_module("hipflask.cli")
    except ImportError:
        return
    load_dotenv = getattr(cli, "load_dotenv", None)
    if callable(load_dotenv):
        load_dotenv()


def run(
    self: t.Any,
    host: str | None = None,
    port: int | str | None = None,
    debug: bool | None = None,
    load_dotenv: bool = True,
    **options: t.Any,
) -> None:
    """Serve the app with ``werkzeug.serving.run_simple`` (Flask's ``app.run``)."""
    if os.environ.get("FLASK_RUN_FROM_CLI") == "true":
        if os.environ.get("WERKZEUG_RUN_MAIN") != "true":
            print(
                " * app.run() ignored: the 'flask run' command is already serving"
                " this app. Guard the call with 'if __name__ == \"__main__\":'.",
                file=sys.stderr,
            )
        return
    _load_dotenv(load_dotenv)
    get_debug_flag = _helper("get_debug_flag")
    if "FLASK_DEBUG" in os.environ and get_debug_flag is not None:
        self.debug = get_debug_flag()
    if debug is not None:
        self.debug = bool(debug)
    server_name = self.config.get("SERVER_NAME") or ""
    name_host, _, name_port = server_name.partition(":")
    if not host:
        host = name_host or "127.0.0.1"
    if not port and port != 0:
        port = name_port or 5000
    port = int(port)
    options.setdefault("use_reloader", self.debug)
    options.setdefault("use_debugger", self.debug)
    options.setdefault("threaded", True)
    print(
        f" * Serving app {self.name!r} (hipflask on Werkzeug's development server)",
        f" * Debug mode: {'on' if self.debug else 'off'}",
        sep="\n",
        file=sys.stderr,
    )
    serving = importlib.import_module("werkzeug.serving")
    try:
        serving.run_simple(host, port, self, **options)
    finally:
        if hasattr(self, "_got_first_request"):
            self._got_first_request = False


def install() -> bool:
    """Make ``hipflask.Flask.run`` use :func:`run`; False if there is no Flask."""
    try:
        app_module = importlib.import_module("hipflask.app")
    except ImportError:
        return False
    flask_class = getattr(app_module, "Flask", None)
    if not isinstance(flask_class, type):
        return False
    setattr(flask_class, "run", run)  # noqa: B010 (mypy: Flask may lack it)
    return True
