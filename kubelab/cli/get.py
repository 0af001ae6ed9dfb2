"""``kubelab get TYPE[,TYPE...] [NAME...] -f ...``: kubectl's tables, from the model cluster.

Upstream: ``kubectl get`` and the API server's table printers,
``pkg/printers/internalversion/printers.go`` (``printPod``, ``printService``
with ``makePortString`` and ``getServiceExternalIP``, ``formatEndpoints``,
``printEndpointSlice`` with ``formatDiscoveryPorts``/``formatDiscoveryEndpoints``,
``printNode`` with ``findNodeRoles``, ``printIngress``, ``printNetworkPolicy``,
``printNamespace``, ``printIngressClass``, ``printServiceCIDR``): the same
columns, the same ``<none>``/``<pending>``/``<unset>`` placeholders, the same
``+ N more...`` truncation after three entries; aligned as kubectl's tabwriter
aligns (:mod:`kubelab.cli.output`).  ``-n NS`` (default ``default``), ``-A``
(a NAMESPACE column first), ``-o wide|json|yaml|name``; ``No resources found in
default namespace.`` on stderr with status 0 when nothing matches; a missing
named object is ``Error from server (NotFound): pods "x" not found`` on
stderr and status 1.  Objects are listed in name order, as the API server
returns them.

Simplifications: the model has no clock, so AGE is ``<unknown>`` -- what
kubectl prints for an object without ``metadata.creationTimestamp``.  A pod
without ``status.containerStatuses`` shows every container ready when the pod
is ready (the model's pods run what they declare) and 0 restarts.  A node
without conditions is ``Ready`` (kind's nodes are); VERSION, OS-IMAGE and the
like come from ``status.nodeInfo`` when a manifest gives it (VERSION is blank
without it, the OS columns ``<unknown>``, as kubectl shows them).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any, Callable

from ..api.gateway import GATEWAY_KINDS, crd_of
from ..errors import NotFoundError
from .common import (NOT_FOUND_PREFIX, UsageError, add_filename_option, add_namespace_options, add_output_option,
                     command, load_cluster, stderr_line)
from .output import format_table, list_document, print_document, write

__all__ = ["PRINTERS", "Printer", "printer", "rows_for", "AGE"]

#: What kubectl prints in AGE without ``metadata.creationTimestamp``; the model has no clock.
AGE = "<unknown>"
NONE = "<none>"
MAX_LISTED = 3  # kubectl lists three endpoints/ports/hosts, then "+ N more..."
LOAD_BALANCER_WIDTH = 16


@dataclass
class Printer:
    """The columns of one kind (``wide`` ones are appended with ``-o wide``) and its row function."""

    columns: list[str]
    row: Callable[[Any, Any, bool], list[str]]
    wide: list[str] = field(default_factory=list)


#: qualified kind -> Printer.  Kinds without one get kubectl's ``NAME AGE``.
PRINTERS: dict[str, Printer] = {}


def printer(kind: str, columns: list[str], wide: list[str] = ()) -> Callable:
    """Register ``row(obj, cluster, wide) -> cells`` (NAME first, AGE in place) as ``kind``'s printer."""
    def decorate(fn: Callable[[Any, Any, bool], list[str]]) -> Callable:
        PRINTERS[kind] = Printer(list(columns), fn, list(wide))
        return fn
    return decorate


def _generic_row(obj: Any, cluster: Any, wide: bool) -> list[str]:
    return [obj.name, AGE]


GENERIC = Printer(["NAME", "AGE"], _generic_row)


def _more(items: list[str], count: int, empty: str) -> str:
    text = ",".join(items)
    if count > len(items):
        return f"{text} + {count - len(items)} more..."
    return text or empty


def format_selector(sel: Any) -> str:
    """``metav1.FormatLabelSelector``: requirements sorted by key, ``<none>`` when empty."""
    if sel is None:
        return NONE
    reqs = [(k, f"{k}={v}") for k, v in sel.match_labels.items()]
    for r in sel.match_expressions:
        values = ",".join(sorted(r.values))
        text = {"In": f"{r.key} in ({values})", "NotIn": f"{r.key} notin ({values})",
                "Exists": f"{r.key}", "DoesNotExist": f"!{r.key}"}.get(r.operator, "<error>")
        reqs.append((r.key or "", text))
    return ",".join(t for _, t in sorted(reqs, key=lambda kv: kv[0])) or NONE


