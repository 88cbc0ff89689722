"""The conformance runner's bookkeeping: outcomes, counts, the ratchet, the files.

Flask's suite itself is not run here (``make test`` runs it through run.py); these
tests feed the runner recorded events and check what it concludes and writes.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def load_runner() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("conformance_run", HERE / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


run = load_runner()
Events = list[dict[str, object]]


def report(
    test_id: str, when: str, outcome: str, message: str = "", xfail: bool = False
) -> dict[str, object]:
    return {
        "event": "report",
        "id": test_id,
        "when": when,
        "outcome": outcome,
        "xfail": xfail,
        "message": message,
    }


def passed(test_id: str) -> Events:
    return [
        {"event": "collected", "id": test_id},
        {"event": "start", "id": test_id},
        report(test_id, "setup", "passed"),
        report(test_id, "call", "passed"),
        report(test_id, "teardown", "passed"),
    ]


def fail(test_id: str) -> Events:
    return [
        {"event": "collected", "id": test_id},
        report(test_id, "setup", "passed"),
        report(test_id, "call", "failed", "AssertionError: nope"),
    ]


FINISH: Events = [{"event": "finish", "exitstatus": 1}]


@pytest.mark.parametrize(
    ("reports", "expected"),
    [
        (
            [report("t", "setup", "passed"), report("t", "call", "passed")],
            ("passed", ""),
        ),
        (
            [
                report("t", "setup", "passed"),
                report("t", "call", "failed", "assert 1 == 2"),
            ],
            ("failed", "assert 1 == 2"),
        ),
        (
            [report("t", "setup", "failed", "fixture boom")],
            ("error", "setup: fixture boom"),
        ),
        (
            [
                report("t", "setup", "passed"),
                report("t", "call", "passed"),
                report("t", "teardown", "failed", "leak"),
            ],
            ("error", "teardown: leak"),
        ),
        (
            [
                report("t", "setup", "passed"),
                report("t", "call", "failed", "first"),
                report("t", "teardown", "failed", "second"),
            ],
            ("failed", "first"),
        ),
        ([report("t", "setup", "skipped", "no greenlet")], ("skipped", "no greenlet")),
        (
            [
                report("t", "setup", "passed"),
                report("t", "call", "skipped", "x", xfail=True),
            ],
            ("xfailed", "x"),
        ),
        (
            [report("t", "setup", "passed"), report("t", "call", "passed", xfail=True)],
            ("xpassed", ""),
        ),
    ],
    ids=[
        "pass",
        "fail",
        "setup-error",
        "teardown-error",
        "fail-and-teardown",
        "skip",
        "xfail",
        "xpass",
    ],
)
def test_phases_fold_into_one_outcome(
    reports: Events, expected: tuple[str, str]
) -> None:
    results = run.outcomes(
        ["t"], [{"event": "collected", "id": "t"}, *reports, *FINISH], 1, "", 900
    )
    assert (results["t"].outcome, results["t"].message) == expected


def test_tests_that_never_ran_are_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "DESELECTED", {"tests/test_c.py::gone": "Werkzeug's own"})
    ids = ["tests/test_a.py::ok", "tests/test_b.py::broken", "tests/test_c.py::gone"]
    events = [
        *passed("tests/test_a.py::ok"),
        {
            "event": "collect_error",
            "id": "tests/test_b.py",
            "message": "ImportError: x",
        },
        *passed("tests/test_new.py::only_here"),
        *FINISH,
    ]
    results = run.outcomes(ids, events, 1, "", 900)
    assert list(results) == [*ids, "tests/test_new.py::only_here"]
    assert [(r.outcome, r.message) for r in results.values()] == [
        ("passed", ""),
        ("error", "ImportError: x"),
        ("error", "deselected: Werkzeug's own"),
        ("passed", ""),
    ]


@pytest.mark.parametrize(
    ("status", "not_run"),
    [
        (None, "not run: the run was stopped after 60 s"),
        (3, "not run: pytest stopped before reaching it"),
    ],
)
def test_a_stopped_run_marks_the_running_and_the_rest(
    status: int | None, not_run: str
) -> None:
    ids = ["a", "b", "c", "d"]
    events = [
        *passed("a"),
        {"event": "collected", "id": "b"},
        {"event": "collected", "id": "c"},
        {"event": "start", "id": "b"},
    ]
    results = run.outcomes(ids, events, status, "", 60)
    assert [(r.outcome, r.message) for r in results.values()] == [
        ("passed", ""),
        ("error", "the run stopped during this test"),
        ("error", not_run),
        ("error", "not collected on hipflask"),
    ]


def test_internal_error_is_resumed_with_the_tests_not_decided(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run, "CACHE", tmp_path)
    record = tmp_path / "record-wsgi.jsonl"

    def starts(test_id: str) -> Events:
        return [
            {"event": "collected", "id": test_id},
            {"event": "start", "id": test_id},
        ]

    batches = [
        # a passes, b fails, c starts and pytest stops in it; d never starts.
        [*passed("a"), *fail("b"), *starts("c"), {"event": "collected", "id": "d"}],
        # Resumed with c (once more: it has no outcome) and d: d passes, c stops
        # pytest again.
        [*starts("c"), *passed("d")],
        # Never reached: c was retried once already and nothing else is left.
        [],
    ]
    commands: list[list[str]] = []

    def invoke(
        command: list[str], cwd: Path, env: dict[str, str], log: Path, deadline: float
    ) -> int:
        with record.open("a") as out:
            out.writelines(run.json.dumps(e) + "\n" for e in batches[len(commands)])
            # The session says it stopped on an internal error; the process, 1.
            out.write(run.json.dumps({"event": "finish", "exitstatus": 3}) + "\n")
        commands.append(command)
        with log.open("a") as out:
            out.write("INTERNALERROR> pytest.PytestUnraisableExceptionWarning: boom\n")
        return 1

    monkeypatch.setattr(run, "invoke", invoke)
    events, status, log = run.run_pytest(
        tmp_path, tmp_path, protocol="wsgi", timeout=60
    )
    assert [command[-2:] for command in commands] == [list(run.TEST_PATHS), ["c", "d"]]
    results = run.outcomes(["a", "b", "c", "d"], events, status, log, 60)
    assert [(r.outcome, r.message) for r in results.values()] == [
        ("passed", ""),
        ("failed", "AssertionError: nope"),
        ("error", "the run stopped during this test"),
        ("passed", ""),
    ]
    assert run.internal_error(log) == "pytest.PytestUnraisableExceptionWarning: boom"


def test_a_run_that_never_started_says_why() -> None:
    log = (
        "ImportError while loading conftest 'x'.\n"
        "E   ImportError: cannot import name 'Flask'\n"
    )
    results = run.outcomes(["a", "b"], [], 4, log, 900)
    assert {r.message for r in results.values()} == {
        "pytest did not start: ImportError: cannot import name 'Flask'"
    }
    assert {r.outcome for r in results.values()} == {"error"}


def test_summary_line() -> None:
    results = {
        "a": run.Result("passed"),
        "b": run.Result("xpassed"),
        "c": run.Result("failed"),
        "d": run.Result("error"),
        "e": run.Result("skipped"),
        "f": run.Result("xfailed"),
    }
    assert run.summary(results, "asgi") == (
        "flask conformance: 2 passed, 2 failed, 2 skipped of 6 (asgi)"
    )


@pytest.mark.parametrize(
    ("test_id", "message", "kind"),
    [
        (
            "tests/test_reqctx.py::test_bad_environ_raises_bad_request",
            "assert 404 == 400",
            "missing",
        ),
        (
            "tests/test_basic.py::test_run_defaults",
            "AttributeError: 'Flask' object has no attribute 'run'",
            "werkzeug",
        ),
        (
            "tests/test_basic.py::x",
            "pytest did not start: ImportError: cannot import name 'Flask' from"
            " 'hipflask' (...)",
            "missing",
        ),
        (
            "tests/test_basic.py::x",
            "AttributeError: 'Flask' object has no attribute 'zzz'",
            "unclassified",
        ),
    ],
)
def test_failures_are_classified(test_id: str, message: str, kind: str) -> None:
    assert run.classify(test_id, message)[0] == kind


def test_every_reason_has_a_known_kind() -> None:
    assert {entry.kind for entry in run.REASONS} <= {"missing", "werkzeug"}
    assert all(entry.reason.strip() for entry in run.REASONS)


# --- main: the ratchet and the files --------------------------------------------------


IDS = ["tests/test_a.py::one", "tests/test_a.py::two", "tests/test_b.py::three"]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Events]:
    """run.main with Flask's suite replaced by canned events, files in tmp_path."""
    canned: dict[str, Events] = {}

    def run_pytest(
        sdist: Path,
        asgiref: Path,
        *,
        protocol: str | None,
        timeout: float,
        collect_only: bool = False,
    ) -> tuple[Events, int, str]:
        return canned[str(protocol)], 1, ""

    monkeypatch.setattr(run, "HERE", tmp_path)
    monkeypatch.setattr(run, "REPO", tmp_path)
    monkeypatch.setattr(run, "CACHE", tmp_path)
    monkeypatch.setattr(run, "check_werkzeug", lambda: "3.1.9")
    monkeypatch.setattr(run, "fetch", lambda name, version: tmp_path)
    monkeypatch.setattr(run, "universe", lambda sdist, asgiref, timeout: list(IDS))
    monkeypatch.setattr(run, "run_pytest", run_pytest)
    return canned


