"""pytest plugin used by run.py: writes every test's outcome as JSON lines.

Loaded with ``-p conformance_recorder``; writes to the file named by the
``CONFORMANCE_RECORD`` environment variable, one JSON object per line, flushed as
it goes so that a run killed by the time limit still leaves what it saw:

- ``{"event": "collected", "id": ...}`` for every collected (selected) test;
- ``{"event": "collect_error", "id": ..., "message": ...}`` for a file that could
  not be collected (its tests then never appear);
- ``{"event": "start", "id": ...}`` when a test starts;
- ``{"event": "report", "id", "when", "outcome", "xfail", "duration", "message"}``
  for each of a test's setup/call/teardown phases;
- ``{"event": "finish", "exitstatus": ...}`` at the end of the session.
"""

from __future__ import annotations

import json
import os
import typing as t

import pytest

_handle: t.TextIO | None = None


def _write(record: dict[str, object]) -> None:
    global _handle
    if _handle is None:
        path = os.environ.get("CONFORMANCE_RECORD")
        if not path:
            return
        _handle = open(path, "a", encoding="utf-8")  # noqa: SIM115
    _handle.write(json.dumps(record) + "\n")
    _handle.flush()


def _message(report: pytest.BaseReport) -> str:
    """One line saying why a phase did not pass."""
    longrepr = report.longrepr
    if longrepr is None:
        return ""
    if isinstance(longrepr, tuple):  # a skip: (path, line, reason)
        return str(longrepr[2])
    crash = getattr(longrepr, "reprcrash", None)
    text = str(getattr(crash, "message", "") or longrepr)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # Collection errors end with the exception line; crashes start with it.
    if crash is None and lines:
        errors = [line for line in lines if line.startswith("E ")]
        line = errors[-1][2:].strip() if errors else lines[-1]
        return line[:300]
    return lines[0][:300] if lines else ""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        _write({"event": "collected", "id": item.nodeid})


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _write(
            {"event": "collect_error", "id": report.nodeid, "message": _message(report)}
        )


def pytest_runtest_logstart(nodeid: str) -> None:
    _write({"event": "start", "id": nodeid})


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _write(
        {
            "event": "report",
            "id": report.nodeid,
            "when": report.when,
            "outcome": report.outcome,
            "xfail": hasattr(report, "wasxfail"),
            "duration": round(report.duration, 4),
            "message": "" if report.passed else _message(report),
        }
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _write({"event": "finish", "exitstatus": int(exitstatus)})
    if _handle is not None:
        _handle.close()
