"""Werkzeug objects in a hipflask process, when Werkzeug happens to be installed.

Flask code imports from Werkzeug directly: ``from werkzeug.exceptions import
NotFound``, ``from werkzeug.routing import BaseConverter``, ``from
werkzeug.datastructures import FileStorage``. Two mechanisms make that code work on
hipflask; :func:`install` sets up both, and only if Werkzeug is importable.

1. Adoption. Each module of :data:`WERKZEUG_MODULES` is imported, then replaced,
   in ``sys.modules`` and as its parent package's attribute, by a copy whose
   public names that hipflask also defines are hipflask's objects:
   ``werkzeug.exceptions.NotFound is hipflask.http.exceptions.NotFound``. A name
   is adopted only where hipflask's object is of the same kind (class for class,
   function for function, dict for dict). The original module objects stay as
   they were, and Werkzeug's own functions keep reading their globals from them,
   so Werkzeug itself keeps working on its own classes (``Map.bind`` still makes
   Werkzeug's ``MapAdapter``); code importing these names afterwards gets
   hipflask's, so ``raise NotFound()``, ``errorhandler(Forbidden)``,
   ``isinstance(f, FileStorage)`` and ``class C(BaseConverter)`` all meet
   hipflask's classes.
2. Genuine objects. Werkzeug objects made from references taken before adoption
   (or by Werkzeug itself) still reach hipflask:

   - an ``HTTPException`` of Werkzeug's: its class is added to the app's
     ``_http_exception_types`` (see :data:`HTTP_EXCEPTION_HOOK`), so error
     handlers find it by class and by code and, unhandled, it is served with its
     status as the WSGI application it is;
   - a Werkzeug ``Response`` or any WSGI callable returned from a view: served by
     the app's ``make_response`` as in Flask (``Response.force_type``), no hook;
   - a ``BaseConverter`` subclass of Werkzeug's: used by duck typing
     (``regex``, ``weight``, ``part_isolating``, ``to_python``, ``to_url``).

3. Flask's own uses of Werkzeug. Flask's test client sends ``User-Agent:
   Werkzeug/<version>`` (hipflask's sends ``hipflask/<version>``): the default of
   ``hipflask.testing.FlaskClient`` becomes Flask's. ``app.run`` keeps serving
   with hipflask's server, but honours a replaced ``werkzeug.serving.run_simple``
   (:mod:`hipflask.compat.werkzeug_run`). Flask's
   ``--version`` lists Werkzeug's version: ``hipflask.cli.get_version`` adds it.

Werkzeug's originals stay reachable through :func:`original`.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import importlib.util
import sys
import types
import typing as t

from . import werkzeug_run
from .patching import Init, wrap_init

__all__ = [
    "HTTP_EXCEPTION_HOOK",
    "WERKZEUG_MODULES",
    "adopted",
    "install",
    "original",
    "werkzeug_available",
]

_DATASTRUCTURES = ("hipflask.http.datastructures", "hipflask.http.header_types")

#: Werkzeug module -> hipflask modules whose public names replace its own.
WERKZEUG_MODULES: dict[str, tuple[str, ...]] = {
    "werkzeug.exceptions": ("hipflask.http.exceptions",),
    "werkzeug.routing": ("hipflask.routing",),
    "werkzeug.routing.converters": ("hipflask.routing",),
    "werkzeug.routing.exceptions": ("hipflask.routing", "hipflask.http.exceptions"),
    "werkzeug.routing.map": ("hipflask.routing",),
    "werkzeug.routing.rules": ("hipflask.routing",),
    "werkzeug.datastructures": _DATASTRUCTURES,
    "werkzeug.datastructures.accept": _DATASTRUCTURES,
    "werkzeug.datastructures.auth": _DATASTRUCTURES,
    "werkzeug.datastructures.cache_control": _DATASTRUCTURES,
    "werkzeug.datastructures.csp": _DATASTRUCTURES,
    "werkzeug.datastructures.etag": _DATASTRUCTURES,
    "werkzeug.datastructures.file_storage": _DATASTRUCTURES,
    "werkzeug.datastructures.headers": _DATASTRUCTURES,
    "werkzeug.datastructures.range": _DATASTRUCTURES,
    "werkzeug.datastructures.structures": _DATASTRUCTURES,
}

#: (module, class, attribute): the tuple of exception classes hipflask's error
#: handling treats as HTTP exceptions. Werkzeug's ``HTTPException`` joins it.
HTTP_EXCEPTION_HOOK = ("hipflask.scaffold", "Scaffold", "_http_exception_types")

_originals: dict[str, types.ModuleType] = {}
_adopted: dict[str, list[str]] = {}
_missing = object()
_installed = False


def werkzeug_available() -> bool:
    """Whether Werkzeug can be imported (without importing it)."""
    try:
        return importlib.util.find_spec("werkzeug") is not None
    except (ImportError, ValueError):
        return False


def _import_if_exists(name: str) -> types.ModuleType | None:
    """Import ``name``; None when it is missing or fails to import (yet)."""
    try:
        if importlib.util.find_spec(name) is None:
            return None
        return importlib.import_module(name)
    except Exception:
        # hipflask is built module by module: a module that does not import
        # yet is skipped here and fails with its own error where it is used.
        return None


def _public_names(module: types.ModuleType) -> list[str]:
    exported = getattr(module, "__all__", None)
    if exported is not None:
        return [str(name) for name in exported]
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and str(getattr(value, "__module__", "")).startswith("hipflask")
    ]


def _same_kind(ours: object, theirs: object) -> bool:
    if isinstance(theirs, type):
        return isinstance(ours, type)
    return type(ours) is type(theirs)


def _adopt(werkzeug_name: str, sources: tuple[str, ...]) -> None:
    """Put a copy of ``werkzeug_name`` with hipflask's objects in its place."""
    current = _import_if_exists(werkzeug_name)
    if current is None or werkzeug_name in _originals:
        return
    replacements: dict[str, object] = {}
    for source in filter(None, map(_import_if_exists, sources)):
        for name in _public_names(source):
            theirs = getattr(current, name, _missing)
            ours = getattr(source, name)
            if (
                name not in replacements
                and theirs is not _missing
                and _same_kind(ours, theirs)
            ):
                replacements[name] = ours
    if not replacements:
        return
    copy = types.ModuleType(werkzeug_name, current.__doc__)
    vars(copy).update(vars(current))
    vars(copy).update(replacements)
    _originals[werkzeug_name] = current
    _adopted[werkzeug_name] = sorted(replacements)
    sys.modules[werkzeug_name] = copy
    parent, _, child = werkzeug_name.rpartition(".")
    setattr(sys.modules[parent], child, copy)


