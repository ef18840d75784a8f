# Retour: `make run` (embedded default) and `make test` (the whole suite, as CI runs it);
# `make check` is the quick loop while editing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/retour
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test check checks format bench install messages

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# The embedded default: SQLite, tasks in-process, e-mail to var/mail/, demo data once.
# The system libraries WeasyPrint needs are checked first, before the venv is built.
run:
	@$(PYTHON) scripts/check_system_libs.py
	@$(MAKE) --no-print-directory install
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py seed_demo
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

TEST_ENV = DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)}

# The cheap checks, in seconds: lint and format, the import contracts (one direction of
# imports), types, and no model change without its migration.
checks: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy
	DATABASE_URL=sqlite://:memory: $(PY) manage.py makemigrations --check --dry-run

# The edit-test loop: the cheap checks, then the tests that need no Celery worker, no
# browser and no subprocess (PostgreSQL and Redis still).
check: checks
	$(TEST_ENV) $(PY) -m pytest -q -n 2 -m "not browser and not worker and not slow" $(PYTEST_ARGS)

# Everything CI runs, on PostgreSQL and Redis: the cheap checks first, then every test, in
# two processes (each its own test database), well inside CI's quarter of an hour.
test: checks
	$(TEST_ENV) $(PY) -m pytest -n 2 $(PYTEST_ARGS)

# Benchmarks, each printing its figure beside a baseline measured in the same run.
BENCH_TICKETS ?= 200000
# The back office's pages and the API at each size (tickets), smallest first (bench_data).
BENCH_SIZES ?= 10000,1000000
bench: install
	LOG_LEVEL=WARNING $(PY) benchmarks/bench_labels.py
	$(PY) benchmarks/bench_chase.py --tickets $(BENCH_TICKETS)
	$(PY) benchmarks/bench_pages.py --sizes $(BENCH_SIZES)
	$(PY) benchmarks/bench_api.py --http
	$(PY) benchmarks/bench_import.py
	$(PY) benchmarks/bench_worker_memory.py
	$(PY) benchmarks/bench_withdrawal.py
	$(PY) benchmarks/bench_portal.py --sizes $(BENCH_SIZES)
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) benchmarks/bench_sepa.py
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) benchmarks/bench_exports.py --runs 1

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: install
	$(PY) manage.py makemessages -l nl --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*'
	$(PY) manage.py compilemessages --ignore '.venv/*'
