"""Clusters for the nftables-mode tests: upstream's own fixtures, rebuilt as kubelab manifests.

``upstream_overall()`` is ``TestOverallNFTablesRules`` of kubernetes
``pkg/proxy/nftables/proxier_test.go`` (v1.35 line): node ``test-node`` at
192.168.0.2, Service ClusterIPs from 172.30.0.0/16, pods in 10.0.0.0/8 (the
local-traffic detector's CIDR), six Services ``ns1/svc1`` ... ``ns6/svc6``
with EndpointSlices written directly, as the test does.  Two fields the
test sets but the API server would refuse or change are adapted (the test's
fake proxier skips validation and allocation): ``ns5/svc5`` (Cluster policy)
has no ``healthCheckNodePort``, and ``ns4/svc4`` (``type: NodePort`` without a
``nodePort`` upstream, so it gets none) is a ClusterIP Service here -- neither
changes a rule.  NodePorts 3001-3003 need a node-port range from 1.
"""

from __future__ import annotations

import yaml

from kubelab import Cluster

NODE = "test-node"
NODE_IP = "192.168.0.2"


def _node(name: str, ip: str) -> dict:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
            "spec": {"podCIDR": "10.180.0.0/24" if name == NODE else "10.180.2.0/24"},
            "status": {"addresses": [{"type": "InternalIP", "address": ip}]}}


def _svc(ns: str, name: str, **spec) -> dict:
    status = spec.pop("status", None)
    doc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns}, "spec": spec}
    if status:
        doc["status"] = status
    return doc


def _slice(ns: str, svc: str, endpoints: list[dict], port: int = 80, port_name: str = "p80",
           proto: str = "TCP") -> dict:
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
            "metadata": {"name": f"{svc}-1", "namespace": ns, "labels": {"kubernetes.io/service-name": svc}},
            "endpoints": endpoints, "ports": [{"name": port_name, "port": port, "protocol": proto}]}


def _p80(**extra) -> list[dict]:
    return [{"name": "p80", "port": 80, "protocol": "TCP", **extra}]


def upstream_cluster(docs: list[dict]) -> Cluster:
    c = Cluster(yaml.safe_dump_all([_node(NODE, NODE_IP), _node("node2", "192.168.0.3")]),
                service_cidrs="172.30.0.0/16", pod_cidr="10.0.0.0/8", system=False,
                node_port_range="1-32767")
    c.apply(yaml.safe_dump({"apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration",
                            "mode": "nftables", "clusterCIDR": "10.0.0.0/8"}))
    c.apply(yaml.safe_dump_all(docs))
    return c


def upstream_overall() -> Cluster:
    """``TestOverallNFTablesRules``'s six Services and their EndpointSlices."""
    return upstream_cluster([
        _svc("ns1", "svc1", clusterIP="172.30.0.41", ports=_p80()),
        _svc("ns2", "svc2", type="LoadBalancer", externalTrafficPolicy="Local", clusterIP="172.30.0.42",
             ports=_p80(nodePort=3001), externalIPs=["192.168.99.22"], healthCheckNodePort=30000,
             status={"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}),
        _svc("ns3", "svc3", type="NodePort", clusterIP="172.30.0.43", ports=_p80(nodePort=3003)),
        _svc("ns4", "svc4", type="ClusterIP", clusterIP="172.30.0.44", externalIPs=["192.168.99.33"],
             ports=_p80(targetPort=80)),
        _svc("ns5", "svc5", type="LoadBalancer", externalTrafficPolicy="Cluster", clusterIP="172.30.0.45",
             ports=_p80(nodePort=3002), loadBalancerSourceRanges=[" 203.0.113.0/25"],
             sessionAffinity="ClientIP", sessionAffinityConfig={"clientIP": {"timeoutSeconds": 10800}},
             status={"loadBalancer": {"ingress": [{"ip": "5.6.7.8"}]}}),
        _svc("ns6", "svc6", type="ClusterIP", clusterIP="172.30.0.46", ports=_p80(targetPort=80)),
        _slice("ns1", "svc1", [{"addresses": ["10.180.0.1"]}]),
        _slice("ns2", "svc2", [{"addresses": ["10.180.0.2"]}]),
        _slice("ns3", "svc3", [{"addresses": ["10.180.0.3"]}]),
        _slice("ns4", "svc4", [{"addresses": ["10.180.0.4"]}, {"addresses": ["10.180.0.5"], "nodeName": NODE}]),
        _slice("ns5", "svc5", [{"addresses": ["10.180.0.3"]}]),
    ])


def svc_yaml(name: str, ns: str = "default", **spec) -> str:
    spec.setdefault("ports", [{"name": "p80", "port": 80, "targetPort": 80}])
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
                           "spec": spec})


def pod_yaml(name: str, ip: str, node: str, labels: dict, ns: str = "default", ready: bool = True) -> str:
    status: dict = {"phase": "Running", "podIP": ip}
    if not ready:
        status["conditions"] = [{"type": "Ready", "status": "False"}]
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns,
                                                                           "labels": labels},
                           "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx"}]},
                           "status": status})


def web(**spec) -> Cluster:
    """kind's three nodes; Service ``web`` over three pods (two on kind-worker, one on kind-worker2).

    The addresses sort as strings, not numbers: 10.244.1.10 comes before 10.244.1.9.
    """
    labels = {"app": "web"}
    c = Cluster()
    c.apply(svc_yaml("web", selector=labels, **spec))
    for i, ip in enumerate(["10.244.1.9", "10.244.1.10", "10.244.2.5"]):
        c.apply(pod_yaml(f"w{i}", ip, "kind-worker" if i < 2 else "kind-worker2", labels))
    return c
