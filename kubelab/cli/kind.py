"""``kubelab kind (config|apply|import|compare|delete)``: the model and a real kind cluster.

* ``config -f ...`` prints the kind cluster configuration matching the model
  (:func:`kubelab.kind.kind_config`); ``--name`` names the kind cluster.
* ``apply --context C -f ...`` creates the model's user objects, labelled
  ``app.kubernetes.io/managed-by: kubelab`` and a run id, and prints the run id.
  Gateway API objects go too when the cluster has their CRDs; a ``note:`` line on
  stderr says which were left out when it has not (:mod:`kubelab.kind.gateway`).
* ``delete --context C --run-id ID`` deletes what that run created, and only that.
* ``import --context C`` prints the live cluster's Nodes, Namespaces, Services,
  Pods, NetworkPolicies as manifests kubelab loads (``-o json``: a List).
* ``compare --context C -f ... [--dns] [--iptables]`` prints the differences
  between the model and the cluster, one line each: exit 0 when they agree,
  1 when they differ.

Every command that talks to a cluster refuses a context whose name does not
start with ``kind-`` unless ``--allow-non-kind`` is given (status 2).
"""

from __future__ import annotations

import argparse

from .common import UsageError, add_filename_option, add_output_option, command, load_cluster, stderr_line
from .output import print_document, write

__all__: list[str] = []

ACTIONS = ("config", "apply", "import", "compare", "delete")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=ACTIONS, metavar="ACTION", help=" | ".join(ACTIONS))
    add_filename_option(parser)
    parser.add_argument("--context", default=None, help="the kubeconfig context (kind-<cluster>)")
    parser.add_argument("--kubeconfig", default=None,
                        help="the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    parser.add_argument("--allow-non-kind", action="store_true",
                        help="accept a context whose name does not start with kind- (careful)")
    parser.add_argument("--name", default="kubelab", help="config: the kind cluster's name (default kubelab)")
    parser.add_argument("--run-id", default=None, help="delete: the run id apply printed")
    parser.add_argument("--dns", action="store_true", help="compare: also ask CoreDNS through a one-shot pod")
    parser.add_argument("--iptables", action="store_true",
                        help="compare: also read a node's iptables-save through docker exec (when docker is here)")
    add_output_option(parser)


def _connect(args: argparse.Namespace):
    from ..kind import client

    if not args.context:
        raise UsageError(f"kind {args.action}: --context is required")
    return client.connect(args.context, args.allow_non_kind, config_file=args.kubeconfig)


@command("kind", "the kind cluster config for the model; apply, import and compare with a live kind cluster",
         configure)
def run(args: argparse.Namespace) -> int:
    from .. import kind

    if args.action == "config":
        cluster, _ = load_cluster(args)
        write(kind.kind_config(cluster, args.name).rstrip("\n"))
        return 0
    if args.action == "delete":
        if not args.run_id:
            raise UsageError("kind delete: --run-id is required (apply printed it)")
        ctx = _connect(args)
        from ..kind.gateway import delete_gateway

        for k, ns, name in [*delete_gateway(ctx, args.run_id), *kind.delete_created(ctx, args.run_id)]:
            write(f"{k.lower()}/{name}" + (f" -n {ns}" if ns else "") + " deleted")
        return 0
    if args.action == "import":
        ctx = _connect(args)
        cluster = kind.import_cluster(ctx)
        docs = [o.to_dict() for o in cluster]
        print_document({"apiVersion": "v1", "kind": "List", "items": docs}, args.output or "yaml")
        return 0
    cluster, _ = load_cluster(args)
    ctx = _connect(args)
    if args.action == "apply":
        from ..kind.gateway import apply_gateway

        created = kind.apply(cluster, ctx)
        gateway_created, notes = apply_gateway(cluster, ctx)
        for k, ns, name in [*created, *gateway_created]:
            write(f"{k.lower()}/{name}" + (f" -n {ns}" if ns else "") + " created")
        for note in notes:
            stderr_line(f"note: {note}")
        stderr_line(f"run id {ctx.run_id}: kubelab kind delete --context {ctx.context} --run-id {ctx.run_id}")
        return 0
    lines = kind.compare(cluster, ctx, dns=args.dns, iptables=args.iptables)
    if args.output:
        print_document({"context": ctx.context, "differences": lines}, args.output)
    else:
        write("\n".join(lines) if lines else "no differences")
    return 1 if lines else 0
