# The two commands a learner needs: `make lab` and `make test`.
# Everything runs from the project venv in .venv/, created on first use.

PYTHON_BASE := $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV        := .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
OVERRIDES   := $(VENV)/share/jupyter/lab/settings/overrides.json
# JupyterLab refuses to start as root unless told.
ALLOW_ROOT  := $(if $(filter 0,$(shell id -u)),--allow-root,)
PYTEST_ARGS ?=
# The class's hub (`make hub`, tests/hub) is installed apart from .venv, readable by every user.
HUB_HOME    ?= /opt/kubelab-hub
HUB_STAMP   := $(HUB_HOME)/.installed
HUB_PORT    ?= 8000
HUB_ARGS    ?=
# `make lab` serves the repository root (so notebooks/, exercises/ and a terminal's cwd are all
# the course) and opens START.  ROLE=learner (default) hides nbgrader's instructor tools through
# etc/learner (see etc/learner/README.md); ROLE=instructor (`make instructor`) shows everything.
# LAB_ARGS go to `jupyter lab` last, e.g. LAB_ARGS="--no-browser --port=0".
ROLE        ?= learner
LAB_ARGS    ?=
START       := notebooks/00-start-here.ipynb
LEARNER_CFG := $(CURDIR)/etc/learner

.PHONY: venv lab instructor lite test bench notebooks exercises autograde feedback grades clean hub hub-env

venv: $(STAMP)

# The overrides turn off JupyterLab's "news" prompt and update check (the course works offline) and
# save the widgets' state with the notebook (an HTML export then shows what the learner left them at).
# export_config makes HTML exports (nbconvert and JupyterLab's menu) show the widgets' static snapshots.
# It also sets the contents manager that opens notebooks with nothing unsaved, and uninstalls
# rfc3987-syntax (an optional jsonschema extra that costs every Jupyter server ~2 s of CPU at start).
$(STAMP): pyproject.toml kubelab/viz/export_config.py
	test -x $(PY) || $(PYTHON_BASE) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[desktop,test,lite]'
	mkdir -p $(dir $(OVERRIDES))
	printf '%s\n' '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}, "@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": true}}' > $(OVERRIDES)
	$(PY) -m kubelab.viz.export_config
	touch $@

# The venv's bin/ first on PATH: `kubelab check ...` works in a JupyterLab terminal.  The terminal's
# shell is named, so jupyter_server_terminals does not make it a login shell when make's output is
# not a terminal (a login shell reads /etc/profile, which resets PATH).
lab: $(STAMP)
	$(if $(filter-out learner instructor,$(ROLE)),$(error ROLE must be learner or instructor, not "$(ROLE)"))
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" \
	$(if $(filter learner,$(ROLE)),JUPYTER_CONFIG_PATH="$(LEARNER_CFG)$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}") \
	$(VENV)/bin/jupyter lab $(ALLOW_ROOT) --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/$(START) \
	  "--ServerApp.terminado_settings=shell_command=$${SHELL:-/bin/sh}" $(LAB_ARGS)

instructor:
	$(MAKE) lab ROLE=instructor

# The in-browser edition (JupyterLite, docs/lite.md): a static site in build/lite/ that needs no
# server and no other host. Downloads (npm pyodide, pure wheels) are kept in build/lite-cache/.
lite: $(STAMP)
	$(PY) -m kubelab.lite

# As root the class tests (tests/hub) run too: they need the hub's own install.
test: $(STAMP) $(if $(filter 0,$(shell id -u)),$(HUB_STAMP),)
	KUBELAB_HUB_HOME=$(HUB_HOME) $(PY) -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) benchmarks/run.py

# Rewrite every .ipynb from the MyST Markdown beside it (notebooks/*.md; docs/authoring.md), with
# no outputs: run it after editing a .md, or after saving a notebook from JupyterLab.
notebooks: $(STAMP)
	$(PY) -m kubelab.authoring

# Regenerate the learners' notebooks (exercises/) from the nbgrader sources (solutions/).
exercises: $(STAMP)
	$(PY) -m kubelab.course generate

# Instructors: grade what is in submitted/<student>/<assignment>/ (copied there, or collected from
# a JupyterHub exchange with `nbgrader collect`), then write feedback/ (hidden tests removed, outputs
# made inert, see nbgrader_config.py) and grades.csv.  ASSIGNMENT=a01-pods-and-namespaces by default.
# autograde runs each learner's notebook in the bubblewrap sandbox and its tests in a clean checker
# (docs/grading-sandbox.md): it needs `bwrap` (Debian package bubblewrap).
# nbgrader runs alembic from PATH when it creates gradebook.db: the venv's bin/ comes first.
ASSIGNMENT  ?= a01-pods-and-namespaces
NBGRADER    := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m nbgrader

autograde: $(STAMP)
	@command -v bwrap >/dev/null || { echo "error: autograde runs learners' notebooks inside bubblewrap: install bwrap (Debian package bubblewrap); see docs/grading-sandbox.md" >&2; exit 2; }
	$(NBGRADER) autograde $(ASSIGNMENT) --create

feedback: $(STAMP)
	$(NBGRADER) generate_feedback $(ASSIGNMENT)

grades: $(STAMP)
	$(NBGRADER) export --to grades.csv

# A class on this machine's JupyterHub (docs/instructors.md): throw-away accounts for an
# instructor and a few students, on http://127.0.0.1:$(HUB_PORT)/, until Ctrl-C.  Needs root.
# (HUB_HOME, HUB_STAMP, HUB_PORT and HUB_ARGS are set at the top: `test` depends on HUB_STAMP.)

hub-env: $(HUB_STAMP)

$(HUB_STAMP): pyproject.toml deploy/hub/install.sh $(shell git ls-files kubelab 2>/dev/null)
	deploy/hub/install.sh $(HUB_HOME)

hub: $(HUB_STAMP)
	KUBELAB_HUB_HOME=$(HUB_HOME) $(HUB_HOME)/venv/bin/python deploy/hub/classroom.py run --port $(HUB_PORT) $(HUB_ARGS)

# Leaves .venv alone; `rm -rf .venv` for a new one.
clean:
	rm -rf build dist test-artifacts .pytest_cache .hypothesis
	find . -path ./.venv -prune -o \( -name __pycache__ -o -name '*.egg-info' -o -name .ipynb_checkpoints \) -type d -print0 | xargs -0 rm -rf
