"""``app.run()`` under compat: hipflask's server, unless Werkzeug's is replaced.

hipflask's ``Flask.run`` serves through :func:`hipflask.serving.run_simple`
(uvicorn), and it stays that way under compat. Code written for Flask sometimes
replaces ``werkzeug.serving.run_simple`` (tests do, to see what ``app.run`` passes
to the server). :func:`install` therefore wraps ``hipflask.serving.run_simple``: at
each call, if ``werkzeug.serving.run_simple`` is no longer Werkzeug's own
function, the replacement is called with the same arguments; otherwise hipflask's
server runs. Werkzeug's own development server is never started by hipflask.
"""

from __future__ import annotations

import importlib
import sys
import typing as t

__all__ = ["install"]

_INSTALLED_FLAG = "_hipflask_compat_dispatch"


def install() -> bool:
    """Wrap ``hipflask.serving.run_simple``; False if Werkzeug is missing."""
    try:
        werkzeug_serving = importlib.import_module("werkzeug.serving")
        serving = importlib.import_module("hipflask.serving")
    except ImportError:
        return False
    current = serving.run_simple
    if getattr(current, _INSTALLED_FLAG, False):
        return True
    ours: t.Callable[..., t.Any] = current
    theirs: t.Callable[..., t.Any] = werkzeug_serving.run_simple

    def run_simple(*args: t.Any, **kwargs: t.Any) -> t.Any:
        module = sys.modules.get("werkzeug.serving")
        replaced = getattr(module, "run_simple", theirs)
        target = replaced if replaced is not theirs else ours
        return target(*args, **kwargs)

    setattr(run_simple, _INSTALLED_FLAG, True)
    serving.run_simple = run_simple  # type: ignore[attr-defined]
    return True
