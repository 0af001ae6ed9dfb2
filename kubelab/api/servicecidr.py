"""networking.k8s.io/v1 ServiceCIDR: extra ranges for Service ClusterIPs (GA in Kubernetes 1.33).

Upstream: ``k8s.io/api/networking/v1/types.go`` (``ServiceCIDRSpec.cidrs``: one
or two CIDRs, at most one per IP family) and ``pkg/apis/networking/validation``
(``ValidateServiceCIDR``).

Examples
--------
>>> s = ServiceCIDR.from_dict({"metadata": {"name": "extra"}, "spec": {"cidrs": ["10.100.0.0/16"]}})
>>> s.validate()
[]
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import FieldError
from .meta import APIObject, ObjectMeta
from .schema import Model
from .validation import is_valid_cidr

__all__ = ["ServiceCIDR", "ServiceCIDRSpec"]


@dataclass
class ServiceCIDRSpec(Model):
    _k8s_model: ClassVar[str] = "V1ServiceCIDRSpec"
    cidrs: list[str] = field(default_factory=list)


@dataclass
class ServiceCIDR(APIObject):
    api_version: ClassVar[str] = "networking.k8s.io/v1"
    kind: ClassVar[str] = "ServiceCIDR"
    plural: ClassVar[str] = "servicecidrs"
    namespaced: ClassVar[bool] = False
    _k8s_model: ClassVar[str] = "V1ServiceCIDR"
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: ServiceCIDRSpec = field(default_factory=ServiceCIDRSpec)
    status: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> list[FieldError]:
        errs = super().validate()
        cidrs = self.spec.cidrs
        if not cidrs:
            errs.append(FieldError.required("spec.cidrs"))
        if len(cidrs) > 2:
            errs.append(FieldError("TooMany", "spec.cidrs", len(cidrs), "must have at most 2 items", True))
        families = []
        for i, c in enumerate(cidrs):
            msgs = is_valid_cidr(c)
            errs.extend(FieldError.invalid(f"spec.cidrs[{i}]", c, m) for m in msgs)
            if not msgs:
                net = ipaddress.ip_network(c, strict=False)
                if str(net) != c:
                    errs.append(FieldError.invalid(f"spec.cidrs[{i}]", c, f"must be in canonical form (\"{net}\")"))
                families.append(net.version)
        if len(families) == 2 and families[0] == families[1]:
            errs.append(FieldError.invalid("spec.cidrs", cidrs, "may specify no more than one IP for each IP family"))
        return errs
