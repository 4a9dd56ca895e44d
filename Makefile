# The two commands of the README's quick start, and a few helpers.
#
# Everything runs in the project's own virtual environment (.venv), created from
# whichever python3 is found (Debian's with PEP 668, pyenv, conda alike) and
# re-installed only when pyproject.toml changes (the stamp files below).
PYTHON ?= $(shell command -v python3 2>/dev/null || command -v python 2>/dev/null)
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: install install-test serve test lint typecheck deps-check bench clean-venv

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "error: no python3 found; install Python 3.11 or newer" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "error: $(PYTHON) is older than Python 3.11" >&2; exit 1; }
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "error: '$(PYTHON) -m venv' failed; on Debian/Ubuntu: apt-get install python3-venv" >&2; exit 1; }

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) install -e '.[test]'
	@touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

serve: $(VENV)/.installed
	$(BIN)/paperfeed serve

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n 2 -q

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy

# Every import declared where it belongs: src/ in [project.dependencies], tests/ and benchmarks/ in extras.
deps-check: $(VENV)/.installed-test
	$(BIN)/deptry src
	@# tests import the test extra (dev dependencies) by design; smtp_sink is tests/digest's own helper module;
	@# scripts/make_embed_fixture.py runs once, outside this venv, against the reference sentence-transformers.
	$(BIN)/deptry tests benchmarks scripts --exclude '\.venv' --ignore DEP002,DEP004 \
		-kf paperfeed -kf tests -kf smtp_sink --per-rule-ignores DEP001=sentence_transformers

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/ingest_throughput.py

clean-venv:
	rm -rf $(VENV)