def format_labels(labels: dict[str, str]) -> str:
    """``labels.FormatLabels``: ``k=v`` sorted by key, ``<none>`` when empty."""
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or NONE


# ---------------------------------------------------------------- printers
@printer("Pod", ["NAME", "READY", "STATUS", "RESTARTS", "AGE"], ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"])
def pod_row(pod: Any, cluster: Any, wide: bool) -> list[str]:
    total = len(pod.spec.containers)
    statuses = pod.status.extra.get("containerStatuses")
    if isinstance(statuses, list) and statuses:
        ready = sum(1 for s in statuses if isinstance(s, dict) and s.get("ready"))
        restarts = sum(int(s.get("restartCount") or 0) for s in statuses if isinstance(s, dict))
    else:
        ready, restarts = (total if cluster.is_ready(pod) else 0), 0
    status = pod.status.extra.get("reason") or pod.status.phase or "Pending"
    if pod.metadata.extra.get("deletionTimestamp"):
        status = "Unknown" if pod.status.extra.get("reason") == "NodeLost" else "Terminating"
    cells = [pod.name, f"{ready}/{total}", status, str(restarts), AGE]
    if wide:
        gates = pod.spec.extra.get("readinessGates") or []
        gate_text = NONE
        if gates:
            true = {c.type for c in pod.status.conditions if c.status == "True"}
            met = sum(1 for g in gates if isinstance(g, dict) and g.get("conditionType") in true)
            gate_text = f"{met}/{len(gates)}"
        cells += [pod.status.pod_ip or NONE, pod.spec.node_name or NONE,
                  pod.status.extra.get("nominatedNodeName") or NONE, gate_text]
    return cells


def make_port_string(ports: list[Any]) -> str:
    """``makePortString``: ``80/TCP``, or ``80:30080/TCP`` with a node port, comma-separated."""
    return ",".join(f"{p.port}:{p.node_port}/{p.protocol}" if p.node_port else f"{p.port}/{p.protocol}"
                    for p in ports)


def _load_balancer_ips(svc: Any, wide: bool) -> str:
    ingress = svc.status.load_balancer.ingress if svc.status.load_balancer else []
    found = sorted({i.ip or i.hostname for i in ingress if i.ip or i.hostname})
    text = ",".join(found)
    if not wide and len(text) > LOAD_BALANCER_WIDTH:
        text = text[:LOAD_BALANCER_WIDTH - 3] + "..."
    return text


def service_external_ip(svc: Any, wide: bool = False) -> str:
    """``getServiceExternalIP``."""
    spec = svc.spec
    kind = spec.type or "ClusterIP"
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(spec.external_ips) or NONE
    if kind == "LoadBalancer":
        lb = _load_balancer_ips(svc, wide)
        if spec.external_ips:
            return ",".join([*(lb.split(",") if lb else []), *spec.external_ips])
        return lb or "<pending>"
    if kind == "ExternalName":
        return spec.external_name or ""
    return "<unknown>"


@printer("Service", ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], ["SELECTOR"])
def service_row(svc: Any, cluster: Any, wide: bool) -> list[str]:
    spec = svc.spec
    cluster_ip = spec.cluster_ips[0] if spec.cluster_ips else (spec.cluster_ip or NONE)
    cells = [svc.name, spec.type or "ClusterIP", cluster_ip, service_external_ip(svc, wide),
             make_port_string(spec.ports) or NONE, AGE]
    if wide:
        cells.append(format_labels(spec.selector))
    return cells


def format_endpoints(ep: Any) -> str:
    """``formatEndpoints``: ``ip:port`` for each port of each subset, three at most, then ``+ N more...``."""
    if not ep.subsets:
        return NONE
    listed: list[str] = []
    count = 0
    for ss in ep.subsets:
        if not ss.ports:
            count += len(ss.addresses)
            listed.extend(a.ip for a in ss.addresses[:max(0, MAX_LISTED - len(listed))])
            continue
        for port in ss.ports:
            count += len(ss.addresses)
            for a in ss.addresses:
                if len(listed) == MAX_LISTED:
                    break
                listed.append(f"[{a.ip}]:{port.port}" if ":" in (a.ip or "") else f"{a.ip}:{port.port}")
    text = ",".join(listed)
    return f"{text} + {count - MAX_LISTED} more..." if count > MAX_LISTED else text


