"""The course's instructor commands: regenerate the learners' notebooks, check a notebook.

``python -m kubelab.course generate [ASSIGNMENT ...]``
    Regenerate ``exercises/<assignment>/`` (nbgrader's release folder) from
    ``solutions/<assignment>/`` (nbgrader's source folder) with nbgrader's
    own Python API, for every assignment or the ones named.  ``make exercises``
    runs this.

``python -m kubelab.course check NOTEBOOK [...]``
    The same command as ``kubelab check`` (an alias: same output, same exit
    status).  :func:`check` runs the notebook as autograding does -- the
    learner's cells in the sandboxed kernel, the visible test cells in the
    clean checker (:mod:`kubelab.grading.execute`) -- against the course's own
    copy of the exercise (:func:`reference`): every graded cell must be there and
    every locked cell keeps the course's text.  Exit 0 every visible test
    passes, 1 a test fails or a cell is missing or changed (one message per
    problem, never a traceback), 2 not an exercise notebook.  (``nbgrader
    validate`` always exits 0, jupyter/nbgrader#1908, and runs the learner's
    code in the same interpreter as the tests.)

The course root is the folder holding ``nbgrader_config.py`` (the current
folder or one above it; ``--root`` to choose).  nbgrader's database
(``gradebook.db``) and log land there too; both are git-ignored.

Upstream: ``nbgrader.apps.api.NbGraderAPI.generate_assignment`` and
``nbgrader.validator.Validator`` (what it reports: changed, missing and failed cells), nbgrader 0.9.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any, Mapping, Sequence

__all__ = ["find_root", "load_config", "tools_on_path", "assignments", "generate", "read_exercise", "reference",
           "prepare", "check", "check_all",
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


#: A notebook larger than this is not an exercise (the course's largest is well under 1 MB).
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024


def read_exercise(notebook: str | os.PathLike) -> Any:
    """The notebook at ``notebook``, or a :class:`~kubelab.errors.KubelabError` saying why it is not an exercise.

    Missing, a folder, larger than :data:`MAX_NOTEBOOK_BYTES`, not JSON, not a
    Jupyter notebook, or a notebook without an autograded test cell: each is one
    line naming the file.
    """
    import nbformat

    from .errors import KubelabError

    path = Path(notebook)
    if not path.exists():
        raise KubelabError(f"{notebook}: no such notebook")
    if not path.is_file():
        raise KubelabError(f"{notebook}: not a notebook file (a folder or a device)")
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        raise KubelabError(f"{notebook}: larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB: not an exercise notebook")
    try:
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        nbformat.validate(nb)
    except (OSError, UnicodeDecodeError) as exc:
        raise KubelabError(f"{notebook}: cannot be read: {exc.__class__.__name__}") from None
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds (JSON, schema, recursion) for a bad file
        why = "not JSON" if isinstance(exc, ValueError) and "JSON" in str(exc)[:200] else "not a Jupyter notebook"
        raise KubelabError(f"{notebook}: {why} ({exc.__class__.__name__})") from None
    if not any(c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.cells):
        raise KubelabError(f"{notebook}: not an exercise notebook: it has no nbgrader cell")
    return nb


def reference(notebook: str | os.PathLike, root: str | os.PathLike | None = None) -> tuple[Any | None, str]:
    """The course's own copy of ``notebook`` to check it against, and where it came from.

    The instructor's source (``solutions/<assignment>/<file>``) when the course
    has it, else the release (``exercises/<assignment>/<file>``) when that is
    another file than ``notebook``; ``(None, "")`` when there is neither (a
    notebook outside any course: it is checked against its own locked cells).
    The test cells come back as the learner's release has them: hidden tests removed.
    """
    import nbformat

    from .grading.execute import is_test_cell
    from .grading.feedback import release_source

    path = Path(notebook).resolve()
    try:
        root_path = Path(root) if root is not None else find_root(path.parent)
        dirs = _coursedir(root_path)
    except (FileNotFoundError, OSError):
        return None, ""
    for folder in (dirs.source_directory, dirs.release_directory):
        candidate = root_path / folder / path.parent.name / path.name
        if not candidate.is_file():  # a copy elsewhere (a download, a hub's home): found by its file name
            same = sorted((root_path / folder).glob(f"*/{glob.escape(path.name)}"))
            candidate = same[0] if len(same) == 1 else candidate
        if candidate.is_file() and candidate.resolve() != path:
            try:
                nb = nbformat.read(candidate, as_version=4)
            except Exception:  # noqa: BLE001 - a broken course copy: fall back to the notebook's own cells
                continue
            for cell in nb.cells:
                if is_test_cell(cell):
                    cell.source = release_source(cell.source)
            return nb, f"{folder}/{candidate.parent.name}/{candidate.name}"
    return None, ""


def _grade_id(cell: Any) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def prepare(nb: Any, ref: Any | None) -> tuple[Any, list[tuple[str, str]]]:
    """The notebook to run, and its problems as ``(grade_id, what)``: cells missing, locked cells changed.

    Every locked cell runs with the course's text (the reference's, or, without
    one, its own when its nbgrader checksum still matches); test cells never
    carry hidden tests.
    """
    from nbgrader.utils import compute_checksum, is_locked

    from .grading.execute import is_test_cell
    from .grading.feedback import release_source

    problems: list[tuple[str, str]] = []
    cells = {gid: c for c in nb.cells if (gid := _grade_id(c))}
    if ref is not None:
        for rcell in ref.cells:
            gid = _grade_id(rcell)
            if not gid:
                continue
            cell = cells.get(gid)
            if cell is None:
                problems.append((gid, "missing: every cell of the exercise must stay in the notebook "
                                      "(copy it back from the release)"))
                continue
            if cell.cell_type != rcell.cell_type:
                problems.append((gid, f"cell type changed from {rcell.cell_type} to {cell.cell_type}"))
                cell.cell_type = rcell.cell_type
            if is_locked(rcell) and release_source(cell.source).strip() != rcell.source.strip():
                problems.append((gid, "locked cell changed: checked with the course's text"))
                cell.source = rcell.source
            if is_test_cell(rcell):
                cell.metadata.setdefault("nbgrader", {}).update(grade=True, solution=False, locked=True)
    else:
        for gid, cell in cells.items():
            meta = cell.metadata.get("nbgrader", {})
            if is_locked(cell) and "checksum" in meta and compute_checksum(cell) != meta["checksum"]:
                problems.append((gid, "locked cell changed"))
    for cell in nb.cells:
        if is_test_cell(cell):
            cell.source = release_source(cell.source)
    return nb, problems


def check(notebook: str | os.PathLike, root: str | os.PathLike | None = None, *, out: Any = None,
          timeout: int = 60) -> int:
    """``kubelab check``: run ``notebook``'s visible tests as grading does; print the verdict; return the exit status.

    The learner's cells run in the grading sandbox's kernel and the test cells
    in the clean checker (:class:`kubelab.grading.execute.SandboxedExecute`).
    Prints one line per problem (a failing test: its message only) and a
    summary; returns 0 when every visible test passes and no cell is missing
    or changed, 1 otherwise.  Raises :class:`~kubelab.errors.KubelabError`
    (exit 2) for a file that is not an exercise notebook.
    """
    import contextlib

    from .grading import sandbox
    from .grading.execute import SandboxedExecute, is_test_cell

    out = out or sys.stdout
    nb = read_exercise(notebook)
    ref, _where = reference(notebook, root)
    nb, problems = prepare(nb, ref)
    if not sandbox.available():
        print("note: bubblewrap (bwrap) cannot run here: the notebook runs without the grading sandbox",
              file=sys.stderr)
    env = {"NBGRADER_EXECUTION": "validate", "NBGRADER_VALIDATING": "1"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        runner = SandboxedExecute(timeout=timeout, require_sandbox=False)
        with contextlib.redirect_stdout(sys.stderr):
            nb, _ = runner.preprocess(nb, {"metadata": {"path": str(Path(notebook).resolve().parent)}})
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    tests = [c for c in nb.cells if is_test_cell(c)]
    if not tests and ref is None:
        problems.append(("-", "no test cell left, and no course copy of this exercise to restore them from"))
    failed = 0
    for gid, what in problems:
        print(f"{notebook}: {gid}: {what}", file=out)
    for cell in tests:
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors:
            failed += 1
            print(f"{notebook}: {_grade_id(cell)}: failed", file=out)
            for err in errors:
                text = _ANSI.sub("", f"{err.get('ename', 'Error')}: {err.get('evalue', '')}")
                print("    " + text.replace("\n", "\n    "), file=out)
    if not problems and not failed:
        print(f"{notebook}: {len(tests)} of {len(tests)} tests passed", file=out)
        return 0
    print(f"{notebook}: {len(problems) + failed} problem(s): {failed} of {len(tests)} tests failed", file=out)
    return 1


def check_all(notebooks: Sequence[str | os.PathLike], *, timeout: int = 60) -> int:
    """``kubelab check NOTEBOOK...``: every file read first (a bad one raises before any runs), then each
    checked with :func:`check`; the worst exit status.

    Raises :class:`~kubelab.errors.KubelabError` for a ``timeout`` under one second or a file that is
    not an exercise notebook (:func:`read_exercise`).
    """
    from .errors import KubelabError

    if timeout < 1:
        raise KubelabError(f"--timeout {timeout}: must be at least 1 second")
    for nb in notebooks:
        read_exercise(nb)
    tools_on_path()
    status = 0
    for nb in notebooks:
        status = max(status, check(nb, timeout=timeout))
    return status


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kubelab.course", description=__doc__.split("\n")[0])
    parser.add_argument("--root", help="the course folder (default: where nbgrader_config.py is found)")
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="regenerate exercises/ from solutions/ with nbgrader")
    gen.add_argument("assignments", nargs="*", metavar="ASSIGNMENT")
    chk = sub.add_parser("check", help="the same as `kubelab check` (one check command): exit 1 when a test fails")
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
    from .errors import KubelabError

    try:
        return check_all(args.notebooks)
    except KubelabError as exc:  # bad input: one line, status 2, as `kubelab check` prints it
        print(f"error: {exc}", file=sys.stderr)
        return 2

if __name__ == "__main__":
    sys.exit(main())
