"""Start-up and memory: import time, RSS after import, after 10,000 requests,
and the peak while one 100 MiB upload is received and saved.

Every number comes from a fresh interpreter:

- import time: ``python -X importtime -c "<import statement>"``; the total is
  the sum of the "self" column over the modules that ``-c pass`` does not
  import (so interpreter start-up is left out); the lowest of several runs,
  the one least disturbed by whatever else the machine does;
- RSS after import: VmRSS from ``/proc/self/status`` right after the import;
- RSS after 10,000 requests: the ``json_param`` app driven in-process by the
  same drivers as the timing runs;
- upload peak: the ``upload_save`` app receives a 100 MiB multipart body
  generated on the fly (64 KiB pieces: the driver never holds it) and saves
  it to a temporary folder; the peak is VmHWM after the upload minus VmRSS
  before it (VmHWM is reset first through ``/proc/self/clear_refs``).

The probes run as ``python -m benchmarks.memory --probe requests|upload
--framework X`` and print one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = 10_000
UPLOAD_BYTES = 100 * 1024 * 1024
IMPORT_RUNS = {"full": 7, "quick": 3, "smoke": 1}
_IMPORTTIME = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|\s?( *)(\S+)\s*$")


def status_kb(field: str) -> int:
    """A ``Vm*`` field of /proc/self/status, in kB (0 where there is none)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False when not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def parse_importtime(stderr: str) -> dict[str, int]:
    """{module: self microseconds} from ``-X importtime`` output."""
    modules: dict[str, int] = {}
    for line in stderr.splitlines():
        match = _IMPORTTIME.match(line)
        if match:
            modules[match.group(4)] = modules.get(match.group(4), 0) + int(
                match.group(1)
            )
    return modules