@printer("Endpoints", ["NAME", "ENDPOINTS", "AGE"])
def endpoints_row(ep: Any, cluster: Any, wide: bool) -> list[str]:
    return [ep.name, format_endpoints(ep), AGE]


@printer("EndpointSlice", ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"])
def endpointslice_row(sl: Any, cluster: Any, wide: bool) -> list[str]:
    ports = [str(p.port) if p.port is not None else (p.name if p.name is not None else "*") for p in sl.ports]
    addresses = [a for e in sl.endpoints for a in e.addresses]
    return [sl.name, sl.address_type or "", _more(ports[:MAX_LISTED], len(ports), "<unset>"),
            _more(addresses[:MAX_LISTED], len(addresses), "<unset>"), AGE]


def node_roles(node: Any) -> str:
    """``findNodeRoles``: ``node-role.kubernetes.io/<role>`` labels and ``kubernetes.io/role``."""
    roles = set()
    for k, v in node.metadata.labels.items():
        if k.startswith("node-role.kubernetes.io/") and k[len("node-role.kubernetes.io/"):]:
            roles.add(k[len("node-role.kubernetes.io/"):])
        elif k == "kubernetes.io/role" and v:
            roles.add(v)
    return ",".join(sorted(roles)) or NONE


def node_status(node: Any) -> str:
    conditions = node.status.extra.get("conditions") or []
    status = "Ready"  # a node without conditions: the model's nodes are up
    for c in conditions:
        if isinstance(c, dict) and c.get("type") == "Ready":
            status = {"True": "Ready", "False": "NotReady"}.get(c.get("status"), "Unknown")
    if node.spec.unschedulable:
        status += ",SchedulingDisabled"
    return status


@printer("Node", ["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
         ["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"])
def node_row(node: Any, cluster: Any, wide: bool) -> list[str]:
    info = node.status.extra.get("nodeInfo") or {}
    cells = [node.name, node_status(node), node_roles(node), AGE, str(info.get("kubeletVersion") or "")]
    if wide:
        external = next((a.address for a in node.status.addresses if a.type == "ExternalIP"), None)
        cells += [node.internal_ip or NONE, external or NONE,
                  *(str(info.get(k) or "<unknown>") for k in ("osImage", "kernelVersion", "containerRuntimeVersion"))]
    return cells


@printer("Namespace", ["NAME", "STATUS", "AGE"])
def namespace_row(ns: Any, cluster: Any, wide: bool) -> list[str]:
    status = ns.extra.get("status") if isinstance(ns.extra.get("status"), dict) else {}
    return [ns.name, status.get("phase") or "Active", AGE]


def format_hosts(rules: list[Any]) -> str:
    """``formatHosts``: up to three hosts, then ``+ N more...`` (N counts rules); ``*`` when none is named."""
    listed: list[str] = []
    more = False
    for r in rules:
        if len(listed) == MAX_LISTED:
            more = True
        if not more and r.host:
            listed.append(r.host)
    if not listed:
        return "*"
    text = ",".join(listed)
    return f"{text} + {len(rules) - MAX_LISTED} more..." if more else text


@printer("Ingress", ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"])
def ingress_row(ing: Any, cluster: Any, wide: bool) -> list[str]:
    lb = (ing.status.get("loadBalancer") or {}) if isinstance(ing.status, dict) else {}
    addresses = sorted({i.get("ip") or i.get("hostname") for i in lb.get("ingress") or []
                        if isinstance(i, dict) and (i.get("ip") or i.get("hostname"))})
    return [ing.name, ing.spec.ingress_class_name or NONE, format_hosts(ing.spec.rules), ",".join(addresses),
            "80, 443" if ing.spec.tls else "80", AGE]


@printer("IngressClass", ["NAME", "CONTROLLER", "PARAMETERS", "AGE"])
def ingressclass_row(ic: Any, cluster: Any, wide: bool) -> list[str]:
    params = ic.spec.parameters
    text = NONE
    if isinstance(params, dict):
        text = str(params.get("kind") or "")
        if params.get("apiGroup"):
            text += "." + str(params["apiGroup"])
        text += "/" + str(params.get("name") or "")
    return [ic.name, ic.spec.controller or "", text, AGE]


@printer("NetworkPolicy", ["NAME", "POD-SELECTOR", "AGE"])
def networkpolicy_row(np: Any, cluster: Any, wide: bool) -> list[str]:
    return [np.name, format_selector(np.spec.pod_selector), AGE]


@printer("ServiceCIDR", ["NAME", "CIDRS", "AGE"])
def servicecidr_row(sc: Any, cluster: Any, wide: bool) -> list[str]:
    return [sc.name, ",".join(sc.spec.cidrs), AGE]


def jsonpath_values(doc: Any, path: str) -> list[Any]:
    """The values of a CRD column's ``jsonPath`` (``.a.b``, ``[*]``, ``[?(@.k=="v")]``), as client-go finds them."""
    import re

    values = [doc]
    for step in re.findall(r'\.[^.\[]+|\[[^\]]*\]', path):
        out: list[Any] = []
        for v in values:
            if step.startswith("."):
                if isinstance(v, dict) and step[1:] in v:
                    out.append(v[step[1:]])
            elif step == "[*]":
                out.extend(v if isinstance(v, list) else v.values() if isinstance(v, dict) else [])
            else:
                m = re.fullmatch(r'\[\?\(@\.(\w+)==["\'](.*)["\']\)\]', step)
                if m and isinstance(v, list):
                    out.extend(x for x in v if isinstance(x, dict) and str(x.get(m[1])) == m[2])
        values = out
    return values


def crd_cell(value: Any, column_type: str) -> str:
    """A cell of a CRD column (``tableconvertor``): strings as they are, lists and maps as compact JSON."""
    import json

    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _crd_printer(cls: type) -> None:
    """kubectl's columns for a custom resource: NAME, then the CRD's ``additionalPrinterColumns``.

    Upstream: ``apiextensions-apiserver/pkg/registry/customresource/tableconvertor``: a
    missing value is an empty cell, only the first result of a path counts; columns with
    ``priority`` above 0 appear with ``-o wide``; the names are upper-cased by kubectl.
    """
    kind = cls.kind
    crd = crd_of(cls.api_version, kind)
    normal = [c for c in crd.columns if not c.get("priority")]
    wide = [c for c in crd.columns if c.get("priority")]

    def row(obj: Any, cluster: Any, is_wide: bool) -> list[str]:
        from ..gateway.status import state_of

        doc = obj.to_dict()
        doc["status"] = state_of(cluster).status(obj)
        cells = [obj.name]
        for c in normal + (wide if is_wide else []):
            if c["type"] == "date":
                cells.append(AGE)
                continue
            found = jsonpath_values(doc, c["jsonPath"])
            cells.append(crd_cell(found[0], c["type"]) if found else "")
        return cells

    PRINTERS[kind] = Printer(["NAME", *(c["name"].upper() for c in normal)], row, [c["name"].upper() for c in wide])


for _cls in GATEWAY_KINDS:
    _crd_printer(_cls)


def _document(obj: Any, cluster: Any) -> dict[str, Any]:
    """``-o json|yaml``: the object, with the status the model's controller writes for Gateway API kinds."""
    doc = obj.to_dict()
    if obj.api_version.startswith("gateway.networking.k8s.io/") and obj.kind != "ReferenceGrant":
        from ..gateway.status import state_of

        doc["status"] = state_of(cluster).status(obj)
    return doc


# ---------------------------------------------------------------- the command
def _scoped(qkind: str) -> bool:
    """Whether objects of this kind live in a namespace."""
    from ..api.registry import kind_class

    return bool(kind_class(qkind).namespaced)


def resource_prefix(obj: Any) -> str:
    """``pod``, ``service``, ``endpointslice.discovery.k8s.io``: kubectl's ``-o name`` prefix."""
    group = obj.api_version.split("/")[0] if "/" in obj.api_version else ""
    return obj.kind.lower() + (f".{group}" if group else "")


def _parse_resources(words: list[str]) -> list[tuple[str, list[str]]]:
    """``pods`` / ``pod web db`` / ``pods,svc`` / ``pod/web svc/web`` -> [(qualified kind, names)]."""
    from ..cluster import resolve_kind

    if not words:
        raise UsageError("you must specify the type of resource to get: pods, services, endpoints, endpointslices, "
                         "nodes, namespaces, ingresses, networkpolicies, ...")
    if "/" in words[0]:
        out: dict[str, list[str]] = {}
        for w in words:
            kind, sep, name = w.partition("/")
            if not sep or not name:
                raise UsageError(f"there is no need to specify a resource type as a separate argument when passing "
                                 f"arguments in resource/name form (e.g. 'kubelab get resource/<resource_name>' "
                                 f"instead of 'kubelab get resource resource/<resource_name>'): {w!r}")
            out.setdefault(resolve_kind(kind), []).append(name)
        return list(out.items())
    kinds = list(dict.fromkeys(resolve_kind(k) for k in words[0].split(",") if k))
    if not kinds:  # `get ""`, `get ,`
        raise UsageError(f'the server doesn\'t have a resource type "{words[0]}"')
    names = words[1:]
    if names and len(kinds) > 1:
        raise UsageError("you may only specify a single resource type when naming objects")
    if any("/" in n and n.count("/") > 1 for n in names):
        raise UsageError(f"invalid name {names[0]!r}: use NAME or NAMESPACE/NAME")
    return [(k, list(names)) for k in kinds]


def rows_for(qkind: str, objs: list[Any], cluster: Any, *, wide: bool = False, all_namespaces: bool = False,
             prefix: bool = False) -> tuple[list[str], list[list[str]]]:
    """The header and rows ``kubelab get`` prints for ``objs`` of one kind."""
    pr = PRINTERS.get(qkind, GENERIC)
    header = pr.columns + (pr.wide if wide else [])
    rows = []
    for o in objs:
        cells = pr.row(o, cluster, wide)
        if prefix:
            cells[0] = f"{resource_prefix(o)}/{cells[0]}"
        rows.append(cells)
    if all_namespaces and _scoped(qkind):
        header = ["NAMESPACE", *header]
        rows = [[o.namespace, *r] for o, r in zip(objs, rows)]
    return header, rows


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("resources", nargs="*", metavar="TYPE[,TYPE...] [NAME...] | TYPE/NAME...",
                        help="pods (po), services (svc), endpoints (ep), endpointslices, nodes (no), "
                             "namespaces (ns), ingresses (ing), ingressclasses, networkpolicies (netpol), ...")
    parser.set_defaults(extra_positionals="resources")
    add_filename_option(parser)
    add_namespace_options(parser)
    add_output_option(parser, ("wide", "json", "yaml", "name"))


@command("get", "list objects as kubectl get does", configure,
         "List objects of the model cluster in kubectl's tables (AGE is <unknown>: the model has no clock).")
def run(args: argparse.Namespace) -> int:
    requests = _parse_resources(args.resources)
    named = any(names for _, names in requests)
    if named and args.all_namespaces:
        raise UsageError("a resource cannot be retrieved by name across all namespaces")
    cluster, _ = load_cluster(args)
    namespace = None if args.all_namespaces else (args.namespace or "default")
    sections: list[tuple[str, list[Any]]] = []
    missing: list[str] = []
    for qkind, names in requests:
        if names:
            objs = []
            for name in names:
                try:
                    objs.append(cluster.get(qkind, name, namespace))
                except NotFoundError as exc:
                    missing.append(exc.message)
        else:
            objs = cluster.list(qkind, namespace if _scoped(qkind) else None)
            objs = sorted(objs, key=lambda o: (o.namespace, o.name))
        sections.append((qkind, objs))
    found = [o for _, objs in sections for o in objs]
    fmt = args.output
    if fmt in ("json", "yaml"):
        single = named and len(requests) == 1 and len(requests[0][1]) == 1
        if found or not named:
            print_document(_document(found[0], cluster) if single and found else
                           list_document(_document(o, cluster) for o in found), fmt)
    elif fmt == "name":
        for o in found:
            write(f"{resource_prefix(o)}/{o.name}")
    else:
        tables = []
        shown = [(k, objs) for k, objs in sections if objs]
        for qkind, objs in shown:
            header, rows = rows_for(qkind, objs, cluster, wide=fmt == "wide", all_namespaces=args.all_namespaces,
                                    prefix=len(requests) > 1)
            tables.append(format_table(header, rows))
        if tables:
            write("\n\n".join(tables))
    if not found and not named and fmt not in ("json", "yaml"):
        scoped = any(_scoped(k) for k, _ in requests)
        stderr_line(f"No resources found in {namespace} namespace." if scoped and namespace else "No resources found")
    for message in missing:
        stderr_line(NOT_FOUND_PREFIX + message)
    return 1 if missing else 0
