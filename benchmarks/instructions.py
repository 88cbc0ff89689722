"""Instructions per request, counted by callgrind: a figure the machine's load
does not move.

Timings on a shared machine drift by 20% between runs; callgrind counts the
instructions the interpreter and the compiled code execute, the same however
busy the machine is. For each framework and scenario this runs
``python -m benchmarks.inprocess --requests N`` under
``valgrind --tool=callgrind`` twice, with a low and a high N, and reports
``(high count - low count) / (high N - low N)``: what one more request costs,
without the start-up both runs share. Hash randomisation is fixed and (with
``setarch``) address randomisation is off, so a count repeats exactly.

Instructions are not time: compiled code does more per instruction than the
interpreter, so a peer's compiled helpers are worth more in time than here.
Use it to compare two versions of hipflask, or to see where time goes.

    python -m benchmarks.instructions                       # hipflask, both protocols
    python -m benchmarks.instructions --frameworks falcon --scenarios hello,query
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
from collections.abc import Sequence

from benchmarks import inprocess
from benchmarks.frameworks import FRAMEWORKS
from benchmarks.scenarios import SCENARIOS

_COLLECTED = re.compile(r"Collected : (\d+)")
DEFAULT_FRAMEWORKS = ("hipflask-wsgi", "hipflask-asgi")
#: Every timed scenario but ``upload``: 1 MiB a request is minutes under valgrind.
DEFAULT_SCENARIOS = tuple(
    name for name, scenario in SCENARIOS.items() if scenario.timed and name != "upload"
)


def parse_collected(output: str) -> int:
    """The instruction total callgrind prints when a run ends."""
    found = _COLLECTED.findall(output)
    if not found:
        raise ValueError(f"no callgrind total in the output: {output[-500:]!r}")
    return int(found[-1])


def count(framework: str, scenario: str, requests: int) -> int:
    """Instructions of one process that sends ``requests`` requests."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        *inprocess.command(framework, scenario, requests=requests),
    ]
    if shutil.which("setarch"):
        command = ["setarch", "-R", *command]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        timeout=900,
        check=False,
    )
    if done.returncode != 0 or '"status": "ok"' not in done.stdout:
        raise RuntimeError(
            f"{framework} {scenario}: exit {done.returncode}\n"
            f"{done.stdout[-1000:]}{done.stderr[-1000:]}"
        )
    return parse_collected(done.stderr)


def per_request(framework: str, scenario: str, low: int, high: int) -> float:
    """Instructions one more request costs (see the module docstring)."""
    if not 0 < low < high:
        raise ValueError(f"need 0 < low < high, got {low} and {high}")
    return (count(framework, scenario, high) - count(framework, scenario, low)) / (
        high - low
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.instructions")
    parser.add_argument("--frameworks", default=",".join(DEFAULT_FRAMEWORKS))
    parser.add_argument("--scenarios", default=",".join(DEFAULT_SCENARIOS))
    parser.add_argument("--low", type=int, default=300)
    parser.add_argument("--high", type=int, default=1500)
    args = parser.parse_args(argv)
    frameworks = args.frameworks.split(",")
    scenarios = args.scenarios.split(",")
    unknown = [name for name in frameworks if name not in FRAMEWORKS]
    unknown += [name for name in scenarios if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown framework or scenario: {', '.join(unknown)}")
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (Debian package: valgrind)")
    print("| scenario | " + " | ".join(frameworks) + " |")
    print("|---|" + "---:|" * len(frameworks))
    for scenario in scenarios:
        cells = []
        for framework in frameworks:
            if FRAMEWORKS[framework].protocol not in SCENARIOS[scenario].protocols:
                cells.append("n/a")
                continue
            instructions = per_request(framework, scenario, args.low, args.high)
            cells.append(f"{instructions / 1000:.1f}k")
        print(f"| `{scenario}` | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
