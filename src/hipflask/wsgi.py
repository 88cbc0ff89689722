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

from .ctx import new_request_context
from .globals import _cv_app, _cv_request
from .http.response import _ClosingIterator
from .sending import FileBody
from .wrappers import Request

if t.TYPE_CHECKING:
    from .app import Flask
    from .http.response import PlainResponse
    from .wrappers import Response

_cv_app_get = _cv_app.get
_cv_request_get = _cv_request.get


def serve_wsgi(
    app: Flask, environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]
) -> t.Iterable[bytes]:
    """Handle one WSGI request with ``app``.

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
        ctx.pop(error)
