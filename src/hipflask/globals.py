"""Context-local proxies: ``current_app``, ``g``, ``request``, ``session`` and more.

Each proxy reads one context variable on every use and forwards the operation to
the object it finds there. The contexts themselves live in :mod:`hipflask.ctx`;
this module only holds the context variables and the proxies (``websocket``
is :mod:`hipflask.websockets`'s), so that importing the
proxies is cheap and cycle-free.

A proxy used with no context raises ``RuntimeError`` with Flask's wording, which
tells the user what to push.
"""

from __future__ import annotations

import typing as t
from contextvars import ContextVar

from .http._native import new_instance, speedups

if t.TYPE_CHECKING:
    from .app import Flask
    from .ctx import AppContext, RequestContext, _AppCtxGlobals
    from .sessions import SessionMixin
    from .websockets import Websocket, WebsocketContext
    from .wrappers import Request

_no_app_msg = """\
Working outside of application context.

This typically means that you attempted to use functionality that needed
the current application. To solve this, set up an application context
with app.app_context(). See the documentation for more information.\
"""
_no_websocket_msg = """\
Working outside of websocket context.

This typically means that you attempted to use functionality that needed
an active websocket connection: use it inside a websocket handler.\
"""
_no_req_msg = """\
Working outside of request context.

This typically means that you attempted to use functionality that needed
an active HTTP request. Consult the documentation on testing for
information about how to avoid this problem.\
"""

_cv_app: ContextVar[AppContext] = ContextVar("hipflask.app_ctx")
_cv_request: ContextVar[RequestContext] = ContextVar("hipflask.request_ctx")
_cv_websocket: ContextVar[WebsocketContext] = ContextVar("hipflask.websocket_ctx")


_get = object.__getattribute__


