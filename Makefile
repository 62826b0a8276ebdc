# Two commands for a fresh machine: `make run` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STORE ?= storyweave-data/storyweave.db
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-all install lint bench

$(BIN)/storyweave: pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,e5,ray]'
	@touch $(BIN)/storyweave

install: $(BIN)/storyweave

run: install
	$(BIN)/storyweave serve --host $(HOST) --port $(PORT) --store $(STORE) --feeds feeds.opml

test: install
	$(BIN)/ruff check src tests
	$(BIN)/python -m pytest -q

# Everything, nothing skipped: Debian's Chromium for the browser tests and a local PostgreSQL (run as root).
TEST_POSTGRES ?= postgresql://storyweave:storyweave@127.0.0.1:5432/storyweave_test
test-all: install
	@test -x /usr/bin/chromium && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 \
	  || (apt-get update -q && apt-get install -y -q chromium postgresql)
	bash scripts/start-postgres.sh
	$(BIN)/ruff check src tests
	STORYWEAVE_TEST_POSTGRES=$(TEST_POSTGRES) $(BIN)/python -m pytest -q

# Regenerate README's table of measured figures on this machine (about 10 min; `make bench SLOW=--slow` adds
# the 15-min 1M-article bench). The load and a reference workload's time are stated with the figures.
bench: install
	$(BIN)/python scripts/bench_report.py --write README.md $(SLOW)

lint: install
	$(BIN)/ruff check src tests
