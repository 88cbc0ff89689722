"""Turns one run's results into tables (Markdown), a chart (PNG) and a README block.

Ratios are ``peer time / hipflask time`` for the in-process part (above 1:
hipflask is faster) and ``peer req/s / hipflask req/s`` behind the server
(below 1: hipflask serves more). A WSGI peer is divided by hipflask (WSGI), an
ASGI peer by hipflask (ASGI): both sides of a ratio ran through the same
driver. A cell that could not be measured says why in a numbered note.

``python -m benchmarks.report results/latest.json`` re-renders from saved
numbers.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from benchmarks.frameworks import FRAMEWORKS, HIPFLASK, RAW, reference_of
from benchmarks.scenarios import SCENARIOS, TIMED

BEST_OF = {"wsgi": ("falcon", "bottle"), "asgi": ("falcon-asgi", "starlette")}
README_START = "<!-- benchmark-results:start -->"
README_END = "<!-- benchmark-results:end -->"


class Notes:
    """Numbered notes for cells that hold no number; equal reasons share one."""

    def __init__(self) -> None:
        self.reasons: list[str] = []

    def mark(self, status: str, reason: str | None) -> str:
        if status == "n/a":
            return "n/a"
        text = f"{status}: {reason}" if reason else status
        if text not in self.reasons:
            self.reasons.append(text)
        return f"{status} [{self.reasons.index(text) + 1}]"

    def render(self) -> list[str]:
        return [f"{index}. {reason}" for index, reason in enumerate(self.reasons, 1)]


def _scenarios_of(results: dict[str, Any]) -> list[str]:
    seen = {name for per in results.get("inprocess", {}).values() for name in per}
    return [name for name in TIMED if name in seen]


def _frameworks_of(results: dict[str, Any], part: str = "inprocess") -> list[str]:
    present = results.get(part, {})
    if part == "memory":
        present = present.get("frameworks", {})
    return [name for name in FRAMEWORKS if name in present]


def micros(results: dict[str, Any], framework: str, scenario: str) -> float | None:
    """Median µs per request, or None when it was not measured."""
    result = results.get("inprocess", {}).get(framework, {}).get(scenario)
    if not result or result.get("status") != "ok":
        return None
    value = result.get("us_per_request")
    return float(value) if value is not None else None


def ratio(results: dict[str, Any], peer: str, scenario: str) -> float | None:
    """Peer µs / hipflask µs (same protocol), or None."""
    mine = micros(results, reference_of(peer), scenario)
    theirs = micros(results, peer, scenario)
    if mine is None or theirs is None or mine <= 0:
        return None
    return theirs / mine


def _server(
    results: dict[str, Any], framework: str, scenario: str
) -> dict[str, Any] | None:
    result = results.get("server", {}).get(framework, {}).get(scenario)
    return result if result and result.get("status") == "ok" else None


def geometric_mean(values: Iterable[float]) -> float | None:
    """The geometric mean of positive values, or None for none."""
    logs = [math.log(value) for value in values if value > 0]
    return math.exp(sum(logs) / len(logs)) if logs else None


def _fmt_us(value: float) -> str:
    if value < 10:
        return f"{value:.2f}"
    if value < 100:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def _fmt_ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}x" if value < 10 else f"{value:.1f}x"


def _mb(kilobytes: float) -> str:
    return f"{kilobytes / 1024:.1f}"


def _table(header: list[str], rows: list[list[str]], numeric: bool = True) -> list[str]:
    """A Markdown table; ``numeric`` right-aligns every column but the first."""
    lines = ["| " + " | ".join(header) + " |"]
    lines.append(
        "|"
        + "|".join(
            "---" if i == 0 or not numeric else "---:" for i in range(len(header))
        )
        + "|"
    )
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


def _label(name: str) -> str:
    return FRAMEWORKS[name].label


# -- targets ----------------------------------------------------------------


def _verdict(ok: bool | None) -> str:
    return {True: "✅ met", False: "❌ missed", None: "⚪ not measured"}[ok]


def _every_scenario(
    label: str, values: list[tuple[str, float | None]], limit: float
) -> tuple[str, str, bool | None]:
    """A target row over scenarios: met when every measured value <= ``limit``."""
    measured = [(value, scenario) for scenario, value in values if value is not None]
    missing = [scenario for scenario, value in values if value is None]
    if not measured:
        return label, "-", None
    worst, where = max(measured)
    over = sum(value > limit for value, _ in measured)
    text = f"worst {worst:.2f}x ({where}); {over} of {len(measured)} over {limit:g}x"
    if missing:
        text += f"; not measured: {', '.join(missing)}"
    met: bool | None = over == 0
    if met and missing:
        met = None
    return label, text, met


def targets(results: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met?) for each target of issue #4."""
    rows: list[tuple[str, str, bool | None]] = []
    scenarios = _scenarios_of(results)
    for protocol in ("wsgi", "asgi"):
        mine = HIPFLASK[protocol]
        values: list[tuple[str, float | None]] = []
        for scenario in scenarios:
            if protocol not in SCENARIOS[scenario].protocols:
                continue
            best = [micros(results, peer, scenario) for peer in BEST_OF[protocol]]
            known = [value for value in best if value is not None]
            own = micros(results, mine, scenario)
            values.append((scenario, own / min(known) if own and known else None))
        peers = " / ".join(_label(peer) for peer in BEST_OF[protocol])
        label = f"{_label(mine)} time ≤ best of {peers}, every scenario"
        rows.append(_every_scenario(label, values, 1.0))
    for protocol in ("wsgi", "asgi"):
        mine, floor = HIPFLASK[protocol], RAW[protocol]
        values = []
        for scenario in scenarios:
            if protocol not in SCENARIOS[scenario].protocols:
                continue
            own, raw = micros(results, mine, scenario), micros(results, floor, scenario)
            values.append((scenario, own / raw if own and raw else None))
        label = f"{_label(mine)} time ≤ 3x {_label(floor)}, every scenario"
        if protocol == "asgi":
            label += " (our addition)"
        rows.append(_every_scenario(label, values, 3.0))
    flask_ratio = ratio(results, "flask", "json_param")
    rows.append(
        (
            "json_param: hipflask (WSGI) ≥ 6x faster than Flask",
            _fmt_ratio(flask_ratio),
            None if flask_ratio is None else flask_ratio >= 6.0,
        )
    )
    for protocol in ("wsgi", "asgi"):
        mine, floor = HIPFLASK[protocol], RAW[protocol]
        parts: list[str] = []
        verdicts: list[bool | None] = []
        for scenario in ("hello", "json_param"):
            served = _server(results, mine, scenario)
            floor_served = _server(results, floor, scenario)
            if served is None or floor_served is None:
                verdicts.append(None)
                continue
            value = served["requests_per_second"] / floor_served["requests_per_second"]
            parts.append(f"{scenario} {value:.2f}x")
            verdicts.append(value >= 0.9)
        label = f"granian: {_label(mine)} ≥ 0.9x {_label(floor)} req/s"
        if protocol == "asgi":
            label += " (our addition)"
        met = None if None in verdicts else all(verdicts)
        rows.append((label, ", ".join(parts) or "-", met))
    for protocol in ("wsgi", "asgi"):
        mine = HIPFLASK[protocol]
        big, small = (
            micros(results, mine, "routes_1000"),
            micros(results, mine, "routes_10"),
        )
        value = big / small if big is not None and small is not None else None
        rows.append(
            (
                f"{_label(mine)}: routes_1000 ≤ 1.5x routes_10",
                _fmt_ratio(value),
                None if value is None else value <= 1.5,
            )
        )
    memory = results.get("memory", {}).get("frameworks", {})
    for protocol in ("wsgi", "asgi"):
        mine = HIPFLASK[protocol]
        upload = memory.get(mine, {}).get("upload", {})
        delta = upload.get("peak_delta_kb") if upload.get("status") == "ok" else None
        rows.append(
            (
                f"{_label(mine)}: 100 MiB upload adds < 32 MiB to peak RSS",
                "-" if delta is None else f"{_mb(delta)} MiB",
                None if delta is None else delta < 32 * 1024,
            )
        )
    mine_import = memory.get(HIPFLASK["wsgi"], {}).get("import", {})
    falcon_import = memory.get("falcon", {}).get("import", {})
    both_ok = mine_import.get("status") == "ok" and falcon_import.get("status") == "ok"
    for key, label, unit in (
        ("import_ms", "import time below Falcon's", "ms"),
        ("import_rss_kb", "RSS after import below Falcon's", "MiB"),
    ):
        if not both_ok:
            rows.append((f"hipflask: {label}", "-", None))
            continue
        own, theirs = mine_import[key], falcon_import[key]
        if unit == "MiB":
            measured = f"{_mb(own)} vs {_mb(theirs)} MiB"
        else:
            measured = f"{own:.1f} vs {theirs:.1f} ms"
        rows.append((f"hipflask: {label}", measured, own < theirs))
    return rows


