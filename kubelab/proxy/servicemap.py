"""What kube-proxy sees: service ports and their endpoints, per node.

Upstream, as of Kubernetes v1.35: ``pkg/proxy/servicechangetracker.go`` /
``serviceport.go`` (``BaseServicePortInfo``: ``ExternallyAccessible``,
``UsesClusterEndpoints`` -- Cluster endpoints whenever the internal policy is
Cluster *or* the port accepts external traffic at all, because the
``externalTrafficPolicy: Local`` short-circuit for traffic from inside the
cluster needs them -- ``UsesLocalEndpoints``, ``ShouldSkipService``),
``pkg/api/v1/service/util.go`` (``ExternalPolicyLocal``, ``NeedsHealthCheck``),
``pkg/proxy/util`` (``IsVIPMode``: ``ipMode: Proxy`` ingress IPs are not
programmed), ``pkg/proxy/endpointslicecache.go`` (endpoints from
EndpointSlices, keyed by service port name and protocol, sorted by ``ip:port``
string; ``ready``/``serving`` default to true when unset, ``terminating`` to
false), ``pkg/proxy/endpoint.go`` (``IsReady``, ``IsServing``,
``IsTerminating``, ``IsLocal``), ``pkg/proxy/topology.go``
(``CategorizeEndpoints``: ready endpoints, else serving-terminating ones, chosen
independently for the Cluster and the Local policy; not-serving endpoints are
never used) and ``pkg/proxy/types.go`` (``ServicePortName.String``).

Simplifications: topology-aware routing hints (``hints.forZones``) and
``trafficDistribution`` are ignored (every ready endpoint is a cluster
endpoint); IPv4 only; where upstream merges the Cluster and Local endpoint
lists through a Go map (random order) the merged list is sorted by ``ip:port``.

Examples
--------
>>> ServicePortName("ns1", "svc1", "p80", "TCP").string
'ns1/svc1:p80'
>>> ServicePortName("default", "web", "", "TCP").string
'default/web'
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from ..api import ServiceSpec
from ..cluster import Cluster

__all__ = ["ServicePortName", "ServicePortInfo", "EndpointInfo", "service_port_map", "categorize_endpoints",
           "Categorized", "external_policy_local"]


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
        """``ExternallyAccessible``: a NodePort, a load-balancer VIP or an external IP."""
        return bool(self.node_port or self.load_balancer_vips or self.external_ips)

    @property
    def uses_cluster_endpoints(self) -> bool:
        """``UsesClusterEndpoints``: internal policy Cluster, or any external access at all.

        Even with ``externalTrafficPolicy: Local`` the Cluster endpoints are needed: traffic
        to a NodePort or LoadBalancer IP from a pod or from the node itself is
        short-circuited to them (``KUBE-EXT-…`` jumps to ``KUBE-SVC-…``).
        """
        return not self.internal_policy_local or self.externally_accessible

    @property
    def uses_local_endpoints(self) -> bool:
        """``UsesLocalEndpoints``: internal policy Local, or external policy Local with external access."""
        return self.internal_policy_local or (self.external_policy_local and self.externally_accessible)


@dataclass
class Categorized:
    cluster: list[EndpointInfo]
    local: list[EndpointInfo]
    all_reachable: list[EndpointInfo]
    has_any: bool


def categorize_endpoints(svc: ServicePortInfo) -> Categorized:
    """``CategorizeEndpoints`` without topology: which endpoints serve cluster and local traffic.

    Examples
    --------
    >>> ep = lambda ip, ready, local, term=False: EndpointInfo(ip, 80, ready, ready or term, term, None, local)
    >>> svc = ServicePortInfo(ServicePortName("ns", "s", "", "TCP"), "10.96.0.9", 80, "TCP", node_port=30080,
    ...                       external_policy_local=True,
    ...                       endpoints=[ep("10.244.1.5", True, False), ep("10.244.2.5", False, True, term=True)])
    >>> c = categorize_endpoints(svc)
    >>> [e.ip for e in c.cluster], [e.ip for e in c.local]  # the local one falls back to terminating
    (['10.244.1.5'], ['10.244.2.5'])
    >>> [e.ip for e in c.all_reachable]
    ['10.244.1.5', '10.244.2.5']
    """
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


def external_policy_local(spec: "ServiceSpec") -> bool:
    """``apiservice.ExternalPolicyLocal``: ``Local`` counts only for a Service that accepts external
    traffic by type (NodePort, LoadBalancer) or has external IPs.

    Examples
    --------
    >>> from kubelab.api import ServiceSpec
    >>> external_policy_local(ServiceSpec(type="NodePort", external_traffic_policy="Local"))
    True
    >>> external_policy_local(ServiceSpec(type="ClusterIP", external_traffic_policy="Local"))
    False
    """
    if spec.type not in ("NodePort", "LoadBalancer") and not spec.external_ips:
        return False
    return spec.external_traffic_policy == "Local"


def _ipv4(text: str) -> bool:
    try:
        return ipaddress.ip_address(text.strip()).version == 4
    except ValueError:
        return False


def _source_ranges(ranges: list[str]) -> list[str]:
    """``loadBalancerSourceRanges`` as kube-proxy uses them: trimmed (validation lets padding through),
    parsed (``ParseCIDRSloppy``; the rule shows the network, ``cidr.String()``), IPv4 only."""
    out = []
    for text in ranges:
        try:
            net = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            continue
        if net.version == 4:
            out.append(str(net))
    return out


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
        if svc.status.load_balancer:  # kube-proxy does not look at the type, only at status
            lb_vips = [i.ip for i in svc.status.load_balancer.ingress if i.ip and _ipv4(i.ip) and i.ip_mode != "Proxy"]
        external_local = external_policy_local(spec)
        needs_health_check = spec.type == "LoadBalancer" and external_local
        source_ranges = _source_ranges(spec.load_balancer_source_ranges)
        for sp in spec.ports:
            name = ServicePortName(svc.namespace, svc.name, sp.name or "", sp.protocol or "TCP")
            info = ServicePortInfo(
                name=name, cluster_ip=spec.cluster_ip, port=sp.port or 0, protocol=sp.protocol or "TCP",
                node_port=sp.node_port or 0, target_port=sp.target_port,
                external_ips=[ip for ip in spec.external_ips if _ipv4(ip)],
                load_balancer_vips=list(lb_vips),
                load_balancer_source_ranges=list(source_ranges),
                session_affinity_timeout=svc.affinity_timeout,
                external_policy_local=external_local,
                internal_policy_local=spec.internal_traffic_policy == "Local",
                health_check_node_port=(spec.health_check_node_port or 0) if needs_health_check else 0)
            seen: dict[str, EndpointInfo] = {}
            for sl in slices_by_service.get((svc.namespace, svc.name), []):
                port = next((p for p in sl.ports if (p.name or "") == name.port
                             and (p.protocol or "TCP") == name.protocol), None)
                if port is None or not port.port:
                    continue
                for ep in sl.endpoints:
                    if not ep.addresses:
                        continue
                    # endpointslicecache.go: an unset ready or serving counts as true
                    ready = ep.conditions.ready is not False
                    serving = ep.conditions.serving is not False
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
