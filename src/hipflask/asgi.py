"""The ASGI adapter: http, websocket and lifespan scopes.

For an http request it

1. receives the body first when the request can have one, into a spooled buffer
   bounded by ``MAX_CONTENT_LENGTH`` (so Flask's synchronous ``request.form``,
   ``get_json()`` and ``files`` work, and a large upload goes to disk, not RAM).
   A body over the limit is not read further; reading it raises 413, unless
   the request's ``max_content_length`` was raised (Flask 3.1's per-request
   limit) and the view runs in a worker thread: the rest is then received
   from there, through the event loop, under the new limit;
2. builds the request, matches the URL and picks a driver:
   - the endpoint's view and hooks are all sync: the whole pipeline is stepped
     directly in one worker thread (one thread hop per request, not one per
     hook), or on the event loop itself with ``ASGI_SYNC_INLINE``;
   - otherwise the pipeline runs on the event loop in async mode, awaiting
     async callables and sending sync ones to worker threads;
3. sends the response: a buffered body in one message, a streamed one chunk by
   chunk (sync iterators are advanced in a worker thread, async ones awaited).
   A whole-file body (:class:`~hipflask.sending.FileBody`) is sent with
   ``http.response.pathsend`` when the server offers that extension.

A websocket scope is served by :func:`hipflask.websockets.serve_websocket`.
"""

from __future__ import annotations

import asyncio
import contextvars
import typing as t

from .concurrency import iterate_in_thread
from .ctx import RequestContext, new_request_context
from .globals import _cv_app, _cv_request
from .http._native import speedups
from .http.exceptions import ClientDisconnected
from .http.request import _BODYLESS
from .http.streams import DEFAULT_SPOOL_THRESHOLD, EMPTY_STREAM, SpooledBody
from .sending import FileBody
from .websockets import serve_websocket

if t.TYPE_CHECKING:
    from .app import Flask
    from .http.response import PlainResponse
    from .wrappers import Response

Message = dict[str, t.Any]
Receive = t.Callable[[], t.Awaitable[Message]]
Send = t.Callable[[Message], t.Awaitable[None]]


class ClientGone(Exception):
    """The client disconnected before the request body was complete."""