def test_results_file_has_one_line_per_test(
    runner: dict[str, Events], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner["wsgi"] = [*passed(IDS[0]), *fail(IDS[1]), *FINISH]
    assert run.main([]) == 0
    assert (tmp_path / "results.txt").read_text().splitlines() == [
        "# flask conformance: 1 passed, 2 failed, 0 skipped of 3 (wsgi)",
        "# test id, outcome",
        f"{IDS[0]} passed",
        f"{IDS[1]} failed",
        f"{IDS[2]} error",
    ]
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith(
        "flask conformance: 1 passed, 2 failed, 0 skipped of 3 (wsgi) in "
    )
    assert "1 test(s) pass that passing.txt does not list yet" in out
    assert not (tmp_path / "passing.txt").exists()


def test_regression_fails_and_names_the_test(
    runner: dict[str, Events], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "passing.txt").write_text(f"# header\n{IDS[0]}\n{IDS[1]}\n")
    runner["wsgi"] = [*passed(IDS[0]), *fail(IDS[1]), *FINISH]
    assert run.main([]) == 1
    out = capsys.readouterr().out
    assert f"REGRESSED (failed): {IDS[1]}: AssertionError: nope" in out
    assert "1 test(s) listed in passing.txt no longer pass." in out


def test_update_only_raises_the_list(runner: dict[str, Events], tmp_path: Path) -> None:
    passing = tmp_path / "passing.txt"
    passing.write_text(f"{IDS[1]}\n")
    runner["wsgi"] = [*passed(IDS[0]), *fail(IDS[1]), *passed(IDS[2]), *FINISH]
    assert run.main(["--update"]) == 1  # still a regression
    assert run.read_ids(passing) == sorted(IDS)
    known = (tmp_path / "known_failures.md").read_text()
    assert f"- `{IDS[1]}`" in known
    assert "AssertionError: nope" in known  # unclassified, with its message


def test_known_failures_keep_the_protocol_not_run(
    runner: dict[str, Events], tmp_path: Path
) -> None:
    runner["wsgi"] = [*passed(IDS[0]), *passed(IDS[1]), *FINISH]
    runner["asgi"] = [*passed(IDS[0]), *fail(IDS[1]), *FINISH]
    run.main(["--protocol", "asgi"])
    run.main(["--protocol", "wsgi", "--update"])
    known = (tmp_path / "known_failures.md").read_text()
    assert "## Failing under WSGI (1)" in known
    assert "## Failing under ASGI only (passing under WSGI) (1)" in known
    assert "- flask conformance: 1 passed, 2 failed, 0 skipped of 3 (asgi)" in known


def test_allow_regress_drops_ids(runner: dict[str, Events], tmp_path: Path) -> None:
    passing = tmp_path / "passing.txt"
    passing.write_text(f"{IDS[1]}\n")
    runner["wsgi"] = [*passed(IDS[0]), *fail(IDS[1]), *FINISH]
    assert run.main(["--update", "--allow-regress"]) == 0
    assert run.read_ids(passing) == [IDS[0]]


def test_both_protocols_keep_separate_files(
    runner: dict[str, Events], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner["wsgi"] = [*passed(IDS[0]), *passed(IDS[1]), *FINISH]
    runner["asgi"] = [*passed(IDS[0]), *fail(IDS[1]), *FINISH]
    assert run.main(["--protocol", "both", "--update"]) == 0
    assert run.read_ids(tmp_path / "passing.txt") == [IDS[0], IDS[1]]
    assert run.read_ids(tmp_path / "passing-asgi.txt") == [IDS[0]]
    assert (tmp_path / "results-asgi.txt").read_text().splitlines()[
        3
    ] == f"{IDS[1]} failed"
    known = (tmp_path / "known_failures.md").read_text()
    assert "## Failing under ASGI only (passing under WSGI) (1)" in known
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" in ")[0] for line in lines if line.startswith("flask")] == [
        "flask conformance: 2 passed, 1 failed, 0 skipped of 3 (wsgi)",
        "flask conformance: 1 passed, 2 failed, 0 skipped of 3 (asgi)",
    ]


