"""The WSGI adapter: environ in, ``start_response`` and a body iterable out.

It builds the request context, matches the URL, drives the app's pipeline
directly (it never suspends: see :mod:`hipflask.app`), starts the response and
pops the context before the server iterates the body, as Flask does. A test
client that wants the contexts kept puts a callback under
``hipflask.preserve_context`` in the environ.

A whole-file body (:class:`~hipflask.sending.FileBody`) goes to the server's
``wsgi.file_wrapper`` when it offers one, so it can use ``sendfile``.
"""

from __future__ import annotations

import typing as t
import weakref

from . import ctx as _ctx
from . import signals
from .ctx import AppContext, RequestContext
from .globals import _cv_app, _cv_request
from .http.response import _ClosingIterator
from .http.streams import EMPTY_STREAM
from .http.urls import decode_wsgi_path
from .sending import FileBody
from .wrappers import Request

if t.TYPE_CHECKING:
    from .app import Flask
    from .http.response import PlainResponse
    from .wrappers import Response

_new = object.__new__
_proxy = weakref.proxy
_cv_app_get = _cv_app.get
_cv_app_set = _cv_app.set
_cv_request_get = _cv_request.get
_cv_request_set = _cv_request.set
#: Request methods as servers send them, mapped to themselves (upper case).
_METHODS = {m: m for m in ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")}


def serve_wsgi(
    app: Flask, environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]
) -> t.Iterable[bytes]:
    """Handle one WSGI request with ``app``.

    PERF: the steps of ``RequestContext(app, environ)``, its ``push`` and its
    ``pop`` are spelled out here (each call costs more than its body for a small
    request); the context is exactly a RequestContext, built and pushed here.
    """
    request_class = app.request_class
    request: Request
    if request_class is Request:
        # What Request(environ) makes (the default class keeps the toolkit's
        # __init__), without the type call.
        request = _new(Request)
        request._environ = environ
        request._scope = None
        request._body = EMPTY_STREAM
        request.url_rule = None
        request.view_args = None
        request.routing_exception = None
        request.shallow = False
        method = environ.get("REQUEST_METHOD", "GET")
        request.method = _METHODS.get(method) or method.upper()
        path = environ.get("PATH_INFO") or "/"
        if path[0] != "/":
            path = "/" + path
        request.path = path if path.isascii() else decode_wsgi_path(path)
        environ["werkzeug.request"] = _proxy(request)
    else:
        request = request_class(environ)
    # What RequestContext(app, request=request) makes.
    ctx = _new(RequestContext)
    ctx.app = app
    ctx.request = request
    ctx._opened_session = None
    ctx._exception = None
    ctx._after_request_functions = []
    ctx._cv_tokens = tokens = []
    error: BaseException | None = None
    try:
        # RequestContext.push
        app_ctx: AppContext | None = _cv_app_get(None)
        if app_ctx is None or app_ctx.app is not app:
            if (
                type(app).app_context is _ctx._flask_app_context
                and "app_context" not in app.__dict__
            ):
                app_ctx = _new(AppContext)
                app_ctx.app = app
                app_ctx._cv_tokens = [_cv_app_set(app_ctx)]
                if signals.appcontext_pushed.receivers:
                    signals.appcontext_pushed.send(app, _async_wrapper=app.ensure_sync)
            else:
                app_ctx = app.app_context()
                app_ctx.push()
        else:
            app_ctx = None
        tokens.append((_cv_request_set(ctx), app_ctx))
        app._match_request(request)
        try:
            response: Response | PlainResponse = app._handle_direct(ctx)
        except BaseException as e:
            error = e
            raise
        if isinstance(response, tuple):
            # PERF: the parts of a fixed-body response (see Flask._handle).
            start_response(response[1], response[2])
            return response[3] if request.method != "HEAD" else ()
        _code, headers, body = response._prepare(request.method)
        start_response(response._status, headers.copy())
        # PERF: an exact type test; only send_file's bodies qualify.
        if type(body) is FileBody and body.offset is None and not response._on_close:
            file_wrapper = environ.get("wsgi.file_wrapper")
            if file_wrapper is not None:
                # The wrapper owns (and closes) the file from here on.
                return file_wrapper(body.file, body.chunk_size)  # type: ignore[no-any-return]
        if response._on_close or hasattr(response.response, "close"):
            return _ClosingIterator(body, response.close)
        return body
    finally:
        preserve = environ.get("hipflask.preserve_context")
        if preserve is not None:
            preserve(_cv_app_get())
            preserve(_cv_request_get())
        if error is None:
            error = ctx._exception
        if error is not None and app.should_ignore_error(error):
            error = None
        # RequestContext.pop
        try:
            if len(tokens) == 1:
                # PERF: nothing to call is the common case.
                if app.teardown_request_funcs or signals.request_tearing_down.receivers:
                    app.do_teardown_request(error)
                request.close()
        finally:
            current = _cv_request_get(None)
            token, app_ctx = tokens.pop()
            _cv_request.reset(token)
            if current is not ctx:
                raise AssertionError(
                    f"Popped wrong request context. ({current!r} instead of {ctx!r})"
                )
            if app_ctx is not None:
                app_tokens = app_ctx._cv_tokens
                if (
                    len(app_tokens) == 1
                    and type(app_ctx) is AppContext
                    and not app.teardown_appcontext_funcs
                    and not signals.appcontext_tearing_down.receivers
                ):
                    # AppContext.pop with no teardown to run (see
                    # RequestContext.pop).
                    current_app = _cv_app_get(None)
                    _cv_app.reset(app_tokens.pop())
                    if current_app is not app_ctx:
                        raise AssertionError(
                            f"Popped wrong app context. ({current_app!r} instead"
                            f" of {app_ctx!r})"
                        )
                    if signals.appcontext_popped.receivers:
                        signals.appcontext_popped.send(
                            app, _async_wrapper=app.ensure_sync
                        )
                else:
                    app_ctx.pop(error)