# -- markdown ---------------------------------------------------------------


def render_markdown(results: dict[str, Any], chart_name: str | None = None) -> str:
    """The whole results page."""
    notes = Notes()
    env = results.get("environment", {})
    scenarios = _scenarios_of(results)
    frameworks = _frameworks_of(results)
    lines = [
        f"# hipflask benchmarks ({results.get('mode', 'full')} run)",
        "",
        f"- Date: {env.get('date', '?')}",
        f"- Machine: {env.get('cpu', '?')}, {env.get('cores', '?')} cores, "
        f"{env.get('memory_mb', '?')} MiB RAM; {env.get('platform', '?')}",
        f"- Python: {env.get('python', '?')}",
        f"- Load average when the run started: {env.get('load_average', '?')} "
        "(a busy machine makes absolute numbers noisy; compare ratios)",
        "",
        "Quote ratios from one run; absolute numbers drift between machines.",
        "",
    ]
    if chart_name:
        lines += [f"![ratios]({chart_name})", ""]

    lines += ["## Targets (issue #4)", ""]
    lines += _table(
        ["Target", "Measured", "Verdict"],
        [[target, measured, _verdict(ok)] for target, measured, ok in targets(results)],
        numeric=False,
    )

    lines += ["", "## In-process: µs per request", ""]
    lines += [
        "Median of several rounds, and in a full run the median of three such",
        "passes, the frameworks taking turns; lower is better. Every framework runs",
        "in its own subprocess, through one in-process driver per protocol (see",
        "`benchmarks/drivers.py`).",
        "",
    ]
    rows = []
    for scenario in scenarios:
        row = [f"`{scenario}`"]
        for name in frameworks:
            result = results["inprocess"][name].get(scenario, {"status": "n/a"})
            value = micros(results, name, scenario)
            if value is not None:
                row.append(_fmt_us(value))
            elif result.get("status") == "ok":  # a smoke run: checked, not timed
                row.append("ok")
            else:
                row.append(notes.mark(result.get("status", "?"), result.get("reason")))
        rows.append(row)
    lines += _table(["scenario", *(_label(name) for name in frameworks)], rows)

    peers = [name for name in frameworks if name not in HIPFLASK.values()]
    lines += ["", "## Ratio of each peer to hipflask (in-process)", ""]
    lines += [
        "Peer µs / hipflask µs for the same scenario; above 1x hipflask is faster.",
        "WSGI peers are divided by hipflask (WSGI), ASGI peers by hipflask (ASGI).",
        "",
    ]
    rows = []
    for scenario in scenarios:
        rows.append(
            [
                f"`{scenario}`",
                *(_fmt_ratio(ratio(results, peer, scenario)) for peer in peers),
            ]
        )
    rows.append(
        [
            "**geometric mean**",
            *(
                _fmt_ratio(
                    geometric_mean(
                        value
                        for scenario in scenarios
                        if (value := ratio(results, peer, scenario)) is not None
                    )
                )
                for peer in peers
            ),
        ]
    )
    lines += _table(["scenario", *(_label(peer) for peer in peers)], rows)

    if "server" in results:
        lines += _server_section(results, notes)
    if "memory" in results:
        lines += _memory_section(results, notes)

    lines += ["", "## Scenarios", ""]
    lines += _table(
        ["scenario", "what", "protocols"],
        [
            [
                f"`{name}`",
                SCENARIOS[name].description,
                "/".join(sorted(SCENARIOS[name].protocols)),
            ]
            for name in scenarios
        ],
        numeric=False,
    )
    equivalents = [
        [_label(name), f"`{scenario}`", note]
        for name in frameworks
        for scenario, note in FRAMEWORKS[name].notes.items()
    ]
    if equivalents:
        lines += ["", "## Idiomatic equivalents", ""]
        lines += _table(["framework", "scenario", "how"], equivalents, numeric=False)
    compiled = env.get("compiled")
    if compiled is not None:
        lines += ["", "## Compiled code", ""]
        lines += [
            "Some frameworks run compiled helpers when they are built; these",
            "were in use in this run (the pure-Python flavours block them, so",
            "the framework's own Python fallbacks run; no target counts those",
            "flavours):",
            "",
        ]
        lines += _table(
            ["framework", "compiled modules in use"],
            [
                [_label(name), ", ".join(f"`{m}`" for m in compiled[name]) or "none"]
                for name in frameworks
                if name in compiled
            ],
            numeric=False,
        )
    versions = env.get("versions", {})
    if versions:
        lines += ["", "## Versions", ""]
        lines += _table(
            ["package", "version"],
            [[name, str(v)] for name, v in versions.items()],
            numeric=False,
        )
    if notes.reasons:
        lines += ["", "## Notes on cells without a number", "", *notes.render()]
    return "\n".join(lines) + "\n"


