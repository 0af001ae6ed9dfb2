"""The controller's view: which listeners are valid, which routes attach where, and the status it writes.

The model is the cluster's one Gateway API implementation.  It serves every GatewayClass
in the manifests whatever its ``spec.controllerName`` (recorded and shown, not matched).
A Gateway whose GatewayClass does not exist belongs to no controller: its status stays
what the CRD defaults it to (``Accepted``/``Programmed`` ``Unknown``, reason ``Pending``,
"Waiting for controller"), it is not programmed and routes nothing; routes attached to it
get no parent status from the model.

Upstream (Gateway API v1.4.0): the condition types and reasons of
``apis/v1/gatewayclass_types.go`` (``Accepted``, ``SupportedVersion``),
``apis/v1/gateway_types.go`` (Gateway ``Accepted``/``Programmed``; listener ``Accepted``,
``ResolvedRefs``, ``Programmed``, ``Conflicted`` with ``UnsupportedProtocol``,
``InvalidRouteKinds``, ``InvalidCertificateRef``, ``RefNotPermitted``,
``ProtocolConflict``), ``apis/v1/shared_types.go`` (route ``Accepted`` with
``NotAllowedByListeners``, ``NoMatchingListenerHostname``, ``NoMatchingParent``;
``ResolvedRefs`` with ``RefNotPermitted``, ``InvalidKind``,
``BackendNotFound``), ``AllowedRoutes`` (namespaces ``Same``/``All``/``Selector``, kinds)
and ``apis/v1beta1/referencegrant_types.go``.  Conformance:
``conformance/tests/gateway-invalid-route-kind.yaml``, ``gateway-with-attached-routes.yaml``,
``httproute-invalid-cross-namespace-parent-ref.yaml``,
``httproute-invalid-cross-namespace-backend-ref.yaml``,
``httproute-invalid-backendref-nonexistent.yaml``,
``httproute-invalid-parentref-not-matching-section-name.yaml``,
``httproute-invalid-parentref-not-matching-listener-port.yaml``,
``httproute-reference-grant.yaml``.

Simplifications: the model has no clock, so conditions carry no ``lastTransitionTime``
nor ``observedGeneration``; it supports the HTTP and HTTPS listener protocols and the
HTTPRoute kind (TLS, TCP, UDP listeners are ``UnsupportedProtocol``); a Gateway's
``status.addresses`` are its ``spec.addresses`` of type ``IPAddress`` (the model
provisions no load balancer); ``PartiallyInvalid`` is not written, nor ``UnsupportedValue``
(the CRD's CEL rules already refuse what would earn it, e.g. ``ReplacePrefixMatch``
without exactly one PathPrefix match).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

from ..api.gateway import GROUP
from ..util.views import view
from .matching import effective_hostnames

__all__ = ["GatewayAPIState", "ListenerState", "GatewayState", "ParentState", "state_of", "condition",
           "SUPPORTED_PROTOCOLS", "ROUTE_KIND"]

SUPPORTED_PROTOCOLS = ("HTTP", "HTTPS")
ROUTE_KIND = {"group": GROUP, "kind": "HTTPRoute"}
_PENDING_GATEWAY = [
    {"type": "Accepted", "status": "Unknown", "reason": "Pending", "message": "Waiting for controller"},
    {"type": "Programmed", "status": "Unknown", "reason": "Pending", "message": "Waiting for controller"},
]


def condition(type_: str, ok: bool, reason: str, message: str = "") -> dict[str, str]:
    """A ``metav1.Condition`` as the model writes it (no timestamps: the model has no clock)."""
    return {"type": type_, "status": "True" if ok else "False", "reason": reason, "message": message}


@dataclass
class ListenerState:
    """One listener of a Gateway and what the controller decided about it."""

    spec: dict[str, Any]
    conditions: list[dict[str, str]] = field(default_factory=list)
    supported_kinds: list[dict[str, str]] = field(default_factory=list)
    attached_routes: int = 0

    @property
    def name(self) -> str:
        return self.spec["name"]

    @property
    def port(self) -> int:
        return self.spec["port"]

    @property
    def protocol(self) -> str:
        return self.spec["protocol"]

    @property
    def hostname(self) -> str | None:
        return self.spec.get("hostname") or None

    @property
    def programmed(self) -> bool:
        return any(c["type"] == "Programmed" and c["status"] == "True" for c in self.conditions)


@dataclass
class GatewayState:
    gateway: Any
    gateway_class: Any | None
    listeners: list[ListenerState]
    conditions: list[dict[str, str]]

    @property
    def programmed(self) -> bool:
        return any(c["type"] == "Programmed" and c["status"] == "True" for c in self.conditions)

    @property
    def controller_name(self) -> str:
        return (self.gateway_class.spec.get("controllerName") if self.gateway_class is not None else "") or ""


@dataclass
class ParentState:
    """A route's relation to one parentRef: the listeners it attached to, and the conditions."""

    ref: dict[str, Any]
    gateway: GatewayState | None
    listeners: list[tuple[ListenerState, list[str | None]]]  # (listener, effective hostnames)
    conditions: list[dict[str, str]]

    @property
    def accepted(self) -> bool:
        return bool(self.listeners)


