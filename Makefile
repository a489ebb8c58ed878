# 善治 Shanzhi. `make run` serves the demo; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?= -n 2 --durations=30
FLASK := $(BIN)/flask --app portal

.PHONY: setup assets run test test-sqlite test-postgres bench lint format translations extract-messages clean

setup: $(VENV)/.installed static/vendor/.copied translations assets

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error --ignore-scripts
	@touch $@

static/vendor/.copied: node_modules/.package-lock.json
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/axe-core/axe.min.js static/vendor/axe.min.js
	@touch $@

# Fingerprinted, precompressed copies of static/ (portal/assets.py); fast when nothing changed.
assets: $(VENV)/.installed static/vendor/.copied
	@$(BIN)/python -m portal.assets build

translations: $(VENV)/.installed
	@$(BIN)/pybabel -q compile --use-fuzzy -d portal/translations

run: setup
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	@$(FLASK) demo-logins
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: setup test-sqlite test-postgres

test-sqlite:
	@echo "== Test suite on SQLite =="
	$(BIN)/pytest $(PYTEST_ARGS)

test-postgres:
	@echo "== Test suite on PostgreSQL ($(TEST_DATABASE_URL)) =="
	@if $(BIN)/python -c "import psycopg, sys; psycopg.connect(sys.argv[1], connect_timeout=3).close()" "$(TEST_DATABASE_URL)" 2>/dev/null; then \
		TEST_DATABASE_URL="$(TEST_DATABASE_URL)" $(BIN)/pytest --db=postgres $(PYTEST_ARGS); \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL at $(TEST_DATABASE_URL) is unreachable and CI=true: the PostgreSQL leg cannot be skipped."; exit 1; \
	else \
		echo "SKIPPED the PostgreSQL leg: no PostgreSQL reachable at $(TEST_DATABASE_URL) (set TEST_DATABASE_URL)."; \
	fi

bench: setup
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || { echo "make bench needs wrk (apt-get install wrk)"; exit 1; }
	$(BIN)/python -m bench.run $(ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

extract-messages: setup
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -o portal/translations/messages.pot --no-location --sort-output .
	if [ -s portal/translations/en/LC_MESSAGES/messages.po ]; then \
		$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching; \
	else \
		$(BIN)/pybabel init -i portal/translations/messages.pot -d portal/translations -l en; \
	fi

clean:
	rm -rf $(VENV) node_modules static/vendor static/build
