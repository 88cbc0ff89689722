"""Websockets under ASGI, with Quart's API.

A websocket scope is served by :func:`serve_websocket` (called from the ASGI
adapter) in these steps:

1. receive the ``websocket.connect`` message (a disconnect first ends it);
2. match the path against the websocket rules (``Rule(websocket=True)``, made by
   ``@app.websocket``). No match, or a match on an HTTP-only rule, closes the
   connection without accepting it: the server answers the handshake with 403
   (or the app with a 404, see 4);
3. push an application context and a :class:`WebsocketContext` (the
   ``websocket`` proxy), run the URL value preprocessors and the
   ``before_websocket`` hooks (a non-None return skips the handler), then await
   the handler with the rule's arguments as keyword arguments;
4. end: a client that went away makes the pending ``receive()`` raise
   :class:`WebsocketDisconnect` (so does a send the server cannot deliver),
   which ends the handler quietly. A handler busy elsewhere (awaiting a queue,
   a sleep) is cancelled instead, as in Quart: an idle sweep, once a second
   per event loop, receives on behalf of each handler that is not inside
   ``receive()``; the message waits for its next ``receive()``, a disconnect
   cancels the handler's task (the cancel is taken back afterwards, so the
   server sees a normal end). After a handler that returned or was ended
   so, the ``after_websocket`` hooks run, and the connection closes with 1000
   (if it accepted; unaccepted, the close is a refusal). An HTTP exception
   (``abort``) closes with 1008, any other exception is logged with
   ``app.log_exception`` and closes with 1011. Before accepting, any of these
   closes is a refusal (403). When the server offers ASGI's
   ``websocket.http.response`` extension (uvicorn does), a refusal is an HTTP
   response instead: the ``abort()``'s (401, 404 for no route...), a bare 500
   for an error, or ``make_response`` of what a ``before_websocket`` hook or the
   handler returned without accepting. Then the ``teardown_websocket`` and
   ``teardown_appcontext`` functions run (async ones awaited; sync ones as
   sync views are) and the contexts are popped, so nothing of one connection
   is visible to the next.

The :class:`Websocket` object accepts on its first ``send`` or ``receive`` when
the handler has not called :meth:`Websocket.accept` itself. Its request-like
attributes (``path``, ``args``, ``headers``, ...) are read from a
:class:`~hipflask.wrappers.Request` built lazily over the scope.

Handlers must be coroutine functions; a sync one is refused with TypeError when
it is registered. As in Quart, ``before_request``/``after_request`` hooks do not
run for websockets (they are about HTTP requests and responses); the
``*_websocket`` hooks are their counterparts, app-wide and per blueprint.
"""

from __future__ import annotations

import asyncio
import sys
import typing as t
import weakref

from .globals import _cv_app, _cv_websocket
from .helpers import _split_blueprint_path
from .http.exceptions import BadRequest, HTTPException, InternalServerError, NotFound
from .http.request_headers import cached
from .http.streams import EMPTY_STREAM

if t.TYPE_CHECKING:
    from contextvars import Token

    from .app import Flask
    from .ctx import AppContext
    from .http.datastructures import Headers, ImmutableMultiDict
    from .http.response import Response
    from .routing import MapAdapter, Rule
    from .wrappers import Request

Message = dict[str, t.Any]
Receive = t.Callable[[], t.Awaitable[Message]]
Send = t.Callable[[Message], t.Awaitable[None]]

__all__ = [
    "Websocket",
    "WebsocketContext",
    "WebsocketDisconnect",
    "has_websocket_context",
    "serve_websocket",
]

_PENDING, _ACCEPTED, _CLOSED = 0, 1, 2

#: The close code ASGI servers report when the client gave none.
_NO_STATUS = 1005


class WebsocketDisconnect(Exception):
    """The connection is closed: raised by ``receive``/``send`` after it ends."""

    def __init__(self, code: int = _NO_STATUS, reason: str = "") -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason

    def __str__(self) -> str:
        text = f"The websocket connection is closed (code {self.code})"
        return f"{text}: {self.reason}" if self.reason else text