def _ref_key(ref: dict[str, Any], default_ns: str) -> tuple[str, str]:
    return (ref.get("namespace") or default_ns, ref["name"])


class GatewayAPIState:
    """Everything the controller computes from a cluster's Gateway API objects.

    Parameters
    ----------
    cluster
        A :class:`kubelab.cluster.Cluster`.
    """

    @property
    def cluster(self) -> Any:
        """The cluster this state was computed from."""
        return self._cluster()

    def __init__(self, cluster: Any):
        try:
            self._cluster: Any = weakref.ref(cluster)  # the state is cached beside the cluster: no cycle
        except TypeError:  # pragma: no cover - a stand-in that cannot be weakly referenced
            self._cluster = lambda: cluster
        self.classes = {c.name: c for c in cluster.list("GatewayClass")}
        self.grants = cluster.list("ReferenceGrant")
        self.namespaces = {n.name: n for n in cluster.list("Namespace")}
        self.services = {(s.namespace, s.name): s for s in cluster.services()}
        self.secrets = {(s.namespace, s.name): s for s in cluster.list("Secret")}
        self.gateways: dict[tuple[str, str], GatewayState] = {}
        for gw in cluster.list("Gateway"):
            self.gateways[(gw.namespace, gw.name)] = self._gateway_state(gw)
        # "The oldest Route based on creation timestamp": metadata.creationTimestamp when a manifest
        # gives one (RFC 3339 in UTC sorts as text), else the order the model created them in, after those.
        applied = list(enumerate(cluster.list("HTTPRoute")))
        self.routes = [r for _, r in sorted(applied, key=lambda ir: (
            str(ir[1].metadata.extra.get("creationTimestamp") or "~"), ir[0]))]
        self.order = {(r.namespace, r.name): i for i, r in enumerate(self.routes)}
        self.parents: dict[tuple[str, str], list[ParentState]] = {}
        for route in self.routes:
            self.parents[(route.namespace, route.name)] = self._route_parents(route)

    # ------------------------------------------------------------ references
    def grant_allows(self, from_kind: str, from_ns: str, to_group: str, to_kind: str, to_ns: str, to_name: str) -> bool:
        """Whether a ReferenceGrant in ``to_ns`` lets ``from_kind`` objects of ``from_ns`` refer to the target."""
        for g in self.grants:
            if g.namespace != to_ns:
                continue
            froms = g.spec.get("from", ())
            tos = g.spec.get("to", ())
            if not any(f.get("group") == GROUP and f.get("kind") == from_kind and f.get("namespace") == from_ns
                       for f in froms):
                continue
            if any((t.get("group") or "") == to_group and t.get("kind") == to_kind
                   and (not t.get("name") or t.get("name") == to_name) for t in tos):
                return True
        return False

    def backend_problem(self, route: Any, ref: dict[str, Any]) -> tuple[str, str] | None:
        """``(reason, message)`` why a backendRef cannot be resolved, or ``None`` when it can."""
        group, kind = ref.get("group") or "", ref.get("kind") or "Service"
        ns = ref.get("namespace") or route.namespace
        name = ref["name"]
        if group != "" or kind != "Service":
            return "InvalidKind", f"backendRef {name}: kind {kind} of group {group or 'core'} is not supported"
        if ns != route.namespace and not self.grant_allows("HTTPRoute", route.namespace, "", "Service", ns, name):
            return "RefNotPermitted", (f"backendRef {ns}/{name}: no ReferenceGrant in namespace {ns} lets HTTPRoutes "
                                       f"of namespace {route.namespace} refer to it")
        svc = self.services.get((ns, name))
        if svc is None:
            return "BackendNotFound", f"backendRef {ns}/{name}: Service not found"
        if not any(p.port == ref.get("port") for p in svc.spec.ports):
            return "BackendNotFound", f"backendRef {ns}/{name}: the Service has no port {ref.get('port')}"
        return None

    # ------------------------------------------------------------ gateways
    def _listener_state(self, gw: Any, spec: dict[str, Any], conflicts: dict[int, set[str]]) -> ListenerState:
        ls = ListenerState(spec)
        protocol = spec["protocol"]
        if protocol not in SUPPORTED_PROTOCOLS:
            ls.conditions = [condition("Accepted", False, "UnsupportedProtocol",
                                       f"protocol {protocol} is not supported (the model serves HTTP and HTTPS)"),
                             condition("Programmed", False, "Invalid", "the listener is not accepted")]
            return ls
        kinds = (spec.get("allowedRoutes") or {}).get("kinds")
        resolved = condition("ResolvedRefs", True, "ResolvedRefs")
        if kinds:
            ok = [k for k in kinds if (k.get("group") or GROUP) == GROUP and k.get("kind") == "HTTPRoute"]
            ls.supported_kinds = [dict(ROUTE_KIND)] if ok else []
            if len(ok) != len(kinds):
                bad = ", ".join(k.get("kind", "") for k in kinds if k not in ok)
                resolved = condition("ResolvedRefs", False, "InvalidRouteKinds", f"unsupported route kinds: {bad}")
        else:
            ls.supported_kinds = [dict(ROUTE_KIND)]
        if protocol == "HTTPS" and resolved["status"] == "True":
            problem = self._certificate_problem(gw, spec.get("tls") or {})
            if problem:
                resolved = condition("ResolvedRefs", False, *problem)
        conflicted = len(conflicts.get(spec["port"], ())) > 1
        ok = resolved["status"] == "True" and not conflicted
        ls.conditions = [
            condition("Accepted", True, "Accepted"),
            condition("Conflicted", conflicted, "ProtocolConflict" if conflicted else "NoConflicts",
                      f"port {spec['port']} is used with protocols {sorted(conflicts[spec['port']])}"
                      if conflicted else ""),
            resolved,
            condition("Programmed", ok, "Programmed" if ok else "Invalid"),
        ]
        return ls

    def _certificate_problem(self, gw: Any, tls: dict[str, Any]) -> tuple[str, str] | None:
        refs = tls.get("certificateRefs") or []
        if not refs:
            return "InvalidCertificateRef", "an HTTPS listener needs tls.certificateRefs"
        for ref in refs:
            ns = ref.get("namespace") or gw.namespace
            group, kind = ref.get("group") or "", ref.get("kind") or "Secret"
            if group != "" or kind != "Secret":
                return "InvalidCertificateRef", f"certificateRef {ref['name']}: kind {kind} is not supported"
            if ns != gw.namespace and not self._gateway_grant(gw.namespace, ns, ref["name"]):
                return "RefNotPermitted", (f"certificateRef {ns}/{ref['name']}: no ReferenceGrant in namespace {ns} "
                                           f"lets Gateways of namespace {gw.namespace} refer to it")
            secret = self.secrets.get((ns, ref["name"]))
            if secret is None or secret.type != "kubernetes.io/tls":
                return "InvalidCertificateRef", f"certificateRef {ns}/{ref['name']}: no kubernetes.io/tls Secret"
        return None

    def _gateway_grant(self, from_ns: str, to_ns: str, name: str) -> bool:
        return self.grant_allows("Gateway", from_ns, "", "Secret", to_ns, name)

    def _gateway_state(self, gw: Any) -> GatewayState:
        gc = self.classes.get(gw.spec.get("gatewayClassName"))
        if gc is None:
            return GatewayState(gw, None, [], [dict(c) for c in _PENDING_GATEWAY])
        families: dict[int, set[str]] = {}
        for spec in gw.spec.get("listeners", ()):
            if spec["protocol"] in SUPPORTED_PROTOCOLS:
                families.setdefault(spec["port"], set()).add(spec["protocol"])
        listeners = [self._listener_state(gw, spec, families) for spec in gw.spec.get("listeners", ())]
        valid = [ls for ls in listeners if ls.programmed]
        if len(valid) == len(listeners):
            accepted = condition("Accepted", True, "Accepted")
        elif valid:
            accepted = condition("Accepted", True, "ListenersNotValid", "some listeners are not valid")
        else:
            accepted = condition("Accepted", False, "ListenersNotValid", "no listener is valid")
        programmed = condition("Programmed", bool(valid), "Programmed" if valid else "Invalid")
        return GatewayState(gw, gc, listeners, [accepted, programmed])

    # ------------------------------------------------------------ routes
    def _namespace_allowed(self, listener: ListenerState, gw: Any, route_ns: str) -> bool:
        ns_rule = ((listener.spec.get("allowedRoutes") or {}).get("namespaces") or {"from": "Same"})
        frm = ns_rule.get("from", "Same")
        if frm == "All":
            return True
        if frm == "Same":
            return route_ns == gw.namespace
        from ..api.meta import LabelSelector

        sel = ns_rule.get("selector")
        ns = self.namespaces.get(route_ns)
        if sel is None or ns is None:
            return False
        return LabelSelector.from_dict(sel).matches(ns.metadata.labels)

    def _route_parents(self, route: Any) -> list[ParentState]:
        out = []
        for ref in route.spec.get("parentRefs", ()):
            if (ref.get("group") or GROUP) != GROUP or (ref.get("kind") or "Gateway") != "Gateway":
                continue  # another kind of parent: not the model's business
            gws = self.gateways.get(_ref_key(ref, route.namespace))
            if gws is None or gws.gateway_class is None:
                out.append(ParentState(ref, gws, [], []))  # nobody writes this parent's status
                continue
            out.append(self._attach(route, ref, gws))
        return out

    def _attach(self, route: Any, ref: dict[str, Any], gws: GatewayState) -> ParentState:
        gw = gws.gateway
        candidates = [ls for ls in gws.listeners if ls.programmed]
        if ref.get("sectionName"):
            candidates = [ls for ls in candidates if ls.name == ref["sectionName"]]
        if ref.get("port"):
            candidates = [ls for ls in candidates if ls.port == ref["port"]]
        if not candidates:
            what = " and ".join(x for x in (f"sectionName {ref['sectionName']}" if ref.get("sectionName") else "",
                                            f"port {ref['port']}" if ref.get("port") else "") if x)
            msg = f"Gateway {gw.namespace}/{gw.name} has no valid listener" + (f" with {what}" if what else "")
            return ParentState(ref, gws, [], [condition("Accepted", False, "NoMatchingParent", msg),
                                              self._resolved(route)])
        allowed = [ls for ls in candidates if self._namespace_allowed(ls, gw, route.namespace)
                   and ls.supported_kinds]
        if not allowed:
            return ParentState(ref, gws, [], [condition(
                "Accepted", False, "NotAllowedByListeners",
                f"no listener of Gateway {gw.namespace}/{gw.name} allows HTTPRoutes from namespace "
                f"{route.namespace}"), self._resolved(route)])
        attached = []
        for ls in allowed:
            hosts = effective_hostnames(ls.hostname, route.spec.get("hostnames", []))
            if hosts:
                attached.append((ls, hosts))
        if not attached:
            return ParentState(ref, gws, [], [condition(
                "Accepted", False, "NoMatchingListenerHostname",
                "no hostname of the route intersects a listener's hostname"), self._resolved(route)])
        for ls, _ in attached:
            ls.attached_routes += 1
        return ParentState(ref, gws, attached, [condition("Accepted", True, "Accepted"), self._resolved(route)])

    def _resolved(self, route: Any) -> dict[str, str]:
        for rule in route.spec.get("rules", ()):
            refs = list(rule.get("backendRefs", ()))
            for f in [*rule.get("filters", ()), *(f for b in refs for f in b.get("filters", ()))]:
                if f.get("type") == "RequestMirror":
                    refs.append(f["requestMirror"]["backendRef"])
            for ref in refs:
                problem = self.backend_problem(route, ref)
                if problem:
                    return condition("ResolvedRefs", False, *problem)
        return condition("ResolvedRefs", True, "ResolvedRefs")

    # ------------------------------------------------------------ status documents
    def status(self, obj: Any) -> dict[str, Any]:
        """The ``status`` the controller writes for a GatewayClass, Gateway or HTTPRoute."""
        if obj.kind == "GatewayClass":
            return {"conditions": [condition("Accepted", True, "Accepted",
                                             f"served by the kubelab model (controllerName "
                                             f"{obj.spec.get('controllerName')})"),
                                   condition("SupportedVersion", True, "SupportedVersion",
                                             "Gateway API v1.4.0 standard channel")]}
        if obj.kind == "Gateway":
            gws = self.gateways[(obj.namespace, obj.name)]
            doc: dict[str, Any] = {"conditions": gws.conditions}
            addresses = [a for a in obj.spec.get("addresses", ()) if a.get("type", "IPAddress") == "IPAddress"]
            if addresses and gws.gateway_class is not None:
                doc["addresses"] = addresses
            if gws.gateway_class is not None:
                doc["listeners"] = [{"name": ls.name, "supportedKinds": ls.supported_kinds,
                                     "attachedRoutes": ls.attached_routes, "conditions": ls.conditions}
                                    for ls in gws.listeners]
            return doc
        if obj.kind == "HTTPRoute":
            parents = []
            for p in self.parents[(obj.namespace, obj.name)]:
                if not p.conditions:
                    continue
                parent_ref = {k: v for k, v in p.ref.items() if k in ("group", "kind", "namespace", "name",
                                                                       "sectionName", "port")}
                parents.append({"parentRef": parent_ref, "controllerName": p.gateway.controller_name,
                                "conditions": p.conditions})
            return {"parents": parents}
        return {}


def state_of(cluster: Any) -> GatewayAPIState:
    """The controller's state for ``cluster``, computed once per revision of the cluster
    (:func:`kubelab.util.views.view`)."""
    return view(cluster, "gateway.status", GatewayAPIState)
