"""A pod's ``/etc/resolv.conf``, as kubelet composes it for each ``dnsPolicy``.

Upstream: kubernetes/kubernetes ``pkg/kubelet/network/dns/dns.go``
(``GetPodDNS``, ``getPodDNSType``, ``generateSearchesForDNSClusterFirst``,
``appendDNSConfig``, ``mergeDNSOptions``, ``parseResolvConf``,
``formDNSSearchFitsLimits``, ``formDNSNameserversFitsLimits``) and its
``dns_test.go`` (``TestGetPodDNSCustom``, ``TestFormDNSSearchFitsLimits``);
``pkg/apis/core/validation`` (``MaxDNSNameservers`` 3, ``MaxDNSSearchPaths`` 32,
``MaxDNSSearchListChars`` 2048 since ExpandedDNSConfig went GA in v1.28; 6 and
256 before).  The file is written by the container runtime; containerd writes
``search``, then one ``nameserver`` line each, then ``options``.

Policies:

* ``ClusterFirst`` (the default): ``search <ns>.svc.<zone> svc.<zone> <zone>``
  followed by the node's search domains (duplicates dropped),
  ``nameserver <clusterDNS>`` (only that one), ``options ndots:5`` (the node's
  options are dropped).  On a ``hostNetwork`` pod it falls back to ``Default``.
* ``ClusterFirstWithHostNet``: ``ClusterFirst`` whether or not on the host network.
* ``Default``: the node's resolv.conf as kubelet parses it (``--resolv-conf``).
* ``None``: nothing but ``dnsConfig``.
* Then ``dnsConfig`` is merged in: its nameservers and searches are appended
  (duplicates dropped), its options override same-named ones.  Finally the
  limits: the first 3 nameservers; at most 32 search paths and 2048
  characters of search line (cut from the end), with kubelet's
  ``DNSConfigForming`` warning.

The node's resolv.conf (:data:`NODE_RESOLV_CONF`) is modelled on a kind node:
Docker's embedded-DNS file for a user-defined network, with kind pointing it at
the network's gateway: ``nameserver 172.18.0.1``, ``options ndots:0``, no
search domains (Docker copies the host's; a laptop usually has none).  Pass
``node_resolv_conf=`` to model another node.

Simplification: kubelet builds the merged options from a Go map, so their order
in the real file varies from pod to pod; kubelab keeps the existing options'
order and appends new ones.

Examples
--------
>>> from kubelab import Cluster
>>> c = Cluster('''
... apiVersion: v1
... kind: Pod
... metadata: {name: web, namespace: shop}
... spec: {containers: [{name: c, image: nginx}]}
... ''')
>>> print(pod_resolv_conf(c, c.pod("web", "shop")).text(), end="")
search shop.svc.cluster.local svc.cluster.local cluster.local
nameserver 10.96.0.10
options ndots:5
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ResolvConf", "parse_resolv_conf", "pod_dns_type", "pod_resolv_conf", "NODE_RESOLV_CONF",
           "MAX_DNS_NAMESERVERS", "MAX_DNS_SEARCH_PATHS", "MAX_DNS_SEARCH_LIST_CHARS", "DEFAULT_DNS_OPTIONS",
           "GLIBC_DEFAULT_NDOTS", "GLIBC_MAX_NDOTS"]

MAX_DNS_NAMESERVERS = 3
MAX_DNS_SEARCH_PATHS = 32
MAX_DNS_SEARCH_LIST_CHARS = 2048
DEFAULT_DNS_OPTIONS = ("ndots:5",)
#: glibc ``RES_DFLNDOTS`` / ``RES_MAXNDOTS``
GLIBC_DEFAULT_NDOTS = 1
GLIBC_MAX_NDOTS = 15
#: a kind node's /etc/resolv.conf (Docker's embedded DNS on a user-defined network, via the gateway)
NODE_RESOLV_CONF = "nameserver 172.18.0.1\noptions ndots:0\n"


@dataclass
class ResolvConf:
    """A resolver configuration: ``text()`` is the file; ``warnings`` what kubelet reported while forming it."""

    nameservers: list[str] = field(default_factory=list)
    searches: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    policy: str | None = None
    warnings: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = []
        if self.searches:
            lines.append("search " + " ".join(self.searches))
        lines.extend(f"nameserver {ns}" for ns in self.nameservers)
        if self.options:
            lines.append("options " + " ".join(self.options))
        return "".join(line + "\n" for line in lines)

    @property
    def ndots(self) -> int:
        """glibc's ndots: the last ``ndots:N`` option, capped at 15; 1 without one."""
        value = GLIBC_DEFAULT_NDOTS
        for opt in self.options:
            name, _, arg = opt.partition(":")
            if name == "ndots" and arg.isdigit():
                value = min(int(arg), GLIBC_MAX_NDOTS)
        return value

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.policy, "nameservers": list(self.nameservers), "searches": list(self.searches),
                "options": list(self.options), "ndots": self.ndots, "text": self.text(),
                "warnings": list(self.warnings)}


