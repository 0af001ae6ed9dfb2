"""Gateway API objects on a kind cluster (kubelab.kind.gateway), against a fake API server.

The decision under test: objects are sent when the cluster's CRDs serve their version,
left out with one note when they do not; delete removes only this run's objects; compare
reports missing objects and status reasons that differ from the model's.
"""

from __future__ import annotations

import copy
from kubernetes import client

from kubelab import Cluster
from kubelab.kind.gateway import apply_gateway, compare_gateway, delete_gateway, plan
from tests.gateway.conftest import BASE, NS

from .fake import fake_context

ROUTE = f"""
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: web, namespace: {NS}}}
spec:
  parentRefs: [{{name: same-namespace}}]
  rules: [{{backendRefs: [{{name: missing, port: 8080}}]}}]
"""


def _crd(kind: str, plural: str, versions: list[str]):
    return client.V1CustomResourceDefinition(
        metadata=client.V1ObjectMeta(name=f"{plural}.gateway.networking.k8s.io"),
        spec=client.V1CustomResourceDefinitionSpec(
            group="gateway.networking.k8s.io", scope="Namespaced",
            names=client.V1CustomResourceDefinitionNames(kind=kind, plural=plural),
            versions=[client.V1CustomResourceDefinitionVersion(name=v, served=True, storage=v == versions[0])
                      for v in versions]))


STANDARD = [_crd("GatewayClass", "gatewayclasses", ["v1", "v1beta1"]), _crd("Gateway", "gateways", ["v1", "v1beta1"]),
            _crd("HTTPRoute", "httproutes", ["v1", "v1beta1"]), _crd("ReferenceGrant", "referencegrants", ["v1beta1"])]


class FakeExtensions:
    def __init__(self, crds):
        self.crds = crds

    def list_custom_resource_definition(self):
        return client.V1CustomResourceDefinitionList(items=self.crds)


class FakeCustom:
    """CustomObjectsApi over a dict: (plural, namespace, name) -> body."""

    def __init__(self):
        self.store: dict[tuple[str, str, str], dict] = {}

    def create_namespaced_custom_object(self, group, version, namespace, plural, body):
        self.store[(plural, namespace, body["metadata"]["name"])] = copy.deepcopy(body)

    def create_cluster_custom_object(self, group, version, plural, body):
        self.store[(plural, "", body["metadata"]["name"])] = copy.deepcopy(body)

    def list_cluster_custom_object(self, group, version, plural, label_selector=None):
        want = dict(t.split("=") for t in label_selector.split(",")) if label_selector else {}
        return {"items": [b for (p, _, _), b in self.store.items() if p == plural
                          and all(b["metadata"].get("labels", {}).get(k) == v for k, v in want.items())]}

    def delete_namespaced_custom_object(self, group, version, namespace, plural, name):
        del self.store[(plural, namespace, name)]

    def delete_cluster_custom_object(self, group, version, plural, name):
        del self.store[(plural, "", name)]


def _ctx(crds):
    ctx, _ = fake_context(run_id="gw1")
    ctx.apiextensions, ctx.custom = FakeExtensions(crds), FakeCustom()
    return ctx


def test_applies_gateway_objects_when_the_crds_are_installed():
    model = Cluster(BASE + "---" + ROUTE)
    ctx = _ctx(STANDARD)
    created, notes = apply_gateway(model, ctx)
    assert notes == []
    assert created[0] == ("GatewayClass", "", "conformance")
    assert ("HTTPRoute", NS, "web") in created and len(created) == 6  # class, 4 Gateways, the route
    body = ctx.custom.store[("httproutes", NS, "web")]
    assert body["metadata"]["labels"]["kubelab.io/run-id"] == "gw1" and "status" not in body


def test_says_so_when_the_cluster_has_no_gateway_api():
    model = Cluster(BASE + "---" + ROUTE)
    ctx = _ctx([])
    created, notes = apply_gateway(model, ctx)
    assert created == [] and ctx.custom.store == {}
    assert len(notes) == 1
    assert notes[0].startswith("the cluster has no Gateway API CRDs for GatewayClass, Gateway, HTTPRoute")
    assert "1 GatewayClass, 4 Gateway, 1 HTTPRoute not applied" in notes[0]


def test_unserved_version_is_left_out():
    route = Cluster(ROUTE).list("HTTPRoute")
    send, notes = plan(route, {"HTTPRoute": {"v1beta1"}})
    assert send == [] and "do not serve the versions used: 1 HTTPRoute" in notes[0]
    ctx = _ctx([_crd("HTTPRoute", "httproutes", ["v1beta1"])])
    from kubelab.kind.gateway import served_versions

    assert served_versions(ctx) == {"HTTPRoute": {"v1beta1"}}


def test_delete_removes_only_this_run():
    model = Cluster(BASE + "---" + ROUTE)
    ctx = _ctx(STANDARD)
    apply_gateway(model, ctx)
    foreign = {"metadata": {"name": "theirs", "namespace": NS, "labels": {}}}
    ctx.custom.store[("httproutes", NS, "theirs")] = foreign
    deleted = delete_gateway(ctx, "gw1")
    assert deleted[0] == ("HTTPRoute", NS, "web") and len(deleted) == 6
    assert list(ctx.custom.store) == [("httproutes", NS, "theirs")]


def test_compare_reports_missing_objects_and_status_reasons():
    model = Cluster(BASE + "---" + ROUTE)
    ctx = _ctx(STANDARD)
    apply_gateway(model, ctx)
    assert compare_gateway(model, ctx) == [f"1 HTTPRoute(s) have no status in the cluster (no Gateway controller "
                                           f"wrote one): HTTPRoute {NS}/web"]
    ctx.custom.store[("httproutes", NS, "web")]["status"] = {"parents": [{"conditions": [
        {"type": "Accepted", "status": "True", "reason": "Accepted"},
        {"type": "ResolvedRefs", "status": "True", "reason": "ResolvedRefs"}]}]}
    del ctx.custom.store[("gateways", NS, "all-namespaces")]
    assert compare_gateway(model, ctx) == [
        f"Gateway {NS}/all-namespaces: in the model, not in the cluster",
        f"HTTPRoute {NS}/web: ResolvedRefs is True/ResolvedRefs in the cluster, False/BackendNotFound in the model"]


def test_without_gateway_objects_nothing_is_asked():
    ctx = _ctx(None)  # would fail if listed
    assert apply_gateway(Cluster(), ctx) == ([], []) and compare_gateway(Cluster(), ctx) == []
