"""``kubelab dns NAME`` and ``kubelab resolv-conf POD``: the cluster DNS, asked directly or from inside a pod.

Upstream: CoreDNS's ``kubernetes`` plugin under kubeadm's Corefile
(:mod:`kubelab.dns.records`), kubelet's resolv.conf per ``dnsPolicy``
(:mod:`kubelab.dns.resolvconf`) and glibc's search-list expansion
(:mod:`kubelab.dns.resolver`).

``kubelab dns NAME -f ... [--type A|AAAA|SRV|PTR|CNAME|TXT] [--from POD] [--upstream NAME=ANSWER]...``

* Without ``--from``: one question to the cluster DNS, as ``dig
  @10.96.0.10 NAME TYPE`` asks it (the name is absolute; a bare IP with
  ``--type PTR`` is turned into its ``in-addr.arpa`` name).  The answer lines
  are dig's ``NAME TTL IN TYPE DATA``; a negative answer is one line
  ``;; status: NXDOMAIN`` or ``;; status: NODATA``.
* With ``--from POD``: what the pod's resolver sends: a ``;; search:`` line
  (its search list, ndots and nameserver), one ``;; query N: FQDN TYPE ->
  STATUS`` line per query in the order sent (``(upstream)`` when the answer
  came from outside the cluster), then the answer lines of the query that
  succeeded, or ``;; status: ...`` if none did.
* Names outside the cluster are answered by a modelled upstream resolver:
  NXDOMAIN unless ``--upstream NAME=ANSWER`` (repeatable; an IP or ``TYPE
  DATA``, e.g. ``www.example.com="CNAME example.com"``) says otherwise.

Exit status 0 when an answer was found, 1 for NXDOMAIN or NODATA, 2 for bad
input (an unknown ``--from`` pod included).

``kubelab resolv-conf POD -f ...`` prints the pod's ``/etc/resolv.conf``
(kubelet's ``DNSConfigForming`` warnings on stderr); a missing pod is
kubectl's NotFound message and status 1.

``-o json`` prints the answer (``name``, ``type``, ``status``, ``answer``,
``additional``), the lookup (``queries`` with each answer) or the resolv.conf
(``nameservers``, ``searches``, ``options``, ``text``, ``warnings``).
"""

from __future__ import annotations

import argparse
import ipaddress
from typing import Any

from ..errors import NotFoundError
from .common import (NOT_FOUND_PREFIX, UsageError, add_filename_option, add_namespace_options, add_output_option,
                     command, emit_warnings, load_cluster, stderr_line)
from .output import print_document, write

__all__ = ["parse_upstream_flags", "answer_text", "lookup_text", "check_name", "TYPES"]

TYPES = ("A", "AAAA", "SRV", "PTR", "CNAME", "TXT")


def parse_upstream_flags(values: list[str]) -> dict[str, list[str]]:
    """``["example.com=1.2.3.4", ...]`` -> ``{"example.com": ["1.2.3.4"]}``."""
    table: dict[str, list[str]] = {}
    for value in values:
        name, sep, answer = value.partition("=")
        if not sep or not name.strip() or not answer.strip():
            raise UsageError(f'--upstream "{value}": expected NAME=ANSWER, e.g. example.com=93.184.215.14')
        table.setdefault(name.strip(), []).append(answer.strip())
    return table


def answer_text(answer: Any) -> str:
    """Answer lines, or ``;; status: NXDOMAIN|NODATA``."""
    if answer.found:
        return "\n".join(answer.lines())
    return f";; status: {answer.status}"


def lookup_text(result: Any) -> str:
    """The search-list expansion of :func:`kubelab.dns.lookup`, one line per query, then the answer."""
    conf = result.resolv_conf
    search = " ".join(conf.searches) or "(none)"
    server = conf.nameservers[0] if conf.nameservers else "(none)"
    lines = [f";; search: {search} (ndots:{conf.ndots}, nameserver {server})"]
    for i, q in enumerate(result.queries, 1):
        where = " (upstream)" if q.answer.source == "upstream" else ""
        lines.append(f";; query {i}: {q.name} {q.type} -> {q.status}{where}")
    lines.extend(result.lines() if result.found else [f";; status: {result.status}"])
    return "\n".join(lines)


