"""networking.k8s.io/v1 NetworkPolicy: the object, its defaults and validation.

Upstream: ``k8s.io/api/networking/v1/types.go``, ``pkg/apis/networking/v1/defaults.go``
(``SetDefaults_NetworkPolicy``: ``policyTypes`` is ``[Ingress]``, plus
``Egress`` when egress rules exist; port protocol TCP) and
``pkg/apis/networking/validation/validation.go`` (``ValidateNetworkPolicySpec``,
``ValidateNetworkPolicyPeer``, ``ValidateIPBlock``, ``ValidateNetworkPolicyPort``).
Evaluation (who may talk to whom) is :mod:`kubelab.policy`'s job.

Examples
--------
>>> np = NetworkPolicy.from_dict({"metadata": {"name": "deny"}, "spec": {"podSelector": {}}})
>>> np.default(); np.spec.policy_types
['Ingress']
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import ClassVar

from ..errors import FieldError
from .meta import APIObject, LabelSelector, ObjectMeta
from .pod import PROTOCOLS
from .schema import IntOrString, Model, spec_field
from .validation import is_valid_cidr, is_valid_port_name, is_valid_port_num

__all__ = ["NetworkPolicy", "NetworkPolicySpec", "NetworkPolicyIngressRule", "NetworkPolicyEgressRule",
           "NetworkPolicyPeer", "NetworkPolicyPort", "IPBlock"]


@dataclass
class IPBlock(Model):
    _k8s_model: ClassVar[str] = "V1IPBlock"
    cidr: str | None = None
    except_: list[str] = spec_field(json="except", factory=list)


@dataclass
class NetworkPolicyPeer(Model):
    _k8s_model: ClassVar[str] = "V1NetworkPolicyPeer"
    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IPBlock | None = None


@dataclass
class NetworkPolicyPort(Model):
    _k8s_model: ClassVar[str] = "V1NetworkPolicyPort"
    protocol: str | None = None
    port: IntOrString | None = None
    end_port: int | None = None


@dataclass
class NetworkPolicyIngressRule(Model):
    _k8s_model: ClassVar[str] = "V1NetworkPolicyIngressRule"
    from_: list[NetworkPolicyPeer] = spec_field(json="from", factory=list)
    ports: list[NetworkPolicyPort] = field(default_factory=list)


@dataclass
class NetworkPolicyEgressRule(Model):
    _k8s_model: ClassVar[str] = "V1NetworkPolicyEgressRule"
    to: list[NetworkPolicyPeer] = field(default_factory=list)
    ports: list[NetworkPolicyPort] = field(default_factory=list)


@dataclass
class NetworkPolicySpec(Model):
    _k8s_model: ClassVar[str] = "V1NetworkPolicySpec"
    pod_selector: LabelSelector = field(default_factory=LabelSelector)
    policy_types: list[str] = field(default_factory=list)
    ingress: list[NetworkPolicyIngressRule] = field(default_factory=list)
    egress: list[NetworkPolicyEgressRule] = field(default_factory=list)


def _validate_peer(peer: NetworkPolicyPeer, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    selectors = [peer.pod_selector, peer.namespace_selector]
    if peer.ip_block is None and all(s is None for s in selectors):
        return [FieldError.required(path, "must specify a peer")]
    if peer.ip_block is not None and any(s is not None for s in selectors):
        return [FieldError.forbidden(path, "may not specify both ipBlock and another peer")]
    if peer.pod_selector is not None:
        errs.extend(peer.pod_selector.validate(f"{path}.podSelector"))
    if peer.namespace_selector is not None:
        errs.extend(peer.namespace_selector.validate(f"{path}.namespaceSelector"))
    if peer.ip_block is not None:
        b = peer.ip_block
        if not b.cidr:
            errs.append(FieldError.required(f"{path}.ipBlock.cidr"))
            return errs
        msgs = is_valid_cidr(b.cidr)
        errs.extend(FieldError.invalid(f"{path}.ipBlock.cidr", b.cidr, m) for m in msgs)
        if msgs:
            return errs
        net = ipaddress.ip_network(b.cidr, strict=False)
        for i, ex in enumerate(b.except_):
            ep = f"{path}.ipBlock.except[{i}]"
            emsgs = is_valid_cidr(ex)
            errs.extend(FieldError.invalid(ep, ex, m) for m in emsgs)
            if emsgs:
                continue
            exnet = ipaddress.ip_network(ex, strict=False)
            if exnet.version != net.version or not exnet.subnet_of(net) or exnet.prefixlen <= net.prefixlen:
                errs.append(FieldError.invalid(ep, ex, "must be a strict subset of `cidr`"))
    return errs


def _validate_ports(ports: list[NetworkPolicyPort], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, p in enumerate(ports):
        pp = f"{path}[{i}]"
        if p.protocol not in PROTOCOLS:
            errs.append(FieldError.not_supported(f"{pp}.protocol", p.protocol, list(PROTOCOLS)))
        if isinstance(p.port, int):
            errs.extend(FieldError.invalid(f"{pp}.port", p.port, m) for m in is_valid_port_num(p.port))
        elif isinstance(p.port, str):
            errs.extend(FieldError.invalid(f"{pp}.port", p.port, m) for m in is_valid_port_name(p.port))
        if p.end_port is not None:
            if p.port is None:
                errs.append(FieldError.required(f"{pp}.port", "must be specified when endPort is specified"))
            elif isinstance(p.port, str):
                errs.append(FieldError.forbidden(f"{pp}.endPort", "may not be specified when `port` is non-numeric"))
            elif p.end_port < p.port:
                errs.append(FieldError.invalid(f"{pp}.endPort", p.end_port, "must be greater than or equal to `port`"))
            else:
                errs.extend(FieldError.invalid(f"{pp}.endPort", p.end_port, m) for m in is_valid_port_num(p.end_port))
    return errs


@dataclass
class NetworkPolicy(APIObject):
    """A Kubernetes NetworkPolicy."""

    api_version: ClassVar[str] = "networking.k8s.io/v1"
    kind: ClassVar[str] = "NetworkPolicy"
    plural: ClassVar[str] = "networkpolicies"
    short_names: ClassVar[tuple[str, ...]] = ("netpol",)
    _k8s_model: ClassVar[str] = "V1NetworkPolicy"
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: NetworkPolicySpec = field(default_factory=NetworkPolicySpec)

    def default(self) -> None:
        super().default()
        s = self.spec
        if not s.policy_types:
            s.policy_types = ["Ingress"] + (["Egress"] if s.egress else [])
        for rule in [*s.ingress, *s.egress]:
            for p in rule.ports:
                p.protocol = p.protocol or "TCP"

    def validate(self) -> list[FieldError]:
        errs = super().validate()
        s = self.spec
        errs.extend(s.pod_selector.validate("spec.podSelector"))
        for i, r in enumerate(s.ingress):
            errs.extend(_validate_ports(r.ports, f"spec.ingress[{i}].ports"))
            for j, peer in enumerate(r.from_):
                errs.extend(_validate_peer(peer, f"spec.ingress[{i}].from[{j}]"))
        for i, r in enumerate(s.egress):
            errs.extend(_validate_ports(r.ports, f"spec.egress[{i}].ports"))
            for j, peer in enumerate(r.to):
                errs.extend(_validate_peer(peer, f"spec.egress[{i}].to[{j}]"))
        for i, t in enumerate(s.policy_types):
            if t not in ("Ingress", "Egress"):
                errs.append(FieldError.not_supported(f"spec.policyTypes[{i}]", t, ["Egress", "Ingress"]))
        if len(s.policy_types) > 2:
            errs.append(FieldError.invalid("spec.policyTypes", s.policy_types, "may not specify more than two policyTypes"))
        return errs
