"""Notebook 06's traffic-policy section shows what its prose says.

Runs the notebook's code cells (from the ``.ipynb`` that ``make notebooks`` writes) up to the
traced connections of the section "Traffic policies, step by step", and checks the rules and
outcomes against kube-proxy's behaviour (``pkg/proxy/iptables/proxier.go``, v1.35): on the node
without a local endpoint, three "has no local endpoints" DROPs and no ``KUBE-SVL-`` chain, but the
``KUBE-EXT-`` short-circuit to ``KUBE-SVC-``; an outside client delivered with its own address on
the node with the pod and dropped on the other; a pod and the node itself short-circuited (the node
masqueraded); a pod's ClusterIP connection dropped by ``internalTrafficPolicy: Local``.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "06-discovery-and-service-types.ipynb"
FIRST, LAST = "traffic-policies-rules", "traffic-policies-connections"


def code_cells() -> list[tuple[str, str]]:
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    return [(c["id"], "".join(c["source"]) if isinstance(c["source"], list) else c["source"])
            for c in cells if c["cell_type"] == "code"]


def test_traffic_policy_section_shows_the_short_circuit_and_the_drops(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")  # widgets render as static HTML, as when graded
    ns: dict = {}
    out = io.StringIO()
    start = None
    with contextlib.redirect_stdout(out):
        for cell_id, src in code_cells():
            if cell_id == FIRST:
                start = len(out.getvalue())
            exec(compile(src, f"06:{cell_id}", "exec"), ns)
            if cell_id == LAST:
                break
    assert start is not None, f"no cell {FIRST} in {NOTEBOOK.name}"
    text = out.getvalue()[start:]
    worker2 = text[text.index("--- kube-proxy on kind-worker2 ---"):text.index("outside client")]
    assert worker2.count('has no local endpoints" ') == 3 and "KUBE-SVL-" not in worker2
    assert "-j KUBE-SVC-" in worker2 and "--src-type LOCAL" in worker2
    lines = [line for line in text.splitlines() if " -> " in line and ("delivered" in line or "dropped" in line)]
    verdicts = ["dropped" if " dropped" in line else "delivered" for line in lines]
    assert verdicts == ["delivered", "dropped", "delivered", "delivered", "dropped"]
    assert "sees 203.0.113.9" in lines[0]  # Local keeps the client address
    assert f"sees {ns['node_ip']['kind-worker2']}" in lines[3]  # the node's own connection is masqueraded
