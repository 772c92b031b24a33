# Vertex Gateway Admin: `make run` serves the product, `make test` runs the whole suite.
# Both create .venv on first use and reinstall only when pyproject.toml changes.

# The first interpreter that really is 3.11 or 3.12 (a pyenv shim may exist without its version).
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do \
	if $$p -c 'import sys, venv, ensurepip; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 13))' >/dev/null 2>&1; \
	then command -v $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test lint check clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or 3.12 with venv is required (apt-get install python3 python3-venv)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/python bin/run

# routing's tests run first, without Django (STYLE.md habit 1); then the app's and the browser's.
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -p no:django -W ignore::pytest.PytestConfigWarning tests/routing $(PYTEST_ARGS)
	$(BIN)/python -m pytest tests/gateway_admin tests/browser $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

check: $(VENV)/.installed
	$(BIN)/python manage.py check

clean:
	rm -rf $(VENV) var/staticfiles .pytest_cache .ruff_cache
