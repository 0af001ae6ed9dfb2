"""What kube-proxy sees: service ports and their endpoints, per node.

Upstream: ``pkg/proxy/servicechangetracker.go`` / ``serviceport.go``
(``BaseServicePortInfo``, ``ShouldSkipService``), ``pkg/proxy/endpointslicecache.go``
(endpoints from EndpointSlices, keyed by service port name, sorted by
``ip:port`` string), ``pkg/proxy/endpoint.go`` (``IsReady``, ``IsServing``,
``IsTerminating``, ``IsLocal``), ``pkg/proxy/topology.go``
(``CategorizeEndpoints``) and ``pkg/proxy/types.go`` (``ServicePortName.String``).

Simplifications: topology-aware routing hints (``hints.forZones``) and
``trafficDistribution`` are ignored (every ready endpoint is a cluster
endpoint); IPv4 only.

Examples
--------
>>> ServicePortName("ns1", "svc1", "p80", "TCP").string
'ns1/svc1:p80'
>>> ServicePortName("default", "web", "", "TCP").string
'default/web'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..cluster import Cluster

__all__ = ["ServicePortName", "ServicePortInfo", "EndpointInfo", "service_port_map", "categorize_endpoints",
           "Categorized"]


@dataclass(frozen=True, order=True)
class ServicePortName:
    """``proxy.ServicePortName``: namespace, name, port name and protocol."""

    namespace: str
    name: str
    port: str
    protocol: str

    @property
    def string(self) -> str:
        """``ServicePortName.String()``: ``ns/name`` plus ``:port`` when the port is named."""
        base = f"{self.namespace}/{self.name}"
        return f"{base}:{self.port}" if self.port else base

    def __str__(self) -> str:
        return self.string


@dataclass
class EndpointInfo:
    """One endpoint of a service port (``proxy.BaseEndpointInfo``)."""

    ip: str
    port: int
    ready: bool
    serving: bool
    terminating: bool
    node_name: str | None
    is_local: bool
    pod: str | None = None  # "namespace/name" of the target pod, if known

    @property
    def string(self) -> str:
        """``ip:port`` (``net.JoinHostPort``: IPv6 in brackets)."""
        return f"[{self.ip}]:{self.port}" if ":" in self.ip else f"{self.ip}:{self.port}"

    def __str__(self) -> str:
        return self.string


@dataclass
class ServicePortInfo:
    """One port of one Service, as kube-proxy's ``BaseServicePortInfo`` holds it."""

    name: ServicePortName
    cluster_ip: str
    port: int
    protocol: str
    node_port: int = 0
    target_port: int | str | None = None
    external_ips: list[str] = field(default_factory=list)
    load_balancer_vips: list[str] = field(default_factory=list)
    load_balancer_source_ranges: list[str] = field(default_factory=list)
    session_affinity_timeout: int | None = None  # seconds, when ClientIP
    external_policy_local: bool = False
    internal_policy_local: bool = False
    health_check_node_port: int = 0
    endpoints: list[EndpointInfo] = field(default_factory=list)

    @property
    def externally_accessible(self) -> bool:
        return bool(self.node_port or self.load_balancer_vips or self.external_ips)

    @property
    def uses_cluster_endpoints(self) -> bool:
        return not self.internal_policy_local or (self.externally_accessible and not self.external_policy_local)

    @property
    def uses_local_endpoints(self) -> bool:
        return self.internal_policy_local or (self.externally_accessible and self.external_policy_local)


@dataclass
class Categorized:
    cluster: list[EndpointInfo]
    local: list[EndpointInfo]
    all_reachable: list[EndpointInfo]
    has_any: bool


