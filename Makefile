# Two commands for a fresh machine: `make demo` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup tools demo stop status test format

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

## tools: system tools the tests use: promtool (Debian's prometheus package), when missing
tools:
	@command -v promtool >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends prometheus >/dev/null; \
	  else echo "promtool missing: install Debian's prometheus package (alert tests skip)"; fi; }

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
