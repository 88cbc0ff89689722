"""The optional C helpers (:mod:`hipflask.http._speedups`), when they are here.

``speedups`` is the compiled module, or None where it was not built or where
``HIPFLASK_NO_EXTENSIONS`` is set to a non-empty value. Each helper has a
Python twin next to the code that calls it, which runs when this is None and
for the inputs a helper declines (it answers None for those). The C methods
some classes take in place of their own (``Headers.__setitem__``,
``Response._prepare``, the proxies' attribute hooks) are installed next to
those classes, which keep the Python methods as twins.
"""

from __future__ import annotations

import importlib
import os
import typing as t
from types import ModuleType

# A private module: nothing here is part of the toolkit's public names.
__all__: list[str] = []

speedups: ModuleType | None = None
if not os.environ.get("HIPFLASK_NO_EXTENSIONS"):
    try:
        speedups = importlib.import_module("hipflask.http._speedups")
    except ImportError:  # not compiled here: the Python twins serve
        pass

_T = t.TypeVar("_T")

#: ``object.__new__``: a blank instance of a class, for the per-request objects
#: built without a type call. The C version gives the same result (and the same
#: errors) in fewer steps.
new_instance: t.Callable[[type[_T]], _T] = (
    speedups.new_instance if speedups is not None else object.__new__
)


def add_class(
    classes: set[type[_T]],
    cls: type[_T],
    configure: t.Callable[..., object],
    *arguments: object,
) -> None:
    """Add ``cls`` to the ``classes`` a C helper answers for and give it the new
    set (``configure(*arguments)``, ``classes`` among them); a class it refuses
    (TypeError) is taken out again."""
    classes.add(cls)
    try:
        configure(*arguments)
    except TypeError:
        classes.discard(cls)
        raise
