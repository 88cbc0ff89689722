"""hipflask.typing: flask.typing's names, usable at run time and by mypy.

The aliases' meaning is checked by mypy on tests/type_check/typing_app.py;
here: the names match Flask's, and the module imports and subscripts at run
time (forward references stay unresolved until a type checker reads them).
"""

from __future__ import annotations

import typing as t
from collections.abc import Awaitable

import flask.typing

import hipflask.typing


def public(module: object) -> set[str]:
    return {
        name
        for name in vars(module)
        if not name.startswith("_")
        and name not in {"annotations", "t", "cabc", "TYPE_CHECKING"}
        and not isinstance(getattr(module, name), type(t))  # modules
    }


def test_names_are_flasks() -> None:
    assert set(hipflask.typing.__all__) == public(flask.typing)
    assert public(hipflask.typing) >= set(hipflask.typing.__all__)


def test_response_return_value_covers_the_return_shapes() -> None:
    members = set(t.get_args(hipflask.typing.ResponseReturnValue))
    body = hipflask.typing.ResponseValue
    headers = hipflask.typing.HeadersValue
    assert {
        tuple[body, int],  # type: ignore[valid-type]
        tuple[body, headers],  # type: ignore[valid-type]
        tuple[body, int, headers],  # type: ignore[valid-type]
    } <= members
    assert str in members and bytes in members


def test_callables_take_sync_or_async_results() -> None:
    before = hipflask.typing.BeforeRequestCallable
    params, result = t.get_args(before)
    assert params == []
    assert type(None) in t.get_args(result)
    assert any(t.get_origin(arg) is Awaitable for arg in t.get_args(result))
    # A generic alias is subscripted with the app's response class.
    after = hipflask.typing.AfterRequestCallable[hipflask.Response]
    assert t.get_args(after)[0] == [hipflask.Response]