class Websocket:
    """One websocket connection, as the handler sees it through ``websocket``."""

    def __init__(
        self, scope: dict[str, t.Any], receive: Receive, send: Send, request: Request
    ) -> None:
        self.scope = scope
        self._receive = receive
        self._send = send
        self._state = _PENDING
        self._close_code = _NO_STATUS
        self._close_reason = ""
        #: The URL request over the scope (path, args, headers, ...).
        self.request = request
        # Disconnect watching (see _look_ahead): the task serving the
        # connection, whether its handler is running, whether it is inside
        # the server's receive(), a receive() started for it, and whether a
        # disconnect seen there cancelled the task.
        self._task: asyncio.Task[t.Any] | None = None
        self._handling = False
        self._receiving = False
        self._ahead: asyncio.Future[Message] | None = None
        self._gone = False

    # -- request-like attributes ------------------------------------------------

    @property
    def path(self) -> str:
        """The path of the URL, without the application root."""
        return self.request.path

    @property
    def root_path(self) -> str:
        """The prefix the application is mounted under."""
        return self.request.root_path

    @property
    def query_string(self) -> bytes:
        """The raw query string."""
        return self.request.query_string

    @property
    def args(self) -> ImmutableMultiDict[str, str]:
        """The parsed query string."""
        return self.request.args

    @property
    def headers(self) -> Headers:
        """The handshake request's headers."""
        return self.request.headers

    @property
    def cookies(self) -> ImmutableMultiDict[str, str]:
        """The handshake request's cookies."""
        return self.request.cookies

    @property
    def scheme(self) -> str:
        """``ws`` or ``wss``."""
        return self.request.scheme

    @property
    def host(self) -> str:
        """The host the client connected to (with a non-default port)."""
        return self.request.host

    @property
    def url(self) -> str:
        """The full URL, with the ``ws``/``wss`` scheme."""
        return self.request.url

    @property
    def url_rule(self) -> Rule | None:
        """The websocket rule that matched."""
        return self.request.url_rule

    @property
    def view_args(self) -> dict[str, t.Any] | None:
        """The arguments the rule's converters produced."""
        return self.request.view_args

    @property
    def endpoint(self) -> str | None:
        """The endpoint of the matched rule."""
        return self.request.endpoint

    @property
    def blueprint(self) -> str | None:
        """The name of the blueprint the endpoint belongs to."""
        return self.request.blueprint

    @property
    def requested_subprotocols(self) -> list[str]:
        """The subprotocols the client offered, in its order of preference."""
        return list(self.scope.get("subprotocols") or ())

    @property
    def accepted(self) -> bool:
        """Whether the connection has been accepted (and not closed since)."""
        return self._state == _ACCEPTED

    @property
    def closed(self) -> bool:
        """Whether the connection is closed (by either side)."""
        return self._state == _CLOSED

    # -- conversation -------------------------------------------------------------

    async def accept(
        self,
        headers: t.Mapping[str, str] | t.Iterable[tuple[str, str]] | None = None,
        subprotocol: str | None = None,
    ) -> None:
        """Accept the connection, with extra response headers and a subprotocol.

        Accepting an accepted connection does nothing.
        """
        if self._state == _ACCEPTED:
            return
        if self._state == _CLOSED:
            raise WebsocketDisconnect(self._close_code, self._close_reason)
        if subprotocol is not None and not isinstance(subprotocol, str):
            raise TypeError(
                "The subprotocol must be a str or None, not"
                f" {type(subprotocol).__name__}."
            )
        message: Message = {"type": "websocket.accept", "subprotocol": subprotocol}
        if headers is not None:
            message["headers"] = _encode_headers(headers)
        self._state = _ACCEPTED
        await self._transmit(message)

    async def receive(self) -> str | bytes:
        """The next message: str for a text frame, bytes for a binary one.

        Raises :class:`WebsocketDisconnect` once the client has gone.
        """
        if self._state != _ACCEPTED:
            await self.accept()
        # While in here the idle sweep leaves this connection alone (an error
        # from the server's receive() leaves the flag set: the end anyway).
        self._receiving = True
        ahead = self._ahead
        if ahead is None:
            message = await self._receive()
        else:  # the sweep's receive() has (or will have) the next message
            self._ahead = None
            message = await ahead
        self._receiving = False
        kind = message.get("type")
        if kind == "websocket.receive":
            text = message.get("text")
            if text is not None:
                return t.cast(str, text)
            return t.cast(bytes, message.get("bytes") or b"")
        self._state = _CLOSED
        if kind == "websocket.disconnect":
            self._close_code = message.get("code", _NO_STATUS)
            self._close_reason = message.get("reason") or ""
        raise WebsocketDisconnect(self._close_code, self._close_reason)

    async def send(self, data: str | bytes) -> None:
        """Send ``data``: a str as a text frame, bytes as a binary one."""
        if isinstance(data, str):
            message: Message = {"type": "websocket.send", "text": data}
        elif isinstance(data, (bytes, bytearray, memoryview)):
            message = {"type": "websocket.send", "bytes": bytes(data)}
        else:
            raise TypeError(
                "A websocket message must be str (a text frame) or bytes (a"
                f" binary frame), not {type(data).__name__}."
            )
        if self._state != _ACCEPTED:
            await self.accept()
        await self._transmit(message)

    async def send_json(self, obj: t.Any) -> None:
        """Send ``obj`` serialised by the app's JSON provider, as a text frame."""
        await self.send(_json_provider().dumps(obj))

    async def receive_json(self) -> t.Any:
        """The next message parsed as JSON (400 ``BadRequest`` when it is not)."""
        data = await self.receive()
        try:
            return _json_provider().loads(data)
        except ValueError as e:  # JSONDecodeError, or bytes that are not UTF-8
            raise BadRequest(f"The websocket message is not valid JSON: {e}") from e

    async def close(self, code: int, reason: str = "") -> None:
        """Close the connection (before accepting it: refuse it, HTTP 403)."""
        if self._state == _CLOSED:
            return
        self._state = _CLOSED
        self._close_code = code
        self._close_reason = reason
        await self._transmit(
            {"type": "websocket.close", "code": code, "reason": reason}
        )

    async def _transmit(self, message: Message) -> None:
        # Servers raise OSError when the client has gone (uvicorn's
        # ClientDisconnected): to the handler that is a disconnect (1006).
        try:
            await self._send(message)
        except OSError:
            self._state = _CLOSED
            self._close_code = 1006
            self._close_reason = ""
            raise WebsocketDisconnect(1006) from None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path!r}>"

    # -- disconnect watching ------------------------------------------------------

    def _look_ahead(self) -> None:
        """Receive for a handler that is busy elsewhere, to see a disconnect.

        Called by the idle sweep (:func:`_sweep`). The message is kept for the
        handler's next :meth:`receive`; a disconnect cancels the handler.
        """
        if (
            not self._handling
            or self._receiving
            or self._ahead is not None
            or self._state != _ACCEPTED
        ):
            return
        ahead = self._ahead = asyncio.ensure_future(self._receive())
        ahead.add_done_callback(self._seen_ahead)

    def _seen_ahead(self, ahead: asyncio.Future[Message]) -> None:
        if ahead.cancelled() or ahead.exception() is not None:
            return  # the handler's next receive() re-raises it
        message = ahead.result()
        if message.get("type") != "websocket.receive":
            self._state = _CLOSED
            self._close_code = message.get("code", _NO_STATUS)
            self._close_reason = message.get("reason") or ""
            task = self._task
            if self._handling and not self._receiving and task is not None:
                # Quart's rule: a client that went away cancels the handler.
                self._gone = True
                task.cancel()

    def _stop_watching(self) -> None:
        self._handling = False
        ahead, self._ahead = self._ahead, None
        if ahead is not None and not ahead.done():
            ahead.cancel()


