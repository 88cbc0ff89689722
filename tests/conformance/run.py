#!/usr/bin/env python3
"""Run Flask's own test suite on hipflask and hold the ground gained (issue #3).

Usage (from anywhere; the Makefile's ``conformance`` target calls it)::

    python tests/conformance/run.py                    # WSGI; ratchet check
    python tests/conformance/run.py --protocol both    # WSGI, then ASGI
    python tests/conformance/run.py --update           # also record progress
    python tests/conformance/run.py --baseline         # Flask itself, for scale

What it does:

1. Fetches the pinned Flask sdist (and asgiref, which Flask's ``tests``
   dependency group needs for ``test_async.py``) with ``pip download`` into
   ``.cache/conformance/`` (git-ignored) and unpacks it; both are re-used later.
2. Runs the sdist's ``tests/`` and ``examples/tutorial/tests`` as shipped, in a
   pytest subprocess started in the sdist folder (so Flask's own pytest
   configuration applies), with ``-p hipflask.compat.pytest_plugin`` (``import
   flask`` gives hipflask; ``--hipflask-protocol`` picks WSGI or ASGI for the
   test client) and ``-p conformance_recorder``, which writes each test's outcome.
   The installed Werkzeug 3.1.x serves the tests' own ``import werkzeug`` (with
   compat, its names shared with hipflask resolve to hipflask's objects).
   pytest's output goes to ``.cache/conformance/pytest-<protocol>.log`` (never to
   the console: its closing line would read like this project's own result). A
   run that pytest stops with an internal error is resumed with the tests it had
   not started; the whole run is bounded by ``--timeout``.
3. Compares each test id's outcome with ``passing.txt`` (``passing-asgi.txt``
   for ASGI): a listed test that no longer passes is a regression; the ids are
   printed and the exit status is 1. pytest's own exit status is not the gate.
4. Always rewrites ``results.txt`` (``results-asgi.txt``): one line per test id
   with its outcome. ``--update`` adds the current passes to the passing list
   (it never removes one unless ``--allow-regress``) and rewrites
   ``known_failures.md``, grouping failures by the reasons in ``reasons.py``
   (a protocol not run this time contributes its last run, kept in the cache).

The set of test ids is the one Flask itself collects (cached in the sdist
folder), joined with whatever collects on hipflask, so tests that cannot even be
collected on hipflask still count, as errors.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import json
import os
import re
import signal
import subprocess
import sys
import tarfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

from reasons import DESELECTED, REASONS  # noqa: E402

CACHE = REPO / ".cache" / "conformance"
FLASK = ("flask", "3.1.3")
#: Flask's ``tests`` dependency group needs asgiref; the version its uv.lock pins.
ASGIREF = ("asgiref", "3.11.0")
WERKZEUG_SERIES = "3.1."
TEST_PATHS = ("tests", "examples/tutorial/tests")
PROTOCOLS = ("wsgi", "asgi")
OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
#: Tests Flask's own suite skips on a Python older than the version given (its
#: own guards): skipped there, a listed one is not a regression.
NEEDS_PYTHON = {"tests/test_config.py::test_config_from_file_toml": (3, 11)}


@dataclasses.dataclass
class Result:
    """One test's outcome and, when it did not pass, why."""

    outcome: str
    message: str = ""


def suffix(protocol: str) -> str:
    return "" if protocol == "wsgi" else f"-{protocol}"


def passing_file(protocol: str) -> Path:
    return HERE / f"passing{suffix(protocol)}.txt"


def results_file(protocol: str) -> Path:
    return HERE / f"results{suffix(protocol)}.txt"


# --- fetching ---------------------------------------------------------------


def fetch(name: str, version: str) -> Path:
    """Return the unpacked sdist folder of name==version, downloading it once."""
    folder = CACHE / f"{name}-{version}"
    if (folder / "PKG-INFO").is_file():
        return folder
    CACHE.mkdir(parents=True, exist_ok=True)
    archive = CACHE / f"{name}-{version}.tar.gz"
    if not archive.is_file():
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        command += ["--no-binary", ":all:", f"{name}=={version}", "-d", str(CACHE)]
        if subprocess.run(command, check=False).returncode != 0:
            raise SystemExit(
                f"conformance: pip could not download {name}=={version} into {CACHE}"
            )
    if not archive.is_file():
        raise SystemExit(f"conformance: pip download did not produce {archive}")
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(CACHE, filter="data")
        else:  # Python without extraction filters: check member paths ourselves.
            for member in tar.getmembers():
                target = (CACHE / member.name).resolve()
                if CACHE.resolve() not in target.parents:
                    raise SystemExit(f"conformance: unsafe path in {archive}")
            tar.extractall(CACHE)
    return folder


