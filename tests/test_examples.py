"""kubelab.examples: the shared example manifests load, say what their notes say, and are used."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import kubelab
from kubelab.api import load_text
from kubelab.examples import manifest, names

ROOT = Path(__file__).resolve().parents[1]


def test_every_example_loads_strictly():
    assert names() == ["gateway-shop", "shop", "web-pods", "web-service"]
    for name in names():
        assert load_text(manifest(name), f"{name}.yaml")


def test_web_pods_and_service_are_the_scenario_of_notebooks_04_05_10():
    cluster = kubelab.Cluster(manifest("web-service", "web-pods"))
    pods = {p.name: p for p in cluster.pods("default")}
    assert sorted(pods) == ["client", "web-1", "web-2", "web-3"]
    web = [p for p in pods.values() if p.metadata.labels.get("app") == "web"]
    assert {p.spec.node_name for p in web} == {"kind-worker", "kind-worker2"}
    assert all(c.ports[0].name == "http" and c.ports[0].container_port == 8080 for p in web for c in p.spec.containers)
    trace = cluster.connect("client", "web", 80, seed=1)
    assert trace.ok and "8080/TCP" in str(trace.hops[-1])  # the named port, resolved per pod


def test_shop_has_three_tiers_on_two_nodes():
    shop = kubelab.Cluster(manifest("shop"))
    assert {p.name: p.spec.node_name for p in shop.pods("shop")} == {
        "web": "kind-worker", "api": "kind-worker", "db": "kind-worker2"}


def test_unknown_name_is_refused_with_the_choices():
    with pytest.raises(KeyError, match="no example manifest 'web-pod': choose from gateway-shop, shop, web-pods, web-service"):
        manifest("web-pod")


def _documents(text: str) -> list[dict]:
    """Every Kubernetes object written in a triple-quoted string of a notebook's code."""
    found = []
    for block in re.findall(r'"""(.*?)"""', text, re.S):
        try:
            docs = list(yaml.safe_load_all(block))
        except yaml.YAMLError:
            continue
        found += [d for d in docs if isinstance(d, dict) and "kind" in d]
    return found


@pytest.mark.parametrize("name, users", [("web-pods", ["04", "05", "10"]), ("web-service", ["04", "05", "10"]),
                                         ("shop", ["08"]), ("gateway-shop", ["07"])])
def test_the_notebooks_load_the_files_instead_of_repeating_them(name, users):
    """Each example is written once: the notebooks that use it call manifest(), none repeats one of its objects."""
    # A bare Namespace is one line any example may write again.
    objects = [d for d in yaml.safe_load_all(manifest(name)) if d["kind"] != "Namespace"]
    for md in sorted((ROOT / "notebooks").glob("*.md")):
        text = md.read_text()
        if md.name[:2] in users:
            assert re.search(rf'manifest\([^)]*"{name}"', text), f"{md.name} does not load {name}.yaml"
        repeated = [d["metadata"]["name"] for d in _documents(text) if d in objects]
        assert not repeated, f"{md.name} repeats {repeated} of {name}.yaml"
