# Praksis — the two commands that matter: `make demo` and `make test`.
SHELL := /bin/bash
PORT ?= 8000
# The demo's links in messages queued from the command line use it too (settings.py).
export PORT
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
PYTEST_ARGS ?=

.PHONY: demo test test-sqlite test-postgres lint fmt check bench uv sync browser messages serve

uv:
	@command -v uv >/dev/null 2>&1 || [ -x "$(UV)" ] || pip install --quiet uv

sync: uv
	@uv sync --frozen --quiet

## make demo: install, migrate the embedded SQLite database under var/, seed, serve; the
## outbox worker runs beside the server and delivers mail to var/mail/ and SMS to var/sms/
## (the file backends of development), and stops when the server stops.
demo: sync
	@mkdir -p var
	uv run praksis migrate --no-input -v0
	uv run praksis seed-demo
	uv run praksis collectstatic --no-input -v0
	@echo "Praksis demo on http://127.0.0.1:$(PORT)/  (staff: owner@lund-optik.test / praksis-demo)"
	@echo "Messages it sends: e-mail in var/mail/, SMS in var/sms/outbox.jsonl"
	@uv run praksis send-messages --loop --interval 3 & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT; \
	uv run gunicorn praksis.wsgi:application --bind 127.0.0.1:$(PORT) --workers 2 --threads 8 \
		--worker-class gthread --timeout 60 --graceful-timeout 10

## make test: lint (ruff; lint-imports keeps the layers of ARCHITECTURE.md), migrations check,
## the whole suite on SQLite and (all but the browser tests) on a throwaway PostgreSQL.
test: sync browser lint check test-sqlite test-postgres

browser:
	@bash scripts/ensure_chromium.sh

lint: sync
	uv run ruff check .
	uv run ruff format --check .
	uv run lint-imports

fmt: sync
	uv run ruff check --fix .
	uv run ruff format .

check: sync
	@mkdir -p var
	PRAKSIS_ENV=test uv run praksis makemigrations --check --dry-run -v1
	PRAKSIS_ENV=test uv run praksis check

test-sqlite: sync
	PRAKSIS_ENV=test uv run pytest $(PYTEST_ARGS)

# The browser tests (real Chromium) run once, on SQLite above: what a page shows does not
# depend on the database, and everything below the pages runs on both.
test-postgres: sync
	PRAKSIS_ENV=test uv run python scripts/with_postgres.py -- uv run pytest -m "not browser" $(PYTEST_ARGS)

## make bench: performance figures on PostgreSQL (table on stdout, JSON in var/bench.json).
bench: sync
	@command -v wrk >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)
	uv run python bench/run.py --persons 1000000
	uv run python bench/load.py
	uv run python bench/retention.py

messages: sync
	cd praksis && uv run praksis makemessages -l sv -l nb --no-obsolete && uv run praksis compilemessages
