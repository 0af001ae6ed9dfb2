"""Cluster-wide settings and the kind-like defaults (docs/design.md, "The cluster").

The defaults are those of a three-node ``kind`` cluster: nodes
``kind-control-plane``, ``kind-worker``, ``kind-worker2`` at ``172.18.0.2``-``.4``
on kind's docker network, pod CIDR ``10.244.0.0/16`` split into one ``/24``
per node in node order, service CIDR ``10.96.0.0/12`` (kubeadm's default),
the ``kubernetes`` Service at the first address of the range and ``kube-dns``
at the tenth (kubeadm's ``--service-dns-domain`` and DNS IP rule), cluster
domain ``cluster.local`` and the NodePort range ``30000-32767``.

The flags are checked as the components that own them check them, each a
one-line :class:`~kubelab.errors.KubelabError` naming the flag:

* ``--service-cidr``: at most two ranges, of different families, none wider
  than 20 bits of hosts (kube-apiserver ``validateClusterIPFlags`` and
  ``validateMaxCIDRRange``, ``cmd/kube-apiserver/app/options/validation.go``,
  v1.31: ``specified --service-cluster-ip-range is too large; for 32-bit
  addresses, the mask must be >= 12``), and with room for kubeadm's DNS
  Service IP, the tenth address (kubeadm ``GetDNSIP``; kubeadm's
  ``ValidateIPNetFromString`` wants at least 10 addresses).
* ``--cluster-domain``: a DNS-1123 subdomain (kubeadm ``ValidateNetworking``:
  ``networking.dnsDomain``).
* Overlapping service, pod and node (kind's ``172.18.0.0/16``) ranges are
  refused.  That check is kubelab's own: no upstream component refuses the
  overlap (kube-controller-manager only takes the service range out of the
  pod range), but a ClusterIP that is also a pod's or a node's address makes
  every trace through it ambiguous.

Examples
--------
>>> s = ClusterSettings()
>>> s.cluster_dns, s.kubernetes_service_ip, s.node_port_range
('10.96.0.10', '10.96.0.1', (30000, 32767))
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from ..api.kubeproxy import PROXY_MODES
from ..errors import KubelabError

__all__ = ["ClusterSettings", "DEFAULT_NODES", "CNI_PLUGINS", "DNS_POD_MODES", "PROXY_MODES", "parse_port_range", "proxy_modes"]

DEFAULT_NODES = (("kind-control-plane", "172.18.0.2", True), ("kind-worker", "172.18.0.3", False),
                 ("kind-worker2", "172.18.0.4", False))
CNI_PLUGINS = ("calico", "flannel", "weave", "cilium", "canal", "kube-router", "bridge", "kindnet")
DNS_POD_MODES = ("insecure", "verified", "disabled")


def proxy_modes() -> tuple[str, ...]:
    """``--proxy-mode`` values: the API's kube-proxy modes (:data:`kubelab.api.kubeproxy.PROXY_MODES`)."""
    return PROXY_MODES


def parse_port_range(value: str | tuple[int, int]) -> tuple[int, int]:
    """``"30000-32767"`` -> ``(30000, 32767)`` (the API server's ``--service-node-port-range``)."""
    if isinstance(value, tuple):
        lo, hi = value
    else:
        try:
            lo_s, _, hi_s = str(value).partition("-")
            lo, hi = int(lo_s), int(hi_s or lo_s)
        except ValueError:
            raise KubelabError(f'--service-node-port-range: invalid value "{value}": expected BASE-MAX, '
                               'e.g. 30000-32767') from None
    if not 1 <= lo <= hi <= 65535:
        raise KubelabError(f"--service-node-port-range: invalid range {lo}-{hi}")
    return lo, hi


#: kind's docker network, where the nodes' addresses come from (``kubelab.cluster.core`` hands them out).
NODE_NETWORK = "172.18.0.0/16"
#: kube-apiserver's ``maxCIDRBits``: a service range has at most 2**20 addresses.
MAX_SERVICE_CIDR_BITS = 20
#: kubeadm's DNS Service IP is this address of the primary service range (``GetDNSIP``).
DNS_SERVICE_INDEX = 10