def _append_options(options: list[str], new: list[str]) -> list[str]:
    """kubelet ``appendOptions``: a later option replaces an earlier one of the same name."""
    out = list(options)
    for opt in new:
        key = opt.split(":", 1)[0]
        for i, old in enumerate(out):
            if old.split(":", 1)[0] == key:
                out[i] = opt
                break
        else:
            out.append(opt)
    return out


def parse_resolv_conf(text: str) -> tuple[list[str], list[str], list[str]]:
    """``parseResolvConf``: (nameservers, searches, options); nameservers accumulate, the last ``search``
    line wins (trailing dots trimmed, ``.`` dropped), options merge by name.

    >>> parse_resolv_conf("nameserver 1.2.3.4\\nsearch foo\\nnameserver 5.6.7.8\\nsearch bar\\n"
    ...                   "options ndots:5 attempts:4")
    (['1.2.3.4', '5.6.7.8'], ['bar'], ['ndots:5', 'attempts:4'])
    """
    nameservers: list[str] = []
    searches: list[str] = []
    options: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if line.startswith("#"):
            continue
        fields = line.split()
        if not fields:
            continue
        if fields[0] == "nameserver" and len(fields) >= 2:
            nameservers.append(fields[1])
        elif fields[0] == "search":
            searches = [s.removesuffix(".") for s in fields[1:] if s != "."]
        elif fields[0] == "options":
            options = _append_options(options, fields[1:])
    return nameservers, searches, options


def pod_dns_type(pod: Any) -> str:
    """``getPodDNSType``: ``cluster``, ``host`` or ``none``."""
    policy = pod.spec.dns_policy or "ClusterFirst"
    if policy == "None":
        return "none"
    if policy == "ClusterFirstWithHostNet":
        return "cluster"
    if policy == "ClusterFirst" and not pod.spec.host_network:
        return "cluster"
    return "host"  # Default, and ClusterFirst on the host network


def _dedup(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _merge_options(existing: list[str], extra: list[Any]) -> list[str]:
    """``mergeDNSOptions``: options from ``dnsConfig`` override same-named ones (order: see module notes)."""
    merged: dict[str, str] = {}
    for op in existing:
        name, sep, value = op.partition(":")
        merged[name] = value if sep else ""
    for op in extra:
        merged[op.name] = op.value if op.value is not None else ""
    return [f"{k}:{v}" if v != "" else k for k, v in merged.items()]


def _fit_searches(searches: list[str], warnings: list[str]) -> list[str]:
    exceeded = False
    if len(searches) > MAX_DNS_SEARCH_PATHS:
        searches, exceeded = searches[:MAX_DNS_SEARCH_PATHS], True
    length = len(" ".join(searches))
    if length > MAX_DNS_SEARCH_LIST_CHARS:
        cut, cut_len = 0, 0
        for s in reversed(searches):
            cut_len += len(s) + 1
            cut += 1
            if length - cut_len <= MAX_DNS_SEARCH_LIST_CHARS:
                break
        searches, exceeded = searches[: len(searches) - cut], True
    if exceeded:
        warnings.append("DNSConfigForming: Search Line limits were exceeded, some search paths have been omitted, "
                        "the applied search line is: " + " ".join(searches))
    return searches


def _fit_nameservers(nameservers: list[str], warnings: list[str]) -> list[str]:
    if len(nameservers) > MAX_DNS_NAMESERVERS:
        nameservers = nameservers[:MAX_DNS_NAMESERVERS]
        warnings.append("DNSConfigForming: Nameserver limits were exceeded, some nameservers have been omitted, "
                        "the applied nameserver line is: " + " ".join(nameservers))
    return nameservers


def pod_resolv_conf(cluster: Any, pod: Any, node_resolv_conf: str | None = None) -> ResolvConf:
    """``GetPodDNS``: the resolv.conf of ``pod`` in ``cluster`` (node file: :data:`NODE_RESOLV_CONF`)."""
    host_ns, host_search, host_opts = parse_resolv_conf(NODE_RESOLV_CONF if node_resolv_conf is None
                                                        else node_resolv_conf)
    kind = pod_dns_type(pod)
    warnings: list[str] = []
    if kind == "none":
        nameservers, searches, options = [], [], []
    elif kind == "cluster":
        domain = cluster.settings.cluster_domain
        nameservers = [cluster.settings.cluster_dns]
        searches = _dedup([f"{pod.namespace}.svc.{domain}", f"svc.{domain}", domain, *host_search])
        options = list(DEFAULT_DNS_OPTIONS)
    else:
        nameservers, searches, options = host_ns, host_search, host_opts
    cfg = pod.spec.dns_config
    if cfg is not None:
        nameservers = _dedup([*nameservers, *cfg.nameservers])
        searches = _dedup([*searches, *cfg.searches])
        options = _merge_options(options, cfg.options)
    nameservers = _fit_nameservers(nameservers, warnings)
    searches = _fit_searches(searches, warnings)
    return ResolvConf(nameservers, searches, options, pod.spec.dns_policy or "ClusterFirst", warnings)
