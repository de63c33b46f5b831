# The kit's two commands (see README): `make run` and `make test`.
# Each creates .venv from the pinned requirements on first use; nothing else is needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test test-quick test-library notebooks benchmark clean-venv

# The main job: the five notebooks executed in full mode into artifacts/notebooks/;
# notebook 5 writes artifacts/metrics.json.
run: $(VENV)/installed.stamp
	$(BIN)/python notebooks/execute.py

# The library tests, then nbval re-runs every notebook in fast mode and compares the
# outputs of the cells marked NBVAL_CHECK_OUTPUT with those stored.
# On two pytest-xdist workers (tests/conftest.py groups the tests): the graded class keeps one busy, the
# other tests the other.
PARALLEL = -n 2 --dist loadgroup
test: $(VENV)/installed.stamp
	LUNGKIT_FAST=1 $(BIN)/python -m pytest $(PARALLEL) tests notebooks --nbval-lax --nbval-current-env

# The loop after each change, under 2 minutes: the unit tier (tests/unit: the kit's modules without the
# dataset, a kernel, the sandbox or a browser). The other tiers: pytest tests/sandbox, pytest tests/e2e.
test-quick: $(VENV)/installed.stamp
	LUNGKIT_FAST=1 $(BIN)/python -m pytest $(PARALLEL) tests/unit

# The library's tests (the test modules that do not import the grading package) and the fast
# nbval, without the grading and student-side round trips, e.g. on another Python:
# make PYTHON=python3.13 VENV=.venv-3.13 test-library
LIBRARY_TESTS = $(shell grep -L -E '^(from|import) grading' tests/*/test_*.py)
test-library: $(VENV)/installed.stamp
	LUNGKIT_FAST=1 $(BIN)/python -m pytest $(LIBRARY_TESTS) notebooks --nbval-lax --nbval-current-env

# Maintainers: refresh the outputs stored in the notebooks from a full run, then commit them.
notebooks: $(VENV)/installed.stamp
	$(BIN)/python notebooks/execute.py --inplace

# Maintainers: train every recipe on the real data and redraw the README's figure. About an
# hour on 2 cores; the timings are wall-clock, so run it on an otherwise idle machine.
# make benchmark RESUME=1 goes on from an interrupted run on the same machine.
benchmark: $(VENV)/installed.stamp
	$(BIN)/python benchmarks/train_recipes.py $(if $(RESUME),--resume)
	$(BIN)/python benchmarks/plot_results.py

$(VENV)/installed.stamp: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(None if (3, 11) <= sys.version_info[:2] <= (3, 13) else "Python 3.11, 3.12 or 3.13 is needed: run make PYTHON=/path/to/python3.13")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

clean-venv:
	rm -rf $(VENV)

# Instructors (grading/README.md): release the assignment, then grade a folder of hand-ins.
# make grade SUBMISSIONS=folder_or_lms_zip [JOBS=2] [ROSTER=canvas_export_or_moodle_worksheet.csv]
COURSE ?= grading/course

.PHONY: release grade

release: $(VENV)/installed.stamp
	$(BIN)/python -m grading --course $(COURSE) release

grade: $(VENV)/installed.stamp
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder (one folder or zip per student)"; exit 2; }
	@test -f $(COURSE)/nbgrader_config.py || { echo "no release in $(COURSE): run make release first"; exit 2; }
	$(BIN)/python -m grading --course $(COURSE) grade $(SUBMISSIONS) $(if $(JOBS),--jobs $(JOBS)) $(if $(ROSTER),--roster $(ROSTER))
