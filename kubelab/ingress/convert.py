"""Rewrite a retired Ingress manifest (``extensions/v1beta1``, ``networking.k8s.io/v1beta1``) as v1.

Both v1beta1 Ingress APIs were deprecated (``extensions/v1beta1`` in 1.14,
``networking.k8s.io/v1beta1`` in 1.19, when v1 went GA) and are no longer served from
Kubernetes 1.22: ``kubectl apply`` of the chapter's YAML fails there with ``no matches
for kind "Ingress" in version "extensions/v1beta1"``.  The rewrite is
:func:`kubelab.api.ingress.convert_legacy_ingress` (``serviceName``/``servicePort`` ->
``service.name``/``service.port.number|name``, ``spec.backend`` -> ``spec.defaultBackend``,
a missing ``pathType`` -> ``ImplementationSpecific``, the v1beta1 default); this module
applies it to YAML text, document by document, leaves other documents alone, and names
a placeholder for a missing ``metadata.name`` (the chapter's snippets have none, and
v1 requires one).

Examples
--------
>>> text, notes = convert_yaml('''
... apiVersion: extensions/v1beta1
... kind: Ingress
... spec:
...   backend:
...     serviceName: service-1
...     servicePort: 80
... ''')
>>> print(text, end="")
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ingress-1
spec:
  defaultBackend:
    service:
      name: service-1
      port:
        number: 80
>>> notes[0]
'extensions/v1beta1 Ingress is deprecated in v1.14+, unavailable in v1.22+; use networking.k8s.io/v1 Ingress'
"""

from __future__ import annotations

from typing import Any

from ..api.ingress import LEGACY_INGRESS_WARNINGS, convert_legacy_ingress
from ..errors import KubelabError

__all__ = ["convert_yaml", "convert_document", "REMOVED_IN"]

#: The release from which neither v1beta1 Ingress API is served.
REMOVED_IN = "1.22"


def convert_document(doc: Any, index: int = 1) -> tuple[Any, list[str]]:
    """One decoded document: a legacy Ingress becomes v1 (plus notes); anything else is returned as is."""
    if not isinstance(doc, dict) or doc.get("kind") != "Ingress" or doc.get("apiVersion") not in LEGACY_INGRESS_WARNINGS:
        return doc, []
    version = doc["apiVersion"]
    body = {k: v for k, v in doc.items() if k not in ("apiVersion", "kind")}
    new, warning = convert_legacy_ingress(body, version)
    notes = [warning]
    meta = new.get("metadata") if isinstance(new.get("metadata"), dict) else {}
    if not meta.get("name"):
        meta = {"name": f"ingress-{index}", **meta}
        notes.append(f"document {index}: metadata.name was missing; named it ingress-{index}")
    out = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta}
    out.update({k: v for k, v in new.items() if k != "metadata"})
    return out, notes


def convert_yaml(text: str) -> tuple[str, list[str]]:
    """Legacy Ingress YAML (one or more documents) -> ``(v1 YAML, notes)``; other kinds pass through."""
    import yaml
    from ..api.yamltojson import dump_all

    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise KubelabError(f"not YAML: {exc}") from None
    out, notes = [], []
    for i, doc in enumerate(docs, 1):
        new, n = convert_document(doc, i)
        out.append(new)
        notes.extend(n)
    return dump_all(out, sort_keys=False), notes
