# Two commands for a fresh machine: `make demo` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian packages the tests drive: promtool (prometheus) for the alert rules, chromium for the
# console's browser tests. Installed when missing; without root the tests that need them skip
# (or fail under REQUIRE_PROMTOOL=1 / REQUIRE_BROWSER=1, as in CI).
TOOLS := promtool:prometheus chromium:chromium

.PHONY: setup tools demo stop status test format bench bench-api bench-memory

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

## tools: the Debian packages the tests use (see TOOLS), installed when missing
tools:
	@missing=""; for tool in $(TOOLS); do \
	  command -v "$${tool%%:*}" >/dev/null || missing="$$missing $${tool#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "missing Debian packages:$$missing (the tests that need them skip)"; fi; fi

## demo: set up, start the stack (Temporal, simulator, worker, API) and run the main job
demo: setup
	$(BIN)/python -m scripts.stack up
	$(BIN)/python -m scripts.demo

## stop: stop every process `make demo` started
stop: setup
	$(BIN)/python -m scripts.stack down

status: setup
	$(BIN)/python -m scripts.stack status

## test: set up and run the linter and the whole test suite
test: setup tools
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bench: the lifecycle against a bare Temporal workflow of its shape (BENCH_N=100,1000)
bench: setup
	$(BIN)/python -m bench.lifecycle

## bench-api: reads at a fixed 200 requests/s on 10,000 recommendations, SQLite and PostgreSQL
bench-api: setup
	$(BIN)/python -m bench.api_load

## bench-memory: the worker's RSS with 5,000 runs waiting for review (BENCH_WAITING)
bench-memory: setup
	$(BIN)/python -m bench.memory
