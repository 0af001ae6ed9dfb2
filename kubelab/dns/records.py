"""The cluster DNS: what CoreDNS's ``kubernetes`` plugin answers, under kubeadm's Corefile.

Upstream: kubernetes/dns ``docs/specification.md`` (schema 1.1.0);
coredns/coredns at 4b26cced ``plugin/kubernetes/{kubernetes.go,parse.go,
handler.go,reverse.go,ns.go}``, ``plugin/kubernetes/object/{endpoint.go,
service.go,pod.go}`` and ``plugin/backend_lookup.go`` (``A``, ``AAAA``,
``SRV``, ``CNAME``, ``PTR``, ``TXT``); kubeadm's Corefile::

    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    forward . /etc/resolv.conf

What is answered, as CoreDNS answers it:

* ``<svc>.<ns>.svc.<zone>``: A/AAAA with the ClusterIP(s) of a ClusterIP
  Service (any ports); for a headless Service one record per *ready* address
  of its EndpointSlices (``publishNotReadyAddresses`` makes the controller
  mark every address ready), NXDOMAIN when there is none; a CNAME to
  ``externalName`` for an ExternalName Service, followed inside the zone or
  asked upstream outside it.
* ``<endpoint>.<svc>.<ns>.svc.<zone>``: the endpoint's address, where the
  endpoint's name is its ``hostname`` or else its dashed IP
  (``10-244-1-5``; IPv6 ``:`` -> ``-``).  CoreDNS answers these for
  ClusterIP Services too, not only headless ones (the spec requires only the
  headless ``hostname`` form).
* ``_<port>._<proto>.<svc>.<ns>.svc.<zone>`` SRV: priority 0, weight
  ``floor(100/N)`` (at least 1) where N counts every (address, port) pair
  found before duplicates are removed, the port, and the target
  ``<svc>.<ns>.svc.<zone>.`` (ClusterIP) or ``<endpoint>.<svc>...``
  (headless); the targets' addresses go to the additional section.  An SRV
  query for the bare Service name lists every port, named or not.
* PTR for a ClusterIP (the first Service that has it) or else for every ready
  endpoint address of any Service (``<endpoint>.<svc>.<ns>.svc.<zone>.``;
  the spec requires only headless endpoints with a hostname).  An address
  the cluster does not know falls through to the upstream resolver.
* ``<a>-<b>-<c>-<d>.<ns>.pod.<zone>``: pod records per the cluster's
  ``dns_pods`` (``pods insecure`` answers any well-formed IP in an existing
  namespace; ``verified`` only a pod's IP in that namespace; ``disabled``
  NXDOMAIN).  These are the spec's §2.6 "deprecated records".
* ``dns-version.<zone>`` TXT ``"1.1.0"`` (TTL 28800); every other TXT question
  in the zone is NODATA, even for names that do not exist (the plugin never
  looks them up).
* ``ns.dns.<zone>`` A: the kube-dns Service's ClusterIP; NS at the apex:
  ``kube-dns.kube-system.svc.<zone>.``.
* Names are case-insensitive (the answer keeps the question's spelling); TTL
  30 (kubeadm's ``ttl 30``; the plugin's default is 5, :data:`PLUGIN_DEFAULT_TTL`).
* NXDOMAIN for a name that does not exist (unknown Service or namespace, a
  label other than ``svc``/``pod``, too many labels); NODATA (NOERROR, no
  answer) for a name that exists without that type (AAAA of an IPv4
  Service, ``<ns>.svc.<zone>``, the zone apex).

No network: names outside the zone go to the modelled upstream resolver (what
``forward . /etc/resolv.conf`` reaches): NXDOMAIN unless the ``upstream``
table given to :class:`ClusterDNS` (or set as ``cluster.upstream``) answers
them.  Its values are an IP or a list of IPs, or ``"TYPE DATA"`` strings
(``"CNAME www.example.net."``, ``'TXT "hello"'``).  Upstream answers get TTL
30, the ``cache 30`` ceiling.

Simplifications: ``loadbalance`` (random rotation of A records) is left out:
answers come in EndpointSlice order; SOA serials are 1 (CoreDNS uses the time
of the last change); ``autopath``, ``ignore empty_service``, ``endpoint_pod_names``,
multicluster and zonal names are not modelled.

Examples
--------
>>> from kubelab import Cluster
>>> dns = ClusterDNS(Cluster())
>>> print("\\n".join(dns.query("kubernetes.default.svc.cluster.local").lines()))
kubernetes.default.svc.cluster.local. 30 IN A 10.96.0.1
>>> print("\\n".join(dns.query("_https._tcp.kubernetes.default.svc.cluster.local", "SRV").lines()))
_https._tcp.kubernetes.default.svc.cluster.local. 30 IN SRV 0 100 443 kubernetes.default.svc.cluster.local.
>>> dns.query("nope.default.svc.cluster.local").status
'NXDOMAIN'
"""

