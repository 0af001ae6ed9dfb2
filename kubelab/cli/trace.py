"""``kubelab trace --from SRC --to HOST:PORT -f ...``: one new connection hop by hop, or N of them.

The walk is :meth:`kubelab.net.Network.connect` (docs/cli.md): the source pod's
``eth0`` and veth, each netfilter hook of each node crossed (every rule
evaluated, whether it matched, the NAT done), routing between nodes and
delivery into the backend pod; then the verdict and the backend.  ``SRC`` is
a pod (``NAME`` or ``NAMESPACE/NAME``), a node name or an IP address; ``HOST``
a Service (``NAME``, ``NAMESPACE/NAME``, ``NAME.NAMESPACE.svc[.DOMAIN]``) or an
IP address (``[v6]:PORT`` for IPv6).

``--count N`` makes N successive new connections in one model (one
:class:`~kubelab.net.Network`: the random stream and ``xt_recent`` affinity
carry over, as on real nodes) and prints one line per connection -- the
backend, or the verdict -- then the split.  ``--seed`` seeds the random
choices (default 0: the same command prints the same answer).  ``--dead POD``
(repeatable) marks a backend pod as not answering: in iptables mode a
connection sent to it times out.

Exit status: 0 when every connection is delivered, 1 when one is not
(rejected, dropped, timeout, refused, no route), 2 for bad input (a ``--to``
without a port or with a non-numeric one, an unknown Service, pod or node).
"""

from __future__ import annotations

import argparse
from collections import Counter
from typing import Any

from ..errors import KubelabError
from .common import UsageError, add_filename_option, add_output_option, check_count, command, load_cluster
from .output import format_table, print_document, write
from ..proxy.rendering import proxy_modes

__all__ = ["parse_target", "trace_document", "count_document", "split_rows"]

PROTOCOLS = ("TCP", "UDP", "SCTP")


