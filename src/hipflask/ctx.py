"""Application and request contexts.

A request runs inside two contexts: the application context (``current_app``,
``g``) and the request context (``request``, ``session``). Each is stored in a
context variable (:mod:`hipflask.globals`), so a context is visible to exactly the
thread or task that pushed it, and to worker threads that received a copy of it.

Pushing records a ``ContextVar`` token; popping resets to it. A request context
pushes an application context for its app when none for that app is active, and
pops it again when it is popped itself.

PERF: a context is pushed once per request, so the token of that push (and, for
a request context, the app context pushed with it) is kept in a slot of its own
(``_token``, ``_app_ctx``). A context pushed again while pushed saves its outer
push in ``_outer``, a list made only then (None until then); teardown runs when
the outermost push is popped (``_outer`` empty). ``_cv_tokens`` shows the
pushes as one list, as Flask's contexts store them. When the C helpers are
built, ``RequestContext.push`` and ``pop`` run in C for the common case (see
``PYTHON_PUSH`` at the end); the methods below stay the reference.

The session is opened lazily: a request that never touches ``session`` never
loads, verifies or saves a cookie. ``_session`` (read by Flask's own tests and
some extensions after a request) opens it on demand without marking it accessed.
"""

from __future__ import annotations

import sys
import typing as t
from functools import update_wrapper
from types import TracebackType

from . import globals as _globals
from . import signals
from .globals import _cv_app, _cv_request
from .http._native import new_instance, speedups
from .http.request import FILES_ONLY_CLOSE
from .http.request_headers import cached

if t.TYPE_CHECKING:
    from contextvars import Token

    from .app import Flask
    from .routing import MapAdapter
    from .sessions import SessionMixin
    from .wrappers import Request, Response

_sentinel = object()
_cv_app_get = _cv_app.get
_cv_app_set = _cv_app.set
_cv_request_get = _cv_request.get
_cv_request_set = _cv_request.set

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