def _check_service_cidrs(nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> None:
    """kube-apiserver's ``validateClusterIPFlags`` (and kubeadm's DNS IP), one error line each."""
    if len(nets) > 2:
        raise KubelabError("--service-cidr: must not contain more than two entries (one per IP family)")
    if len(nets) == 2 and nets[0].version == nets[1].version:
        raise KubelabError("--service-cidr: the two ranges must be of different IP family")
    for i, net in enumerate(nets):
        bits = net.max_prefixlen
        if bits - net.prefixlen > MAX_SERVICE_CIDR_BITS:
            raise KubelabError(f"--service-cidr {net}: specified service range is too large; for {bits}-bit "
                               f"addresses, the mask must be >= {bits - MAX_SERVICE_CIDR_BITS}")
        if i == 0 and net.num_addresses <= DNS_SERVICE_INDEX + (1 if net.version == 4 else 0):
            raise KubelabError(f"--service-cidr {net}: subnet with {net.num_addresses} address(es) is too small: "
                               f"kubeadm puts the DNS Service at its address {DNS_SERVICE_INDEX}")


def _check_overlaps(ranges: list[tuple[str, str]]) -> None:
    nets = [(flag, ipaddress.ip_network(cidr)) for flag, cidr in ranges]
    for i, (flag_a, a) in enumerate(nets):
        for flag_b, b in nets[i + 1:]:
            if a.version == b.version and a.overlaps(b):
                raise KubelabError(f"{flag_a} {a} overlaps {flag_b} {b}: a cluster's service, pod and node "
                                   "ranges must not share addresses")


@dataclass
class ClusterSettings:
    """Settings that are flags of real components (API server, kube-proxy, CoreDNS, kubelet)."""

    service_cidrs: list[str] = field(default_factory=lambda: ["10.96.0.0/12"])
    pod_cidr: str = "10.244.0.0/16"
    node_cidr_mask: int = 24
    cluster_domain: str = "cluster.local"
    cni: str = "calico"
    proxy_mode: str = "iptables"
    dns_pods: str = "insecure"
    node_port_range: tuple[int, int] = (30000, 32767)

    def __post_init__(self) -> None:
        if isinstance(self.service_cidrs, str):
            self.service_cidrs = [self.service_cidrs]
        self.node_port_range = parse_port_range(self.node_port_range)
        for flag, cidr in [("--service-cidr", c) for c in self.service_cidrs] + [("--pod-cidr", self.pod_cidr)]:
            try:
                ipaddress.ip_network(cidr)
            except (ValueError, TypeError) as exc:
                raise KubelabError(f'{flag}: invalid value "{cidr}": {exc}') from None
        if not self.service_cidrs:
            raise KubelabError("--service-cidr: at least one range is required")
        _check_service_cidrs([ipaddress.ip_network(c) for c in self.service_cidrs])
        if self.cni not in CNI_PLUGINS:
            raise KubelabError(f'--cni: unsupported value "{self.cni}": supported values: {", ".join(CNI_PLUGINS)}')
        if self.dns_pods not in DNS_POD_MODES:
            raise KubelabError(f'--dns-pods: unsupported value "{self.dns_pods}": supported values: '
                               + ", ".join(DNS_POD_MODES))
        if self.proxy_mode not in proxy_modes():
            raise KubelabError(f'--proxy-mode: unsupported value "{self.proxy_mode}": supported values: '
                               + ", ".join(proxy_modes()))
        from ..api.validation import is_dns1123_subdomain

        for msg in is_dns1123_subdomain(self.cluster_domain or ""):
            raise KubelabError(f'--cluster-domain: invalid value "{self.cluster_domain}": {msg}')
        net = ipaddress.ip_network(self.pod_cidr)
        if self.node_cidr_mask < net.prefixlen:
            raise KubelabError(f"--node-cidr-mask-size {self.node_cidr_mask} is shorter than --pod-cidr {self.pod_cidr}")
        _check_overlaps([("--service-cidr", c) for c in self.service_cidrs]
                        + [("--pod-cidr", self.pod_cidr), ("the node network (kind's docker network)", NODE_NETWORK)])

    def _service_ip(self, offset: int) -> str:
        return str(ipaddress.ip_network(self.service_cidrs[0])[offset])

    @property
    def kubernetes_service_ip(self) -> str:
        """The first address of the primary service range (kube-apiserver ``GetAPIServerServiceIP``)."""
        return self._service_ip(1)

    @property
    def cluster_dns(self) -> str:
        """kubeadm's DNS Service IP: the tenth address of the service range."""
        return self._service_ip(10)
