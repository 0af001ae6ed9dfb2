"""kubelab.facts: every dated fact has a source; notebooks state no version fact the table lacks.

The notebook check runs :func:`kubelab.facts.uncited` on every Markdown cell of the course
notebooks (the MyST sources ``notebooks/*.md`` when they exist, else the ``.ipynb`` files).
Every such statement must be rendered from the table or cite a fact: there are no exceptions.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml

from kubelab import facts
from kubelab.errors import KubelabError

ROOT = Path(__file__).resolve().parents[1]

def markdown_cells(path: Path) -> list[str]:
    """The Markdown cells of a notebook: from the .ipynb, or split out of a MyST Markdown source."""
    if path.suffix == ".ipynb":
        return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)  # jupytext header
    cells, current, fence = [], [], ""
    for line in text.splitlines():
        if fence:
            if line.startswith(fence) and line.strip() == fence:
                fence = ""
            continue
        m = re.match(r"^(`{3,}|~{3,})\{code-cell\}", line)
        if m or line.strip() == "+++" or line.startswith("+++ "):
            cells.append("\n".join(current))
            current = []
            fence = m.group(1) if m else ""
            continue
        current.append(line)
    cells.append("\n".join(current))
    return [c for c in cells if c.strip()]


def notebooks() -> dict[str, Path]:
    md = {p.name[:2]: p for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.md")}
    nb = {p.name[:2]: p for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")}
    return {**nb, **md}


def test_every_fact_has_a_source_a_status_and_its_version_in_its_line():
    table = facts.facts()
    assert len(table) >= 30
    for fid, f in table.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", fid), fid
        assert f.source.startswith(("http", "chapter")) or "CHANGELOG" in f.source, fid
        assert f.status in facts.STATUSES, fid
        for v in (f.since, *f.versions):
            assert v.lstrip("v") in f.line.replace(" v", " "), (fid, v)  # the line says the version it is dated by
        assert f.as_of, fid
        for n in f.notebooks:
            assert n in notebooks(), (fid, n)


def test_the_course_is_as_of_one_kubernetes_minor():
    assert facts.AS_OF == "1.35"
    k8s = [f for f in facts.facts().values() if f.project == "Kubernetes"]
    assert {f.as_of for f in k8s} == {facts.AS_OF}
    # nothing is dated after the minor the course is as of
    assert all(tuple(map(int, f.since.split("."))) <= (1, 35) for f in k8s if f.since)


def test_facts_the_package_uses():
    from kubelab.linuxns import PAUSE_IMAGE
    assert PAUSE_IMAGE == facts.fact("pause-image").value
    assert facts.fact("user-namespaces").status == "beta"  # GA only from 1.36, after the course's 1.35
    assert "newly created clusters only" in facts.fact("cve-2021-25740").line
    assert "ClusterNetworkPolicy" in facts.fact("cluster-network-policy").line


def test_bad_table_is_one_clear_error(tmp_path, monkeypatch):
    good = yaml.safe_load((ROOT / "kubelab" / "data" / "facts.yaml").read_text())
    cases = [
        (lambda d: d["facts"]["user-namespaces"].pop("source"), "fact user-namespaces: field source is missing"),
        (lambda d: d["facts"]["user-namespaces"].update(status="stable"), 'field status: "stable" is not one of'),
        (lambda d: d["facts"]["user-namespaces"].update(sinc="1.30"), "fact user-namespaces: unknown field sinc"),
        (lambda d: d.update(as_of="v1.35"), 'as_of: "v1.35" is not a Kubernetes minor'),
    ]
    for change, message in cases:
        doc = yaml.safe_load(yaml.safe_dump(good))
        change(doc)
        text = yaml.safe_dump(doc)

        class Files:
            def joinpath(self, *parts):
                return self

            def read_text(self, encoding="utf-8", text=text):
                return text

        monkeypatch.setattr(facts.resources, "files", lambda pkg: Files())
        facts._load.cache_clear()
        with pytest.raises(KubelabError, match=re.escape(message)):
            facts._load()
    monkeypatch.undo()
    facts._load.cache_clear()
    assert facts.fact("user-namespaces")


@pytest.mark.parametrize("text, missing", [
    ("kube-proxy's userspace mode was removed in 1.26.", ["in 1.26"]),
    ("removed in 1.26 <!-- facts: userspace-proxy-removed -->", []),
    ("removed in 1.26 <!-- facts: ipvs-deprecated -->", ["in 1.26"]),  # cites a fact of another version
    ("User namespaces are beta since 1.30, on by default since 1.33. <!-- facts: user-namespaces -->", []),
    ("`hostUsers: false  # alpha in 1.25`", []),  # code is not prose
    ("As of Kubernetes 1.35, nothing else.", []),  # the course's own as-of
    ("As of Kubernetes 1.34, nothing else.", ["Kubernetes 1.34"]),
    ("AdminNetworkPolicy (alpha)", ["alpha"]),
    ("see 10.244.1.1 and HTTP/1.1, cniVersion 0.3.1, port 8080", []),
    ("since kind v0.24.0 <!-- facts: kindnet-network-policy -->", []),
])
def test_uncited(text, missing):
    assert facts.uncited(text) == missing


def test_an_unknown_citation_is_an_error():
    with pytest.raises(KubelabError, match='no fact "user-namespace" \\(did you mean "user-namespaces"\\?\\)'):
        facts.uncited("beta <!-- facts: user-namespace -->")


@pytest.mark.parametrize("number", sorted(notebooks()))
def test_notebooks_state_no_version_fact_the_table_lacks(number):
    path = notebooks()[number]
    found = [s for cell in markdown_cells(path) for s in facts.uncited(cell)]
    assert not found, (f"{path.name} states version facts that cite no entry of kubelab/data/facts.yaml: "
                       f"{sorted(found)}; add a fact (docs/facts.md) and render it with "
                       f"kubelab.facts.then_and_now or cite it with <!-- facts: id -->")


def test_then_and_now_renders_every_notebook_it_names():
    named = {n for f in facts.facts().values() for n in f.notebooks}
    for n in sorted(named):
        text = facts.then_and_now(n)
        assert text.startswith("- ") and "source:" in text
        assert not facts.uncited(text + " <!-- facts: " + " ".join(
            fid for fid, f in facts.facts().items() if n in f.notebooks) + " -->")
    with pytest.raises(KubelabError, match='no fact names notebook "99"'):
        facts.then_and_now("99")
