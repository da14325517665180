# `make run` and `make test` do all set-up on a fresh machine: venv, pinned install, catalogs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYBABEL := $(BIN)/pybabel
KEYWORDS := -k _ -k __ -k N_ -k ngettext:1,2

.PHONY: run test test-postgres lint format migrate i18n i18n-extract i18n-update i18n-compile bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the lock file or the project's metadata changed.
$(STAMP): requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP) i18n-compile
	@$(BIN)/python -m bot run

migrate: $(STAMP)
	$(BIN)/python -m bot migrate

test: $(STAMP) i18n-compile
	$(BIN)/python -m pytest

# The same suite on PostgreSQL (CI does this too). The database in TEST_DATABASE_URL (default
# educrm_test on 127.0.0.1:5432) is created if the server lacks it; its tables are rebuilt.
test-postgres: $(STAMP) i18n-compile
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/educrm_test} $(BIN)/python -m pytest

# lint-imports checks the import contracts in pyproject.toml ([tool.importlinter]).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

i18n-extract: $(STAMP)
	$(PYBABEL) extract -F babel.cfg $(KEYWORDS) --no-location --sort-output \
		--project=educrm-bot --copyright-holder="EduCRM bot" -o locales/messages.pot .

i18n-update: i18n-extract
	$(PYBABEL) update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete

i18n-compile: $(STAMP)
	@$(PYBABEL) -q compile -d locales -D messages

i18n: i18n-update i18n-compile

bench: $(STAMP) i18n-compile
	$(BIN)/python benchmarks/startup.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
