"""Flannel: one subnet lease per node, an overlay (VXLAN by default), no policy.

What is modelled (flannel-io/flannel ``Documentation/backends.md``, ``kubernetes.md``,
``configuration.md``; the chapter: "Flannel does not support Kubernetes network policies"):

- each node holds a subnet lease (with ``--kube-subnet-mgr``, the node's ``spec.podCIDR``;
  with etcd, a ``SubnetLen`` /24 out of ``Network``), written to ``/run/flannel/subnet.env``
  with ``FLANNEL_MTU``; the flannel CNI plugin delegates to ``bridge`` (``cni0``) + ``host-local``;
- backend ``vxlan`` (default): device ``flannel.1`` (VNI 1, UDP 8472, the kernel's port),
  holding the lease's first address; a route per remote lease
  ``10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink``; 50 bytes, MTU 1450 on 1500;
  ``direct_routing=True`` (``DirectRouting``) routes plainly to nodes of the same subnet;
- backend ``host-gw``: ``10.244.2.0/24 via <node IP> dev eth0``, no encapsulation, needs
  the nodes on one layer-2 network; backend ``udp`` (debugging only): TUN ``flannel0``,
  flanneld encapsulates in user space over UDP 8285, 28 bytes, MTU 1472.

Left out: the ``ipip``, ``wireguard`` and cloud (``aws-vpc``, ``gce``) backends, lease
renewal (24 h TTL with etcd), IPv6, flanneld's iptables MASQUERADE rules.
"""

from __future__ import annotations

import ipaddress

from ...errors import KubelabError
from .base import ENCAPSULATIONS, Component, Encapsulation, PluginModel, Route
from .registry import register

__all__ = ["FlannelModel", "FLANNEL_BACKENDS"]

FLANNEL_BACKENDS = ("vxlan", "host-gw", "udp")


@register("flannel")
class FlannelModel(PluginModel):
    name = "flannel"
    summary = "a subnet lease per node and an overlay between nodes (VXLAN flannel.1 by default); no NetworkPolicy"
    veth_prefix = "veth"
    bridge = "cni0"
    options = ("backend", "direct_routing")
    components = (
        Component("flanneld", "DaemonSet kube-flannel-ds (one pod per node)",
                  "takes the node's subnet lease, creates flannel.1 and the routes/FDB entries to the other leases"),
        Component("flannel CNI binary", "/opt/cni/bin/flannel, run by the container runtime",
                  "reads /run/flannel/subnet.env and delegates to the bridge and host-local plugins"),
    )

    def __init__(self, cluster, *, backend: str = "vxlan", direct_routing: bool = False, **kw):
        super().__init__(cluster, backend=backend, direct_routing=direct_routing, **kw)

    def _validate(self) -> None:
        if self.backend not in FLANNEL_BACKENDS:
            raise KubelabError(f'flannel: unknown backend "{self.backend}": one of {", ".join(FLANNEL_BACKENDS)}')

    @property
    def encapsulation(self) -> Encapsulation | None:
        return {"vxlan": ENCAPSULATIONS["flannel-vxlan"], "udp": ENCAPSULATIONS["flannel-udp"]}.get(self.backend)

    def tunnel(self, a, b) -> Encapsulation | None:
        if self.backend == "vxlan" and self.direct_routing and self.same_subnet(a, b):
            return None
        return self.encapsulation

    def lease(self, node) -> str:
        """The node's subnet lease (its pod CIDR, as ``--kube-subnet-mgr`` takes it)."""
        cidrs = self.pod_cidrs(node)
        return cidrs[0] if cidrs else ""

    def subnet_env(self, node) -> str:
        """``/run/flannel/subnet.env`` on ``node``."""
        lease = ipaddress.ip_network(self.lease(node), strict=False)
        return (f"FLANNEL_NETWORK={self.cluster.settings.pod_cidr}\nFLANNEL_SUBNET={lease[1]}/{lease.prefixlen}\n"
                f"FLANNEL_MTU={self.mtu}\nFLANNEL_IPMASQ=true\n")

    def remote_routes(self, node, other) -> list[Route]:
        if self.backend == "udp":
            return []  # one route for the whole network, added by extra_routes
        if self.tunnel(node, other) is None:
            return [Route(c, via=other.internal_ip, dev="eth0", by=f"flanneld ({self.backend_name()})")
                    for c in self.pod_cidrs(other)]
        return [Route(c, via=str(ipaddress.ip_network(c, strict=False)[0]), dev="flannel.1", onlink=True,
                      by="flanneld (vxlan backend; the ARP and FDB entries of flannel.1 point at "
                         f"{other.internal_ip})") for c in self.pod_cidrs(other)]

    def backend_name(self) -> str:
        return "host-gw backend" if self.backend == "host-gw" else "vxlan backend, DirectRouting"

    def extra_routes(self, node) -> list[Route]:
        if self.backend == "udp":
            return [Route(self.cluster.settings.pod_cidr, dev="flannel0",
                          by="flanneld (udp backend: the TUN device, read by flanneld)")]
        return []

    def unencapsulated_note(self, a, b) -> str:
        if self.backend == "host-gw" and not self.same_subnet(a, b):
            return ("host-gw needs both nodes on one layer-2 network: the next hop is not on eth0's subnet, "
                    "so a real node would have no usable route")
        return f"flannel {self.backend_name()}: the next hop is the other node's address"
