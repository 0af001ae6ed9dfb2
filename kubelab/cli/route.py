"""``kubelab route URL -f ...``: which backend an Ingress controller sends an HTTP(S) request to.

The decision is :meth:`kubelab.ingress.IngressController.route` (docs/cli.md): the
Ingresses the modelled ingress-nginx serves (their IngressClass; a cluster without an
IngressClass ``nginx`` is read as if the controller were installed with it as the
default), the server chosen by host (exact, ``*.`` wildcard for one label, else the
catch-all), the longest matching path (Exact over Prefix at equal length), else a
``defaultBackend``, else ``404``.  For ``https://`` URLs the certificate presented for the
URL's host (SNI) is part of the decision.

Prints ``NAMESPACE/SERVICE:PORT`` (the Service port, resolved when the Service exists) or
``404``; ``--why`` adds the reasons; ``--count N`` makes N requests to one controller (the
canary draw and round robin carry over) and prints each target, then the split;
``-o json`` prints the whole decision (rule, reasons,
TLS certificate -- names and fingerprint, never key material).  ``--trace`` follows the
request end to end through the modelled data plane: client -> load balancer -> node ->
controller pod (kube-proxy), then controller pod -> endpoint (the controller picks the
endpoint itself, round robin); the controller is installed into the model first if the
manifests do not include one.

Exit status: 0 when a backend is chosen (whatever its HTTP status), 1 for ``404``, 2 for
bad input (a URL that is not http or https, a malformed ``-H``).

``--gateway NAMESPACE/NAME`` sends the request to that Gateway instead (Gateway API,
:mod:`kubelab.gateway`): the listener is chosen by the URL's scheme, port and host (``-H
Host:`` overrides the host; a port in it is ignored), and the first line is
``NAMESPACE/SERVICE:PORT`` when forwarded (exit 0), ``STATUS LOCATION`` for a redirect,
e.g. ``302 https://example.com/path`` (exit 0), ``404`` when no route matches (exit 1) or
``500`` when the matched rule's backend is invalid (exit 1).  ``--why`` explains the
choice; ``--count N --seed S`` draws the weighted backends N times and prints the split.
"""

from __future__ import annotations

import argparse

from .common import UsageError, add_filename_option, add_output_option, check_count, command, load_cluster
from .output import print_document, write

__all__ = ["parse_header", "check_url"]


def check_url(url: str) -> None:
    """Refuse, as one usage error, a URL that is not ``http(s)://HOST[:PORT][/PATH]`` (curl's "bad/illegal format").

    >>> check_url("https://foo.bar.com:8443/x")
    >>> check_url("http://foo:70000/")
    Traceback (most recent call last):
    ...
    kubelab.cli.common.UsageError: URL "http://foo:70000/": port out of range 1-65535
    """
    from urllib.parse import urlsplit

    if "://" not in url:
        raise UsageError(f'URL "{url}": want http://HOST/PATH or https://HOST/PATH (the scheme is not optional)')
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as exc:  # a bad [IPv6] literal, a port that is not a number or out of range
        reason = str(exc).replace("0-65535", "1-65535")
        reason = reason[:1].lower() + reason[1:]
        raise UsageError(f'URL "{url}": {reason}') from None
    if parts.scheme.lower() not in ("http", "https"):
        raise UsageError(f'URL "{url}": an Ingress routes http:// and https:// requests only')
    if not host:
        raise UsageError(f'URL "{url}": no host')
    if port == 0:
        raise UsageError(f'URL "{url}": port out of range 1-65535')


def parse_header(text: str) -> tuple[str, str]:
    """``"Host: foo.com"`` -> ``("Host", "foo.com")``, as ``curl -H`` takes it.

    >>> parse_header("Host:foo.bar.com"), parse_header("X-Canary:  always")
    (('Host', 'foo.bar.com'), ('X-Canary', 'always'))
    """
    name, sep, value = text.partition(":")
    if not sep or not name.strip() or any(c.isspace() for c in name.strip()):
        raise UsageError(f'-H "{text}": want NAME: VALUE (for example -H "Host: foo.com")')
    return name.strip(), value.strip()


def _count(args: argparse.Namespace, ctl, headers: dict[str, str]) -> int:
    """``--count N``: one line per request, then the split (the seed's fifth variant: weights in action)."""
    decisions = [ctl.route(args.url, args.method, headers) for _ in range(args.count)]
    _print_split(args, [d.target for d in decisions])
    return 0 if any(d.routed for d in decisions) else 1


