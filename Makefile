# Newcomer entry points; see README.md.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test test-fast serve lint openapi

$(BIN)/argilla-maint: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(BIN)/argilla-maint

## Run the whole test suite (starts its own PostgreSQL and search nodes).
test: install
	$(BIN)/python -m pytest

## The fast tier: pure modules only (marker `unit`), no PostgreSQL, search node or Java; seconds.
## The property-testing plugins are not loaded: no unit test uses them, and importing them costs most of the run.
test-fast: install
	$(BIN)/python -m pytest -m unit -q -p no:schemathesis -p no:hypothesispytest -p no:faker tests/unit

## Run the service on the embedded default (SQLite in ~/.argilla) with a printed dev token.
serve: install
	$(BIN)/argilla-maint database migrate
	$(BIN)/argilla-maint serve --dev

lint: install
	$(BIN)/ruff check service tests bench migrations
	$(BIN)/ruff format --check service tests bench migrations
	$(BIN)/mypy service tests bench
	$(BIN)/lint-imports

openapi: install
	$(BIN)/argilla-maint openapi > openapi/openapi.json
