# digisapo: `make run` to try it, `make test` to check it. Everything else is a helper of those two.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Django 6.1 needs Python >= 3.12: take one from PATH, else from pyenv's versions.
PYTHON ?= $(shell for c in python3.13 python3.12 python3; do \
		p=$$(command -v $$c 2>/dev/null) && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; exit 0; }; \
	done; \
	for p in $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python 2>/dev/null | sort -rV); do \
		$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; exit 0; }; \
	done)

.PHONY: help run test lint format messages clean install install-dev bench

# DEBUG is off unless asked for (config/settings.py); the development targets ask, unless the
# caller set DJANGO_DEBUG already.
run test lint messages: export DJANGO_DEBUG ?= true
# Links in texts point at the server `make run` starts, whatever its PORT.
run: export DIGISAPO_PUBLIC_URL ?= http://127.0.0.1:$(PORT)

help:
	@echo "make run    set up and start digisapo on http://127.0.0.1:$(PORT) with demo data"
	@echo "make test   set up and run the checks and the whole test suite"
	@echo "make bench  measure the busiest pages under load beside a bare Django view (PostgreSQL, wrk)"
	@echo "make lint | format | messages | clean"

$(VENV)/.installed-%: pyproject.toml
	@test -n "$(PYTHON)" || { echo "digisapo needs Python 3.12 or newer. Install it (e.g. 'pyenv install 3.12' or 'apt-get install python3.12') and try again." >&2; exit 1; }
	@test -x $(PY) || { echo "Creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".$(if $(filter dev,$*),[dev],)"
	@rm -f $(VENV)/.installed-*; touch $@

# var/ holds the embedded SQLite database; manage.py commands need it to exist.
install: $(VENV)/.installed-app
	@mkdir -p var
install-dev: $(VENV)/.installed-dev
	@mkdir -p var

# The cache table comes first: data migrations already mark the public pages stale in it.
run: install-dev
	$(PY) manage.py createcachetable
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo
	@echo ""
	@echo "  digisapo: http://127.0.0.1:$(PORT)/   API docs: http://127.0.0.1:$(PORT)/api/docs"
	@echo "  Stop the web app and the worker with Ctrl-C."
	@echo ""
	@# No worker runs yet: task runs still marked running were killed with an earlier one.
	$(PY) manage.py sms_queue --clear-stale --older-than 0
	@# Send what is due, recover what a worker killed earlier left, and schedule the next run.
	$(PY) manage.py send_sms
	@trap 'kill 0' INT TERM EXIT; \
		$(PY) manage.py db_worker & \
		$(PY) manage.py runserver 127.0.0.1:$(PORT) & \
		wait

test: install-dev lint
	$(PY) -m pytest

lint: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check_catalogs

# Not part of `make test`: needs PostgreSQL (BENCH_DATABASE_URL) and takes about two minutes.
# config/bench/run.py says what it does and which BENCH_* variables tune it.
bench: install-dev
	$(PY) -m config.bench.run

format: install-dev
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

messages: install-dev
	$(PY) manage.py refresh_catalogs

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