def _python(
    code: str, *flags: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return subprocess.run(
        [sys.executable, *flags, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
    )


def import_time_ms(statement: str, runs: int) -> float:
    """Lowest import time of ``statement`` (ms), interpreter start-up excluded."""
    baseline = set(parse_importtime(_python("pass", "-X", "importtime").stderr))
    totals = []
    _python(statement)  # compile the bytecode caches once, outside the measurement
    for _ in range(runs):
        done = _python(statement, "-X", "importtime")
        if done.returncode != 0:
            raise RuntimeError(_last_line(done.stderr))
        modules = parse_importtime(done.stderr)
        totals.append(sum(us for name, us in modules.items() if name not in baseline))
    return min(totals) / 1000


def import_rss_kb(statement: str) -> int:
    """VmRSS (kB) of a fresh interpreter right after ``statement``."""
    # Read VmRSS without importing anything else first.
    code = (
        f"{statement}\n"
        "print(int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0]))"
    )
    done = _python(code)
    if done.returncode != 0:
        raise RuntimeError(_last_line(done.stderr))
    return int(done.stdout.strip())


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


# -- probes (run in their own interpreter) ----------------------------------


def probe_requests(framework_name: str) -> dict[str, Any]:
    """RSS before and after 10,000 ``json_param`` requests."""
    from benchmarks import drivers
    from benchmarks.frameworks import FRAMEWORKS
    from benchmarks.scenarios import SCENARIOS

    framework = FRAMEWORKS[framework_name]
    scenario = SCENARIOS["json_param"]
    app = framework.build(scenario.name)
    if framework.protocol == "wsgi":
        driver = drivers.WsgiDriver(app, scenario.request)
        first = driver.call()
        before = status_kb("VmRSS")
        driver.run(REQUESTS)
        last = driver.call()
    else:
        loop = asyncio.new_event_loop()
        lifespan = drivers.Lifespan(app)
        loop.run_until_complete(lifespan.startup())
        asgi = drivers.AsgiDriver(app, scenario.request, state=lifespan.state)
        first = loop.run_until_complete(asgi.call())
        before = status_kb("VmRSS")
        loop.run_until_complete(asgi.run(REQUESTS))
        last = loop.run_until_complete(asgi.call())
        loop.run_until_complete(lifespan.shutdown())
        loop.close()
    for response in (first, last):
        problem = scenario.verify(response)
        if problem is not None:
            raise RuntimeError(problem)
    return {"rss_before_kb": before, "rss_after_kb": status_kb("VmRSS")}


def probe_upload(framework_name: str, size: int = UPLOAD_BYTES) -> dict[str, Any]:
    """Peak RSS growth while one ``size``-byte upload is received and saved."""
    from benchmarks import drivers, scenarios
    from benchmarks.apps import common
    from benchmarks.frameworks import FRAMEWORKS

    framework = FRAMEWORKS[framework_name]
    base = scenarios.SCENARIOS["upload_save"].request

    def request_of(length: int) -> scenarios.Request:
        headers = (
            ("Content-Type", scenarios.MULTIPART_TYPE),
            ("Content-Length", str(scenarios.multipart_length(length))),
        )
        return scenarios.Request(base.method, base.path, headers=headers)

    app = framework.build("upload_save")
    results = []
    previous_dir = os.environ.get("BENCH_UPLOAD_DIR")
    with tempfile.TemporaryDirectory(prefix="hipflask-bench-upload-") as folder:
        os.environ["BENCH_UPLOAD_DIR"] = folder
        loop = asyncio.new_event_loop() if framework.protocol == "asgi" else None
        lifespan = drivers.Lifespan(app)
        if loop is not None:
            loop.run_until_complete(lifespan.startup())
        try:
            for length in (
                1024 * 1024,
                size,
            ):  # a small warm-up upload, then the big one
                chunks = scenarios.multipart_chunks(length)
                if length == size:
                    rss_before = status_kb("VmRSS")
                    peak_reset = reset_peak()
                    hwm_before = status_kb("VmHWM")
                if loop is None:
                    driver = drivers.WsgiDriver(app, request_of(length))
                    response = driver.call(drivers.ChunkStream(chunks))
                else:
                    asgi = drivers.AsgiDriver(
                        app, request_of(length), state=lifespan.state
                    )
                    stream = drivers.streamed_messages(chunks)
                    response = loop.run_until_complete(asgi.call(stream))
                saved = os.path.getsize(common.upload_path())
                results.append((response, saved, length))
        finally:
            if previous_dir is None:
                os.environ.pop("BENCH_UPLOAD_DIR", None)
            else:
                os.environ["BENCH_UPLOAD_DIR"] = previous_dir
            if loop is not None:
                loop.run_until_complete(lifespan.shutdown())
                loop.close()
    hwm_after = status_kb("VmHWM")
    for response, saved, length in results:
        if response.status != 200:
            raise RuntimeError(f"upload of {length} bytes answered {response.status}")
        answered = json.loads(response.body).get("size")
        if answered != length or saved != length:
            raise RuntimeError(
                f"upload of {length} bytes: response says {answered}, saved {saved}"
            )
    return {
        "rss_before_kb": rss_before,
        "peak_kb": hwm_after,
        "peak_delta_kb": hwm_after - (rss_before if peak_reset else hwm_before),
        "peak_reset": peak_reset,
    }


# -- orchestration ----------------------------------------------------------


def _probe(what: str, framework: str) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.memory",
            "--probe",
            what,
            "--framework",
            framework,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        env=env,
    )
    if done.returncode != 0 or not done.stdout.strip():
        return {"status": "error", "reason": _last_line(done.stderr)}
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def measure(
    framework_names: list[str], mode: str, log: Any = sys.stderr
) -> dict[str, Any]:
    """All start-up and memory numbers for ``framework_names``."""
    from benchmarks.frameworks import FRAMEWORKS

    runs = IMPORT_RUNS[mode]
    startup: dict[str, dict[str, Any]] = {}
    by_statement: dict[str, dict[str, Any]] = {}
    python_rss = import_rss_kb("pass")
    for name in framework_names:
        framework = FRAMEWORKS[name]
        statement = framework.import_statement
        print(f"  memory  {name:14} import", file=log, flush=True)
        if statement not in by_statement:
            try:
                by_statement[statement] = {
                    "status": "ok",
                    "import_ms": import_time_ms(statement, runs),
                    "import_rss_kb": import_rss_kb(statement),
                }
            except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
                by_statement[statement] = {"status": "error", "reason": str(exc)}
        startup[name] = {"import": by_statement[statement]}
        print(f"  memory  {name:14} 10,000 requests", file=log, flush=True)
        startup[name]["requests"] = _probe("requests", name)
        print(f"  memory  {name:14} 100 MiB upload", file=log, flush=True)
        startup[name]["upload"] = _probe("upload", name)
    return {"python_rss_kb": python_rss, "frameworks": startup}


def main(argv: list[str] | None = None) -> int:
    """Run one probe (``--probe``) or all measurements for some frameworks."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory")
    parser.add_argument("--framework", required=True)
    parser.add_argument("--probe", choices=("requests", "upload"))
    parser.add_argument("--mode", choices=sorted(IMPORT_RUNS), default="full")
    args = parser.parse_args(argv)
    if args.probe is None:
        print(json.dumps(measure(args.framework.split(","), args.mode), indent=2))
        return 0
    probe = probe_requests if args.probe == "requests" else probe_upload
    try:
        result = {"status": "ok", **probe(args.framework)}
    except Exception as exc:  # a probe reports, never crashes the run
        result = {"status": "error", "reason": f"{type(exc).__name__}: {exc}"[:300]}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
