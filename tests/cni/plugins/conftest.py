from __future__ import annotations

import pytest
from kubelab import Cluster
from tests import factories


def pod(name, node, ns="default"):
    return factories.to_yaml(factories.pod(name, namespace=ns, node=node, container="c", image="x", ports=[8080]))


@pytest.fixture
def two_pods():
    """A cluster factory: pod ``a`` on kind-worker, pod ``b`` on kind-worker2."""
    def make(cni="calico"):
        return Cluster([pod("a", "kind-worker"), pod("b", "kind-worker2")], cni=cni)
    return make
