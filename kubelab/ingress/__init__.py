"""kubelab.ingress: HTTP routing by Ingress rules, as an ingress-nginx-like controller does it.

- :mod:`~kubelab.ingress.matching`: host and path rules (Exact, Prefix, ImplementationSpecific,
  ``*.`` wildcards, longest match, default backends, 404), per the Ingress spec and the
  ingress-controller-conformance features.
- :mod:`~kubelab.ingress.classes`: IngressClass, the default class, which controller serves what.
- :mod:`~kubelab.ingress.tls`: certificates from ``kubernetes.io/tls`` Secrets, SNI, RFC 6125 names,
  the controller's fake certificate.
- :mod:`~kubelab.ingress.controller`: the controller's install, its decision (:func:`route`), canary
  weights, round robin over endpoints, and a request traced end to end through kube-proxy.
- :mod:`~kubelab.ingress.convert`: the chapter's retired ``extensions/v1beta1`` YAML rewritten as v1.
"""

from .classes import NGINX_CLASS, NGINX_CONTROLLER, served_by, served_ingresses
from .controller import (CONTROLLER_NAMESPACE, CONTROLLER_SERVICE, Backend, IngressController, IngressTrace,
                         RouteDecision, controller_manifests, install, route)
from .convert import convert_yaml
from .matching import Match, PathRule, RouteTable, host_matches, normalize_host, normalize_path, path_matches
from .tls import FAKE_CERTIFICATE, CertificateInfo, TLSDecision, name_matches, parse_certificate

__all__ = [
    "route", "install", "controller_manifests", "IngressController", "RouteDecision", "Backend", "IngressTrace",
    "CONTROLLER_NAMESPACE", "CONTROLLER_SERVICE", "NGINX_CLASS", "NGINX_CONTROLLER", "served_by", "served_ingresses",
    "RouteTable", "Match", "PathRule", "path_matches", "host_matches", "normalize_host", "normalize_path",
    "CertificateInfo", "TLSDecision", "FAKE_CERTIFICATE", "name_matches", "parse_certificate", "convert_yaml",
]
