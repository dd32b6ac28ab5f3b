# Two commands: `make demo` serves Tandem on demo data, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_CONTACTS ?= 5000
DEMO_DB ?= sqlite:///var/demo.db

.PHONY: demo test lint format system-deps bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	TANDEM_DATABASE_URL=$(DEMO_DB) $(BIN)/tandem demo setup --contacts $(DEMO_CONTACTS)
	TANDEM_DATABASE_URL=$(DEMO_DB) $(BIN)/tandem serve

# Chromium (browser tests) and PostgreSQL (second backend) come from Debian when we are root.
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "*** chromium missing and not root: browser tests will be skipped ***"; fi; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else echo "*** PostgreSQL missing and not root: PostgreSQL tests will be skipped ***"; fi; }

	@ldconfig -p | grep -q libpangoft2-1.0 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; \
	  else echo "*** Pango missing and not root: PDF reports will not render ***"; fi; }

test: $(VENV)/.installed-test system-deps
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/pytest -q

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

clean:
	rm -rf var .pytest_cache .ruff_cache
