# Two commands for a fresh machine: `make demo` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup browser demo stop status test format

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

## demo: set up, start the stack (Temporal, simulator, worker, API) and run the main job
demo: setup
	$(BIN)/python -m scripts.stack up
	$(BIN)/python -m scripts.demo

## stop: stop every process `make demo` started
stop: setup
	$(BIN)/python -m scripts.stack down

status: setup
	$(BIN)/python -m scripts.stack status

## browser: Debian's Chromium for the console's browser tests, installed when missing (needs
## root; without it those tests skip, or fail under REQUIRE_BROWSER=1 as in CI)
browser:
	@test -x /usr/bin/chromium || { test "$$(id -u)" = 0 && apt-get update -qq \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
		|| echo "chromium is missing (apt-get install chromium): the browser tests will skip"

## test: set up and run the linter and the whole test suite
test: setup browser
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
