"""Node IPAM: each node's podCIDR, and its InternalIP on kind's docker network.

Upstream: kube-controller-manager's node IPAM controller with the range
allocator (``pkg/controller/nodeipam/ipam/range_allocator.go`` and
``cidrset/cidr_set.go``, Kubernetes v1.31): each node gets one
``--node-cidr-mask-size`` block (``/24`` by default) of ``--cluster-cidr``,
blocks that a node already declares are marked used first, and a full range is
an error.  A node's InternalIP is what kind's Docker network
(``172.18.0.0/16``) would give the node's container: the first free address
from ``.0.2``.

Simplification: cidrset hands out the next block after the last one it handed
out (``nextCandidate``, wrapping); kubelab takes the first free block, which is
the same until a node is deleted.
"""

from __future__ import annotations

import bisect
import ipaddress

from ..api import Node
from ..errors import FieldError, KubelabError, ValidationError
from .settings import ClusterSettings
from .store import NODE_NET, Store, network

__all__ = ["next_node_cidr", "next_node_ip"]


def next_node_cidr(settings: ClusterSettings, s: Store, node: Node) -> str:
    """The first ``/node_cidr_mask`` subnet of the pod CIDR that overlaps no node's podCIDRs.

    Two CIDR blocks overlap only when one contains the other, so a subnet is taken when a node's block
    starts inside it (a bisection of the sorted starts) or is one of its supernets (one lookup per
    shorter prefix); subnets below ``s.cidr_hint`` are known to be taken.  (A node podCIDR that does not
    parse, which validation does not let through, overlaps nothing.)

    >>> from kubelab.cluster import Cluster
    >>> c = Cluster(node_cidr_mask=25)
    >>> [n.spec.pod_cidr for n in c.nodes()]
    ['10.244.0.0/25', '10.244.0.128/25', '10.244.1.0/25']
    """
    pool, mask = settings.pod_cidr, settings.node_cidr_mask
    net = network(pool)
    version, bits = net.version, net.max_prefixlen
    base, size = int(net.network_address), 1 << (bits - mask)
    starts, nets = s.node_net_starts, s.node_nets
    for k in range(s.cidr_hint.get((pool, mask), 0), 1 << (mask - net.prefixlen)):
        lo = base + k * size
        i = bisect.bisect_left(starts, (version, lo))
        if i < len(starts) and starts[i] <= (version, lo + size - 1):
            continue
        if any((version, lo & ~((1 << (bits - p)) - 1), p) in nets for p in range(mask)):
            continue
        s.cidr_hint[(pool, mask)] = k
        return f"{ipaddress.ip_address(lo)}/{mask}" if version == 4 else str(ipaddress.ip_network((lo, mask)))
    raise ValidationError([FieldError.invalid("spec.podCIDR", None, f"no free /{mask} left in {pool}")],
                          source=node.source, obj=node.ref)


def next_node_ip(s: Store) -> str:
    """The first address of 172.18.0.0/16 (from ``.0.2``) that no node reports as its InternalIP."""
    for i in range(max(2, s.node_ip_hint), NODE_NET.num_addresses - 1):
        ip = str(NODE_NET[i])
        if ip not in s.node_ips:
            s.node_ip_hint = i
            return ip
    raise KubelabError("no free node address left in 172.18.0.0/16")
