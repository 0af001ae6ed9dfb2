"""The plan of a lab: which ``kl-`` namespaces, links, addresses, routes and servers a Cluster becomes.

Pure data, apart from the machinery that builds it (:mod:`kubelab.lab.build`),
as mininet keeps ``topo.py`` apart from ``net.py``.  The shape is kind's:

* one network namespace per node, ``kl-<lab>-<node>``, its ``eth0`` holding the
  node's InternalIP (172.18.0.x/16) and joined to the others through
* a fabric namespace ``kl-<lab>-fabric`` with a Linux bridge ``br0`` on
  172.18.0.0/16 (kind's docker network; ``172.18.0.1`` is the outside client);
* one namespace per pod, ``kl-<lab>-p<N>``, wired into its node by the real CNI
  plugins (bridge + host-local + loopback + portmap) with the model's pod IP;
* on each node a route to every other node's pod CIDR via that node's
  InternalIP, as Calico programs them without encapsulation (BGP, same L2),
  and a default route to the fabric (kind's docker gateway; the fabric
  namespace does not forward, so nothing leaves the lab);
* in each pod one server process answering on every declared container port
  with the pod's ``namespace/name``.

Simplifications (``skipped`` lists those that apply): host-network pods,
pods without an IP and pods on nodes without a podCIDR are left out;
kube-proxy runs in the cluster's mode when the lab can load it (:data:`LAB_MODES`:
iptables, nftables), else in iptables mode (no IPVS on these kernels); network
policies are not enforced (the bridge plugin has no policy engine); IPv4 only.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ..cluster import Cluster

__all__ = ["LAB_MODES", "LabNode", "LabPod", "Topology", "plan", "check_lab_name", "FABRIC_IP", "FABRIC_CIDR",
           "MAX_LAB_PODS", "MAX_LAB_NODES"]

#: The kube-proxy modes the lab loads into the kernel, and the tool each one uses.  IPVS is
#: modelled only (no ``CONFIG_IP_VS`` here); userspace was removed from kube-proxy in v1.26.
LAB_MODES = {"iptables": "iptables-restore", "nftables": "nft"}

FABRIC_CIDR = "172.18.0.0/16"
FABRIC_IP = "172.18.0.1"  # the fabric bridge's address: kind's docker gateway, our "outside" client
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,19}$")
#: The most pods one lab runs (each is a network namespace and a server process) and the most nodes.
MAX_LAB_PODS = 100
MAX_LAB_NODES = 16
#: A node's namespace is ``kl-<lab>-<node>`` while that stays this short; else ``kl-<lab>-n<index>``.
_MAX_NETNS_NAME = 64


def check_lab_name(lab: str) -> str:
    """``lab`` if it is a lab name (it becomes part of namespace names and of a state path), else one error.

    >>> check_lab_name("demo")
    'demo'
    >>> check_lab_name("../../x")
    Traceback (most recent call last):
    ...
    kubelab.errors.KubelabError: --name "../../x": a lab name is lowercase letters, digits and dashes (at most 20)
    """
    if not isinstance(lab, str) or not _NAME_RE.match(lab):
        from ..errors import KubelabError
        raise KubelabError(f'--name "{lab}": a lab name is lowercase letters, digits and dashes (at most 20)')
    return lab


@dataclass
class LabPod:
    ref: str  # namespace/name
    netns: str
    node: str
    ip: str
    container_id: str
    ports: list[tuple[int, str]] = field(default_factory=list)  # (containerPort, protocol)
    host_ports: list[dict[str, Any]] = field(default_factory=list)  # CNI portMappings


@dataclass
class LabNode:
    name: str
    netns: str
    ip: str
    pod_cidr: str
    fabric_port: str  # the veth end on the fabric bridge
    routes: list[tuple[str, str]] = field(default_factory=list)  # (other node's pod CIDR, via its InternalIP)


@dataclass
class Topology:
    lab: str
    fabric: str
    nodes: list[LabNode]
    pods: list[LabPod]
    skipped: list[str] = field(default_factory=list)
    hairpin: bool = True

    @property
    def namespaces(self) -> list[str]:
        return [self.fabric, *(n.netns for n in self.nodes), *(p.netns for p in self.pods)]

    def node(self, name: str) -> LabNode:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def pod(self, name: str) -> LabPod:
        ref = name if "/" in name else f"default/{name}"
        for p in self.pods:
            if p.ref == ref:
                return p
        raise KeyError(name)

    def conflist(self, node: LabNode) -> dict[str, Any]:
        """The node's CNI configuration list: kubenet/kind-like bridge, host-local on its podCIDR, portmap."""
        return {"cniVersion": "1.0.0", "name": "kubelab", "plugins": [
            {"type": "bridge", "bridge": "cni0", "isGateway": True, "hairpinMode": self.hairpin,
             "ipam": {"type": "host-local", "ranges": [[{"subnet": node.pod_cidr}]],
                      "routes": [{"dst": "0.0.0.0/0"}]}},
            {"type": "portmap", "capabilities": {"portMappings": True}, "snat": True}]}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Topology":
        nodes = [LabNode(**{**n, "routes": [tuple(r) for r in n["routes"]]}) for n in d["nodes"]]
        pods = [LabPod(**{**p, "ports": [tuple(x) for x in p["ports"]]}) for p in d["pods"]]
        return cls(d["lab"], d["fabric"], nodes, pods, list(d.get("skipped", [])), d.get("hairpin", True))