from __future__ import annotations

import functools
import ipaddress
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..util.views import view
from ..errors import KubelabError

__all__ = ["ClusterDNS", "Record", "Answer", "query", "dns_for", "SCHEMA_VERSION", "TTL", "PLUGIN_DEFAULT_TTL",
           "DNS_VERSION_TTL", "UPSTREAM_TTL", "QTYPES", "endpoint_hostname", "reverse_name", "parse_upstream"]

SCHEMA_VERSION = "1.1.0"
#: kubeadm's Corefile ``ttl 30``.
TTL = 30
#: the plugin's ``defaultTTL`` without a ``ttl`` line.
PLUGIN_DEFAULT_TTL = 5
DNS_VERSION_TTL = 28800
#: answers from upstream pass through ``cache 30``.
UPSTREAM_TTL = 30
#: the types the model answers; any other type gets CoreDNS's NXDOMAIN/NODATA decision (its "fake A lookup").
QTYPES = ("A", "AAAA", "SRV", "PTR", "CNAME", "TXT", "NS", "SOA", "MX")
REVERSE_ZONES = ("in-addr.arpa.", "ip6.arpa.")
_MAX_CNAME_CHAIN = 10
_NX = "NXDOMAIN"


@dataclass(frozen=True)
class Record:
    """One resource record; ``line()`` is dig's answer line with single spaces."""

    name: str
    ttl: int
    type: str
    data: str

    def line(self) -> str:
        return f"{self.name} {self.ttl} IN {self.type} {self.data}"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ttl": self.ttl, "class": "IN", "type": self.type, "data": self.data}

    def __str__(self) -> str:
        return self.line()


@dataclass
class Answer:
    """A DNS response: ``rcode`` ``NOERROR`` or ``NXDOMAIN``; ``status`` adds ``NODATA`` (NOERROR, no answer)."""

    name: str
    type: str
    rcode: str
    records: list[Record] = field(default_factory=list)
    extra: list[Record] = field(default_factory=list)
    source: str = "cluster"  # "cluster" (CoreDNS kubernetes plugin) or "upstream"

    @property
    def status(self) -> str:
        if self.rcode == "NOERROR" and not self.records:
            return "NODATA"
        return self.rcode

    @property
    def found(self) -> bool:
        return bool(self.records)

    def lines(self) -> list[str]:
        return [r.line() for r in self.records]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "rcode": self.rcode, "status": self.status,
                "source": self.source, "answer": [r.to_dict() for r in self.records],
                "additional": [r.to_dict() for r in self.extra]}


# ---------------------------------------------------------------- helpers
def _fqdn(name: str) -> str:
    return name if name.endswith(".") else name + "."


def _in_zone(lname: str, zone: str) -> bool:
    return lname == zone or lname.endswith("." + zone)


