"""The test client: requests to an application without a server.

:class:`FlaskClient` builds each request as a PEP 3333 environ with
:class:`~hipflask.testing_environ.EnvironBuilder` and sends it through one of the
two standard protocols:

- WSGI: ``app(environ, start_response)``; the returned iterable is read to the end
  and its ``close()`` called, as a server would. The app gets its own copy of the
  environ.
- ASGI (``asgi=True``): :func:`~hipflask.testing_environ.environ_to_asgi` turns
  the environ into an http scope plus body; the body goes out in ``http.request``
  messages of at most 64 KiB, the ``http.response.*`` messages are collected, and
  ``receive`` answers ``http.disconnect`` once the response is complete. The
  coroutine runs on the calling thread's reused event loop
  (:func:`hipflask.concurrency.run_coroutine`).

Either way the whole body is read before :meth:`FlaskClient.open` returns (the
``buffered`` flag is accepted for compatibility and changes nothing): a streamed
body runs to completion, and its ``close()`` is called, during the request.
Protocol violations by the app (no status, a body before the status, non-bytes
chunks) raise at once. The result is a :class:`TestResponse`.

Around each request the client keeps a cookie jar
(:mod:`hipflask.testing_cookies`), follows redirects when asked (301/302/303/305
become GET without a body, HEAD stays HEAD, 307/308 repeat the request), and
implements Flask's ``with client:`` protocol: while the block is open each
environ carries a callable under ``"hipflask.preserve_context"`` (under ASGI in
``scope["extensions"]["hipflask.environ"]``); the application calls it with
each context it wants kept, and after the response the client enters those
context managers again, until the next request or the end of the block.
"""

from __future__ import annotations

import asyncio
import typing as t
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from copy import copy
from types import TracebackType
from urllib.parse import quote, urljoin, urlsplit

from . import __version__
from .concurrency import run_coroutine
from .http.datastructures import Headers
from .http.request import Request
from .http.response import Response
from .testing_cookies import Cookie, CookieJar, host_name
from .testing_environ import (
    BUILT_KEYS,
    Environ,
    EnvironBuilder,
    encode_multipart,
    environ_to_asgi,
    request_host,
    request_path,
    request_url,
)

if t.TYPE_CHECKING:
    from .testing_websockets import WebsocketTestConnection

__all__ = [
    "ClientRedirectError",
    "Cookie",
    "EnvironBuilder",
    "FlaskClient",
    "TestResponse",
    "encode_multipart",
    "environ_to_asgi",
]


def __getattr__(name: str) -> t.Any:
    # FlaskCliRunner lives with the CLI; imported on demand so the test client
    # does not load click (nor the websocket client its error).
    if name == "FlaskCliRunner":
        from .cli import FlaskCliRunner

        return FlaskCliRunner
    if name == "WebsocketResponseError":  # with the websocket client, on demand
        from .testing_websockets import WebsocketResponseError

        return WebsocketResponseError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: The environ key (or ``hipflask.environ`` extension key under ASGI) holding the
#: callable an application calls with each context it wants the client to keep.
PRESERVE_CONTEXT_KEY = "hipflask.preserve_context"

_REDIRECT_CODES = frozenset((301, 302, 303, 305, 307, 308))
#: Redirects followed for one request before giving up (a chain, not a loop).
MAX_REDIRECTS = 30
# The body goes to the ASGI app in messages of at most this many bytes.
_ASGI_CHUNK = 64 * 1024
# Characters left as they are when percent-encoding a path that may hold %XX.
_PATH_SAFE = "%!$&'()*+,/:;=@"


class ClientRedirectError(Exception):
    """Following redirects went in a loop, or on for too long."""


class TestResponse(Response):
    """A :class:`Response` as the test client received it.

    ``request`` is the request that was sent (built from the environ),
    ``history`` the redirect responses that led here (with
    ``follow_redirects=True``).
    """

    # Tell pytest this is not a test class.
    __test__ = False
    # Report exactly what the application sent: no Content-Type is assumed.
    default_mimetype = None

    request: Request
    history: tuple[TestResponse, ...]
    # The environ the client built (before cookies) and where its body started:
    # what following a redirect from this response starts from.
    _client_environ: Environ | None = None
    _body_start: int | None = None

    def __init__(
        self,
        response: Iterable[bytes],
        status: int | str,
        headers: Headers | Iterable[tuple[str, str]],
        request: Request,
        history: tuple[TestResponse, ...] = (),
        **kwargs: t.Any,
    ) -> None:
        super().__init__(response, status, headers, **kwargs)
        self.request = request
        self.history = history

    @property
    def text(self) -> str:
        """The body decoded as text (``get_data(as_text=True)``)."""
        return self.get_data(as_text=True)