def _server_section(results: dict[str, Any], notes: Notes) -> list[str]:
    lines = ["", "## Behind granian (1 worker) + wrk (-t1 -c50, loopback)", ""]
    lines += [
        "Requests/s (higher is better) and p99 latency; server and wrk pinned to",
        "different cores. Each framework ran in turns with the others and the",
        "table shows its median round (see `benchmarks/server.py`). Ratio: peer",
        "req/s / hipflask req/s (same interface); below 1x hipflask serves more.",
        "",
    ]
    rows = []
    for name in _frameworks_of(results, "server"):
        row = [_label(name), FRAMEWORKS[name].protocol.upper()]
        for scenario in ("hello", "json_param"):
            result = results["server"][name].get(scenario, {"status": "n/a"})
            if result.get("status") != "ok":
                cell = notes.mark(result.get("status", "?"), result.get("reason"))
                row += [cell, "", ""]
                continue
            mine = _server(results, reference_of(name), scenario)
            share = (
                result["requests_per_second"] / mine["requests_per_second"]
                if mine and name not in HIPFLASK.values()
                else None
            )
            row += [
                f"{result['requests_per_second']:,.0f}",
                f"{result.get('p99_ms', float('nan')):.2f} ms",
                _fmt_ratio(share) if share is not None else "",
            ]
        rows.append(row)
    lines += _table(
        [
            "framework",
            "interface",
            "hello req/s",
            "hello p99",
            "hello ratio",
            "json_param req/s",
            "json_param p99",
            "json_param ratio",
        ],
        rows,
    )
    return lines


