"""The one way compat changes a hipflask class: wrapping its ``__init__`` once.

compat adjusts hipflask's test client at install time (Flask's default
User-Agent; the pytest plugin's ASGI mode). :func:`wrap_init` replaces a class's
``__init__`` by a wrapper, keeps the original's name and signature
(``functools.wraps``) and marks the wrapper, so that installing twice wraps once.
"""

from __future__ import annotations

import functools
import typing as t

if t.TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["wrap_init"]

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