def plan(cluster: "Cluster", lab: str = "lab", hairpin: bool = True) -> Topology:
    """The lab a cluster becomes (no side effects).

    >>> from kubelab import Cluster
    >>> t = plan(Cluster(), "demo")
    >>> t.fabric, [n.netns for n in t.nodes][:1], t.nodes[1].routes[0]
    ('kl-demo-fabric', ['kl-demo-kind-control-plane'], ('10.244.0.0/24', '172.18.0.2'))
    """
    from ..errors import KubelabError

    check_lab_name(lab)
    prefix = f"kl-{lab}-"
    nodes: list[LabNode] = []
    skipped: list[str] = []
    for i, n in enumerate(cluster.nodes()):
        if not n.internal_ip or not n.spec.pod_cidrs:
            skipped.append(f"node {n.name}: no InternalIP or podCIDR")
            continue
        netns = prefix + n.name if len(prefix + n.name) <= _MAX_NETNS_NAME else f"{prefix}n{i}"
        nodes.append(LabNode(n.name, netns, n.internal_ip, n.spec.pod_cidrs[0], f"n{i}"))
    if len(nodes) > MAX_LAB_NODES:
        raise KubelabError(f"lab: {len(nodes)} nodes: a lab runs at most {MAX_LAB_NODES} (one network namespace "
                           "each, on this machine's kernel)")
    for n in nodes:
        n.routes = [(o.pod_cidr, o.ip) for o in nodes if o is not n]
    names = {n.name for n in nodes}
    pods: list[LabPod] = []
    for p in cluster.pods(None):
        if p.spec.host_network or not p.status.pod_ip or p.spec.node_name not in names:
            skipped.append(f"pod {p.namespace}/{p.name}: " + ("hostNetwork" if p.spec.host_network else
                                                               "no IP or node in the lab"))
            continue
        ports, host_ports = [], []
        for c in p.spec.containers:
            for cp in c.ports:
                proto = (cp.protocol or "TCP").upper()
                if (cp.container_port, proto) not in ports and proto in ("TCP", "UDP"):
                    ports.append((cp.container_port, proto))
                if cp.host_port:
                    host_ports.append({"hostPort": cp.host_port, "containerPort": cp.container_port,
                                       "protocol": proto.lower()})
        cid = hashlib.sha256(f"{p.namespace}/{p.name}".encode()).hexdigest()[:16]
        pods.append(LabPod(f"{p.namespace}/{p.name}", f"{prefix}p{len(pods)}", p.spec.node_name, p.status.pod_ip,
                           cid, ports, host_ports))
    if len(pods) > MAX_LAB_PODS:
        raise KubelabError(f"lab: {len(pods)} pods: a lab runs at most {MAX_LAB_PODS} (one network namespace and "
                           "one server process each, on this machine's kernel); the model has no such limit")
    mode = cluster.kube_proxy_config.effective_mode
    if mode not in LAB_MODES:
        skipped.append(f"kube-proxy mode {mode}: modelled only (`kubelab lab modelled` says why); the lab loads "
                       "the iptables mode's rules")
    policies = sum(len(cluster.list(k, None)) for k in ("NetworkPolicy", "NetworkPolicy.projectcalico.org",
                                                        "GlobalNetworkPolicy"))
    if policies:
        skipped.append(f"{policies} network policies: not enforced in the lab (the bridge plugin enforces none; "
                       f"the model enforces them as the cluster's CNI plugin, {cluster.settings.cni}, would)")
    return Topology(lab, prefix + "fabric", nodes, pods, skipped, hairpin)
