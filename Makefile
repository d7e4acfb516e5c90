# Two commands for a fresh machine: `make run` serves the app, `make test` proves it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev chromium lint deploy-check demo bench loadtest clean messages i18n-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.run-installed

install: $(VENV)/.run-installed
install-dev: $(VENV)/.dev-installed

# The dev server and one background worker (emails) in one terminal; Ctrl-C stops both. Without
# EMAIL_HOST the worker prints each email here; with it, it sends through that server. The links
# in those emails point at this server (HOST, PORT) unless CASEAPP_SITE_URL names another.
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py example_firm
	$(BIN)/python manage.py recover_messages
	@echo "caseapp: http://$(HOST):$(PORT)/  (staff: http://$(HOST):$(PORT)/staff/)"
	@export CASEAPP_SITE_URL="$${CASEAPP_SITE_URL:-http://$(HOST):$(PORT)}"; \
	$(BIN)/python manage.py db_worker --interval 0.5 --no-startup-delay & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --count $${COUNT:-2000}

# Load and fault test under gunicorn with a fresh database, never db.sqlite3 (docs/loadtest.md).
# PostgreSQL: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test make loadtest (the script
# makes and drops a scratch database on that server). Options: LOADTEST_ARGS="--skip-fault".
loadtest: install
	DATABASE_URL="$${DATABASE_URL:-}" $(BIN)/python scripts/loadtest.py $(LOADTEST_ARGS)

# Benchmark at size against its peers (docs/deploy.md): 100,000 rows on SQLite, or 1,000,000
# in a scratch database caseapp_bench on the server DATABASE_URL names (never that database).
# A seeded database is reused; options: BENCH_ARGS="--count 20000 --fresh". Needs Debian's wrk.
bench: install-dev
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] \
	    && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } \
	    || { echo "make bench needs wrk: install Debian's 'wrk' package." >&2; exit 1; }
	DATABASE_URL="$${DATABASE_URL:-}" $(BIN)/python scripts/bench.py $(BENCH_ARGS)

# Debian's chromium package, when no Chromium is installed (never `playwright install`).
chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
	    || [ -n "$$CHROMIUM_PATH" ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium package for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	elif command -v sudo >/dev/null 2>&1; then \
	    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	    echo "The browser tests need Chromium: install Debian's 'chromium' package or set CHROMIUM_PATH." >&2; \
	    exit 1; \
	fi

lint: install-dev
	$(BIN)/ruff check .

# Production settings must pass Django's deployment checks with no warning at all.
deploy-check: install-dev
	DJANGO_DEBUG=0 DJANGO_SECRET_KEY=deploy-check-$$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n') \
	DJANGO_ALLOWED_HOSTS=caseapp.example CASEAPP_FIELD_KEYS=$$($(BIN)/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())') \
	CASEAPP_BLIND_INDEX_KEY=deploy-check-index-key EMAIL_HOST=smtp.caseapp.example \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

# The Spanish catalogue (caseapp/locale/es): `make messages` regenerates it from the code and
# templates (Django, Jinja2, Python) and compiles the .mo (committed, so a deploy needs no
# gettext); `make i18n-check` fails if it is stale, has untranslated or fuzzy entries, loses a
# placeholder or does not compile. Needs GNU gettext (Debian's `gettext` package).
messages: install-dev
	$(BIN)/python manage.py catalogue update

i18n-check: install-dev
	$(BIN)/python manage.py catalogue check

test: install-dev chromium
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(MAKE) --no-print-directory deploy-check
	$(MAKE) --no-print-directory i18n-check
	$(BIN)/pytest

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
