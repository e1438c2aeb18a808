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

.PHONY: setup system-data data lab instructor test lint notebooks student-kit hub hub-proxy

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP) data  ## venv + dependencies + datasets

# Offline FashionMNIST comes from Debian's dataset-fashion-mnist. Install it when it is missing,
# data_cache/ lacks FashionMNIST and apt-get can run (as root, or through password-less sudo);
# otherwise `grader.data prepare` says what to install.
DEBIAN_FASHION_DIR ?= /usr/share/datasets/fashion-mnist
AS_ROOT := $(if $(filter 0,$(shell id -u)),,sudo -n)

system-data:
	@if [ ! -d $(DEBIAN_FASHION_DIR) ] && [ ! -f data_cache/FashionMNIST/raw/train-images-idx3-ubyte ] \
	    && command -v apt-get >/dev/null && { [ "$$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; \
	then \
	  echo "installing Debian's dataset-fashion-mnist (FashionMNIST, offline) with apt-get"; \
	  $(AS_ROOT) apt-get update -qq && $(AS_ROOT) apt-get install -y -qq dataset-fashion-mnist \
	    || echo "apt-get could not install dataset-fashion-mnist"; \
	fi

data: $(STAMP) system-data  ## fill data_cache/ (offline-capable)
	$(BIN)/python -m grader.data prepare

LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json

# Offline classrooms: don't ask students whether to fetch Jupyter news. Widget state is saved with
# the notebook, so a reopened notebook shows its finished progress bars, not "model not found".
# kit/lab/ holds the Lab's settings once, for this Lab, the student kit's and the hub's.
$(LAB_SETTINGS): $(STAMP) kit/lab/overrides.json
	@mkdir -p $(dir $@)
	@cp kit/lab/overrides.json $@

# LaTeX in HTML exports renders offline: MathJax from the installed jupyter-server-mathjax
# (grader/core/mathjax.py), for the Lab's "Save and Export As" and for `jupyter nbconvert`.
ETC := $(VENV)/etc/jupyter
MATHJAX_CONFIG := $(ETC)/jupyter_server_config.d/course-mathjax.json
$(MATHJAX_CONFIG): $(STAMP)
	@mkdir -p $(dir $@)
	@$(BIN)/python -c 'import json; from grader.core.mathjax import url; \
	  print(json.dumps({"HTMLExporter": {"mathjax_url": url()}} if url() else {}))' > $@
	@cp $@ $(ETC)/jupyter_nbconvert_config.json

# The student's Lab leaves out nbgrader's instructor tools (Formgrader, Create Assignment, the
# course list) and the Assignment List, which needs an exchange that a local Lab does not have
# (on a JupyterHub with an exchange it belongs); the Nbgrader menu, left empty, goes too (Validate
# is a notebook toolbar button). A config folder first on JUPYTER_CONFIG_PATH turns off their Lab
# plugins and server extensions. `make instructor` opens the Lab with everything.
# The two files come from kit/lab/, as in the student kit.
STUDENT_CONFIG := $(VENV)/etc/student-lab

$(STUDENT_CONFIG)/labconfig/page_config.json: $(STAMP) kit/lab/page_config.json \
    kit/lab/jupyter_server_config.json
	@mkdir -p $(dir $@)
	@cp kit/lab/jupyter_server_config.json $(STUDENT_CONFIG)/jupyter_server_config.json
	@cp kit/lab/page_config.json $@

LAB_CONFIGS := $(LAB_SETTINGS) $(MATHJAX_CONFIG)
lab: setup $(LAB_CONFIGS) $(STUDENT_CONFIG)/labconfig/page_config.json  ## the student's Lab
	JUPYTER_CONFIG_PATH=$(CURDIR)/$(STUDENT_CONFIG) \
	  $(BIN)/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

instructor: setup $(LAB_CONFIGS)  ## JupyterLab on the whole course, with nbgrader's Formgrader
	$(BIN)/jupyter lab $(ROOT_FLAG) $(LAB_ARGS)

test: setup hub-proxy  ## the whole test suite (what CI runs)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

notebooks: $(STAMP)  ## regenerate notebooks/ from solutions/ (nbgrader generate_assignment)
	$(BIN)/python -m grader.release

student-kit: $(STAMP)  ## what students receive: dist/student-kit/ and dist/student-kit.zip
	$(BIN)/python -m grader.kit

.PHONY: autograde-demo
DEMO_JOBS ?= $(shell nproc 2>/dev/null || echo 2)

# The instructor's workflow on a made-up class (grader/classroom/sample_class.py): ~20 students with real
# misconceptions and hostile notebooks, graded in parallel, then feedback and the class report.
autograde-demo: setup  ## sample class in submitted/, autograded (all five), feedback, reports/
	$(BIN)/python -m grader.sample_class
	$(BIN)/python -m grader.autograde all --jobs $(DEMO_JOBS) || [ $$? -eq 1 ]  # 1: some not graded
	$(BIN)/python -m grader.feedback
	$(BIN)/python -m grader.analytics || [ $$? -eq 1 ]

# JupyterHub for a class on this machine (python -m grader.hub; run as root): Unix accounts for
# the roster (CSV: username,role,password), nbgrader's exchange, the Formgrader for the
# instructor only. configurable-http-proxy comes from npm into .hub/, never globally.
HUB_PROXY := .hub/node_modules/.bin/configurable-http-proxy
ROSTER ?= roster.csv
HUB_ARGS ?=

$(HUB_PROXY):
	npm install --prefix .hub --no-save --silent configurable-http-proxy@4

hub-proxy:  ## configurable-http-proxy in .hub/ (when npm is there; the hub test needs it)
	@if [ -x $(HUB_PROXY) ]; then :; elif command -v npm >/dev/null; then $(MAKE) $(HUB_PROXY); \
	else echo "npm missing: no configurable-http-proxy, so no JupyterHub (make hub, its test)"; fi

hub: setup $(HUB_PROXY) $(LAB_CONFIGS)  ## JupyterHub serving the course to the class in $(ROSTER)
	$(BIN)/python -m grader.hub serve --roster $(ROSTER) $(HUB_ARGS)
