"""The import target granian serves: ``benchmarks.serve_target:app``.

The framework and scenario come from the environment (``BENCH_FRAMEWORK``,
``BENCH_SCENARIO``), set by ``benchmarks.server`` for each run.
"""

from __future__ import annotations

import os

from benchmarks.frameworks import build_app

app = build_app(os.environ["BENCH_FRAMEWORK"], os.environ["BENCH_SCENARIO"])