def _json_provider() -> t.Any:
    """The current app's JSON provider."""
    return _cv_app.get().app.json


def _encode_headers(
    headers: t.Mapping[str, str] | t.Iterable[tuple[str, str]],
) -> list[tuple[bytes, bytes]]:
    items = headers.items() if hasattr(headers, "items") else headers
    encoded = []
    for name, value in items:
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError("Websocket accept headers must be (str, str) pairs.")
        encoded.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    return encoded


class WebsocketContext:
    """Holds ``websocket`` (and a URL adapter) while a handler runs."""

    def __init__(self, app: Flask, websocket: Websocket) -> None:
        self.app = app
        self.websocket = websocket
        self._app_ctx: AppContext | None = None
        self._token: Token[WebsocketContext] | None = None

    @cached
    def url_adapter(self) -> MapAdapter | None:
        """The URL adapter bound to the connection's URL (for ``url_for``)."""
        return self.app.create_url_adapter(self.websocket.request)

    def push(self) -> None:
        """Push a fresh application context, then this context."""
        if self._token is not None:
            raise RuntimeError("This websocket context is already pushed.")
        app_ctx = self.app.app_context()
        app_ctx.push()
        self._app_ctx = app_ctx
        self._token = _cv_websocket.set(self)

    async def pop(self, exc: BaseException | None = None) -> None:
        """Pop this context and its application context (teardowns awaited)."""
        token, app_ctx = self._token, self._app_ctx
        if token is None or app_ctx is None:
            raise RuntimeError("This websocket context is not pushed.")
        self._token = self._app_ctx = None
        _cv_websocket.reset(token)
        await self.app._pop_app_async(app_ctx, exc)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.websocket.path!r} of {self.app.name}>"


