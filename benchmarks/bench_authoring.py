"""make notebooks: how long writing every .ipynb from its MyST Markdown takes (kubelab.authoring).

Run in a temporary copy of notebooks/ and solutions/ (with their jupytext.toml), so the
repository is not touched: one full write (every notebook rewritten, as after a fresh clone
without the .ipynb), one rewrite with nothing to change, and one ``--check``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def run() -> list[tuple[str, float, str]]:
    from kubelab import authoring

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for folder in ("notebooks", "solutions"):
            shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        for ipynb in root.glob("*/**/*.ipynb"):
            ipynb.unlink()
        sources = len(authoring.sources(root))
        t0 = time.perf_counter()
        written = len(authoring.write(root))
        t1 = time.perf_counter()
        authoring.write(root)
        t2 = time.perf_counter()
        stale = authoring.stale(root)
        t3 = time.perf_counter()
    assert written == sources and not stale
    return [(f"make notebooks, {sources} notebooks written", (t1 - t0) * 1000, "ms"),
            ("make notebooks, nothing to change", (t2 - t1) * 1000, "ms"),
            ("python -m kubelab.authoring --check", (t3 - t2) * 1000, "ms")]
