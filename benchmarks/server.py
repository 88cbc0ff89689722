"""Behind a real server: each app under granian (one worker), loaded by wrk.

For each framework and each of ``SERVER_SCENARIOS``:

1. start ``granian --interface wsgi|asgi --workers 1`` on a free loopback
   port, serving ``benchmarks.serve_target:app``, in its own session so the
   whole process group can be stopped; pinned to one core when there are two;
2. poll until it answers (bounded), and ``verify`` that answer;
3. run ``wrk -t1 -c50`` once briefly to warm up, then for the measured
   duration with ``--latency`` (pinned to another core), and parse
   requests/s, p50/p99 latency, socket errors and non-2xx counts;
4. stop the server: SIGTERM to its process group, SIGKILL after a grace period.

A full run measures every framework in several short rounds, taken in turn
(framework A, B, C, then A, B, C again), and keeps each framework's median
round by requests/s: on a shared machine one window of a few seconds can
lose a tenth of its throughput to a neighbour, and taking turns spreads such
a spell over all the frameworks instead of one.

Only 127.0.0.1 is ever used, and every wait is bounded in time.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.frameworks import FRAMEWORKS
from benchmarks.scenarios import SCENARIOS, Response

ROOT = Path(__file__).resolve().parent.parent
SERVER_SCENARIOS = ("hello", "json_param")
HOST = "127.0.0.1"


@dataclass(frozen=True)
class LoadSettings:
    """How hard and how long wrk pushes."""

    duration: int
    warmup: int
    rounds: int = 1
    connections: int = 50
    threads: int = 1
    start_timeout: float = 30.0


SETTINGS = {
    "full": LoadSettings(duration=4, warmup=1, rounds=3),
    "quick": LoadSettings(3, 1),
}


def cores() -> tuple[list[str], list[str]]:
    """``taskset`` prefixes for the server and for wrk (empty on one core)."""
    try:
        available = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        available = []
    if len(available) < 2 or shutil.which("taskset") is None:
        return [], []
    return (
        ["taskset", "-c", str(available[0])],
        ["taskset", "-c", str(available[1])],
    )


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


_LATENCY = re.compile(r"^\s*(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)\s*$", re.MULTILINE)
_SOCKET_ERRORS = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"
)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
_TOTAL = re.compile(r"^\s*(\d+) requests in ", re.MULTILINE)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests/s, latency percentiles (ms) and error counts from wrk's output."""
    rps = _RPS.search(output)
    if rps is None:
        raise ValueError(f"no 'Requests/sec' in wrk output: {output[-300:]!r}")
    latencies = {
        f"p{match.group(1)}_ms": round(
            float(match.group(2)) * _UNIT_MS[match.group(3)], 4
        )
        for match in _LATENCY.finditer(output)
    }
    socket_errors = _SOCKET_ERRORS.search(output)
    non_2xx = _NON_2XX.search(output)
    total = _TOTAL.search(output)
    return {
        "requests_per_second": float(rps.group(1)),
        **latencies,
        "requests": int(total.group(1)) if total else None,
        "socket_errors": sum(int(value) for value in socket_errors.groups())
        if socket_errors
        else 0,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
    }