class _AppCtxGlobals:
    """The ``g`` namespace: a plain object with dict-like helpers.

    Its attributes live in its instance dict, which is never replaced: setting
    any name, ``__dict__`` included, stores under that name, as Flask's does.
    The ``g`` proxy relies on it: it reads and writes that dict directly (see
    :attr:`AppContext.g`).
    """

    def __getattr__(self, name: str) -> t.Any:
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: t.Any) -> None:
        self.__dict__[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None

    def get(self, name: str, default: t.Any | None = None) -> t.Any:
        """Return attribute ``name`` or ``default``."""
        return self.__dict__.get(name, default)

    def pop(self, name: str, default: t.Any = _sentinel) -> t.Any:
        """Remove and return attribute ``name``; KeyError without a default."""
        if default is _sentinel:
            return self.__dict__.pop(name)
        return self.__dict__.pop(name, default)

    def setdefault(self, name: str, default: t.Any = None) -> t.Any:
        """Return attribute ``name``, setting it to ``default`` when missing."""
        return self.__dict__.setdefault(name, default)

    def __contains__(self, item: str) -> bool:
        return item in self.__dict__

    def __iter__(self) -> t.Iterator[str]:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        ctx = _cv_app.get(None)
        if ctx is not None:
            # Named as the user imports it: ``flask`` when compat aliased it.
            aliased = sys.modules.get("flask") is sys.modules[__package__]
            package = "flask" if aliased else "hipflask"
            return f"<{package}.g of '{ctx.app.name}'>"
        return object.__repr__(self)


def after_this_request(f: F) -> F:
    """Run ``f(response)`` after this request, before the app's after_request."""
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError(
            "'after_this_request' can only be used when a request"
            " context is active, such as in a view function."
        )
    ctx._after_request_functions.append(f)
    return f


def copy_current_request_context(f: F) -> F:
    """Bind ``f`` to a copy of the current request context (for threads)."""
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError(
            "'copy_current_request_context' can only be used when a"
            " request context is active, such as in a view function."
        )
    ctx = ctx.copy()

    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        with ctx:
            return ctx.app.ensure_sync(f)(*args, **kwargs)

    return update_wrapper(wrapper, f)  # type: ignore[return-value]


def has_request_context() -> bool:
    """Whether a request context is active."""
    return _cv_request.get(None) is not None


def has_app_context() -> bool:
    """Whether an application context is active."""
    return _cv_app.get(None) is not None


_globals._default_g_class = _AppCtxGlobals


class AppContext:
    """Holds ``current_app`` and ``g`` for the code running inside it."""

    # PERF: slots for the per-request fields; __dict__ holds the lazy url_adapter.
    __slots__ = ("__dict__", "_g", "_g_values", "_outer", "_token", "app")

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._token: Token[AppContext] | None = None
        #: The tokens of outer pushes while pushed again (see the module header).
        self._outer: list[Token[AppContext]] | None = None
        self._g: _AppCtxGlobals | None = None
        self._g_values: dict[str, t.Any] | None = None

    @property
    def _cv_tokens(self) -> list[Token[AppContext]]:
        """The tokens of this context's pushes, outermost first."""
        outer = list(self._outer or ())
        return outer if self._token is None else [*outer, self._token]

    # PERF: most requests never use ``g``: it is made on first use. For the
    # default class, ``_g_values`` is its instance dict, which the ``g`` proxy
    # reads and writes directly (a dict subscript instead of two attribute
    # lookups); any other class is reached through its attributes.
    @property
    def g(self) -> _AppCtxGlobals:
        """The ``g`` namespace of this context."""
        namespace = self._g
        if namespace is None:
            namespace = self.g = self.app.app_ctx_globals_class()
        return namespace

    @g.setter
    def g(self, value: _AppCtxGlobals) -> None:
        self._g = value
        self._g_values = value.__dict__ if type(value) is _AppCtxGlobals else None

    # PERF: a URL adapter is made on first use, then lives in the instance dict
    # (``cached`` is a non-data descriptor: ``ctx.url_adapter = ...`` works).

    @cached
    def url_adapter(self) -> MapAdapter | None:
        """The URL adapter for building URLs without a request (or None)."""
        return self.app.create_url_adapter(None)

    def push(self) -> None:
        """Make this the current application context."""
        token = self._token
        if token is not None:  # pushed again while pushed
            outer = self._outer
            if outer is None:
                outer = self._outer = []
            outer.append(token)
        self._token = _cv_app.set(self)
        if signals.appcontext_pushed.receivers:
            signals.appcontext_pushed.send(
                self.app, _async_wrapper=self.app.ensure_sync
            )

    def pop(self, exc: BaseException | None = _sentinel) -> None:  # type: ignore[assignment]
        """Pop this context, running teardown_appcontext functions."""
        try:
            if not self._outer:
                if exc is _sentinel:
                    exc = None
                app = self.app
                if (
                    app.teardown_appcontext_funcs
                    or signals.appcontext_tearing_down.receivers
                ):
                    app.do_teardown_appcontext(exc)
        finally:
            self._release()

    def _release(self) -> None:
        """Reset the context variable (no teardown functions)."""
        ctx = _cv_app.get(None)
        token = self._token
        if token is None:
            raise RuntimeError(f"{self!r} is not pushed.")
        outer = self._outer
        self._token = outer.pop() if outer else None
        _cv_app.reset(token)
        if ctx is not self:
            raise AssertionError(
                f"Popped wrong app context. ({ctx!r} instead of {self!r})"
            )
        if signals.appcontext_popped.receivers:
            signals.appcontext_popped.send(
                self.app, _async_wrapper=self.app.ensure_sync
            )

    def __enter__(self) -> AppContext:
        self.push()
        return self

    def __exit__(
        self,
        exc_type: type | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.pop(exc_value)

    def __repr__(self) -> str:
        return f"<AppContext of {self.app.name!r}>"


_new = new_instance


class RequestContext:
    """Holds ``request`` and ``session`` for the code handling one request."""

    # PERF: slots for what every request sets and reads; the fields few requests
    # write (flashed messages, a URL adapter) are class defaults until set.
    __slots__ = (
        "__dict__",
        "_after_request_functions",
        "_app_ctx",
        "_exception",
        "_opened_session",
        "_outer",
        "_token",
        "app",
        "request",
    )

    _url_adapter: MapAdapter | object | None = _sentinel
    flashes: list[tuple[str, str]] | None = None

    def __init__(
        self,
        app: Flask,
        environ: dict[str, t.Any] | None = None,
        request: Request | None = None,
        session: SessionMixin | None = None,
    ) -> None:
        self.app = app
        if request is None:
            if environ is None:
                raise TypeError("RequestContext needs an environ or a request.")
            request = app.request_class(environ)
        self.request: Request = request
        # The session once opened; None while the request has not touched it.
        self._opened_session: SessionMixin | None = session
        #: The unhandled exception a 500 response was made for (for teardown).
        self._exception: BaseException | None = None
        self._after_request_functions: list[t.Callable[[Response], Response]] = []
        #: The innermost push: its token, and the app context it pushed.
        self._token: Token[RequestContext] | None = None
        self._app_ctx: AppContext | None = None
        #: Outer pushes while pushed again (see the module header).
        self._outer: list[tuple[Token[RequestContext], AppContext | None]] | None = None

    @classmethod
    def _for_request(cls, app: Flask, request: Request) -> RequestContext:
        """``RequestContext(app, request=request)``, as the adapters build it.

        PERF: the fields ``__init__`` sets, without a type call.
        """
        self = _new(cls)
        self.app = app
        self.request = request
        self._opened_session = None
        self._exception = None
        self._after_request_functions = []
        self._token = self._outer = None
        return self

    @property
    def _cv_tokens(self) -> list[tuple[Token[RequestContext], AppContext | None]]:
        """The pushes of this context (token, app context), outermost first."""
        outer = list(self._outer or ())
        if self._token is None:
            return outer
        return [*outer, (self._token, self._app_ctx)]

    @property
    def url_adapter(self) -> MapAdapter | None:
        """The URL adapter bound to this request (built on first use)."""
        adapter = self._url_adapter
        if adapter is _sentinel:
            adapter = self._url_adapter = self.app.create_url_adapter(self.request)
        return adapter  # type: ignore[return-value]

    @url_adapter.setter
    def url_adapter(self, value: MapAdapter | None) -> None:
        self._url_adapter = value

    def _open_session(self) -> SessionMixin:
        session = self._opened_session
        if session is None:
            interface = self.app.session_interface
            session = interface.open_session(self.app, self.request)
            if session is None:
                session = interface.make_null_session(self.app)
            self._opened_session = session
        return session

    @property
    def _session(self) -> SessionMixin:
        """The session, opened if needed, without marking it accessed."""
        return self._open_session()

    @_session.setter
    def _session(self, value: SessionMixin | None) -> None:
        self._opened_session = value

    @property
    def session(self) -> SessionMixin:
        """The session (opened on first use); every access marks it accessed."""
        session = self._open_session()
        session.accessed = True
        return session

    @session.setter
    def session(self, value: SessionMixin) -> None:
        self._opened_session = value

    def copy(self) -> RequestContext:
        """A new context for the same request, sharing request and session."""
        return self.__class__(
            self.app,
            environ=self.request.environ,
            request=self.request,
            session=self._opened_session,
        )

    def match_request(self) -> None:
        """Match the request's URL, storing the rule or the routing exception."""
        self.app._match_request(self.request)

    def push(self) -> None:
        """Make this the current request context (and push an app context)."""
        app = self.app
        app_ctx = _cv_app_get(None)
        if app_ctx is None or app_ctx.app is not app:
            if app._plain_app_context:
                # PERF: what Flask.app_context() makes, built here, and
                # AppContext.push inlined (three calls less per request).
                app_ctx = _new(AppContext)
                app_ctx.app = app
                app_ctx._g = app_ctx._g_values = app_ctx._outer = None
                app_ctx._token = _cv_app_set(app_ctx)
                if signals.appcontext_pushed.receivers:
                    signals.appcontext_pushed.send(app, _async_wrapper=app.ensure_sync)
            else:
                app_ctx = app.app_context()
                app_ctx.push()
        else:
            app_ctx = None
        token = self._token
        if token is not None:  # pushed again while pushed
            outer = self._outer
            if outer is None:
                outer = self._outer = []
            outer.append((token, self._app_ctx))
        self._app_ctx = app_ctx
        self._token = _cv_request_set(self)
        request = self.request
        # The adapters match before pushing; contexts pushed by hand (tests,
        # test_request_context) are matched here, as Flask does.
        if request.url_rule is None and request.routing_exception is None:
            app._match_request(request)

    def pop(self, exc: BaseException | None = _sentinel) -> None:  # type: ignore[assignment]
        """Pop this context, running teardown_request functions."""
        if exc is _sentinel:
            exc = None
        app = self.app
        token = self._token
        if token is None:
            raise RuntimeError(f"{self!r} is not pushed.")
        outer = self._outer
        try:
            if not outer:
                # PERF: nothing to call is the common case.
                if app.teardown_request_funcs or signals.request_tearing_down.receivers:
                    app.do_teardown_request(exc)
                request = self.request
                if type(request) not in FILES_ONLY_CLOSE or "files" in request.__dict__:
                    request.close()
        finally:
            # PERF: _release inlined, and AppContext's below (two calls less per
            # request).
            ctx = _cv_request_get(None)
            app_ctx = self._app_ctx
            if outer:
                self._token, self._app_ctx = outer.pop()
            else:
                self._token = self._app_ctx = None
            _cv_request.reset(token)
            if ctx is not self:
                raise AssertionError(
                    f"Popped wrong request context. ({ctx!r} instead of {self!r})"
                )
            if app_ctx is not None:
                if (
                    type(app_ctx) is AppContext
                    and not app_ctx._outer
                    and not app.teardown_appcontext_funcs
                    and not signals.appcontext_tearing_down.receivers
                ):
                    # PERF: AppContext.pop with no teardown to run, its checks
                    # and its _release call spelled out for that exact class.
                    current = _cv_app_get(None)
                    app_token = app_ctx._token
                    app_ctx._token = None
                    _cv_app.reset(app_token)  # type: ignore[arg-type]
                    if current is not app_ctx:
                        raise AssertionError(
                            f"Popped wrong app context. ({current!r} instead"
                            f" of {app_ctx!r})"
                        )
                    if signals.appcontext_popped.receivers:
                        signals.appcontext_popped.send(
                            app, _async_wrapper=app.ensure_sync
                        )
                else:
                    app_ctx.pop(exc)

    def _release(self) -> AppContext | None:
        """Reset the context variable; return the app context pushed with it.

        Teardown functions are not run here: :meth:`pop` runs them first, and the
        ASGI adapter runs them itself (awaiting async ones) before releasing.
        """
        ctx = _cv_request.get(None)
        token, app_ctx = self._token, self._app_ctx
        if token is None:
            raise RuntimeError(f"{self!r} is not pushed.")
        outer = self._outer
        if outer:
            self._token, self._app_ctx = outer.pop()
        else:
            self._token = self._app_ctx = None
        _cv_request.reset(token)
        if ctx is not self:
            raise AssertionError(
                f"Popped wrong request context. ({ctx!r} instead of {self!r})"
            )
        return app_ctx

    def __enter__(self) -> RequestContext:
        self.push()
        return self

    def __exit__(
        self,
        exc_type: type | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.pop(exc_value)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.request.url!r}"
            f" [{self.request.method}] of {self.app.name}>"
        )


#: ``RequestContext.push`` and ``pop`` in Python. When the C helpers are built,
#: their ``ctx_push`` and ``ctx_pop`` take the methods' place on the class: the
#: same steps for the exact class in the common case (one push, the app's own
#: ``app_context``, no teardown function, no receiver of the context signals,
#: a request class whose ``close()`` only closes uploaded files), and these
#: methods for everything else.
PYTHON_PUSH = RequestContext.push
PYTHON_POP = RequestContext.pop
if speedups is not None:
    speedups.configure_contexts(
        RequestContext,
        AppContext,
        _cv_app,
        _cv_request,
        FILES_ONLY_CLOSE,
        (
            signals.appcontext_pushed,
            signals.request_tearing_down,
            signals.appcontext_tearing_down,
            signals.appcontext_popped,
        ),
        PYTHON_PUSH,
        PYTHON_POP,
        _AppCtxGlobals,
    )
    type.__setattr__(RequestContext, "push", speedups.ctx_push)
    type.__setattr__(RequestContext, "pop", speedups.ctx_pop)

#: ``RequestContext._for_request(app, request)``: the adapters' way to make the
#: context of a request (in C when the helpers are built).
new_request_context: t.Callable[[Flask, Request], RequestContext] = (
    speedups.new_request_context
    if speedups is not None
    else RequestContext._for_request
)
