# Two commands for a fresh machine: `make run` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STORE ?= storyweave-data/storyweave.db
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install lint

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

lint: install
	$(BIN)/ruff check src tests
