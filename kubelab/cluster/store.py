"""The cluster's object store: every object at one revision, with the indexes the allocators use.

Upstream, the API server keeps objects in etcd and hands out a ``resourceVersion``
on every write (``k8s.io/apiserver/pkg/storage``); watchers get ``ADDED``/
``MODIFIED``/``DELETED`` events.  kubelab's store is one in-memory :class:`Store`
that an apply forks, changes and commits whole (copy-on-write: stored objects are
never changed in place), so a failed apply leaves nothing behind and a revision
number says whether anything derived from the store is still current
(:mod:`kubelab.util.views`).  Beside the objects it keeps the allocators' state
(ClusterIPs, NodePorts, load balancer addresses, host-local's last address per
node) and indexes kept up to date on every put and remove: pod IPs, pods per node,
node pod CIDRs and InternalIPs, and the scheduler's heap of least loaded nodes.

Simplifications: no etcd, no resourceVersion per object (one revision for the
store, one per kind: :meth:`kubelab.cluster.Cluster.revision_of`), no watch
bookmarks or history.

Examples
--------
>>> from kubelab.api import load_text
>>> s = Store(ips=ClusterIPAllocator(["10.96.0.0/12"]), ports=NodePortAllocator((30000, 32767)))
>>> s.put(load_text("apiVersion: v1\\nkind: Namespace\\nmetadata: {name: shop}")[0])
>>> t = s.fork()
>>> t.remove(("Namespace", "", "shop"))
>>> len(s.objects), len(t.objects)
(1, 0)
"""

from __future__ import annotations

import bisect
import copy
import functools
import heapq
import ipaddress
from dataclasses import dataclass, field
from typing import Any

from ..api import APIObject, Node, Pod
from .allocator import ClusterIPAllocator, NodePortAllocator
from .loadbalancer import LoadBalancerPool
from .settings import NODE_NETWORK

__all__ = ["Store", "Event", "network", "NODE_NET", "node_ip_offset", "node_nets", "subnet_index"]


@dataclass
class Event:
    """A watch event: ``type`` is ``ADDED``, ``MODIFIED`` or ``DELETED``; ``obj`` the object after (or before, for DELETED)."""

    type: str
    obj: APIObject

    def __str__(self) -> str:
        return f"{self.type} {self.obj.ref}"



