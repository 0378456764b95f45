# Two commands set everything up: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint typecheck unit bench install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(BIN)/speakap-sync demo

lint: install-dev
	$(BIN)/ruff check reconciler tests
	$(BIN)/ruff format --check reconciler tests
	@if [ -x $(BIN)/actionlint ] || [ "$$(uname -s)" = Linux ]; then \
	  $(BIN)/actionlint -no-color .github/workflows/*.yml && echo "actionlint: workflows ok"; \
	else echo "actionlint: skipped, its wheel exists for Linux only"; fi
	$(BIN)/zizmor --offline --min-severity medium --quiet .github/workflows action.yml
	@tmp=$$(mktemp -d) && $(BIN)/speakap-sync init "$$tmp/repo" >/dev/null && \
	  $(BIN)/zizmor --offline --min-severity medium --quiet "$$tmp/repo/.github/workflows"; \
	  rc=$$?; rm -rf "$$tmp"; [ $$rc -eq 0 ] && echo "zizmor: workflows, action.yml and init's workflows ok"

typecheck: install-dev
	$(BIN)/mypy

unit: install-dev
	$(BIN)/pytest -q

test: lint typecheck unit

bench: install-dev
	$(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
