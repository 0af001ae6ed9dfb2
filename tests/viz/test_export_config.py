"""kubelab.viz.export_config: both ways a learner exports HTML pick up the widget snapshots.

The real checks run this environment's ``jupyter nbconvert`` and a real Jupyter server's
``/nbconvert/html/`` handler (what JupyterLab's *Save and Export Notebook As > HTML* calls)
with only the config files that ``make venv`` (or ``binder/postBuild``) installed -- no
command-line flag -- on a notebook executed with its widget state saved, and look for the
snapshot and for the absence of a widget view.  A control export with the preprocessor list
emptied on the command line shows the widget view again, so the config is what made the
difference.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import nbformat
import pytest

from kubelab.viz.contents import kernel_language_info
from kubelab.viz.export_config import CONTENTS_MANAGER, FILES, FILTERS, PREPROCESSOR, install
from kubelab.viz.widgets import STATIC_NOTE, WIDGET_VIEW

BIN = Path(sys.executable).parent
HEADING = "# Choosing a plugin\n\nA paragraph."
CELL = 'from kubelab import viz\nviz.plugin_chooser({"policy_egress": True}, as_of="2019-04")'


def test_install_keeps_other_settings_and_is_idempotent(tmp_path):
    folder = tmp_path / "etc" / "jupyter"
    folder.mkdir(parents=True)
    (folder / "jupyter_server_config.json").write_text(json.dumps(
        {"ServerApp": {"port": 9999}, "HTMLExporter": {"preprocessors": ["other.Pre"]}}))
    install(tmp_path)
    install(tmp_path)
    server = json.loads((folder / "jupyter_server_config.json").read_text())
    assert server == {"ServerApp": {"port": 9999, "contents_manager_class": CONTENTS_MANAGER},
                      "HTMLExporter": {"preprocessors": ["other.Pre", PREPROCESSOR], "filters": FILTERS}}
    assert json.loads((folder / "jupyter_nbconvert_config.json").read_text()) == {
        "HTMLExporter": {"preprocessors": [PREPROCESSOR], "filters": FILTERS}}


def test_install_refuses_a_file_that_is_not_an_object(tmp_path):
    folder = tmp_path / "etc" / "jupyter"
    folder.mkdir(parents=True)
    (folder / FILES[0]).write_text("[]")
    with pytest.raises(ValueError, match="not a JSON object"):
        install(tmp_path)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """(folder with w.ipynb executed with widget state, env with private runtime dirs)."""
    from nbclient import NotebookClient

    tmp = tmp_path_factory.mktemp("export-config")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(HEADING), nbformat.v4.new_code_cell(CELL)])
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp)}}).execute()
    assert "widgets" in nb.metadata  # saved state: plain nbconvert would pick the (blank offline) view
    nbformat.write(nb, tmp / "w.ipynb")
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp / "user-config"), JUPYTER_RUNTIME_DIR=str(tmp / "runtime"))
    return tmp, env


def _assert_snapshot(html: str) -> None:
    assert STATIC_NOTE in html, "the static snapshot is missing from the export"
    assert f'<script type="{WIDGET_VIEW}">' not in html, "the export still embeds the widget view"


@pytest.mark.slow
def test_nbconvert_command_uses_the_installed_config(exported):
    tmp, env = exported
    subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--output", "cli", "w.ipynb"],
                   cwd=tmp, env=env, check=True, capture_output=True, timeout=120)
    _assert_snapshot((tmp / "cli.html").read_text(encoding="utf-8"))
    subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--output", "control",
                    "--HTMLExporter.preprocessors=[]", "w.ipynb"],
                   cwd=tmp, env=env, check=True, capture_output=True, timeout=120)
    assert f'<script type="{WIDGET_VIEW}">' in (tmp / "control.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_jupyterlab_export_uses_the_installed_config(exported):
    from tests.course.jupyter_server import start_lab

    tmp, _ = exported
    server = start_lab(tmp, tmp / "lab-home")
    try:
        server.wait_ready()
        url = f"{server.url}/nbconvert/html/w.ipynb?download=false&token={server.token}"
        with urllib.request.urlopen(url, timeout=60) as response:
            _assert_snapshot(response.read().decode("utf-8"))
        # What JupyterLab's export dialog asks by default ("Sanitize HTML output" ticked): still readable.
        with urllib.request.urlopen(url + "&sanitize_html=true", timeout=60) as response:
            sanitized = response.read().decode("utf-8")
        _assert_snapshot(sanitized)
        assert '<h1 id="Choosing-a-plugin">Choosing a plugin' in sanitized and "<p>A paragraph.</p>" in sanitized
        assert "&lt;h1" not in sanitized and "&lt;table" not in sanitized and "&lt;p" not in sanitized
        assert "<table" in sanitized and "<caption" in sanitized  # the snapshot's table, as tags
        # The installed contents manager too (jupytext's extension kept it): the kernel's language_info is served.
        short = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"},
                                                   "language_info": {"name": "python"}})
        nbformat.write(short, tmp / "short.ipynb")
        served = server.api("GET", "/api/contents/short.ipynb?content=1")["content"]["metadata"]["language_info"]
        assert served == kernel_language_info()
    finally:
        server.stop()


def test_the_course_environment_goes_without_the_slow_imports():
    """``make venv`` (through ``python -m kubelab.viz.export_config``) removed them; jsonschema works without."""
    from importlib import metadata

    from kubelab.viz.export_config import SLOW_IMPORTS, drop_slow_imports

    for name in SLOW_IMPORTS:
        with pytest.raises(metadata.PackageNotFoundError):
            metadata.distribution(name)
    assert drop_slow_imports() == []  # nothing left to remove: a no-op
    code = ("import sys, jsonschema, jupyter_server.serverapp; "
            "ok = jsonschema.Draft7Validator({'format': 'uri'}, format_checker=jsonschema.FormatChecker()); "
            "print(ok.is_valid('https://example.org/x'), ok.is_valid('not a uri'), 'rfc3987_syntax' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "False", "False"]
