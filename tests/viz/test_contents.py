"""kubelab.viz.contents: notebooks are served with their kernel's language_info, so opening one changes nothing.

The browser side (a chapter notebook opened through ``make lab`` stays clean once its kernel is
idle) is ``tests/course/test_learner_path.py``; here the contents manager itself, on copies of
the course's paired notebooks.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import nbformat
import pytest

from kubelab.viz.contents import KERNEL_NAME, CourseContentsManager, complete_language_info, kernel_language_info

ROOT = Path(__file__).resolve().parents[2]


def test_the_language_info_is_what_ipykernel_reports():
    from ipykernel.ipkernel import IPythonKernel

    assert kernel_language_info() == IPythonKernel.language_info


def test_the_kernel_name_is_jupyter_clients_native_kernel():
    from jupyter_client.kernelspec import NATIVE_KERNEL_NAME

    assert KERNEL_NAME == NATIVE_KERNEL_NAME


def test_only_notebooks_of_the_python_kernel_are_completed():
    other = {"metadata": {"kernelspec": {"name": "ir"}, "language_info": {"name": "R"}}}
    assert complete_language_info(json.loads(json.dumps(other))) == other
    bare = {"metadata": {}}
    assert complete_language_info(bare) == {"metadata": {}}
    short = {"metadata": {"kernelspec": {"name": KERNEL_NAME}, "language_info": {"name": "python"}}}
    assert complete_language_info(short)["metadata"]["language_info"] == kernel_language_info()


@pytest.fixture
def course(tmp_path):
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return tmp_path


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb")))
def test_every_course_notebook_is_served_with_the_kernels_language_info(course, name):
    """Opened as JupyterLab opens it (the .ipynb of a MyST pair): the cells as on disk, the full language_info."""
    manager = CourseContentsManager(root_dir=str(course))
    on_disk = nbformat.read(course / "notebooks" / name, as_version=4)
    assert on_disk.metadata.language_info != kernel_language_info()  # the file holds the short form
    model = asyncio.run(manager.get(f"notebooks/{name}", content=True, type="notebook"))
    served = model["content"]
    assert served["metadata"]["language_info"] == kernel_language_info()
    assert served["metadata"]["kernelspec"] == on_disk.metadata.kernelspec
    assert [(c["id"], c["source"]) for c in served["cells"]] == [(c.id, c.source) for c in on_disk.cells]
    listing = asyncio.run(manager.get(f"notebooks/{name}", content=False))
    assert listing["content"] is None  # a listing is not a notebook to complete


def test_a_save_writes_the_pair_as_jupytext_does(course):
    """The manager only adds to what it reads: a save is jupytext's, the .md unchanged by language_info."""
    manager = CourseContentsManager(root_dir=str(course))
    relpath = "notebooks/00-start-here.ipynb"
    md_before = (course / "notebooks/00-start-here.md").read_text()

    async def open_and_save():
        model = await manager.get(relpath, content=True, type="notebook")
        await manager.save({"type": "notebook", "format": "json", "content": model["content"]}, relpath)

    asyncio.run(open_and_save())
    assert (course / "notebooks/00-start-here.md").read_text() == md_before
    assert nbformat.read(course / relpath, as_version=4).metadata.language_info == kernel_language_info()
