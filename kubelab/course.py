"""The course's instructor commands: regenerate the learners' notebooks, check a notebook.

``python -m kubelab.course generate [ASSIGNMENT ...]``
    Regenerate ``exercises/<assignment>/`` (nbgrader's release folder) from
    ``solutions/<assignment>/`` (nbgrader's source folder) with nbgrader's
    own Python API, for every assignment or the ones named.  ``make exercises``
    runs this.

``python -m kubelab.course check NOTEBOOK [...]``
    Run the notebook as nbgrader's validator does and exit 1 when any graded
    test fails or a locked cell was changed, 0 otherwise.  (``nbgrader
    validate`` prints the same verdict but always exits 0: upstream issue
    jupyter/nbgrader#1908.)

The course root is the folder holding ``nbgrader_config.py`` (the current
folder or one above it; ``--root`` to choose).  nbgrader's database
(``gradebook.db``) and log land there too; both are git-ignored.

Upstream: ``nbgrader.apps.api.NbGraderAPI.generate_assignment`` and
``nbgrader.validator.Validator.validate`` (nbgrader 0.9).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any, Mapping, Sequence

__all__ = ["find_root", "load_config", "tools_on_path", "assignments", "generate", "validate", "check",
           "scratch_course", "answered", "submit", "autograde", "main"]

CONFIG_FILE = "nbgrader_config.py"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def find_root(start: str | os.PathLike | None = None) -> Path:
    """The course root: the nearest folder at or above ``start`` (default: cwd) with ``nbgrader_config.py``.

    Falls back to the checkout that contains this package (an editable install).
    """
    here = Path(start or Path.cwd()).resolve()
    for folder in [here, *here.parents]:
        if (folder / CONFIG_FILE).is_file():
            return folder
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / CONFIG_FILE).is_file():
        return checkout
    raise FileNotFoundError(f"no {CONFIG_FILE} in {here} or above: run this from the course folder or pass --root")


def load_config(root: str | os.PathLike | None = None) -> Any:
    """nbgrader's configuration from ``<root>/nbgrader_config.py``, with the root and database pinned to ``root``.

    Pinning matters when the course folder is a copy (as in the tests): the
    file computes its root from its own location, and the database must be
    the copy's.
    """
    from traitlets.config.loader import PyFileConfigLoader

    root_path = Path(root) if root is not None else find_root()
    root_path = root_path.resolve()
    cfg = PyFileConfigLoader(CONFIG_FILE, path=str(root_path)).load_config()
    cfg.CourseDirectory.root = str(root_path)
    cfg.CourseDirectory.db_url = f"sqlite:///{root_path / 'gradebook.db'}"
    return cfg


def assignments(root: str | os.PathLike | None = None) -> list[str]:
    """The assignments: the folders of ``solutions/`` (nbgrader's source directory), sorted."""
    root_path = Path(root) if root is not None else find_root()
    cfg = load_config(root_path)
    source = root_path / cfg.CourseDirectory.source_directory
    return sorted(p.name for p in source.iterdir() if p.is_dir() and not p.name.startswith("."))


def tools_on_path() -> None:
    """Put this interpreter's ``bin/`` first on ``PATH``.

    nbgrader creates a new ``gradebook.db`` by running the ``alembic`` command
    found on ``PATH`` (``nbgrader.api.get_alembic_version``); when the course
    runs as ``.venv/bin/python -m kubelab.course`` without an activated venv,
    that command is not found and generating fails with
    ``FileNotFoundError: 'alembic'``.
    """
    bindir = str(Path(sys.executable).parent)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if bindir not in parts:
        os.environ["PATH"] = os.pathsep.join([bindir, *[p for p in parts if p]])


def _api(cfg: Any) -> Any:
    from nbgrader.apps import NbGraderAPI

    tools_on_path()
    return NbGraderAPI(config=cfg)


def generate(names: Sequence[str] | None = None, root: str | os.PathLike | None = None) -> list[str]:
    """Regenerate the release (``exercises/``) of the named assignments, or of all of them.

    Returns the assignments generated; raises :class:`RuntimeError` with
    nbgrader's log when one fails.
    """
    root_path = Path(root) if root is not None else find_root()
    cfg = load_config(root_path)
    names = list(names) if names else assignments(root_path)
    known = assignments(root_path)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"no assignment {', '.join(unknown)} in {cfg.CourseDirectory.source_directory}/ "
                         f"(assignments: {', '.join(known) or 'none'})")
    api = _api(cfg)
    for name in names:
        result = api.generate_assignment(name, force=True)
        if not result.get("success"):
            raise RuntimeError(f"nbgrader could not generate {name}:\n{result.get('error', '')}\n{result.get('log', '')}")
    return names


def _coursedir(root: str | os.PathLike | None) -> Any:
    """nbgrader's ``CourseDirectory`` of the course at ``root``: folder names with nbgrader's defaults filled in."""
    from nbgrader.coursedir import CourseDirectory

    return CourseDirectory(config=load_config(root if root is not None else find_root()))