def has_websocket_context() -> bool:
    """Whether a websocket context is active (inside a websocket handler)."""
    return _cv_websocket.get(None) is not None


def _match(app: Flask, request: Request) -> t.Callable[..., t.Any] | None:
    """The handler for the websocket request (its args stored), or None."""
    if request._has_bad_host():
        return None
    try:
        host = app._match_host(request, app.config["TRUSTED_HOSTS"])
        rule, found = app.url_map._match_or_error(request.path, "GET", host, True)
    except Exception:  # an untrusted host, a converter that failed badly
        return None
    if rule is None or not rule.websocket:
        return None
    request.url_rule = rule
    request.view_args = t.cast("dict[str, t.Any]", found)
    return app.view_functions.get(rule.endpoint)


async def serve_websocket(
    app: Flask, scope: dict[str, t.Any], receive: Receive, send: Send
) -> None:
    """Serve one ASGI websocket connection scope with ``app``."""
    message = await receive()
    if message.get("type") != "websocket.connect":
        return  # gone before the handshake
    request = app.request_class.from_asgi(scope, EMPTY_STREAM)
    handler = _match(app, request)
    if handler is None:
        if _can_deny(scope):
            await _send_denial(send, NotFound().get_response())
        else:
            await send({"type": "websocket.close", "code": 1000, "reason": ""})
        return
    websocket = Websocket(scope, receive, send, request)
    ctx = WebsocketContext(app, websocket)
    ctx.push()
    error: BaseException | None = None
    code = 1000
    reason = ""
    # What answers the handshake if the connection is refused (not accepted)
    # and the server can send an HTTP response.
    denial: t.Any = None
    try:
        try:
            denial = await _run_handler(app, websocket, handler)
        except WebsocketDisconnect:
            pass  # the client went away: the handler's end, not an error
        except HTTPException as e:
            # abort(): before accepting, a refusal; after, a policy violation
            # that tells the client why.
            code = 1008
            reason = _close_reason(e.description)
            denial = e.get_response()
        except Exception as e:
            error = e
            app.log_exception(sys.exc_info())
            code = 1011
            denial = InternalServerError(original_exception=e).get_response()
        if not websocket.closed:
            if denial is not None and not websocket.accepted and _can_deny(scope):
                websocket._state = _CLOSED
                await _send_denial(send, app.make_response(denial))
            else:
                # Unaccepted, any close is a refused handshake (HTTP 403).
                await websocket.close(code, reason if websocket.accepted else "")
    except WebsocketDisconnect:
        pass  # gone while being closed
    finally:
        try:
            await _teardown(app, websocket, error)
        finally:
            await ctx.pop(error)


def _can_deny(scope: dict[str, t.Any]) -> bool:
    """Whether the server can answer a refused handshake with an HTTP response."""
    return "websocket.http.response" in (scope.get("extensions") or {})


async def _send_denial(send: Send, response: Response) -> None:
    """Refuse the handshake with ``response`` (the ASGI denial-response extension)."""
    try:
        code, headers, body = response._prepare("GET")
        if hasattr(body, "__aiter__"):
            data = b"".join([chunk async for chunk in t.cast("t.Any", body)])
        else:
            data = b"".join(body)
    finally:
        response.close()
    await send(
        {
            "type": "websocket.http.response.start",
            "status": code,
            "headers": [
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in headers
            ],
        }
    )
    await send({"type": "websocket.http.response.body", "body": data})


