# Family Portal: `make run` serves the portal with demo data; `make test` runs the whole check.
SHELL := /bin/bash
PYTHON_VERSION := $(shell cat .python-version)
PYENV_PYTHON := $(HOME)/.pyenv/versions/$(PYTHON_VERSION)/bin/python
BOOT_PYTHON := $(shell if [ -x "$(PYENV_PYTHON)" ]; then echo "$(PYENV_PYTHON)"; else command -v python$(basename $(PYTHON_VERSION)) || command -v python3.13 || command -v python3; fi)
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
HOST ?= 127.0.0.1
PORT ?= 8000
DEV_ENV := DJANGO_DEBUG=True
export UV_PYTHON_DOWNLOADS := never

.PHONY: install messages catalogue system-packages run test lint typecheck migrations-check pytest test-browser bench bench-embedded bench-ci screenshots mutate clean

$(VENV)/.installed: pyproject.toml uv.lock
	@test -x $(PY) || $(BOOT_PYTHON) -m venv $(VENV)
	@test -x $(UV) || $(PY) -m pip install --quiet "uv==0.13.8"
	$(UV) sync --frozen --inexact --python $(PY)
	@touch $@

install: $(VENV)/.installed messages

# The translation catalogues (locale/*/LC_MESSAGES/*.po) compiled to .mo; pure Python, no gettext needed.
messages: $(VENV)/.installed
	@$(DEV_ENV) $(PY) manage.py compile_catalogues

# Extract every marked string into the catalogues (needs GNU gettext: tools/system-packages.sh), then compile.
# No source locations and no wrapping, so catalogue diffs stay small and merge cleanly.
CATALOGUE_IGNORE := --ignore node_modules --ignore mutants --ignore staticfiles --ignore bench/results --ignore tests
catalogue: system-packages install
	$(DEV_ENV) $(PY) manage.py makemessages -l es --no-location --no-wrap --no-obsolete $(CATALOGUE_IGNORE)
	$(DEV_ENV) $(PY) manage.py makemessages -d djangojs -l es --no-location --no-wrap --no-obsolete $(CATALOGUE_IGNORE)
	@$(DEV_ENV) $(PY) manage.py compile_catalogues

# Chromium, a font, nginx and npm, installed with apt only when one is missing (README: "System packages").
system-packages:
	@tools/system-packages.sh

run: install
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py load_curriculum
	$(DEV_ENV) $(PY) manage.py load_demo_data
	@echo "Starting the notifications worker and the portal on http://$(HOST):$(PORT)/ (Ctrl-C stops both)"
	@trap 'kill $$WORKER 2>/dev/null' EXIT; \
	  $(DEV_ENV) $(PY) manage.py run_notifications & WORKER=$$!; \
	  $(DEV_ENV) $(PY) -m family_portal.serve --bind $(HOST) --port $(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(DEV_ENV) $(VENV)/bin/mypy .

migrations-check: install
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run

# Two pytest-xdist workers: each has its own test database, cache and channel layer (SQLite, local memory).
TEST_WORKERS ?= 2
pytest: install
	$(DEV_ENV) $(VENV)/bin/pytest -m "not browser" -q -n $(TEST_WORKERS)

node_modules/.package-lock.json: package.json package-lock.json | system-packages
	npm ci --no-audit --no-fund

test-browser: system-packages install node_modules/.package-lock.json
	$(DEV_ENV) $(VENV)/bin/pytest -m browser tests/browser tests/scheduling/test_browser.py -q -n $(TEST_WORKERS)

test: system-packages lint typecheck migrations-check pytest test-browser

screenshots: system-packages install node_modules/.package-lock.json
	$(DEV_ENV) $(PY) tools/screenshots.py

# The headline run: production settings (DJANGO_DEBUG=False, PostgreSQL + pool, Redis, cached templates, two Daphne
# processes and the worker) when PostgreSQL and Redis answer on loopback; otherwise it says so and falls back to the
# embedded default. `make bench-embedded` is the development setup (DEBUG, SQLite, in-memory layer), reported second.
bench: install
	$(PY) -m bench.run --profile auto

bench-embedded: install
	$(DEV_ENV) $(PY) -m bench.run --profile embedded

# The benchmark's deterministic checks (query counts, delivery completeness, consent under load, exactly-once,
# rate-limit fidelity) on PostgreSQL and Redis; timings are reported, never gated. .ci/run calls this.
bench-ci: install
	$(DEV_ENV) $(PY) -m bench.run --ci --db postgres --layer redis

# Mutation testing of one module with the tests listed for it in tools/mutate.py (mutmut, one child, SQLite;
# DB=postgres runs the tests on PostgreSQL: DATABASE_URL, or the local server at 127.0.0.1:5432).
mutate: install
	@test -n "$(MODULE)" || { echo "usage: make mutate MODULE=consent/audit.py [DB=postgres]"; exit 2; }
	$(PY) tools/mutate.py $(MODULE) $(if $(DB),--db $(DB))

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