async def serve_asgi(
    app: Flask, scope: dict[str, t.Any], receive: Receive, send: Send
) -> None:
    """Handle one ASGI connection scope with ``app``."""
    # PERF: http is served in this coroutine; each extra layer costs per request.
    if scope["type"] != "http":
        await _serve_other(app, scope, receive, send)
        return
    body: t.Any = EMPTY_STREAM
    if scope["method"] in _BODYLESS:
        # PERF: built before any body: from_asgi notes in its one pass over
        # the header fields whether they announce one (nearly never).
        request = app.request_class.from_asgi(scope, body)
        if request._body_announced:
            body = await _receive_first(app, receive)
            if body is None:
                return
            request = app.request_class.from_asgi(scope, body)
    else:
        # PERF: the first message is received here; a body in that one message
        # (nearly every request) is adopted whole without _receive_body's
        # coroutine, which receives the others.
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body")
        if not message.get("more_body", False) and (
            not chunk or len(chunk) <= DEFAULT_SPOOL_THRESHOLD
        ):
            body = SpooledBody._whole(chunk or b"", app.config["MAX_CONTENT_LENGTH"])
        else:
            try:
                body = await _receive_body(
                    receive, app.config["MAX_CONTENT_LENGTH"], message
                )
            except ClientGone:
                return
        request = app.request_class.from_asgi(scope, body)
    ctx = new_request_context(app, request)
    extensions = scope.get("extensions")
    extra = extensions.get("hipflask.environ") if extensions else None
    preserve = extra.get("hipflask.preserve_context") if extra else None
    app._match_request(request)
    rule = request.url_rule
    endpoint = rule.endpoint if rule is not None else None
    chain_ = app._chains.get(endpoint) or app._chain_for(endpoint)
    context: contextvars.Context | None = None
    response: Response | PlainResponse
    inline = app.config["ASGI_SYNC_INLINE"]
    if chain_.all_sync:
        if inline:
            # PERF: _run_direct inlined (one call less per request).
            error: BaseException | None = None
            try:
                ctx.push()
                try:
                    response = app._handle_direct(ctx)
                except BaseException as e:
                    error = e
                    raise
            finally:
                if preserve is not None:
                    preserve(_cv_app.get())
                    preserve(_cv_request.get())
                ctx.pop(error or ctx._exception)
        else:
            # The view and the body's iteration share one Context, as under
            # WSGI: stream_with_context pushes in one and pops in the other.
            context = contextvars.copy_context()
            response = await asyncio.get_running_loop().run_in_executor(
                None, context.run, _run_direct, app, ctx, preserve
            )
    else:
        response = await _run_async(app, ctx, preserve)
        if not inline:
            # A sync body is advanced in worker threads, every step in this one.
            context = contextvars.copy_context()
    try:
        if isinstance(response, tuple):
            # PERF: the parts of a fixed-body response (see Flask._handle): its
            # headers are Content-Type and Content-Length, sent as they are, then
            # any a read session added (Vary).
            code, _line, headers, sent = response
            raw_headers = [
                (b"content-type", headers[0][1].encode("latin-1")),
                (b"content-length", headers[1][1].encode("latin-1")),
            ]
            if len(headers) > 2:
                for name, value in headers[2:]:
                    raw_headers.append(
                        (name.lower().encode("latin-1"), value.encode("latin-1"))
                    )
            await send(
                {"type": "http.response.start", "status": code, "headers": raw_headers}
            )
            data = sent[0] if request.method != "HEAD" else b""
            await send({"type": "http.response.body", "body": data})
        else:
            code, headers, body_iter = response._prepare(request.method)
            if type(body_iter) is list:
                # PERF: a buffered body (jsonify, most responses) is sent here,
                # as _send sends it, without _send's coroutine; the headers as
                # _raw_headers makes them: in C when built, else in a loop here
                # (no call, no comprehension), names memoised (a new one takes
                # the general way).
                encoded = (
                    _c_encode_asgi_fields(headers) if _c_encode_asgi_fields else None
                )
                if encoded is not None:
                    raw_headers = encoded
                else:
                    names = _RAW_NAMES
                    raw_headers = []
                    append = raw_headers.append
                    try:
                        for name, value in headers:
                            append((names[name], value.encode("latin-1")))
                    except KeyError:
                        raw_headers = _raw_headers(headers)
                await send(
                    {
                        "type": "http.response.start",
                        "status": code,
                        "headers": raw_headers,
                    }
                )
                data = body_iter[0] if len(body_iter) == 1 else b"".join(body_iter)
                await send({"type": "http.response.body", "body": data})
            else:
                await _send(app, code, headers, body_iter, send, extensions, context)
    finally:
        # Close the body in the Context it was iterated in: closing a
        # stream_with_context generator pops the contexts it pushed there.
        if not isinstance(response, tuple):
            if context is not None:
                context.run(response.close)
            else:
                response.close()
        # A preserved context (test client) may still read the body later.
        if body is not EMPTY_STREAM and preserve is None:
            body.close()


async def _serve_other(
    app: Flask, scope: dict[str, t.Any], receive: Receive, send: Send
) -> None:
    kind = scope["type"]
    if kind == "lifespan":
        await _serve_lifespan(app, receive, send)
    elif kind == "websocket":
        await serve_websocket(app, scope, receive, send)
    else:
        raise ValueError(f"Unsupported ASGI scope type: {kind!r}")


async def _receive_first(app: Flask, receive: Receive) -> SpooledBody | None:
    """The body a request announced; None when the client went away first."""
    try:
        return await _receive_body(receive, app.config["MAX_CONTENT_LENGTH"])
    except ClientGone:
        return None


async def _receive_body(
    receive: Receive, limit: int | None, message: Message | None = None
) -> SpooledBody:
    """The request body, from its first message (received here if not given)."""
    if message is None:
        message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientGone()
    chunk = message.get("body")
    more = message.get("more_body", False)
    if not more and (not chunk or len(chunk) <= DEFAULT_SPOOL_THRESHOLD):
        # PERF: the whole body in one message (nearly every request) is adopted
        # as it is, without the write phase.
        return SpooledBody._whole(chunk or b"", limit)
    body = SpooledBody(max_content_length=limit)
    while True:
        if chunk:
            if limit is not None and body.size + len(chunk) > limit:
                # Stop reading; the request raises 413 if the app reads the
                # body, unless it raises its limit first (see module doc).
                body._hold(chunk, _rest_receiver(receive) if more else None)
                return body
            body.write(chunk)
        if not more:
            break
        message = await receive()
        if message["type"] == "http.disconnect":
            body.close()
            raise ClientGone()
        more = message.get("more_body", False)
        chunk = message.get("body")
    body.finish()
    return body


