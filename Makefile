# Two commands for a fresh machine: `make demo` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo stop status test format

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

## test: set up and run the linter and the whole test suite
test: setup
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
