"""How compat changes hipflask classes: by wrapping their ``__init__`` once.

compat adjusts hipflask's test client at install time (Flask's default
User-Agent; the pytest plugin's ASGI mode). :func:`wrap_init` replaces a class's
``__init__`` by a wrapper, keeps the original's name and signature
(``functools.wraps``) and marks the wrapper, so that installing twice wraps once;
:func:`force_asgi_clients` is the ASGI mode's use of it. Importing this module
changes nothing.
"""

from __future__ import annotations

import functools
import inspect
import typing as t

if t.TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["force_asgi_clients", "wrap_init"]

Init = t.Callable[..., None]


def wrap_init(cls: type[t.Any], marker: str, wrap: Callable[[Init], Init]) -> bool:
    """Set ``cls.__init__`` to ``wrap(cls.__init__)`` unless ``marker`` says done.

    Returns whether it wrapped. Markers of earlier wrappers carry over (``wraps``
    copies the function's attributes), so several different wraps can stack.
    """
    init: Init = getattr(cls, "__init__")  # noqa: B009 (mypy: not via an instance)
    if getattr(init, marker, False):
        return False
    wrapper = functools.wraps(init)(wrap(init))
    setattr(wrapper, marker, True)
    setattr(cls, "__init__", wrapper)  # noqa: B010
    return True


def force_asgi_clients(client_class: type[t.Any]) -> None:
    """Make ``client_class`` (and subclasses) default to ``asgi=True``; idempotent.

    Raises TypeError if its constructor has no ``asgi`` parameter.
    """
    init: Init = getattr(client_class, "__init__")  # noqa: B009
    if "asgi" not in inspect.signature(init).parameters:
        raise TypeError(
            f"{client_class.__module__}.{client_class.__qualname__} takes no 'asgi'"
            " argument, so it cannot drive the ASGI interface."
        )

    def wrap(init: Init) -> Init:
        def __init__(self: t.Any, *args: t.Any, **kwargs: t.Any) -> None:
            kwargs.setdefault("asgi", True)
            init(self, *args, **kwargs)

        return __init__

    wrap_init(client_class, "_hipflask_forces_asgi", wrap)
