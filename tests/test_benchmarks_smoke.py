"""Smoke test of the benchmark suite (benchmarks/): it runs, and answers right.

Every scenario runs once on every framework, through the very code of
``python -m benchmarks --smoke`` (one subprocess per framework, in parallel),
and must return the expected status and body property. No timing is read.

hipflask entries that cannot pass yet are listed in ``HIPFLASK_PENDING`` with
the precise reason and marked ``xfail(strict=True)``: once hipflask gains the
feature the entry XPASSes, the run fails, and the entry must be removed.
A peer whose package is not installed is skipped with the reason shown
(``pip install -e '.[bench]'`` installs them).

The rest checks the harness itself: the checks reject wrong answers, a broken
app becomes an error report instead of a crash, runaway scenarios are cut
off, wrk and ``-X importtime`` output parse, the streamed-upload probe works,
and the report renders.
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # benchmarks/ sits next to tests/, outside src/
    sys.path.insert(0, str(ROOT))

from benchmarks import inprocess, memory, report, server  # noqa: E402
from benchmarks.apps import common  # noqa: E402
from benchmarks.frameworks import FRAMEWORKS  # noqa: E402
from benchmarks.run import median_pass, run_inprocess  # noqa: E402
from benchmarks.scenarios import (  # noqa: E402
    SCENARIOS,
    TIMED,
    Response,
    Scenario,
    WebsocketResult,
    body_equals,
)


class PendingFeature(Exception):
    """A hipflask entry failed exactly the way ``HIPFLASK_PENDING`` expects."""


# (framework, scenario) -> (why it cannot pass yet, text its error must contain).
# An entry failing any other way is a real failure; one that passes XPASSes.
HIPFLASK_PENDING: dict[tuple[str, str], tuple[str, str]] = {}


def _cases() -> list[Any]:
    cases = []
    for framework in FRAMEWORKS.values():
        for scenario in SCENARIOS.values():
            if framework.protocol not in scenario.protocols:
                continue
            pending = HIPFLASK_PENDING.get((framework.name, scenario.name))
            marks = (
                [
                    pytest.mark.xfail(
                        strict=True, raises=PendingFeature, reason=pending[0]
                    )
                ]
                if pending
                else []
            )
            cases.append(
                pytest.param(
                    framework.name,
                    scenario.name,
                    id=f"{framework.name}-{scenario.name}",
                    marks=marks,
                )
            )
    return cases


@pytest.fixture(scope="module")
def smoke_results() -> dict[str, dict[str, dict[str, Any]]]:
    return run_inprocess(list(FRAMEWORKS), list(SCENARIOS), "smoke", log=io.StringIO())


@pytest.mark.parametrize(("framework", "scenario"), _cases())
def test_scenario_answers(
    smoke_results: dict[str, dict[str, dict[str, Any]]], framework: str, scenario: str
) -> None:
    result = smoke_results[framework][scenario]
    if result["status"] == "missing":
        pytest.skip(f"{framework}: {result['reason']} (pip install -e '.[bench]')")
    pending = HIPFLASK_PENDING.get((framework, scenario))
    if pending and result["status"] == "error" and pending[1] in result["reason"]:
        raise PendingFeature(result["reason"])
    assert result["status"] == "ok", result["reason"]


def test_pending_entries_name_real_cases() -> None:
    known = {(name, scenario) for name in FRAMEWORKS for scenario in SCENARIOS}
    assert set(HIPFLASK_PENDING) <= known
    assert all(name.startswith("hipflask-") for name, _ in HIPFLASK_PENDING)


def _response(
    status: int, body: bytes, headers: list[tuple[str, str]] | None = None
) -> Response:
    return Response(status, headers or [], body)


_TABLE = (
    b"<table><tr><th>#</th></tr>"
    + b"".join(
        b"<tr><td>Widget %d &amp; Co</td></tr>" % index for index in range(1, 21)
    )
    + b"</table>"
)
_HOOK_HEADERS = [(name.lower(), "1") for name in common.AFTER_HEADERS]


@pytest.mark.parametrize(
    ("scenario", "response", "problem"),
    [
        ("hello", _response(200, b"Hello, World!"), None),
        ("hello", _response(200, b"Hello"), "expected body"),
        ("hello", _response(500, b"Hello, World!"), "expected status 200, got 500"),
        ("json_param", _response(200, b'{"id": 42, "name": "user42"}'), None),
        (
            "json_param",
            _response(200, b'{"id": "42", "name": "user42"}'),
            "expected JSON",
        ),
        ("json_param", _response(200, b"not json"), "expected JSON"),
        ("query", _response(200, b'{"q": "hipflask", "page": "2"}'), "expected JSON"),
        ("form_post", _response(200, b'{"count": 4}'), "expected JSON"),
        ("not_found", _response(404, b""), None),
        ("not_found", _response(200, b"Hello, World!"), "expected status 404, got 200"),
        ("upload", _response(200, b'{"size": 1048575}'), "expected JSON"),
        ("template", _response(200, _TABLE), None),
        ("template", _response(200, _TABLE.replace(b"&amp;", b"&")), "HTML-escaped"),
        ("template", _response(200, _TABLE.replace(b"<tr>", b"<tr >", 1)), "<tr>"),
        ("session", _response(200, b"alice"), None),
        ("session", _response(200, b"bob"), "expected body"),
        ("routes_1000", _response(200, b'{"user_id": 7, "post_id": 42}'), None),
        (
            "routes_1000",
            _response(200, b'{"user_id": 42, "post_id": 7}'),
            "expected JSON",
        ),
        ("middleware_hooks", _response(200, b"b1,b2,b3", _HOOK_HEADERS), None),
        ("middleware_hooks", _response(200, b"b1,b3", _HOOK_HEADERS), "before hooks"),
        (
            "middleware_hooks",
            _response(200, b"b1,b2,b3", _HOOK_HEADERS[:2]),
            "X-After-3",
        ),
    ],
)
def test_checks_reject_wrong_answers(
    scenario: str, response: Response, problem: str | None
) -> None:
    found = SCENARIOS[scenario].verify(response)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


@pytest.mark.parametrize(
    ("result", "problem"),
    [
        (WebsocketResult(True, [f"message {index}" for index in range(10)]), None),
        (WebsocketResult(False, []), "not accepted"),
        (WebsocketResult(True, [f"message {index}" for index in range(9)]), "echoed"),
    ],
)
def test_websocket_check(result: WebsocketResult, problem: str | None) -> None:
    found = SCENARIOS["websocket"].verify_websocket(result)
    assert (found is None) if problem is None else (problem in (found or ""))


@pytest.mark.parametrize(
    ("scenario", "reason"),
    [
        (
            Scenario(
                "hello",
                "wrong body",
                SCENARIOS["hello"].request,
                check=body_equals(b"Bye"),
            ),
            "expected body b'Bye', got 'Hello, World!'",
        ),
        (
            Scenario("no_such_app", "unknown", SCENARIOS["hello"].request),
            "LookupError: no raw WSGI app for scenario 'no_such_app'",
        ),
        (
            Scenario("hello", "wrong status", SCENARIOS["hello"].request, status=201),
            "expected status 201, got 200",
        ),
    ],
)
def test_failures_become_reports(scenario: Scenario, reason: str) -> None:
    result = inprocess.run_scenario(FRAMEWORKS["raw-wsgi"], scenario, "smoke")
    assert result["status"] == "error"
    assert reason in result["reason"]


def test_websocket_is_not_applicable_to_wsgi() -> None:
    result = inprocess.run_scenario(
        FRAMEWORKS["raw-wsgi"], SCENARIOS["websocket"], "smoke"
    )
    assert result == {"status": "n/a", "reason": "websocket needs asgi"}


def test_runaway_scenario_is_cut_off() -> None:
    started = time.monotonic()
    with pytest.raises(inprocess.ScenarioTimeout), inprocess._time_limit(0.2):
        time.sleep(5)
    assert time.monotonic() - started < 2


WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:8000/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.02ms  200.00us   5.00ms   90.00%
    Req/Sec    48.00k     2.00k   50.00k    80.00%
  Latency Distribution
     50%  950.00us
     75%    1.10ms
     90%    1.20ms
     99%    2.50ms
  480000 requests in 10.00s, 60.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 5
  Non-2xx or 3xx responses: 12
Requests/sec:  48000.50
Transfer/sec:      6.00MB
"""


