"""In-process measurement of one framework: microseconds per request.

Run as ``python -m benchmarks.inprocess --framework X --scenario Y --json``
(``--scenario all`` for every scenario in one process, as the smoke test
does). For each scenario:

1. build the app (``Framework.build``); a peer without that scenario's
   protocol reports ``n/a``, a missing package ``missing``;
2. send ``setup`` (if any) and keep its cookie; send the request once and
   ``verify`` the answer (status and a body property) -- smoke mode stops here;
3. calibrate a batch size so one round lasts about ``round_seconds``, warm
   up, then time ``rounds`` batches; report the median microseconds per
   request, then ``verify`` one more answer.

Anything that goes wrong becomes ``{"status": "error", "reason": ...}``, never
a crash, and every scenario runs under a wall-clock limit (SIGALRM).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import signal
import statistics
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from types import FrameType
from typing import Any

from benchmarks import drivers
from benchmarks.frameworks import FRAMEWORKS, Framework
from benchmarks.scenarios import SCENARIOS, Response, Scenario


@dataclass(frozen=True)
class Settings:
    """How long to measure."""

    rounds: int
    round_seconds: float
    warmup_seconds: float
    max_per_round: int = 500_000
    time_limit: float = 120.0
    #: Send exactly this many requests, untimed, instead (for instruction counts).
    fixed_requests: int = 0


MODES = {
    "smoke": Settings(rounds=0, round_seconds=0.0, warmup_seconds=0.0, time_limit=60.0),
    "quick": Settings(rounds=3, round_seconds=0.05, warmup_seconds=0.05),
    "full": Settings(rounds=7, round_seconds=0.1, warmup_seconds=0.2),
}


class ScenarioError(Exception):
    """A scenario could not run or answered wrongly."""


class ScenarioTimeout(BaseException):
    """A scenario went past its wall-clock limit.

    A ``BaseException``, so that an app's ``except Exception`` cannot turn it
    into a 500 answer and carry on.
    """


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ScenarioError):
        return str(exc)
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    where = traceback.extract_tb(exc.__traceback__)
    origin = (
        f" (at {where[-1].filename.rsplit('/', 2)[-1]}:{where[-1].lineno})"
        if where
        else ""
    )
    return f"{type(exc).__name__}: {first}"[:300] + origin


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: FrameType | None) -> None:
        raise ScenarioTimeout(f"the scenario ran past its {seconds:.0f} s limit")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _measure(run: Callable[[int], float], settings: Settings) -> dict[str, Any]:
    if settings.fixed_requests:
        run(settings.fixed_requests)
        return {"requests": settings.fixed_requests}
    # Calibrate: grow the batch until it lasts a quarter of a round.
    count = 1
    elapsed = run(count)
    while elapsed < settings.round_seconds / 4 and count < settings.max_per_round:
        count = min(count * 4, settings.max_per_round)
        elapsed = run(count)
    per_request = elapsed / count
    count = max(
        1, min(settings.max_per_round, int(settings.round_seconds / per_request))
    )
    warmup = max(1, int(settings.warmup_seconds / per_request))
    run(min(warmup, settings.max_per_round))
    gc.collect()
    rounds = [run(count) / count * 1e6 for _ in range(settings.rounds)]
    return {
        "us_per_request": statistics.median(rounds),
        "min_us": min(rounds),
        "rounds_us": [round(value, 3) for value in rounds],
        "requests_per_round": count,
    }


def _check(scenario: Scenario, response: Response) -> None:
    problem = scenario.verify(response)
    if problem is not None:
        raise ScenarioError(problem)


def _run_wsgi(
    app: Any, scenario: Scenario, settings: Settings | None
) -> dict[str, Any]:
    cookie = None
    if scenario.setup is not None:
        setup = drivers.WsgiDriver(app, scenario.setup).call()
        cookie = drivers.cookie_from(setup)
        if cookie is None:
            raise ScenarioError(
                f"{scenario.setup.path} set no cookie (status {setup.status})"
            )
    driver = drivers.WsgiDriver(app, scenario.request, cookie)
    _check(scenario, driver.call())
    if settings is None:
        return {}
    measured = _measure(driver.run, settings)
    _check(scenario, driver.call())
    return measured


def _run_asgi(
    app: Any, scenario: Scenario, settings: Settings | None
) -> dict[str, Any]:
    loop = asyncio.new_event_loop()
    lifespan = drivers.Lifespan(app)
    try:
        loop.run_until_complete(lifespan.startup())
        state = lifespan.state
        if scenario.websocket:
            ws_driver = drivers.WebsocketDriver(app, scenario.request, state)
            problem = scenario.verify_websocket(
                loop.run_until_complete(ws_driver.call())
            )
            if problem is not None:
                raise ScenarioError(problem)
            if settings is None:
                return {}
            return _measure(
                lambda n: loop.run_until_complete(ws_driver.run(n)), settings
            )
        cookie = None
        if scenario.setup is not None:
            setup_driver = drivers.AsgiDriver(app, scenario.setup, state=state)
            setup = loop.run_until_complete(setup_driver.call())
            cookie = drivers.cookie_from(setup)
            if cookie is None:
                raise ScenarioError(
                    f"{scenario.setup.path} set no cookie (status {setup.status})"
                )
        driver = drivers.AsgiDriver(app, scenario.request, cookie, state)
        _check(scenario, loop.run_until_complete(driver.call()))
        if settings is None:
            return {}
        measured = _measure(lambda n: loop.run_until_complete(driver.run(n)), settings)
        _check(scenario, loop.run_until_complete(driver.call()))
        return measured
    finally:
        try:
            loop.run_until_complete(lifespan.shutdown())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()


def run_scenario(
    framework: Framework, scenario: Scenario, mode: str, requests: int = 0
) -> dict[str, Any]:
    """One scenario on one framework; always returns a result dict.

    With ``requests``, exactly that many are sent after the checks, untimed:
    what :mod:`benchmarks.instructions` counts the instructions of.
    """
    result: dict[str, Any] = {"status": "ok", "reason": None}
    if framework.protocol not in scenario.protocols:
        return {
            "status": "n/a",
            "reason": f"{scenario.name} needs {'/'.join(sorted(scenario.protocols))}",
        }
    missing = framework.missing()
    if missing:
        return {"status": "missing", "reason": f"not installed: {', '.join(missing)}"}
    settings = MODES[mode]
    if requests:
        settings = replace(settings, fixed_requests=requests, time_limit=900.0)
    try:
        with _time_limit(settings.time_limit):
            app = framework.build(scenario.name)
            runner = _run_wsgi if framework.protocol == "wsgi" else _run_asgi
            timed = (mode != "smoke" or bool(requests)) and scenario.timed
            result.update(runner(app, scenario, settings if timed else None))
    except (Exception, ScenarioTimeout) as exc:  # every failure becomes a report
        return {"status": "error", "reason": _reason(exc)}
    return result


def run(
    framework_name: str, scenario_names: list[str], mode: str, requests: int = 0
) -> dict[str, Any]:
    """Every requested scenario on one framework, as one JSON-able dict."""
    framework = FRAMEWORKS[framework_name]
    results = {
        name: run_scenario(framework, SCENARIOS[name], mode, requests)
        for name in scenario_names
    }
    return {
        "framework": framework.name,
        "protocol": framework.protocol,
        "version": framework.version(),
        "mode": mode,
        "results": results,
    }


def command(
    framework: str, scenario: str, mode: str = "full", requests: int = 0
) -> list[str]:
    """The command line that runs :func:`main` in a fresh process (JSON out)."""
    args = [sys.executable, "-m", "benchmarks.inprocess", "--framework", framework]
    args += ["--scenario", scenario, "--mode", mode, "--json"]
    if requests:
        args += ["--requests", str(requests)]
    return args


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.inprocess")
    parser.add_argument("--framework", required=True, choices=sorted(FRAMEWORKS))
    parser.add_argument(
        "--scenario",
        default="all",
        help="a scenario name, a comma-separated list, or 'all' (default)",
    )
    parser.add_argument("--mode", choices=sorted(MODES), default="full")
    parser.add_argument("--quick", action="store_const", const="quick", dest="mode")
    parser.add_argument("--smoke", action="store_const", const="smoke", dest="mode")
    parser.add_argument("--json", action="store_true", help="print JSON on stdout")
    parser.add_argument(
        "--requests",
        type=int,
        default=0,
        help="send exactly N requests per scenario, untimed (instruction counts)",
    )
    args = parser.parse_args(argv)
    if args.requests < 0:
        parser.error("--requests must be 0 or more")
    if args.scenario == "all":
        names = list(SCENARIOS)
    else:
        names = args.scenario.split(",")
        unknown = [name for name in names if name not in SCENARIOS]
        if unknown:
            parser.error(f"unknown scenario(s) {unknown}; known: {sorted(SCENARIOS)}")
    report = run(args.framework, names, args.mode, args.requests)
    if args.json:
        json.dump(report, sys.stdout)
        sys.stdout.write("\n")
    else:
        for name, result in report["results"].items():
            if result["status"] == "ok" and "us_per_request" in result:
                print(f"{name:18} {result['us_per_request']:10.2f} us/request")
            elif result["status"] == "ok" and "requests" in result:
                print(f"{name:18} {result['requests']:10d} requests sent")
            else:
                print(f"{name:18} {result['status']}: {result['reason'] or ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
