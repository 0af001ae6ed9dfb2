"""Calico's ``projectcalico.org/v3`` NetworkPolicy and GlobalNetworkPolicy objects.

Upstream: the Calico API reference (``api/pkg/apis/projectcalico/v3/policy_common.go``,
``networkpolicy.go``, ``globalnetworkpolicy.go``, ``rule.go``): ``order``,
``selector``, ``types``, ``ingress``/``egress`` rules with ``action``
``Allow``/``Deny``/``Log``/``Pass``, entity rules with ``nets``, ``selector``,
``namespaceSelector`` and ``ports``.  Defaulting of ``types`` follows Calico,
which differs from Kubernetes: egress-only rules give ``[Egress]``.

Simplification: selector expressions are kept as text here; their syntax is
checked by :func:`kubelab.api.calico_selector.selector_errors` (field and column),
their evaluation belongs to :mod:`kubelab.policy`.  ``http``, ``icmp`` and
``serviceAccounts`` matches are kept verbatim and not interpreted.

Examples
--------
>>> p = CalicoNetworkPolicy.from_dict({"metadata": {"name": "x"}, "spec": {"selector": "app == 'db'",
...     "egress": [{"action": "Allow"}]}})
>>> p.default(); p.spec.types, p.spec.tier
(['Egress'], 'default')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import FieldError
from .calico_selector import selector_errors
from .meta import APIObject, ObjectMeta
from .schema import IntOrString, Model, spec_field
from .validation import is_valid_cidr

__all__ = ["CalicoNetworkPolicy", "GlobalNetworkPolicy", "CalicoPolicySpec", "CalicoRule", "EntityRule",
           "CALICO_ACTIONS"]

CALICO_ACTIONS = ("Allow", "Deny", "Log", "Pass")
_PROTOCOLS = ("TCP", "UDP", "ICMP", "ICMPv6", "SCTP", "UDPLite")


@dataclass
class EntityRule(Model):
    nets: list[str] = field(default_factory=list)
    not_nets: list[str] = field(default_factory=list)
    selector: str | None = None
    not_selector: str | None = None
    namespace_selector: str | None = None
    ports: list[IntOrString] = field(default_factory=list)
    not_ports: list[IntOrString] = field(default_factory=list)
    service_accounts: dict[str, Any] | None = None
    services: dict[str, Any] | None = None


@dataclass
class CalicoRule(Model):
    action: str | None = None
    protocol: IntOrString | None = None
    not_protocol: IntOrString | None = None
    ip_version: int | None = None
    source: EntityRule = field(default_factory=EntityRule)
    destination: EntityRule = field(default_factory=EntityRule)
    icmp: dict[str, Any] | None = None
    not_icmp: dict[str, Any] | None = None
    http: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None


@dataclass
class CalicoPolicySpec(Model):
    order: float | None = None
    tier: str | None = None
    selector: str | None = None
    namespace_selector: str | None = None
    service_account_selector: str | None = None
    types: list[str] = field(default_factory=list)
    ingress: list[CalicoRule] = field(default_factory=list)
    egress: list[CalicoRule] = field(default_factory=list)
    do_not_track: bool | None = None
    pre_dnat: bool | None = spec_field(json="preDNAT")
    apply_on_forward: bool | None = None
    performance_hints: list[str] = field(default_factory=list)


def _validate_entity(e: EntityRule, path: str) -> list[FieldError]:
    errs = []
    for key, nets in (("nets", e.nets), ("notNets", e.not_nets)):
        for i, n in enumerate(nets):
            errs.extend(FieldError.invalid(f"{path}.{key}[{i}]", n, m) for m in is_valid_cidr(n if "/" in n else n + "/32"))
    for key, ports in (("ports", e.ports), ("notPorts", e.not_ports)):
        for i, p in enumerate(ports):
            if isinstance(p, int) and not 0 <= p <= 65535:
                errs.append(FieldError.invalid(f"{path}.{key}[{i}]", p, "must be between 0 and 65535"))
            if isinstance(p, str) and ":" in p:
                lo, _, hi = p.partition(":")
                if not (lo.isdigit() and hi.isdigit() and int(lo) <= int(hi) <= 65535):
                    errs.append(FieldError.invalid(f"{path}.{key}[{i}]", p, "port range must be 'min:max' with min <= max <= 65535"))
    return errs


class _CalicoPolicy(APIObject):
    spec: CalicoPolicySpec

    def default(self) -> None:
        super().default()
        s = self.spec
        s.tier = s.tier or "default"
        if not s.types:
            if s.ingress and s.egress:
                s.types = ["Ingress", "Egress"]
            elif s.egress:
                s.types = ["Egress"]
            else:
                s.types = ["Ingress"]

    def validate(self) -> list[FieldError]:
        errs = super().validate()
        s = self.spec
        for i, t in enumerate(s.types):
            if t not in ("Ingress", "Egress"):
                errs.append(FieldError.not_supported(f"spec.types[{i}]", t, ["Egress", "Ingress"]))
        for direction, rules in (("ingress", s.ingress), ("egress", s.egress)):
            for i, r in enumerate(rules):
                rp = f"spec.{direction}[{i}]"
                if r.action is None:
                    errs.append(FieldError.required(f"{rp}.action"))
                elif r.action not in CALICO_ACTIONS:
                    errs.append(FieldError.not_supported(f"{rp}.action", r.action, list(CALICO_ACTIONS)))
                for key, proto in (("protocol", r.protocol), ("notProtocol", r.not_protocol)):
                    if isinstance(proto, str) and proto not in _PROTOCOLS:
                        errs.append(FieldError.not_supported(f"{rp}.{key}", proto, list(_PROTOCOLS)))
                    if isinstance(proto, int) and not 1 <= proto <= 255:
                        errs.append(FieldError.invalid(f"{rp}.{key}", proto, "must be between 1 and 255"))
                errs.extend(_validate_entity(r.source, f"{rp}.source"))
                errs.extend(_validate_entity(r.destination, f"{rp}.destination"))
        errs.extend(selector_errors(self))
        return errs


@dataclass
class CalicoNetworkPolicy(_CalicoPolicy):
    """A namespaced Calico NetworkPolicy (``kind: NetworkPolicy`` in ``projectcalico.org/v3``)."""

    api_version: ClassVar[str] = "projectcalico.org/v3"
    kind: ClassVar[str] = "NetworkPolicy"
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: CalicoPolicySpec = field(default_factory=CalicoPolicySpec)

    @property
    def qualified_kind(self) -> str:
        return "NetworkPolicy.projectcalico.org"

    @property
    def ref(self) -> str:
        return f"{self.qualified_kind} {self.namespace or 'default'}/{self.name}"


@dataclass
class GlobalNetworkPolicy(_CalicoPolicy):
    """A cluster-wide Calico GlobalNetworkPolicy."""

    api_version: ClassVar[str] = "projectcalico.org/v3"
    kind: ClassVar[str] = "GlobalNetworkPolicy"
    namespaced: ClassVar[bool] = False
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: CalicoPolicySpec = field(default_factory=CalicoPolicySpec)
