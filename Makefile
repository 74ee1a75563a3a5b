# Starport: `make run` sets up and runs the server; `make test` sets up and runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RUNTIME_STAMP := $(VENV)/.installed-runtime

.PHONY: run test lint bench clean check-python lock

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Starport needs Python 3.11 or newer (set PYTHON=python3.x)")'

$(STAMP): requirements.lock pyproject.toml | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

# What serving needs, and no more (no test or lint tools): requirements-runtime.lock.
$(RUNTIME_STAMP): requirements-runtime.lock pyproject.toml | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-runtime.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(RUNTIME_STAMP)

## Set up, migrate the embedded database, and serve (sandbox Telegram and Crypto Pay without tokens).
run: $(RUNTIME_STAMP)
	mkdir -p var
	$(BIN)/starport db upgrade
	$(BIN)/starport serve

## Set up, then lint, type-check, check the layer rule, and run every test.
test: $(STAMP) lint
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests features bench deploy
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench.ledger

## Re-pin: requirements.lock (everything) with uv, then its runtime subset at the same versions.
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock
	grep -o '^[a-z0-9_.-]*==[^ ]*' requirements.lock > $(VENV)/pins.txt
	uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -c $(VENV)/pins.txt -o requirements-runtime.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
