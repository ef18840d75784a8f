# Retour: `make run` (embedded default) and `make test` (the whole suite, as CI runs it).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/retour
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test lint format bench install messages

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

# Everything CI runs, on PostgreSQL and Redis.
test: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(PY) -m pytest $(PYTEST_ARGS)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Benchmarks, each printing its figure beside a baseline measured in the same run.
BENCH_TICKETS ?= 200000
bench: install
	LOG_LEVEL=WARNING $(PY) benchmarks/bench_labels.py
	$(PY) benchmarks/bench_chase.py --tickets $(BENCH_TICKETS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: install
	$(PY) manage.py makemessages -l nl --ignore '.venv/*' --ignore 'var/*'
	$(PY) manage.py compilemessages --ignore '.venv/*'
