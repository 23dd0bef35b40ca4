# The two commands a new user needs: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
WITH_ENV_TEST := $(PY) -m strangler.devenv test --
WITH_ENV_DEMO := $(PY) -m strangler.devenv demo --

.PHONY: demo test lint typecheck pytest bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(WITH_ENV_DEMO) $(VENV)/bin/strangler demo

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(WITH_ENV_TEST) $(VENV)/bin/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
