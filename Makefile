# The two commands of the README: `make demo` and `make test`. Each sets up what it needs.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test install install-test bench-smoke clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install -qq -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install -qq -e '.[test]'

# Decide the sample application with the default project and explain the stored decision.
demo: install
	$(BIN)/composite validate
	$(BIN)/composite decide --input data/sample_application.json --explain

# The lifecycle on a temporary copy of the default project: decide 2,000 applications, record their
# outcomes, shift the population, monitor, retrain from the store, what-if (examples/credit_lifecycle/).
.PHONY: lifecycle
lifecycle: install
	$(BIN)/python examples/credit_lifecycle/run.py

# Every benchmark at a tiny size (smoke: they must run, not be fast), then the whole test suite,
# so that pytest's summary is the last thing printed.
# .ci/system-packages installs the PostgreSQL server and Java runtime the server tests use, when absent.
test: install-test
	bash .ci/system-packages
	$(MAKE) --no-print-directory bench-smoke
	$(BIN)/python -m pytest

bench-smoke:
	@for b in benchmarks/*.py; do echo "== $$b --smoke"; $(BIN)/python $$b --smoke || exit 1; done

clean:
	rm -rf $(VENV) .composite build *.egg-info
