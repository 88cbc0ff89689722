"""The application logger: name, level, Flask's default handler and stream."""

from __future__ import annotations

import contextlib
import itertools
import logging
import sys
import typing as t
from io import StringIO

import pytest

from hipflask import Flask
from hipflask.logging import (
    create_logger,
    default_handler,
    has_level_handler,
    wsgi_errors_stream,
)

_names = itertools.count()


def raise_key_error() -> str:
    raise KeyError("x")


@contextlib.contextmanager
def bare_logging() -> t.Iterator[None]:
    """No handlers on the root logger (pytest adds its own) while inside."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers = []
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def fresh_app(**config: t.Any) -> Flask:
    """An app whose logger name was never used before."""
    app = Flask(f"logging_test_{next(_names)}", root_path="/nonexistent-root")
    app.config.update(config)
    return app


def test_logger_is_named_after_the_app() -> None:
    with bare_logging():
        app = fresh_app()
        assert app.logger.name == app.name
        assert app.logger is logging.getLogger(app.name)
        assert app.logger is app.logger
        assert app.logger.level == logging.NOTSET
        assert app.logger.handlers == [default_handler]


def test_main_module_app_is_named_after_the_script() -> None:
    app = Flask("__main__", root_path="/nonexistent-root")
    main_file = getattr(sys.modules["__main__"], "__file__", None)
    if main_file is None:
        assert app.name == "__main__"
    else:
        import os

        assert app.name == os.path.splitext(os.path.basename(main_file))[0]


def test_debug_sets_debug_level() -> None:
    with bare_logging():
        app = fresh_app(DEBUG=True)
        assert app.logger.level == logging.DEBUG
        assert app.logger.handlers == [default_handler]


def test_debug_keeps_an_explicit_level() -> None:
    with bare_logging():
        app = fresh_app(DEBUG=True)
        logging.getLogger(app.name).setLevel(logging.WARNING)
        assert app.logger.level == logging.WARNING


def test_existing_handler_means_no_default_handler() -> None:
    with bare_logging():
        logging.root.addHandler(logging.StreamHandler(StringIO()))
        app = fresh_app()
        assert app.logger.level == logging.NOTSET
        assert not app.logger.handlers


def test_has_level_handler() -> None:
    with bare_logging():
        logger = logging.getLogger(f"level_test_{next(_names)}")
        assert not has_level_handler(logger)
        handler = logging.StreamHandler(StringIO())
        logging.root.addHandler(handler)
        assert has_level_handler(logger)
        logger.propagate = False
        assert not has_level_handler(logger)
        logger.propagate = True
        handler.setLevel(logging.ERROR)
        assert not has_level_handler(logger)
        logger.setLevel(logging.ERROR)
        assert has_level_handler(logger)


def test_create_logger_twice_adds_one_handler() -> None:
    with bare_logging():
        app = fresh_app()
        first = create_logger(app)
        second = create_logger(app)
        assert first is second
        assert first.handlers == [default_handler]


def test_default_handler_format() -> None:
    assert default_handler.formatter is not None
    assert default_handler.formatter._fmt == (
        "[%(asctime)s] %(levelname)s in %(module)s: %(message)s"
    )


def test_wsgi_errors_stream_outside_a_request_is_stderr() -> None:
    assert wsgi_errors_stream._get_current_object() is sys.stderr  # type: ignore[attr-defined]


def test_wsgi_errors_stream_in_a_request_context() -> None:
    app = fresh_app()
    stream = StringIO()
    with app.test_request_context(errors_stream=stream):
        assert wsgi_errors_stream._get_current_object() is stream  # type: ignore[attr-defined]


def test_logging_in_a_view_goes_to_the_request_error_stream(protocol: str) -> None:
    with bare_logging():
        app = fresh_app()

        @app.route("/")
        def index() -> str:
            app.logger.error("test message")
            return ""

        stream = StringIO()
        app.test_client(asgi=protocol == "asgi").get("/", errors_stream=stream)
        assert "ERROR in test_logging: test message" in stream.getvalue()


def test_asgi_logging_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    with bare_logging():
        app = fresh_app()

        @app.route("/")
        def index() -> str:
            app.logger.error("over asgi")
            return ""

        app.test_client(asgi=True).get("/")
    assert "ERROR in test_logging: over asgi" in capsys.readouterr().err


def test_log_exception_message_and_traceback(protocol: str) -> None:
    with bare_logging():
        app = fresh_app(PROPAGATE_EXCEPTIONS=False)

        @app.route("/path")
        def index() -> str:
            raise Exception("test exception")

        stream = StringIO()
        client = app.test_client(asgi=protocol == "asgi")
        rv = client.get("/path", errors_stream=stream)
        assert rv.status_code == 500
    # Under ASGI too: the client passes the stream with the scope's extras.
    logged = stream.getvalue()
    assert "ERROR in app: Exception on /path [GET]" in logged
    assert "Traceback (most recent call last):" in logged
    assert "Exception: test exception" in logged


def test_log_exception_record(protocol: str) -> None:
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    app = fresh_app(PROPAGATE_EXCEPTIONS=False)
    app.logger.addHandler(Collect())
    app.logger.propagate = False

    @app.post("/x")
    def index() -> str:
        raise KeyError("k")

    app.test_client(asgi=protocol == "asgi").post("/x")
    (record,) = records
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "Exception on /x [POST]"
    assert record.exc_info is not None
    assert record.exc_info[0] is KeyError


def test_handled_errors_are_not_logged(protocol: str) -> None:
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    app = fresh_app(PROPAGATE_EXCEPTIONS=False)
    app.logger.addHandler(Collect())
    app.logger.propagate = False
    app.register_error_handler(KeyError, lambda e: "handled")
    app.add_url_rule("/key", "key", raise_key_error)
    app.add_url_rule("/missing", "missing", lambda: "")
    client = app.test_client(asgi=protocol == "asgi")
    assert client.get("/key").text == "handled"
    assert client.get("/nothing-here").status_code == 404
    assert records == []