@functools.lru_cache(maxsize=1 << 16)
def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def endpoint_hostname(ip: str, hostname: str | None) -> str:
    """CoreDNS ``endpointHostname``: the hostname, else the IP with ``.`` (or ``:``) as ``-``.

    >>> endpoint_hostname("10.244.1.5", None), endpoint_hostname("fd00::", None), endpoint_hostname("1.2.3.4", "web-0")
    ('10-244-1-5', 'fd00--0', 'web-0')
    """
    if hostname:
        return hostname
    if "." in ip:
        return ip.replace(".", "-")
    if ":" in ip:
        name = ip.replace(":", "-")
        return name + "0" if name.endswith("-") else name
    return ""


def reverse_name(ip: str) -> str:
    """``10.96.0.1`` -> ``1.0.96.10.in-addr.arpa.`` (nibbles under ``ip6.arpa.`` for IPv6)."""
    return ipaddress.ip_address(ip).reverse_pointer + "."


def _address_from_reverse(lname: str) -> str | None:
    """``dnsutil.ExtractAddressFromReverse``: the address a full reverse name stands for, else ``None``."""
    if lname.endswith(".in-addr.arpa."):
        parts = lname[: -len(".in-addr.arpa.")].split(".")
        if len(parts) != 4:
            return None
        ip = _ip(".".join(reversed(parts)))
    elif lname.endswith(".ip6.arpa."):
        nibbles = lname[: -len(".ip6.arpa.")].split(".")
        if len(nibbles) != 32 or any(len(n) != 1 for n in nibbles):
            return None
        hexes = "".join(reversed(nibbles))
        ip = _ip(":".join(hexes[i:i + 4] for i in range(0, 32, 4)))
    else:
        return None
    return str(ip) if ip is not None else None


def _norm_ip(text: str) -> str:
    if ":" not in text:
        return text  # an IPv4 address in the API is already in dotted-quad form
    ip = _ip(text)
    return str(ip) if ip is not None else text


def _match(a: str, b: str) -> bool:
    return a == b or a.lower() == b.lower()


def _match_port_proto(q_port: str, port_name: str, q_proto: str, proto: str) -> bool:
    """``matchPortAndProtocol``: an empty query side matches anything."""
    return (not q_port or _match(q_port, port_name)) and (not q_proto or _match(q_proto, proto))


def parse_upstream(table: Mapping[str, Any] | None) -> dict[str, list[tuple[str, str]]]:
    """Normalise an upstream table: lower-case FQDN -> ``[(TYPE, DATA), ...]``.

    >>> parse_upstream({"Example.com": ["93.184.215.14", "2606:2800::1"], "www.example.com": "CNAME example.com"})
    ... # doctest: +NORMALIZE_WHITESPACE
    {'example.com.': [('A', '93.184.215.14'), ('AAAA', '2606:2800::1')],
     'www.example.com.': [('CNAME', 'example.com.')]}
    """
    out: dict[str, list[tuple[str, str]]] = {}
    for name, value in (table or {}).items():
        items = [value] if isinstance(value, str) else list(value)
        rrs = []
        for item in items:
            item = str(item).strip()
            ip = _ip(item)
            if ip is not None:
                rrs.append(("A" if ip.version == 4 else "AAAA", str(ip)))
                continue
            rtype, _, data = item.partition(" ")
            rtype, data = rtype.upper(), data.strip()
            if not data:
                raise KubelabError(f'upstream answer for "{name}": "{item}" is neither an IP nor "TYPE DATA"')
            if rtype in ("CNAME", "PTR", "NS"):
                data = _fqdn(data)
            rrs.append((rtype, data))
        out[_fqdn(name.lower())] = rrs
    return out


# ---------------------------------------------------------------- the index
@dataclass(frozen=True)
class _Endpoint:
    ip: str
    hostname: str | None
    ports: tuple[tuple[str, int, str], ...]  # (name, port, protocol); (("", -1, ""),) when the slice has none


