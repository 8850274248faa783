# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
export VCLINIC_DATABASE_URL ?= sqlite+aiosqlite:///./var/vclinic.db

.PHONY: run test install lint typecheck pytest openapi lock bench clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(BIN)/uv requirements/dev.lock pyproject.toml
	$(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes -r requirements/dev.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

install: $(VENV)/.installed

run: install
	mkdir -p var
	VCLINIC_DEV_MODE=true $(BIN)/vclinic migrate
	VCLINIC_DEV_MODE=true $(BIN)/vclinic serve --host 127.0.0.1 --port 8000

lint: install
	$(BIN)/ruff check app adapters schemas tests bench
	$(BIN)/ruff format --check app adapters schemas tests bench

typecheck: install
	$(BIN)/mypy app adapters schemas

pytest: install
	$(BIN)/pytest -n auto --dist loadfile --cov --cov-report=term:skip-covered -q $(PYTEST_ARGS)

test: lint typecheck pytest

openapi: install
	$(BIN)/vclinic openapi > openapi/openapi.json

lock: $(BIN)/uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -q -o requirements/dev.lock
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -q -o requirements/app.lock

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .coverage
