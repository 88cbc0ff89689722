# hipflask developer commands. Each target sets up what it needs itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP_RUN := $(VENV)/.stamp-run
STAMP_DEV := $(VENV)/.stamp-dev
STAMP_BENCH := $(VENV)/.stamp-bench

.PHONY: run test lint typecheck unit conformance conformance-check bench bench-smoke clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(STAMP_RUN)

$(STAMP_BENCH): pyproject.toml $(STAMP_DEV)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $@

## Serve the example app on http://127.0.0.1:5000
run: $(STAMP_RUN)
	$(PY) -m uvicorn examples.hello:app --host 127.0.0.1 --port 5000

## The whole suite: lint, types, unit tests, conformance ratchet, benchmark smoke.
test: lint unit conformance-check

PROTOCOL ?= both
## Flask's own test suite on hipflask (PROTOCOL=wsgi|asgi|both); records progress
conformance: $(STAMP_DEV)
	$(PY) tests/conformance/run.py --protocol $(PROTOCOL) --update

## Ratchet: fail if a test in tests/conformance/passing*.txt no longer passes
conformance-check: $(STAMP_DEV)
	$(PY) tests/conformance/run.py --protocol both

lint: $(STAMP_DEV)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

unit: $(STAMP_DEV)
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) .cache .mypy_cache .ruff_cache .pytest_cache
