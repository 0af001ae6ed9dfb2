"""The notebook fragments of issue 17 run: notebook 07's Gateway API part, and a03's graded questions
(the solution scores every point, the release -- solutions replaced as nbgrader does -- scores none).

The fragments (``notebooks/fragments/*.md``, MyST) wait for the MyST notebooks to land; this test
goes with them when they are merged into ``notebooks/07-ingress.md`` and the a03 source.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRAGMENTS = ROOT / "notebooks" / "fragments"
_CELL = re.compile(r"```\{code-cell\}\n(?:---\n(?P<meta>.*?)\n---\n)?(?P<src>.*?)```", re.S)


def cells(name: str) -> list[tuple[str, str]]:
    """``(metadata text, source)`` of each code cell of a fragment."""
    text = (FRAGMENTS / name).read_text(encoding="utf-8")
    return [(m["meta"] or "", m["src"]) for m in _CELL.finditer(text)]


def release(src: str) -> str:
    """What nbgrader's release makes of a solution cell."""
    return re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "raise NotImplementedError()", src, flags=re.S)


@pytest.fixture
def quiet_widgets(monkeypatch, capsys):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    yield
    capsys.readouterr()


def test_notebook_07_fragment_runs(quiet_widgets):
    ns: dict = {}
    for _, src in cells("07-gateway-api.md"):
        exec(compile(src, "07-gateway-api.md", "exec"), ns)
    assert ns["gateway_route"](ns["gw_cluster"], "infra/shared", "http://shop.example.com/stock").line == \
        "data/inventory:5000"


@pytest.mark.parametrize("version", ["solution", "release"])
def test_a03_fragment_scores(quiet_widgets, version):
    import kubelab

    ns: dict = {"kubelab": kubelab}
    scored, total = 0, 0
    for meta, src in cells("a03-gateway-api.md"):
        points = re.search(r"points: (\d+)", meta)
        code = release(src) if version == "release" and "solution: true" in meta else src
        try:
            exec(compile(code, "a03-gateway-api.md", "exec"), ns)
        except (AssertionError, NameError, NotImplementedError):
            if not points:
                continue  # an unanswered answer cell: its test fails below
            total += int(points[1])
            continue
        if points:
            scored += int(points[1])
            total += int(points[1])
    assert total == 6
    assert scored == (6 if version == "solution" else 0)