def _print_split(args: argparse.Namespace, targets: list[str]) -> None:
    """``--count N`` output, Ingress or Gateway alike: one line per request, then the split."""
    from .output import format_table
    from .trace import split_rows

    rows = split_rows(targets)
    if args.output:
        print_document({"count": args.count, "targets": targets, "split": rows}, args.output)
        return
    width = len(str(args.count))
    lines = [f"{i:>{width}}  {t}" for i, t in enumerate(targets, 1)]
    lines.append(f"split over {args.count} requests:")
    table = format_table(["TARGET", "COUNT", "SHARE"], [[r["outcome"], r["count"], f"{r['percent']:.1f}%"]
                                                        for r in rows])
    lines += ["  " + line for line in table.splitlines()]
    write("\n".join(lines))


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", metavar="URL", help="http:// or https:// URL of the request (the host routes, unless -H Host:)")
    add_filename_option(parser)
    parser.add_argument("-H", "--header", dest="headers", action="append", default=[], metavar="NAME:VALUE",
                        help="a request header, as curl -H (Host:, a canary header, Cookie:); repeatable")
    parser.add_argument("-X", "--request", dest="method", default="GET", metavar="METHOD",
                        help="the HTTP method (default GET; Ingress rules do not look at it)")
    parser.add_argument("--seed", type=int, default=None, metavar="N",
                        help="seed of the canary-weight draw and the load balancer's choices (default 0)")
    parser.add_argument("--implementation-specific", choices=("nginx", "prefix"), default="nginx",
                        help="ImplementationSpecific paths: nginx (a string prefix, as ingress-nginx without regex; "
                             "default) or prefix (as pathType Prefix)")
    parser.add_argument("--why", action="store_true", help="also print why, one reason a line")
    parser.add_argument("--count", type=int, default=None, metavar="N",
                        help="N successive requests to one controller (canary draws, round robin carry over): "
                             "each target, then the split")
    parser.add_argument("--trace", action="store_true",
                        help="follow the request end to end: client, load balancer, node, controller pod, endpoint")
    parser.add_argument("--gateway", metavar="NAMESPACE/NAME", default=None,
                        help="send the request to this Gateway (Gateway API) instead of the Ingress controller")
    add_output_option(parser)


def _gateway(args: argparse.Namespace, headers: dict[str, str]) -> int:
    """``--gateway NS/NAME``: the Gateway API decision (kubelab.gateway.router)."""
    from ..gateway import GatewayRouter

    if args.trace:
        raise UsageError("--trace follows the Ingress controller; it cannot be used with --gateway")
    cluster, _ = load_cluster(args)
    router = GatewayRouter(cluster, args.gateway, seed=args.seed)
    if args.count is not None:
        decisions = [router.route(args.url, args.method, headers) for _ in range(args.count)]
        _print_split(args, [d.line for d in decisions])
        return 0 if all(d.routed for d in decisions) else 1
    decision = router.route(args.url, args.method, headers)
    if args.output:
        print_document(decision.to_dict(), args.output)
    else:
        lines = [decision.line]
        if args.why:
            lines += [f"  {w}" for w in decision.why]
        write("\n".join(lines))
    return 0 if decision.routed else 1


@command("route", "the backend an Ingress controller (or, with --gateway, a Gateway) sends an HTTP(S) request to",
         configure)
def run(args: argparse.Namespace) -> int:
    from ..ingress import CONTROLLER_NAMESPACE, CONTROLLER_SERVICE, IngressController, install

    check_url(args.url)
    headers = dict(parse_header(h) for h in args.headers)
    check_count(args.count)
    if args.gateway is not None:
        return _gateway(args, headers)
    cluster, _ = load_cluster(args)
    if args.trace:
        if not any(s.name == CONTROLLER_SERVICE for s in cluster.services(CONTROLLER_NAMESPACE)):
            install(cluster)
        ctl = IngressController(cluster, seed=args.seed, implementation_specific=args.implementation_specific)
        trace = ctl.request(args.url, args.method, headers)
        if args.output:
            doc = {"decision": trace.decision.to_dict() if trace.decision else None, "status": trace.status,
                   "verdict": trace.verdict, "controller_pod": trace.controller_pod, "backend": trace.backend,
                   "backend_address": trace.backend_address, "notes": trace.notes,
                   "legs": [{"title": t, "verdict": leg.verdict, "backend": leg.backend,
                             "hops": [str(h) for h in leg.hops]} for t, leg in trace.legs]}
            print_document(doc, args.output)
        else:
            write("\n".join(trace.lines()))
        return 0 if trace.decision is not None and trace.decision.routed else 1
    ctl = IngressController(cluster, seed=args.seed, implementation_specific=args.implementation_specific)
    if args.count is not None:
        return _count(args, ctl, headers)
    decision = ctl.route(args.url, args.method, headers)
    if args.output:
        doc = decision.to_dict()
        doc["not_served"] = ctl.not_served()
        print_document(doc, args.output)
    else:
        lines = [decision.target]
        if args.why:
            lines += [f"  {w}" for w in decision.why]
            if decision.tls is not None:
                lines += [f"  tls: {w}" for w in decision.tls.why]
            lines += [f"  not served: {ref}: {w}" for ref, w in ctl.not_served().items()]
        write("\n".join(lines))
    return 0 if decision.routed else 1
