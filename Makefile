# The verbs people type. Everything runs from the project's own virtualenv in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Development defaults; real deployments set these in the environment.
DEV_ENV := DEBUG=$${DEBUG:-true}
# 32+ bytes: HS256 keys shorter than the hash are refused by careful JWT libraries.
TEST_ENV := SECRET_KEY=$${SECRET_KEY:-insecure-test-only-key-0123456789abcdef}
# Local PostgreSQL and Redis for the whole suite (see `make services`).
SERVICES_ENV := DATABASE_URL=postgres://postgres@127.0.0.1:5432/expert_support REDIS_URL=redis://127.0.0.1:6379/0

.PHONY: help venv run migrate seed createsuperuser test test-all services lint format bench clean

help:
	@echo "make run      set up and serve the API on http://127.0.0.1:$(PORT) (daphne)"
	@echo "make test     set up and run the test suite on what is configured"
	@echo "make services start local PostgreSQL and Redis (Debian/Ubuntu packages)"
	@echo "make test-all the whole suite on the local PostgreSQL and Redis"
	@echo "make lint     ruff, ruff format, import-linter (layers), mypy, migrations check"
	@echo "make bench    run the load benchmark (see docs/performance.md)"
	@echo "make migrate  apply database migrations"
	@echo "make createsuperuser  create a staff account for /admin/ (DJANGO_SUPERUSER_* without a terminal)"

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
	@if [ -n "$$DJANGO_SUPERUSER_EMAIL" ] && [ -n "$$DJANGO_SUPERUSER_PASSWORD" ]; then \
		$(DEV_ENV) $(BIN)/python manage.py createsuperuser --noinput; \
	elif [ -t 0 ]; then \
		$(DEV_ENV) $(BIN)/python manage.py createsuperuser; \
	else \
		echo "No terminal to ask in: set DJANGO_SUPERUSER_EMAIL, DJANGO_SUPERUSER_PASSWORD and DJANGO_SUPERUSER_NAME." >&2; \
		exit 1; \
	fi

run: seed
	$(DEV_ENV) $(BIN)/python -m config.daphne_main -b 127.0.0.1 -p $(PORT) config.asgi:application

test: venv
	$(TEST_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

# Starts the Debian/Ubuntu packages' PostgreSQL and Redis if they are installed and stopped,
# and creates the database. Elsewhere, see the README for the equivalent commands.
services:
	@pg_isready -h 127.0.0.1 -p 5432 -q || pg_ctlcluster --skip-systemctl-redirect "$$(ls /etc/postgresql)" main start
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
	@for _ in $$(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'expert_support'" | grep -q 1 || createdb -h 127.0.0.1 -U postgres expert_support
	@echo "PostgreSQL and Redis are up: make test-all"

test-all: venv
	$(SERVICES_ENV) $(TEST_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

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
