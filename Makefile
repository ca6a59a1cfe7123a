# The two commands a newcomer needs:
#   make run   - local stack + migrations + demo data + demo admin + daphne, worker and beat
#   make test  - local test stack + the whole suite against real servers and a real worker
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .devstack/venv
PY := $(VENV)/bin/python
# A new requirements file means a new stamp, so the venv is brought up to date on the next run.
REQS_STAMP := $(VENV)/.installed-$(shell cat requirements/base.txt requirements/dev.txt | sha1sum | cut -c1-12)
# scripts/stack.sh env also sets DJANGO_DEBUG=true: the local stacks accept the development key.
TEST_ENV = set -a && eval "$$(STACK_INSTANCE=test scripts/stack.sh env)" && export STACK_INSTANCE=test

.PHONY: help install run test test-long stack-up stack-status stack-down lint format migrations-check bench drill

help:
	@echo "make run            start the console with demo data on http://127.0.0.1:8000/"
	@echo "make test           run the test suite against real local servers (under 15 minutes)"
	@echo "make test-long      the full-size versions of a few tests (about 4 minutes)"
	@echo "make stack-up|stack-status|stack-down   the local servers (STACK_INSTANCE=test for the test stack)"
	@echo "make lint|format|migrations-check|bench|drill"

$(REQS_STAMP): requirements/base.txt requirements/dev.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements/dev.txt
	@rm -f $(VENV)/.installed-* && touch $@

install: $(REQS_STAMP)

stack-up:
	scripts/stack.sh up

stack-status:
	scripts/stack.sh status

stack-down:
	scripts/stack.sh down

run: install
	scripts/stack.sh up
	scripts/run-console.sh

# TEST_MARKS: which tests; make test leaves out the full-size versions (marked long) that
# make test-long runs, so that the suite stays within its budget.
TEST_MARKS ?= not long
test: install
	STACK_INSTANCE=test scripts/stack.sh up
	scripts/ensure-chromium.sh
	$(TEST_ENV) && $(PY) manage.py ensure_indexes >/dev/null && $(PY) -m pytest -m "$(TEST_MARKS)" $(PYTEST_ARGS)
	@# The tests whose outcome depends on a broker, again on the other one: Redis as Celery's
	@# broker and for the deletion events and requests (5: PYTEST_ARGS selected none of them).
	$(TEST_ENV) && CELERY_BROKER_URL="$$REDIS_URL" DELETION_EVENTS_URL="$$REDIS_URL" \
		$(PY) -m pytest -m "broker and ($(TEST_MARKS))" -p no:cacheprovider $(PYTEST_ARGS) || [ $$? -eq 5 ]

# The full-size versions (marked long, listed in the README's "Reliability"), and the whole
# fuzzing run.
test-long:
	FUZZ_FULL=1 $(MAKE) test TEST_MARKS="long or fuzz"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@# The layers and the circles (pyproject.toml, [tool.importlinter]): fails on an upward import or a cycle.
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrations-check: install
	DJANGO_DEBUG=true $(PY) manage.py makemigrations --check --dry-run

bench: install
	STACK_INSTANCE=test scripts/stack.sh up
	$(TEST_ENV) && $(PY) manage.py migrate -v0 && $(PY) manage.py benchmark_deletion $(BENCH_ARGS)

# The reliability drills: each server stopped mid-job, a worker killed, 20 jobs at once and a
# soak, on the test stack with workers of their own; one table (DRILL_ARGS, e.g. --only redis).
drill: install
	STACK_INSTANCE=test scripts/stack.sh up
	$(TEST_ENV) && $(PY) manage.py migrate -v0 && $(PY) manage.py drill $(DRILL_ARGS)