def _register_http_exception(cls: type[BaseException]) -> bool:
    module_name, class_name, attribute = HTTP_EXCEPTION_HOOK
    module = _import_if_exists(module_name)
    owner = getattr(module, class_name, None)
    current = getattr(owner, attribute, None)
    if owner is None or not isinstance(current, tuple):
        return False
    if cls not in current:
        setattr(owner, attribute, (*current, cls))
    return True


def _identify_client_as_werkzeug() -> bool:
    """Give the test client Flask's default User-Agent; idempotent."""
    client = getattr(_import_if_exists("hipflask.testing"), "FlaskClient", None)
    if not isinstance(client, type):
        return False
    agent = f"Werkzeug/{importlib.metadata.version('werkzeug')}"

    def wrap(init: Init) -> Init:
        def __init__(self: t.Any, *args: t.Any, **kwargs: t.Any) -> None:
            init(self, *args, **kwargs)
            base = getattr(self, "environ_base", None)
            if isinstance(base, dict) and str(
                base.get("HTTP_USER_AGENT", "")
            ).startswith("hipflask/"):
                base["HTTP_USER_AGENT"] = agent

        return __init__

    wrap_init(client, "_hipflask_compat_user_agent", wrap)
    return True


class _ThenWerkzeugVersion:
    """A click context whose ``exit`` first prints Werkzeug's version."""

    def __init__(self, ctx: t.Any, version: str) -> None:
        self._ctx = ctx
        self._version = version

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self._ctx, name)

    def exit(self, *args: t.Any) -> t.Any:
        import click

        click.echo(f"Werkzeug {self._version}", color=self._ctx.color)
        return self._ctx.exit(*args)


def _version_lists_werkzeug() -> bool:
    """Make ``--version`` list Werkzeug's version, as Flask's does; idempotent."""
    cli = _import_if_exists("hipflask.cli")
    get_version = getattr(cli, "get_version", None)
    if not callable(get_version) or getattr(get_version, "_hipflask_compat", False):
        return False
    version = importlib.metadata.version("werkzeug")

    @functools.wraps(get_version)
    def with_werkzeug(ctx: t.Any, param: t.Any, value: t.Any) -> t.Any:
        if not value or ctx.resilient_parsing:
            return get_version(ctx, param, value)
        return get_version(_ThenWerkzeugVersion(ctx, version), param, value)

    with_werkzeug._hipflask_compat = True  # type: ignore[attr-defined]
    setattr(cli, "get_version", with_werkzeug)  # noqa: B010
    option = getattr(cli, "version_option", None)
    if getattr(option, "callback", None) is get_version:
        option.callback = with_werkzeug  # type: ignore[union-attr]
    return True


def install() -> bool:
    """Adopt Werkzeug's names and register its genuine classes; idempotent.

    Returns False, importing nothing, when Werkzeug is not installed.
    """
    global _installed
    if _installed:
        return True
    if not werkzeug_available():
        return False
    # Import every Werkzeug module of the table before rebinding anything, so
    # that Werkzeug's internals bind Werkzeug's own classes.
    for name in WERKZEUG_MODULES:
        _import_if_exists(name)
    for name, sources in WERKZEUG_MODULES.items():
        _adopt(name, sources)
    genuine = original("werkzeug.exceptions", "HTTPException")
    if isinstance(genuine, type) and issubclass(genuine, BaseException):
        _register_http_exception(genuine)
    _identify_client_as_werkzeug()
    _version_lists_werkzeug()
    werkzeug_run.install()
    _installed = True
    return True


def original(module: str, name: str) -> t.Any:
    """Werkzeug's own object for ``module.name``, adopted or not."""
    found = _originals.get(module)
    if found is None:
        found = importlib.import_module(module)
    return getattr(found, name)


def adopted() -> dict[str, list[str]]:
    """The names adopted so far, per Werkzeug module."""
    return {module: list(names) for module, names in _adopted.items() if names}
