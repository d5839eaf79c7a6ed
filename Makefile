# Two commands do all set-up on a fresh machine:
#   make demo   - install into .venv, simulate a world, run every analysis, write the report
#   make test   - install into .venv (with test extras) and run the test suite
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test bench clean

$(BIN)/marsad: pyproject.toml setup.py $(wildcard src/marsad/readers/native/*)
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(BIN)/marsad

install: $(BIN)/marsad

demo: install
	$(BIN)/marsad --workspace out/demo.duckdb demo --out out/demo

test: install
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) out .pytest_cache
