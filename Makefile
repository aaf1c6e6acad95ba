# Newcomer entry points; see README.md.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# uv, pinned, only to regenerate the lock files (make lock); installing never needs it.
UV_VERSION := 0.13.9

.PHONY: install test test-fast serve lint openapi lock deploy-test image

# The locked set (requirements/test.lock: the runtime lock plus test tools) is what CI tests and what the
# image installs (requirements/runtime.lock); `pip check` proves it satisfies pyproject.toml.
$(BIN)/argilla-maint: pyproject.toml requirements/test.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --require-hashes -r requirements/test.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/pip check
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
	$(BIN)/ruff check service tests bench migrations deploy helm/argilla-maintenance/files
	$(BIN)/ruff format --check service tests bench migrations deploy helm/argilla-maintenance/files
	$(BIN)/mypy service tests bench
	$(BIN)/lint-imports

openapi: install
	$(BIN)/argilla-maint openapi > openapi/openapi.json

## Regenerate the lock files from pyproject.toml (newest versions the ranges allow; run the suite after).
lock:
	$(PYTHON) -m venv .lock-tools && .lock-tools/bin/pip install -q uv==$(UV_VERSION)
	.lock-tools/bin/uv pip compile pyproject.toml requirements/build.in --universal --python-version 3.11 \
	  --generate-hashes --no-header -q -o requirements/runtime.lock
	.lock-tools/bin/uv pip compile pyproject.toml requirements/build.in --extra test --universal --python-version 3.11 \
	  --generate-hashes --no-header -q -c requirements/runtime.lock -o requirements/test.lock

## Build the image with buildah on a locally made Debian base (see README, "Deployment").
image:
	deploy/image.sh build

## Build the image, Helm and the manifest validator; render and validate the chart; run the image and the hooks
## (migrate mode and http mode, a hook killed mid-migration).
deploy-test: install
	deploy/tools.sh
	$(BIN)/python -m pytest deploy/tests
