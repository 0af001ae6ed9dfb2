"""The traffic-policy fragment for notebook 06 (notebooks/fragments/06-traffic-policies.md) runs and shows
what its prose says: run after notebook 06's own cells up to the externalTrafficPolicy comparison, the
rules and traced connections match kube-proxy's behaviour (pkg/proxy/iptables/proxier.go, v1.35)."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FRAGMENT = ROOT / "notebooks" / "fragments" / "06-traffic-policies.md"
NOTEBOOK = ROOT / "notebooks" / "06-discovery-and-service-types.ipynb"
ANCHOR = 'doc["spec"]["externalTrafficPolicy"] = "Local"'  # the cell the fragment follows


def fragment_cells() -> list[str]:
    cells = re.findall(r"```\{code-cell\}\n(.*?)```", FRAGMENT.read_text(), flags=re.S)
    return ["\n".join(line for line in cell.splitlines() if not line.startswith(":id:")) for cell in cells]


def notebook_cells_until_anchor() -> list[str]:
    cells = [("".join(c["source"]) if isinstance(c["source"], list) else c["source"])
             for c in json.loads(NOTEBOOK.read_text())["cells"] if c["cell_type"] == "code"]
    end = next(i for i, src in enumerate(cells) if ANCHOR in src)
    return cells[:end + 1]


def test_fragment_runs_and_shows_the_short_circuit_and_the_drops(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")  # widgets render as static HTML, as when graded
    ns: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for src in notebook_cells_until_anchor():
            exec(compile(src, "notebook-06", "exec"), ns)
        start = len(out.getvalue())
        for src in fragment_cells():
            exec(compile(src, "fragment", "exec"), ns)
    text = out.getvalue()[start:]
    worker2 = text[text.index("--- kube-proxy on kind-worker2 ---"):text.index("outside client")]
    assert worker2.count('has no local endpoints" ') == 3 and "KUBE-SVL-" not in worker2
    assert "-j KUBE-SVC-" in worker2 and "--src-type LOCAL" in worker2
    lines = [line for line in text.splitlines() if " -> " in line and ("delivered" in line or "dropped" in line)]
    verdicts = [line.split()[-1] if "dropped" in line else "delivered" for line in lines]
    assert verdicts == ["delivered", "dropped", "delivered", "delivered", "dropped"]
    assert "sees 203.0.113.9" in lines[0]  # Local keeps the client address
    node_ip = ns["node_ip"]["kind-worker2"]
    assert f"sees {node_ip}" in lines[3]  # the node's own connection is masqueraded