def _memory_section(results: dict[str, Any], notes: Notes) -> list[str]:
    memory = results["memory"]
    lines = ["", "## Start-up and memory", ""]
    lines += [
        "Import time: sum of `-X importtime` self times beyond a bare interpreter",
        "(lowest of several runs). RSS in MiB; a bare interpreter is "
        f"{_mb(memory.get('python_rss_kb', 0))} MiB.",
        "The probes that serve requests also hold the benchmark harness (drivers,",
        "asyncio; about the same for everyone), so compare their growth columns.",
        "The upload column is the peak RSS growth while one 100 MiB multipart upload",
        "is received and saved to disk.",
        "",
    ]
    rows = []
    for name in _frameworks_of(results, "memory"):
        entry = memory["frameworks"][name]
        row = [_label(name)]
        imported = entry.get("import", {})
        if imported.get("status") == "ok":
            row += [f"{imported['import_ms']:.1f}", _mb(imported["import_rss_kb"])]
        else:
            cell = notes.mark(imported.get("status", "?"), imported.get("reason"))
            row += [cell, ""]
        served = entry.get("requests", {})
        if served.get("status") == "ok":
            growth = served["rss_after_kb"] - served["rss_before_kb"]
            row.append(f"{_mb(served['rss_after_kb'])} (+{_mb(growth)})")
        else:
            row.append(notes.mark(served.get("status", "?"), served.get("reason")))
        upload = entry.get("upload", {})
        if upload.get("status") == "ok":
            row.append(f"+{_mb(upload['peak_delta_kb'])}")
        else:
            row.append(notes.mark(upload.get("status", "?"), upload.get("reason")))
        rows.append(row)
    lines += _table(
        [
            "framework",
            "import ms",
            "RSS after import",
            "RSS after 10,000 requests (growth)",
            "100 MiB upload: peak growth",
        ],
        rows,
    )
    return lines


