"""WSGI middleware on ``app.wsgi_app`` honoured under ASGI too.

Flask applications add WSGI middleware by wrapping the attribute::

    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1)

Served as WSGI, the app calls that attribute. Served as ASGI, the adapter
would go around it, and a proxy fix, an auth gate or a header rewrite would
silently stop applying. So while ``wsgi_app`` is wrapped (set on the
instance), or overridden by a subclass that leaves ``asgi_app`` alone, an ASGI
http request reaching :meth:`Flask.asgi_app` is served through the WSGI stack
here:

1. the body is received first (spooled to disk when large, bounded by
   ``MAX_CONTENT_LENGTH`` as in the ASGI adapter) and becomes ``wsgi.input``;
2. a PEP 3333 environ is built from the scope, and the stack is called in a
   worker thread, in a copy of the caller's context;
3. the body iterable is advanced in worker threads (all in that one context)
   and streamed: the status and headers go out with the first non-empty
   chunk (or at the end), as a WSGI server sends them, then the iterable is
   closed, also in that context.

Websocket and lifespan scopes are still served natively: WSGI has neither.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
import typing as t

from .asgi import _raw_headers, _receive_first
from .concurrency import iterate_in_thread
from .http.request import _environ_from_scope

if t.TYPE_CHECKING:
    from types import TracebackType

    from .app import Flask

    Message = dict[str, t.Any]
    Receive = t.Callable[[], t.Awaitable[Message]]
    Send = t.Callable[[Message], t.Awaitable[None]]
    ExcInfo = tuple[type[BaseException], BaseException, TracebackType]

__all__ = ["serve_wsgi_stack"]


class _Started:
    """What the WSGI stack passed to ``start_response``, and whether it was sent."""

    def __init__(self) -> None:
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.sent = False
        #: Data given to the legacy ``write()`` callable, not sent yet.
        self.written: list[bytes] = []

    def start_response(
        self,
        status: str,
        headers: list[tuple[str, str]],
        exc_info: ExcInfo | None = None,
    ) -> t.Callable[[bytes], None]:
        if exc_info is not None:
            try:
                if self.sent:  # too late to change the response: re-raise
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise RuntimeError("start_response() was called twice without exc_info.")
        self.status = status
        self.headers = list(headers)
        return self.written.append


async def serve_wsgi_stack(
    app: Flask, scope: dict[str, t.Any], receive: Receive, send: Send
) -> None:
    """Serve one ASGI http request through ``app.wsgi_app`` (see the module doc)."""
    body = await _receive_first(app, receive)
    if body is None:
        return  # the client went away before its body was complete
    try:
        environ = _environ_from_scope(scope)
        environ.update(
            {
                "wsgi.version": (1, 0),
                "wsgi.input": body,
                "wsgi.errors": sys.stderr,
                "wsgi.multithread": True,
                "wsgi.multiprocess": False,
                "wsgi.run_once": False,
            }
        )
        started = _Started()
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        iterable = await loop.run_in_executor(
            None, context.run, app.wsgi_app, environ, started.start_response
        )
        try:
            await _stream(started, iterable, send, context)
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                await loop.run_in_executor(None, context.run, close)
    finally:
        body.close()


async def _stream(
    started: _Started,
    iterable: t.Iterable[bytes],
    send: Send,
    context: contextvars.Context,
) -> None:
    """Send the response the WSGI stack produces (headers before the first data)."""
    async for chunk in iterate_in_thread(iter(iterable), context):
        data = b"".join(started.written) + chunk if started.written else chunk
        started.written.clear()
        if not data:
            continue
        if not started.sent:
            await _send_start(started, send)
        try:
            await send({"type": "http.response.body", "body": data, "more_body": True})
        except OSError:  # the client went away (uvicorn's ClientDisconnected)
            return
    if not started.sent:
        await _send_start(started, send)
    data = b"".join(started.written)
    await send({"type": "http.response.body", "body": data})


async def _send_start(started: _Started, send: Send) -> None:
    if started.status is None:
        raise RuntimeError("The WSGI application did not call start_response().")
    started.sent = True
    await send(
        {
            "type": "http.response.start",
            "status": int(started.status.split(None, 1)[0]),
            "headers": _raw_headers(started.headers),
        }
    )
