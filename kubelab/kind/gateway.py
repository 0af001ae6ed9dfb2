"""Gateway API objects on a kind cluster: sent only when the cluster has the CRDs, and said so when not.

A kind cluster has no Gateway API: its CRDs (``gatewayclasses``, ``gateways``,
``httproutes``, ``referencegrants`` of ``gateway.networking.k8s.io``) come from the
project's release bundle (v1.4.0 ``standard-install.yaml``), and a controller from an
implementation.  So :func:`apply_gateway` asks the API server which CRDs exist
(``ApiextensionsV1Api.list_custom_resource_definition``) and creates the model's Gateway
API objects through ``CustomObjectsApi`` only for the kinds whose CRD serves the version
the object uses; for the others it returns one line saying what was left out and why.
:func:`compare_gateway` reads the live objects back: an object of the model missing from
the cluster is a difference, and so is a route whose ``Accepted``/``ResolvedRefs`` reason
as written by the live controller differs from the model's (a route without live status
-- no controller -- is reported once as such).

The objects carry the same labels as every object :mod:`kubelab.kind.client` creates, and
:func:`delete_gateway` deletes only those with both labels.

Examples
--------
>>> crd_names({"HTTPRoute", "Gateway"})
['gateways.gateway.networking.k8s.io', 'httproutes.gateway.networking.k8s.io']
"""

from __future__ import annotations

import copy
from typing import Any, Iterable

from ..api.gateway import GROUP
from .client import MANAGED_BY, MANAGED_BY_LABEL, RUN_ID_LABEL

__all__ = ["GATEWAY_KINDS", "crd_names", "served_versions", "gateway_objects", "plan", "apply_gateway",
           "delete_gateway", "compare_gateway"]

#: kind -> (plural, namespaced), in creation order (a class before its Gateways, a Gateway before its routes).
GATEWAY_KINDS: dict[str, tuple[str, bool]] = {
    "GatewayClass": ("gatewayclasses", False), "Gateway": ("gateways", True),
    "ReferenceGrant": ("referencegrants", True), "HTTPRoute": ("httproutes", True),
}


def crd_names(kinds: Iterable[str]) -> list[str]:
    """The CRD names (``<plural>.<group>``) of Gateway API kinds."""
    return sorted(f"{GATEWAY_KINDS[k][0]}.{GROUP}" for k in kinds)


def served_versions(ctx: Any) -> dict[str, set[str]]:
    """Gateway API kind -> the versions the live cluster's CRDs serve (absent: no CRD)."""
    out: dict[str, set[str]] = {}
    for crd in ctx.apiextensions.list_custom_resource_definition().items:
        spec = crd.spec
        if spec.group != GROUP or spec.names.kind not in GATEWAY_KINDS:
            continue
        out[spec.names.kind] = {v.name for v in spec.versions if v.served}
    return out


def gateway_objects(cluster: Any) -> list[Any]:
    """The model's Gateway API objects, in creation order."""
    order = list(GATEWAY_KINDS)
    return sorted((o for kind in order for o in cluster.list(kind)), key=lambda o: order.index(o.kind))


def plan(objs: list[Any], served: dict[str, set[str]]) -> tuple[list[Any], list[str]]:
    """``(objects to create, notes)``: an object is sent when its CRD serves its version."""
    send, notes = [], []
    skipped: dict[str, int] = {}
    for o in objs:
        version = o.api_version.split("/")[1]
        if version in served.get(o.kind, set()):
            send.append(o)
        else:
            skipped[o.kind] = skipped.get(o.kind, 0) + 1
    if skipped:
        missing = [k for k in skipped if k not in served]
        what = ", ".join(f"{n} {k}" for k, n in skipped.items())
        if missing:
            notes.append(f"the cluster has no Gateway API CRDs for {', '.join(missing)} "
                         f"({', '.join(crd_names(missing))}): {what} not applied; install Gateway API v1.4.0 "
                         "(standard-install.yaml of the gateway-api release) and a Gateway controller first")
        else:
            notes.append(f"the cluster's Gateway API CRDs do not serve the versions used: {what} not applied")
    return send, notes


def _body(obj: Any, run_id: str) -> dict[str, Any]:
    body = copy.deepcopy(obj.to_dict())
    meta = body.setdefault("metadata", {})
    meta["labels"] = {**meta.get("labels", {}), MANAGED_BY_LABEL: MANAGED_BY, RUN_ID_LABEL: run_id}
    body.pop("status", None)
    return body