def _fetch(url: str, timeout: float) -> Response:
    request = urllib.request.Request(url, headers={"User-Agent": "hipflask-bench"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return Response(
                answer.status,
                [(key.lower(), value) for key, value in answer.getheaders()],
                answer.read(),
            )
    except urllib.error.HTTPError as error:
        return Response(
            error.code,
            [(key.lower(), value) for key, value in error.headers.items()],
            error.read(),
        )


def _stop(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(grace)


def _tail(path: Path, limit: int = 400) -> str:
    try:
        text = path.read_text(errors="replace").strip()
    except OSError:
        return ""
    return text[-limit:].replace("\n", " | ")


def run_one(
    framework_name: str, scenario_name: str, settings: LoadSettings
) -> dict[str, Any]:
    """One framework, one scenario, behind granian; always returns a result dict."""
    framework = FRAMEWORKS[framework_name]
    scenario = SCENARIOS[scenario_name]
    wrk = shutil.which("wrk")
    if wrk is None:
        return {
            "status": "error",
            "reason": "wrk is not installed (make bench installs it)",
        }
    missing = framework.missing()
    if missing:
        return {"status": "missing", "reason": f"not installed: {', '.join(missing)}"}
    server_cpu, load_cpu = cores()
    port = free_port()
    url = f"http://{HOST}:{port}{scenario.request.path}"
    if scenario.request.query:
        url += f"?{scenario.request.query}"
    env = dict(
        os.environ,
        BENCH_FRAMEWORK=framework_name,
        BENCH_SCENARIO=scenario_name,
        PYTHONPATH=os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
        ),
    )
    command = [
        *server_cpu,
        sys.executable,
        "-m",
        "granian",
        "--interface",
        framework.protocol,
        "--workers",
        "1",
        "--host",
        HOST,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "benchmarks.serve_target:app",
    ]
    with tempfile.TemporaryDirectory(prefix="hipflask-bench-") as scratch:
        log_path = Path(scratch) / "granian.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            first = _wait_ready(process, url, settings.start_timeout)
            if first is None:
                return {
                    "status": "error",
                    "reason": f"granian did not come up: {_tail(log_path)}",
                }
            problem = scenario.verify(first)
            if problem is not None:
                return {"status": "error", "reason": problem}
            base = [
                *load_cpu,
                wrk,
                f"-t{settings.threads}",
                f"-c{settings.connections}",
            ]
            subprocess.run(
                [*base, f"-d{settings.warmup}s", url],
                capture_output=True,
                timeout=settings.warmup + 30,
            )
            measured = subprocess.run(
                [*base, f"-d{settings.duration}s", "--latency", url],
                capture_output=True,
                text=True,
                timeout=settings.duration + 30,
            )
            if process.poll() is not None:
                return {
                    "status": "error",
                    "reason": f"granian exited: {_tail(log_path)}",
                }
            result = parse_wrk(measured.stdout)
            last = _fetch(url, 5.0)
            problem = scenario.verify(last)
            if problem is not None:
                return {"status": "error", "reason": f"after the load: {problem}"}
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            return {"status": "error", "reason": f"{type(exc).__name__}: {exc}"[:300]}
        finally:
            _stop(process)
    status = "ok" if not result["non_2xx"] else "error"
    reason = (
        None if status == "ok" else f"{result['non_2xx']} non-2xx answers under load"
    )
    return {"status": status, "reason": reason, **result}


def _wait_ready(
    process: subprocess.Popen[bytes], url: str, timeout: float
) -> Response | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return None
        try:
            return _fetch(url, 2.0)
        except (OSError, urllib.error.URLError):
            time.sleep(0.1)
    return None


def run(
    frameworks: list[str], mode: str, log: Any = sys.stderr
) -> dict[str, dict[str, dict[str, Any]]]:
    """Every framework on every server scenario: {framework: {scenario: result}}."""
    settings = SETTINGS[mode]
    results: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in frameworks}
    for scenario in SERVER_SCENARIOS:
        rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in frameworks}
        for number in range(1, settings.rounds + 1):
            for name in frameworks:
                print(
                    f"  server  {name:14} {scenario} ({number}/{settings.rounds})",
                    file=log,
                    flush=True,
                )
                rounds[name].append(run_one(name, scenario, settings))
        for name in frameworks:
            results[name][scenario] = median_round(rounds[name])
    return results


def median_round(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the median requests/s, with every round's requests/s.

    A failed round is the answer: an error is never outvoted.
    """
    for result in rounds:
        if result.get("status") != "ok":
            return result
    ordered = sorted(rounds, key=lambda result: result["requests_per_second"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["rounds"] = [result["requests_per_second"] for result in rounds]
    return chosen