# -- chart ------------------------------------------------------------------


def render_chart(results: dict[str, Any], path: Path) -> None:
    """A horizontal bar chart of the in-process ratios (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scenarios = _scenarios_of(results)
    frameworks = _frameworks_of(results)
    peers = [name for name in frameworks if name not in HIPFLASK.values()]
    have_hipflask = any(
        ratio(results, peer, scenario) is not None
        for peer in peers
        for scenario in scenarios
    )
    if have_hipflask:
        shown = peers
        title = (
            "Peer time / hipflask time per request, in-process (>1: hipflask faster)\n"
            "WSGI peers / hipflask (WSGI), ASGI peers / hipflask (ASGI)"
        )

        def value_of(name: str, scenario: str) -> float | None:
            return ratio(results, name, scenario)
    else:
        shown = [name for name in frameworks if name not in RAW.values()]
        title = (
            "hipflask has no results yet: time / raw floor of the same protocol "
            "(in-process)"
        )

        def value_of(name: str, scenario: str) -> float | None:
            own = micros(results, name, scenario)
            floor = micros(results, RAW[FRAMEWORKS[name].protocol], scenario)
            return own / floor if own is not None and floor else None

    # Only scenarios and frameworks with at least one number take space.
    scenarios = [
        scenario
        for scenario in scenarios
        if any(value_of(name, scenario) is not None for name in shown)
    ]
    series = []
    for name in shown:
        values = [value_of(name, scenario) for scenario in scenarios]
        if any(value is not None for value in values):
            series.append((name, values))
    height = max(4.0, 0.13 * len(scenarios) * max(1, len(series)) + 1.5)
    figure, axis = plt.subplots(figsize=(12, height), dpi=100)
    band = 0.84 / max(1, len(series))
    # One fixed colour per framework, so charts of different runs compare.
    cmap = plt.get_cmap("tab20")
    palette = {
        name: cmap((2 * index) % 20 + (2 * index) // 20)
        for index, name in enumerate(FRAMEWORKS)
    }
    for index, (name, values) in enumerate(series):
        ys = [
            row - 0.42 + band * (index + 0.5)
            for row, value in enumerate(values)
            if value is not None
        ]
        xs = [value for value in values if value is not None]
        axis.barh(ys, xs, height=band, label=_label(name), color=palette[name])
    if not series:
        axis.text(0.5, 0.5, "no ratios to show", ha="center", transform=axis.transAxes)
    axis.set_xscale("log")
    axis.axvline(1.0, color="black", linewidth=1)
    axis.set_yticks(range(len(scenarios)))
    axis.set_yticklabels(scenarios)
    axis.set_ylim(len(scenarios) - 0.5, -0.5)
    axis.set_title(title, fontsize=10)
    env = results.get("environment", {})
    axis.set_xlabel(
        f"{env.get('date', '')} · {env.get('cpu', '')} ({env.get('cores', '?')} cores)"
        f" · {env.get('python', '')} · {results.get('mode', 'full')} run"
    )
    if series:
        axis.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axis.grid(axis="x", which="both", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


# -- README, console, files -------------------------------------------------


def headline(results: dict[str, Any]) -> list[str]:
    """Headline lines: geometric-mean ratio per peer, json_param vs Flask, serving."""
    scenarios = _scenarios_of(results)
    env = results.get("environment", {})
    lines = [
        f"Measured {env.get('date', '?')} on {env.get('cpu', '?')} "
        f"({env.get('cores', '?')} cores), {env.get('python', '?')}; "
        f"{results.get('mode', 'full')} run; load average at the start "
        f"{env.get('load_average', '?')} (a busy machine makes numbers noisy).",
        "",
    ]
    rows = []
    for peer in [
        name for name in _frameworks_of(results) if name not in HIPFLASK.values()
    ]:
        mean = geometric_mean(
            value
            for scenario in scenarios
            if (value := ratio(results, peer, scenario)) is not None
        )
        served = _server(results, peer, "hello")
        mine = _server(results, reference_of(peer), "hello")
        share = (
            served["requests_per_second"] / mine["requests_per_second"]
            if served and mine
            else None
        )
        rows.append([_label(peer), _fmt_ratio(mean), _fmt_ratio(share)])
    lines += _table(
        [
            "peer",
            "in-process time vs hipflask (geometric mean; >1x = hipflask faster)",
            "granian hello req/s vs hipflask (<1x = hipflask faster)",
        ],
        rows,
    )
    lines.append("")
    for target, measured, ok in targets(results):
        lines.append(f"- {_verdict(ok)}: {target} — {measured}")
    return lines


def update_readme(results: dict[str, Any], readme: Path) -> None:
    """Replace the results block of ``readme`` (between the two markers)."""
    text = readme.read_text()
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"{readme} has no {README_START} ... {README_END} block")
    block = "\n".join(
        [
            README_START,
            "",
            "![ratios](results/latest.png)",
            "",
            *headline(results),
            "",
            README_END,
        ]
    )
    readme.write_text(text[:start] + block + text[end + len(README_END) :])


def summary(results: dict[str, Any]) -> str:
    """A short console summary: per framework, scenarios ok / not ok."""
    lines = []
    for name, per in results.get("inprocess", {}).items():
        bad = {
            key: value
            for key, value in per.items()
            if value["status"] not in ("ok", "n/a")
        }
        good = sum(value["status"] == "ok" for value in per.values())
        lines.append(f"{name:14} {good:2d} ok" + (f", {len(bad)} not:" if bad else ""))
        for key, value in bad.items():
            lines.append(f"    {key}: {value['status']}: {value.get('reason')}")
    return "\n".join(lines)


def write(results: dict[str, Any], folder: Path, stem: str) -> list[Path]:
    """Write ``<stem>.json``, ``<stem>.md`` and ``<stem>.png`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    raw, page, chart = (
        folder / f"{stem}{suffix}" for suffix in (".json", ".md", ".png")
    )
    raw.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    render_chart(results, chart)
    page.write_text(render_markdown(results, chart.name))
    return [raw, page, chart]


def main(argv: list[str] | None = None) -> int:
    """Re-render the Markdown and chart next to a saved results JSON."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m benchmarks.report RESULTS.json", file=sys.stderr)
        return 2
    source = Path(args[0])
    results = json.loads(source.read_text())
    write(results, source.parent, source.stem)
    return 0


if __name__ == "__main__":
    sys.exit(main())
