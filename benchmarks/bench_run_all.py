"""*Run All* of each chapter notebook, the kernel's share: wall and CPU seconds of its code cells.

Each notebook runs in a fresh Python (as in a fresh kernel: its imports count) inside an IPython
``InteractiveShell``, from its own folder, with ``KUBELAB_LAB=off``; displays are captured, so no
browser or kernel protocol is involved.  The figures: wall seconds and CPU seconds of all code
cells (the CPU figure does not move with the load of a shared machine), and the slowest cell.
What a learner waits for on *Run All* in JupyterLab is this plus the browser's rendering and a
round trip per cell (``tests/course/test_learner_path.py`` records that); the goal is at most
2 s a notebook for 00, 05, 06, 07, 08 and 10.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ("00", "05", "06", "07", "08", "10")

_CHILD = r"""
import io, json, sys, time
from pathlib import Path
path = Path(sys.argv[1])
cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
shell = InteractiveShell.instance()
wall0, cpu0, slowest, failed = time.perf_counter(), time.process_time(), (0.0, ""), []
for cell in cells:
    source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
    started = time.perf_counter()
    with capture_output():
        result = shell.run_cell(source, store_history=False)
    if not result.success:
        failed.append(cell.get("id", "?"))
    slowest = max(slowest, (time.perf_counter() - started, cell.get("id", "?")))
print(json.dumps({"wall": time.perf_counter() - wall0, "cpu": time.process_time() - cpu0,
                  "slowest": slowest, "failed": failed}))
"""


def measure(path: Path) -> dict:
    """The figures of one notebook, run in a fresh interpreter from its folder."""
    env = {k: v for k, v in os.environ.items() if k not in {"NBGRADER_EXECUTION", "PYTHONDONTWRITEBYTECODE"}}
    env["KUBELAB_LAB"] = "off"
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path)], cwd=path.parent, env=env, check=True,
                          capture_output=True, text=True, timeout=600)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    if figures["failed"]:
        raise RuntimeError(f"{path.name}: cells failed: {figures['failed']}")
    return figures


def run() -> list[tuple[str, float, str]]:
    rows = []
    for number in NOTEBOOKS:
        (path,) = sorted((ROOT / "notebooks").glob(f"{number}-*.ipynb"))
        figures = measure(path)
        rows += [(f"Run All {path.stem}: wall (kernel side)", figures["wall"], "s"),
                 (f"Run All {path.stem}: CPU (kernel side)", figures["cpu"], "s"),
                 (f"Run All {path.stem}: slowest cell ({figures['slowest'][1]})", figures["slowest"][0], "s")]
    rows.append(("load average (1 min) after the run", os.getloadavg()[0], ""))
    return rows


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name:<75} {value:8.2f} {unit}")
