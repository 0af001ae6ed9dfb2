"""How long each part of the course takes, computed from what is in it.

Notebook 00 shows a time for every chapter notebook and exercise.  They are not typed by hand:
:func:`course_plan` counts, in each notebook,

- the words of its Markdown cells (tables left out: they are scanned), read at :attr:`Rates.words_per_minute` (200: a careful reading
  of technical prose, below the 238 words per minute Brysbaert (2019, *Journal of Memory and
  Language* 109) measured for non-fiction read silently);
- its code cells (:attr:`Rates.per_code_cell`: run it and read what it printed) and their
  non-blank lines (:attr:`Rates.per_code_line`: read the code);
- its widgets, the calls to a course app (:attr:`Rates.per_widget`: move each control once and watch);
- in an exercise, its questions, the answer cells nbgrader grades (:attr:`Rates.per_question`).

Which exercise follows which part comes from the notebooks' links into ``exercises/``: an exercise
comes after the last part that links to it (the one that finishes its topic).
Minutes are rounded to the nearest 5.  Notebook 00 shows ``markdown_table(course_plan())``,
computed when it runs (a test checks that cell); ``python -m kubelab.study_time [ROOT]`` prints it.

Simplifications: every word and every line costs the same, and running a cell is counted as
time even where it is instant; the figures are estimates for a first pass, not a measurement.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Rates", "RATES", "Estimate", "Part", "widget_functions", "read_notebook", "estimate", "course_root",
           "course_plan", "markdown_table"]


@dataclass(frozen=True)
class Rates:
    """The reading and working rates behind every estimate (minutes unless named otherwise)."""

    words_per_minute: float = 200.0
    per_code_cell: float = 0.5
    per_code_line: float = 0.05
    per_widget: float = 3.0
    per_question: float = 5.0


#: The rates the course states (notebook 00 says them in words).
RATES = Rates()
_WORD = re.compile(r"[A-Za-z0-9][\w'.-]*")
#: A top-level class statement of a viz module and the docstring under it: (name, bases, docstring).
_CLASS = re.compile(r'^class (\w+)\(([^)]*)\):[^\n]*\n(?:[ \t]+r?"""(.*?)""")?', re.M | re.S)
_EXERCISE_LINK = re.compile(r"\]\(\.\./exercises/([\w-]+)/[\w.-]+\.ipynb\)")


def widget_functions() -> tuple[str, ...]:
    """The names of the functions that build a course widget: one per app class of :mod:`kubelab.viz`.

    Each app class (a subclass of ``kubelab.viz.widgets._App``, directly or not) says in its
    docstring ``See :func:`name`.``; this reads those from the modules' source text (top-level
    ``class`` lines and the docstring under each), so nothing of :mod:`kubelab.viz` is imported and
    notebook 00 shows the plan at once.  ``tests/test_study_time.py`` compares the result with the
    subclasses found by importing every module.

    >>> "scaling_explorer" in widget_functions() and "ipam_explorer" in widget_functions()
    True
    """
    classes: dict[str, tuple[list[str], str]] = {}  # class name -> (its base names, its docstring)
    for path in sorted((Path(__file__).parent / "viz").glob("*.py")):
        for match in _CLASS.finditer(path.read_text(encoding="utf-8")):
            bases = [b.strip().rsplit(".", 1)[-1] for b in match.group(2).split(",")]
            classes[match.group(1)] = (bases, match.group(3) or "")
    apps, grew = {"_App"}, True
    while grew:  # every class whose base is an app class, until no more are found
        found = {name for name, (bases, _) in classes.items() if apps & set(bases)} - apps
        apps |= found
        grew = bool(found)
    names = {match.group(1) for name in apps - {"_App"}
             if (match := re.search(r":func:`(\w+)`", classes[name][1]))}
    return tuple(sorted(names))


def read_notebook(path: str | Path) -> dict[str, Any]:
    """The notebook at ``path`` as its JSON, undecorated: only cells' type, source and metadata are read here.

    Plain :mod:`json`, not ``nbformat.read``: importing nbformat imports jsonschema, whose format
    checkers build a parser for every IRI rule at import time (``rfc3987_syntax``, about a second
    of CPU), and validation is no business of an estimate.
    """
    import json

    return json.loads(Path(path).read_text(encoding="utf-8"))


def _source(cell: Any) -> str:
    """A cell's source as one string (the JSON may hold a list of lines; nbformat's nodes hold a string)."""
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


@dataclass(frozen=True)
class Estimate:
    """What one notebook holds and the minutes it takes at :data:`RATES`."""

    words: int
    code_cells: int
    code_lines: int
    widgets: int
    questions: int
    minutes: int

    @classmethod
    def of(cls, nb: Any, rates: Rates = RATES, widgets: tuple[str, ...] | None = None) -> Estimate:
        names = widgets if widgets is not None else widget_functions()
        call = re.compile(r"(?<![\w.])(?:viz\.)?(?:%s)\(" % "|".join(map(re.escape, names)))
        text = [_source(c) for c in nb["cells"] if c["cell_type"] == "markdown"]
        code = [_source(c) for c in nb["cells"] if c["cell_type"] == "code"]
        # A Markdown table (a line starting with "|") is scanned, not read: its words are not counted.
        words = sum(len(_WORD.findall(line)) for t in text for line in t.splitlines() if not line.lstrip().startswith("|"))
        lines = sum(1 for source in code for line in source.splitlines() if line.strip())
        found = sum(len(call.findall(source)) for source in code)
        questions = sum(1 for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("solution"))
        raw = (words / rates.words_per_minute + len(code) * rates.per_code_cell + lines * rates.per_code_line
               + found * rates.per_widget + questions * rates.per_question)
        return cls(words, len(code), lines, found, questions, max(5, 5 * round(raw / 5)))


def estimate(path: str | Path, rates: Rates = RATES) -> Estimate:
    """The :class:`Estimate` of the notebook at ``path``."""
    return Estimate.of(read_notebook(path), rates)


@dataclass(frozen=True)
class Part:
    """One row of the plan: a chapter notebook, and the exercise that follows it (if any)."""

    number: str
    title: str
    minutes: int
    exercise: str | None
    exercise_minutes: int


def _title(nb: Any) -> str:
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in _source(cell).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return ""


def course_root(start: str | Path = ".") -> Path:
    """The nearest folder at or above ``start`` holding both ``notebooks/`` and ``exercises/``.

    A notebook's kernel runs in ``notebooks/``; this finds the course from there.
    """
    here = Path(start).resolve()
    for folder in (here, *here.parents):
        if (folder / "notebooks").is_dir() and (folder / "exercises").is_dir():
            return folder
    raise FileNotFoundError(f"no course (notebooks/ and exercises/) at or above {here}")


def course_plan(root: str | Path | None = None, rates: Rates = RATES) -> list[Part]:
    """One :class:`Part` per ``notebooks/NN-*.ipynb`` of the course (default: :func:`course_root`),
    with the exercise that follows it."""
    root, names = (Path(root) if root is not None else course_root()), widget_functions()
    notebooks = [(path, read_notebook(path))
                 for path in sorted((root / "notebooks").glob("[0-9][0-9]-*.ipynb"))]
    last_link: dict[str, str] = {}  # exercise -> the last part that links to it: the one that finishes its topic
    for path, nb in notebooks:
        for cell in nb["cells"]:
            if cell["cell_type"] == "markdown":
                for match in _EXERCISE_LINK.finditer(_source(cell)):
                    last_link[match.group(1)] = path.name
    plan = []
    for path, nb in notebooks:
        exercise = next((ex for ex, name in last_link.items() if name == path.name), None)
        ex_minutes = 0
        if exercise:
            (ex_path,) = sorted((root / "exercises" / exercise).glob("*.ipynb"))
            ex_minutes = Estimate.of(read_notebook(ex_path), rates, names).minutes
        plan.append(Part(path.name[:2], _title(nb), Estimate.of(nb, rates, names).minutes, exercise, ex_minutes))
    return plan


def markdown_table(plan: list[Part]) -> str:
    """The plan as the Markdown table notebook 00 shows, with the totals under it.

    >>> print(markdown_table([Part("01", "The network model", 20, "a01-pods", 35), Part("02", "Pods", 15, None, 0)]))
    | part | notebook | minutes | then the exercise | minutes |
    |---|---|---|---|---|
    | 01 | The network model | 20 | a01-pods | 35 |
    | 02 | Pods | 15 |  |  |
    <BLANKLINE>
    In all: about 0.6 hours of notebooks and 0.6 hours of exercises (1 graded exercise).
    """
    rows = ["| part | notebook | minutes | then the exercise | minutes |", "|---|---|---|---|---|"]
    for p in plan:
        rows.append(f"| {p.number} | {p.title} | {p.minutes} | {p.exercise or ''} | "
                    f"{p.exercise_minutes if p.exercise else ''} |")
    reading, practice = sum(p.minutes for p in plan), sum(p.exercise_minutes for p in plan)
    count = sum(1 for p in plan if p.exercise)
    rows += ["", f"In all: about {reading / 60:.1f} hours of notebooks and {practice / 60:.1f} hours of exercises "
                 f"({count} graded exercise{'s' if count != 1 else ''})."]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table(course_plan(sys.argv[1] if len(sys.argv) > 1 else None)))
