# borderflow developer tasks. Needs only Python >= 3.11 and make; everything else is
# installed into .venv (package registries must be reachable the first time).
#
#   make demo   run the flagship scenario, write its report, say where they are
#   make test   ruff and the test suite
#   make lint   ruff only
#   make clean  remove caches, build files and results (keeps .venv); distclean removes .venv too

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

VENV := .venv
BIN := $(VENV)/bin
VPY := $(BIN)/python
# The interpreter used to create .venv: python3.11 if present, else python3 (checked below).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)

export PIP_DISABLE_PIP_VERSION_CHECK := 1
PIP := $(VPY) -m pip --quiet

# Stamps record what was installed for which pyproject.toml, so repeated runs skip pip.
PYPROJECT_HASH := $(shell { sha256sum pyproject.toml 2>/dev/null || shasum -a 256 pyproject.toml; } | cut -c1-16)
STAMP_BASE := $(VENV)/.installed-$(PYPROJECT_HASH)
STAMP_TEST := $(VENV)/.installed-test-$(PYPROJECT_HASH)

DEMO_SCENARIO := scenarios/belarus-2021
DEMO_OUT := results/belarus-2021

.PHONY: help demo test lint clean distclean

help:
	@echo "make demo       create .venv, install borderflow, run $(DEMO_SCENARIO) and its report"
	@echo "make test       install test tools, run ruff and pytest"
	@echo "make lint       run ruff"
	@echo "make clean      remove caches, build files and results/ (keeps .venv)"
	@echo "make distclean  clean, and remove .venv"

$(VPY):
	@if [ -z "$(PYTHON)" ]; then \
	  echo "error: python3.11 or python3 not found; borderflow needs Python >= 3.11" >&2; exit 1; fi
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "error: $(PYTHON) is Python $$($(PYTHON) -c 'import platform; print(platform.python_version())'); borderflow needs Python >= 3.11" >&2; \
	  echo "       install Python 3.11 or run e.g. 'make PYTHON=/path/to/python3.11 $(MAKECMDGOALS)'" >&2; \
	  exit 1; }
	@echo "creating $(VENV) with $(PYTHON)"
	@$(PYTHON) -m venv $(VENV)

$(STAMP_BASE): pyproject.toml | $(VPY)
	@echo "installing borderflow into $(VENV)"
	@$(PIP) install -e .
	@find $(VENV) -maxdepth 1 -name '.installed-*' ! -name '*-$(PYPROJECT_HASH)' -delete
	@touch $@

$(STAMP_TEST): pyproject.toml | $(VPY)
	@echo "installing borderflow with test tools into $(VENV)"
	@$(PIP) install -e ".[test]"
	@find $(VENV) -maxdepth 1 -name '.installed-*' ! -name '*-$(PYPROJECT_HASH)' -delete
	@touch $@ $(STAMP_BASE)

demo: $(STAMP_BASE)
	@$(BIN)/borderflow run $(DEMO_SCENARIO) --seed 1 --out $(DEMO_OUT)
	@$(BIN)/borderflow report $(DEMO_OUT) -o $(DEMO_OUT)/report.html
	@echo
	@echo "Results are in $(abspath $(DEMO_OUT))"
	@echo "Open the report: $(abspath $(DEMO_OUT))/report.html"

lint: $(STAMP_TEST)
	$(BIN)/ruff check src tests benchmarks

test: lint
	$(VPY) -m pytest -q

clean:
	rm -rf build dist results .pytest_cache .ruff_cache .hypothesis src/*.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