@dataclass
class Store:
    """The objects, the allocators' state and the indexes, at one revision.

    Stored objects are never mutated in place (changes store a new object), so :meth:`fork` can
    copy the indexes without copying the objects: that is what makes an apply all-or-nothing and
    cheap.
    """

    objects: dict[tuple[str, str, str], APIObject] = field(default_factory=dict)
    by_kind: dict[str, dict[tuple[str, str, str], APIObject]] = field(default_factory=dict)  # creation order
    seq: dict[tuple[str, str, str], int] = field(default_factory=dict)
    counter: int = 0
    batch: dict[tuple[str, str, str], int] = field(default_factory=dict)  # the apply that created it
    batches: int = 0
    ips: ClusterIPAllocator | None = None
    ports: NodePortAllocator | None = None
    lbs: LoadBalancerPool = field(default_factory=LoadBalancerPool)
    ipam_last: dict[str, Any] = field(default_factory=dict)  # node -> last pod IP host-local reserved there
    pod_ips: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # pod IP (not hostNetwork) -> key
    pods_per_node: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Node indexes, so that allocating a node's podCIDR or InternalIP and scheduling a pod do not
    # rescan every node (at 5,000 nodes those scans made a build cubic in the number of nodes).
    node_nets: dict[tuple[int, int, int], int] = field(default_factory=dict)  # (version, net int, prefix) -> nodes
    node_net_starts: list[tuple[int, int]] = field(default_factory=list)  # sorted (version, net int), repeats kept
    cidr_hint: dict[tuple[str, int], int] = field(default_factory=dict)  # (pod CIDR, mask) -> subnets below are used
    node_ips: dict[str | None, int] = field(default_factory=dict)  # InternalIP -> nodes that report it
    node_ip_hint: int = 0  # addresses of 172.18.0.0/16 below this index are used
    sched: list[tuple[int, int, str]] | None = None  # lazy heap (pods, node order, name) of untainted nodes
    sched_order: dict[str, int] = field(default_factory=dict)  # untainted schedulable node -> node order
    revision: int = 0  # one more on every commit (apply or delete)
    kind_revisions: dict[str, int] = field(default_factory=dict)  # qualified kind -> revision it last changed at

    def fork(self) -> "Store":
        new = copy.copy(self)
        new.objects = dict(self.objects)
        new.by_kind = {k: dict(v) for k, v in self.by_kind.items()}
        new.seq = dict(self.seq)
        new.batch = dict(self.batch)
        new.ips = copy.copy(self.ips)
        new.ips.used = dict(self.ips.used)
        new.ips.networks = list(self.ips.networks)
        new.ports = copy.copy(self.ports)
        new.ports.used = dict(self.ports.used)
        new.lbs = self.lbs.copy()
        new.ipam_last = dict(self.ipam_last)
        new.pod_ips = dict(self.pod_ips)
        new.pods_per_node = dict(self.pods_per_node)
        new.warnings = list(self.warnings)
        new.node_nets = dict(self.node_nets)
        new.node_net_starts = list(self.node_net_starts)
        new.cidr_hint = dict(self.cidr_hint)
        new.node_ips = dict(self.node_ips)
        new.kind_revisions = dict(self.kind_revisions)
        new.sched, new.sched_order = None, {}  # rebuilt on first use
        return new

    def put(self, obj: APIObject) -> None:
        key = obj.key
        if key in self.objects:
            self._unindex(self.objects[key])
        else:
            self.counter += 1
            self.seq[key] = self.counter
            self.batch[key] = self.batches
        self.objects[key] = obj
        self.by_kind.setdefault(key[0], {})[key] = obj
        self._index(obj)

    def remove(self, key) -> None:
        obj = self.objects.pop(key, None)
        if obj is not None:
            self._unindex(obj)
            self.by_kind.get(key[0], {}).pop(key, None)
        self.seq.pop(key, None)
        self.batch.pop(key, None)

    def _index(self, obj: APIObject) -> None:
        if isinstance(obj, Pod):
            if obj.status.pod_ip and not obj.spec.host_network:
                self.pod_ips[obj.status.pod_ip] = obj.key
            if obj.spec.node_name:
                self.pods_per_node[obj.spec.node_name] = self.pods_per_node.get(obj.spec.node_name, 0) + 1
                self._sched_update(obj.spec.node_name)
        elif isinstance(obj, Node):
            self.sched = None
            ip = obj.internal_ip
            self.node_ips[ip] = self.node_ips.get(ip, 0) + 1
            for net in node_nets(obj):
                if net is None:  # not a CIDR Python reads (validation passed it): no block to avoid
                    continue
                self.node_nets[net] = self.node_nets.get(net, 0) + 1
                bisect.insort(self.node_net_starts, net[:2])

    def _unindex(self, obj: APIObject) -> None:
        if isinstance(obj, Pod):
            if self.pod_ips.get(obj.status.pod_ip or "") == obj.key:
                del self.pod_ips[obj.status.pod_ip]
            if obj.spec.node_name:
                self.pods_per_node[obj.spec.node_name] -= 1
                self._sched_update(obj.spec.node_name)
        elif isinstance(obj, Node):
            self.sched = None
            ip = obj.internal_ip
            left = self.node_ips.pop(ip, 0) - 1
            if left > 0:
                self.node_ips[ip] = left
            else:
                offset = node_ip_offset(ip)
                if offset is not None:
                    self.node_ip_hint = min(self.node_ip_hint, offset)
            for net in node_nets(obj):
                if net is None:
                    continue
                i = bisect.bisect_left(self.node_net_starts, net[:2])
                if i < len(self.node_net_starts) and self.node_net_starts[i] == net[:2]:
                    del self.node_net_starts[i]
                left = self.node_nets.pop(net, 0) - 1
                if left > 0:
                    self.node_nets[net] = left
                else:
                    for hint in list(self.cidr_hint):  # the subnets from the freed one on may be free again
                        self.cidr_hint[hint] = min(self.cidr_hint[hint], subnet_index(hint, net))

    # -- scheduling index: the least loaded node among those any pod fits (no taint to tolerate)
    def _sched_update(self, node_name: str) -> None:
        if self.sched is not None and node_name in self.sched_order:
            heapq.heappush(self.sched, (self.pods_per_node.get(node_name, 0), self.sched_order[node_name], node_name))

    def least_loaded_untainted(self) -> Node | None:
        """The node with the fewest pods, then first in node order, among the schedulable nodes without a
        ``NoSchedule``/``NoExecute`` taint (``None`` if there is none): where the scheduler puts a pod that has
        no tolerations, node selector, host ports or reported address.

        A heap with one entry per change of a node's pod count; entries whose count is out of date are dropped
        when they reach the top, so a pick costs O(log n) amortised instead of a pass over every node.
        """
        if self.sched is None:
            nodes = self.by_kind.get("Node", {}).values()
            self.sched_order = {n.name: i for i, n in enumerate(nodes)  # type: ignore[attr-defined]
                                if not n.spec.unschedulable  # type: ignore[attr-defined]
                                and not any(t.effect in ("NoSchedule", "NoExecute")
                                            for t in n.spec.taints)}  # type: ignore[attr-defined]
            self.sched = [(self.pods_per_node.get(name, 0), i, name) for name, i in self.sched_order.items()]
            heapq.heapify(self.sched)
        heap = self.sched
        while heap:
            count, _, name = heap[0]
            if self.pods_per_node.get(name, 0) == count:
                return self.objects[("Node", "", name)]  # type: ignore[return-value]
            heapq.heappop(heap)
        return None

    def of_kind(self, kind: str, namespace: str | None = None) -> list[APIObject]:
        items = self.by_kind.get(kind, {})
        if namespace is None:
            return list(items.values())
        return [o for k, o in items.items() if k[1] == namespace]


