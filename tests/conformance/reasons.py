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
    #: behaviour hipflask deliberately does not reproduce).
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
    # Werkzeug-internal behaviour, by test id.
    Reason(
        r"test_reqctx\.py::test_bad_environ_raises_bad_request$",
        "Fails on Flask 3.1.3 itself: Werkzeug 3.1.9 answers a non-ASCII"
        " SERVER_NAME with 404, not the 400 the test expects.",
        "werkzeug",
    ),
    # Missing features, by failure message.
    Reason(
        r"cannot import name 'Flask' from 'hipflask'",
        "hipflask has no Flask application object yet (issue #2, core); Flask's"
        " conftest imports it, so nothing else can run.",
    ),
    Reason(
        r"No module named 'flask\.cli'|hipflask\.cli",
        "No command line yet (issue #7).",
    ),
    Reason(
        r"No module named 'flask\.(sessions|json|views|signals|config|logging)",
        "Application model module missing (issue #5).",
    ),
    Reason(
        r"No module named 'flask\.templating'|render_template|jinja",
        "Templates not there yet (issue #6).",
    ),
]
