# The course's commands. `make lab` for students, `make test` for maintainers and CI.
# Both set everything up first (venv in .venv/, dependencies, datasets) and are fast when
# nothing changed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)
LAB_ARGS ?=
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: setup data lab test lint notebooks student-kit

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP) data  ## venv + dependencies + datasets

data: $(STAMP)  ## fill data_cache/ (offline-capable)
	$(BIN)/python -m grader.data prepare

LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json

# Offline classrooms: don't ask students whether to fetch Jupyter news.
$(LAB_SETTINGS): $(STAMP)
	@mkdir -p $(dir $@)
	@echo '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false"}}' > $@

lab: setup $(LAB_SETTINGS)  ## open JupyterLab on the student notebooks
	$(BIN)/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

test: setup  ## the whole test suite (what CI runs)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

notebooks: $(STAMP)  ## regenerate notebooks/ from solutions/ (nbgrader generate_assignment)
	$(BIN)/python -m grader.release

student-kit: $(STAMP)  ## what students receive: dist/student-kit/ and dist/student-kit.zip
	$(BIN)/python -m grader.kit

.PHONY: autograde-demo
DEMO_JOBS ?= $(shell nproc 2>/dev/null || echo 2)

# The instructor's workflow on a made-up class (grader/sample_class.py): ~20 students with real
# misconceptions and hostile notebooks, graded in parallel, then feedback and the class report.
autograde-demo: setup  ## sample class in submitted/, autograded (all five), feedback, reports/
	$(BIN)/python -m grader.sample_class
	$(BIN)/python -m grader.autograde all --jobs $(DEMO_JOBS)
	$(BIN)/python -m grader.feedback
	$(BIN)/python -m grader.analytics