_wrapper_classes: dict[type[Response], type[TestResponse]] = {}


def _test_response_class(cls: type[Response] | None) -> type[TestResponse]:
    """Mix :class:`TestResponse` into ``cls`` (once per class)."""
    if cls is None or cls is Response:
        return TestResponse
    if not (isinstance(cls, type) and issubclass(cls, Response)):
        raise TypeError(
            f"The response wrapper must be a Response subclass, got {cls!r}."
        )
    if issubclass(cls, TestResponse):
        return cls
    wrapper = _wrapper_classes.get(cls)
    if wrapper is None:
        wrapper = type("WrapperTestResponse", (TestResponse, cls), {})
        _wrapper_classes[cls] = wrapper
    return wrapper


_Result = tuple[int | str, list[tuple[str, str]], list[bytes]]


def _run_wsgi(app: t.Any, environ: Environ) -> _Result:
    """Call a WSGI app and read its whole response (then close the iterable)."""
    started: list[t.Any] = []
    chunks: list[bytes] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> t.Callable[[bytes], t.Any]:
        if exc_info is not None:
            try:
                if chunks:
                    # Body already "sent": too late to change the response.
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif started:
            raise RuntimeError("start_response() was called twice without exc_info.")
        started[:] = (status, list(headers))
        return chunks.append

    app_iter = app(environ, start_response)
    try:
        for chunk in app_iter:
            if not isinstance(chunk, bytes):
                if not isinstance(chunk, bytearray):
                    raise TypeError(
                        "A WSGI application must yield bytes, got"
                        f" {type(chunk).__name__}."
                    )
                chunk = bytes(chunk)
            if chunk and not started:
                raise RuntimeError(
                    "The WSGI application sent body data before calling"
                    " start_response()."
                )
            chunks.append(chunk)
    finally:
        close = getattr(app_iter, "close", None)
        if close is not None:
            close()
    if not started:
        raise RuntimeError("The WSGI application did not call start_response().")
    return started[0], started[1], chunks


async def _call_asgi(app: t.Any, scope: dict[str, t.Any], body: bytes) -> _Result:
    """Drive one ASGI http request and collect the response messages."""
    incoming: deque[dict[str, t.Any]] = deque()
    for start in range(0, len(body), _ASGI_CHUNK):
        end = start + _ASGI_CHUNK
        incoming.append(
            {
                "type": "http.request",
                "body": body[start:end],
                "more_body": end < len(body),
            }
        )
    if not incoming:
        incoming.append({"type": "http.request", "body": b"", "more_body": False})
    complete = asyncio.Event()
    status: int | None = None
    headers: list[tuple[str, str]] = []
    chunks: list[bytes] = []

    async def receive() -> dict[str, t.Any]:
        if incoming:
            return incoming.popleft()
        await complete.wait()
        return {"type": "http.disconnect"}

    async def send(message: Mapping[str, t.Any]) -> None:
        nonlocal status
        kind = message.get("type")
        if complete.is_set():
            raise RuntimeError(
                f"The ASGI application sent {kind!r} after the response was complete."
            )
        if kind == "http.response.start":
            if status is not None:
                raise RuntimeError(
                    "The ASGI application sent 'http.response.start' twice."
                )
            status = int(message["status"])
            headers.extend(
                (bytes(name).decode("latin-1"), bytes(value).decode("latin-1"))
                for name, value in message.get("headers", ())
            )
        elif kind == "http.response.body":
            if status is None:
                raise RuntimeError(
                    "The ASGI application sent 'http.response.body' before"
                    " 'http.response.start'."
                )
            chunk = message.get("body", b"")
            if not isinstance(chunk, (bytes, bytearray)):
                raise TypeError(
                    f"ASGI response body must be bytes, got {type(chunk).__name__}."
                )
            if chunk:
                chunks.append(bytes(chunk))
            if not message.get("more_body", False):
                complete.set()
        else:
            raise RuntimeError(f"Unexpected ASGI message type {kind!r}.")

    try:
        await app(scope, receive, send)
    finally:
        complete.set()
    if status is None:
        raise RuntimeError(
            "The ASGI application returned without sending 'http.response.start'."
        )
    return status, headers, chunks