def check_name(name: str) -> None:
    """A name dig would send: not empty, labels of 1-63 octets, at most 253 characters (RFC 1035 2.3.4).

    >>> check_name("web.default.svc.cluster.local.")
    >>> check_name("x" * 64)
    Traceback (most recent call last):
    ...
    kubelab.cli.common.UsageError: NAME "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx": is not a legal name (label too long)
    """
    if not name.strip():
        raise UsageError(f'NAME "{name}": an empty name; give the name to look up (e.g. web.default.svc)')
    labels = name[:-1].split(".") if name.endswith(".") and name != "." else name.split(".")
    if any(len(label.encode()) > 63 for label in labels):
        raise UsageError(f'NAME "{name}": is not a legal name (label too long)')
    if name != "." and any(not label for label in labels):
        raise UsageError(f'NAME "{name}": is not a legal name (empty label)')
    if len(name.rstrip(".").encode()) > 253:
        raise UsageError(f'NAME "{name[:40]}...": is not a legal name (longer than 253 characters)')


def _question(name: str, qtype: str) -> str:
    if qtype == "PTR":
        try:
            return ipaddress.ip_address(name).reverse_pointer
        except ValueError:
            pass
    return name


def configure_dns(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME",
                        help="the name to look up (with --from: as the pod's program writes it)")
    add_filename_option(parser)
    parser.add_argument("-t", "--type", dest="qtype", type=str.upper, default="A", choices=TYPES,
                        metavar="|".join(TYPES), help="the record type (default A)")
    parser.add_argument("--from", dest="src", default=None, metavar="POD",
                        help="resolve from inside this pod (NAME or NAMESPACE/NAME): its resolv.conf, search list "
                             "and ndots")
    parser.add_argument("--upstream", action="append", default=[], metavar="NAME=ANSWER",
                        help="what the upstream resolver answers for a name outside the cluster (repeatable; "
                             "default NXDOMAIN)")
    add_output_option(parser)


@command("dns", "ask the cluster DNS (CoreDNS), directly or through a pod's resolver and search list",
         configure_dns)
def run_dns(args: argparse.Namespace) -> int:
    from ..dns import ClusterDNS, lookup

    upstream = parse_upstream_flags(args.upstream)
    check_name(args.name)
    cluster, _ = load_cluster(args)
    if args.src is None:
        answer = ClusterDNS(cluster, upstream).query(_question(args.name, args.qtype), args.qtype)
        if args.output:
            print_document(answer.to_dict(), args.output)
        else:
            write(answer_text(answer))
        return 0 if answer.found else 1
    try:
        pod = cluster.get("pod", args.src, "default")
    except NotFoundError as exc:
        raise UsageError(f'--from "{args.src}": {exc.message}') from None
    result = lookup(cluster, pod, args.name, args.qtype, upstream=upstream)
    emit_warnings(result.resolv_conf.warnings)
    if args.output:
        print_document({"pod": f"{pod.namespace}/{pod.name}", **result.to_dict()}, args.output)
    else:
        write(lookup_text(result))
    return 0 if result.found else 1


def configure_resolv_conf(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pod", metavar="POD", help="NAME or NAMESPACE/NAME")
    add_filename_option(parser)
    add_namespace_options(parser, all_namespaces=False)
    add_output_option(parser)


@command("resolv-conf", "a pod's /etc/resolv.conf, as kubelet writes it for its dnsPolicy", configure_resolv_conf)
def run_resolv_conf(args: argparse.Namespace) -> int:
    from ..dns import pod_resolv_conf

    cluster, _ = load_cluster(args)
    try:
        pod = cluster.get("pod", args.pod, args.namespace or "default")
    except NotFoundError as exc:
        stderr_line(NOT_FOUND_PREFIX + exc.message)
        return 1
    conf = pod_resolv_conf(cluster, pod)
    emit_warnings(conf.warnings)
    if args.output:
        print_document({"pod": f"{pod.namespace}/{pod.name}", **conf.to_dict()}, args.output)
    else:
        write(conf.text())
    return 0