@dataclass
class _Hit:
    """CoreDNS's ``msg.Service``: a host (IP or name), a port and the name it is known by (SRV target)."""

    host: str
    port: int
    target: str


class _Index:
    """What CoreDNS's informers hold: Services by name and IP, ready endpoints by Service and IP, pods by IP."""

    def __init__(self, cluster: Any):
        self.zone = _fqdn(cluster.settings.cluster_domain.lower())
        self.dns_pods = cluster.settings.dns_pods
        self.namespaces = {ns.name for ns in cluster.list("namespace")}
        self.services: dict[tuple[str, str], Any] = {}
        self.svc_by_ip: dict[str, list[Any]] = {}
        for svc in cluster.services():
            self.services[(svc.namespace, svc.name.lower())] = svc
            for ip in svc.spec.cluster_ips or ([svc.spec.cluster_ip] if svc.spec.cluster_ip else []):
                if ip != "None":
                    self.svc_by_ip.setdefault(_norm_ip(ip), []).append(svc)
        self.endpoints: dict[tuple[str, str], list[_Endpoint]] = {}
        self.ep_by_ip: dict[str, list[tuple[str, str, _Endpoint]]] = {}
        for sl in cluster.endpoint_slices(namespace=None):
            svc_name = sl.service_name
            if not svc_name:
                continue
            ports = tuple((p.name or "", p.port if p.port is not None else -1, p.protocol or "")
                          for p in sl.ports) or (("", -1, ""),)
            for ep in sl.endpoints:
                if ep.conditions.ready is False:  # nil means ready (endpointsliceReady)
                    continue
                for addr in ep.addresses:
                    e = _Endpoint(addr, ep.hostname, ports)
                    self.endpoints.setdefault((sl.namespace, svc_name.lower()), []).append(e)
                    self.ep_by_ip.setdefault(_norm_ip(addr), []).append((sl.namespace, svc_name, e))
        self.pods_by_ip: dict[str, list[Any]] = {}
        for pod in cluster.pods():
            if pod.status.pod_ip and not pod.metadata.extra.get("deletionTimestamp"):
                self.pods_by_ip.setdefault(pod.status.pod_ip, []).append(pod)
        dns_svc = self.services.get(("kube-system", "kube-dns"))
        self.ns_ips = [ip for ip in (dns_svc.spec.cluster_ips if dns_svc else []) if ip != "None"]

    def service_domain(self, svc: Any) -> str:
        return f"{svc.name}.{svc.namespace}.svc.{self.zone}"


def _index_for(cluster: Any) -> _Index:
    """The index of the cluster's current revision (:func:`kubelab.util.views.view`)."""
    return view(cluster, "dns.records", _Index)


