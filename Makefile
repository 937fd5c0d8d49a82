# The two commands of the README: `make run` and `make test`.
# Both create (or reuse) .venv and install exactly the pinned dependencies.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test browser install lint format migrate demo worker messages check-deploy clients clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; v=sys.version_info; sys.exit(0 if (3,11) <= v[:2] < (3,13) else "okrkpi needs Python 3.11 or 3.12, found %d.%d" % v[:2])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet ".[dev]"
	@rm -rf build *.egg-info
	@touch $(STAMP)

install: $(STAMP)

## make run: the whole app on http://$(HOST):$(PORT) (default 127.0.0.1:8000) with demo data, worker and beat.
## Ctrl-C stops all three within a few seconds.
run: install
	$(BIN)/python manage.py migrate --noinput
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python manage.py seed_demo
	@echo "okrkpi: starting on http://$(HOST):$(PORT)/ (web, worker, beat; Ctrl-C stops them)"
	HOST=$(HOST) PORT=$(PORT) $(BIN)/honcho -f Procfile.dev start

## make test: the whole suite (DATABASE_URL / REDIS_URL select PostgreSQL / Redis), browser tests included,
## spread over one pytest-xdist worker per CPU, each with its own test database. TEST_WORKERS=0: one process.
TEST_WORKERS ?= auto
test: install browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

## make browser: Debian's chromium and its driver for the browser tests; installed when missing and we are root.
## Otherwise the test run ends with one line saying which browser tests were skipped and why.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing chromium and chromium-driver for the browser tests…"; \
	  (apt-get install -y --no-install-recommends chromium chromium-driver >/dev/null 2>&1 || \
	   (apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends chromium chromium-driver >/dev/null 2>&1)) || \
	  echo "Could not install chromium; the browser tests will be skipped."; \
	fi

## make clients: the Python client and TypeScript types integrators generate from the OpenAPI schema,
## generated with the pinned generators; any warning, or clients/typescript/example.ts failing
## `tsc --strict` against the types, fails it (scripts/api_clients.sh; needs node and npm).
clients: install
	bash scripts/api_clients.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: install
	$(BIN)/python manage.py seed_demo

worker: install
	$(BIN)/celery -A okrkpi worker --beat --loglevel=INFO

## make messages: refresh and compile the Vietnamese translations.
messages: install
	$(BIN)/python manage.py makemessages -l vi --no-obsolete --ignore=.venv --ignore=var --ignore=build
	$(BIN)/python manage.py makemessages -d djangojs -l vi --no-obsolete --ignore=.venv --ignore=var --ignore=static/vendor
	$(BIN)/python manage.py compilemessages --ignore=.venv

## make check-deploy: the deploy checks, then collectstatic exactly as the Dockerfile runs it
## (into a throwaway folder): a static file the manifest storage refuses fails here, not in production.
check-deploy: install
	DJANGO_SETTINGS_MODULE=okrkpi.settings.production SECRET_KEY=$$($(BIN)/python -c 'import secrets;print(secrets.token_urlsafe(64))') \
	  ALLOWED_HOSTS=okr.example.com DATABASE_URL=$${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres} \
	  REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  DJANGO_SETTINGS_MODULE=okrkpi.settings.production SECRET_KEY=$$($(BIN)/python -c 'import secrets;print(secrets.token_urlsafe(64))') \
	  OKRKPI_VAR_DIR=$$tmp $(BIN)/python manage.py collectstatic --noinput >/dev/null && echo "collectstatic: ok"

clean:
	rm -rf $(VENV) var build *.egg-info .pytest_cache .ruff_cache
