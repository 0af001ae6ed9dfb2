"""networking.k8s.io/v1 Ingress and IngressClass, and the conversion of the retired v1beta1 APIs.

Upstream: ``k8s.io/api/networking/v1/types.go``, ``pkg/apis/networking/validation/validation.go``
(``ValidateIngressSpec``, ``validateHTTPIngressPath``, ``validateIngressBackend``)
and the deprecation warnings the API server sent for ``extensions/v1beta1`` and
``networking.k8s.io/v1beta1`` Ingress (both no longer served since Kubernetes 1.22).
The v1beta1 defaulting set ``pathType: ImplementationSpecific``; v1 has no default.

Examples
--------
>>> ing, warning = convert_legacy_ingress({"metadata": {"name": "x"}, "spec": {"backend":
...     {"serviceName": "web", "servicePort": 80}}}, "extensions/v1beta1")
>>> ing["spec"]["defaultBackend"]
{'service': {'name': 'web', 'port': {'number': 80}}}
>>> warning
'extensions/v1beta1 Ingress is deprecated in v1.14+, unavailable in v1.22+; use networking.k8s.io/v1 Ingress'
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import FieldError
from .meta import APIObject, ObjectMeta
from .schema import Model
from .validation import is_dns1035_label, is_dns1123_subdomain, is_valid_ip, is_valid_port_name, is_valid_port_num

__all__ = ["Ingress", "IngressSpec", "IngressRule", "HTTPIngressPath", "IngressBackend",
           "IngressServiceBackend", "ServiceBackendPort", "IngressTLS", "IngressClass",
           "convert_legacy_ingress", "LEGACY_INGRESS_WARNINGS", "PATH_TYPES", "DEFAULT_CLASS_ANNOTATION"]

PATH_TYPES = ("Exact", "ImplementationSpecific", "Prefix")
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
LEGACY_INGRESS_WARNINGS = {
    "extensions/v1beta1": "extensions/v1beta1 Ingress is deprecated in v1.14+, unavailable in v1.22+; "
                          "use networking.k8s.io/v1 Ingress",
    "networking.k8s.io/v1beta1": "networking.k8s.io/v1beta1 Ingress is deprecated in v1.19+, unavailable in "
                                 "v1.22+; use networking.k8s.io/v1 Ingress",
}
_INVALID_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
_INVALID_SUFFIXES = ("/..", "/.")


@dataclass
class ServiceBackendPort(Model):
    _k8s_model: ClassVar[str] = "V1ServiceBackendPort"
    name: str | None = None
    number: int | None = None


@dataclass
class IngressServiceBackend(Model):
    _k8s_model: ClassVar[str] = "V1IngressServiceBackend"
    name: str | None = None
    port: ServiceBackendPort | None = None


@dataclass
class IngressBackend(Model):
    _k8s_model: ClassVar[str] = "V1IngressBackend"
    service: IngressServiceBackend | None = None
    resource: dict[str, Any] | None = None


@dataclass
class HTTPIngressPath(Model):
    _k8s_model: ClassVar[str] = "V1HTTPIngressPath"
    path: str | None = None
    path_type: str | None = None
    backend: IngressBackend | None = None


@dataclass
class HTTPIngressRuleValue(Model):
    _k8s_model: ClassVar[str] = "V1HTTPIngressRuleValue"
    paths: list[HTTPIngressPath] = field(default_factory=list)


@dataclass
class IngressRule(Model):
    _k8s_model: ClassVar[str] = "V1IngressRule"
    host: str | None = None
    http: HTTPIngressRuleValue | None = None


@dataclass
class IngressTLS(Model):
    _k8s_model: ClassVar[str] = "V1IngressTLS"
    hosts: list[str] = field(default_factory=list)
    secret_name: str | None = None


@dataclass
class IngressSpec(Model):
    _k8s_model: ClassVar[str] = "V1IngressSpec"
    ingress_class_name: str | None = None
    default_backend: IngressBackend | None = None
    tls: list[IngressTLS] = field(default_factory=list)
    rules: list[IngressRule] = field(default_factory=list)


def _validate_backend(b: IngressBackend, path: str) -> list[FieldError]:
    if b.service is not None and b.resource is not None:
        return [FieldError.invalid(path, "", "cannot set both service and resource backends")]
    if b.resource is not None:
        return [] if b.resource.get("kind") and b.resource.get("name") else \
            [FieldError.required(f"{path}.resource", "kind and name are required")]
    if b.service is None:
        return [FieldError.invalid(path, "", "one backend (`service` or `resource`) must be specified")]
    errs = []
    svc = b.service
    if not svc.name:
        errs.append(FieldError.required(f"{path}.service.name"))
    else:
        errs.extend(FieldError.invalid(f"{path}.service.name", svc.name, m) for m in is_dns1035_label(svc.name))
    port = svc.port
    # As upstream: an empty name and a zero number count as unset (Go zero values).
    has_name = port is not None and bool(port.name)
    has_number = port is not None and bool(port.number)
    if not has_name and not has_number:
        errs.append(FieldError.invalid(f"{path}.service.port", "", "port name or number is required"))
    elif has_name and has_number:
        errs.append(FieldError.invalid(f"{path}.service.port", "", "cannot set both port name & port number"))
    elif has_name:
        errs.extend(FieldError.invalid(f"{path}.service.port.name", port.name, m) for m in is_valid_port_name(port.name))
    else:
        errs.extend(FieldError.invalid(f"{path}.service.port.number", port.number, m)
                    for m in is_valid_port_num(port.number))
    return errs


def _validate_host(host: str, path: str, wildcard_ok: bool = True) -> list[FieldError]:
    if not is_valid_ip(host):
        return [FieldError.invalid(path, host, "must be a DNS name, not an IP address")]
    if host.startswith("*.") and wildcard_ok:
        name = host[2:]
        msgs = is_dns1123_subdomain(name)
        return [FieldError.invalid(path, host, "a wildcard DNS-1123 subdomain must start with '*.', followed by "
                                   "a valid DNS subdomain")] if msgs else []
    return [FieldError.invalid(path, host, m) for m in is_dns1123_subdomain(host)]


@dataclass
class Ingress(APIObject):
    """An Ingress (networking.k8s.io/v1): host and path rules in front of Services."""

    api_version: ClassVar[str] = "networking.k8s.io/v1"
    kind: ClassVar[str] = "Ingress"
    plural: ClassVar[str] = "ingresses"
    short_names: ClassVar[tuple[str, ...]] = ("ing",)
    _k8s_model: ClassVar[str] = "V1Ingress"
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: IngressSpec = field(default_factory=IngressSpec)
    status: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> list[FieldError]:
        errs = super().validate()
        s = self.spec
        if not s.rules and s.default_backend is None:
            errs.append(FieldError.invalid("spec", "", "either `defaultBackend` or `rules` must be specified"))
        if s.default_backend is not None:
            errs.extend(_validate_backend(s.default_backend, "spec.defaultBackend"))
        if s.ingress_class_name:
            errs.extend(FieldError.invalid("spec.ingressClassName", s.ingress_class_name, m)
                        for m in is_dns1123_subdomain(s.ingress_class_name))
        for i, r in enumerate(s.rules):
            rp = f"spec.rules[{i}]"
            if r.host:
                errs.extend(_validate_host(r.host, f"{rp}.host"))
            if r.http is None:
                continue
            if not r.http.paths:
                errs.append(FieldError.required(f"{rp}.http.paths"))
            for j, p in enumerate(r.http.paths):
                pp = f"{rp}.http.paths[{j}]"
                errs.extend(_validate_path(p, pp))
                if p.backend is None:
                    errs.append(FieldError.required(f"{pp}.backend"))
                else:
                    errs.extend(_validate_backend(p.backend, f"{pp}.backend"))
        for i, t in enumerate(s.tls):
            for j, h in enumerate(t.hosts):
                errs.extend(_validate_host(h, f"spec.tls[{i}].hosts[{j}]"))
        return errs


def _validate_path(p: HTTPIngressPath, pp: str) -> list[FieldError]:
    if p.path_type is None:
        return [FieldError.required(f"{pp}.pathType", "pathType must be specified")]
    path = p.path or ""
    errs: list[FieldError] = []
    if p.path_type in ("Exact", "Prefix"):
        if not path.startswith("/"):
            errs.append(FieldError.invalid(f"{pp}.path", path, "must be an absolute path"))
        for seq in _INVALID_SEQUENCES:
            if seq in path:
                errs.append(FieldError.invalid(f"{pp}.path", path, f"must not contain '{seq}'"))
        for suf in _INVALID_SUFFIXES:
            if path.endswith(suf):
                errs.append(FieldError.invalid(f"{pp}.path", path, f"cannot end with '{suf}'"))
    elif p.path_type == "ImplementationSpecific":
        if path and not path.startswith("/"):
            errs.append(FieldError.invalid(f"{pp}.path", path, "must be an absolute path"))
    else:
        errs.append(FieldError.not_supported(f"{pp}.pathType", p.path_type, list(PATH_TYPES)))
    return errs


@dataclass
class IngressClassSpec(Model):
    _k8s_model: ClassVar[str] = "V1IngressClassSpec"
    controller: str | None = None
    parameters: dict[str, Any] | None = None


@dataclass
class IngressClass(APIObject):
    """An IngressClass; the annotation ``ingressclass.kubernetes.io/is-default-class: "true"`` makes it the default."""

    api_version: ClassVar[str] = "networking.k8s.io/v1"
    kind: ClassVar[str] = "IngressClass"
    plural: ClassVar[str] = "ingressclasses"
    namespaced: ClassVar[bool] = False
    _k8s_model: ClassVar[str] = "V1IngressClass"
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: IngressClassSpec = field(default_factory=IngressClassSpec)

    @property
    def is_default(self) -> bool:
        return self.metadata.annotations.get(DEFAULT_CLASS_ANNOTATION) == "true"


def _legacy_backend(b: Any) -> Any:
    if not isinstance(b, dict):
        return b
    out = {k: v for k, v in b.items() if k not in ("serviceName", "servicePort")}
    if "serviceName" in b or "servicePort" in b:
        port = b.get("servicePort")
        port_obj = {"name": port} if isinstance(port, str) else {"number": port}
        out["service"] = {"name": b.get("serviceName"), "port": port_obj}
    return out


def convert_legacy_ingress(body: dict[str, Any], api_version: str) -> tuple[dict[str, Any], str]:
    """Convert an ``extensions/v1beta1`` or ``networking.k8s.io/v1beta1`` Ingress body to v1.

    Returns the v1 body (without apiVersion/kind) and the API server's deprecation warning.
    ``serviceName``/``servicePort`` become ``service.name``/``service.port``,
    ``spec.backend`` becomes ``spec.defaultBackend`` and a missing ``pathType``
    becomes ``ImplementationSpecific`` (the v1beta1 default).
    """
    out = copy.deepcopy(body)
    spec = out.get("spec")
    if isinstance(spec, dict):
        if "backend" in spec:
            spec["defaultBackend"] = _legacy_backend(spec.pop("backend"))
        # Anything not shaped as expected is left alone for the strict decoder to report.
        rules = spec.get("rules")
        for rule in rules if isinstance(rules, list) else []:
            if not isinstance(rule, dict) or not isinstance(rule.get("http"), dict):
                continue
            paths = rule["http"].get("paths")
            for p in paths if isinstance(paths, list) else []:
                if isinstance(p, dict):
                    p.setdefault("pathType", "ImplementationSpecific")
                    if "backend" in p:
                        p["backend"] = _legacy_backend(p["backend"])
    return out, LEGACY_INGRESS_WARNINGS[api_version]
