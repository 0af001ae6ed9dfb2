"""The kinds kubelab understands: ``(apiVersion, kind)`` -> model class.

Like the API server's REST mapper (``k8s.io/apimachinery/pkg/api/meta``
``RESTMapper``): a manifest's ``apiVersion`` and ``kind`` choose the type; an
unknown pair is ``no matches for kind "X" in version "Y"``, with a hint when a
near miss is known.  Retired versions that the course still reads (the
v1beta1 Ingress APIs) are converted to their successor with the warning the
API server used to send.

Each class says its resource names (``plural``, ``short_names``, as the API
server's discovery document, ``kubectl api-resources``, lists them) and its
``kubernetes`` client class (``_k8s_model``); :data:`RESOURCES`,
:func:`resolve_kind`, :func:`resource_name` and :func:`kind_class` derive
from them what ``kubectl get`` accepts and what its errors name.  Adding a
kind is one class with those attributes and one :func:`register` call here.

Examples
--------
>>> lookup("v1", "Service").__name__
'Service'
>>> suggest("v1", "Servce")
'did you mean kind "Service"?'
>>> resolve_kind("svc"), resource_name("EndpointSlice"), kind_class("Node").namespaced
('Service', 'endpointslices.discovery.k8s.io', False)
"""

from __future__ import annotations

import difflib
from typing import Callable

from ..errors import KubelabError
from .calico import CalicoNetworkPolicy, GlobalNetworkPolicy
from .endpoints import Endpoints, EndpointSlice
from .gateway import GATEWAY_KINDS
from .ingress import Ingress, IngressClass, convert_legacy_ingress
from .kubeproxy import KubeProxyConfiguration
from .meta import APIObject
from .networkpolicy import NetworkPolicy
from .node import Namespace, Node
from .pod import Pod
from .secret import Secret
from .service import Service
from .servicecidr import ServiceCIDR

__all__ = ["KINDS", "LEGACY", "RESOURCES", "lookup", "suggest", "register", "kind_class", "cluster_scoped_kinds",
           "group_of", "resource_names", "resource_name", "resolve_kind"]

KINDS: dict[tuple[str, str], type[APIObject]] = {}
#: qualified kind (``Service``, ``NetworkPolicy.projectcalico.org``) -> its class (the first version registered)
_BY_QUALIFIED: dict[str, type[APIObject]] = {}
#: resource names, singular names and short names kubectl accepts -> qualified kind
RESOURCES: dict[str, str] = {}
#: (apiVersion, kind) -> converter(body, apiVersion) -> (new body, warning); the target class.
LEGACY: dict[tuple[str, str], tuple[Callable[[dict, str], tuple[dict, str]], type[APIObject]]] = {}


def register(cls: type[APIObject]) -> type[APIObject]:
    """Make ``cls`` loadable under its ``api_version`` and ``kind``."""
    KINDS[(cls.api_version, cls.kind)] = cls
    if cls.qualified_kind not in _BY_QUALIFIED:
        _BY_QUALIFIED[cls.qualified_kind] = cls
        for name in resource_names(cls):
            RESOURCES.setdefault(name, cls.qualified_kind)
    return cls


def group_of(cls: type[APIObject]) -> str:
    """The API group of a kind (``""`` for the core group).

    >>> group_of(lookup("discovery.k8s.io/v1", "EndpointSlice")), group_of(lookup("v1", "Pod"))
    ('discovery.k8s.io', '')
    """
    return cls.api_version.rpartition("/")[0]


def resource_names(cls: type[APIObject]) -> tuple[str, ...]:
    """The names ``kubectl get`` accepts for a kind: plural, singular (the kind in lower case), short names.

    A kind whose name another group uses too (Calico's ``NetworkPolicy``) is only reachable with its
    group: ``networkpolicies.projectcalico.org``.

    >>> resource_names(lookup("v1", "Service"))
    ('services', 'service', 'svc')
    >>> resource_names(lookup("projectcalico.org/v3", "NetworkPolicy"))
    ('networkpolicies.projectcalico.org', 'networkpolicy.projectcalico.org')
    """
    singular = cls.kind.lower()
    if cls.qualified_kind != cls.kind:
        group = group_of(cls)
        return (f"{cls.plural}.{group}", f"{singular}.{group}")
    return tuple(dict.fromkeys((cls.plural, singular, *cls.short_names)))


def cluster_scoped_kinds() -> frozenset[str]:
    """The kind names whose objects live outside namespaces (in every version kubelab knows).

    >>> sorted(cluster_scoped_kinds())[:3]
    ['GatewayClass', 'GlobalNetworkPolicy', 'IngressClass']
    """
    scoped = {kind for (_, kind), cls in KINDS.items() if cls.namespaced}
    return frozenset(kind for _, kind in KINDS if kind not in scoped)


def kind_class(qualified_kind: str) -> type[APIObject]:
    """The class of a qualified kind (``KeyError`` for one kubelab does not know)."""
    return _BY_QUALIFIED[qualified_kind]


def resource_name(qualified_kind: str) -> str:
    """The resource as the API server's errors name it: ``pods``, ``ingresses.networking.k8s.io``."""
    cls = _BY_QUALIFIED.get(qualified_kind)
    if cls is None:
        return qualified_kind.lower() + "s"
    group = group_of(cls)
    return f"{cls.plural}.{group}" if group else cls.plural


def resolve_kind(name: str) -> str:
    """``"svc"`` -> ``"Service"``; raises kubectl's error for an unknown resource type.

    >>> resolve_kind("Pods")
    'Pod'
    >>> resolve_kind("widgets")
    Traceback (most recent call last):
    ...
    kubelab.errors.KubelabError: the server doesn't have a resource type "widgets"
    """
    kind = RESOURCES.get(name.lower())
    if kind is None:
        raise KubelabError(f'the server doesn\'t have a resource type "{name}"')
    return kind


for _cls in (Namespace, Node, Pod, Service, Secret, Endpoints, EndpointSlice, Ingress, IngressClass, NetworkPolicy,
             ServiceCIDR, CalicoNetworkPolicy, GlobalNetworkPolicy, KubeProxyConfiguration, *GATEWAY_KINDS):
    register(_cls)
for _legacy in ("extensions/v1beta1", "networking.k8s.io/v1beta1"):
    LEGACY[(_legacy, "Ingress")] = (convert_legacy_ingress, Ingress)


def lookup(api_version: str, kind: str) -> type[APIObject] | None:
    return KINDS.get((api_version, kind))


def suggest(api_version: str, kind: str) -> str:
    """A hint for an unknown ``(apiVersion, kind)`` pair, or ``""``."""
    kinds = sorted({k for _, k in KINDS})
    versions_of = {k: sorted(v for v, kk in KINDS if kk == k) for k in kinds}
    if kind in versions_of:
        return f'did you mean apiVersion "{versions_of[kind][0]}"?' if len(versions_of[kind]) == 1 else \
            "known apiVersions for this kind: " + ", ".join(f'"{v}"' for v in versions_of[kind])
    lower = {k.lower(): k for k in kinds}
    if kind.lower() in lower:
        return f'did you mean kind "{lower[kind.lower()]}"? (kinds are case-sensitive)'
    close = difflib.get_close_matches(kind, kinds, n=1, cutoff=0.7)
    return f'did you mean kind "{close[0]}"?' if close else ""
