"""core/v1 Endpoints and discovery.k8s.io/v1 EndpointSlice.

Upstream: ``k8s.io/api/core/v1/types.go`` (``Endpoints``, ``EndpointSubset``),
``k8s.io/api/discovery/v1/types.go`` (``EndpointSlice``, ``Endpoint``,
``EndpointConditions``), validation in ``pkg/apis/core/validation``
(``ValidateEndpoints``) and ``pkg/apis/discovery/validation``
(``ValidateEndpointSlice``: at most 1000 endpoints and 100 ports per slice).
The controllers that write them live in :mod:`kubelab.cluster`.

Examples
--------
>>> s = EndpointSlice.from_dict({"metadata": {"name": "web-abc"}, "addressType": "IPv4",
...     "endpoints": [{"addresses": ["10.244.1.2"]}], "ports": [{"port": 80}]})
>>> s.default(); s.endpoints[0].conditions.ready, s.ports[0].protocol
(True, 'TCP')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import FieldError
from .meta import APIObject, ObjectMeta, ObjectReference
from .pod import PROTOCOLS
from .schema import Model
from .validation import is_dns1123_label, is_valid_ip, is_valid_port_num

__all__ = ["Endpoints", "EndpointSubset", "EndpointAddress", "EndpointPort",
           "EndpointSlice", "Endpoint", "EndpointConditions", "EndpointSlicePort",
           "SERVICE_NAME_LABEL", "MANAGED_BY_LABEL", "MAX_ENDPOINTS_PER_SLICE"]

#: ``discovery.k8s.io/v1.LabelServiceName``
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
#: ``discovery.k8s.io/v1.LabelManagedBy``
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
#: The controller's ``--max-endpoints-per-slice`` default.
MAX_ENDPOINTS_PER_SLICE = 100


@dataclass
class EndpointAddress(Model):
    _k8s_model: ClassVar[str] = "V1EndpointAddress"
    ip: str | None = None
    hostname: str | None = None
    node_name: str | None = None
    target_ref: ObjectReference | None = None


@dataclass
class EndpointPort(Model):
    _k8s_model: ClassVar[str] = "CoreV1EndpointPort"
    name: str | None = None
    port: int | None = None
    protocol: str | None = None
    app_protocol: str | None = None


@dataclass
class EndpointSubset(Model):
    _k8s_model: ClassVar[str] = "V1EndpointSubset"
    addresses: list[EndpointAddress] = field(default_factory=list)
    not_ready_addresses: list[EndpointAddress] = field(default_factory=list)
    ports: list[EndpointPort] = field(default_factory=list)


def _validate_ports(ports, path: str, need_names: bool) -> list[FieldError]:
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, p in enumerate(ports):
        pp = f"{path}[{i}]"
        if p.name:
            errs.extend(FieldError.invalid(f"{pp}.name", p.name, m) for m in is_dns1123_label(p.name))
            if p.name in names:
                errs.append(FieldError.duplicate(f"{pp}.name", p.name))
            names.add(p.name)
        elif need_names and len(ports) > 1:
            errs.append(FieldError.required(f"{pp}.name"))
        if p.port is None:
            errs.append(FieldError.required(f"{pp}.port"))
        else:
            errs.extend(FieldError.invalid(f"{pp}.port", p.port, m) for m in is_valid_port_num(p.port))
        if p.protocol not in PROTOCOLS:
            errs.append(FieldError.not_supported(f"{pp}.protocol", p.protocol, list(PROTOCOLS)))
    return errs


@dataclass
class Endpoints(APIObject):
    """The legacy Endpoints object (deprecated in favour of EndpointSlice since 1.33)."""

    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "Endpoints"
    plural: ClassVar[str] = "endpoints"
    short_names: ClassVar[tuple[str, ...]] = ("ep",)
    _k8s_model: ClassVar[str] = "V1Endpoints"
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    subsets: list[EndpointSubset] = field(default_factory=list)

    def default(self) -> None:
        super().default()
        for s in self.subsets:
            for p in s.ports:
                p.protocol = p.protocol or "TCP"

    def validate(self) -> list[FieldError]:
        errs = super().validate()
        for i, s in enumerate(self.subsets):
            sp = f"subsets[{i}]"
            if not s.addresses and not s.not_ready_addresses:
                errs.append(FieldError.required(sp, "must specify `addresses` or `notReadyAddresses`"))
            for group in ("addresses", "not_ready_addresses"):
                jname = "addresses" if group == "addresses" else "notReadyAddresses"
                for j, a in enumerate(getattr(s, group)):
                    if not a.ip:
                        errs.append(FieldError.required(f"{sp}.{jname}[{j}].ip"))
                    else:
                        errs.extend(FieldError.invalid(f"{sp}.{jname}[{j}].ip", a.ip, m) for m in is_valid_ip(a.ip))
            errs.extend(_validate_ports(s.ports, f"{sp}.ports", need_names=True))
        return errs


@dataclass
class EndpointConditions(Model):
    _k8s_model: ClassVar[str] = "V1EndpointConditions"
    ready: bool | None = None
    serving: bool | None = None
    terminating: bool | None = None


@dataclass
class Endpoint(Model):
    _k8s_model: ClassVar[str] = "V1Endpoint"
    addresses: list[str] = field(default_factory=list)
    conditions: EndpointConditions = field(default_factory=EndpointConditions)
    hostname: str | None = None
    node_name: str | None = None
    zone: str | None = None
    target_ref: ObjectReference | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class EndpointSlicePort(Model):
    _k8s_model: ClassVar[str] = "DiscoveryV1EndpointPort"
    name: str | None = None
    port: int | None = None
    protocol: str | None = None
    app_protocol: str | None = None


@dataclass
class EndpointSlice(APIObject):
    """An EndpointSlice: up to 100 endpoints (by default) of one Service, one address family."""

    api_version: ClassVar[str] = "discovery.k8s.io/v1"
    kind: ClassVar[str] = "EndpointSlice"
    plural: ClassVar[str] = "endpointslices"
    _k8s_model: ClassVar[str] = "V1EndpointSlice"
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    address_type: str | None = None
    endpoints: list[Endpoint] = field(default_factory=list)
    ports: list[EndpointSlicePort] = field(default_factory=list)

    @property
    def service_name(self) -> str | None:
        return self.metadata.labels.get(SERVICE_NAME_LABEL)

    def default(self) -> None:
        super().default()
        for p in self.ports:
            p.protocol = p.protocol or "TCP"
        for e in self.endpoints:
            # An unset condition is interpreted as true for ready and serving
            # by every consumer (discovery/v1 types.go); make it explicit.
            if e.conditions.ready is None:
                e.conditions.ready = True

    def validate(self) -> list[FieldError]:
        errs = super().validate()
        if self.address_type not in ("IPv4", "IPv6", "FQDN"):
            errs.append(FieldError.not_supported("addressType", self.address_type, ["FQDN", "IPv4", "IPv6"]))
        if len(self.endpoints) > 1000:
            errs.append(FieldError("TooMany", "endpoints", len(self.endpoints), "must have at most 1000 items", True))
        for i, e in enumerate(self.endpoints):
            if not e.addresses:
                errs.append(FieldError.required(f"endpoints[{i}].addresses"))
            for j, a in enumerate(e.addresses):
                if self.address_type in ("IPv4", "IPv6"):
                    errs.extend(FieldError.invalid(f"endpoints[{i}].addresses[{j}]", a, m) for m in is_valid_ip(a))
        errs.extend(_validate_ports(self.ports, "ports", need_names=False))
        return errs
