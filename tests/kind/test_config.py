"""kind_config: the kind.x-k8s.io/v1alpha4 Cluster for default and custom models, parsed back with yaml.

Schema: kubernetes-sigs/kind pkg/apis/config/v1alpha4/types.go (Networking.PodSubnet, ServiceSubnet,
KubeProxyMode iptables|ipvs|nftables, DisableDefaultCNI; Node.Role control-plane|worker).
"""

from __future__ import annotations

import pytest
import yaml

from kubelab import Cluster
from kubelab.errors import KubelabError
from kubelab.kind import install_commands, kind_config

NODES = "\n---\n".join(
    f"apiVersion: v1\nkind: Node\nmetadata: {{name: {name}, labels: {labels}}}"
    for name, labels in [("cp-1", "{node-role.kubernetes.io/control-plane: ''}"), ("w-1", "{}"), ("w-2", "{}"),
                         ("w-3", "{}")])


def test_default_cluster():
    text = kind_config(Cluster())
    cfg = yaml.safe_load(text)
    assert cfg["kind"] == "Cluster" and cfg["apiVersion"] == "kind.x-k8s.io/v1alpha4"
    assert [n["role"] for n in cfg["nodes"]] == ["control-plane", "worker", "worker"]
    net = cfg["networking"]
    assert net == {"podSubnet": "10.244.0.0/16", "serviceSubnet": "10.96.0.0/12", "kubeProxyMode": "iptables",
                   "disableDefaultCNI": True}  # the default model uses Calico
    assert "# kind cannot reproduce:" in text and "node IPs" in text
    assert any("tigera-operator.yaml" in line for line in text.splitlines() if line.startswith("#"))


def test_custom_cluster():
    c = Cluster(NODES, pod_cidr="10.200.0.0/16", service_cidrs=["10.100.0.0/16"], proxy_mode="ipvs", cni="kindnet")
    cfg = yaml.safe_load(kind_config(c, name="lab"))
    assert cfg["name"] == "lab"
    assert [n["role"] for n in cfg["nodes"]] == ["control-plane", "worker", "worker", "worker"]
    assert cfg["networking"] == {"podSubnet": "10.200.0.0/16", "serviceSubnet": "10.100.0.0/16",
                                 "kubeProxyMode": "ipvs"}  # kindnet is kind's own CNI: left enabled
    assert install_commands(c, "lab") == ["kind create cluster --config <(kubelab kind config -f MANIFESTS) --name lab"]


def test_nftables_and_kube_proxy_configuration():
    c = Cluster("apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: nftables\n")
    assert yaml.safe_load(kind_config(c))["networking"]["kubeProxyMode"] == "nftables"


def test_calico_install_commands_use_the_pod_cidr():
    cmds = install_commands(Cluster(pod_cidr="10.50.0.0/16"), "x")
    assert cmds[0].startswith("kind create cluster")
    assert any("10.50.0.0/16" in c and "custom-resources.yaml" in c for c in cmds)
    assert all("--context kind-x" in c for c in cmds[1:])


def test_userspace_is_one_line_error():
    with pytest.raises(KubelabError) as exc:
        kind_config(Cluster(proxy_mode="userspace"))
    assert "\n" not in str(exc.value) and "userspace" in str(exc.value)


def test_workers_only_model_gets_a_control_plane():
    c = Cluster("apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n")
    assert [n["role"] for n in yaml.safe_load(kind_config(c))["nodes"]] == ["control-plane", "worker"]
