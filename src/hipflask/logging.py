"""The application logger: named after the app, with Flask's default handler."""

from __future__ import annotations

import logging
import sys
import typing as t

from .globals import LocalProxy, _cv_request

if t.TYPE_CHECKING:
    from .app import Flask


def _wsgi_errors_stream() -> t.TextIO:
    """The current request's ``wsgi.errors`` stream, else stderr."""
    ctx = _cv_request.get(None)
    if ctx is None:
        return sys.stderr
    request = ctx.request
    scope = request._scope
    if scope is not None and request._environ is None:
        # ASGI: no environ to build just for this; a stream may come with the
        # scope's environ extras (the test client's ``errors_stream``).
        extra = scope.get("extensions", {}).get("hipflask.environ") or {}
        return t.cast(t.TextIO, extra.get("wsgi.errors", sys.stderr))
    return t.cast(t.TextIO, request.environ.get("wsgi.errors", sys.stderr))


class _StreamGetter:
    def __call__(self) -> t.TextIO:
        return _wsgi_errors_stream()


#: Where the default handler writes: the request's ``wsgi.errors`` or stderr.
wsgi_errors_stream: t.TextIO = LocalProxy(_StreamGetter(), "")  # type: ignore[assignment]

default_handler = logging.StreamHandler(wsgi_errors_stream)
default_handler.setFormatter(
    logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
)


def has_level_handler(logger: logging.Logger) -> bool:
    """Whether a handler in the logger's hierarchy handles its effective level."""
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            break
        current = current.parent
    return False


def create_logger(app: Flask) -> logging.Logger:
    """The app's logger: DEBUG level in debug mode, default handler if none."""
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
