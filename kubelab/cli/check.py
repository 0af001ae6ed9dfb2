"""``kubelab check EXERCISE.ipynb…``: the learner's verdict on an exercise notebook, as grading runs it.

The notebook runs as autograding runs it (:func:`kubelab.course.check`): the
learner's cells in a kernel inside the grading sandbox, the visible test cells
in a clean checker process the learner's code cannot touch, against the
course's own copy of the exercise.  Exit 0 when every notebook passes its
visible tests, 1 when a test fails or a graded cell is missing or a locked one
changed (each problem printed: the test and its message, never a traceback),
2 when a file is missing or is not an exercise notebook (one ``error:`` line).
``python -m kubelab.course check`` is an alias of this command.
"""

from __future__ import annotations

import argparse

from .common import command


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebooks", nargs="+", metavar="NOTEBOOK", help="an exercise notebook (.ipynb)")
    parser.add_argument("--timeout", type=int, default=60, metavar="SECONDS",
                        help="the longest one cell may run (default 60)")


@command("check", "check exercise notebooks (visible tests, in the grading sandbox) with a real exit status",
         configure)
def run(args: argparse.Namespace) -> int:
    from .. import course  # nbgrader is heavy: imported only for this command

    return course.check_all(args.notebooks, timeout=args.timeout)