def _body_position(environ: Mapping[str, t.Any]) -> int | None:
    stream = environ.get("wsgi.input")
    try:
        return int(stream.tell()) if stream is not None else None
    except (AttributeError, OSError, ValueError):
        return None


class FlaskClient:
    """Send requests to ``application`` (WSGI, or ASGI with ``asgi=True``).

    Responses are :class:`TestResponse` objects, mixed into ``response_wrapper``
    or the application's ``response_class``. With ``use_cookies`` the client
    keeps the cookies responses set and sends them back. ``with client:`` keeps
    the last request's contexts pushed until the block ends.
    """

    #: Send cookies marked ``Secure`` over plain http too, as Werkzeug's client
    #: (and so Flask's test suite) does.
    secure_cookies_over_http = True

    def __init__(
        self,
        application: t.Any,
        response_wrapper: type[Response] | None = None,
        use_cookies: bool = True,
        allow_subdomain_redirects: bool = False,
        *,
        asgi: bool = False,
    ) -> None:
        self.application = application
        if response_wrapper is None:
            app_class = getattr(application, "response_class", None)
            if isinstance(app_class, type) and issubclass(app_class, Response):
                response_wrapper = app_class
        self.response_wrapper = _test_response_class(response_wrapper)
        self._cookies: CookieJar | None = CookieJar() if use_cookies else None
        self.allow_subdomain_redirects = allow_subdomain_redirects
        self.asgi = asgi
        self.preserve_context = False
        self._new_contexts: list[AbstractContextManager[t.Any]] = []
        self._context_stack = ExitStack()
        self.environ_base: dict[str, t.Any] = {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_USER_AGENT": f"hipflask/{__version__}",
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.application!r}>"

    def websocket(self, path: str, **kwargs: t.Any) -> WebsocketTestConnection:
        """A websocket connection to ``path`` (``async with``; Quart's helper)."""
        from .testing_websockets import WebsocketTestConnection

        return WebsocketTestConnection(self.application, path, **kwargs)

    # -- cookies -------------------------------------------------------------------

    def _jar(self) -> CookieJar:
        if self._cookies is None:
            raise TypeError(
                "Cookies are disabled. Create a client with 'use_cookies=True'."
            )
        return self._cookies

    def get_cookie(
        self, key: str, domain: str = "localhost", path: str = "/"
    ) -> Cookie | None:
        """The cookie stored for ``(domain, path, key)``, or None."""
        return self._jar().get(key, domain, path)

    def set_cookie(
        self,
        key: str,
        value: str = "",
        *,
        domain: str = "localhost",
        origin_only: bool = True,
        path: str = "/",
        **kwargs: t.Any,
    ) -> None:
        """Store a cookie to send with later requests.

        ``origin_only`` sends it to ``domain`` exactly, otherwise to its
        subdomains too; other ``kwargs`` go to ``dump_cookie``.
        """
        self._jar().set(
            key, value, domain=domain, origin_only=origin_only, path=path, **kwargs
        )

    def delete_cookie(
        self, key: str, *, domain: str = "localhost", path: str = "/"
    ) -> None:
        """Remove the cookie stored for ``(domain, path, key)``, if any."""
        self._jar().delete(key, domain, path)

    # -- building requests ---------------------------------------------------------

    def _secure(self, environ: Mapping[str, t.Any]) -> bool:
        """Whether a request may carry ``Secure`` cookies."""
        return bool(
            environ.get("wsgi.url_scheme") == "https" or self.secure_cookies_over_http
        )

    def _copy_environ(self, other: Mapping[str, t.Any]) -> Environ:
        return {**self.environ_base, **other}

    def _environ_from_args(
        self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> Environ:
        if args and isinstance(args[0], EnvironBuilder):
            # Like Flask, other arguments are ignored when a builder is given.
            builder = copy(args[0])
            builder.environ_base = self._copy_environ(builder.environ_base or {})
            return builder.get_environ()
        if args and isinstance(args[0], Request):
            return self._copy_environ(args[0].environ)
        if args and isinstance(args[0], dict):
            builder = EnvironBuilder.from_environ(
                args[0], app=self.application, environ_base=self._copy_environ({})
            )
            return builder.get_environ()
        kwargs["environ_base"] = self._copy_environ(kwargs.get("environ_base") or {})
        builder = EnvironBuilder(self.application, *args, **kwargs)
        try:
            return builder.get_environ()
        finally:
            builder.close()

    # -- sending -------------------------------------------------------------------

    def open(
        self,
        *args: t.Any,
        buffered: bool = False,
        follow_redirects: bool = False,
        **kwargs: t.Any,
    ) -> TestResponse:
        """Build a request from the arguments, send it and return the response.

        ``args`` are :class:`EnvironBuilder` arguments (after the app), or one
        builder, or one environ dict. The body is always read whole, so
        ``buffered`` changes nothing. ``follow_redirects`` makes further
        requests while the status is a redirect; ``response.history`` holds
        the intermediate responses.
        """
        environ = self._environ_from_args(args, kwargs)
        # Contexts kept from the previous request are popped before this one.
        self._context_stack.close()
        response = self._send(environ)
        if follow_redirects:
            response = self._follow_redirects(response)
        stream = environ.get("wsgi.input")
        if stream is not None and callable(getattr(stream, "close", None)):
            response.call_on_close(stream.close)
        for context in self._new_contexts:
            self._context_stack.enter_context(context)
        self._new_contexts.clear()
        return response

    def _send(self, environ: Environ) -> TestResponse:
        """Send one request (cookies added) and store the cookies it sets."""
        self._new_contexts.clear()
        sent = dict(environ)
        host = request_host(sent)
        path = request_path(sent)
        if self._cookies is not None:
            header = self._cookies.request_header(host, path, secure=self._secure(sent))
            if header:
                previous = sent.get("HTTP_COOKIE")
                sent["HTTP_COOKIE"] = f"{previous}; {header}" if previous else header
        if self.preserve_context:
            sent[PRESERVE_CONTEXT_KEY] = self._new_contexts.append
        body_start = _body_position(sent)

        if self.asgi:
            scope, body = environ_to_asgi(sent)
            status, headers, chunks = run_coroutine(
                _call_asgi(self.application, scope, body)
            )
        else:
            # The app gets its own copy: what it changes does not leak into
            # the request object or into a redirect.
            status, headers, chunks = _run_wsgi(self.application, dict(sent))

        response = self.response_wrapper(
            chunks, status, headers, request=EnvironBuilder.request_class(sent)
        )
        json_provider = getattr(self.application, "json", None)
        if callable(getattr(json_provider, "loads", None)):
            response.json_module = json_provider
        response._client_environ = environ
        response._body_start = body_start
        if self._cookies is not None:
            self._cookies.update_from_headers(
                host, path, response.headers.getlist("Set-Cookie")
            )
        return response

    def _follow_redirects(self, response: TestResponse) -> TestResponse:
        seen: set[tuple[str, int]] = set()
        history: list[TestResponse] = []
        while response.status_code in _REDIRECT_CODES:
            location = response.headers.get("Location")
            if location is None:
                break
            environ = response._client_environ
            if environ is None:
                break
            target = urljoin(request_url(environ), location)
            entry = (target, response.status_code)
            if entry in seen:
                raise ClientRedirectError(
                    f"Loop detected: A {response.status_code} redirect"
                    f" to {location} was already made."
                )
            if len(history) >= MAX_REDIRECTS:
                raise ClientRedirectError(
                    f"Too many redirects: gave up after {MAX_REDIRECTS}, the last"
                    f" one to {location}."
                )
            seen.add(entry)
            response.history = tuple(history)
            history.append(response)
            response.close()
            response = self._send(self._redirect_environ(response, environ, target))
        response.history = tuple(history)
        return response

    def _redirect_environ(
        self, response: TestResponse, environ: Environ, target: str
    ) -> Environ:
        """The environ for following ``response`` to the absolute URL ``target``."""
        scheme, netloc, path, query, _ = urlsplit(target)
        builder = EnvironBuilder.from_environ(environ, path=path, query_string=query)
        to_parts = host_name(netloc).split(".")
        from_parts = builder.server_name.split(".")
        if to_parts != from_parts:
            if to_parts[-len(from_parts) :] == from_parts:
                if not self.allow_subdomain_redirects:
                    raise RuntimeError("Following subdomain redirects is not enabled.")
            else:
                raise RuntimeError("Following external redirects is not supported.")
        builder.url_scheme = scheme
        builder.host = netloc

        root = quote(builder.script_root, _PATH_SAFE)
        root_parts = root.split("/")
        if path.split("/")[: len(root_parts)] == root_parts:
            builder.path = path[len(root) :]
        else:
            builder.path = path
            builder.script_root = ""
        builder.request_uri = f"{path}?{query}" if query else path

        if response.status_code in (307, 308):
            # The request is repeated as it was: rewind the body for it.
            stream = builder.input_stream
            start = response._body_start
            if stream is not None and start is not None:
                try:
                    stream.seek(start)
                except (OSError, ValueError):
                    builder.input_stream = None
        else:
            if builder.method != "HEAD":
                builder.method = "GET"
            builder.input_stream = None
            builder.content_type = None
            builder.content_length = None
            builder.headers.pop("Transfer-Encoding", None)
        # Keep what environ_base and environ_overrides added to the first request.
        builder.environ_base = {
            **self.environ_base,
            **{
                key: value
                for key, value in environ.items()
                if key not in BUILT_KEYS and not key.startswith(("HTTP_", "wsgi."))
            },
        }
        return builder.get_environ()

    def get(self, *args: t.Any, **kwargs: t.Any) -> TestResponse:
        """:meth:`open` with ``method="GET"``."""
        kwargs["method"] = "GET"
        return self.open(*args, **kwargs)

    def post(self, *args: t.Any, **kwargs: t.Any) -> TestResponse:
        """:meth:`open` with ``method="POST"``."""
        kwargs["method"] = "POST"
        return self.open(*args, **kwargs)

    def put(self, *args: t.Any, **kwargs: t.Any) -> TestResponse:
        """:meth:`open` with ``method="PUT"``."""
        kwargs["method"] = "PUT"
        return self.open(*args, **kwargs)

    def patch(self, *args: t.Any, **kwargs: t.Any) -> TestResponse:
        """:meth:`open` with ``method="PATCH"``."""
        kwargs["method"] = "PATCH"
        return self.open(*args, **kwargs)

    def delete(self, *args: t.Any, **kwargs: t.Any) -> TestResponse:
        """:meth:`open` with ``method="DELETE"``."""
        kwargs["method"] = "DELETE"
        return self.open(*args, **kwargs)

    def head(self, *args: t.Any, **kwargs: t.Any) -> TestResponse:
        """:meth:`open` with ``method="HEAD"``."""
        kwargs["method"] = "HEAD"
        return self.open(*args, **kwargs)

    def options(self, *args: t.Any, **kwargs: t.Any) -> TestResponse:
        """:meth:`open` with ``method="OPTIONS"``."""
        kwargs["method"] = "OPTIONS"
        return self.open(*args, **kwargs)

    def trace(self, *args: t.Any, **kwargs: t.Any) -> TestResponse:
        """:meth:`open` with ``method="TRACE"``."""
        kwargs["method"] = "TRACE"
        return self.open(*args, **kwargs)

    # -- sessions and contexts -----------------------------------------------------

    @contextmanager
    def session_transaction(self, *args: t.Any, **kwargs: t.Any) -> Iterator[t.Any]:
        """Open the session the next request would see, and store it back after.

        The arguments go to ``app.test_request_context``. Needs cookies.
        """
        jar = self._jar()
        app = self.application
        ctx = app.test_request_context(*args, **kwargs)
        request = ctx.request
        environ = request.environ
        header = jar.request_header(
            request_host(environ), request_path(environ), secure=self._secure(environ)
        )
        if header:
            environ["HTTP_COOKIE"] = header
        else:
            environ.pop("HTTP_COOKIE", None)

        with ctx:
            session = app.session_interface.open_session(app, request)
        if session is None:
            raise RuntimeError("Session backend did not open a session.")
        yield session

        response = app.response_class()
        if app.session_interface.is_null_session(session):
            return
        with ctx:
            app.session_interface.save_session(app, session, response)
        jar.update_from_headers(
            host_name(request.host),
            request.path,
            response.headers.getlist("Set-Cookie"),
        )

    def __enter__(self) -> FlaskClient:
        if self.preserve_context:
            raise RuntimeError("Cannot nest client invocations")
        self.preserve_context = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.preserve_context = False
        self._context_stack.close()
