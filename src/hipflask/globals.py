"""Context-local proxies: ``current_app``, ``g``, ``request`` and ``session``.

Each proxy reads one context variable on every use and forwards the operation to
the object it finds there. The contexts themselves live in :mod:`hipflask.ctx`;
this module only holds the two variables and the proxies, so that importing the
proxies is cheap and cycle-free.

A proxy used with no context raises ``RuntimeError`` with Flask's wording, which
tells the user what to push.
"""

from __future__ import annotations

import typing as t
from contextvars import ContextVar

if t.TYPE_CHECKING:
    from .app import Flask
    from .ctx import AppContext, RequestContext, _AppCtxGlobals
    from .sessions import SessionMixin
    from .wrappers import Request

_no_app_msg = """\
Working outside of application context.

This typically means that you attempted to use functionality that needed
the current application. To solve this, set up an application context
with app.app_context(). See the documentation for more information.\
"""
_no_req_msg = """\
Working outside of request context.

This typically means that you attempted to use functionality that needed
an active HTTP request. Consult the documentation on testing for
information about how to avoid this problem.\
"""

_cv_app: ContextVar[AppContext] = ContextVar("hipflask.app_ctx")
_cv_request: ContextVar[RequestContext] = ContextVar("hipflask.request_ctx")


class LocalProxy:
    """Forward every operation to the object ``getter()`` returns right now.

    ``getter`` raises LookupError when there is nothing to proxy; the proxy turns
    that into ``RuntimeError(unbound_message)``.
    """

    __slots__ = ("__getter", "__unbound")

    def __init__(self, getter: t.Callable[[], t.Any], unbound_message: str) -> None:
        object.__setattr__(self, "_LocalProxy__getter", getter)
        object.__setattr__(self, "_LocalProxy__unbound", unbound_message)

    def _get_current_object(self) -> t.Any:
        try:
            return self.__getter()
        except LookupError:
            raise RuntimeError(self.__unbound) from None

    # PERF: attribute access is the hot operation (request.args, g.user); it is
    # spelled out instead of going through _get_current_object to save a call.
    def __getattr__(self, name: str) -> t.Any:
        try:
            obj = self.__getter()
        except LookupError:
            raise RuntimeError(self.__unbound) from None
        return getattr(obj, name)

    def __setattr__(self, name: str, value: t.Any) -> None:
        try:
            obj = self.__getter()
        except LookupError:
            raise RuntimeError(self.__unbound) from None
        setattr(obj, name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._get_current_object(), name)

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        try:
            return type(self.__getter())
        except LookupError:
            return LocalProxy

    @property
    def __wrapped__(self) -> t.Any:
        return self._get_current_object()

    def __repr__(self) -> str:
        try:
            obj = self.__getter()
        except LookupError:
            return "<LocalProxy unbound>"
        return repr(obj)

    def __str__(self) -> str:
        return str(self._get_current_object())

    def __bool__(self) -> bool:
        try:
            return bool(self.__getter())
        except LookupError:
            return False

    def __dir__(self) -> list[str]:
        try:
            return dir(self.__getter())
        except LookupError:
            return []

    def __eq__(self, other: object) -> bool:
        return bool(self._get_current_object() == other)

    def __ne__(self, other: object) -> bool:
        return bool(self._get_current_object() != other)

    def __hash__(self) -> int:
        return hash(self._get_current_object())

    def __len__(self) -> int:
        return len(self._get_current_object())

    def __iter__(self) -> t.Iterator[t.Any]:
        return iter(self._get_current_object())

    def __contains__(self, item: object) -> bool:
        return item in self._get_current_object()

    def __getitem__(self, key: t.Any) -> t.Any:
        return self._get_current_object()[key]

    def __setitem__(self, key: t.Any, value: t.Any) -> None:
        self._get_current_object()[key] = value

    def __delitem__(self, key: t.Any) -> None:
        del self._get_current_object()[key]

    def __call__(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        return self._get_current_object()(*args, **kwargs)

    def __enter__(self) -> t.Any:
        return self._get_current_object().__enter__()

    def __exit__(self, *exc: t.Any) -> t.Any:
        return self._get_current_object().__exit__(*exc)


def _app_getter() -> Flask:
    return _cv_app.get().app


def _g_getter() -> _AppCtxGlobals:
    return _cv_app.get().g


def _request_getter() -> Request:
    return _cv_request.get().request


def _session_getter() -> SessionMixin:
    return _cv_request.get().session


current_app: Flask = LocalProxy(_app_getter, _no_app_msg)  # type: ignore[assignment]
g: _AppCtxGlobals = LocalProxy(_g_getter, _no_app_msg)  # type: ignore[assignment]
request: Request = LocalProxy(_request_getter, _no_req_msg)  # type: ignore[assignment]
session: SessionMixin = LocalProxy(_session_getter, _no_req_msg)  # type: ignore[assignment]
app_ctx: AppContext = LocalProxy(_cv_app.get, _no_app_msg)  # type: ignore[assignment]
request_ctx: RequestContext = LocalProxy(_cv_request.get, _no_req_msg)  # type: ignore[assignment]