def apply_gateway(cluster: Any, ctx: Any) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Create the model's Gateway API objects the cluster can hold: ``(created, notes)``."""
    objs = gateway_objects(cluster)
    if not objs or ctx.apiextensions is None:
        return [], []
    send, notes = plan(objs, served_versions(ctx))
    created = []
    for o in send:
        plural, namespaced = GATEWAY_KINDS[o.kind]
        version = o.api_version.split("/")[1]
        if namespaced:
            ctx.custom.create_namespaced_custom_object(GROUP, version, o.namespace, plural, _body(o, ctx.run_id))
        else:
            ctx.custom.create_cluster_custom_object(GROUP, version, plural, _body(o, ctx.run_id))
        created.append((o.kind, o.namespace, o.name))
    return created, notes


def _list(ctx: Any, kind: str, selector: str | None = None) -> list[dict[str, Any]]:
    plural, _ = GATEWAY_KINDS[kind]
    version = "v1beta1" if kind == "ReferenceGrant" else "v1"
    kwargs = {"label_selector": selector} if selector else {}
    return list(ctx.custom.list_cluster_custom_object(GROUP, version, plural, **kwargs).get("items", []))


def delete_gateway(ctx: Any, run_id: str) -> list[tuple[str, str, str]]:
    """Delete the Gateway API objects of one run (both labels checked on each), routes first."""
    if ctx.apiextensions is None:
        return []
    served = served_versions(ctx)
    selector = f"{MANAGED_BY_LABEL}={MANAGED_BY},{RUN_ID_LABEL}={run_id}"
    deleted = []
    for kind in reversed(GATEWAY_KINDS):
        if kind not in served:
            continue
        plural, namespaced = GATEWAY_KINDS[kind]
        version = "v1beta1" if kind == "ReferenceGrant" else "v1"
        for item in _list(ctx, kind, selector):
            meta = item.get("metadata", {})
            labels = meta.get("labels") or {}
            if labels.get(MANAGED_BY_LABEL) != MANAGED_BY or labels.get(RUN_ID_LABEL) != run_id:
                continue
            if namespaced:
                ctx.custom.delete_namespaced_custom_object(GROUP, version, meta.get("namespace"), plural, meta["name"])
            else:
                ctx.custom.delete_cluster_custom_object(GROUP, version, plural, meta["name"])
            deleted.append((kind, meta.get("namespace", "") if namespaced else "", meta["name"]))
    return deleted


def _reasons(status: dict[str, Any]) -> dict[str, tuple[str, str]]:
    out = {}
    for parent in status.get("parents") or []:
        for c in parent.get("conditions") or []:
            if c.get("type") in ("Accepted", "ResolvedRefs"):
                out[c["type"]] = (c.get("status"), c.get("reason"))
    return out


def compare_gateway(model: Any, ctx: Any) -> list[str]:
    """Differences between the model's Gateway API objects and the cluster's, one line each."""
    from ..gateway.status import state_of

    objs = gateway_objects(model)
    if not objs or ctx.apiextensions is None:
        return []
    served = served_versions(ctx)
    _, notes = plan(objs, served)
    lines = list(notes)
    state = state_of(model)
    no_status = []
    for kind in GATEWAY_KINDS:
        if kind not in served:
            continue
        live = {(i.get("metadata", {}).get("namespace", "") if GATEWAY_KINDS[kind][1] else "",
                 i.get("metadata", {}).get("name")): i for i in _list(ctx, kind)}
        for o in (x for x in objs if x.kind == kind):
            item = live.get((o.namespace, o.name))
            if item is None:
                lines.append(f"{o.ref}: in the model, not in the cluster")
                continue
            if kind != "HTTPRoute":
                continue
            live_reasons = _reasons(item.get("status") or {})
            if not live_reasons:
                no_status.append(o.ref)
                continue
            mine = _reasons(state.status(o))
            for t in ("Accepted", "ResolvedRefs"):
                if t in mine and live_reasons.get(t) != mine[t]:
                    lines.append(f"{o.ref}: {t} is {'/'.join(map(str, live_reasons.get(t, ('-', '-'))))} in the "
                                 f"cluster, {'/'.join(mine[t])} in the model")
    if no_status:
        lines.append(f"{len(no_status)} HTTPRoute(s) have no status in the cluster (no Gateway controller wrote "
                     f"one): {', '.join(no_status)}")
    return lines
