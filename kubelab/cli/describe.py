"""``kubelab describe pod [POD...] -f ...``: a pod as its node sees it.

The header follows ``kubectl describe pod`` (Name, Namespace, Node as
``NODE/HOST-IP``, IP, Status, and Reason/Message when kubelet gave them);
then what kubectl does not show and a node would: the pod's Linux namespaces
(:func:`kubelab.linuxns.describe`: the pause container's and each
container's, shared or own), the channels between each pair of its
containers (:func:`kubelab.linuxns.channels`: available ones with how, why
and the security note; unavailable ones with why), the ports it binds
(:func:`kubelab.linuxns.bind`) and the port conflicts it is part of among the
pods of its node (:func:`kubelab.linuxns.port_conflicts`).  ``-o json`` gives
the same as one object per pod (a ``List`` for several).

A pod is ``NAME`` (in ``-n NS``, default ``default``) or ``NAMESPACE/NAME``;
without a name every pod of the namespace is described.  A missing pod is
``Error from server (NotFound): pods "x" not found`` and status 1.
"""

from __future__ import annotations

import argparse
from itertools import combinations
from typing import Any

from ..errors import NotFoundError
from .common import (NOT_FOUND_PREFIX, UsageError, add_filename_option, add_namespace_options, add_output_option,
                     command, load_cluster, stderr_line)
from .output import format_table, print_document, write

__all__ = ["describe_pod", "format_pod"]

INDENT = "  "


def _binding_dict(b: Any) -> dict[str, Any]:
    return {"container": b.owner.rsplit("/", 1)[-1], "netns": b.netns, "node": b.node, "ip": b.ip, "port": b.port,
            "protocol": b.protocol, "source": b.source, "containerPort": b.container_port}


def describe_pod(pod: Any, cluster: Any) -> dict[str, Any]:
    """Everything ``kubelab describe pod`` shows, as plain data (the ``-o json`` form)."""
    from .. import linuxns

    node = cluster.node_of(pod)
    namespaces = linuxns.describe(pod, pod.spec.node_name)
    names = [c.name for c in pod.spec.all_containers()]
    pairs = [{"a": a, "b": b, "channels": [ch.to_dict() for ch in linuxns.channels(pod, a, b)]}
             for a, b in combinations(names, 2)]
    node_pods = [p for p in cluster.pods() if pod.spec.node_name and p.spec.node_name == pod.spec.node_name] or [pod]
    me = f"{pod.namespace}/{pod.name}/"
    conflicts = [c for c in linuxns.port_conflicts(node_pods, node_name=pod.spec.node_name)
                 if c.first.startswith(me) or c.second.startswith(me)]
    return {
        "name": pod.name,
        "namespace": pod.namespace,
        "node": pod.spec.node_name,
        "hostIP": pod.status.host_ip or (node.internal_ip if node is not None else None),
        "ip": pod.status.pod_ip,
        "status": pod.status.phase or "Pending",
        "reason": pod.status.extra.get("reason"),
        "message": pod.status.extra.get("message"),
        "ready": cluster.is_ready(pod),
        "linuxNamespaces": namespaces.to_dict(),
        "namespaceTable": str(namespaces),
        "channels": pairs,
        "portBindings": [_binding_dict(b) for b in linuxns.bind([pod], node_name=pod.spec.node_name)],
        "portConflicts": [c.to_dict() for c in conflicts],
    }


def _indent(text: str, level: int = 1) -> str:
    return "\n".join(INDENT * level + line if line else line for line in text.splitlines())


def format_pod(d: dict[str, Any]) -> str:
    """The text form of :func:`describe_pod`'s data."""
    head = [("Name:", d["name"]), ("Namespace:", d["namespace"]),
            ("Node:", f"{d['node']}/{d['hostIP']}" if d["node"] and d["hostIP"] else (d["node"] or "<none>")),
            ("IP:", d["ip"] or "<none>"), ("Status:", d["status"])]
    head += [(label, d[key]) for label, key in (("Reason:", "reason"), ("Message:", "message")) if d.get(key)]
    width = max(len(label) for label, _ in head) + 2
    lines = [f"{label:<{width}}{value}" for label, value in head]

    ns = d["linuxNamespaces"]
    lines.append(f"Linux namespaces (pause image {ns['pauseImage']}):")
    lines.append(_indent(d["namespaceTable"]))

    lines.append("Channels:")
    if not d["channels"]:
        lines.append(INDENT + "<none> (a single container)")
    for pair in d["channels"]:
        lines.append(f"{INDENT}{pair['a']} <-> {pair['b']}:")
        for ch in pair["channels"]:
            if ch["available"]:
                lines.append(f"{INDENT * 2}{ch['kind']:<8} yes  {ch['how']}")
                lines.append(f"{INDENT * 2}{'':<8}      why: {ch['why']}")
                lines.append(f"{INDENT * 2}{'':<8}      security: {ch['security']}")
            else:
                lines.append(f"{INDENT * 2}{ch['kind']:<8} no   {ch['why']}")

    lines.append("Port bindings:")
    if d["portBindings"]:
        rows = [[b["container"], f"{b['ip']}:{b['port']}/{b['protocol']}", b["source"], b["netns"]]
                for b in d["portBindings"]]
        lines.append(_indent(format_table(["CONTAINER", "ADDRESS", "SOURCE", "NETWORK NAMESPACE"], rows)))
    else:
        lines.append(INDENT + "<none>")
    lines.append("Port conflicts:")
    if d["portConflicts"]:
        for c in d["portConflicts"]:
            lines.append(f"{INDENT}{c['node']}: {c['reason']}: {c['error']}")
    else:
        lines.append(INDENT + "<none>")
    return "\n".join(lines)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("type", metavar="pod", help="the resource type (pods only, for now)")
    parser.add_argument("names", nargs="*", metavar="POD", help="NAME or NAMESPACE/NAME (default: every pod)")
    parser.set_defaults(extra_positionals="names")
    add_filename_option(parser)
    add_namespace_options(parser, all_namespaces=False)
    add_output_option(parser, ("json", "yaml"))


@command("describe", "a pod's Linux namespaces, channels between its containers, port bindings", configure)
def run(args: argparse.Namespace) -> int:
    from ..cluster import resolve_kind

    kind = resolve_kind(args.type)
    if kind != "Pod":
        raise UsageError(f'kubelab describe supports pods only, not "{args.type}"')
    cluster, _ = load_cluster(args)
    namespace = args.namespace or "default"
    pods, missing = [], []
    if args.names:
        for name in args.names:
            try:
                pods.append(cluster.get("pod", name, namespace))
            except NotFoundError as exc:
                missing.append(exc.message)
    else:
        pods = sorted(cluster.pods(namespace), key=lambda p: p.name)
    docs = [describe_pod(p, cluster) for p in pods]
    if args.output:
        for doc in docs:
            doc.pop("namespaceTable")
        if docs:
            print_document(docs[0] if len(docs) == 1 and args.names and len(args.names) == 1
                           else {"apiVersion": "v1", "kind": "List", "items": docs}, args.output)
    elif docs:
        write("\n\n".join(format_pod(d) for d in docs))
    if not docs and not args.names:
        stderr_line(f"No resources found in {namespace} namespace.")
    for message in missing:
        stderr_line(NOT_FOUND_PREFIX + message)
    return 1 if missing else 0
