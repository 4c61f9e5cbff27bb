# The verbs people type. Everything runs from the project's own virtualenv in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Development defaults; real deployments set these in the environment.
DEV_ENV := DEBUG=$${DEBUG:-true}
TEST_ENV := SECRET_KEY=$${SECRET_KEY:-insecure-test-only-key}

.PHONY: help venv run migrate seed createsuperuser test lint format bench clean

help:
	@echo "make run      set up and serve the API on http://127.0.0.1:$(PORT) (daphne)"
	@echo "make test     set up and run the whole test suite"
	@echo "make lint     ruff, ruff format, import-linter (layers), mypy, migrations check"
	@echo "make bench    run the load benchmark (see docs/performance.md)"
	@echo "make migrate  apply database migrations"
	@echo "make createsuperuser  create a staff account for /admin/"

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

migrate: venv
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput

seed: migrate
	$(DEV_ENV) $(BIN)/python manage.py seed_expert

createsuperuser: migrate
	$(DEV_ENV) $(BIN)/python manage.py createsuperuser

run: seed
	$(DEV_ENV) $(BIN)/python -m config.daphne_main -b 127.0.0.1 -p $(PORT) config.asgi:application

test: venv
	$(TEST_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo
	$(TEST_ENV) $(BIN)/mypy
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: venv
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
