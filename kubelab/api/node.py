"""core/v1 Node and Namespace: the fields kubelab uses.

Upstream: ``k8s.io/api/core/v1/types.go`` (``NodeSpec.podCIDR``,
``NodeStatus.addresses``, ``Taint``), ``pkg/apis/core/validation``
(``ValidateNode``: podCIDR must be a CIDR; ``ValidateNamespace``: DNS-1123 label).

Examples
--------
>>> n = Node.from_dict({"metadata": {"name": "w1"}, "spec": {"podCIDR": "10.244.1.0/24"},
...     "status": {"addresses": [{"type": "InternalIP", "address": "172.18.0.3"}]}})
>>> n.internal_ip, n.schedulable
('172.18.0.3', True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import FieldError
from .meta import APIObject, ObjectMeta
from .schema import Model, spec_field
from .validation import is_dns1123_label, is_valid_cidr, is_valid_ip

__all__ = ["Node", "NodeSpec", "NodeStatus", "NodeAddress", "Taint", "Namespace"]


@dataclass
class Taint(Model):
    _k8s_model: ClassVar[str] = "V1Taint"
    key: str | None = None
    value: str | None = None
    effect: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class NodeSpec(Model):
    _k8s_model: ClassVar[str] = "V1NodeSpec"
    pod_cidr: str | None = spec_field(json="podCIDR")
    pod_cidrs: list[str] = spec_field(json="podCIDRs", factory=list)
    unschedulable: bool | None = None
    taints: list[Taint] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class NodeAddress(Model):
    _k8s_model: ClassVar[str] = "V1NodeAddress"
    type: str | None = None
    address: str | None = None


@dataclass
class NodeStatus(Model):
    _k8s_model: ClassVar[str] = "V1NodeStatus"
    addresses: list[NodeAddress] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Node(APIObject):
    """A Node.  ``schedulable`` is false when ``unschedulable`` or tainted ``NoSchedule``/``NoExecute``."""

    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "Node"
    plural: ClassVar[str] = "nodes"
    short_names: ClassVar[tuple[str, ...]] = ("no",)
    namespaced: ClassVar[bool] = False
    _k8s_model: ClassVar[str] = "V1Node"
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: NodeSpec = field(default_factory=NodeSpec)
    status: NodeStatus = field(default_factory=NodeStatus)

    @property
    def internal_ip(self) -> str | None:
        for a in self.status.addresses:
            if a.type == "InternalIP":
                return a.address
        return None

    @property
    def schedulable(self) -> bool:
        if self.spec.unschedulable:
            return False
        return not any(t.effect in ("NoSchedule", "NoExecute") for t in self.spec.taints)

    def default(self) -> None:
        super().default()
        if self.spec.pod_cidr and not self.spec.pod_cidrs:
            self.spec.pod_cidrs = [self.spec.pod_cidr]

    def validate(self) -> list[FieldError]:
        errs = super().validate()
        for i, c in enumerate(self.spec.pod_cidrs or ([self.spec.pod_cidr] if self.spec.pod_cidr else [])):
            errs.extend(FieldError.invalid(f"spec.podCIDRs[{i}]", c, m) for m in is_valid_cidr(c))
        for i, a in enumerate(self.status.addresses):
            if a.type in ("InternalIP", "ExternalIP") and a.address:
                errs.extend(FieldError.invalid(f"status.addresses[{i}].address", a.address, m)
                            for m in is_valid_ip(a.address))
        for i, t in enumerate(self.spec.taints):
            if t.effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
                errs.append(FieldError.not_supported(f"spec.taints[{i}].effect", t.effect,
                                                     ["NoExecute", "NoSchedule", "PreferNoSchedule"]))
        return errs


@dataclass
class Namespace(APIObject):
    """A Namespace (its labels matter to NetworkPolicy namespaceSelectors)."""

    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "Namespace"
    plural: ClassVar[str] = "namespaces"
    short_names: ClassVar[tuple[str, ...]] = ("ns",)
    namespaced: ClassVar[bool] = False
    _k8s_model: ClassVar[str] = "V1Namespace"
    name_validator: ClassVar[Any] = staticmethod(is_dns1123_label)
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    extra: dict[str, Any] = field(default_factory=dict)

    def default(self) -> None:
        super().default()
        # Since 1.21 the API server labels every namespace with its own name,
        # overwriting any other value (SetDefaults_Namespace): the label can be trusted.
        self.metadata.labels["kubernetes.io/metadata.name"] = self.name
