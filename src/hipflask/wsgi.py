"""The WSGI adapter: environ in, ``start_response`` and a body iterable out.

It builds the request context, matches the URL, drives the app's pipeline
directly (it never suspends: see :mod:`hipflask.app`), starts the response and
pops the context before the server iterates the body, as Flask does. A test
client that wants the contexts kept puts a callback under
``hipflask.preserve_context`` in the environ.

A whole-file body (:class:`~hipflask.sending.FileBody`) goes to the server's
``wsgi.file_wrapper`` when it offers one, so it can use ``sendfile``.

With the optional C helpers built, :data:`serve_wsgi` is their version
(``http/_speedups_wsgi.c``): the same steps in the same order, calling the same
methods, with the try/finally bookkeeping in C; the Python function here stays
the reference and the tests compare the two.
"""

from __future__ import annotations

import typing as t

from .ctx import new_request_context
from .globals import _cv_app, _cv_request
from .http._native import speedups
from .http.response import _ClosingIterator
from .sending import FileBody
from .wrappers import Request

if t.TYPE_CHECKING:
    from .app import Flask
    from .http.response import PlainResponse
    from .wrappers import Response

_cv_app_get = _cv_app.get
_cv_request_get = _cv_request.get


def _serve_wsgi(
    app: Flask, environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]
) -> t.Iterable[bytes]:
    """Handle one WSGI request with ``app`` (:data:`serve_wsgi` in Python).

    PERF: the default request class and the context are built without a type
    call each (``_from_environ``, ``new_request_context``).
    """
    request_class = app.request_class
    request: Request = (
        Request._from_environ(environ)
        if request_class is Request
        else request_class(environ)
    )
    ctx = new_request_context(app, request)
    error: BaseException | None = None
    try:
        ctx.push()  # also matches the URL
        try:
            response: Response | PlainResponse = app._handle_direct(ctx)
        except BaseException as e:
            error = e
            raise
        if isinstance(response, tuple):
            # PERF: the parts of a fixed-body response (see Flask._handle).
            start_response(response[1], response[2])
            return response[3] if request.method != "HEAD" else ()
        return _send_response(request, response, environ, start_response)
    finally:
        preserve = environ.get("hipflask.preserve_context")
        if preserve is not None:
            preserve(_cv_app_get())
            preserve(_cv_request_get())
        if error is None:
            error = ctx._exception
        if error is not None and app.should_ignore_error(error):
            error = None
        ctx.pop(error)


def _send_response(
    request: Request,
    response: Response,
    environ: dict[str, t.Any],
    start_response: t.Callable[..., t.Any],
) -> t.Iterable[bytes]:
    """Start ``response`` and give the body iterable the server sends."""
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


#: ``serve_wsgi(app, environ, start_response)``: handle one WSGI request. With
#: the C helpers built it is their version, which runs the same steps for a
#: dict environ (calling the same methods: push, ``_handle_direct``, pop, ...)
#: and calls :data:`PYTHON_SERVE_WSGI` for any other.
PYTHON_SERVE_WSGI = _serve_wsgi
serve_wsgi = _serve_wsgi
if speedups is not None:
    speedups.configure_wsgi(
        Request, PYTHON_SERVE_WSGI, _send_response, _cv_app_get, _cv_request_get
    )
    serve_wsgi = speedups.serve_wsgi