def _rest_receiver(receive: Receive) -> t.Callable[[SpooledBody], bool]:
    """What completes a held body from a worker thread: it has this event loop
    receive the remaining messages into the body, and waits for them."""
    loop = asyncio.get_running_loop()

    def receive_rest(body: SpooledBody) -> bool:
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            return False  # the loop cannot wait for itself
        asyncio.run_coroutine_threadsafe(_receive_rest(receive, body), loop).result()
        return True

    return receive_rest


async def _receive_rest(receive: Receive, body: SpooledBody) -> None:
    """Receive the rest of the body into ``body`` (its limit applies)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected(
                "The client went away before sending the whole request body."
            )
        chunk = message.get("body")
        if chunk:
            body.write(chunk)
        if not message.get("more_body", False):
            return


def _run_direct(
    app: Flask, ctx: RequestContext, preserve: t.Callable[[t.Any], None] | None
) -> Response | PlainResponse:
    """Push, run the pipeline directly, pop: for all-sync endpoints."""
    error: BaseException | None = None
    try:
        ctx.push()
        try:
            return app._handle_direct(ctx)
        except BaseException as e:
            error = e
            raise
    finally:
        if preserve is not None:
            preserve(_cv_app.get())
            preserve(_cv_request.get())
        ctx.pop(error or ctx._exception)


async def _run_async(
    app: Flask, ctx: RequestContext, preserve: t.Callable[[t.Any], None] | None
) -> Response | PlainResponse:
    """Push, run the pipeline on the event loop, pop (awaiting teardown)."""
    error: BaseException | None = None
    ctx.push()
    try:
        return await app._handle(ctx, False)
    except BaseException as e:
        error = e
        raise
    finally:
        if preserve is not None:
            preserve(_cv_app.get())
            preserve(_cv_request.get())
        await app._pop_async(ctx, error or ctx._exception)


async def _send(
    app: Flask,
    code: int,
    headers: list[tuple[str, str]],
    body: t.Iterable[bytes],
    send: Send,
    extensions: dict[str, t.Any] | None = None,
    context: contextvars.Context | None = None,
) -> None:
    """Send a prepared response: status, headers, then the body."""
    await send(
        {
            "type": "http.response.start",
            "status": code,
            "headers": _raw_headers(headers),
        }
    )
    if type(body) is list or type(body) is tuple:
        data = body[0] if len(body) == 1 else b"".join(body)
        await send({"type": "http.response.body", "body": data})
        return
    if (
        type(body) is FileBody
        and body.offset is None
        and body.path is not None
        and extensions
        and "http.response.pathsend" in extensions
    ):
        await send({"type": "http.response.pathsend", "path": body.path})
        return
    if hasattr(body, "__aiter__"):
        async for chunk in body:
            if chunk:
                await send(
                    {"type": "http.response.body", "body": chunk, "more_body": True}
                )
    elif app.config["ASGI_SYNC_INLINE"]:
        for chunk in body:
            if chunk:
                await send(
                    {"type": "http.response.body", "body": chunk, "more_body": True}
                )
    else:
        async for chunk in iterate_in_thread(iter(body), context):
            if chunk:
                await send(
                    {"type": "http.response.body", "body": chunk, "more_body": True}
                )
    await send({"type": "http.response.body", "body": b""})


#: Response header name -> its lower-case latin-1 bytes, as ASGI sends it.
_RAW_NAMES: dict[str, bytes] = {}
_RAW_NAMES_LIMIT = 1024  # names may come from request data: bounded
#: The C version of _raw_headers (ASCII names, latin-1 values), when built.
_c_encode_asgi_fields: (
    t.Callable[[list[tuple[str, str]]], list[tuple[bytes, bytes]] | None] | None
) = speedups.encode_asgi_fields if speedups is not None else None


def _raw_headers(headers: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """``headers`` as ASGI sends them: lower-case latin-1 names (memoised)."""
    if _c_encode_asgi_fields is not None:
        encoded = _c_encode_asgi_fields(headers)
        if encoded is not None:
            return encoded
    names = _RAW_NAMES
    return [
        (names.get(name) or _raw_name(name), value.encode("latin-1"))
        for name, value in headers
    ]


def _raw_name(name: str) -> bytes:
    raw = name.lower().encode("latin-1")
    if type(name) is str:  # a str subclass may hash and compare differently
        if len(_RAW_NAMES) >= _RAW_NAMES_LIMIT:
            _RAW_NAMES.clear()
        _RAW_NAMES[name] = raw
    return raw


async def _serve_lifespan(app: Flask, receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
