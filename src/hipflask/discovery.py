"""Finding the application the command line works on.

:class:`ScriptInfo` knows where the app is. ``--app`` (or ``HIPFLASK_APP``, or
``FLASK_APP``) names it as ``module``, ``module:name``, ``module:factory()`` or
``module:factory(args)``; the module part may be a dotted name or a file path
(:func:`prepare_import` puts the folder above its package on ``sys.path``).
Without it, ``wsgi.py`` then ``app.py`` in the current folder are tried. Inside a
module (:func:`find_best_app`) the app is the named attribute, else ``app`` or
``application``, else the only ``Flask`` instance, else what ``create_app()`` or
``make_app()`` returns. ``name(args)`` is parsed with :mod:`ast` as a call whose
arguments are Python literals (never run as code)::

    app_name  = NAME | NAME "(" [arguments] ")"
    arguments = argument ("," argument)* [","]
    argument  = literal | NAME "=" literal       ; positional ones first

What went wrong reads differently for each kind of failure:

- nothing to import, or nothing app-like in the module: :class:`NoAppException`
  (a click usage error), saying what was looked for;
- an ImportError raised inside the module (a missing dependency):
  :class:`NoAppException` with that traceback;
- any other exception from the user's code (the module's import, a factory, a
  ``create_app`` callback) keeps its type and gains a note (``__notes__``,
  printed with the traceback on Python 3.11+) saying where it was raised.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import sys
import traceback
import typing as t
from types import ModuleType

import click

from .helpers import get_debug_flag, get_load_dotenv

if t.TYPE_CHECKING:
    from .app import Flask

__all__ = [
    "NoAppException",
    "ScriptInfo",
    "find_app_by_string",
    "find_best_app",
    "locate_app",
    "pass_script_info",
    "prepare_import",
]


class NoAppException(click.UsageError):
    """Raised when the application cannot be found or loaded."""


def _add_note(error: BaseException, note: str) -> None:
    """Say where ``error`` came from (a traceback shows notes on Python 3.11+)."""
    notes = getattr(error, "__notes__", None)
    if notes is not None and note in notes:
        return
    if hasattr(error, "add_note"):
        error.add_note(note)
    else:  # Python 3.10 has no add_note; the attribute is still readable
        error.__notes__ = [*(notes or ()), note]  # type: ignore[attr-defined]


def _called_with_wrong_args(func: t.Callable[..., t.Any]) -> bool:
    """Whether the TypeError being handled came from the call itself, not its body."""
    code = getattr(func, "__code__", None)
    tb = sys.exc_info()[2]
    try:
        while tb is not None:
            if tb.tb_frame.f_code is code:
                return False
            tb = tb.tb_next
        return True
    finally:
        del tb


def _call_factory(
    factory: t.Callable[..., t.Any],
    args: list[t.Any],
    kwargs: dict[str, t.Any],
    module_name: str,
    wrong_args_message: str,
) -> t.Any:
    try:
        return factory(*args, **kwargs)
    except TypeError as e:
        if _called_with_wrong_args(factory):
            raise NoAppException(wrong_args_message) from e
        _add_note(e, _factory_note(factory, module_name))
        raise
    except Exception as e:
        _add_note(e, _factory_note(factory, module_name))
        raise


def _factory_note(factory: t.Callable[..., t.Any], module_name: str) -> str:
    name = getattr(factory, "__name__", repr(factory))
    return f"hipflask: raised by the app factory '{name}' in module '{module_name}'."


def find_best_app(module: ModuleType) -> Flask:
    """The application in ``module``: by a common name, alone, or from a factory."""
    from .app import Flask

    for attr_name in ("app", "application"):
        app = getattr(module, attr_name, None)
        if isinstance(app, Flask):
            return app
    matches = {k: v for k, v in vars(module).items() if isinstance(v, Flask)}
    if len(matches) == 1:
        return next(iter(matches.values()))
    if len(matches) > 1:
        names = ", ".join(repr(name) for name in matches)
        raise NoAppException(
            f"Detected multiple Flask applications in module '{module.__name__}'"
            f" ({names}). Use '{module.__name__}:name' to specify the correct one."
        )
    for attr_name in ("create_app", "make_app"):
        factory = getattr(module, attr_name, None)
        if inspect.isfunction(factory):
            app = _call_factory(
                factory,
                [],
                {},
                module.__name__,
                f"Detected factory '{attr_name}' in module '{module.__name__}', but"
                " could not call it without arguments. Use"
                f" '{module.__name__}:{attr_name}(args)' to specify arguments.",
            )
            if isinstance(app, Flask):
                return app
    raise NoAppException(
        "Failed to find Flask application or factory in module"
        f" '{module.__name__}': looked for an application named 'app' or"
        " 'application', for a single application under any name, and for the"
        f" factories 'create_app' and 'make_app'. Use '{module.__name__}:name'"
        " to specify one."
    )


def _parse_app_name(app_name: str) -> tuple[str, list[t.Any], dict[str, t.Any]]:
    """``"name"`` or ``"name(literal, key=literal)"`` -> (name, args, kwargs)."""
    try:
        expr = ast.parse(app_name.strip(), mode="eval").body
    except SyntaxError:
        raise NoAppException(
            f"Failed to parse {app_name!r} as an attribute name or function call."
        ) from None
    if isinstance(expr, ast.Name):
        return expr.id, [], {}
    if not isinstance(expr, ast.Call):
        raise NoAppException(
            f"Failed to parse {app_name!r} as an attribute name or function call."
        )
    if not isinstance(expr.func, ast.Name):
        raise NoAppException(f"Function reference must be a simple name: {app_name!r}.")
    if any(keyword.arg is None for keyword in expr.keywords):
        raise NoAppException(
            f"Keyword unpacking ('**') is not supported in {app_name!r}: pass each"
            " argument as name=literal."
        )
    try:
        args = [ast.literal_eval(arg) for arg in expr.args]
        kwargs = {str(kw.arg): ast.literal_eval(kw.value) for kw in expr.keywords}
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise NoAppException(
            f"Failed to parse arguments as literal values: {app_name!r}."
        ) from None
    return expr.func.id, args, kwargs


def find_app_by_string(module: ModuleType, app_name: str) -> Flask:
    """The app named ``app_name`` in ``module``, calling it when it is a factory."""
    from .app import Flask

    name, args, kwargs = _parse_app_name(app_name)
    try:
        attr = getattr(module, name)
    except AttributeError as e:
        raise NoAppException(
            f"Failed to find attribute {name!r} in {module.__name__!r}."
        ) from e
    if inspect.isfunction(attr):
        app = _call_factory(
            attr,
            args,
            kwargs,
            module.__name__,
            f"The factory {app_name!r} in module {module.__name__!r} could not be"
            " called with the specified arguments.",
        )
    else:
        app = attr
    if isinstance(app, Flask):
        return app
    raise NoAppException(
        "A valid Flask application was not obtained from"
        f" '{module.__name__}:{app_name}' (got {type(app).__name__})."
    )


def prepare_import(path: str) -> str:
    """Put the folder above ``path``'s package on ``sys.path``; return the module name.

    ``path`` is a file, a package folder or a dotted name relative to the current
    folder; the name climbs through parent folders while they hold ``__init__.py``.
    """
    path = os.path.realpath(path)
    stem, ext = os.path.splitext(path)
    if ext == ".py":
        path = stem
    if os.path.basename(path) == "__init__":
        path = os.path.dirname(path)
    parts: list[str] = []
    while True:
        path, name = os.path.split(path)
        parts.append(name)
        if not os.path.exists(os.path.join(path, "__init__.py")):
            break
    if sys.path[0] != path:
        sys.path.insert(0, path)
    return ".".join(reversed(parts))


@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: t.Literal[True] = True
) -> Flask: ...


@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: bool = ...
) -> Flask | None: ...


def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: bool = True
) -> Flask | None:
    """Import ``module_name`` and find the app in it (None if there is no module)."""
    try:
        __import__(module_name)
    except ImportError as e:
        # Raised inside the module (a dependency is missing): always an error.
        if e.__traceback__ is not None and e.__traceback__.tb_next is not None:
            raise NoAppException(
                f"While importing {module_name!r}, an ImportError was"
                f" raised:\n\n{traceback.format_exc()}"
            ) from None
        if raise_if_not_found:
            raise NoAppException(
                f"Could not import {module_name!r}: no module of that name was found"
                f" on the import path (searched first: {sys.path[0]!r})."
            ) from None
        return None
    except Exception as e:
        _add_note(e, f"hipflask: raised while importing the module '{module_name}'.")
        raise
    module = sys.modules[module_name]
    if app_name is None:
        return find_best_app(module)
    return find_app_by_string(module, app_name)


class ScriptInfo:
    """How the command line finds the app, and the app once loaded.

    ``app_import_path`` is what ``--app`` takes; ``create_app`` is a callable that
    returns the app instead. ``data`` is free for user commands.
    ``load_dotenv_defaults`` records whether ``.flaskenv``/``.env`` are loaded.
    """

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: t.Callable[..., Flask] | None = None,
        set_debug_flag: bool = True,
        load_dotenv_defaults: bool = True,
    ) -> None:
        self.app_import_path = app_import_path
        self.create_app = create_app
        self.data: dict[t.Any, t.Any] = {}
        self.set_debug_flag = set_debug_flag
        self.load_dotenv_defaults = get_load_dotenv(load_dotenv_defaults)
        self._loaded_app: Flask | None = None
        #: The import path that found the app (default discovery included).
        self._found_at: str | None = None

    def load_app(self) -> Flask:
        """Load the app (once; later calls return the same one)."""
        if self._loaded_app is not None:
            return self._loaded_app
        app: Flask | None = None
        if self.create_app is not None:
            try:
                app = self.create_app()
            except NoAppException:
                raise
            except Exception as e:
                _add_note(e, "hipflask: raised by the create_app callback.")
                raise
            if app is None:
                raise NoAppException(
                    "The create_app callback returned None instead of an application."
                )
        elif self.app_import_path:
            # Split at a colon not followed by a slash (not a Windows drive).
            parts = re.split(r":(?![\\/])", self.app_import_path, maxsplit=1)
            path, name = parts[0], (parts[1] if len(parts) > 1 else None)
            app = locate_app(prepare_import(path), name)
            self._found_at = self.app_import_path
        else:
            for filename in ("wsgi.py", "app.py"):
                if not os.path.isfile(filename):
                    continue
                app = locate_app(
                    prepare_import(filename), None, raise_if_not_found=False
                )
                if app is not None:
                    self._found_at = os.path.abspath(filename)
                    break
        if app is None:
            raise NoAppException(
                "Could not locate a Flask application: no '--app' option was given,"
                " neither HIPFLASK_APP nor FLASK_APP is set, and the current folder"
                f" ({os.getcwd()}) has no 'wsgi.py' or 'app.py'. Use the 'hipflask"
                " --app' option, the 'HIPFLASK_APP' or 'FLASK_APP' environment"
                " variable, or a 'wsgi.py' or 'app.py' file in the current directory."
            )
        if self.set_debug_flag:
            app.debug = get_debug_flag()
        self._loaded_app = app
        return app

    def import_path_for_workers(self) -> str | None:
        """An ``--app`` value other processes can load the same app from, if any."""
        factory = self.create_app
        if factory is not None:
            module = getattr(factory, "__module__", None)
            name = getattr(factory, "__qualname__", "")
            if (
                not module
                or module == "__main__"
                or not name.isidentifier()
                or getattr(sys.modules.get(module), name, None) is not factory
            ):
                return None
            return f"{module}:{name}"
        return self.app_import_path or self._found_at


pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)
