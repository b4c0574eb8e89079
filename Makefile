# Kefu — `make run` serves the demo, `make test` runs the whole suite. Python 3.11+ is all you need.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
KEFU := $(BIN)/kefu
STAMP := $(VENV)/.installed

.PHONY: run install migrate demo test test-fast test-browser lint fmt bench bench-quick messages clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Kefu needs Python 3.11 or newer on PATH."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,prod]'
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(KEFU) migrate --no-input

demo: migrate
	$(KEFU) demo --quiet-logins

run: demo
	$(KEFU) serve 127.0.0.1:8000

# The suite runs on every core (pytest-xdist; each worker has its own test database).
# `make test TEST_JOBS=0` runs it in one process.
TEST_JOBS ?= auto

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n $(TEST_JOBS)

# The browser journeys alone (they also run in `make test` when /usr/bin/chromium exists;
# without it they are reported as skipped, and CI installs it).
test-browser: install
	$(BIN)/pytest kefu/journeys

test-fast: install
	$(BIN)/pytest -x -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	@set -e; for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b; done

bench-quick: install
	@set -e; for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b --quick; done

# `make messages` extracts the project catalogue (core, accounts, customers, shared templates);
# `make messages APP=tickets [JSON=file.json]` extracts one app's own catalogue and fills it.
OWN_CATALOGUE_APPS := $(patsubst kefu/%/locale,%,$(wildcard kefu/*/locale))
messages: install
ifeq ($(APP),)
	cd kefu && ../$(KEFU) makemessages -l zh_Hans --ignore 'tests/*' --ignore '*/tests/*' \
		$(foreach a,$(OWN_CATALOGUE_APPS),--ignore '$(a)/*')
	$(BIN)/python scripts/po_fill.py $(JSON)
else
	mkdir -p kefu/$(APP)/locale
	cd kefu/$(APP) && ../../$(KEFU) makemessages -l zh_Hans --ignore 'tests/*'
	$(BIN)/python scripts/po_fill.py --po kefu/$(APP)/locale/zh_Hans/LC_MESSAGES/django.po $(JSON)
endif

clean:
	rm -rf $(VENV) var build *.egg-info
