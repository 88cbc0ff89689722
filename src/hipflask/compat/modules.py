"""Make ``import flask`` and ``import flask.X`` give hipflask's modules.

The mapping is a table, :data:`FLASK_MODULES`: each public Flask module name maps to
an :class:`Alias` naming the hipflask modules that may stand in for it (the first
that exists wins), then the hipflask module of the same dotted name, and failing
those, the hipflask top-level names from which a small stand-in module can be built
(``flask.wrappers`` is ``Request`` and ``Response``). A Flask module not in the
table maps to the hipflask module of the same dotted name. Where nothing fits,
nothing is registered and the import fails with the usual ``ModuleNotFoundError``;
as hipflask grows, the table does not need to change.

How the import system is steered:

- ``sys.modules["flask"]`` is set to :mod:`hipflask` itself.
- :class:`FlaskAliasFinder` sits first on ``sys.meta_path`` and claims every name
  ``flask`` and ``flask.*``. Its loader hands the import system the already
  imported hipflask module instead of a new one, so ``flask.json`` and
  ``hipflask.json`` are the same object and classes keep one identity. Without the
  finder, Python would find hipflask's files through ``flask.__path__`` and execute
  them a second time as a separate ``flask.json`` module.
- The import system stamps the spec it was given onto the module it loads; the
  loader puts the module's own spec back, so ``hipflask.json.__spec__.name`` stays
  ``"hipflask.json"``.
- Every module in the table is imported once at install time, so the aliases are
  in ``sys.modules`` before any test (Flask's ``test_apps`` fixture removes modules
  first imported during a test). A hipflask module that fails to import is left
  out then and fails again, with its own error, when ``flask.X`` is imported.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
import typing as t
from dataclasses import dataclass

if t.TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["FLASK_MODULES", "Alias", "FlaskAliasFinder", "install_module_aliases"]


@dataclass(frozen=True)
class Alias:
    """Where a Flask module's objects live in hipflask."""

    #: hipflask modules that can stand in for the Flask module, best first.
    modules: tuple[str, ...]
    #: Else: top-level ``hipflask`` names a stand-in module is built from.
    names: tuple[str, ...] = ()


#: Flask's public modules. Add a line here when hipflask spells one differently.
FLASK_MODULES: dict[str, Alias] = {
    "flask.app": Alias(("hipflask.app",)),
    "flask.blueprints": Alias(("hipflask.blueprints",)),
    "flask.cli": Alias(("hipflask.cli",)),
    "flask.config": Alias(("hipflask.config",)),
    "flask.ctx": Alias(("hipflask.ctx",)),
    "flask.debughelpers": Alias(("hipflask.debughelpers", "hipflask.debug")),
    "flask.globals": Alias(("hipflask.globals",)),
    "flask.helpers": Alias(("hipflask.helpers",)),
    "flask.json": Alias(("hipflask.json",)),
    "flask.json.provider": Alias(("hipflask.json.provider",)),
    "flask.json.tag": Alias(("hipflask.json.tag",)),
    "flask.logging": Alias(("hipflask.logging",)),
    "flask.sessions": Alias(("hipflask.sessions",)),
    "flask.signals": Alias(("hipflask.signals",)),
    "flask.templating": Alias(("hipflask.templating",)),
    "flask.testing": Alias(("hipflask.testing",)),
    "flask.typing": Alias(("hipflask.typing",)),
    "flask.views": Alias(("hipflask.views",)),
    "flask.wrappers": Alias(("hipflask.wrappers",), names=("Request", "Response")),
}


#: Marks a module built by :func:`_build_module`.
_STAND_IN = "__hipflask_stand_in__"


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        # A parent that is missing or fails to import: nothing to alias.
        return False


def _build_module(name: str, names: Sequence[str]) -> types.ModuleType | None:
    """Build module ``name`` from top-level hipflask names, if all of them exist."""
    import hipflask

    if not names or not all(hasattr(hipflask, attr) for attr in names):
        return None
    module = types.ModuleType(name, f"hipflask objects standing in for {name}.")
    for attr in names:
        setattr(module, attr, getattr(hipflask, attr))
    module.__all__ = list(names)  # type: ignore[attr-defined]
    vars(module)[_STAND_IN] = True
    return module


def resolve(flask_name: str) -> types.ModuleType | None:
    """Return the module that ``flask_name`` should import as, or None.

    Tries the table's modules, then the hipflask module of the same dotted name,
    then a stand-in built from top-level names. Imports the hipflask module on the
    way; its import errors propagate.
    """
    if flask_name == "flask":
        return importlib.import_module("hipflask")
    alias = FLASK_MODULES.get(flask_name, Alias(()))
    same_name = "hip" + flask_name
    for candidate in (*alias.modules, same_name):
        if _module_exists(candidate):
            return importlib.import_module(candidate)
    return _build_module(flask_name, alias.names)


class _AliasLoader(importlib.abc.Loader):
    """Loads a Flask module name as an existing module object."""

    def __init__(self, module: types.ModuleType) -> None:
        self.module = module
        self.own_spec = getattr(module, "__spec__", None)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return self.module

    def exec_module(self, module: types.ModuleType) -> None:
        # The import system has just stamped the alias spec onto the module; a
        # hipflask module gets its own back (a built stand-in keeps the alias one).
        if self.own_spec is not None:
            module.__spec__ = self.own_spec


class FlaskAliasFinder(importlib.abc.MetaPathFinder):
    """Claims ``flask`` and ``flask.*`` imports for hipflask's modules."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "flask" and not fullname.startswith("flask."):
            return None
        module = resolve(fullname)
        if module is None:
            # No hipflask module of that name either, so the path-based finders,
            # searching hipflask's folders through ``flask.__path__``, find
            # nothing too: the import fails as for any missing module.
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(module))


def _is_alias(module: object) -> bool:
    """Whether a module in ``sys.modules`` under a Flask name is hipflask's."""
    module_name = getattr(module, "__name__", "")
    return (isinstance(module_name, str) and module_name.startswith("hipflask")) or (
        getattr(module, _STAND_IN, False) is True
    )


def install_module_aliases() -> dict[str, str]:
    """Register the finder and import every table entry.

    Returns, for each Flask module name, the name of the module it now resolves to,
    or why it does not resolve. Raises RuntimeError when the real Flask is already
    imported: objects from both would then be mixed in one process.
    """
    real = sorted(
        name
        for name, module in list(sys.modules.items())
        if (name == "flask" or name.startswith("flask."))
        and module is not None
        and not _is_alias(module)
    )
    if real:
        raise RuntimeError(
            "hipflask.compat.install() must run before Flask is imported, but these"
            f" modules are already imported from Flask: {', '.join(real)}."
        )
    if not any(isinstance(finder, FlaskAliasFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, FlaskAliasFinder())
    report = {"flask": importlib.import_module("flask").__name__}
    report.update((name, _import_alias(name)) for name in FLASK_MODULES)
    return report


def _import_alias(name: str) -> str:
    """Import Flask module ``name``; return what it resolved to, or why not."""
    try:
        return importlib.import_module(name).__name__
    except Exception as exc:
        # Missing, or present but not importable (yet): importing the Flask name
        # later raises this same error where it is used.
        return f"unavailable ({type(exc).__name__}: {exc})"
