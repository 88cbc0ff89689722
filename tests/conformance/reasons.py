"""Why Flask tests fail on hipflask: the table known_failures.md is written from.

``run.py --update`` groups every failing test under the first entry of
:data:`REASONS` whose pattern matches it (a regular expression searched in the
test id, then in its failure message) and writes ``known_failures.md``. A failure
no entry matches is listed under "Unclassified" with its message: classify it here.

:data:`DESELECTED` is the only way to keep a test from running: it is meant for the
named list of tests of Werkzeug's internals, each with its reason, and a
deselected test counts as failed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reason:
    """A one-line reason and the failures it explains."""

    pattern: str
    reason: str
    #: "missing" (a feature an issue will bring) or "werkzeug" (Werkzeug-internal
    #: behaviour hipflask does not reproduce, or only through a compat shim).
    kind: str = "missing"
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", re.compile(self.pattern))

    def matches(self, test_id: str, message: str) -> bool:
        return bool(self.regex.search(test_id) or self.regex.search(message))


#: Test id -> why it is not run. Keep it to tests of Werkzeug's own internals.
DESELECTED: dict[str, str] = {}

#: First match wins: put specific entries before broad ones.
REASONS: list[Reason] = [
    # --- By test id: what the message alone does not tell. ---------------------
    Reason(
        r"test_reqctx\.py::test_bad_environ_raises_bad_request$",
        "Fails on Flask 3.1.3 itself (Werkzeug 3.1.9 answers a Host of '\\x8a' with"
        " 404); hipflask should answer an invalid Host with 400 (issue #2).",
    ),
    Reason(
        r"test_basic\.py::(test_werkzeug_passthrough_errors|test_run_)"
        r"|test_templating\.py::test_templates_auto_reload_debug_run",
        "app.run must hand the app to werkzeug.serving.run_simple, as Flask's does"
        " (under compat: hipflask.compat.werkzeug_run).",
        "werkzeug",
    ),
    Reason(
        r"test_basic\.py::(test_static|test_send_file|test_get_send_file)"
        r"|test_blueprints\.py::(test_templates_and_static|test_default_static)"
        r"|test_helpers\.py::TestSendfile",
        "Static files, send_file and send_from_directory (issue #6).",
    ),
    Reason(
        r"test_basic\.py::(test_server_name_subdomain|test_subdomain_matching)",
        "Subdomain matching against SERVER_NAME (issue #2, routing).",
    ),
    Reason(
        r"test_basic\.py::(test_session_using_session_settings"
        r"|test_session_refresh_vary)",
        "Session cookie settings and Vary: Cookie on refresh (issue #5, sessions).",
    ),
    Reason(
        r"test_appctx\.py::test_app_ctx_globals_methods",
        "repr(g) says '<hipflask.g of ...>' where Flask says '<flask.g of ...>'"
        " (issue #5).",
    ),
    Reason(
        r"test_logging\.py::",
        "Logging to the request's error stream (wsgi.errors) under ASGI (issue #5).",
    ),
    Reason(
        r"test_cli\.py::test_version",
        "'flask --version' lists Werkzeug's version; hipflask's lists its own stack"
        " (issue #7; under compat the Werkzeug line could be added).",
        "werkzeug",
    ),
    Reason(
        r"KeyError: 'werkzeug\.request'",
        "environ['werkzeug.request']: Werkzeug's Request stores itself there when"
        " populate_request is true; hipflask's takes the argument but does not"
        " (one dict store per request; issue #2).",
        "werkzeug",
    ),
    Reason(
        r"^the run stopped during this test$",
        "pytest itself stopped while running or reporting this test, twice (see"
        " .cache/conformance/pytest-<protocol>.log); it has no outcome.",
    ),
    # --- By failure message. ------------------------------------------------
    Reason(
        r"cannot import name 'FlaskCliRunner'",
        "hipflask.testing has no FlaskCliRunner yet (issue #7); test_testing.py"
        " imports it at the top, so none of its tests can run.",
    ),
    Reason(
        r"PytestUnraisableExceptionWarning.*stream_with_context",
        "Flaky: a stream_with_context generator an earlier test left unfinished"
        " raises when garbage-collected, and Flask's filterwarnings=error fails"
        " whichever test is running then (hipflask bug, issue #5).",
    ),
    Reason(
        r"No module named 'flask\.cli'|object has no attribute 'cli'"
        r"|test_cli_runner|FlaskCliRunner|hipflask\.cli",
        "No command line yet: flask.cli, app.cli, app.test_cli_runner (issue #7);"
        " the tutorial's conftest registers its init-db command on app.cli.",
    ),
    Reason(
        r"ContextVar name='hipflask\.request_ctx'.*created in a different Context",
        "stream_with_context and async views: the request context is popped from"
        " another contextvars.Context than it was pushed in (issue #5).",
    ),
    Reason(
        r"jinja|render_template|stream_template|template_(filter|test|global)",
        "Templates (issue #6).",
    ),
    Reason(
        r"No module named 'flask\.(sessions|json|views|signals|config|logging)",
        "Application model module missing (issue #5).",
    ),
    Reason(
        r"cannot import name 'Flask' from 'hipflask'",
        "No Flask application object (issue #2): Flask's conftest imports it, so"
        " nothing else can run.",
    ),
]
