# The kit's two commands (see README): `make run` and `make test`.
# Each creates .venv from the pinned requirements on first use; nothing else is needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test clean-venv

run: $(VENV)/installed.stamp
	$(BIN)/python -m helpers.pipeline

test: $(VENV)/installed.stamp
	LUNGKIT_FAST=1 $(BIN)/python -m pytest

$(VENV)/installed.stamp: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(None if sys.version_info[:2] == (3, 11) else "Python 3.11 is needed: run make PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

clean-venv:
	rm -rf $(VENV)