def check_werkzeug() -> str:
    try:
        version = importlib.metadata.version("werkzeug")
    except importlib.metadata.PackageNotFoundError:
        raise SystemExit(
            "conformance: Werkzeug is not installed; Flask's tests import it"
            " (install the dev dependencies)."
        ) from None
    if not version.startswith(WERKZEUG_SERIES):
        raise SystemExit(
            f"conformance: Flask {FLASK[1]}'s tests need Werkzeug {WERKZEUG_SERIES}x,"
            f" found {version}."
        )
    return version


# --- running pytest -----------------------------------------------------------


#: pytest's exit status when it stopped on an internal error.
INTERNAL_ERROR = 3
#: How many times a run stopped by an internal error is resumed.
MAX_RESUMES = 5


def run_pytest(
    sdist: Path,
    asgiref: Path,
    *,
    protocol: str | None,
    collect_only: bool = False,
    timeout: float,
) -> tuple[list[dict[str, object]], int | None, str]:
    """Run the suite; return the recorder's events, the exit status and the log.

    ``protocol=None`` runs Flask itself (from the sdist), without hipflask. A run
    that pytest stops with an internal error (for instance an exception escaping
    a garbage-collected generator, turned into an error by Flask's
    ``filterwarnings = error``) is resumed with the tests it had not started.
    """
    label = "collect" if collect_only else (protocol or "baseline")
    record = CACHE / f"record-{label}.jsonl"
    log = CACHE / f"pytest-{label}.log"
    record.unlink(missing_ok=True)
    log.unlink(missing_ok=True)
    paths = [str(HERE), str(sdist / "examples" / "tutorial"), str(asgiref)]
    paths.insert(0, str(sdist / "src" if protocol is None else REPO / "src"))
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FLASK_", "HIPFLASK_", "PYTEST_"))
    }
    env["PYTHONPATH"] = os.pathsep.join(
        [*paths, *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    env["CONFORMANCE_RECORD"] = str(record)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]
    command += ["-p", "conformance_recorder", "--rootdir", str(sdist)]
    command += ["-o", "faulthandler_timeout=120", "-ra", "--tb=short"]
    if protocol is not None:
        command += ["-p", "hipflask.compat.pytest_plugin"]
        command += ["--hipflask-protocol", protocol]
        # A test file that cannot be imported on hipflask yet must not stop the
        # other files from running (its tests are counted as errors).
        command.append("--continue-on-collection-errors")
        for test_id in DESELECTED:
            command += ["--deselect", test_id]
    if collect_only:
        command.append("--collect-only")
    deadline = time.monotonic() + timeout
    selection: list[str] = list(TEST_PATHS)
    status: int | None = None
    events: list[dict[str, object]] = []
    retried: set[str] = set()
    for _ in range(MAX_RESUMES + 1):
        status = invoke([*command, *selection], sdist, env, log, deadline)
        events = read_events(record)
        finishes = [e["exitstatus"] for e in events if e["event"] == "finish"]
        # pytest's own exit status can hide the internal error (cleanup may
        # change it); the session's status as the recorder saw it does not.
        aborted = INTERNAL_ERROR in (status, finishes[-1] if finishes else None)
        if not aborted or collect_only:
            break
        selection = resume_selection(events, retried)
        retried.update(selection)
        if not selection:
            break
        with log.open("a", encoding="utf-8") as out:
            out.write(f"\n=== run.py: resuming with {len(selection)} tests ===\n")
    return events, status, log.read_text(encoding="utf-8", errors="replace")


def resume_selection(events: list[dict[str, object]], retried: set[str]) -> list[str]:
    """Tests to run after pytest stopped: those it never started, and (once) the
    one it stopped in, which has no outcome yet. A test with an outcome is never
    run again, so a resume cannot turn a failure into a pass.
    """
    started = {e["id"] for e in events if e["event"] == "start"}
    decided = {
        e["id"]
        for e in events
        if e["event"] == "report" and (e["when"] == "call" or e["outcome"] != "passed")
    }
    return list(
        dict.fromkeys(
            str(e["id"])
            for e in events
            if e["event"] == "collected"
            and e["id"] not in decided
            and (e["id"] not in started or e["id"] not in retried)
        )
    )


def invoke(
    command: list[str], cwd: Path, env: dict[str, str], log: Path, deadline: float
) -> int | None:
    """Run one pytest process, output appended to ``log``; None if out of time."""
    with log.open("a", encoding="utf-8") as out:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            return process.wait(timeout=max(deadline - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return None


def read_events(record: Path) -> list[dict[str, object]]:
    if not record.is_file():
        return []
    with record.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def internal_error(log: str) -> str | None:
    """The exception line of pytest's last internal error in ``log``, if any."""
    lines = [line for line in log.splitlines() if line.startswith("INTERNALERROR>")]
    for line in reversed(lines):
        text = line.removeprefix("INTERNALERROR>").strip()
        if text and not text.startswith(("File ", "^", "raise", "return")):
            return text[:300]
    return None


def startup_error(log: str) -> str:
    """The error line of a run that stopped before collecting anything."""
    errors = [line[1:].strip() for line in log.splitlines() if line.startswith("E ")]
    if errors:
        return errors[-1]
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    return lines[-1] if lines else "pytest printed nothing"


def universe(sdist: Path, asgiref: Path, timeout: float) -> list[str]:
    """Test ids Flask itself collects, cached in the sdist folder."""
    cached = sdist / ".conformance-ids.txt"
    if cached.is_file():
        return cached.read_text(encoding="utf-8").splitlines()
    events, _, log = run_pytest(
        sdist, asgiref, protocol=None, collect_only=True, timeout=timeout
    )
    ids = [str(e["id"]) for e in events if e["event"] == "collected"]
    if not ids:
        raise SystemExit(f"conformance: Flask's suite collected nothing: {log[-800:]}")
    cached.write_text("\n".join(ids) + "\n", encoding="utf-8")
    return ids


def outcomes(
    ids: list[str],
    events: list[dict[str, object]],
    status: int | None,
    log: str,
    timeout: float,
) -> dict[str, Result]:
    """Fold the recorder's events into one Result per test id, ``ids`` first."""
    results: dict[str, Result] = {}
    order = list(ids)
    known = set(ids)
    collect_errors: dict[str, str] = {}
    started: set[str] = set()
    for event in events:
        kind = event["event"]
        test_id = str(event.get("id", ""))
        if kind == "collected" and test_id not in known:
            order.append(test_id)
            known.add(test_id)
        elif kind == "collect_error":
            collect_errors[test_id] = str(event["message"])
        elif kind == "start":
            started.add(test_id)
        elif kind == "report":
            fold(results, test_id, event)
    collected = {str(event["id"]) for event in events if event["event"] == "collected"}
    if not events:
        missing = f"pytest did not start: {startup_error(log)}"
    else:
        missing = "not collected on hipflask"
    if status is None:
        not_run = f"not run: the run was stopped after {timeout:.0f} s"
    else:
        not_run = "not run: pytest stopped before reaching it"
    for test_id in order:
        if test_id in results:
            continue
        if test_id in DESELECTED:
            results[test_id] = Result("error", f"deselected: {DESELECTED[test_id]}")
        elif test_id in started:
            results[test_id] = Result("error", "the run stopped during this test")
        elif test_id in collected:
            results[test_id] = Result("error", not_run)
        else:
            path = test_id.split("::", 1)[0]
            results[test_id] = Result("error", collect_errors.get(path, missing))
    return {test_id: results[test_id] for test_id in order}


def fold(results: dict[str, Result], test_id: str, event: dict[str, object]) -> None:
    """Combine one phase report into the test's outcome."""
    when, outcome = event["when"], event["outcome"]
    message, xfail = str(event["message"]), bool(event["xfail"])
    current = results.get(test_id)
    if outcome == "failed":
        if when == "call":
            results[test_id] = Result("failed", message)
        elif current is None or current.outcome == "passed" or when == "setup":
            results[test_id] = Result("error", f"{when}: {message}")
    elif outcome == "skipped":
        results[test_id] = Result("xfailed" if xfail else "skipped", message)
    elif when == "call":
        results[test_id] = Result("xpassed" if xfail else "passed")


# --- reporting ----------------------------------------------------------------


def skipped_by_flask(test_id: str, results: dict[str, Result]) -> bool:
    """Whether Flask's own guard skipped ``test_id`` on this Python."""
    needs = NEEDS_PYTHON.get(test_id)
    result = results.get(test_id)
    return (
        needs is not None
        and sys.version_info < needs
        and result is not None
        and result.outcome == "skipped"
    )


def counts(results: dict[str, Result]) -> tuple[int, int, int, int]:
    tally = Counter(result.outcome for result in results.values())
    passed = tally["passed"] + tally["xpassed"]
    skipped = tally["skipped"] + tally["xfailed"]
    failed = len(results) - passed - skipped
    return passed, failed, skipped, len(results)


def summary(results: dict[str, Result], label: str) -> str:
    passed, failed, skipped, total = counts(results)
    return (
        f"flask conformance: {passed} passed, {failed} failed, {skipped} skipped"
        f" of {total} ({label})"
    )


def read_ids(path: Path) -> list[str]:
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and line[0] != "#"]


def write_results(path: Path, results: dict[str, Result], label: str) -> None:
    lines = [f"# {summary(results, label)}", "# test id, outcome"]
    lines += [f"{test_id} {result.outcome}" for test_id, result in results.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_passing(path: Path, ids: set[str], protocol: str) -> None:
    header = [
        f"# Flask {FLASK[1]} tests that pass on hipflask under {protocol.upper()}.",
        "# The ratchet (tests/conformance/run.py, run by `make test`) fails when one",
        "# of these no longer passes. Raise with `run.py --update`; lowering it",
        "# needs a reason in the commit message.",
    ]
    path.write_text("\n".join([*header, *sorted(ids)]) + "\n", encoding="utf-8")


def classify(test_id: str, message: str) -> tuple[str, str]:
    for entry in REASONS:
        if entry.matches(test_id, message):
            return entry.kind, entry.reason
    text = re.sub(r"0x[0-9a-f]+", "0x…", message) or "(no message)"
    return "unclassified", text[:160]


def save_report(protocol: str, results: dict[str, Result]) -> None:
    """Keep this run's outcomes and messages in the cache, for known_failures.md."""
    report = {test_id: [r.outcome, r.message] for test_id, r in results.items()}
    path = CACHE / f"report-{protocol}.json"
    path.write_text(json.dumps(report, indent=0), encoding="utf-8")


def load_report(protocol: str) -> dict[str, Result] | None:
    path = CACHE / f"report-{protocol}.json"
    if not path.is_file():
        return None
    report = json.loads(path.read_text(encoding="utf-8"))
    return {test_id: Result(*entry) for test_id, entry in report.items()}


def write_known_failures(path: Path, runs: dict[str, dict[str, Result]]) -> None:
    """Group every failing test under its reason, the first protocol's in full."""
    sections = {
        "missing": "Missing features",
        "werkzeug": "Werkzeug-internal behaviour not reproduced",
        "unclassified": "Unclassified (add a reason to tests/conformance/reasons.py)",
    }
    out = [
        "# Known failures of Flask's test suite on hipflask",
        "",
        "Written by `tests/conformance/run.py --update` from `reasons.py`; do not"
        " edit by hand.",
        "",
    ]
    for protocol, results in runs.items():
        out.append(f"- {summary(results, protocol)}")
    first = next(iter(runs), "wsgi")
    reference: dict[str, Result] = {}
    for protocol, results in runs.items():
        failing = {
            test_id: result
            for test_id, result in results.items()
            if result.outcome in ("failed", "error")
            and (not reference or reference.get(test_id, result).outcome == "passed")
        }
        title = (
            f"Failing under {protocol.upper()}"
            if not reference
            else f"Failing under {protocol.upper()} only"
            f" (passing under {first.upper()})"
        )
        out += ["", f"## {title} ({len(failing)})"]
        groups: dict[tuple[str, str], list[str]] = {}
        for test_id, result in failing.items():
            groups.setdefault(classify(test_id, result.message), []).append(test_id)
        for kind, heading in sections.items():
            keyed = sorted(
                (key for key in groups if key[0] == kind),
                key=lambda key: (-len(groups[key]), key[1]),
            )
            if not keyed:
                continue
            out += ["", f"### {heading}"]
            for key in keyed:
                out += ["", f"**{key[1]}** ({len(groups[key])})", ""]
                out += [f"- `{test_id}`" for test_id in groups[key]]
        if not reference:
            reference = results
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


# --- main -----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--protocol", choices=[*PROTOCOLS, "both"], default="wsgi")
    parser.add_argument(
        "--update", action="store_true", help="record passes and known failures"
    )
    parser.add_argument(
        "--allow-regress",
        action="store_true",
        help="with --update: drop ids that no longer pass; exit 0 on regressions",
    )
    parser.add_argument(
        "--no-record",
        action="store_true",
        help="check only: write no results file and no cached report",
    )
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="run Flask itself (no hipflask) and print its counts; writes nothing",
    )
    parser.add_argument(
        "--timeout", type=float, default=900, help="seconds allowed per pytest run"
    )
    args = parser.parse_args(argv)

    werkzeug = check_werkzeug()
    sdist = fetch(*FLASK)
    asgiref = fetch(*ASGIREF)
    ids = universe(sdist, asgiref, args.timeout)

    if args.baseline:
        start = time.monotonic()
        events, status, log = run_pytest(
            sdist, asgiref, protocol=None, timeout=args.timeout
        )
        results = outcomes(ids, events, status, log, args.timeout)
        label = f"Flask {FLASK[1]} itself, Werkzeug {werkzeug}"
        print(f"{summary(results, label)} in {time.monotonic() - start:.1f} s")
        for test_id, result in results.items():
            if result.outcome in ("failed", "error"):
                print(f"  {result.outcome}: {test_id}: {result.message}")
        return 0

    protocols = list(PROTOCOLS) if args.protocol == "both" else [args.protocol]
    runs: dict[str, dict[str, Result]] = {}
    regressed_any = False
    for protocol in protocols:
        start = time.monotonic()
        events, status, log = run_pytest(
            sdist, asgiref, protocol=protocol, timeout=args.timeout
        )
        results = outcomes(ids, events, status, log, args.timeout)
        runs[protocol] = results
        print(f"{summary(results, protocol)} in {time.monotonic() - start:.1f} s")
        if not events:
            print(f"  pytest did not start: {startup_error(log)}")
        crash = internal_error(log)
        if crash:
            print(f"  pytest stopped with an internal error, resumed: {crash}")
        if not args.no_record:
            write_results(results_file(protocol), results, protocol)
            save_report(protocol, results)

        listed = read_ids(passing_file(protocol))
        passes = {i for i, r in results.items() if r.outcome in ("passed", "xpassed")}
        regressed = [
            test_id
            for test_id in listed
            if test_id not in passes and not skipped_by_flask(test_id, results)
        ]
        new = sorted(passes.difference(listed))
        for test_id in regressed:
            result = results.get(test_id, Result("error", "no longer collected"))
            print(f"  REGRESSED ({result.outcome}): {test_id}: {result.message}")
        if regressed:
            print(
                f"  {len(regressed)} test(s) listed in"
                f" {passing_file(protocol).relative_to(REPO)} no longer pass."
            )
            regressed_any = regressed_any or not args.allow_regress
        if args.update:
            keep = set() if args.allow_regress else set(listed)
            write_passing(passing_file(protocol), keep | passes, protocol)
            if new:
                print(f"  recorded {len(new)} newly passing test(s)")
        elif new:
            print(
                f"  {len(new)} test(s) pass that"
                f" {passing_file(protocol).name} does not list yet;"
                " record them with --update"
            )
    if args.update:
        # A protocol not run this time contributes its last cached run, if any.
        documented = {}
        for protocol in PROTOCOLS:
            results = runs.get(protocol) or load_report(protocol)
            if results is not None:
                documented[protocol] = results
        write_known_failures(HERE / "known_failures.md", documented)
    return 1 if regressed_any else 0


if __name__ == "__main__":
    sys.exit(main())
