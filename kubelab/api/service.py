"""core/v1 Service: types, ports, defaults and the API server's validation.

Upstream: ``k8s.io/api/core/v1/types.go`` (``ServiceSpec``, ``ServicePort``),
``pkg/apis/core/v1/defaults.go`` (``SetDefaults_Service``) and
``pkg/apis/core/validation/validation.go`` (``ValidateService``,
``validateServicePort``).  Allocation of ``clusterIP`` and ``nodePort``
(and their range checks) happens in :mod:`kubelab.cluster`, as it does in the
API server's service REST storage.

Deliberate departure: a missing ``spec.ports[i].port`` is reported as
``Required value`` (the API server says ``Invalid value: 0``), which tells a
learner more.

Examples
--------
>>> svc = Service.from_dict({"metadata": {"name": "web"}, "spec": {
...     "selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}})
>>> svc.default(); svc.spec.type, svc.spec.ports[0].protocol, svc.spec.session_affinity
('ClusterIP', 'TCP', 'None')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import FieldError
from .meta import APIObject, ObjectMeta, validate_labels
from .pod import PROTOCOLS
from .schema import IntOrString, Model, spec_field
from .validation import (is_dns1035_label, is_dns1123_label, is_dns1123_subdomain, is_valid_cidr,
                         is_valid_ip, is_valid_port_name, is_valid_port_num)

__all__ = ["Service", "ServiceSpec", "ServicePort", "ServiceStatus", "LoadBalancerIngress",
           "SERVICE_TYPES", "DEFAULT_CLIENT_IP_TIMEOUT"]

SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
#: ``v1.DefaultClientIPServiceAffinitySeconds``: three hours.
DEFAULT_CLIENT_IP_TIMEOUT = 10800
MAX_CLIENT_IP_TIMEOUT = 86400


@dataclass
class ServicePort(Model):
    _k8s_model: ClassVar[str] = "V1ServicePort"
    name: str | None = None
    protocol: str | None = None
    app_protocol: str | None = None
    port: int | None = None
    target_port: IntOrString | None = None
    node_port: int | None = None


@dataclass
class ClientIPConfig(Model):
    _k8s_model: ClassVar[str] = "V1ClientIPConfig"
    timeout_seconds: int | None = None


@dataclass
class SessionAffinityConfig(Model):
    _k8s_model: ClassVar[str] = "V1SessionAffinityConfig"
    client_ip: ClientIPConfig | None = spec_field(json="clientIP")


@dataclass
class ServiceSpec(Model):
    _k8s_model: ClassVar[str] = "V1ServiceSpec"
    type: str | None = None
    selector: dict[str, str] = field(default_factory=dict)
    ports: list[ServicePort] = field(default_factory=list)
    cluster_ip: str | None = spec_field(json="clusterIP")
    cluster_ips: list[str] = spec_field(json="clusterIPs", factory=list)
    external_ips: list[str] = spec_field(json="externalIPs", factory=list)
    external_name: str | None = None
    session_affinity: str | None = None
    session_affinity_config: SessionAffinityConfig | None = None
    external_traffic_policy: str | None = None
    internal_traffic_policy: str | None = None
    health_check_node_port: int | None = None
    load_balancer_ip: str | None = spec_field(json="loadBalancerIP")
    load_balancer_source_ranges: list[str] = field(default_factory=list)
    load_balancer_class: str | None = None
    allocate_load_balancer_node_ports: bool | None = None
    publish_not_ready_addresses: bool | None = None
    ip_families: list[str] = field(default_factory=list)
    ip_family_policy: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class LoadBalancerIngress(Model):
    _k8s_model: ClassVar[str] = "V1LoadBalancerIngress"
    ip: str | None = None
    hostname: str | None = None
    ip_mode: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class LoadBalancerStatus(Model):
    _k8s_model: ClassVar[str] = "V1LoadBalancerStatus"
    ingress: list[LoadBalancerIngress] = field(default_factory=list)


@dataclass
class ServiceStatus(Model):
    _k8s_model: ClassVar[str] = "V1ServiceStatus"
    load_balancer: LoadBalancerStatus | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Service(APIObject):
    """A Service: a stable virtual IP (or name) in front of the pods its selector picks."""

    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "Service"
    plural: ClassVar[str] = "services"
    short_names: ClassVar[tuple[str, ...]] = ("svc",)
    _k8s_model: ClassVar[str] = "V1Service"
    name_validator: ClassVar[Any] = staticmethod(is_dns1035_label)
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: ServiceSpec = field(default_factory=ServiceSpec)
    status: ServiceStatus = field(default_factory=ServiceStatus)

    @property
    def is_headless(self) -> bool:
        return self.spec.cluster_ip == "None"

    @property
    def affinity_timeout(self) -> int | None:
        """Seconds of ClientIP affinity, or ``None`` when sessionAffinity is None."""
        if self.spec.session_affinity != "ClientIP":
            return None
        cfg = self.spec.session_affinity_config
        if cfg and cfg.client_ip and cfg.client_ip.timeout_seconds is not None:
            return cfg.client_ip.timeout_seconds
        return DEFAULT_CLIENT_IP_TIMEOUT

    def default(self) -> None:
        super().default()
        s = self.spec
        s.type = s.type or "ClusterIP"
        s.session_affinity = s.session_affinity or "None"
        if s.session_affinity == "ClientIP":
            if s.session_affinity_config is None:
                s.session_affinity_config = SessionAffinityConfig()
            if s.session_affinity_config.client_ip is None:
                s.session_affinity_config.client_ip = ClientIPConfig()
            if s.session_affinity_config.client_ip.timeout_seconds is None:
                s.session_affinity_config.client_ip.timeout_seconds = DEFAULT_CLIENT_IP_TIMEOUT
        for p in s.ports:
            p.protocol = p.protocol or "TCP"
            if p.target_port is None or p.target_port == 0 or p.target_port == "":
                p.target_port = p.port
        if s.type in ("NodePort", "LoadBalancer") and not s.external_traffic_policy:
            s.external_traffic_policy = "Cluster"
        if s.type != "ExternalName" and not s.internal_traffic_policy:
            s.internal_traffic_policy = "Cluster"
        if s.type == "LoadBalancer" and s.allocate_load_balancer_node_ports is None:
            s.allocate_load_balancer_node_ports = True
        if s.cluster_ip and not s.cluster_ips:
            s.cluster_ips = [s.cluster_ip]
        elif s.cluster_ips and not s.cluster_ip:
            s.cluster_ip = s.cluster_ips[0]

    def validate(self) -> list[FieldError]:
        errs = super().validate()
        s = self.spec
        headless = s.cluster_ip == "None"
        if s.type not in SERVICE_TYPES:
            errs.append(FieldError.not_supported("spec.type", s.type, list(SERVICE_TYPES)))
        if not s.ports and not headless and s.type != "ExternalName":
            errs.append(FieldError.required("spec.ports"))
        names: set[str] = set()
        seen: set[tuple[int | None, str | None]] = set()
        for i, p in enumerate(s.ports):
            pp = f"spec.ports[{i}]"
            if len(s.ports) > 1 and not p.name:
                errs.append(FieldError.required(f"{pp}.name"))
            elif p.name:
                errs.extend(FieldError.invalid(f"{pp}.name", p.name, m) for m in is_dns1123_label(p.name))
                if p.name in names:
                    errs.append(FieldError.duplicate(f"{pp}.name", p.name))
                names.add(p.name)
            if p.port is None:
                errs.append(FieldError.required(f"{pp}.port"))
            else:
                errs.extend(FieldError.invalid(f"{pp}.port", p.port, m) for m in is_valid_port_num(p.port))
            if p.protocol not in PROTOCOLS:
                errs.append(FieldError.not_supported(f"{pp}.protocol", p.protocol, list(PROTOCOLS)))
            if isinstance(p.target_port, int):
                if p.port is not None:
                    errs.extend(FieldError.invalid(f"{pp}.targetPort", p.target_port, m)
                                for m in is_valid_port_num(p.target_port))
            elif isinstance(p.target_port, str):
                errs.extend(FieldError.invalid(f"{pp}.targetPort", p.target_port, m)
                            for m in is_valid_port_name(p.target_port))
            if (p.port, p.protocol) in seen:
                errs.append(FieldError.duplicate(pp, {"port": p.port, "protocol": p.protocol}))
            seen.add((p.port, p.protocol))
            if p.node_port is not None:
                if s.type == "ClusterIP":
                    errs.append(FieldError.forbidden(f"{pp}.nodePort", "may not be used when `type` is 'ClusterIP'"))
                elif s.type == "ExternalName":
                    errs.append(FieldError.forbidden(f"{pp}.nodePort", "may not be used when `type` is 'ExternalName'"))
                else:
                    errs.extend(FieldError.invalid(f"{pp}.nodePort", p.node_port, m)
                                for m in is_valid_port_num(p.node_port))
        if s.type == "ExternalName":
            if not s.external_name:
                errs.append(FieldError.required("spec.externalName"))
            else:
                name = s.external_name.rstrip(".")
                errs.extend(FieldError.invalid("spec.externalName", name, m)  # upstream reports the trimmed name
                            for m in is_dns1123_subdomain(name))
            if s.cluster_ip and s.cluster_ip != "None" or s.cluster_ips:
                errs.append(FieldError.forbidden("spec.clusterIPs", "may not be set for ExternalName services"))
        for i, ip in enumerate(s.cluster_ips or ([s.cluster_ip] if s.cluster_ip else [])):
            if ip == "None":
                if i == 0 and s.type in ("LoadBalancer", "NodePort"):
                    errs.append(FieldError.invalid(f"spec.clusterIPs[{i}]", ip,
                                                   "may not be set to 'None' for LoadBalancer or NodePort services"))
                continue
            errs.extend(FieldError.invalid(f"spec.clusterIPs[{i}]", ip, m) for m in is_valid_ip(ip))
        if s.cluster_ip and s.cluster_ips and s.cluster_ip != s.cluster_ips[0]:
            errs.append(FieldError.invalid("spec.clusterIPs", s.cluster_ips,
                                           "element [0] must match clusterIP"))
        for i, ip in enumerate(s.external_ips):
            errs.extend(FieldError.invalid(f"spec.externalIPs[{i}]", ip, m) for m in is_valid_ip(ip))
        if s.session_affinity not in ("None", "ClientIP"):
            errs.append(FieldError.not_supported("spec.sessionAffinity", s.session_affinity, ["ClientIP", "None"]))
        elif s.session_affinity == "None" and s.session_affinity_config is not None and \
                s.session_affinity_config.client_ip is not None:
            errs.append(FieldError.invalid("spec.sessionAffinityConfig", "ClientIP",
                                           "must not be set when session affinity is None"))
        t = self.affinity_timeout
        if t is not None and not 0 < t <= MAX_CLIENT_IP_TIMEOUT:
            errs.append(FieldError.invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", t,
                                           f"must be greater than 0 and less than {MAX_CLIENT_IP_TIMEOUT}"))
        if s.external_traffic_policy:
            if s.type not in ("NodePort", "LoadBalancer"):
                errs.append(FieldError.invalid("spec.externalTrafficPolicy", s.external_traffic_policy,
                                               "may only be set when `type` is 'NodePort' or 'LoadBalancer'"))
            elif s.external_traffic_policy not in ("Cluster", "Local"):
                errs.append(FieldError.not_supported("spec.externalTrafficPolicy", s.external_traffic_policy,
                                                     ["Cluster", "Local"]))
        if s.internal_traffic_policy and s.internal_traffic_policy not in ("Cluster", "Local"):
            errs.append(FieldError.not_supported("spec.internalTrafficPolicy", s.internal_traffic_policy,
                                                 ["Cluster", "Local"]))
        if s.load_balancer_source_ranges and s.type != "LoadBalancer":
            errs.append(FieldError.forbidden("spec.loadBalancerSourceRanges",
                                             "may only be used when `type` is 'LoadBalancer'"))
        for i, cidr in enumerate(s.load_balancer_source_ranges):
            errs.extend(FieldError.invalid(f"spec.loadBalancerSourceRanges[{i}]", cidr, m)
                        for m in is_valid_cidr(cidr.strip()))
        if s.allocate_load_balancer_node_ports is not None and s.type != "LoadBalancer":
            errs.append(FieldError.forbidden("spec.allocateLoadBalancerNodePorts",
                                             "may only be used when `type` is 'LoadBalancer'"))
        if s.ip_family_policy and s.ip_family_policy not in ("SingleStack", "PreferDualStack", "RequireDualStack"):
            errs.append(FieldError.not_supported("spec.ipFamilyPolicy", s.ip_family_policy,
                                                 ["PreferDualStack", "RequireDualStack", "SingleStack"]))
        for i, fam in enumerate(s.ip_families):
            if fam not in ("IPv4", "IPv6"):
                errs.append(FieldError.not_supported(f"spec.ipFamilies[{i}]", fam, ["IPv4", "IPv6"]))
        errs.extend(validate_labels(s.selector, "spec.selector"))
        return errs
