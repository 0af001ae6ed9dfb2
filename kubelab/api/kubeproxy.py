"""kubeproxy.config.k8s.io/v1alpha1 KubeProxyConfiguration: the settings a learner may change.

Upstream: ``k8s.io/kube-proxy/config/v1alpha1/types.go``,
``pkg/proxy/apis/config/v1alpha1/defaults.go`` (``SetDefaults_KubeProxyConfiguration``:
``iptables.masqueradeBit`` 14, ``iptables.localhostNodePorts`` true,
``ipvs`` scheduler empty meaning ``rr``) and ``pkg/proxy/apis/config/validation``.
Deviation in the messages: kube-proxy names fields by their Go struct path
(``KubeProxyConfiguration.KubeProxyIPTablesConfiguration.MasqueradeBit: Invalid
value: 32: must be within the range [0, 31]``) and rejects a bad mode or
scheduler with ``Invalid value`` and a sentence; kubelab uses the YAML paths
(``iptables.masqueradeBit``) and ``Unsupported value`` with the list of values.

``mode: ""`` means iptables on Linux.  The userspace mode was removed in 1.26
and kubelab accepts it with a warning, because the course still models it; nftables is GA since 1.33; IPVS is deprecated since 1.35.

Examples
--------
>>> cfg = KubeProxyConfiguration.from_dict({"mode": "ipvs"})
>>> cfg.default(); cfg.effective_mode, cfg.iptables.masquerade_bit, cfg.ipvs.effective_scheduler
('ipvs', 14, 'rr')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import FieldError
from .meta import APIObject, ObjectMeta
from .schema import Model, spec_field
from .validation import is_valid_cidr

__all__ = ["KubeProxyConfiguration", "KubeProxyIPTablesConfiguration", "KubeProxyIPVSConfiguration",
           "PROXY_MODES", "IPVS_SCHEDULERS"]


#: The values of ``mode`` kubelab models, in name order: upstream's ``ProxyMode`` constants
#: (``pkg/proxy/apis/config/types.go``, v1.35: ``iptables``, ``ipvs``, ``nftables``; ``kernelspace``
#: is Windows-only and not modelled) plus ``userspace``, removed in v1.26 and kept for the course.
#: The API type owns the list, as upstream's config types do; each mode's Proxier registers under one
#: of these names (:func:`kubelab.proxy.register` refuses any other) and every ``--mode``/``--proxy-mode``
#: choice derives from it.
PROXY_MODES = ("iptables", "ipvs", "nftables", "userspace")
#: The schedulers ``ipvsadm`` knows and kube-proxy accepts (``pkg/proxy/apis/config/validation``).
IPVS_SCHEDULERS = ("rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "mh")


@dataclass
class KubeProxyIPTablesConfiguration(Model):
    _open: ClassVar[bool] = True
    masquerade_bit: int | None = None
    masquerade_all: bool | None = None
    localhost_node_ports: bool | None = None
    sync_period: str | None = None
    min_sync_period: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class KubeProxyIPVSConfiguration(Model):
    _open: ClassVar[bool] = True
    scheduler: str | None = None
    strict_arp: bool | None = spec_field(json="strictARP")
    exclude_cidrs: list[str] = spec_field(json="excludeCIDRs", factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def effective_scheduler(self) -> str:
        return self.scheduler or "rr"


@dataclass
class KubeProxyConfiguration(APIObject):
    """kube-proxy's configuration file.  It has no name; one per cluster in kubelab."""

    api_version: ClassVar[str] = "kubeproxy.config.k8s.io/v1alpha1"
    kind: ClassVar[str] = "KubeProxyConfiguration"
    namespaced: ClassVar[bool] = False
    _open: ClassVar[bool] = True  # many unmodelled settings (conntrack, logging, ...)
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    mode: str | None = None
    cluster_cidr: str | None = spec_field(json="clusterCIDR")
    bind_address: str | None = None
    iptables: KubeProxyIPTablesConfiguration = field(default_factory=KubeProxyIPTablesConfiguration)
    ipvs: KubeProxyIPVSConfiguration = field(default_factory=KubeProxyIPVSConfiguration)
    node_port_addresses: list[str] = field(default_factory=list)
    detect_local_mode: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.metadata.name or "kube-proxy"

    @property
    def ref(self) -> str:
        return "KubeProxyConfiguration"

    @property
    def effective_mode(self) -> str:
        """The mode kube-proxy runs in: ``""`` means iptables on Linux."""
        return self.mode or "iptables"

    def default(self) -> None:
        ipt = self.iptables
        if ipt.masquerade_bit is None:
            ipt.masquerade_bit = 14
        if ipt.masquerade_all is None:
            ipt.masquerade_all = False
        if ipt.localhost_node_ports is None:
            ipt.localhost_node_ports = True

    def validate(self) -> list[FieldError]:
        errs: list[FieldError] = []
        if self.mode not in (None, "", *PROXY_MODES):
            errs.append(FieldError.not_supported("mode", self.mode, ["", *PROXY_MODES]))
        bit = self.iptables.masquerade_bit
        if bit is not None and not 0 <= bit <= 31:
            errs.append(FieldError.invalid("iptables.masqueradeBit", bit, "must be within the range [0, 31]"))
        if self.cluster_cidr:
            for c in self.cluster_cidr.split(","):
                errs.extend(FieldError.invalid("clusterCIDR", self.cluster_cidr, m) for m in is_valid_cidr(c.strip()))
        for i, a in enumerate(self.node_port_addresses):
            if a != "primary":
                errs.extend(FieldError.invalid(f"nodePortAddresses[{i}]", a, m) for m in is_valid_cidr(a))
        sched = self.ipvs.scheduler
        if sched and sched not in IPVS_SCHEDULERS:
            errs.append(FieldError.not_supported("ipvs.scheduler", sched, list(IPVS_SCHEDULERS)))
        return errs

    def warnings(self) -> list[str]:
        if self.mode == "userspace":
            return ["the userspace proxy mode was removed in Kubernetes v1.26; kubelab still models it for teaching"]
        if self.mode == "ipvs":
            return ["the ipvs proxy mode is deprecated since Kubernetes v1.35 (KEP-5495); nftables is the successor"]
        return []
