"""Helpers for views: url_for, redirect, abort, make_response, flash, files."""

from __future__ import annotations

import os
import typing as t
from functools import cache

from .globals import (
    _cv_app,
    _cv_request,
    _no_req_msg,
    current_app,
    request,
    session,
)
from .scaffold import get_root_path
from .sending import send_file, send_from_directory
from .signals import message_flashed

if t.TYPE_CHECKING:
    from .wrappers import Response


def get_debug_flag() -> bool:
    """Whether ``FLASK_DEBUG``/``HIPFLASK_DEBUG`` asks for debug mode."""
    val = os.environ.get("HIPFLASK_DEBUG") or os.environ.get("FLASK_DEBUG")
    return bool(val and val.lower() not in {"0", "false", "no"})


def get_load_dotenv(default: bool = True) -> bool:
    """Whether .env files should be loaded (``FLASK_SKIP_DOTENV`` unset)."""
    val = os.environ.get("HIPFLASK_SKIP_DOTENV") or os.environ.get("FLASK_SKIP_DOTENV")
    if not val:
        return default
    return val.lower() in ("0", "false", "no")


@cache
def _split_blueprint_path(name: str) -> list[str]:
    """``"a.b.c"`` -> ``["a.b.c", "a.b", "a"]``."""
    out: list[str] = [name]
    if "." in name:
        out.extend(_split_blueprint_path(name.rpartition(".")[0]))
    return out


def url_for(
    endpoint: str,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: t.Any,
) -> str:
    """Build a URL for ``endpoint`` with the current application."""
    return current_app.url_for(
        endpoint,
        _anchor=_anchor,
        _method=_method,
        _scheme=_scheme,
        _external=_external,
        **values,
    )


def redirect(
    location: str, code: int = 302, Response: type[Response] | None = None
) -> Response:
    """A redirect response (the current app's class when one is active)."""
    if _cv_app.get(None) is not None:
        return current_app.redirect(location, code=code)
    from .http.response import redirect as _redirect

    return _redirect(location, code=code, Response=Response)  # type: ignore[return-value]


def abort(code: int | Response, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    """Raise the HTTPException for ``code`` (the app's aborter when active)."""
    if _cv_app.get(None) is not None:
        current_app.aborter(code, *args, **kwargs)
    from .http.exceptions import abort as _abort

    _abort(code, *args, **kwargs)


def make_response(*args: t.Any) -> Response:
    """Turn view-style return values into a response object."""
    if not args:
        return current_app.response_class()
    if len(args) == 1:
        args = args[0]
    return current_app.make_response(args)


def flash(message: str, category: str = "message") -> None:
    """Store a message for the next request (in the session)."""
    flashes = session.get("_flashes", [])
    flashes.append((category, message))
    session["_flashes"] = flashes
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if message_flashed.receivers:
        message_flashed.send(
            app, _async_wrapper=app.ensure_sync, message=message, category=category
        )


def get_flashed_messages(
    with_categories: bool = False, category_filter: t.Iterable[str] = ()
) -> list[str] | list[tuple[str, str]]:
    """Pop the flashed messages (once per request), optionally filtered."""
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError(_no_req_msg)
    flashes = ctx.flashes
    if flashes is None:
        flashes = session.pop("_flashes") if "_flashes" in session else []
        ctx.flashes = flashes
    if category_filter:
        flashes = [f for f in flashes if f[0] in category_filter]
    if not with_categories:
        return [x[1] for x in flashes]
    return flashes


def get_template_attribute(template_name: str, attribute: str) -> t.Any:
    """An attribute (e.g. a macro) of a template's module."""
    return getattr(current_app.jinja_env.get_template(template_name).module, attribute)


def stream_with_context(
    generator_or_function: t.Iterator[t.AnyStr] | t.Callable[..., t.Iterator[t.AnyStr]],
) -> t.Iterator[t.AnyStr]:
    """Keep the request context active while a streamed body is generated."""
    try:
        gen = iter(generator_or_function)  # type: ignore[arg-type]
    except TypeError:
        func = generator_or_function

        def decorator(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return stream_with_context(func(*args, **kwargs))  # type: ignore[operator]

        from functools import update_wrapper

        return update_wrapper(decorator, func)  # type: ignore[arg-type, return-value]

    def generator() -> t.Iterator[t.AnyStr | None]:
        req_ctx = _cv_request.get(None)
        if req_ctx is None:
            raise RuntimeError(
                "'stream_with_context' can only be used when a request"
                " context is active, such as in a view function."
            )
        app_ctx = _cv_app.get()
        # Only the contexts are recorded here; they are pushed when the body is
        # first iterated, so push and pop happen in the Context the server
        # iterates in (an async view's task has a Context of its own).
        close = getattr(gen, "close", None)
        try:
            yield None
        except GeneratorExit:
            # Closed before the body was read: nothing was pushed.
            if close is not None:
                close()
            raise
        with app_ctx, req_ctx:
            try:
                yield from gen
            finally:
                if close is not None:
                    close()

    wrapped = generator()
    next(wrapped)
    return wrapped  # type: ignore[return-value]


__all__ = [
    "abort",
    "flash",
    "get_flashed_messages",
    "get_root_path",
    "get_template_attribute",
    "make_response",
    "redirect",
    "request",
    "send_file",
    "send_from_directory",
    "stream_with_context",
    "url_for",
]