@functools.lru_cache(maxsize=16384)  # one entry per node's pod CIDR: room for 8,192 /24s and more
def network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """``ipaddress.ip_network(cidr, strict=False)``, parsed once per CIDR."""
    return ipaddress.ip_network(cidr, strict=False)


NODE_NET = ipaddress.ip_network(NODE_NETWORK)  # kind's docker network: node addresses kubelab hands out


def node_ip_offset(ip: str | None) -> int | None:
    """Index of ``ip`` in 172.18.0.0/16, ``None`` when it is not there (or not an address)."""
    try:
        addr = ipaddress.ip_address(ip or "")
    except ValueError:
        return None
    return int(addr) - int(NODE_NET.network_address) if addr in NODE_NET else None


def node_nets(node: Node) -> list[tuple[int, int, int] | None]:
    """The node's podCIDRs as ``(version, network as int, prefix length)``; ``None`` for one that does not parse."""
    out: list[tuple[int, int, int] | None] = []
    for c in node.spec.pod_cidrs:
        try:
            net = network(c)
        except ValueError:
            out.append(None)
            continue
        out.append((net.version, int(net.network_address), net.prefixlen))
    return out


def subnet_index(hint: tuple[str, int], freed: tuple[int, int, int]) -> int:
    """The first subnet index of ``hint`` = (pod CIDR, mask) that the freed block can overlap."""
    net = network(hint[0])
    if net.version != freed[0]:
        return 1 << 62  # another family: the freed block never overlaps these subnets
    return max(0, (freed[1] - int(net.network_address)) >> (net.max_prefixlen - hint[1]))
