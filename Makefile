# The two commands a newcomer needs: `make up` (start everything) and `make test`.
SHELL := /bin/bash
VENV := .venv
ROLE ?= counter
ORG ?= agii

.PHONY: help install up down status logs token test screenshots test-unit lint docs bench chaos

help:
	@echo "make up       start Postgres, Kafka, Keycloak (staff sign-in) and all services (embedded default, no Docker)"
	@echo "make down     stop everything; data stays in .state/"
	@echo "make status   what is running"
	@echo "make logs     last lines of every process log (make logs P=intake-api to follow one)"
	@echo "make token    print a token from the local issuer (ROLE=counter|counsellor|..., ORG=agii|atlas|...)"
	@echo "make test     the whole test suite against real Postgres and Kafka"
	@echo "make lint     ruff, import-linter (architecture contracts), deptry (declared dependencies)"
	@echo "make docs     regenerate the event catalogue and JSON Schemas"
	@echo "make bench    run every benchmark under bench/ (each prints its ratio last)"
	@echo "make chaos    the fault-injection suite, full length (make test runs a short one)"

install:
	deploy/local/python-env.sh
	deploy/local/infra.sh install

up:
	deploy/local/stack.sh up

down:
	deploy/local/stack.sh down

status:
	deploy/local/stack.sh status

logs:
	deploy/local/stack.sh logs $(P)

token: install
	@$(VENV)/bin/civic-token --role $(ROLE) --org $(ORG) --keys $${CIVIC_STATE:-.state}/jwt

test: install
	deploy/local/browser.sh
	deploy/local/keycloak.sh install
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Each role's main page, signed in at Keycloak, into docs/screenshots (the workplace suite).
screenshots: install
	deploy/local/browser.sh
	deploy/local/keycloak.sh install
	CIVIC_SCREENSHOTS=$(CURDIR)/docs/screenshots $(VENV)/bin/pytest tests/e2e/test_workplace.py $(PYTEST_ARGS)

test-unit: install
	$(VENV)/bin/pytest -m "unit or contract" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	@for p in libs/common services/intake services/trajecten services/tolken services/rapportage; do \
	  (cd $$p && $(CURDIR)/$(VENV)/bin/deptry . --no-ansi) || exit 1; done

docs: install
	$(VENV)/bin/python -m civic_common.events.catalogue

bench: install
	deploy/local/infra.sh start
	@for b in bench/*.py; do echo "== $$b"; $(VENV)/bin/python $$b || exit 1; done

chaos: install
	CIVIC_CHAOS=full $(VENV)/bin/pytest tests/chaos -s $(PYTEST_ARGS)
