"""pytest plugin: run a Flask project's own tests on hipflask.

Usage::

    pytest -p hipflask.compat.pytest_plugin                 # WSGI, as Flask
    pytest -p hipflask.compat.pytest_plugin --hipflask-protocol=asgi

pytest imports a ``-p`` plugin while it reads the command line, before any
``conftest.py``, so :func:`hipflask.compat.install` runs here at import time and
the conftest's ``import flask`` already gets hipflask.

``--hipflask-protocol=asgi`` (or the environment variable
``HIPFLASK_TEST_PROTOCOL=asgi``) makes every test client drive the application
through its ASGI interface: ``hipflask.testing.FlaskClient`` gets ``asgi=True`` as
the default of its ``asgi`` argument, so ``app.test_client()`` and clients built by
hand both use it, and so do subclasses that pass their arguments on.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

import hipflask
import hipflask.compat

from .patching import force_asgi_clients

__all__ = ["PROTOCOL_ENV"]

#: Environment variable naming the default protocol, ``wsgi`` or ``asgi``.
PROTOCOL_ENV = "HIPFLASK_TEST_PROTOCOL"
_PROTOCOLS = ("wsgi", "asgi")
_protocol_key = pytest.StashKey[str]()

hipflask.compat.install()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hipflask", "hipflask Flask compatibility")
    group.addoption(
        "--hipflask-protocol",
        choices=_PROTOCOLS,
        default=None,
        help=(
            "protocol the Flask test client drives: wsgi or asgi"
            f" (default: ${PROTOCOL_ENV}, else wsgi)"
        ),
    )


def _protocol(config: pytest.Config) -> str:
    chosen = config.getoption("hipflask_protocol")
    if chosen is None:
        chosen = os.environ.get(PROTOCOL_ENV, "wsgi").strip().lower() or "wsgi"
    if chosen not in _PROTOCOLS:
        raise pytest.UsageError(
            f"{PROTOCOL_ENV}={chosen!r} is not a protocol; use 'wsgi' or 'asgi'."
        )
    return str(chosen)


def pytest_configure(config: pytest.Config) -> None:
    protocol = _protocol(config)
    config.stash[_protocol_key] = protocol
    if protocol != "asgi":
        return
    if importlib.util.find_spec("hipflask.testing") is None:
        raise pytest.UsageError(
            "--hipflask-protocol=asgi needs hipflask.testing, which does not exist."
        )
    from hipflask.testing import FlaskClient

    try:
        force_asgi_clients(FlaskClient)
    except TypeError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_report_header(config: pytest.Config) -> list[str]:
    status = hipflask.compat.status()
    missing = sorted(
        name
        for name, where in status.items()
        if name.startswith("flask") and where.startswith("unavailable")
    )
    lines = [
        f"hipflask.compat: flask is hipflask {hipflask.__version__},"
        f" protocol {config.stash.get(_protocol_key, 'wsgi')},"
        f" werkzeug {status.get('werkzeug', 'not installed')}"
    ]
    if missing:
        lines.append("hipflask.compat: not provided yet: " + ", ".join(missing))
    return lines
