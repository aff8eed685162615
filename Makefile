# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install lock run test lint typecheck check bench fuzz clean browser

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "priorauth needs Python 3.11 or newer (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## Re-pin every dependency (all extras) into constraints.txt after a pyproject.toml change;
## pins already there are kept unless UPGRADE=1. The Dockerfile installs with the same file.
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet 'uv>=0.9,<1'
	$(BIN)/uv pip compile pyproject.toml --all-extras --universal --quiet \
		--custom-compile-command 'make lock' $(if $(UPGRADE),--upgrade) -o constraints.txt

## Start the whole stack on embedded defaults (Temporal dev server, SQLite, worker, API).
run: install
	$(BIN)/priorauth dev

## Debian's Chromium for the browser tests (Playwright drives it; its own browser download is
## not used). Installed with apt-get when missing and we may; else the tests say what to do.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else \
			echo "The browser tests need Chromium: sudo apt-get install chromium"; \
		fi; }

## Lint, type-check and run the whole test suite (browser tests included).
test: install browser check
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: install
	$(BIN)/mypy

check: lint typecheck

## Print the benchmark figures (deadlines, store, letters, cases, API, command line start-up).
bench: install
	$(BIN)/python bench/deadlines.py
	$(BIN)/python bench/store.py
	$(BIN)/python bench/transitions.py
	$(BIN)/python bench/letters.py
	$(BIN)/python bench/cases.py 100
	$(BIN)/python bench/api.py
	$(BIN)/python bench/web.py
	$(BIN)/python bench/payer_stats.py
	$(BIN)/python bench/cli.py
	$(BIN)/python bench/x12.py

## API fuzz, the long run (schemathesis, every route and role); FUZZ_ARGS="--examples 50 --seed 1".
fuzz: install
	$(BIN)/python bench/fuzz.py $(FUZZ_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
