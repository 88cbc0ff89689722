"""The Makefile's multi-Python target reports what it could not test (make test
runs through make, so make is there)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_missing_python_is_reported_not_tested() -> None:
    result = subprocess.run(
        ["make", "-s", "--no-print-directory", "test-pythons", "PYTHONS=0.1"],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "== Python 0.1: not installed, NOT TESTED"
    assert not (ROOT / ".venv-0.1").exists()