# ---------------------------------------------------------------- the server
class ClusterDNS:
    """CoreDNS in front of ``cluster`` (the ``kube-dns`` Service's answers), plus a modelled upstream.

    The index of Services, EndpointSlices and pods is built on the first query
    and rebuilt after any change to the cluster, as CoreDNS's informers follow
    the API server.
    """

    def __init__(self, cluster: Any, upstream: Mapping[str, Any] | None = None, *, ttl: int = TTL):
        self.cluster = cluster
        if upstream is None:
            upstream = getattr(cluster, "upstream", None)
        self.upstream = parse_upstream(upstream)
        self.ttl = ttl

    @property
    def index(self) -> _Index:
        return _index_for(self.cluster)

    # -- the public entry points
    def query(self, name: str, qtype: str = "A") -> Answer:
        """Ask the cluster DNS (``dig @10.96.0.10 NAME TYPE``): ``name`` is taken as absolute."""
        qtype = qtype.upper()
        if not qtype.isalnum():
            raise KubelabError(f'--type: invalid record type "{qtype}"')
        qname = _fqdn(name)
        lname = qname.lower()
        ix = self.index
        if _in_zone(lname, ix.zone):
            return self._serve(ix, qname, lname, qtype)
        for rz in REVERSE_ZONES:
            if _in_zone(lname, rz):
                if qtype == "PTR":
                    answer = self._reverse(ix, qname, lname)
                    if answer is not None:
                        return answer
                break  # fallthrough in-addr.arpa ip6.arpa: the forward plugin asks upstream
        return self.ask_upstream(qname, qtype)

    def ask_upstream(self, name: str, qtype: str = "A") -> Answer:
        """What the upstream resolver (the node's) answers: the ``upstream`` table, else NXDOMAIN."""
        qname = _fqdn(name)
        records: list[Record] = []
        current, seen = qname, set()
        rcode = "NOERROR"
        while True:
            rrs = self.upstream.get(current.lower())
            if rrs is None:
                if current == qname:
                    rcode = _NX
                break
            matched = [Record(current, UPSTREAM_TTL, t, d) for t, d in rrs if t == qtype]
            if matched:
                records.extend(matched)
                break
            cnames = [d for t, d in rrs if t == "CNAME"]
            if not cnames or qtype == "CNAME" or current.lower() in seen or len(seen) > _MAX_CNAME_CHAIN:
                break
            seen.add(current.lower())
            records.append(Record(current, UPSTREAM_TTL, "CNAME", cnames[0]))
            current = cnames[0]
        return Answer(qname, qtype, rcode, records, source="upstream")

    # -- the kubernetes plugin (handler.go ServeDNS)
    def _serve(self, ix: _Index, qname: str, lname: str, qtype: str) -> Answer:
        records: list[Record] = []
        extra: list[Record] = []
        err: str | None = None
        if qtype in ("A", "AAAA"):
            records, err = self._address(ix, qname, lname, qtype, [])
        elif qtype == "TXT":
            records = self._txt(ix, qname, lname)
        elif qtype == "CNAME":
            hits, err = self._services(ix, lname, qtype)
            if hits and _ip(hits[0].host) is None:
                records = [Record(qname, self.ttl, "CNAME", _fqdn(hits[0].host))]
        elif qtype == "SRV":
            records, extra, err = self._srv(ix, qname, lname)
        elif qtype == "PTR":
            _, err = self._records(ix, lname)  # a forward name: no PTR, but NXDOMAIN if it does not exist
        elif qtype == "NS" and lname == ix.zone:
            for ip in ix.ns_ips:
                target = f"kube-dns.kube-system.svc.{ix.zone}"
                records.append(Record(qname, self.ttl, "NS", target))
                extra.append(Record(target, self.ttl, "A" if ":" not in ip else "AAAA", ip))
        elif qtype == "SOA":
            if lname == ix.zone:
                records = [self._soa(ix, qname)]
        elif qtype == "MX":
            _, err = self._services(ix, lname, qtype)
        else:  # a fake A lookup decides between NXDOMAIN and NODATA
            _, err = self._address(ix, qname, lname, "A", [])
        if err:
            return Answer(qname, qtype, _NX)
        return Answer(qname, qtype, "NOERROR", records, extra)

    def _soa(self, ix: _Index, qname: str) -> Record:
        return Record(qname if qname.lower() == ix.zone else ix.zone, self.ttl, "SOA",
                      f"ns.dns.{ix.zone} hostmaster.{ix.zone} 1 7200 1800 86400 {self.ttl}")

    def _txt(self, ix: _Index, qname: str, lname: str) -> list[Record]:
        if lname == f"dns-version.{ix.zone}":
            return [Record(qname, DNS_VERSION_TTL, "TXT", f'"{SCHEMA_VERSION}"')]
        return []  # Services() answers nothing else for TXT: NODATA, never NXDOMAIN

    def _services(self, ix: _Index, lname: str, qtype: str) -> tuple[list[_Hit], str | None]:
        """``Kubernetes.Services``: the ``ns.dns`` name, else ``Records``; SRV drops ExternalName hits."""
        if lname == f"ns.dns.{ix.zone}":
            family = {"A": 4, "AAAA": 6}.get(qtype)
            return [_Hit(ip, 0, lname) for ip in ix.ns_ips if family and _ip(ip).version == family], None
        hits, err = self._records(ix, lname)
        if qtype == "SRV":
            hits = [h for h in hits if _ip(h.host) is not None]
        return hits, err

    def _records(self, ix: _Index, lname: str) -> tuple[list[_Hit], str | None]:
        """``parseRequest`` + ``Records``: the hits for a name in the zone, or the NXDOMAIN error."""
        base = lname[: -len(ix.zone)].rstrip(".") if lname != ix.zone else ""
        if base in ("", "svc", "pod"):
            return [], None  # the apex, svc.<zone>, pod.<zone>: NODATA
        segs = base.split(".")
        kind = segs[-1]
        if kind not in ("svc", "pod"):
            return [], _NX
        namespace = segs[-2]
        service = segs[-3] if len(segs) >= 3 else ""
        rest = segs[:-3]
        endpoint = port = proto = ""
        if len(rest) == 1:
            endpoint = rest[0]
        elif len(rest) == 2:
            port, proto = rest[0].removeprefix("_"), rest[1].removeprefix("_")
        elif len(rest) > 2:
            return [], _NX  # too long to be anything
        if namespace not in ix.namespaces:
            return [], _NX
        if kind == "pod":
            return self._pods(ix, namespace, service)
        return self._find_services(ix, namespace, service, endpoint, port, proto)

    def _pods(self, ix: _Index, namespace: str, podname: str) -> tuple[list[_Hit], str | None]:
        """``findPods`` under ``pods insecure|verified|disabled``."""
        if ix.dns_pods == "disabled":
            return [], _NX
        if not podname:
            return [], None
        if podname.count("-") == 3 and "--" not in podname:
            ip = podname.replace("-", ".")
        else:
            ip = podname.replace("-", ":")
        target = f"{podname}.{namespace}.pod.{ix.zone}"
        if ix.dns_pods == "insecure":
            return ([_Hit(ip, 0, target)], None) if _ip(ip) is not None else ([], _NX)
        hits = [_Hit(ip, 0, target) for p in ix.pods_by_ip.get(ip, []) if _match(namespace, p.namespace)]
        return hits, (None if hits else _NX)

    def _find_services(self, ix: _Index, namespace: str, service: str, endpoint: str, port: str,
                       proto: str) -> tuple[list[_Hit], str | None]:
        """``findServices``: ClusterIP, headless (and endpoint) and ExternalName answers."""
        if not service:
            return [], None
        svc = ix.services.get((namespace, service))
        if svc is None:
            return [], _NX
        domain = ix.service_domain(svc)
        if svc.spec.type == "ExternalName":
            if endpoint or port or proto:
                return [], _NX
            target = (svc.spec.external_name or "").rstrip(".")
            if target and _ip(target) is None:
                return [_Hit(target, 0, domain)], None
            return [], _NX
        err: str | None = _NX
        hits: list[_Hit] = []
        if svc.spec.cluster_ip == "None" or endpoint:
            for ep in ix.endpoints.get((svc.namespace, svc.name.lower()), []):
                name = endpoint_hostname(ep.ip, ep.hostname)
                if endpoint and not _match(endpoint, name):
                    continue
                for pname, pnum, pproto in ep.ports:
                    if _match_port_proto(port, pname, proto, pproto):
                        hits.append(_Hit(ep.ip, pnum, f"{name}.{domain}"))
                        err = None
            return hits, err
        ports = [(p.name or "", p.port, p.protocol or "TCP") for p in svc.spec.ports] or [("", -1, "")]
        ips = svc.spec.cluster_ips or [svc.spec.cluster_ip]
        for pname, pnum, pproto in ports:
            if not _match_port_proto(port, pname, proto, pproto):
                continue
            err = None
            hits.extend(_Hit(ip, pnum, domain) for ip in ips)
        return hits, err

    def _address(self, ix: _Index, qname: str, lname: str, qtype: str,
                 previous: list[Record]) -> tuple[list[Record], str | None]:
        """``plugin.A`` / ``plugin.AAAA``: addresses of the family, CNAMEs followed in the zone or upstream."""
        hits, err = self._services(ix, lname, qtype)
        if err:
            return [], err
        want = 4 if qtype == "A" else 6
        records: list[Record] = []
        seen: set[str] = set()
        for hit in hits:
            ip = _ip(hit.host)
            if ip is None:
                target = _fqdn(hit.host)
                ltarget = target.lower()
                if _in_zone(ltarget, lname):
                    continue  # x CNAME x (or a name below x) is a loop
                cname = Record(qname, self.ttl, "CNAME", target)
                if len(previous) > _MAX_CNAME_CHAIN or any(r.data.lower() == ltarget for r in previous):
                    continue
                if _in_zone(ltarget, ix.zone):
                    nested, nested_err = self._address(ix, target, ltarget, qtype, [*previous, cname])
                    if not nested_err and nested:
                        records.extend([cname, *nested])
                    continue
                records.append(cname)
                records.extend(self.ask_upstream(target, qtype).records)
                continue
            if ip.version == want and hit.host not in seen:
                seen.add(hit.host)
                records.append(Record(qname, self.ttl, qtype, str(ip)))
        return records, None

    def _srv(self, ix: _Index, qname: str, lname: str) -> tuple[list[Record], list[Record], str | None]:
        """``plugin.SRV``: priority 0, weight floor(100/N) (N = hits before de-duplication), extra addresses."""
        hits, err = self._services(ix, lname, "SRV")
        if err:
            return [], [], err
        total = 100 * len(hits)
        records: list[Record] = []
        extra: list[Record] = []
        seen: set[tuple[str, str, int]] = set()
        for hit in hits:
            if hit.port == -1:
                continue
            weight = max(1, math.floor(100.0 / total * 100))
            target = _fqdn(hit.target)
            if (target, "", hit.port) not in seen:
                seen.add((target, "", hit.port))
                records.append(Record(qname, self.ttl, "SRV", f"0 {weight} {hit.port} {target}"))
            if (target, hit.host, 0) not in seen:
                seen.add((target, hit.host, 0))
                ip = _ip(hit.host)
                extra.append(Record(target, self.ttl, "A" if ip.version == 4 else "AAAA", str(ip)))
        return records, extra, None

    def _reverse(self, ix: _Index, qname: str, lname: str) -> Answer | None:
        """``Reverse`` / ``serviceRecordForIP``: a ClusterIP first, else ready endpoints; ``None`` falls through."""
        ip = _address_from_reverse(lname)
        if ip is None:
            return None
        names: list[str] = []
        services = ix.svc_by_ip.get(ip, [])
        if services:
            names.append(ix.service_domain(services[0]))
        else:
            for namespace, svc_name, ep in ix.ep_by_ip.get(ip, []):
                names.append(f"{endpoint_hostname(ep.ip, ep.hostname)}.{svc_name}.{namespace}.svc.{ix.zone}")
        names = list(dict.fromkeys(names))
        if not names:
            return None
        return Answer(qname, "PTR", "NOERROR", [Record(qname, self.ttl, "PTR", n) for n in names])


def dns_for(cluster: Any, upstream: Mapping[str, Any] | None = None) -> ClusterDNS:
    """A :class:`ClusterDNS` for ``cluster`` (the index is shared per cluster and follows its changes)."""
    return ClusterDNS(cluster, upstream)


def query(cluster: Any, name: str, qtype: str = "A", *, upstream: Mapping[str, Any] | None = None) -> Answer:
    """One question to the cluster DNS; see :meth:`ClusterDNS.query`."""
    return ClusterDNS(cluster, upstream).query(name, qtype)
