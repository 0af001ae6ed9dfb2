"""A class on JupyterHub (deploy/hub/): hub up, one spawn, a whole round for 2 and for 20 students.

Each round runs deploy/hub/rehearsal.py on throw-away Linux accounts: the instructor releases
a01 through the formgrader, every student spawns, fetches, answers (half right, half blank) and
submits, the grader collects, autogrades (serially, then — for 20 students — four at a time in
a second round), generates and releases feedback. Memory is the resident set of each student's
processes (their single-user server) after submitting. Needs root and `make hub-env`;
without them the benchmark reports nothing.
"""
from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "deploy" / "hub"))
os.environ.setdefault("KUBELAB_HUB_HOME", "/opt/kubelab-hub")


def run() -> list[tuple[str, float, str]]:
    home = Path(os.environ["KUBELAB_HUB_HOME"])
    if os.geteuid() != 0 or not (home / "venv" / "bin" / "jupyterhub").exists():
        print("bench_hub: needs root and `make hub-env`; skipped", file=sys.stderr)
        return []
    import rehearsal
    rows = []
    for students, parallel in ((2, False), (20, False), (20, True)):
        seen = rehearsal.rehearse(students, parallel=parallel, prefix=f"klb{students}{'p' if parallel else 's'}")
        tag = f"{students} students" + (", autograde x4" if parallel else "")
        if students == 2:
            rows += [("hub up", seen.timings["hub_up"], "s"), ("first spawn", seen.timings["first_spawn"], "s")]
        rows += [(f"round, {tag}", seen.timings["round"], "s"),
                 (f"autograde, {tag}", seen.timings["autograde"], "s"),
                 (f"spawns, {tag}", seen.timings["spawns"], "s"),
                 (f"student server RSS median, {tag}", statistics.median(seen.rss_mib.values()), "MiB")]
    return rows
