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

.PHONY: venv lab test bench exercises clean

venv: $(STAMP)

# The overrides turn off JupyterLab's "news" prompt and update check: the course works offline.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON_BASE) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[test]'
	mkdir -p $(dir $(OVERRIDES))
	printf '%s\n' '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}' > $(OVERRIDES)
	touch $@

lab: $(STAMP)
	$(VENV)/bin/jupyter lab $(ALLOW_ROOT) notebooks/00-start-here.ipynb

test: $(STAMP)
	$(PY) -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) benchmarks/run.py

# Regenerate the learners' notebooks (exercises/) from the nbgrader sources (solutions/).
exercises: $(STAMP)
	$(PY) -m kubelab.course generate

# Leaves .venv alone; `rm -rf .venv` for a new one.
clean:
	rm -rf build dist test-artifacts .pytest_cache .hypothesis
	find . -path ./.venv -prune -o \( -name __pycache__ -o -name '*.egg-info' -o -name .ipynb_checkpoints \) -type d -print0 | xargs -0 rm -rf
