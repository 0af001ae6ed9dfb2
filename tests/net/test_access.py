"""kubelab.net.access: what kubectl proxy and kubectl port-forward reach."""

from __future__ import annotations

import doctest

import pytest

import kubelab
from kubelab.errors import KubelabError
from kubelab.examples import manifest
from kubelab.net import access

NUMERIC = """
apiVersion: v1
kind: Service
metadata: {name: num}
spec:
  selector: {app: web}
  ports: [{name: alt, port: 81, targetPort: 9000}]
"""


@pytest.fixture
def cluster():
    return kubelab.Cluster(manifest("web-service", "web-pods") + "\n---\n" + NUMERIC)


def test_proxy_path_forms():
    assert access.api_proxy_path("shop", "web") == "/api/v1/namespaces/shop/services/web/proxy/"
    assert access.api_proxy_path("shop", "web", 80) == "/api/v1/namespaces/shop/services/web:80/proxy/"
    assert access.api_proxy_path("shop", "web", "http", "https") == "/api/v1/namespaces/shop/services/https:web:http/proxy/"


def test_api_proxy_picks_among_the_ready_endpoints_of_that_port(cluster):
    slices = cluster.endpoint_slices("web", "default")
    want = sorted(f"{a}:{p.port}" for s in slices for p in s.ports for e in s.endpoints for a in e.addresses)
    assert access.api_proxy_endpoints(cluster, "default", "web", "http") == want
    assert access.api_proxy_endpoints(cluster, "default", "web", 80) == want  # by number too
    assert all(e.endswith(":9000") for e in access.api_proxy_endpoints(cluster, "default", "num"))


def test_no_ready_endpoint_is_the_api_servers_503_message():
    c = kubelab.Cluster(manifest("web-service"))
    with pytest.raises(KubelabError, match='no endpoints available for service "web"$'):
        access.api_proxy_endpoints(c, "default", "web")
    with pytest.raises(KubelabError, match="has no port 'nope'"):
        access.api_proxy_endpoints(c, "default", "web", "nope")


def test_port_forward_translates_the_service_port(cluster):
    pod, port = access.port_forward_target(cluster, "default", "web", 80)
    named = next(cp.container_port for c in cluster.get("pod", pod).spec.containers for cp in c.ports
                 if cp.name == "http")
    assert port == named and pod.startswith("web-")
    assert access.port_forward_target(cluster, "default", "num", 81) == (pod, 9000)
    assert access.port_forward_target(cluster, "default", "web", "http") == (pod, port)


def test_port_forward_errors():
    c = kubelab.Cluster(manifest("web-service"))
    with pytest.raises(KubelabError, match="no running pod selected"):
        access.port_forward_target(c, "default", "web", 80)
    with pytest.raises(KubelabError, match='services "nothere" not found'):
        access.port_forward_target(c, "default", "nothere", 80)


def test_doctests():
    result = doctest.testmod(access, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