def categorize_endpoints(svc: ServicePortInfo) -> Categorized:
    """``CategorizeEndpoints`` without topology: which endpoints serve cluster and local traffic."""
    endpoints = svc.endpoints
    cluster: list[EndpointInfo] = []
    local: list[EndpointInfo] = []
    has_any = False
    if svc.uses_cluster_endpoints:
        cluster = [e for e in endpoints if e.ready]
        if not cluster:  # fall back to terminating endpoints that still serve
            cluster = [e for e in endpoints if e.serving and e.terminating]
        has_any = bool(cluster)
    if not svc.uses_local_endpoints:
        return Categorized(cluster, [], cluster, has_any)
    local_ready = local_term = False
    for e in endpoints:
        if e.ready:
            has_any = True
            local_ready = local_ready or e.is_local
        elif e.serving and e.terminating:
            has_any = True
            local_term = local_term or e.is_local
    serving_terminating = False
    if local_ready:
        local = [e for e in endpoints if e.is_local and e.ready]
    elif local_term:
        serving_terminating = True
        local = [e for e in endpoints if e.is_local and e.serving and e.terminating]
    if not svc.uses_cluster_endpoints:
        return Categorized([], local, local, has_any)
    if not serving_terminating:
        return Categorized(cluster, local, cluster, has_any)
    merged = {e.string: e for e in cluster}
    merged.update({e.string: e for e in local})
    return Categorized(cluster, local, sorted(merged.values(), key=lambda e: e.string), has_any)


def service_port_map(cluster: "Cluster", node_name: str | None) -> list[ServicePortInfo]:
    """Every proxied service port with its endpoints, as kube-proxy on ``node_name`` sees them.

    Services without a ClusterIP (headless) and ExternalName services are
    skipped (``ShouldSkipService``).  Ports are returned sorted by service port
    name, so renderings are deterministic (real kube-proxy walks a Go map).
    """
    out: list[ServicePortInfo] = []
    slices_by_service: dict[tuple[str, str], list] = {}
    for sl in cluster.list("endpointslices"):
        if sl.service_name and sl.address_type in ("IPv4", "IPv6"):
            slices_by_service.setdefault((sl.namespace, sl.service_name), []).append(sl)
    for svc in cluster.services():
        spec = svc.spec
        if spec.type == "ExternalName" or not spec.cluster_ip or spec.cluster_ip == "None":
            continue
        lb_vips = []
        if spec.type == "LoadBalancer" and svc.status.load_balancer:
            lb_vips = [i.ip for i in svc.status.load_balancer.ingress if i.ip and i.ip_mode != "Proxy"]
        external_local = spec.external_traffic_policy == "Local" and bool(
            lb_vips or spec.external_ips or any(p.node_port for p in spec.ports))
        for sp in spec.ports:
            name = ServicePortName(svc.namespace, svc.name, sp.name or "", sp.protocol or "TCP")
            info = ServicePortInfo(
                name=name, cluster_ip=spec.cluster_ip, port=sp.port or 0, protocol=sp.protocol or "TCP",
                node_port=sp.node_port or 0, target_port=sp.target_port, external_ips=list(spec.external_ips),
                load_balancer_vips=list(lb_vips),
                load_balancer_source_ranges=[c.strip() for c in spec.load_balancer_source_ranges],
                session_affinity_timeout=svc.affinity_timeout,
                external_policy_local=external_local,
                internal_policy_local=spec.internal_traffic_policy == "Local",
                health_check_node_port=spec.health_check_node_port or 0 if external_local else 0)
            seen: dict[str, EndpointInfo] = {}
            for sl in slices_by_service.get((svc.namespace, svc.name), []):
                port = next((p for p in sl.ports if (p.name or "") == name.port
                             and (p.protocol or "TCP") == name.protocol), None)
                if port is None or not port.port:
                    continue
                for ep in sl.endpoints:
                    if not ep.addresses:
                        continue
                    ready = ep.conditions.ready is not False
                    serving = ep.conditions.serving if ep.conditions.serving is not None else ready
                    ref = ep.target_ref
                    e = EndpointInfo(ip=ep.addresses[0], port=port.port, ready=ready, serving=serving,
                                     terminating=bool(ep.conditions.terminating), node_name=ep.node_name,
                                     is_local=node_name is not None and ep.node_name == node_name,
                                     pod=f"{ref.namespace}/{ref.name}" if ref and ref.kind == "Pod" else None)
                    seen.setdefault(e.string, e)
            info.endpoints = sorted(seen.values(), key=lambda e: e.string)
            out.append(info)
    out.sort(key=lambda i: (i.name.namespace, i.name.name, i.name.port, i.name.protocol))
    return out
