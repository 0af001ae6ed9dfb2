"""What a pod's resolver sends: glibc's search-list expansion with ``ndots``.

Upstream: glibc ``resolv/res_query.c`` (``__res_context_search``): the
behaviour of ``getaddrinfo``/``gethostbyname`` in glibc-based images.
For a name with fewer dots than ``ndots`` every search domain is tried first,
in order, and the name as written last; with at least ``ndots`` dots the name
as written goes first, then the search list; a trailing dot means exactly one
query.  NXDOMAIN and NODATA both move on to the next candidate (glibc
remembers a NODATA and reports it at the end); the first answer stops the
search.  A search domain of ``.`` stands for the root and counts as the
as-written query.

This is the DNS-leak lesson of ``ndots:5``: ``example.com`` from a
ClusterFirst pod is first asked as ``example.com.<ns>.svc.cluster.local``,
``example.com.svc.cluster.local`` and ``example.com.cluster.local`` (NXDOMAIN
each, plus any node search domains, which leave the cluster) before
``example.com.``.

Where the queries go: to the first nameserver of the pod's resolv.conf.  The
cluster DNS IP gets :class:`~kubelab.dns.records.ClusterDNS` answers; any other
nameserver (``dnsPolicy: Default``, a hostNetwork pod's fallback) is the
node's resolver, which knows only the modelled upstream -- so such a pod
cannot resolve Service names.

Simplifications: one record type per lookup (``getaddrinfo`` sends A and AAAA
side by side); no retries, timeouts, ``rotate`` or ``attempts``; musl (Alpine)
differs: it stops at the first NODATA and ignores search domains for names
with ``ndots`` or more dots.

Examples
--------
>>> search_order("example.com", ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"], 5)
... # doctest: +NORMALIZE_WHITESPACE
['example.com.default.svc.cluster.local.', 'example.com.svc.cluster.local.', 'example.com.cluster.local.',
 'example.com.']
>>> search_order("a.b.c", ["x"], 2)
['a.b.c.', 'a.b.c.x.']
>>> search_order("db.", ["x"], 5)
['db.']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from .records import Answer, ClusterDNS
from .resolvconf import ResolvConf, pod_resolv_conf

__all__ = ["search_order", "resolve", "lookup", "Lookup", "Query"]


@dataclass
class Query:
    """One query the resolver sent, to which nameserver, and the answer it got."""

    name: str
    type: str
    nameserver: str
    answer: Answer

    @property
    def status(self) -> str:
        return self.answer.status

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "nameserver": self.nameserver, "status": self.status,
                "source": self.answer.source, "answer": [r.to_dict() for r in self.answer.records]}


@dataclass
class Lookup:
    """A whole lookup: every query in the order sent, and the outcome."""

    name: str
    type: str
    resolv_conf: ResolvConf
    queries: list[Query] = field(default_factory=list)
    status: str = "NXDOMAIN"

    @property
    def found(self) -> bool:
        return self.status == "NOERROR"

    @property
    def answer(self) -> Answer | None:
        """The answer that ended the lookup (``None`` if nothing was sent)."""
        for q in self.queries:
            if q.answer.found:
                return q.answer
        return self.queries[-1].answer if self.queries else None

    def lines(self) -> list[str]:
        """The answer lines of the successful query (none if the lookup failed)."""
        return self.answer.lines() if self.found and self.answer else []

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "status": self.status,
                "resolvConf": self.resolv_conf.to_dict(), "queries": [q.to_dict() for q in self.queries],
                "answer": [r.to_dict() for r in (self.answer.records if self.found and self.answer else [])]}


def _candidates(name: str, searches: list[str], ndots: int) -> tuple[list[str], bool]:
    """The full glibc order for ``name`` and whether the as-written query is tried first."""
    if name.endswith("."):
        return [name], True
    dots = name.count(".")
    first = dots >= ndots
    order: list[str] = [name + "."] if first else []
    root_on_list = False
    for dom in searches:
        dom = dom[1:] if dom.startswith(".") else dom
        if not dom:
            root_on_list = True
            if first:
                continue  # already asked as written
            order.append(name + ".")
            continue
        order.append(f"{name}.{dom.rstrip('.')}.")
    if not first and not root_on_list:
        order.append(name + ".")
    return order, first


def search_order(name: str, searches: list[str], ndots: int) -> list[str]:
    """Every query glibc would send for ``name`` if none were answered, in order."""
    return _candidates(name, searches, ndots)[0]


def resolve(name: str, searches: list[str], ndots: int,
            ask: Callable[[str], Answer]) -> tuple[list[tuple[str, Answer]], str]:
    """Run the search with ``ask(fqdn) -> Answer``: ``([(fqdn, answer), ...], final status)``."""
    order, first = _candidates(name, searches, ndots)
    sent: list[tuple[str, Answer]] = []
    first_status: str | None = None
    got_nodata = False
    for i, candidate in enumerate(order):
        answer = ask(candidate)
        sent.append((candidate, answer))
        if answer.found:
            return sent, "NOERROR"
        if name.endswith("."):
            return sent, answer.status
        if i == 0 and first:
            first_status = answer.status
        if answer.status == "NODATA":
            got_nodata = True
    if first_status is not None:
        return sent, first_status
    if got_nodata:
        return sent, "NODATA"
    return sent, sent[-1][1].status if sent else "NXDOMAIN"


def lookup(cluster: Any, pod: Any, name: str, qtype: str = "A", *, upstream: Mapping[str, Any] | None = None,
           resolv_conf: ResolvConf | None = None) -> Lookup:
    """Resolve ``name`` from inside ``pod`` as a glibc resolver would: every query sent, with its answer."""
    conf = resolv_conf if resolv_conf is not None else pod_resolv_conf(cluster, pod)
    qtype = qtype.upper()
    server = ClusterDNS(cluster, upstream)
    nameserver = conf.nameservers[0] if conf.nameservers else "127.0.0.1"
    if nameserver == cluster.settings.cluster_dns:
        def ask(fqdn: str) -> Answer:
            return server.query(fqdn, qtype)
    else:
        def ask(fqdn: str) -> Answer:
            return server.ask_upstream(fqdn, qtype)
    sent, status = resolve(name, conf.searches, conf.ndots, ask)
    return Lookup(name, qtype, conf, [Query(fqdn, qtype, nameserver, a) for fqdn, a in sent], status)