def scratch_course(dest: str | os.PathLike, root: str | os.PathLike | None = None) -> Path:
    """A throwaway course at ``dest``: ``nbgrader_config.py`` and the source folder (``solutions/``) copied.

    :func:`load_config` pins the copy's root and database, so :func:`generate`, :func:`submit` and
    :func:`autograde` with ``root=dest`` leave the real course alone (benchmarks, tests).
    """
    root_path = Path(root) if root is not None else find_root()
    source = _coursedir(root_path).source_directory
    dest_path = Path(dest)
    dest_path.mkdir(parents=True, exist_ok=True)
    shutil.copy2(root_path / CONFIG_FILE, dest_path / CONFIG_FILE)
    shutil.copytree(root_path / source, dest_path / source, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return dest_path


def _answer(cell: Any) -> str:
    """What a learner who answers right types in an answer cell: the instructor's text without the markers."""
    if cell.cell_type != "code":
        return cell.source
    marks = ("### BEGIN SOLUTION", "### END SOLUTION")
    return "\n".join(line for line in cell.source.split("\n") if line.strip() not in marks)


def answered(assignment: str, root: str | os.PathLike | None = None) -> dict[str, Any]:
    """The release notebooks of ``assignment`` with every answer cell (by ``grade_id``) holding the
    instructor's answer: what a student who answers everything right submits.  File name -> notebook.
    """
    import nbformat

    root_path = Path(root) if root is not None else find_root()
    dirs = _coursedir(root_path)
    source = root_path / dirs.source_directory / assignment
    release = root_path / dirs.release_directory / assignment
    out = {}
    for path in sorted(release.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        answers = {c.metadata["nbgrader"]["grade_id"]: _answer(c)
                   for c in nbformat.read(source / path.name, as_version=4).cells
                   if c.metadata.get("nbgrader", {}).get("solution")}
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution") and meta.get("grade_id") in answers:
                cell.source = answers[meta["grade_id"]]
        out[path.name] = nb
    return out


def submit(student: str, assignment: str, notebooks: Mapping[str, Any],
           root: str | os.PathLike | None = None) -> Path:
    """Write ``notebooks`` (file name -> notebook) where ``autograde`` looks for ``student``'s submission."""
    import nbformat

    root_path = Path(root) if root is not None else find_root()
    dest = root_path / _coursedir(root_path).submitted_directory / student / assignment
    dest.mkdir(parents=True, exist_ok=True)
    for name, nb in notebooks.items():
        nbformat.write(nb, dest / name)
    return dest


def autograde(assignment: str, student: str, root: str | os.PathLike | None = None) -> None:
    """nbgrader's autograde of one student's submission of ``assignment`` (the student is created if new);
    raises :class:`RuntimeError` with nbgrader's log when it fails."""
    root_path = Path(root) if root is not None else find_root()
    result = _api(load_config(root_path)).autograde(assignment, student, force=True, create=True)
    if not result.get("success"):
        raise RuntimeError(f"nbgrader could not autograde {assignment} for {student}:\n"
                           f"{result.get('error', '')}\n{result.get('log', '')}")


def validate(notebook: str | os.PathLike, root: str | os.PathLike | None = None) -> dict[str, list[dict[str, str]]]:
    """nbgrader's validation results for one notebook (empty when everything passes).

    Keys, when present: ``type_changed``, ``changed`` (locked cells edited),
    ``failed`` (graded tests that fail, with ``raw_error``).
    """
    from nbgrader.validator import Validator

    path = Path(notebook).resolve()
    try:
        cfg = load_config(root if root is not None else find_root(path.parent))
    except FileNotFoundError:
        cfg = None
    validator = Validator(config=cfg) if cfg is not None else Validator()
    return validator.validate(str(path))


def check(notebook: str | os.PathLike, root: str | os.PathLike | None = None, *, out: Any = None) -> int:
    """Validate ``notebook``, print the verdict and return the exit status: 0 passed, 1 not."""
    out = out or sys.stdout
    results = validate(notebook, root)
    if not results:
        print(f"{notebook}: passed", file=out)
        return 0
    for kind, cells in results.items():
        what = {"type_changed": "cell type changed", "changed": "locked cell changed",
                "failed": "test failed", "passed": "test passed"}.get(kind, kind)
        for cell in cells:
            print(f"{notebook}: {what}:", file=out)
            print("    " + cell.get("source", "").replace("\n", "\n    "), file=out)
            if cell.get("raw_error"):
                print("  " + _ANSI.sub("", cell["raw_error"]).strip().replace("\n", "\n  "), file=out)
    print(f"{notebook}: {sum(len(v) for v in results.values())} problem(s)", file=out)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kubelab.course", description=__doc__.split("\n")[0])
    parser.add_argument("--root", help="the course folder (default: where nbgrader_config.py is found)")
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="regenerate exercises/ from solutions/ with nbgrader")
    gen.add_argument("assignments", nargs="*", metavar="ASSIGNMENT")
    chk = sub.add_parser("check", help="validate notebooks; exit 1 when a graded test fails")
    chk.add_argument("notebooks", nargs="+", metavar="NOTEBOOK")
    args = parser.parse_args(argv)

    if args.command == "generate":
        try:
            done = generate(args.assignments, args.root)
        except (ValueError, RuntimeError, FileNotFoundError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        for name in done:
            print(f"generated exercises/{name}/")
        return 0
    status = 0
    for nb in args.notebooks:
        if not Path(nb).is_file():
            print(f"error: no such notebook: {nb}", file=sys.stderr)
            status = 1
            continue
        status = max(status, check(nb, args.root))
    return status


if __name__ == "__main__":
    sys.exit(main())
