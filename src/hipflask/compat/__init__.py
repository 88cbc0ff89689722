"""Run code written for Flask on hipflask, unchanged. Opt-in.

``install()`` makes ``import flask`` and ``import flask.X`` give hipflask's modules
(:mod:`hipflask.compat.modules`) and, when Werkzeug is installed, makes Werkzeug's
public exception, routing and data-structure names give hipflask's objects while
genuine Werkzeug objects still work (:mod:`hipflask.compat.werkzeug_interop`).

hipflask never calls it itself. Call it before anything imports Flask::

    import hipflask.compat

    hipflask.compat.install()
    from flask import Flask  # hipflask's Flask

For a Flask project's tests, ``pytest -p hipflask.compat.pytest_plugin`` does the
same before conftest files are imported (:mod:`hipflask.compat.pytest_plugin`).
"""

from __future__ import annotations

from . import modules, werkzeug_interop

__all__ = ["install", "installed", "status"]

_status: dict[str, str] | None = None


def install() -> dict[str, str]:
    """Make Flask (and Werkzeug's shared names) resolve to hipflask; idempotent.

    Returns :func:`status`. Raises RuntimeError if the real Flask is already
    imported in this process.
    """
    global _status
    if _status is None:
        report = modules.install_module_aliases()
        report["werkzeug"] = (
            "adopted" if werkzeug_interop.install() else "not installed"
        )
        _status = report
    return dict(_status)


def installed() -> bool:
    """Whether :func:`install` has run in this process."""
    return _status is not None


def status() -> dict[str, str]:
    """For each Flask module name, the module it resolves to, or why it does not."""
    return dict(_status) if _status is not None else {}
