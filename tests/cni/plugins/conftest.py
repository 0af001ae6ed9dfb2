from __future__ import annotations

import pytest
import yaml

from kubelab import Cluster


def pod(name, node, ns="default"):
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
                           "spec": {"nodeName": node, "containers": [{"name": "c", "image": "x",
                                                                       "ports": [{"containerPort": 8080}]}]}})


@pytest.fixture
def two_pods():
    """A cluster factory: pod ``a`` on kind-worker, pod ``b`` on kind-worker2."""
    def make(cni="calico"):
        return Cluster([pod("a", "kind-worker"), pod("b", "kind-worker2")], cni=cni)
    return make