def test_parse_wrk() -> None:
    parsed = server.parse_wrk(WRK_OUTPUT)
    assert parsed["requests_per_second"] == 48000.5
    assert parsed["p50_ms"] == pytest.approx(0.95)
    assert parsed["p99_ms"] == pytest.approx(2.5)
    assert parsed["requests"] == 480000
    assert parsed["socket_errors"] == 7
    assert parsed["non_2xx"] == 12


@pytest.mark.parametrize(
    "output", ["", "wrk: connection refused\n", "Requests/sec: n/a\n"]
)
def test_parse_wrk_rejects_garbage(output: str) -> None:
    with pytest.raises(ValueError, match="Requests/sec"):
        server.parse_wrk(output)


def _round(rps: float) -> dict[str, Any]:
    return {"status": "ok", "reason": None, "requests_per_second": rps, "p99_ms": rps}


def test_median_round_keeps_the_middle_one_and_lists_all() -> None:
    chosen = server.median_round([_round(30.0), _round(10.0), _round(20.0)])
    assert (chosen["requests_per_second"], chosen["p99_ms"]) == (20.0, 20.0)
    assert chosen["rounds"] == [30.0, 10.0, 20.0]
    # An even count keeps the lower middle: never the better of two.
    assert server.median_round([_round(2.0), _round(1.0)])["requests_per_second"] == 1.0
    assert server.median_round([_round(5.0)])["rounds"] == [5.0]


