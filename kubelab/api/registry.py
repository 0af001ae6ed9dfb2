"""The kinds kubelab understands: ``(apiVersion, kind)`` -> model class.

Like the API server's REST mapper (``k8s.io/apimachinery/pkg/api/meta``
``RESTMapper``): a manifest's ``apiVersion`` and ``kind`` choose the type; an
unknown pair is ``no matches for kind "X" in version "Y"``, with a hint when a
near miss is known.  Retired versions that the course still reads (the
v1beta1 Ingress APIs) are converted to their successor with the warning the
API server used to send.

Examples
--------
>>> lookup("v1", "Service").__name__
'Service'
>>> suggest("v1", "Servce")
'did you mean kind "Service"?'
"""

from __future__ import annotations

import difflib
from typing import Callable

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

__all__ = ["KINDS", "LEGACY", "lookup", "suggest", "register"]

KINDS: dict[tuple[str, str], type[APIObject]] = {}
#: (apiVersion, kind) -> converter(body, apiVersion) -> (new body, warning); the target class.
LEGACY: dict[tuple[str, str], tuple[Callable[[dict, str], tuple[dict, str]], type[APIObject]]] = {}


def register(cls: type[APIObject]) -> type[APIObject]:
    """Make ``cls`` loadable under its ``api_version`` and ``kind``."""
    KINDS[(cls.api_version, cls.kind)] = cls
    return cls


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
