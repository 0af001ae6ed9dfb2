"""What the notebooks show is what the graders and the model say (issue: course truth).

- 04 runs the chapter's Service and Endpoints examples through the model (kubelab.grading.chapter),
  whose messages tests/api/test_chapter.py compares with the API server's;
- 09 prints the namespace table a05 questions 2 and 3 are graded on (tests/grading/test_checks.py
  derives the graded answers from that table) and says UTS wherever it lists shared namespaces;
- 08 shows the feature matrix a04 question 3 is graded on (tests/grading/test_cni.py reads each
  team's answer off that table).
- 05 prints masquerading and session affinity rules, in both syntaxes, from kubelab.proxy; 06 the
  NodePort path, kubectl proxy/port-forward and the matrix legend; 08 kops then and now and
  Figure 2.3 (tests/proxy/test_chains.py, tests/net/test_access.py and tests/viz/test_figures.py
  test the functions they call).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]


def cells(name: str, kind: str) -> list[str]:
    nb = nbformat.read(next((ROOT / "notebooks").glob(f"{name}-*.ipynb")), as_version=4)
    return [c.source for c in nb.cells if c.cell_type == kind]


def test_04_shows_the_chapters_examples_and_their_errors():
    code = "\n".join(cells("04", "code"))
    assert "chapter.try_chapter(name)" in code and "chapter.EXAMPLES" in code
    prose = "\n".join(cells("04", "markdown"))
    assert "29763" in prose and "metadata.name" in prose


def test_09_shows_the_namespace_table_and_says_uts():
    code = "\n".join(cells("09", "code"))
    assert "linuxns.describe(a1)" in code
    prose = "\n".join(cells("09", "markdown"))
    for claim in re.findall(r"[^.|\n]*(?:share|holds)[^.|\n]*namespace[^.|\n]*", prose):
        if "network" in claim and "IPC" in claim:
            assert "UTS" in claim, claim


def test_08_shows_the_matrix_a04_is_graded_on():
    code = "\n".join(cells("08", "code"))
    assert "feature_matrix_html" in code or "plugin_chooser" in code


def test_05_renders_masquerading_both_syntaxes_and_session_affinity_from_the_model():
    code = "\n".join(cells("05", "code"))
    assert "side_by_side(" in code and 'walk(ipt, "POSTROUTING")' in code  # rule text from kubelab.proxy
    assert "sessionAffinity: ClientIP" in code and "snet.clock +=" in code
    prose = "\n".join(cells("05", "markdown"))
    for term in ("KUBE-MARK-MASQ", "KUBE-POSTROUTING", "--set-xmark", "--or-mark", "10800", "--rcheck"):
        assert term in prose, term


def test_06_shows_the_nodeport_path_kubectl_access_and_the_matrix_legend():
    code = "\n".join(cells("06", "code"))
    assert 'walk(ipt2, "KUBE-NODEPORTS"' in code and "matrix.legend()" in code
    assert "access.api_proxy_path(" in code and "access.port_forward_target(" in code
    prose = "\n".join(cells("06", "markdown"))
    assert "NodePort is not for production" in prose and "BIRD" in prose and "tunl0" in prose


def test_08_kops_then_and_now_and_figure_2_3():
    code = "\n".join(cells("08", "code"))
    assert "kops.modernize(" in code and "communication_graph(" in code
    prose = "\n".join(cells("08", "markdown"))
    assert "kops-control-plane-flags" in prose and "Figure 2.3" in prose
