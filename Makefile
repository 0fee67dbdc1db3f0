# Two commands a newcomer needs: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RAW ?= raw
CLEAN ?= clean
PYTEST_ARGS ?=

.PHONY: run test fuzz bench bench-quick lint format verify clean-output

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else \
		"article-pipeline needs Python 3.11 or newer; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# One stamp per set of extras, redone when pyproject.toml changes.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/python -m pipeline ingest $(RAW) $(CLEAN)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The fuzz corpus at full size (tests/fuzzing.py): 10,000 inputs read one by one, 300 through
# the real flow. `make test` runs the same tests on a few dozen.
fuzz: $(VENV)/.installed-dev
	FUZZ_INPUTS=10000 FUZZ_FLOW_INPUTS=300 $(BIN)/python -m pytest -q -s tests/pipeline/readers/test_fuzz.py

verify: $(VENV)/.installed-run
	$(BIN)/python -m pipeline verify $(CLEAN) --raw-dir $(RAW)

bench: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks

bench-quick: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks --quick

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean-output:
	find $(CLEAN) -mindepth 1 ! -name README.md -exec rm -rf {} +