def _current(proxy: LocalProxy) -> t.Any:
    """The object ``proxy`` stands for right now (RuntimeError when unbound)."""
    try:
        return _get(proxy, "_LocalProxy__getter")()
    except LookupError:
        raise RuntimeError(_get(proxy, "_LocalProxy__unbound")) from None


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
        return _current(self)

    # PERF: attribute access is the hot operation (request.args, g.user). A
    # ``__getattr__`` hook only runs after the normal lookup has failed, and on
    # CPython 3.11 that failure builds an AttributeError (with its suggestion
    # context) every time: most of the cost. Here the names the class itself
    # has (``_OWN_NAMES``: exactly what the normal lookup would find) are
    # looked up as usual and everything else is forwarded directly.
    def __getattribute__(self, name: str) -> t.Any:
        if name in _OWN_NAMES:
            return _get(self, name)
        if type(self) is not LocalProxy:
            # A subclass may define more names of its own.
            try:
                return _get(self, name)
            except AttributeError:
                pass
        try:
            obj = _get(self, "_LocalProxy__getter")()
        except LookupError:
            raise RuntimeError(_get(self, "_LocalProxy__unbound")) from None
        return getattr(obj, name)

    def __setattr__(self, name: str, value: t.Any) -> None:
        # PERF: spelled out (g.name = value is common) instead of _current().
        try:
            obj = _get(self, "_LocalProxy__getter")()
        except LookupError:
            raise RuntimeError(_get(self, "_LocalProxy__unbound")) from None
        setattr(obj, name, value)

    def __delattr__(self, name: str) -> None:
        delattr(_current(self), name)

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        try:
            return type(_get(self, "_LocalProxy__getter")())
        except LookupError:
            return LocalProxy

    @property
    def __wrapped__(self) -> t.Any:
        return _current(self)

    def __repr__(self) -> str:
        try:
            obj = _get(self, "_LocalProxy__getter")()
        except LookupError:
            return "<LocalProxy unbound>"
        return repr(obj)

    def __str__(self) -> str:
        return str(_current(self))

    def __bool__(self) -> bool:
        try:
            return bool(_get(self, "_LocalProxy__getter")())
        except LookupError:
            return False

    def __dir__(self) -> list[str]:
        try:
            return dir(_get(self, "_LocalProxy__getter")())
        except LookupError:
            return []

    def __eq__(self, other: object) -> bool:
        return bool(_current(self) == other)

    def __ne__(self, other: object) -> bool:
        return bool(_current(self) != other)

    def __hash__(self) -> int:
        return hash(_current(self))

    def __len__(self) -> int:
        return len(_current(self))

    def __iter__(self) -> t.Iterator[t.Any]:
        return iter(_current(self))

    def __contains__(self, item: object) -> bool:
        return item in _current(self)

    def __getitem__(self, key: t.Any) -> t.Any:
        return _current(self)[key]

    def __setitem__(self, key: t.Any, value: t.Any) -> None:
        _current(self)[key] = value

    def __delitem__(self, key: t.Any) -> None:
        del _current(self)[key]

    def __call__(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        return _current(self)(*args, **kwargs)

    def __enter__(self) -> t.Any:
        return _current(self).__enter__()

    def __exit__(self, *exc: t.Any) -> t.Any:
        return _current(self).__exit__(*exc)


#: The names an attribute lookup on a proxy finds on its class (LocalProxy's and
#: object's); every other name is the proxied object's.
_OWN_NAMES = frozenset(name for klass in LocalProxy.__mro__ for name in vars(klass))


_cv_app_get = _cv_app.get
#: Names a ``g`` lookup does not take from the namespace dict: the proxy's own,
#: and the data descriptors of the namespace's class, which win over its dict.
_G_SPECIAL_NAMES = _OWN_NAMES | {"__dict__", "__weakref__"}


class _GlobalsProxy(LocalProxy):
    """The ``g`` proxy: a :class:`LocalProxy` whose attribute access is direct.

    PERF: ``g.name`` and ``g.name = value`` are what views and hooks do with
    ``g``; these two methods reach the app context's ``g`` without going through
    the getter (a call) as the general forwarding does.
    """

    __slots__ = ()

    def __getattribute__(self, name: str) -> t.Any:
        special = name in _G_SPECIAL_NAMES
        if special and name in _OWN_NAMES:
            return _get(self, name)
        try:
            ctx = _cv_app_get()
        except LookupError:
            raise RuntimeError(_no_app_msg) from None
        # The default namespace's instance dict (see AppContext.g): a name set
        # on ``g`` is found there, as the normal lookup would find it.
        values = ctx._g_values
        if values is not None and not special:
            try:
                return values[name]
            except KeyError:
                pass
        return getattr(ctx.g, name)

    def __setattr__(self, name: str, value: t.Any) -> None:
        try:
            ctx = _cv_app_get()
        except LookupError:
            raise RuntimeError(_no_app_msg) from None
        values = ctx._g_values
        if values is None:
            _g_first_set(ctx, name, value)
        else:
            # What the default class's __setattr__ does, without its call.
            values[name] = value


def _g_first_set(ctx: AppContext, name: str, value: t.Any) -> None:
    """``g.name = value`` when ``ctx`` has no namespace dict to write to yet
    (the first write of a request, or a ``g`` class of the app's own).

    The C hook makes the default class's namespace itself (the first branch)
    and calls this for the rest.
    """
    values: dict[str, t.Any] | None
    if ctx._g is None and ctx.app.app_ctx_globals_class is _default_g_class:
        # PERF: what AppContext.g makes on first use, made here.
        namespace = _new(_default_g_class)
        ctx._g = namespace
        ctx._g_values = values = namespace.__dict__
    else:
        namespace = ctx.g  # made on first use
        values = ctx._g_values
    if values is None:  # not the default class: its own __setattr__
        setattr(namespace, name, value)
    else:
        values[name] = value


_cv_request_get = _cv_request.get
_cv_websocket_get = _cv_websocket.get
_new = new_instance
#: The default ``g`` class (set by :mod:`hipflask.ctx`, which defines it).
_default_g_class: t.Any = None


class _RequestProxy(LocalProxy):
    """The ``request`` proxy: a :class:`LocalProxy` whose attribute reads are direct.

    PERF: ``request.args``, ``request.form`` ... are read in nearly every view;
    this reaches the request context's request without the getter's call.
    """

    __slots__ = ()

    def __getattribute__(self, name: str) -> t.Any:
        if name in _OWN_NAMES:
            return _get(self, name)
        try:
            ctx = _cv_request_get()
        except LookupError:
            raise RuntimeError(_no_req_msg) from None
        return getattr(ctx.request, name)


class _AppProxy(LocalProxy):
    """The ``current_app`` proxy, its attribute reads direct as ``request``'s."""

    __slots__ = ()

    def __getattribute__(self, name: str) -> t.Any:
        if name in _OWN_NAMES:
            return _get(self, name)
        try:
            ctx = _cv_app_get()
        except LookupError:
            raise RuntimeError(_no_app_msg) from None
        return getattr(ctx.app, name)


class _WebsocketProxy(LocalProxy):
    """The ``websocket`` proxy, its attribute reads direct as ``request``'s
    (PERF: a handler reads ``websocket.receive`` and ``websocket.send`` once a
    message each)."""

    __slots__ = ()

    def __getattribute__(self, name: str) -> t.Any:
        if name in _OWN_NAMES:
            return _get(self, name)
        try:
            ctx = _cv_websocket_get()
        except LookupError:
            raise RuntimeError(_no_websocket_msg) from None
        return getattr(ctx.websocket, name)


def _app_getter() -> Flask:
    return _cv_app.get().app


def _g_getter() -> _AppCtxGlobals:
    return _cv_app.get().g


def _request_getter() -> Request:
    return _cv_request.get().request


def _websocket_getter() -> Websocket:
    return _cv_websocket.get().websocket


def _session_getter() -> SessionMixin:
    return _cv_request.get().session


current_app: Flask = _AppProxy(_app_getter, _no_app_msg)  # type: ignore[assignment]
g: _AppCtxGlobals = _GlobalsProxy(_g_getter, _no_app_msg)  # type: ignore[assignment]
request: Request = _RequestProxy(_request_getter, _no_req_msg)  # type: ignore[assignment]
session: SessionMixin = LocalProxy(_session_getter, _no_req_msg)  # type: ignore[assignment]
websocket: Websocket = _WebsocketProxy(_websocket_getter, _no_websocket_msg)  # type: ignore[assignment]
app_ctx: AppContext = LocalProxy(_cv_app.get, _no_app_msg)  # type: ignore[assignment]
request_ctx: RequestContext = LocalProxy(_cv_request.get, _no_req_msg)  # type: ignore[assignment]


#: The proxies' Python attribute hooks. When the C helpers are built, their
#: versions of the same steps replace these on the classes (``C_HOOKS``; the
#: tests compare the two).
PYTHON_HOOKS: dict[tuple[type, str], t.Callable[..., t.Any]] = {
    (_RequestProxy, "__getattribute__"): _RequestProxy.__getattribute__,
    (_AppProxy, "__getattribute__"): _AppProxy.__getattribute__,
    (_GlobalsProxy, "__getattribute__"): _GlobalsProxy.__getattribute__,
    (_GlobalsProxy, "__setattr__"): _GlobalsProxy.__setattr__,
    (_WebsocketProxy, "__getattribute__"): _WebsocketProxy.__getattribute__,
}
C_HOOKS: dict[tuple[type, str], t.Callable[..., t.Any]] = {}
if speedups is not None:
    speedups.configure_proxies(
        _cv_app,
        _cv_request,
        _OWN_NAMES,
        _G_SPECIAL_NAMES,
        _no_app_msg,
        _no_req_msg,
        _g_first_set,
        _cv_websocket,
        _no_websocket_msg,
    )
    C_HOOKS = {
        (_RequestProxy, "__getattribute__"): speedups.request_getattribute,
        (_AppProxy, "__getattribute__"): speedups.app_getattribute,
        (_GlobalsProxy, "__getattribute__"): speedups.g_getattribute,
        (_GlobalsProxy, "__setattr__"): speedups.g_setattr,
        (_WebsocketProxy, "__getattribute__"): speedups.websocket_getattribute,
    }
    for (_class, _name), _hook in C_HOOKS.items():
        type.__setattr__(_class, _name, _hook)
