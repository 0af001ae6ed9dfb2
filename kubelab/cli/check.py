"""``kubelab check EXERCISE.ipynb…``: validate an exercise notebook with a real exit status.

``nbgrader validate`` prints its verdict but always exits 0 (jupyter/nbgrader
issue 1908), which neither a learner's script nor CI can act on.  This runs
nbgrader's own ``Validator`` through :func:`kubelab.course.check` and exits 0
when every notebook passes its visible tests, 1 when one does not (each
problem is printed: the failing test cell and its feedback), 2 when a file is
missing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import KubelabError
from .common import command


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebooks", nargs="+", metavar="NOTEBOOK", help="an exercise notebook (.ipynb)")


@command("check", "validate exercise notebooks (visible tests) with a real exit status", configure)
def run(args: argparse.Namespace) -> int:
    from .. import course  # nbgrader is heavy: imported only for this command
    for nb in args.notebooks:
        if not Path(nb).is_file():
            raise KubelabError(f"{nb}: no such notebook")
    course.tools_on_path()
    status = 0
    for nb in args.notebooks:
        status = max(status, course.check(nb))
    return status
