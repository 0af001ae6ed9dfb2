"""The objects every kind/kubeadm cluster has before you apply anything.

Upstream: kind's node image and kubeadm's addons: the ``default``,
``kube-system``, ``kube-public`` and ``kube-node-lease`` namespaces; the
``default/kubernetes`` Service (port ``https`` 443 -> the API server's 6443
on the control-plane node, endpoints written by the API server's endpoint
reconciler, ``pkg/controlplane/reconcilers``); the ``kube-system/kube-dns``
Service (ports ``dns`` 53/UDP, ``dns-tcp`` 53/TCP, ``metrics`` 9153/TCP) in
front of two CoreDNS pods (kubeadm ``cmd/kubeadm/app/phases/addons/dns/manifests.go``).

Simplification: kube-proxy, kindnet/Calico and the other DaemonSet pods of a
real cluster are not listed as pods (they run on the host network and do not
change what the model computes).
"""

from __future__ import annotations

from ..api import Node, from_dict
from .settings import ClusterSettings

__all__ = ["system_objects", "control_plane_name", "node_manifest", "CONTROL_PLANE_LABEL", "CONTROL_PLANE_TAINT", "COREDNS_IMAGE"]

CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
CONTROL_PLANE_TAINT = {"key": CONTROL_PLANE_LABEL, "effect": "NoSchedule"}
COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.11.3"
_COREDNS_PODS = ("coredns-7c65d6cfc9-8xk2p", "coredns-7c65d6cfc9-r4lmq")


def control_plane_name(nodes: list) -> str:
    """The control-plane node among ``nodes`` (by kubeadm's label, or a name like kind's), else the first
    node; ``kind-control-plane`` when there is none.

    >>> control_plane_name([])
    'kind-control-plane'
    """
    nodes = [n for n in nodes if isinstance(n, Node)]
    for n in nodes:
        if CONTROL_PLANE_LABEL in n.metadata.labels or "control-plane" in n.name:
            return n.name
    return nodes[0].name if nodes else "kind-control-plane"


def node_manifest(name: str, ip: str, control_plane: bool) -> dict:
    labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
    spec: dict = {}
    if control_plane:
        labels[CONTROL_PLANE_LABEL] = ""
        labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""  # kubeadm sets it
        spec["taints"] = [dict(CONTROL_PLANE_TAINT)]
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels}, "spec": spec,
            "status": {"addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}]}}


def system_objects(settings: ClusterSettings, control_plane_node: str) -> list:
    """Namespaces, the ``kubernetes`` and ``kube-dns`` Services and the CoreDNS pods, as API objects."""
    docs: list[dict] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}}
                        for n in ("default", "kube-system", "kube-public", "kube-node-lease")]
    docs.append({"apiVersion": "v1", "kind": "Service",
                 "metadata": {"name": "kubernetes", "namespace": "default",
                              "labels": {"component": "apiserver", "provider": "kubernetes"}},
                 "spec": {"clusterIP": settings.kubernetes_service_ip,
                          "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]}})
    docs.append({"apiVersion": "v1", "kind": "Service",
                 "metadata": {"name": "kube-dns", "namespace": "kube-system",
                              "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                                         "kubernetes.io/name": "CoreDNS"},
                              "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"}},
                 "spec": {"clusterIP": settings.cluster_dns, "selector": {"k8s-app": "kube-dns"},
                          "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                                    {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                                    {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}]}})
    for name in _COREDNS_PODS:
        docs.append({"apiVersion": "v1", "kind": "Pod",
                     "metadata": {"name": name, "namespace": "kube-system",
                                  "labels": {"k8s-app": "kube-dns", "pod-template-hash": "7c65d6cfc9"}},
                     "spec": {"nodeName": control_plane_node, "dnsPolicy": "Default",
                              "priorityClassName": "system-cluster-critical",
                              "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"},
                                              {"key": CONTROL_PLANE_LABEL, "effect": "NoSchedule"}],
                              "containers": [{"name": "coredns", "image": COREDNS_IMAGE,
                                              "args": ["-conf", "/etc/coredns/Corefile"],
                                              "ports": [{"name": "dns", "containerPort": 53, "protocol": "UDP"},
                                                        {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
                                                        {"name": "metrics", "containerPort": 9153,
                                                         "protocol": "TCP"}]}]}})
    out = []
    for d in docs:
        out.extend(from_dict(d, "<cluster defaults>"))
    return out
