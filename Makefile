# Two commands set everything up on a fresh machine:
#   make demo   runs mxa demo on the bundled sample mailbox (sample_data/)
#   make test   runs the whole test suite (lint, format check, pytest)
# Each creates the virtual environment it needs in .venv.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.mxa-installed
DEMO_OUT ?= mxa-demo

.PHONY: demo test lint format bench bench-quick clean

$(STAMP): pyproject.toml
	@command -v gpg >/dev/null || (apt-get update -qq && apt-get install -y -qq gnupg)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/mxa demo --out $(DEMO_OUT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest -q

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Slow measurements, outside the test suite: see benchmarks/README.md.
bench: $(STAMP)
	$(BIN)/python benchmarks/ingest_speed.py
	$(BIN)/python benchmarks/components.py

bench-quick: $(STAMP)
	$(BIN)/python benchmarks/ingest_speed.py --messages 2000

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .ruff_cache