#: How long a handler may be busy outside ``receive()`` before a disconnect
#: is looked for on its behalf (seconds).
IDLE_CHECK_SECONDS = 1.0
#: The connections whose handlers run, per event loop (for the idle sweep); a
#: loop's entry lasts while its sweep is scheduled, and no longer than the loop.
_live: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, set[Websocket]] = (
    weakref.WeakKeyDictionary()
)


def _watch(websocket: Websocket, loop: asyncio.AbstractEventLoop) -> None:
    """Have the idle sweep look after ``websocket`` while its handler runs."""
    connections = _live.get(loop)
    if connections is None:
        connections = _live[loop] = set()
        loop.call_later(IDLE_CHECK_SECONDS, _sweep, loop)
    connections.add(websocket)


def _unwatch(websocket: Websocket, loop: asyncio.AbstractEventLoop) -> None:
    websocket._stop_watching()
    connections = _live.get(loop)
    if connections is not None:
        connections.discard(websocket)


def _sweep(loop: asyncio.AbstractEventLoop) -> None:
    """Look ahead for every handler busy elsewhere; again later while any run."""
    connections = _live.get(loop)
    if not connections:
        _live.pop(loop, None)
        return
    for websocket in list(connections):
        websocket._look_ahead()
    loop.call_later(IDLE_CHECK_SECONDS, _sweep, loop)


def _scopes(endpoint: str | None) -> list[str | None]:
    """The hook scopes of ``endpoint``: the app, then its blueprints outwards in."""
    names: list[str | None] = [None]
    if endpoint and "." in endpoint:
        names.extend(reversed(_split_blueprint_path(endpoint.rpartition(".")[0])))
    return names


def _close_reason(text: str | None) -> str:
    """``text`` cut to what a close frame carries (123 bytes of UTF-8)."""
    if not text:
        return ""
    return text.encode()[:123].decode(errors="ignore")


async def _run_handler(
    app: Flask, websocket: Websocket, handler: t.Callable[..., t.Any]
) -> t.Any:
    """URL value preprocessors, ``before_websocket`` hooks, the handler, then
    ``after_websocket`` hooks (innermost blueprint first, newest first).

    Returns what refuses the connection if it is still unaccepted: a
    ``before_websocket`` hook's value, or the handler's (after the hooks).
    """
    endpoint = websocket.endpoint
    view_args = websocket.view_args
    if view_args is None:
        view_args = {}
    names = _scopes(endpoint)
    for name in names:
        for func in app.url_value_preprocessors.get(name, ()):
            func(endpoint, view_args)
    for name in names:
        for func in app.before_websocket_funcs.get(name, ()):
            refusal = await app._call(False, func)
            if refusal is not None:
                return refusal  # refused by the hook: the handler does not run
    rv: t.Any = None
    # PERF: the loop looked up once per conversation (each lookup is a getpid()
    # system call on Python 3.10 and 3.11).
    loop = asyncio.get_running_loop()
    websocket._task = asyncio.current_task(loop)
    websocket._handling = True
    _watch(websocket, loop)
    try:
        rv = await handler(**view_args)
    except WebsocketDisconnect:
        pass  # the client ended the conversation: the usual end of a handler
    except asyncio.CancelledError:
        if not websocket._gone:
            raise
        # Cancelled because the client went away: a disconnect, as above.
        task = websocket._task
        if task is not None and hasattr(task, "uncancel"):  # Python 3.11+
            task.uncancel()
    finally:
        _unwatch(websocket, loop)
    for name in reversed(names):
        for func in reversed(app.after_websocket_funcs.get(name, ())):
            rv = await app._call(False, func, rv)
    return rv


async def _teardown(
    app: Flask, websocket: Websocket, exc: BaseException | None
) -> None:
    """The ``teardown_websocket`` functions (innermost blueprint first, newest
    first); each runs even when an earlier one raised, which is logged."""
    for name in reversed(_scopes(websocket.endpoint)):
        for func in reversed(app.teardown_websocket_funcs.get(name, ())):
            try:
                await app._call(False, func, exc)
            except Exception:
                app.log_exception(sys.exc_info())