def parse_target(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[IPv6]:PORT`` too) -> ``(host, port)``; a :class:`UsageError` naming ``--to`` otherwise.

    >>> parse_target("web.default.svc:80"), parse_target("[fd00::1]:443")
    (('web.default.svc', 80), ('fd00::1', 443))
    """
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        sep, port = rest[:1], rest[1:]
    else:
        host, sep, port = text.rpartition(":")
        if ":" in host:  # an IPv6 address wants its brackets
            sep = ""
    if sep != ":" or not host or not port:
        raise UsageError(f'--to "{text}": want HOST:PORT (a Service or an IP address, then a port number)')
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise UsageError(f'--to "{text}": port "{port}" is not a number from 1 to 65535')
    return host, int(port)


def _dead_pods(cluster: Any, names: list[str]) -> set[str]:
    """``--dead`` names as ``namespace/name``; an unknown pod is bad input."""
    out = set()
    for name in names:
        ns, _, pod = name.rpartition("/")
        ns = ns or "default"
        if not any(p.name == pod for p in cluster.pods(ns)):
            raise UsageError(f'--dead "{name}": no pod "{pod}" in namespace "{ns}"')
        out.add(f"{ns}/{pod}")
    return out


def trace_document(trace: Any) -> dict[str, Any]:
    """One :class:`~kubelab.hops.Trace` as plain data (the ``-o json`` form)."""
    return {
        "src": trace.src, "dst": trace.dst, "mode": trace.mode, "verdict": trace.verdict,
        "backend": trace.backend, "backend_address": trace.backend_address, "source_seen": trace.source_seen,
        "rules_evaluated": trace.rules_evaluated,
        "hops": [{"kind": h.kind, "where": h.where, "detail": h.detail,
                  "steps": [{"table": s.table, "chain": s.chain, "rule": s.rule, "matched": s.matched,
                             "action": s.action} for s in h.steps]} for h in trace.hops],
    }


def _outcome(trace: Any) -> str:
    """What one connection came to: the backend when delivered, else the verdict."""
    return trace.backend if trace.ok else trace.verdict


def split_rows(outcomes: list[str]) -> list[dict[str, Any]]:
    """``[{"outcome", "count", "percent"}]``: backends in name order, then the verdicts in their order."""
    from ..hops import VERDICTS

    counts = Counter(outcomes)
    order = sorted(counts, key=lambda o: (o in VERDICTS, VERDICTS.index(o) if o in VERDICTS else 0, o))
    return [{"outcome": o, "count": counts[o], "percent": round(100.0 * counts[o] / len(outcomes), 1)}
            for o in order]


def count_document(traces: list[Any]) -> dict[str, Any]:
    """N connections as plain data: one entry each, then the split."""
    return {
        "count": len(traces),
        "delivered": sum(t.ok for t in traces),
        "connections": [{"n": i, "verdict": t.verdict, "backend": t.backend, "backend_address": t.backend_address,
                         "rules_evaluated": t.rules_evaluated} for i, t in enumerate(traces, 1)],
        "split": split_rows([_outcome(t) for t in traces]),
    }


def _count_text(doc: dict[str, Any]) -> str:
    width = len(str(doc["count"]))
    lines = []
    for c in doc["connections"]:
        label = c["backend"] if c["verdict"] == "delivered" else c["verdict"]
        if c["verdict"] != "delivered" and c["backend"]:
            label += f" ({c['backend']})"
        lines.append(f"{c['n']:>{width}}  {label}")
    lines.append(f"split over {doc['count']} connections ({doc['delivered']} delivered):")
    rows = [[s["outcome"], s["count"], f"{s['percent']:.1f}%"] for s in doc["split"]]
    lines += ["  " + line for line in format_table(["OUTCOME", "COUNT", "SHARE"], rows).splitlines()]
    return "\n".join(lines)


def configure(parser: argparse.ArgumentParser) -> None:
    modes = list(proxy_modes())
    add_filename_option(parser)
    parser.add_argument("--from", dest="src", required=True, metavar="POD|NODE|IP",
                        help="the client: a pod (NAME or NAMESPACE/NAME), a node name, or an IP address")
    parser.add_argument("--to", dest="dst", required=True, metavar="HOST:PORT",
                        help="a Service (NAME, NAMESPACE/NAME or NAME.NAMESPACE.svc) or an IP address, and a port")
    parser.add_argument("--proto", type=str.upper, choices=PROTOCOLS, default="TCP", metavar="|".join(PROTOCOLS),
                        help="the protocol (default TCP)")
    parser.add_argument("--mode", choices=modes, default=None, metavar="|".join(modes),
                        help="kube-proxy's mode (default: the cluster's)")
    parser.add_argument("--seed", type=int, default=None, metavar="N",
                        help="seed of the random choices (default 0: the same answer every time)")
    parser.add_argument("--count", type=int, default=None, metavar="N",
                        help="make N successive new connections in one model; print each backend, then the split")
    parser.add_argument("--dead", action="append", default=[], metavar="POD",
                        help="a backend pod that does not answer (repeatable)")
    parser.add_argument("--rules", action=argparse.BooleanOptionalAction, default=True,
                        help="list every rule evaluated under its hop (default: --rules)")
    add_output_option(parser)


@command("trace", "follow a connection hop by hop: chains, rules, NAT, routing, the verdict, the backend",
         configure)
def run(args: argparse.Namespace) -> int:
    from ..net import Network

    host, port = parse_target(args.dst)
    check_count(args.count)
    cluster, _ = load_cluster(args)
    dead = _dead_pods(cluster, args.dead)
    net = Network(cluster, mode=args.mode, seed=args.seed, dead=dead)
    net.resolve_source(args.src)  # bad --from: its own message, before anything is printed
    try:
        net.resolve_destination(host)
    except KubelabError as exc:
        raise UsageError(f'--to "{args.dst}": {exc}') from None

    if args.count is None:
        trace = net.connect(args.src, host, port, args.proto)
        if args.output:
            print_document(trace_document(trace), args.output)
        else:
            write("\n".join(trace.lines(rules=args.rules)))
        return 0 if trace.ok else 1

    traces = [net.connect(args.src, host, port, args.proto) for _ in range(args.count)]
    doc = count_document(traces)
    if args.output:
        print_document(doc, args.output)
    else:
        write(_count_text(doc))
    return 0 if doc["delivered"] == doc["count"] else 1
