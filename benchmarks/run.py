"""The whole run behind ``python -m benchmarks``: every part, then the results.

Parts, in order: in-process timings (one subprocess per framework and
scenario; in ``--smoke`` mode one per framework, checks only), the server
runs (granian + wrk), start-up and memory. Then ``benchmarks/results/`` gets
``<stem>.json`` (raw numbers), ``<stem>.md`` (tables) and ``<stem>.png``
(ratio chart); a full run of every framework also refreshes the results
block of ``benchmarks/README.md``. The stem is ``latest`` for full runs and
``quick`` for ``--quick`` ones.

Timing runs go one at a time (never in parallel) so they do not compete for
the CPU, scenario by scenario so that the numbers of one ratio are taken
close together in time; only the smoke checks run side by side.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks import inprocess, memory, report, server
from benchmarks.frameworks import FRAMEWORKS
from benchmarks.scenarios import SCENARIOS, TIMED

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
#: How many times each framework runs each scenario, in turns (see run_inprocess).
PASSES = {"smoke": 1, "quick": 1, "full": 3}


def run_inprocess_subprocess(
    framework: str, scenario: str, mode: str, timeout: float
) -> dict[str, dict[str, Any]]:
    """Run ``benchmarks.inprocess`` in a fresh interpreter; {scenario: result}."""
    names = list(SCENARIOS) if scenario == "all" else scenario.split(",")
    # The caller's PYTHONPATH stays after ROOT: a checkout's src/ given there is
    # the hipflask measured, not the one installed in the environment.
    inherited = os.environ.get("PYTHONPATH")
    path = f"{ROOT}{os.pathsep}{inherited}" if inherited else str(ROOT)
    env = dict(os.environ, PYTHONPATH=path)
    try:
        done = subprocess.run(
            inprocess.command(framework, scenario, mode),
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
            env=env,
        )
    except subprocess.TimeoutExpired:
        reason = f"the subprocess ran past {timeout:.0f} s"
        return {name: {"status": "error", "reason": reason} for name in names}
    try:
        results: dict[str, dict[str, Any]] = json.loads(done.stdout)["results"]
    except (ValueError, KeyError):
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        reason = f"the subprocess failed (exit {done.returncode}): " + (
            lines[-1][:300] if lines else "no output"
        )
        return {name: {"status": "error", "reason": reason} for name in names}
    return results


def run_inprocess(
    frameworks: list[str], scenarios: list[str], mode: str, log: Any = sys.stderr
) -> dict[str, dict[str, dict[str, Any]]]:
    """{framework: {scenario: result}} for the in-process part."""
    if mode == "smoke":
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            futures = {
                name: pool.submit(
                    run_inprocess_subprocess, name, ",".join(scenarios), "smoke", 120
                )
                for name in frameworks
            }
            return {name: future.result() for name, future in futures.items()}
    # Scenario by scenario, every framework in turn, PASSES times over: the
    # numbers a ratio compares are taken minutes apart at most, and a burst of
    # load on a shared machine lands on one pass of one framework, not on all.
    results: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in frameworks}
    for scenario in scenarios:
        passes: dict[str, list[dict[str, Any]]] = {name: [] for name in frameworks}
        for number in range(1, PASSES[mode] + 1):
            for name in frameworks:
                if passes[name] and passes[name][-1].get("status") != "ok":
                    continue  # failed, n/a or missing: another pass says nothing new
                print(
                    f"  inproc  {name:14} {scenario} ({number}/{PASSES[mode]})",
                    file=log,
                    flush=True,
                )
                found = run_inprocess_subprocess(name, scenario, mode, 300)
                passes[name].append(found[scenario])
        for name in frameworks:
            results[name][scenario] = median_pass(passes[name])
    return results


def median_pass(passes: list[dict[str, Any]]) -> dict[str, Any]:
    """The pass with the median time, with every pass's time.

    A failed pass (or ``n/a``, ``missing``) is the answer: never outvoted.
    """
    for result in passes:
        if result.get("status") != "ok":
            return result
    ordered = sorted(passes, key=lambda result: result["us_per_request"])
    chosen = dict(ordered[len(ordered) // 2])  # of two, the slower: never flattering
    chosen["passes_us"] = [result["us_per_request"] for result in passes]
    return chosen


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def environment() -> dict[str, Any]:
    """Where and when this run happened, and what it ran."""
    cpu = "unknown"
    memory_total = None
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    memory_total = int(line.split()[1]) // 1024
                    break
    except OSError:
        pass
    versions = {name: framework.version() for name, framework in FRAMEWORKS.items()}
    for extra in ("granian", "jinja2", "itsdangerous", "python-multipart"):
        versions[extra] = _version(extra)
    wrk = shutil.which("wrk")
    if wrk:
        done = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10)
        first_line = (done.stdout or done.stderr).split("\n", 1)[0]
        versions["wrk"] = first_line.split(" Copyright", 1)[0].strip()
    else:
        versions["wrk"] = "not installed"
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M UTC"
        ),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_mb": memory_total,
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "versions": versions,
        "compiled": {
            name: framework.compiled_in_use() for name, framework in FRAMEWORKS.items()
        },
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: see ``--help``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument(
        "--quick", action="store_true", help="short rounds, short wrk runs"
    )
    modes.add_argument("--smoke", action="store_true", help="checks only, no timing")
    parser.add_argument("--frameworks", help="comma-separated (default: all)")
    parser.add_argument(
        "--scenarios", help="comma-separated (default: all; timed ones unless --smoke)"
    )
    parser.add_argument("--skip-server", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--out", type=Path, help=f"output folder (default {RESULTS})")
    args = parser.parse_args(argv)
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    frameworks = args.frameworks.split(",") if args.frameworks else list(FRAMEWORKS)
    if args.scenarios:
        scenarios = args.scenarios.split(",")
    else:  # the smoke checks also cover the untimed upload_save
        scenarios = list(SCENARIOS) if mode == "smoke" else list(TIMED)
    unknown = [name for name in frameworks if name not in FRAMEWORKS] + [
        name for name in scenarios if name not in SCENARIOS
    ]
    if unknown:
        parser.error(f"unknown framework(s)/scenario(s): {unknown}")

    results: dict[str, Any] = {"mode": mode, "environment": environment()}
    print(f"hipflask benchmarks ({mode}): in-process", file=sys.stderr, flush=True)
    results["inprocess"] = run_inprocess(frameworks, scenarios, mode)
    # The pure-Python flavours are timed in process only.
    served = [name for name in frameworks if not FRAMEWORKS[name].pure]
    if mode != "smoke" and not args.skip_server:
        print("behind granian + wrk", file=sys.stderr, flush=True)
        results["server"] = server.run(served, mode)
    if mode != "smoke" and not args.skip_memory:
        print("start-up and memory", file=sys.stderr, flush=True)
        results["memory"] = memory.measure(served, mode)

    print(report.summary(results))
    if mode == "smoke" and args.out is None:
        return 0
    out = args.out or RESULTS
    stem = "latest" if mode == "full" else mode
    written = report.write(results, out, stem)
    complete = not (
        args.frameworks or args.scenarios or args.skip_server or args.skip_memory
    )
    if mode == "full" and complete and out == RESULTS:
        report.update_readme(results, Path(__file__).resolve().parent / "README.md")
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
