"""The course's Jupyter contents manager: a notebook opens in JupyterLab with nothing unsaved.

Why a notebook was "unsaved" as soon as it opened (issue 11): when its kernel is ready,
JupyterLab writes the kernel's ``language_info`` into the notebook's metadata
(JupyterLab 4.6, ``packages/notebook/src/panel.ts``, ``NotebookPanel._updateLanguage`` ->
``model.setMetadata('language_info', info)``).  The shared model skips the write only when the
value is deep-equal to what is there (``@jupyter/ydoc``, ``YNotebook.setMetadata``:
``JSONExt.deepEqual``); any other value marks the document dirty.  IPython's kernel reports
seven fields, one of them the Python version of the kernel
(ipykernel 7.4, ``ipykernel/ipkernel.py``, ``IPythonKernel.language_info``)::

    {"name": "python", "version": "3.11.7", "mimetype": "text/x-python",
     "codemirror_mode": {"name": "ipython", "version": 3}, "pygments_lexer": "ipython3",
     "nbconvert_exporter": "python", "file_extension": ".py"}

A notebook file cannot hold that for every learner (the version is the learner's Python), so
the course's notebooks carry the short form (``kubelab.authoring``) and the server completes
it when it hands a notebook to the browser: :class:`CourseContentsManager` is jupytext's
contents manager (the notebooks are paired with MyST Markdown) whose :meth:`get` replaces the
``language_info`` of every notebook whose kernel is the server's own ``python3`` with
:func:`kernel_language_info`.  jupyter_client starts that kernel with the server's
interpreter (``jupyter_client/manager.py``, ``KernelManager.format_kernel_cmd``: a kernelspec
``argv[0]`` of ``python``/``python3`` becomes ``sys.executable``), so the version is the
server's.  JupyterLab's later write then changes nothing and the tab stays clean; a save
writes what JupyterLab would have written anyway.

:func:`kubelab.viz.export_config.install` sets it as ``ServerApp.contents_manager_class``
(``make venv``, Binder's ``postBuild``, the hub's install); jupytext's server extension keeps
a contents manager that is already its own (``jupyterlab_jupytext/__init__.py``).

Simplifications: a notebook for another kernel is served as it is; a user-level ``python3``
kernelspec that runs another interpreter would still mark its notebooks dirty on open.

Examples
--------
>>> info = kernel_language_info()
>>> info["name"], info["pygments_lexer"], info["file_extension"]
('python', 'ipython3', '.py')
>>> nb = {"metadata": {"kernelspec": {"name": "python3"}, "language_info": {"name": "python"}}}
>>> complete_language_info(nb)["metadata"]["language_info"] == info
True
"""

from __future__ import annotations

import sys
from typing import Any

from jupytext.async_contentsmanager import AsyncTextFileContentsManager

__all__ = ["KERNEL_NAME", "kernel_language_info", "complete_language_info", "CourseContentsManager"]

#: The kernelspec name of the server's own Python kernel (``jupyter_client.kernelspec.NATIVE_KERNEL_NAME``).
KERNEL_NAME = "python3"


def kernel_language_info() -> dict[str, Any]:
    """The ``language_info`` IPython's kernel on this interpreter reports (``IPythonKernel.language_info``).

    Written out rather than imported, so the server does not import IPython to open a notebook;
    ``tests/viz/test_contents.py`` compares it with ipykernel's own.
    """
    return {"name": "python", "version": sys.version.split()[0], "mimetype": "text/x-python",
            "codemirror_mode": {"name": "ipython", "version": sys.version_info[0]}, "pygments_lexer": "ipython3",
            "nbconvert_exporter": "python", "file_extension": ".py"}


def complete_language_info(nb: Any) -> Any:
    """``nb`` (a notebook dict) with the kernel's full ``language_info`` if its kernel is :data:`KERNEL_NAME`.

    Other notebooks are returned unchanged.
    """
    metadata = nb.get("metadata") if isinstance(nb, dict) else None
    if isinstance(metadata, dict) and (metadata.get("kernelspec") or {}).get("name") == KERNEL_NAME:
        metadata["language_info"] = kernel_language_info()
    return nb


class CourseContentsManager(AsyncTextFileContentsManager):
    """jupytext's contents manager, serving course notebooks with the kernel's ``language_info``.

    See the module docstring; everything else (pairing, saving) is jupytext's.
    """

    async def get(self, path: str, content: bool = True, type: str | None = None, format: str | None = None,
                  **kwargs: Any) -> dict[str, Any]:
        model = await super().get(path, content=content, type=type, format=format, **kwargs)
        if model.get("type") == "notebook" and model.get("content"):
            complete_language_info(model["content"])
        return model
