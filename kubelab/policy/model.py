"""What every policy evaluator shares: endpoints, the per-cluster index, one decision.

An :class:`Endpoint` is one end of a connection as a policy engine sees it: an IP
address and, when that address belongs to a pod (not ``hostNetwork``), the pod with
its labels and its namespace's labels.  :class:`PolicyIndex` is built once per
cluster state (the store is copy-on-write, so a new state means something changed)
and caches, per pod, which policies select it: with 1,000 pods and 200 policies
each pod's selection is computed once, not once per connection.
"""

from __future__ import annotations

import ipaddress
import weakref
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from ..api import Pod
from ..cluster import Cluster

__all__ = ["Endpoint", "Decision", "PolicyIndex", "index_for", "ip_in"]

#: labels Calico adds to every workload endpoint (libcalico-go's Kubernetes conversion)
CALICO_NAMESPACE_LABEL = "projectcalico.org/namespace"
CALICO_ORCHESTRATOR_LABEL = "projectcalico.org/orchestrator"


class Decision(NamedTuple):
    """One policy (and rule) that took part in a verdict.

    ``rule`` is the index in that direction's rule list, or ``None`` when the policy
    decided as a whole (it isolates the pod and none of its rules matched).
    """

    policy: str
    rule: int | None
    direction: str
    why: str

    def __str__(self) -> str:
        where = f" {self.direction} rule {self.rule}" if self.rule is not None else f" ({self.direction})"
        return f"{self.policy}{where}: {self.why}"


@dataclass(frozen=True)
class Endpoint:
    """One end of a connection: ``ip``, and the pod owning it (``None`` for nodes and the outside)."""

    ip: str
    pod: Any = None
    namespace_labels: dict = field(default_factory=dict, compare=False, hash=False)
    node: str | None = None  # the node a pod runs on, or the node an address belongs to

    @property
    def labels(self) -> dict[str, str]:
        return self.pod.metadata.labels if self.pod is not None else {}

    @property
    def namespace(self) -> str | None:
        return self.pod.namespace if self.pod is not None else None

    @property
    def key(self):
        return self.pod.key if self.pod is not None else ("IP", "", self.ip)

    def __str__(self) -> str:
        return f"{self.pod.namespace}/{self.pod.name} ({self.ip})" if self.pod is not None else self.ip

    def named_port(self, name: str, proto: str) -> set[int]:
        """The numbers a named port has on this pod for ``proto`` (empty when not a pod or not declared)."""
        if self.pod is None:
            return set()
        return {p.container_port for c in self.pod.spec.containers for p in c.ports
                if p.name == name and (p.protocol or "TCP") == proto and p.container_port}


@lru_cache(maxsize=4096)
def _net(cidr: str):
    return ipaddress.ip_network(cidr if "/" in cidr else (cidr + ("/128" if ":" in cidr else "/32")), strict=False)


@lru_cache(maxsize=65536)
def _addr(ip: str):
    return ipaddress.ip_address(ip)


def ip_in(ip: str, cidr: str) -> bool:
    """``ip`` inside ``cidr`` (a bare address is a /32 or /128); different families never match."""
    a, n = _addr(ip), _net(cidr)
    return a.version == n.version and a in n


class PolicyIndex:
    """Pods, namespaces, nodes and policies of one cluster state, with per-pod caches."""

    def __init__(self, cluster: "Cluster"):
        self.namespaces = {n.name: dict(n.metadata.labels) for n in cluster.list("namespaces")}
        self.pods = [p for p in cluster.pods() if p.status.pod_ip]
        self.pod_by_ip = {p.status.pod_ip: p for p in self.pods if not p.spec.host_network}
        self.nodes = cluster.nodes()
        self.node_ips: dict[str, str] = {}  # address -> node name (its InternalIP and its bridge gateway)
        for n in self.nodes:
            if n.internal_ip:
                self.node_ips[n.internal_ip] = n.name
            for cidr in n.spec.pod_cidrs:
                self.node_ips[str(ipaddress.ip_network(cidr, strict=False)[1])] = n.name
        self.pod_by_name = {f"{p.namespace}/{p.name}": p for p in cluster.pods()}
        self.k8s_policies = list(cluster.list("networkpolicies"))
        self.k8s_by_namespace: dict[str, list] = {}
        for np in self.k8s_policies:
            self.k8s_by_namespace.setdefault(np.namespace, []).append(np)
        self.calico_policies = list(cluster.list("networkpolicies.projectcalico.org"))
        self.global_policies = list(cluster.list("globalnetworkpolicies"))
        self.cache: dict[Any, Any] = {}  # per-evaluator caches, keyed by (evaluator, what, ...)
        self._endpoints: dict[str, Endpoint] = {}

    def ns_labels(self, namespace: str | None) -> dict[str, str]:
        if namespace is None:
            return {}
        labels = self.namespaces.get(namespace)
        if labels is None:  # a namespace the manifests never declared: it still has its name label
            labels = {"kubernetes.io/metadata.name": namespace}
        return labels

    def endpoint(self, ip: str) -> Endpoint:
        ep = self._endpoints.get(ip)
        if ep is None:
            pod = self.pod_by_ip.get(ip)
            if pod is not None:
                ep = Endpoint(ip, pod, self.ns_labels(pod.namespace), pod.spec.node_name)
            else:
                ep = Endpoint(ip, None, {}, self.node_ips.get(ip))
            self._endpoints[ip] = ep
        return ep

    def pod_endpoint(self, pod: "Pod") -> Endpoint:
        if pod.spec.host_network or not pod.status.pod_ip:
            return Endpoint(pod.status.pod_ip or "", None, {}, pod.spec.node_name)
        return self.endpoint(pod.status.pod_ip)

    @property
    def has_policies(self) -> bool:
        return bool(self.k8s_policies or self.calico_policies or self.global_policies)


_INDEXES: "weakref.WeakKeyDictionary[Any, tuple[Any, PolicyIndex]]" = weakref.WeakKeyDictionary()


def index_for(cluster: "Cluster") -> PolicyIndex:
    """The index of the cluster's current state (rebuilt after any apply or delete)."""
    state = getattr(cluster, "_s", None)
    hit = _INDEXES.get(cluster)
    if hit is not None and hit[0] is state and state is not None:
        return hit[1]
    idx = PolicyIndex(cluster)
    try:
        _INDEXES[cluster] = (state, idx)
    except TypeError:  # pragma: no cover - not weak-referenceable
        pass
    return idx