def skipped(test_id: str) -> Events:
    return [
        {"event": "collected", "id": test_id},
        report(test_id, "setup", "skipped", "Skipped: needs a newer Python"),
    ]


@pytest.mark.parametrize(
    ("needs", "regressed"),
    [((99, 0), False), ((3, 0), True)],
    ids=["python-too-old", "python-new-enough"],
)
def test_a_skip_by_flasks_version_guard_is_not_a_regression(
    runner: dict[str, Events],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    needs: tuple[int, int],
    regressed: bool,
) -> None:
    monkeypatch.setattr(run, "NEEDS_PYTHON", {IDS[1]: needs})
    (tmp_path / "passing.txt").write_text(f"{IDS[0]}\n{IDS[1]}\n")
    runner["wsgi"] = [*passed(IDS[0]), *skipped(IDS[1]), *passed(IDS[2]), *FINISH]
    assert run.main([]) == (1 if regressed else 0)
    assert (f"REGRESSED (skipped): {IDS[1]}" in capsys.readouterr().out) is regressed


def test_a_version_guard_does_not_excuse_a_failure(
    runner: dict[str, Events], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run, "NEEDS_PYTHON", {IDS[1]: (99, 0)})
    (tmp_path / "passing.txt").write_text(f"{IDS[1]}\n")
    runner["wsgi"] = [*fail(IDS[1]), *FINISH]
    assert run.main([]) == 1


def test_no_record_writes_no_results(runner: dict[str, Events], tmp_path: Path) -> None:
    runner["wsgi"] = [*passed(IDS[0]), *FINISH]
    assert run.main(["--no-record"]) == 0
    assert not (tmp_path / "results.txt").exists()
    assert list(tmp_path.glob("**/report-*.json")) == []