def test_a_failed_round_is_the_answer() -> None:
    failed = {"status": "error", "reason": "granian exited"}
    assert server.median_round([_round(1.0), failed, _round(3.0)]) is failed


def _pass(us: float) -> dict[str, Any]:
    return {"status": "ok", "reason": None, "us_per_request": us, "min_us": us}


def test_median_pass_keeps_the_middle_one_and_lists_all() -> None:
    chosen = median_pass([_pass(3.0), _pass(1.0), _pass(2.0)])
    assert (chosen["us_per_request"], chosen["min_us"]) == (2.0, 2.0)
    assert chosen["passes_us"] == [3.0, 1.0, 2.0]
    # An even count keeps the slower middle one: never the better of two.
    assert median_pass([_pass(1.0), _pass(2.0)])["us_per_request"] == 2.0


def test_full_runs_take_turns_over_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks import run

    calls: list[tuple[str, str]] = []

    def fake(framework: str, scenario: str, mode: str, timeout: float) -> Any:
        calls.append((framework, scenario))
        if framework == "wsgi_only":
            return {scenario: {"status": "n/a", "reason": "no websockets"}}
        return {scenario: _pass(float(len(calls)))}

    monkeypatch.setattr(run, "run_inprocess_subprocess", fake)
    monkeypatch.setitem(run.PASSES, "full", 3)
    results = run.run_inprocess(["a", "wsgi_only", "b"], ["s"], "full", io.StringIO())
    # a framework without the scenario is not asked again
    assert (
        calls
        == [("a", "s"), ("wsgi_only", "s"), ("b", "s")]
        + [
            ("a", "s"),
            ("b", "s"),
        ]
        * 2
    )
    assert results["a"]["s"]["passes_us"] == [1.0, 4.0, 6.0]
    assert results["a"]["s"]["us_per_request"] == 4.0
    assert results["wsgi_only"]["s"]["status"] == "n/a"


def test_a_failed_pass_is_the_answer() -> None:
    failed = {"status": "error", "reason": "wrong answer"}
    assert median_pass([_pass(1.0), failed, _pass(3.0)]) is failed


def test_parse_importtime() -> None:
    stderr = (
        "import time: self [us] | cumulative | imported package\n"
        "import time:       120 |        120 |   _io\n"
        "import time:      3000 |       3500 | falcon\n"
        "import time:       500 |        500 |   falcon.util\n"
        "Traceback (most recent call last):\n"
    )
    assert memory.parse_importtime(stderr) == {
        "_io": 120,
        "falcon": 3000,
        "falcon.util": 500,
    }


@pytest.mark.parametrize("framework", ["raw-wsgi", "raw-asgi"])
def test_streamed_upload_probe(framework: str) -> None:
    measured = memory.probe_upload(framework, size=3 * 1024 * 1024 + 7)
    assert measured["peak_delta_kb"] >= 0
    assert measured["rss_before_kb"] > 0


def _fake_results() -> dict[str, Any]:
    # hipflask takes 1 µs everywhere, each peer (index + 2) µs: ratios are known.
    inprocess_results = {
        name: {
            scenario: {"status": "ok", "reason": None, "us_per_request": 1.0}
            if name.startswith("hipflask")
            else {"status": "ok", "reason": None, "us_per_request": float(index + 2)}
            for scenario in TIMED
        }
        for index, name in enumerate(FRAMEWORKS)
    }
    inprocess_results["flask"]["template"] = {"status": "error", "reason": "boom"}
    served = {
        "status": "ok",
        "reason": None,
        "requests_per_second": 1000.0,
        "p99_ms": 1.5,
    }
    return {
        "mode": "quick",
        "environment": {"date": "2026-01-01 00:00 UTC", "cpu": "test cpu", "cores": 2},
        "inprocess": inprocess_results,
        "server": {
            name: {"hello": served, "json_param": served} for name in FRAMEWORKS
        },
        "memory": {
            "python_rss_kb": 8000,
            "frameworks": {
                name: {
                    "import": {
                        "status": "ok",
                        "import_ms": 50.0,
                        "import_rss_kb": 20000,
                    },
                    "requests": {
                        "status": "ok",
                        "rss_before_kb": 30000,
                        "rss_after_kb": 30100,
                    },
                    "upload": {"status": "ok", "peak_delta_kb": 1024},
                }
                for name in FRAMEWORKS
            },
        },
    }


