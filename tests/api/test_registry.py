"""The kinds registry (:mod:`kubelab.api.registry`): every list of kinds and resource names comes from the classes.

The resource names are checked against upstream: the ``kubernetes`` client's API modules
(``kubernetes/client/api/*_api.py``, generated from the API server's OpenAPI document) hold
each kind's URL path, and the Gateway API CRDs (``kubelab/data/gateway-api-v1.4.0-standard.json``)
their ``names``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kubelab.api.convert import CLIENT_CLASSES
from kubelab.api.gateway import GATEWAY_KINDS, crd_of
from kubelab.api.registry import (KINDS, RESOURCES, group_of, kind_class, resolve_kind, resource_name,
                                  resource_names)
from kubelab.cluster import Cluster
from kubelab.errors import KubelabError, NotFoundError

client = pytest.importorskip("kubernetes.client")
CLIENT_API_TEXT = "\n".join(p.read_text() for p in (Path(client.__file__).parent / "api").glob("*_api.py"))


@pytest.mark.parametrize("key", sorted(CLIENT_CLASSES), ids=lambda k: k[1])
def test_plural_and_scope_match_the_api_servers_paths(key):
    cls = KINDS[key]
    group = group_of(cls)
    prefix = f"/apis/{cls.api_version}" if group else f"/api/{cls.api_version}"
    scope = "/namespaces/{namespace}" if cls.namespaced else ""
    assert f"'{prefix}{scope}/{cls.plural}/{{name}}'" in CLIENT_API_TEXT


@pytest.mark.parametrize("cls", GATEWAY_KINDS, ids=lambda c: c.kind)
def test_gateway_names_match_the_crds(cls):
    crd = crd_of(cls.api_version, cls.kind)
    assert (cls.plural, cls.short_names, cls.namespaced) == (crd.plural, crd.short_names, crd.namespaced)
    assert resource_names(cls)[:2] == (crd.plural, crd.singular)


def test_every_kind_is_reachable_by_every_name_and_by_no_other():
    seen = {}
    for cls in KINDS.values():
        assert cls.plural, f"{cls.kind} has no plural"
        for name in resource_names(cls):
            assert resolve_kind(name) == resolve_kind(name.upper()) == cls.qualified_kind
            seen[name] = cls.qualified_kind
    assert seen == RESOURCES


def test_a_kind_two_groups_share_needs_its_group():
    assert resolve_kind("networkpolicies") == "NetworkPolicy"
    assert resolve_kind("networkpolicies.projectcalico.org") == "NetworkPolicy.projectcalico.org"
    assert kind_class("NetworkPolicy.projectcalico.org").api_version == "projectcalico.org/v3"
    with pytest.raises(KubelabError, match='resource type "netpols"'):
        resolve_kind("netpols")


@pytest.mark.parametrize(("kind", "message"), [
    ("ing", 'ingresses.networking.k8s.io "x" not found'),
    ("no", 'nodes "x" not found'),
    ("gnp", 'globalnetworkpolicies.projectcalico.org "x" not found'),
    ("networkpolicy.projectcalico.org", 'networkpolicies.projectcalico.org "x" not found'),
    ("gtw", 'gateways.gateway.networking.k8s.io "x" not found'),
])
def test_not_found_names_the_resource_as_the_api_server_does(kind, message):
    with pytest.raises(NotFoundError) as err:
        Cluster(system=False).get(kind, "x")
    assert str(err.value) == message
    assert resource_name(resolve_kind(kind)) == message.split()[0]


def test_cluster_scoped_kinds_ignore_the_namespace():
    c = Cluster()
    assert c.get("nodes", "kind-worker", "some-namespace").name == "kind-worker"
    assert {q for q in RESOURCES.values() if not kind_class(q).namespaced} == {
        "Node", "Namespace", "GlobalNetworkPolicy", "ServiceCIDR", "IngressClass", "KubeProxyConfiguration",
        "GatewayClass"}


@pytest.mark.parametrize(("kind", "api_version", "field", "where"), [
    ("ServiceCIDR", "networking.k8s.io/v1", "cidrz", "ServiceCIDR wide"),
    ("IngressClass", "networking.k8s.io/v1", "controler", "IngressClass wide"),
    ("Service", "v1", "portz", "Service default/wide"),
])
def test_decode_errors_name_cluster_scoped_objects_without_a_namespace(kind, api_version, field, where):
    from kubelab.api import from_dict
    from kubelab.errors import ValidationError

    doc = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "wide"}, "spec": {field: []}}
    with pytest.raises(ValidationError) as err:
        from_dict(doc, "x.yaml")
    assert str(err.value).startswith(f"x.yaml: {where}: unknown field")
