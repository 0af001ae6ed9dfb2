"""Object metadata, label selectors, and the base of every API object.

Upstream: ``k8s.io/apimachinery/pkg/apis/meta/v1/types.go`` (``ObjectMeta``,
``LabelSelector``), ``meta/v1/helpers.go`` (``LabelSelectorAsSelector``) and
``meta/v1/validation/validation.go`` (``ValidateLabelSelector``,
``ValidateLabels``).

Examples
--------
>>> sel = LabelSelector.from_dict({"matchLabels": {"app": "web"}})
>>> sel.matches({"app": "web", "tier": "front"}), sel.matches({"app": "db"})
(True, False)
>>> LabelSelector().matches({"anything": "x"})  # the empty selector selects everything
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import FieldError
from .schema import Model, encode
from .validation import is_dns1123_label, is_dns1123_subdomain, is_qualified_name, is_valid_label_value

__all__ = [
    "ObjectMeta",
    "LabelSelector",
    "LabelSelectorRequirement",
    "ObjectReference",
    "APIObject",
    "validate_labels",
    "validate_annotations",
]


@dataclass
class ObjectMeta(Model):
    """``metadata``: name, namespace, labels and annotations (other fields kept verbatim)."""

    _k8s_model: ClassVar[str] = "V1ObjectMeta"
    name: str | None = None
    namespace: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ObjectReference(Model):
    """A ``targetRef`` (core/v1 ``ObjectReference``)."""

    _k8s_model: ClassVar[str] = "V1ObjectReference"
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    uid: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


@dataclass
class LabelSelectorRequirement(Model):
    _k8s_model: ClassVar[str] = "V1LabelSelectorRequirement"
    key: str | None = None
    operator: str | None = None
    values: list[str] = field(default_factory=list)

    def matches(self, labels: dict[str, str]) -> bool:
        present = self.key in labels
        if self.operator == "In":
            return present and labels[self.key] in self.values
        if self.operator == "NotIn":
            return not present or labels[self.key] not in self.values
        if self.operator == "Exists":
            return present
        if self.operator == "DoesNotExist":
            return not present
        return False


@dataclass
class LabelSelector(Model):
    """A ``metav1.LabelSelector``: all ``matchLabels`` and all ``matchExpressions`` must hold.

    An empty selector selects everything (``LabelSelectorAsSelector``); a missing
    selector (``None`` where the field is optional) selects nothing.
    """

    _k8s_model: ClassVar[str] = "V1LabelSelector"
    match_labels: dict[str, str] = field(default_factory=dict)
    match_expressions: list[LabelSelectorRequirement] = field(default_factory=list)

    def matches(self, labels: dict[str, str]) -> bool:
        labels = labels or {}
        if any(labels.get(k) != v for k, v in self.match_labels.items()):
            return False
        return all(r.matches(labels) for r in self.match_expressions)

    def is_empty(self) -> bool:
        return not self.match_labels and not self.match_expressions

    def __str__(self) -> str:
        """The selector in kubectl's string form, e.g. ``app=web,tier in (a,b)``."""
        parts = [f"{k}={v}" for k, v in sorted(self.match_labels.items())]
        for r in self.match_expressions:
            if r.operator in ("In", "NotIn"):
                parts.append(f"{r.key} {r.operator.lower()} ({','.join(sorted(r.values))})")
            elif r.operator == "Exists":
                parts.append(str(r.key))
            else:
                parts.append(f"!{r.key}")
        return ",".join(parts) or "<all>"

    def validate(self, path: str) -> list[FieldError]:
        errs = validate_labels(self.match_labels, f"{path}.matchLabels")
        for i, r in enumerate(self.match_expressions):
            p = f"{path}.matchExpressions[{i}]"
            if not r.key:
                errs.append(FieldError.required(f"{p}.key"))
            else:
                errs.extend(FieldError.invalid(f"{p}.key", r.key, m) for m in is_qualified_name(r.key))
            if r.operator in ("In", "NotIn"):
                if not r.values:
                    errs.append(FieldError.required(f"{p}.values", "must be specified when `operator` is 'In' or 'NotIn'"))
            elif r.operator in ("Exists", "DoesNotExist"):
                if r.values:
                    errs.append(FieldError.forbidden(f"{p}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
            elif r.operator is None:
                errs.append(FieldError.required(f"{p}.operator"))
            else:
                errs.append(FieldError.invalid(f"{p}.operator", r.operator, "not a valid selector operator"))
            for j, v in enumerate(r.values):
                errs.extend(FieldError.invalid(f"{p}.values[{j}]", v, m) for m in is_valid_label_value(v))
        return errs


def validate_labels(labels: dict[str, str], path: str) -> list[FieldError]:
    """``ValidateLabels``: every key a qualified name, every value a label value."""
    errs = []
    for k, v in labels.items():
        msgs = is_qualified_name(k)
        if msgs:  # (the checks return empty lists for valid input: no generator needed then)
            errs.extend(FieldError.invalid(path, k, m) for m in msgs)
        msgs = is_valid_label_value(v)
        if msgs:
            errs.extend(FieldError.invalid(f"{path}", v, m) for m in msgs)
    return errs


#: apimachinery's ``TotalAnnotationSizeLimitB``: keys and values of one object's annotations, together.
TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024


def validate_annotations(annotations: dict[str, str], path: str) -> list[FieldError]:
    """``ValidateAnnotations`` (apimachinery ``pkg/api/validation/objectmeta.go``): keys, then the total size.

    >>> [str(e) for e in validate_annotations({"a": "x" * TOTAL_ANNOTATION_SIZE_LIMIT}, "metadata.annotations")]
    ['metadata.annotations: Too long: must have at most 262144 bytes']
    """
    errs = []
    for k in annotations:
        errs.extend(FieldError.invalid(path, k, m) for m in is_qualified_name(k.lower()))
    total = sum(len(k.encode()) + len(v.encode()) for k, v in annotations.items() if isinstance(v, str))
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(FieldError("TooLong", path, None, f"must have at most {TOTAL_ANNOTATION_SIZE_LIMIT} bytes"))
    return errs


class APIObject(Model):
    """Behaviour shared by every kind.  Subclasses are dataclasses with a ``metadata`` field.

    Class attributes ``api_version``, ``kind`` and ``namespaced`` say what the
    object is; ``plural`` and ``short_names`` how ``kubectl`` names its resource
    (the API server's discovery document: ``pods``, ``po``); ``qualified_kind``
    how a cluster's store names the kind (the kind, unless another API group has
    one of the same name).  :mod:`kubelab.api.registry` maps ``(apiVersion, kind)``
    to the class and derives every list of kinds and resource names from these.
    ``source`` is the file the object was loaded from, for error messages.
    """

    api_version: ClassVar[str]
    kind: ClassVar[str]
    namespaced: ClassVar[bool] = True
    #: the kind as a cluster's store keys it (set to ``kind`` for a class that does not say otherwise)
    qualified_kind: ClassVar[str] = ""
    #: the resource name: ``kubectl get pods``, ``/api/v1/namespaces/default/pods``
    plural: ClassVar[str] = ""
    #: kubectl's short names (``shortNames`` in the discovery document)
    short_names: ClassVar[tuple[str, ...]] = ()
    #: name validator for metadata.name (most kinds: DNS-1123 subdomain).
    name_validator: ClassVar[Any] = staticmethod(is_dns1123_subdomain)
    source: ClassVar[str | None] = None  # set per instance by the loader
    metadata: ObjectMeta

    @property
    def name(self) -> str:
        return self.metadata.name or ""

    @property
    def namespace(self) -> str:
        return (self.metadata.namespace or "") if self.namespaced else ""

    @property
    def ref(self) -> str:
        """``Kind namespace/name`` (or ``Kind name`` for cluster-scoped kinds), as in error messages."""
        if self.namespaced:
            return f"{self.kind} {self.namespace or 'default'}/{self.name}"
        return f"{self.kind} {self.name}"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__ and "qualified_kind" not in cls.__dict__:
            cls.qualified_kind = cls.kind

    @property
    def key(self) -> tuple[str, str, str]:
        """``(qualified kind, namespace, name)``: the object's identity in a cluster."""
        return (self.qualified_kind, self.namespace, self.name)

    @property
    def labels(self) -> dict[str, str]:
        return self.metadata.labels

    def to_dict(self) -> dict[str, Any]:
        body = encode(self)
        return {"apiVersion": self.api_version, "kind": self.kind, **body}

    def default(self) -> None:
        """Apply the API server's defaults in place (``SetDefaults_*``). Subclasses extend."""
        if self.namespaced and not self.metadata.namespace:
            self.metadata.namespace = "default"

    def validate(self) -> list[FieldError]:
        """Return every validation problem (``Validate*``). Subclasses extend."""
        errs: list[FieldError] = []
        meta = self.metadata
        if not meta.name:
            errs.append(FieldError.required("metadata.name", "name or generateName is required"))
        else:
            msgs = self.name_validator(meta.name)
            if msgs:
                errs.extend(FieldError.invalid("metadata.name", meta.name, m) for m in msgs)
        if self.namespaced and meta.namespace:
            msgs = is_dns1123_label(meta.namespace)
            if msgs:
                errs.extend(FieldError.invalid("metadata.namespace", meta.namespace, m) for m in msgs)
        errs.extend(validate_labels(meta.labels, "metadata.labels"))
        errs.extend(validate_annotations(meta.annotations, "metadata.annotations"))
        return errs