def test_report_renders(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the chart needs matplotlib (.[bench])")
    results = _fake_results()
    written = report.write(results, tmp_path, "quick")
    assert [path.name for path in written] == ["quick.json", "quick.md", "quick.png"]
    assert written[2].read_bytes().startswith(b"\x89PNG")
    page = written[1].read_text()
    for framework in FRAMEWORKS.values():
        assert framework.label in page
    falcon_index = list(FRAMEWORKS).index("falcon")
    assert f"| {falcon_index + 2:.2f}x |" in page  # falcon / hipflask (WSGI)
    assert "error [1]" in page
    assert "1. error: boom" in page
    verdicts = {target: ok for target, _, ok in report.targets(results)}
    assert verdicts["hipflask (WSGI): routes_1000 ≤ 1.5x routes_10"] is True
    assert verdicts["json_param: hipflask (WSGI) ≥ 6x faster than Flask"] is True
    assert verdicts["hipflask: import time below Falcon's"] is False


def test_readme_block_is_replaced(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        f"intro\n{report.README_START}\nold\n{report.README_END}\noutro\n"
    )
    report.update_readme(_fake_results(), readme)
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("outro\n")
    assert "old" not in text
    assert "results/latest.png" in text
    assert "Falcon (WSGI)" in text


def _lines_printed_by(code: str) -> list[str]:
    """What ``code`` prints, run by this Python in a fresh process."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    return done.stdout.splitlines()


def test_pure_flavours_run_without_the_compiled_helpers() -> None:
    """A pure flavour's app runs the peer's Python code, in its own process."""
    pytest.importorskip("falcon", reason="Falcon is a bench extra")
    printed = _lines_printed_by(
        "from benchmarks.frameworks import FRAMEWORKS\n"
        "import sys\n"
        "FRAMEWORKS['falcon-pure'].build('query')\n"
        "import falcon.util.uri as uri\n"
        "print(type(uri.parse_query_string).__name__)\n"
        "print(sorted(name for name in sys.modules if 'cyutil.' in name))\n"
    )
    assert printed == ["function", "[]"]
    assert FRAMEWORKS["falcon-pure"].compiled_in_use() == []


def test_hipflask_pure_flavour_runs_the_python_parser() -> None:
    """hipflask's pure flavours block its C helpers, in their own process."""
    printed = _lines_printed_by(
        "from benchmarks.frameworks import FRAMEWORKS\n"
        "import sys\n"
        "FRAMEWORKS['hipflask-wsgi-pure'].build('query')\n"
        "from hipflask.http import urls\n"
        "print(urls._c_parse_query_lists)\n"
        "print('hipflask.http._speedups' in sys.modules)\n"
    )
    assert printed == ["None", "False"]
    assert FRAMEWORKS["hipflask-wsgi-pure"].compiled_in_use() == []
    assert FRAMEWORKS["hipflask-asgi-pure"].pure


def test_block_refuses_modules_already_imported() -> None:
    from benchmarks.frameworks import _block

    with pytest.raises(RuntimeError, match="already imported, cannot block: io"):
        _block(("io",))


def test_compiled_helpers_are_reported() -> None:
    results = _fake_results()
    results["environment"]["compiled"] = {
        name: ["falcon.cyutil.uri"] if name == "falcon" else [] for name in FRAMEWORKS
    }
    page = report.render_markdown(results)
    assert "| Falcon (WSGI) | `falcon.cyutil.uri` |" in page
    assert "| hipflask (WSGI) | none |" in page


# -- instruction counts -------------------------------------------------------------


def test_callgrind_total_is_read_from_its_output() -> None:
    from benchmarks.instructions import parse_collected

    output = "==1== Events    : Ir\n==1== Collected : 123456\n==1==\n"
    assert parse_collected(output) == 123456
    with pytest.raises(ValueError, match="no callgrind total"):
        parse_collected("valgrind: command not found")


def test_fixed_requests_are_sent_untimed() -> None:
    from benchmarks import inprocess

    report = inprocess.run("hipflask-asgi", ["hello", "websocket"], "full", requests=3)
    assert report["results"] == {
        "hello": {"status": "ok", "reason": None, "requests": 3},
        "websocket": {"status": "ok", "reason": None, "requests": 3},
    }


def test_instructions_are_counted_under_callgrind() -> None:
    import shutil

    from benchmarks.instructions import count

    if shutil.which("valgrind") is None:
        pytest.skip("valgrind is not installed")
    assert count("raw-wsgi", "hello", 3) > 1_000_000
