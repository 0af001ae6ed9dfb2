"""The package layers (docs/design.md, "Layers"): the import-linter contracts hold, no package cycles, clear names.

The contracts are in pyproject.toml (``[tool.importlinter]``); ``lint-imports`` checks them on the
import graph grimp builds from the source, which counts imports inside functions and under
``TYPE_CHECKING`` as well as the ones at the top of a module.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import grimp
import networkx as nx
import pytest

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

#: The one package edge allowed against the layers, and why (the same line is the layers contract's
#: ``ignore_imports``): ``Cluster.connect`` is the notebooks' shorthand for
#: ``kubelab.net.connect(cluster, ...)``, so the store calls up into the data plane there and only there.
ALLOWED_UPWARD = {("kubelab.cluster.core", "kubelab.net"): "Cluster.connect, the notebooks' shorthand"}

#: Module file names used more than once, each with why the path still says what is inside.
#: A name in a folder that mirrors an outside name by design needs no entry here (see MIRRORS).
SHARED_NAMES = {
    "base.py": "proxy/base.py is the Proxier interface and mode registry, cni/plugins/base.py the plugin "
               "model's base class: each package's shared base, named as the package reads",
    "calico.py": "Calico is an API group (api/), a policy engine (policy/) and a network plugin "
                 "(cni/plugins/): one module per concern, the package says which",
    "channels.py": "linuxns/channels.py models the channels between containers; grading/channels.py grades it",
    "config.py": "cni/config.py reads CNI network configurations, kind/config.py writes a kind cluster's",
    "convert.py": "ingress/convert.py rewrites a legacy Ingress as v1, gateway/convert.py an Ingress as "
                  "Gateway API routes, api/convert.py converts to the kubernetes client's classes",
    "describe.py": "linuxns/describe.py describes a pod's namespaces; cli/ and viz/ show it",
    "doctor.py": "cli/doctor.py is the `kubelab doctor` command, lab/doctor.py says which lab parts are real "
                 "(both read kubelab.capabilities)",
    "endpoints.py": "api/endpoints.py is the Endpoints type, cluster/endpoints.py its controller",
    "gateway.py": "Gateway API as types (api/), in a kind cluster (kind/), widgets (viz/) and graded (grading/)",
    "matching.py": "how each API matches a request: gateway/matching.py (HTTPRoute), ingress/matching.py (Ingress)",
    "matrix.py": "policy/matrix.py is the pods-by-pods reachability matrix, cni/plugins/matrix.py the "
                 "plugins' feature matrix",
    "namespaces.py": "linuxns/namespaces.py models Linux namespaces; grading/namespaces.py grades them",
    "nftables.py": "proxy/nftables.py is kube-proxy's nftables mode; grading/nftables.py grades it",
    "ports.py": "linuxns/ports.py models port conflicts; grading/ports.py grades them",
    "sandbox.py": "linuxns/sandbox.py is the pod sandbox (pause container), grading/sandbox.py the grading "
                  "sandbox (bubblewrap)",
    "trace.py": "net/trace.py is the trace engine; cli/trace.py the `kubelab trace` command, viz/trace.py "
                "its widget",
}

#: Folders whose modules are named for something outside kubelab, by design: a subcommand, an API
#: group, a course topic, a network plugin, a CNI plugin binary.
MIRRORS = {
    "kubelab/cli": "one module per `kubelab` subcommand",
    "kubelab/api": "one module per API group or kind",
    "kubelab/grading": "one module per graded topic",
    "kubelab/viz": "one module per topic the widgets draw",
    "kubelab/cni/plugins": "one module per cluster network plugin",
    "kubelab/cni/memory": "one module per CNI plugin binary",
}


def _package(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def package_graph() -> tuple[nx.DiGraph, dict[tuple[str, str], set[tuple[str, str]]]]:
    """kubelab's top-level packages and modules, an edge where one imports the other (any import)."""
    graph = grimp.build_graph("kubelab", cache_dir=None)
    edges: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            a, b = _package(importer), _package(imported)
            if a != b and "kubelab" not in (a, b):
                edges[(a, b)].add((importer, imported))
    g = nx.DiGraph()
    g.add_nodes_from(_package(m) for m in graph.modules if m != "kubelab")
    g.add_edges_from(edges)
    return g, edges


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run([str(LINT_IMPORTS), "--config", str(cwd / "pyproject.toml"), "--no-cache"],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_import_linter_contracts_are_kept():
    proc = _lint(REPO)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def test_an_import_against_the_layers_breaks_a_contract(tmp_path):
    """The contracts can fail: the API types importing the CLI (inside a function) is reported."""
    shutil.copytree(REPO / "kubelab", tmp_path / "kubelab", ignore=shutil.ignore_patterns("__pycache__", "data"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    meta = tmp_path / "kubelab" / "api" / "meta.py"
    meta.write_text(meta.read_text() + "\n\ndef _upward():\n    from ..cli import main  # noqa: F401\n")
    proc = _lint(tmp_path)
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "BROKEN" in proc.stdout and "kubelab.api.meta -> kubelab.cli" in proc.stdout


def test_no_cycles_between_packages():
    g, edges = package_graph()
    for (importer, imported) in ALLOWED_UPWARD:
        pair = (_package(importer), _package(imported))
        assert edges[pair] == {(importer, imported)}, f"{pair}: only {importer} -> {imported} is allowed"
        g.remove_edge(*pair)
    cycles = sorted(sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1)
    detail = {f"{a} -> {b}": sorted(edges[(a, b)])[:3] for c in cycles for a in c for b in c if (a, b) in edges}
    assert cycles == [], detail


def test_the_netfilter_package_is_a_leaf():
    g, _ = package_graph()
    assert set(g.successors("kubelab.netfilter")) <= {"kubelab.errors", "kubelab.util"}


@pytest.mark.parametrize("name", sorted(SHARED_NAMES))
def test_a_shared_module_name_has_a_reason(name):
    paths = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "kubelab").rglob(name))
    outside_mirrors = [p for p in paths if p.rsplit("/", 1)[0] not in MIRRORS]
    assert len(paths) > 1, f"{name} is no longer shared: drop it from SHARED_NAMES"
    assert outside_mirrors, f"{name}: every copy is in a mirrored folder; drop it from SHARED_NAMES"


def test_module_names_say_what_is_inside():
    by_name: dict[str, list[str]] = defaultdict(list)
    for path in (REPO / "kubelab").rglob("*.py"):
        if path.name != "__init__.py":
            by_name[path.name].append(path.relative_to(REPO).as_posix())
    unexplained = {}
    for name, paths in by_name.items():
        if len(paths) < 2 or name in SHARED_NAMES:
            continue
        if sum(p.rsplit("/", 1)[0] not in MIRRORS for p in paths) > 0:
            unexplained[name] = sorted(paths)
    assert unexplained == {}, "rename the module so its path says what is inside, or give SHARED_NAMES a reason"


def test_a_subpackage_loads_on_first_use():
    """`import kubelab` then `kubelab.net.connect(...)` works without importing kubelab.net first (notebook 08)."""
    code = ("import sys, kubelab\nassert 'kubelab.net' not in sys.modules\n"
            "t = kubelab.net.connect(kubelab.Cluster(), 'kind-worker', '10.96.0.1', 443)\nprint(type(t).__module__, t.verdict in kubelab.hops.VERDICTS)\n"
            "try:\n    kubelab.nope\nexcept AttributeError as e:\n    print(e)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.splitlines() == ["kubelab.hops True", "module 'kubelab' has no attribute 'nope'"]
