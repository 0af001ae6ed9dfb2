"""Gateway API kinds (``gateway.networking.k8s.io``): GatewayClass, Gateway, HTTPRoute, ReferenceGrant.

Pinned to Gateway API **v1.4.0, standard channel**.  The kinds are custom resources:
the API server knows them from their CRDs (``config/crd/standard/
gateway.networking.k8s.io_{gatewayclasses,gateways,httproutes,referencegrants}.yaml``
at tag v1.4.0), so defaulting and validation here are exactly those CRDs' OpenAPI
schema and CEL rules (``x-kubernetes-validations``), applied by :mod:`kubelab.api.crd`
from the bundled copy ``kubelab/data/gateway-api-v1.4.0-standard.json``.  The Go
types the CRDs are generated from are ``apis/v1/gatewayclass_types.go``,
``gateway_types.go``, ``httproute_types.go``, ``shared_types.go`` and
``apis/v1beta1/referencegrant_types.go``.

GatewayClass, Gateway and HTTPRoute are served as ``v1`` and ``v1beta1`` (same schema);
ReferenceGrant as ``v1beta1`` only (standard channel v1.4).  ``spec`` stays a plain
dict (the CRD is the schema); the routing model in :mod:`kubelab.gateway` reads it.
``status`` in a manifest is ignored, as the API server ignores it on create (status
subresource); the model's controller computes status (:mod:`kubelab.gateway.status`).

Examples
--------
>>> from kubelab.api import load_text
>>> route = load_text('''
... apiVersion: gateway.networking.k8s.io/v1
... kind: HTTPRoute
... metadata: {name: web}
... spec:
...   parentRefs: [{name: gw}]
...   rules: [{backendRefs: [{name: web, port: 80}]}]
... ''')[0]
>>> route.spec["rules"][0]["matches"], route.spec["rules"][0]["backendRefs"][0]["weight"]
([{'path': {'type': 'PathPrefix', 'value': '/'}}], 1)
>>> route.spec["parentRefs"][0]["kind"], route.spec["parentRefs"][0]["group"]
('Gateway', 'gateway.networking.k8s.io')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import FieldError
from .crd import CRD, default, load_bundle, validate
from .meta import APIObject, ObjectMeta

__all__ = ["GROUP", "BUNDLE", "GatewayClass", "Gateway", "HTTPRoute", "ReferenceGrant", "GATEWAY_KINDS", "crd_of"]

GROUP = "gateway.networking.k8s.io"
#: The bundled CRDs: Gateway API v1.4.0, standard channel.
BUNDLE = "gateway-api-v1.4.0-standard"


def crd_of(api_version: str, kind: str) -> CRD:
    """The CRD version that defines ``(apiVersion, kind)``."""
    return load_bundle(BUNDLE)[(api_version, kind)]


class _CustomResource(APIObject):
    """A Gateway API object: ``metadata``, a ``spec`` checked against the CRD, a ``status``."""

    metadata: ObjectMeta
    spec: dict[str, Any]
    status: dict[str, Any]

    @property
    def crd(self) -> CRD:
        return crd_of(self.api_version, self.kind)

    def default(self) -> None:
        super().default()
        default(self.crd.spec_schema, self.spec)
        self.status = {}  # the status subresource: what a manifest says is ignored on create

    def validate(self) -> list[FieldError]:
        errs = super().validate()
        if self.crd.spec_required and not getattr(self, "_spec_given", True):
            errs.append(FieldError.required("spec"))
            return errs
        errs.extend(validate(self.crd.spec_schema, self.spec, "spec"))
        return errs

    @classmethod
    def from_dict(cls, data: Any, path: str = "") -> Any:
        obj = super().from_dict(data, path)
        obj._spec_given = isinstance(data, dict) and isinstance(data.get("spec"), dict)
        return obj


@dataclass
class GatewayClass(_CustomResource):
    """Cluster-scoped: a kind of Gateway and the controller (``spec.controllerName``) that implements it."""

    api_version: ClassVar[str] = f"{GROUP}/v1"
    kind: ClassVar[str] = "GatewayClass"
    plural: ClassVar[str] = "gatewayclasses"
    short_names: ClassVar[tuple[str, ...]] = ("gc",)
    namespaced: ClassVar[bool] = False
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: dict[str, Any] = field(default_factory=dict)
    status: dict[str, Any] = field(default_factory=dict)


@dataclass
class Gateway(_CustomResource):
    """A Gateway: listeners (port, protocol, hostname, allowedRoutes) of one GatewayClass."""

    api_version: ClassVar[str] = f"{GROUP}/v1"
    kind: ClassVar[str] = "Gateway"
    plural: ClassVar[str] = "gateways"
    short_names: ClassVar[tuple[str, ...]] = ("gtw",)
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: dict[str, Any] = field(default_factory=dict)
    status: dict[str, Any] = field(default_factory=dict)


@dataclass
class HTTPRoute(_CustomResource):
    """An HTTPRoute: hostnames and rules (matches, filters, backendRefs), attached to parents."""

    api_version: ClassVar[str] = f"{GROUP}/v1"
    kind: ClassVar[str] = "HTTPRoute"
    plural: ClassVar[str] = "httproutes"
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: dict[str, Any] = field(default_factory=dict)
    status: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReferenceGrant(_CustomResource):
    """A ReferenceGrant: lets objects ``from`` other namespaces refer ``to`` objects of its own namespace."""

    api_version: ClassVar[str] = f"{GROUP}/v1beta1"
    kind: ClassVar[str] = "ReferenceGrant"
    plural: ClassVar[str] = "referencegrants"
    short_names: ClassVar[tuple[str, ...]] = ("refgrant",)
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: dict[str, Any] = field(default_factory=dict)
    status: dict[str, Any] = field(default_factory=dict)


def _v1beta1(cls: type[_CustomResource]) -> type[_CustomResource]:
    """The same kind served as ``v1beta1`` (the CRDs serve both versions with one schema)."""
    sub = dataclass(type(cls.__name__, (cls,), {"api_version": f"{GROUP}/v1beta1", "__doc__": cls.__doc__,
                                                "__module__": __name__, "__qualname__": cls.__name__}))
    return sub


#: Every served (class) version, for the registry.
GATEWAY_KINDS: tuple[type[_CustomResource], ...] = (
    GatewayClass, Gateway, HTTPRoute, ReferenceGrant,
    _v1beta1(GatewayClass), _v1beta1(Gateway), _v1beta1(HTTPRoute),
)
