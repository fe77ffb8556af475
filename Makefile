# Riffle: `make run` starts the studio, `make test` runs every test. Each sets up what
# it needs on a fresh machine (Python 3.11, Node 20, root) and reuses it the next time:
# stamp files record what is installed, so a second run only redoes what changed.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
STAMP_RUN := $(VENV)/.riffle-requirements
STAMP_DEV := $(VENV)/.riffle-requirements-dev
NODE_STAMP := frontend/node_modules/.riffle-npm-ci
DIST := frontend/dist/index.html
# Everything the build reads, except what it installs and what it writes.
FRONTEND_SOURCES := $(shell find frontend -path frontend/node_modules -prune -o -path frontend/dist -prune -o -type f -print 2>/dev/null)
CHROMIUM := /usr/bin/chromium
REDIS_PROBE_URL := $(or $(REDIS_URL),redis://127.0.0.1:6379/0)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_INSTALL := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get
PYTEST_ARGS ?=

.PHONY: help run test test-reliability build lint audit pytest frontend-test migrate redis-server deps-run deps-test clean distclean

help:
	@echo "make run        start the studio at http://127.0.0.1:8000 (broker, Redis, Celery, web)"
	@echo "make test       lint, frontend tests, then every Python test (unit, integration, browser)"
	@echo "make test-reliability  the fault-injection and load suites at full length (30 s outages, 20 worker kills, 2 x 10 min of load)"
	@echo "make build      build the frontend into frontend/dist"
	@echo "make lint       import contracts (runtime stays pure), ruff, bandit, missing migrations"
	@echo "make audit      known vulnerabilities in the pinned packages (pip-audit; needs pypi.org's JSON API)"
	@echo "make clean      remove build output, test artifacts and caches"
	@echo "make distclean  also remove .venv, frontend/node_modules and var/ (local database)"

# -- the two commands of the README ----------------------------------------------------

run: deps-run
	$(PY) manage.py runstack

test: deps-test
	$(MAKE) lint
	$(MAKE) frontend-test
	$(MAKE) pytest

deps-run: $(STAMP_RUN) $(DIST) redis-server
deps-test: $(STAMP_DEV) $(DIST) $(CHROMIUM) redis-server migrate

# -- Python ----------------------------------------------------------------------------

$(PY):
	@test -n "$(PYTHON)" || { echo "Python 3.11 is needed (python3.11 not found)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
		|| { echo "Python 3.11 is needed; $(PYTHON) is $$($(PYTHON) --version)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP_RUN): requirements.txt | $(PY)
	$(PIP) install -q -r requirements.txt
	@touch $@

# requirements-dev.txt includes requirements.txt, so it satisfies both stamps.
$(STAMP_DEV): requirements.txt requirements-dev.txt | $(PY)
	$(PIP) install -q -r requirements-dev.txt
	@touch $(STAMP_RUN) $@

# -- frontend --------------------------------------------------------------------------

$(NODE_STAMP): frontend/package-lock.json frontend/package.json
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

$(DIST): $(NODE_STAMP) $(FRONTEND_SOURCES)
	cd frontend && npm run build
	@touch $@

build: $(DIST)

frontend-test: $(NODE_STAMP)
	cd frontend && npm test

# -- machine packages (Debian), only when absent ---------------------------------------

$(CHROMIUM):
	$(APT_INSTALL) update -qq
	$(APT_INSTALL) install -y -qq chromium

# A private redis-server is only needed when no Redis answers.
redis-server: $(STAMP_RUN)
	@if ! command -v redis-server >/dev/null && ! $(PY) -m studio.lib.devservices redis-answers "$(REDIS_PROBE_URL)"; then \
		echo "no Redis answers at $(REDIS_PROBE_URL) and redis-server is absent: installing it"; \
		$(APT_INSTALL) update -qq && $(APT_INSTALL) install -y -qq redis-server; \
	fi

# -- database, lint, tests -------------------------------------------------------------

migrate: $(STAMP_RUN)
	$(PY) manage.py migrate --noinput -v 0

lint: $(STAMP_DEV)
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check --no-cache runtime studio tests bench manage.py
	$(VENV)/bin/bandit -c pyproject.toml -q -r runtime studio bench manage.py --severity-level medium
	$(PY) manage.py makemigrations --check --dry-run -v 1

# Known vulnerabilities of every pinned package, from PyPI's per-release JSON API. Not part
# of `make test`: it needs that service, and where it does not answer (a machine that only
# reaches a package index) this says so and fails rather than audit nothing.
audit: $(STAMP_DEV)
	@status=$$($(PY) -c 'import pip_audit, requests; print("HTTP", requests.get(f"https://pypi.org/pypi/pip-audit/{pip_audit.__version__}/json", timeout=20).status_code)' 2>/dev/null || echo 'no answer'); \
	if [ "$$status" != "HTTP 200" ]; then \
		echo "make audit: pip-audit's vulnerability service (https://pypi.org/pypi/<name>/<version>/json) is unreachable from here ($$status); nothing was audited" >&2; exit 1; \
	fi
	$(VENV)/bin/pip-audit --strict -r requirements.txt -r requirements-dev.txt --vulnerability-service pypi

# Exit code 5 means "no tests collected": a broken path or filter, never a pass.
pytest: $(STAMP_DEV)
	@mkdir -p test-artifacts
	@rc=0; $(PY) -m pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests ($(PYTEST_ARGS)); failing" >&2; exit 1; fi; \
	exit $$rc

# The fault-injection and bad-input suites (pytest -m reliability) at full length:
# outages last 30 s instead of make test's 10 s, and the worker-kill drill counts
# 1,000,000 lines through 20 kills instead of 30,000 through 3. The worker's database
# outage needs PostgreSQL (DATABASE_URL); on SQLite it is skipped, saying so. The two
# load suites run 10 minutes each. Bounded: 80 minutes in all. -s: the suites print
# their figures.
test-reliability: deps-test
	@mkdir -p test-artifacts
	RIFFLE_OUTAGE_S=30 RIFFLE_KILL_RECORDS=1000000 RIFFLE_KILLS=20 \
		RIFFLE_LOAD_CLIENTS=200 RIFFLE_LOAD_RPS=50 RIFFLE_LOAD_S=600 \
		RIFFLE_STREAM_LOAD_S=600 RIFFLE_STREAM_BACKLOG=500000 \
		timeout --signal=INT 4800 $(PY) -m pytest -m reliability -rs -s $(PYTEST_ARGS)

# -- cleaning --------------------------------------------------------------------------

clean:
	rm -rf frontend/dist test-artifacts .pytest_cache .hypothesis var/static
	find . -path ./.venv -prune -o -path ./frontend/node_modules -prune -o -name __pycache__ -type d -print0 | xargs -0 rm -rf

distclean: clean
	rm -rf $(VENV) frontend/node_modules var
