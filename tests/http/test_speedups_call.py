"""The C ``Flask.__call__`` (``http/_speedups_call.c``) does what the Python one does.

A plain WSGI call goes straight to ``serve_wsgi``; every other call (ASGI,
keywords, WSGI middleware on the instance or the class) goes to the Python
``__call__``, which a profiler hook sees being entered. Servers that guess the
interface read the coroutine marker and the signature, which the C object
carries as the Python function does.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import typing as t

import pytest

from hipflask import Flask
from hipflask import app as app_module
from hipflask.http._native import speedups

pytestmark = pytest.mark.skipif(
    speedups is None, reason="the C helpers are not built or are switched off"
)

ENVIRON = {
    "REQUEST_METHOD": "GET",
    "PATH_INFO": "/",
    "SERVER_NAME": "localhost",
    "SERVER_PORT": "80",
    "wsgi.url_scheme": "http",
}


def make_app(cls: type[Flask] = Flask) -> Flask:
    app = cls(__name__)

    @app.route("/")
    def index() -> str:
        return "hello"

    return app


def call_wsgi(
    call: t.Callable[..., t.Any], *, keywords: bool = False
) -> tuple[str, bytes]:
    """Send one request through ``call``; whether the Python __call__ ran, too."""
    status: list[str] = []

    def start_response(line: str, headers: t.Any, exc_info: t.Any = None) -> t.Any:
        status.append(line)

    environ = dict(ENVIRON)
    if keywords:
        body = call(environ, second=start_response)
    else:
        body = call(environ, start_response)
    return status[0], b"".join(body)


def python_call_entered(send: t.Callable[[], t.Any]) -> tuple[t.Any, bool]:
    """What ``send()`` returns, and whether the Python __call__ was entered."""
    code = app_module.PYTHON_CALL.__code__
    seen: list[bool] = []

    def hook(frame: t.Any, event: str, arg: t.Any) -> None:
        if event == "call" and frame.f_code is code:
            seen.append(True)

    sys.setprofile(hook)
    try:
        result = send()
    finally:
        sys.setprofile(None)
    return result, bool(seen)


def test_the_c_call_is_in_place() -> None:
    call = Flask.__dict__["__call__"]
    assert type(call).__name__ == "AppCall"
    assert call.__wrapped__ is app_module.PYTHON_CALL
    assert (call.__name__, call.__qualname__) == ("__call__", "Flask.__call__")
    assert call.__doc__ == app_module.PYTHON_CALL.__doc__
    assert Flask.__call__ is call


def test_servers_see_an_asgi_3_app() -> None:
    app = make_app()
    assert asyncio.iscoroutinefunction(app.__call__)
    if sys.version_info >= (3, 12):
        assert inspect.iscoroutinefunction(app.__call__)
    python = app_module.PYTHON_CALL.__get__(app)
    assert inspect.signature(app) == inspect.signature(python)
    assert inspect.signature(app.__call__) == inspect.signature(python)
    assert app.__call__.__self__ is app


def test_a_plain_wsgi_call_goes_straight_to_the_adapter() -> None:
    app = make_app()
    answer, entered = python_call_entered(lambda: call_wsgi(app))
    assert answer == ("200 OK", b"hello")
    assert not entered
    # Called on the class, with the instance first: the same.
    answer, entered = python_call_entered(
        lambda: call_wsgi(lambda *a: Flask.__call__(app, *a))
    )
    assert answer == ("200 OK", b"hello")
    assert not entered


class _Upper:
    """WSGI middleware: the body in upper case."""

    def __init__(self, wsgi_app: t.Callable[..., t.Any]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: t.Any, start_response: t.Any) -> list[bytes]:
        return [b"".join(self.wsgi_app(environ, start_response)).upper()]


class _OwnWsgiApp(Flask):
    def wsgi_app(self, environ: t.Any, start_response: t.Any) -> t.Any:
        return _Upper(super().wsgi_app)(environ, start_response)


def test_middleware_and_keywords_go_to_python() -> None:
    app = make_app()
    app.wsgi_app = _Upper(app.wsgi_app)  # type: ignore[method-assign]
    assert python_call_entered(lambda: call_wsgi(app)) == (("200 OK", b"HELLO"), True)
    own = make_app(_OwnWsgiApp)
    assert python_call_entered(lambda: call_wsgi(own)) == (("200 OK", b"HELLO"), True)
    plain = make_app()
    answer = python_call_entered(lambda: call_wsgi(plain, keywords=True))
    assert answer == (("200 OK", b"hello"), True)


def test_a_wsgi_app_replaced_on_the_class_goes_to_python() -> None:
    app = make_app()
    original = Flask.__dict__["wsgi_app"]

    def replaced(self: Flask, environ: t.Any, start_response: t.Any) -> t.Any:
        return _Upper(original.__get__(self))(environ, start_response)

    type.__setattr__(Flask, "wsgi_app", replaced)
    try:
        answer = python_call_entered(lambda: call_wsgi(app))
    finally:
        type.__setattr__(Flask, "wsgi_app", original)
    assert answer == (("200 OK", b"HELLO"), True)
    assert python_call_entered(lambda: call_wsgi(app)) == (("200 OK", b"hello"), False)


SCOPE = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/",
    "raw_path": b"/",
    "query_string": b"",
    "root_path": "",
    "headers": [(b"host", b"localhost")],
    "server": ("localhost", 80),
}


def call_asgi(app: t.Any) -> tuple[int, bytes]:
    sent: list[t.Any] = []

    async def receive() -> dict[str, t.Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, t.Any]) -> None:
        sent.append(message)

    asyncio.run(app(dict(SCOPE), receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


class _UpperAsgi:
    """ASGI middleware: the body in upper case."""

    def __init__(self, asgi_app: t.Callable[..., t.Any]) -> None:
        self.asgi_app = asgi_app

    async def __call__(self, scope: t.Any, receive: t.Any, send: t.Any) -> None:
        async def upper(message: dict[str, t.Any]) -> None:
            if "body" in message:
                message = {**message, "body": message["body"].upper()}
            await send(message)

        await self.asgi_app(scope, receive, upper)


class _OwnAsgiApp(Flask):
    async def asgi_app(self, scope: t.Any, receive: t.Any, send: t.Any) -> None:
        await _UpperAsgi(super().asgi_app)(scope, receive, send)


def test_a_plain_asgi_call_goes_straight_to_the_adapter() -> None:
    app = make_app()
    assert python_call_entered(lambda: call_asgi(app)) == ((200, b"hello"), False)


def test_asgi_middleware_goes_to_python() -> None:
    app = make_app()
    app.asgi_app = _UpperAsgi(app.asgi_app)  # type: ignore[method-assign]
    assert python_call_entered(lambda: call_asgi(app)) == ((200, b"HELLO"), True)
    own = make_app(_OwnAsgiApp)
    assert python_call_entered(lambda: call_asgi(own)) == ((200, b"HELLO"), True)
    # WSGI middleware on the instance applies under ASGI too.
    wsgi = make_app()
    wsgi.wsgi_app = _Upper(wsgi.wsgi_app)  # type: ignore[method-assign]
    assert python_call_entered(lambda: call_asgi(wsgi)) == ((200, b"HELLO"), True)


def test_what_is_not_an_app_fails_as_in_python() -> None:
    with pytest.raises(AttributeError) as c_error:
        Flask.__call__(object(), dict(ENVIRON), print)
    with pytest.raises(AttributeError) as python_error:
        app_module.PYTHON_CALL(object(), dict(ENVIRON), print)
    assert str(c_error.value) == str(python_error.value)


def test_arguments_are_checked() -> None:
    with pytest.raises(TypeError, match="app_call takes"):
        speedups.app_call(app_module.PYTHON_CALL)
    with pytest.raises(TypeError, match="app_call takes"):
        speedups.app_call(1, 2, 3, 4)
