"""Cluster-wide settings and the kind-like defaults (DESIGN §3).

The defaults are those of a three-node ``kind`` cluster: nodes
``kind-control-plane``, ``kind-worker``, ``kind-worker2`` at ``172.18.0.2``-``.4``
on kind's docker network, pod CIDR ``10.244.0.0/16`` split into one ``/24``
per node in node order, service CIDR ``10.96.0.0/12`` (kubeadm's default),
the ``kubernetes`` Service at the first address of the range and ``kube-dns``
at the tenth (kubeadm's ``--service-dns-domain`` and DNS IP rule), cluster
domain ``cluster.local`` and the NodePort range ``30000-32767``.

Examples
--------
>>> s = ClusterSettings()
>>> s.cluster_dns, s.kubernetes_service_ip, s.node_port_range
('10.96.0.10', '10.96.0.1', (30000, 32767))
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from ..errors import KubelabError

__all__ = ["ClusterSettings", "DEFAULT_NODES", "CNI_PLUGINS", "DNS_POD_MODES", "parse_port_range", "proxy_modes"]

DEFAULT_NODES = (("kind-control-plane", "172.18.0.2", True), ("kind-worker", "172.18.0.3", False),
                 ("kind-worker2", "172.18.0.4", False))
CNI_PLUGINS = ("calico", "flannel", "weave", "cilium", "canal", "kube-router", "bridge", "kindnet")
DNS_POD_MODES = ("insecure", "verified", "disabled")


def proxy_modes() -> tuple[str, ...]:
    """``--proxy-mode`` values: the registered kube-proxy modes (:func:`kubelab.proxy.registered_modes`)."""
    from ..proxy.base import registered_modes  # imported late: kubelab.proxy builds on kubelab.cluster
    return registered_modes()


def __getattr__(name: str):  # PROXY_MODES: derived from the registry when first asked for
    if name == "PROXY_MODES":
        return proxy_modes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
            except ValueError as exc:
                raise KubelabError(f'{flag}: invalid value "{cidr}": {exc}') from None
        if not self.service_cidrs:
            raise KubelabError("--service-cidr: at least one range is required")
        if self.cni not in CNI_PLUGINS:
            raise KubelabError(f'--cni: unsupported value "{self.cni}": supported values: {", ".join(CNI_PLUGINS)}')
        if self.dns_pods not in DNS_POD_MODES:
            raise KubelabError(f'--dns-pods: unsupported value "{self.dns_pods}": supported values: '
                               + ", ".join(DNS_POD_MODES))
        if self.proxy_mode not in proxy_modes():
            raise KubelabError(f'--proxy-mode: unsupported value "{self.proxy_mode}": supported values: '
                               + ", ".join(proxy_modes()))
        if not self.cluster_domain or " " in self.cluster_domain:
            raise KubelabError(f'--cluster-domain: invalid value "{self.cluster_domain}"')
        net = ipaddress.ip_network(self.pod_cidr)
        if self.node_cidr_mask < net.prefixlen:
            raise KubelabError(f"--node-cidr-mask-size {self.node_cidr_mask} is shorter than --pod-cidr {self.pod_cidr}")

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
