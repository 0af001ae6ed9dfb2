"""Make HTML exports show the course widgets' static snapshots, everywhere a learner exports.

A notebook executed with its widget state saved exports to HTML with empty widget areas
when the page is offline (nbconvert picks the widget view; its renderer comes from a CDN).
:class:`kubelab.viz.widgets.StaticWidgetsPreprocessor` fixes that when it runs in the
exporter.  Two places export:

- ``jupyter nbconvert --to html`` reads ``<prefix>/etc/jupyter/jupyter_nbconvert_config.json``;
- JupyterLab's *File > Save and Export Notebook As > HTML* runs nbconvert inside the server
  (``jupyter_server/nbconvert/handlers.py``: ``get_exporter(format, config=self.config)``),
  configured by ``<prefix>/etc/jupyter/jupyter_server_config.json`` (a ``.d`` fragment is not
  enough: the server reads those only for extension switches; checked by exporting through
  ``/nbconvert/html/…`` with each).

:func:`install` adds the preprocessor to ``HTMLExporter.preprocessors`` in both files, and
:func:`kubelab.viz.sanitize.clean_html` as the ``clean_html`` filter (``HTMLExporter.filters``):
JupyterLab's export dialog ticks "Sanitize HTML output" by default, and nbconvert's own filter
then escapes every heading, paragraph, table header and diagram (see :mod:`kubelab.viz.sanitize`).
The server file also gets ``ServerApp.contents_manager_class`` =
:class:`kubelab.viz.contents.CourseContentsManager` (jupytext's, serving each notebook with
its kernel's ``language_info``, so a notebook opens with nothing unsaved; see
:mod:`kubelab.viz.contents`).  Whatever else the files hold is kept.  ``make venv``,
``binder/postBuild`` and the hub's ``install.sh`` run it::

    python -m kubelab.viz.export_config [PREFIX]      # default: sys.prefix

Run as a command it also uninstalls, from the environment of the Python that runs it (the
course's), the packages of :data:`SLOW_IMPORTS` (:func:`drop_slow_imports`): ``rfc3987-syntax``,
which jsonschema's ``format-nongpl`` extra pulls in (jupyter_events asks for it) and which builds
about 40 Earley parsers when imported (``rfc3987_syntax/syntax_helpers.py``, 1.1.0): about 2 s of
CPU in every Jupyter server start and every ``import nbformat`` on these machines, for the IRI
formats no Jupyter schema uses.  jsonschema imports it under ``suppress(ImportError)``
(jsonschema 4.26, ``jsonschema/_format.py``) and simply checks no IRI format without it;
upstream: python-jsonschema/jsonschema issues 1392 and 1428.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

__all__ = ["PREPROCESSOR", "FILTERS", "FILES", "CONTENTS_MANAGER", "SLOW_IMPORTS", "install", "drop_slow_imports"]

#: The dotted name nbconvert imports.
PREPROCESSOR = "kubelab.viz.widgets.StaticWidgetsPreprocessor"
#: Jinja filters of the HTML exporter replaced by ours: name -> dotted name.
FILTERS = {"clean_html": "kubelab.viz.sanitize.clean_html"}
#: The Jupyter server's contents manager (jupytext's, notebooks served with their kernel's language_info).
CONTENTS_MANAGER = "kubelab.viz.contents.CourseContentsManager"
#: Optional packages the course's environment goes without: distribution name -> why (module docstring).
SLOW_IMPORTS = {"rfc3987-syntax": "builds ~40 Earley parsers on import (~2 s CPU per Jupyter server start)"}
#: Config files (under <prefix>/etc/jupyter) that must list it.
FILES = ("jupyter_nbconvert_config.json", "jupyter_server_config.json")


def install(prefix: str | Path | None = None) -> list[Path]:
    """Add :data:`PREPROCESSOR` to the HTML exporter's config under ``prefix``; return the files written.

    Idempotent; other settings in the files are kept.  A file that is not a JSON object is
    refused rather than overwritten.

    >>> import tempfile, json
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = install(d); _ = install(d)
    ...     config = json.loads((Path(d) / "etc/jupyter/jupyter_server_config.json").read_text())["HTMLExporter"]
    ...     server = json.loads((Path(d) / "etc/jupyter/jupyter_server_config.json").read_text())["ServerApp"]
    >>> config["preprocessors"], config["filters"]
    (['kubelab.viz.widgets.StaticWidgetsPreprocessor'], {'clean_html': 'kubelab.viz.sanitize.clean_html'})
    >>> server["contents_manager_class"]
    'kubelab.viz.contents.CourseContentsManager'
    """
    folder = Path(prefix if prefix is not None else sys.prefix) / "etc" / "jupyter"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in FILES:
        path = folder / name
        config = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        if not isinstance(config, dict):
            raise ValueError(f"{path}: not a JSON object; add {PREPROCESSOR} to HTMLExporter.preprocessors by hand")
        exporter = config.setdefault("HTMLExporter", {})
        preprocessors = exporter.setdefault("preprocessors", [])
        if PREPROCESSOR not in preprocessors:
            preprocessors.append(PREPROCESSOR)
        exporter.setdefault("filters", {}).update(FILTERS)
        if name == "jupyter_server_config.json":
            config.setdefault("ServerApp", {})["contents_manager_class"] = CONTENTS_MANAGER
        path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


def drop_slow_imports() -> list[str]:
    """Uninstall each package of :data:`SLOW_IMPORTS` installed in this interpreter's environment; their names.

    ``pip uninstall`` through this interpreter; a failure (e.g. a package conda owns) is reported on
    stderr and leaves the package, which only costs time.
    """
    removed = []
    for name, why in SLOW_IMPORTS.items():
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        done = subprocess.run([sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet", name],
                              capture_output=True, text=True)
        if done.returncode == 0:
            removed.append(name)
            print(f"kubelab: uninstalled {name} ({why})")
        else:
            print(f"kubelab: could not uninstall {name} ({why}): {done.stderr.strip()}", file=sys.stderr)
    return removed


if __name__ == "__main__":
    drop_slow_imports()
    for written_path in install(sys.argv[1] if len(sys.argv) > 1 else None):
        print(f"kubelab: HTML exports show widget snapshots and keep headings when sanitized ({written_path})")
