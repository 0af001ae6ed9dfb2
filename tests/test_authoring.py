"""kubelab.authoring: MyST Markdown sources in, notebooks out; bad sources refused whole, with one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kubelab import authoring

HEADER = "---\nkernelspec:\n  display_name: Python 3 (ipykernel)\n  language: python\n  name: python3\n---\n\n"
GOOD = HEADER + '+++ {"id": "title"}\n\n# Title\n\n```{code-cell}\n:id: hello\n\nprint("hello")\n```\n'


def _course(tmp_path: Path, **sources: str) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "jupytext.toml").write_text('formats = "ipynb,md:myst"\n')
    for name, text in sources.items():
        (folder / f"{name}.md").write_text(text)
    return tmp_path


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kubelab.authoring", *args], capture_output=True, text=True)


def test_writes_the_notebook_with_the_sources_ids_and_no_outputs(tmp_path):
    root = _course(tmp_path, a=GOOD)
    done = _run(str(root))
    assert done.returncode == 0, done.stderr
    nb = json.loads((root / "notebooks/a.ipynb").read_text())
    assert [(c["cell_type"], c["id"]) for c in nb["cells"]] == [("markdown", "title"), ("code", "hello")]
    assert nb["cells"][1]["outputs"] == [] and nb["cells"][1]["execution_count"] is None
    assert nb["metadata"] == {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                             "name": "python3"}, "language_info": {"name": "python"}}
    assert (nb["nbformat"], nb["nbformat_minor"]) == (4, 5)
    assert _run("--check", str(root)).returncode == 0


def test_check_names_a_stale_notebook_and_one_without_source(tmp_path):
    root = _course(tmp_path, a=GOOD)
    assert authoring.main([str(root)]) == 0
    (root / "notebooks/a.md").write_text(GOOD.replace("# Title", "# Another title"))
    (root / "notebooks/orphan.ipynb").write_text((root / "notebooks/a.ipynb").read_text())
    done = _run("--check", str(root))
    assert done.returncode == 1
    assert done.stdout.splitlines() == ["out of date: notebooks/a.ipynb",
                                        "out of date: notebooks/orphan.ipynb (no orphan.md beside it)"]


def test_check_ignores_formatting_but_not_outputs(tmp_path):
    root = _course(tmp_path, a=GOOD)
    authoring.main([str(root)])
    path = root / "notebooks/a.ipynb"
    nb = json.loads(path.read_text())
    path.write_text(json.dumps(nb, indent=4))  # another writer, same notebook
    assert authoring.stale(root) == []
    nb["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hello\n"}]
    path.write_text(json.dumps(nb))
    assert authoring.stale(root) == ["notebooks/a.ipynb"]


@pytest.mark.parametrize("bad, field", [
    (GOOD.replace(":id: hello\n", ""), "cell 2 (code cell starting 'print(\"hello\")'): metadata field 'id' is missing"),
    (GOOD.replace(':id: hello', ':id: title'), "cell 2 (code cell starting 'print(\"hello\")'): metadata field 'id' "
                                               "'title' is already the id of cell 1"),
    (GOOD.replace('{"id": "title"}', '{"id": "a title"}'), "cell 1 (markdown cell starting '# Title'): metadata "
                                                           "field 'id' is 'a title'"),
])
def test_a_bad_source_is_one_error_line_and_nothing_is_written(tmp_path, bad, field):
    root = _course(tmp_path, a=GOOD, b=bad)
    done = _run(str(root))
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: notebooks/b.md: {field}"), lines
    assert "Traceback" not in done.stderr
    assert not list((root / "notebooks").glob("*.ipynb")), "a.ipynb written although b.md is bad"


def test_a_course_without_a_jupytext_config_is_refused(tmp_path):
    done = _run(str(tmp_path))
    assert done.returncode == 2 and done.stderr.startswith("error: ") and "jupytext.toml" in done.stderr


def test_notebook_from_text_keeps_metadata_and_source_exactly():
    text = HEADER + '```{code-cell}\n---\nid: q1\nnbgrader:\n  grade: true\n  grade_id: q1\n  points: 2\n---\nx = 1\n```\n'
    nb = authoring.notebook_from_text(text)
    assert nb.cells[0].metadata == {"id": "q1", "nbgrader": {"grade": True, "grade_id": "q1", "points": 2}}
    assert nb.cells[0].source == "x = 1" and nb.cells[0].id == "q1"
