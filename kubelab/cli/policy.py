"""``kubelab policy --from POD|IP --to POD|IP --port PORT[/PROTO] -f ...``: allowed or denied by policy?

The decision is :func:`kubelab.policy.evaluate` (docs/cli.md): the cluster's CNI plugin
(``--cni``, default calico) decides which policies count -- Calico and Canal evaluate
Calico's ordered policies with the Kubernetes ones as ``knp.default.*`` at order 1000;
Cilium, Weave and kube-router Kubernetes NetworkPolicy only; Flannel, bridge and kindnet
nothing (the answer is then ``allow`` and a note says the policies are ignored).

Prints ``allow`` or ``deny``, then one line per deciding policy (its rule index,
direction and why) and a ``note:``; ``-o json`` prints the whole verdict.
``--matrix`` prints instead the pods x pods reachability matrix of the namespaces given
with ``-n`` (default: every namespace with pods but kube-system) on ``--port``, as the
upstream e2e tests print it (``.`` allowed, ``X`` denied; rows are sources).

Exit status: 0 allow (and for ``--matrix``), 1 deny, 2 bad input (an unknown pod, a
malformed port, bad manifests).
"""

from __future__ import annotations

import argparse

from .common import UsageError, add_filename_option, add_output_option, command, load_cluster
from .output import print_document, write

__all__ = ["parse_port"]

_PROTOCOLS = ("TCP", "UDP", "SCTP")


def parse_port(text: str) -> tuple[int, str]:
    """``"80"`` -> ``(80, "TCP")``; ``"53/udp"`` -> ``(53, "UDP")``.

    >>> parse_port("53/udp")
    (53, 'UDP')
    """
    num, _, proto = str(text).partition("/")
    proto = (proto or "TCP").upper()
    if not num.isdigit() or not 1 <= int(num) <= 65535:
        raise UsageError(f'--port "{text}": want PORT[/PROTO] with PORT in 1-65535, e.g. 80 or 53/UDP')
    if proto not in _PROTOCOLS:
        raise UsageError(f'--port "{text}": unsupported protocol "{proto}": supported: {", ".join(_PROTOCOLS)}')
    return int(num), proto


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="src", metavar="POD|NODE|IP",
                        help="the client: a pod (NAMESPACE/NAME or NAME), a node, or an IP address")
    parser.add_argument("--to", dest="dst", metavar="POD|IP", help="the server: a pod or an IP address")
    parser.add_argument("--port", required=True, metavar="PORT[/PROTO]", help="destination port, e.g. 80 or 53/UDP")
    add_filename_option(parser)
    parser.add_argument("--matrix", action="store_true",
                        help="print the pods x pods reachability matrix instead (rows: sources; '.' allowed, 'X' denied)")
    parser.add_argument("-n", "--namespace", dest="namespaces", action="append", default=[], metavar="NS",
                        help="with --matrix: a namespace to include (repeatable)")
    add_output_option(parser)


@command("policy", "allow or deny: what NetworkPolicy (and Calico policy) decide for one connection", configure)
def run(args: argparse.Namespace) -> int:
    from ..policy import evaluate, reachability

    port, proto = parse_port(args.port)
    if not args.matrix and (not args.src or not args.dst):
        raise UsageError("--from and --to are required (or --matrix)")
    cluster, _ = load_cluster(args)
    if args.matrix:
        m = reachability(cluster, args.namespaces or None, port, proto)
        if args.output:
            print_document({"port": port, "protocol": proto, "enforced": m.enforced, "pods": m.pods,
                            "allowed": m.allowed, "note": m.note}, args.output)
        else:
            write("\n".join(m.lines() + ([f"note: {m.note}"] if m.note else [])))
        return 0
    v = evaluate(cluster, args.src, args.dst, port, proto)
    if args.output:
        print_document(v.to_dict(), args.output)
    else:
        write(str(v))
    return 0 if v.allowed else 1
