"""Time to execute each course notebook headless (nbclient, a fresh kernel each).

notebooks/*.ipynb and solutions/**/*.ipynb run in a temporary copy of their
folder, so outputs, widget state and any files they write stay out of the repo.
Each figure includes starting the notebook's kernel.  After one row per
notebook come the totals: all of notebooks/, all of solutions/, and the whole
course (the goal: at most 6 s a notebook, 60 s for the whole course, on 2 cores).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def notebooks() -> list[Path]:
    found = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("**/*.ipynb"))
    return [path for path in found if ".ipynb_checkpoints" not in path.parts]


def execute_seconds(path: Path) -> float:
    import nbformat
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory(prefix="kubelab-bench-") as tmp:
        folder = Path(tmp) / path.parent.name
        shutil.copytree(path.parent, folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        nb = nbformat.read(folder / path.name, as_version=4)
        started = time.perf_counter()
        NotebookClient(nb, kernel_name="python3", timeout=600,
                       resources={"metadata": {"path": str(folder)}}).execute()
        return time.perf_counter() - started


def run() -> list[tuple[str, float, str]]:
    """One row per notebook, then the totals: notebooks/, solutions/, and the whole course."""
    rows, times = [], {"notebooks": [], "solutions": []}
    for path in notebooks():
        rel = path.relative_to(ROOT)
        seconds = execute_seconds(path)
        times[rel.parts[0]].append(seconds)
        rows.append((f"execute {rel}", seconds, "s"))
    for part, seconds in times.items():
        rows.append((f"total {part}/ ({len(seconds)} notebooks)", sum(seconds), "s"))
    every = [t for seconds in times.values() for t in seconds]
    rows.append((f"total whole course ({len(every)} notebooks)", sum(every), "s"))
    return rows
