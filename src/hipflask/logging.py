"""The application logger: named after the app, with Flask's default handler."""

from __future__ import annotations

import logging
import sys
import typing as t

from .globals import request

if t.TYPE_CHECKING:
    from .app import Flask


@t.no_type_check
def _wsgi_errors_stream() -> t.TextIO:
    try:
        environ = request.environ
    except RuntimeError:
        return sys.stderr
    return environ.get("wsgi.errors", sys.stderr)


class _ErrorsStream:
    """A stream that writes to the request's ``wsgi.errors`` (or stderr)."""

    def write(self, data: str) -> int:
        return _wsgi_errors_stream().write(data)

    def flush(self) -> None:
        _wsgi_errors_stream().flush()


wsgi_errors_stream: t.TextIO = t.cast(t.TextIO, _ErrorsStream())

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
