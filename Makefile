# hipflask developer commands. Each target sets up what it needs itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP_RUN := $(VENV)/.stamp-run
STAMP_DEV := $(VENV)/.stamp-dev
STAMP_BENCH := $(VENV)/.stamp-bench
# What an install builds: a change to the C helpers reinstalls (recompiles them).
SPEEDUPS_SOURCES := $(wildcard src/hipflask/http/_speedups*.c)
BUILD_INPUTS := pyproject.toml setup.py $(SPEEDUPS_SOURCES) src/hipflask/http/_speedups.h

.PHONY: run test test-pythons lint typecheck unit unit-pure conformance conformance-check bench bench-smoke bench-instructions fuzz-speedups clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP_RUN): $(BUILD_INPUTS) | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(STAMP_DEV): $(BUILD_INPUTS) | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(STAMP_RUN)

$(STAMP_BENCH): $(BUILD_INPUTS) $(STAMP_DEV)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $@

## Serve the example app on http://127.0.0.1:5000 (debug mode: reloader + debug page)
run: $(STAMP_RUN)
	$(VENV)/bin/hipflask --app examples/hello.py run --debug

## The whole suite: lint, types, unit tests, conformance ratchet, benchmark smoke;
## then the unit tests and the ratchet again under the oldest and the newest
## supported Python (TEST_PYTHONS), when installed.
TEST_PYTHONS ?= 3.10 3.13
test: lint unit unit-pure conformance-check
	@$(MAKE) --no-print-directory test-pythons PYTHONS="$(TEST_PYTHONS)"

## Unit tests and the conformance ratchet under each Python in PYTHONS, each in
## its own .venv-X.Y. The interpreter is pythonX.Y on PATH or pyenv's newest
## X.Y.*; one that is not installed is reported as not tested.
PYTHONS ?= 3.10 3.12 3.13
test-pythons:
	@for version in $(PYTHONS); do \
	  interpreter=$$(command -v python$$version); \
	  if [ -z "$$interpreter" ] || ! "$$interpreter" -c "" 2>/dev/null; then \
	    root=$$(pyenv root 2>/dev/null || echo "$$HOME/.pyenv"); \
	    interpreter=$$(ls -d "$$root"/versions/$$version.*/bin/python$$version \
	      2>/dev/null | sort -V | tail -n 1); \
	  fi; \
	  if [ -z "$$interpreter" ]; then \
	    echo "== Python $$version: not installed, NOT TESTED"; continue; \
	  fi; \
	  echo "== Python $$version: $$("$$interpreter" -V)"; \
	  $(MAKE) --no-print-directory VENV=.venv-$$version PYTHON="$$interpreter" \
	    CONFORMANCE_FLAGS=--no-record unit conformance-check || exit 1; \
	done

PROTOCOL ?= both
## Flask's own test suite on hipflask (PROTOCOL=wsgi|asgi|both); records progress
conformance: $(STAMP_DEV)
	$(PY) tests/conformance/run.py --protocol $(PROTOCOL) --update

## Ratchet: fail if a test in tests/conformance/passing*.txt no longer passes
conformance-check: $(STAMP_DEV)
	$(PY) tests/conformance/run.py --protocol both $(CONFORMANCE_FLAGS)

lint: $(STAMP_DEV)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

unit: $(STAMP_BENCH)
	$(PY) -m pytest -q

## The suite again with the C helpers switched off: the Python versions, as an
## install without a C compiler runs them (the C-only tests skip)
unit-pure: $(STAMP_BENCH)
	HIPFLASK_NO_EXTENSIONS=1 $(PY) -m pytest -q

## Full benchmark run (~20 min on 2 cores): writes benchmarks/results/latest.{md,png,json}
bench: $(STAMP_BENCH)
	command -v wrk >/dev/null 2>&1 || (apt-get update && apt-get install -y wrk)
	$(PY) -m benchmarks

## Every benchmark scenario once per framework, checks only (part of `make test`)
bench-smoke: $(STAMP_BENCH)
	$(PY) -m pytest -q tests/test_benchmarks_smoke.py

## Instructions per request under callgrind, hipflask on every timed scenario
## but upload (~5 min; steady whatever the machine's load): INSTRUCTIONS_ARGS
## takes --frameworks / --scenarios / --low / --high
bench-instructions: $(STAMP_BENCH)
	command -v valgrind >/dev/null 2>&1 || (apt-get update && apt-get install -y valgrind)
	$(PY) -m benchmarks.instructions $(INSTRUCTIONS_ARGS)

## The C helpers built with AddressSanitizer and UBSan: against their Python
## twins on FUZZ_SCALE times the test suite's generated cases, then the whole
## test suite once (a few minutes; not the tests that measure memory or run
## the helpers in subprocesses without the sanitizers preloaded); the normal
## build is put back afterwards.
FUZZ_SCALE ?= 100
SPEEDUPS_SO = src/hipflask/http/_speedups$$($(PY) -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))")
fuzz-speedups: $(STAMP_BENCH)
	status=0; \
	gcc -shared -fPIC -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	  -fno-sanitize-recover=undefined \
	  -I"$$($(PY) -c "import sysconfig; print(sysconfig.get_paths()['include'])")" \
	  $(SPEEDUPS_SOURCES) -o $(SPEEDUPS_SO) && \
	PYTHONMALLOC=malloc ASAN_OPTIONS=detect_leaks=0 HIPFLASK_FUZZ_SCALE=$(FUZZ_SCALE) \
	  LD_PRELOAD="$$(gcc -print-file-name=libasan.so):$$(gcc -print-file-name=libubsan.so)" \
	  $(PY) -m pytest -q -s -p no:cacheprovider tests/http/test_speedups.py \
	    tests/http/test_speedups_app.py tests/http/test_speedups_call.py || status=1; \
	PYTHONMALLOC=malloc ASAN_OPTIONS=detect_leaks=0 \
	  LD_PRELOAD="$$(gcc -print-file-name=libasan.so):$$(gcc -print-file-name=libubsan.so)" \
	  $(PY) -m pytest -q -p no:cacheprovider tests \
	  -k "not 100mb and not callgrind and not does_not_import_orjson" || status=1; \
	$(PY) -m pip install --quiet -e . && exit $$status

clean:
	rm -rf $(VENV) .venv-* .cache .mypy_cache .ruff_cache .pytest_cache build
	find src -name "*.so" -delete
