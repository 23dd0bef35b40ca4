# The two commands a new user needs: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
WITH_ENV_TEST := $(PY) -m strangler.devenv test --
WITH_ENV_DEMO := $(PY) -m strangler.devenv demo --

.PHONY: demo test bench clean unleash

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m pip install --quiet --no-deps 'httpbin>=0.10.2'  # why --no-deps: pyproject.toml
	touch $(STAMP)

demo: $(STAMP)
	$(WITH_ENV_DEMO) $(PY) -m payments_demo

test: $(STAMP)
	@tools/system-deps.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache
	$(WITH_ENV_TEST) $(VENV)/bin/pytest $(PYTEST_ARGS)

# Benchmarks (wrk, h2load and nginx from Debian, installed if missing); BENCH=router|port|http2|server-errors|all.
bench: $(STAMP)
	$(WITH_ENV_TEST) $(PY) -m bench $(BENCH)

# A local Unleash server for the unleash flag provider (npm install on first use, ~40 s).
unleash: $(STAMP)
	$(WITH_ENV_DEMO) $(PY) -m strangler.unleash_local

clean:
	rm -rf $(VENV) build *.egg-info
