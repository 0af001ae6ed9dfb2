"""The chapter's Figure 2.9 as data: which CNI plugin has which feature, when, and who says so.

Every value is a :class:`Fact` with its source (a URL, as text) and the date of that source;
a feature can have several facts over time (Figure 2.9 is April 2019; plugins changed since),
and :func:`feature` picks the latest at or before ``as_of``.  ``checked`` says whether the
value was read in the source while writing this module (``False``: from the plugin's docs as
remembered, to be treated with care).

Sources
-------
- A. Ducastel, "Benchmark results of Kubernetes network plugins (CNI) over 10Gbit/s network
  (Updated: April 2019)", ITNEXT, 2019-04-12 -- the chapter's link and its Figure 2.9
  (Kubernetes 1.14; Calico 3.6, Canal 3.6, Cilium 1.4.2, Flannel 0.11, kube-router 0.2.5,
  Weave Net 2.5.1).
- A. Ducastel, the same benchmark "(Updated: August 2020)", ITNEXT, 2020-09-08 (Kubernetes 1.19).
- A. Ducastel, "... over 40Gbit/s network [2024]", ITNEXT, 2024-04-24.
- The chapter's own text ("Flannel does not support network policies; kube-router only
  ingress"; Calico "better performance and less resource consumption" after Ducastel).
- Project sources for later changes: kube-router PR #186 (egress, 2017-10-08), kind v0.24.0
  (kindnet NetworkPolicy, 2024-08-15), Calico's MTU and IPPool reference pages.

Throughput: the April 2019 article (Figure 2.9's source) published charts only, so for 2019
the matrix keeps the article's and the chapter's sentences (or ``None``).  The August 2020 and
2024 runs published their raw results; :mod:`kubelab.cni.plugins.benchmarks` reads them, and
each plugin's default install gets a throughput fact per run whose value is a
:class:`~kubelab.cni.plugins.benchmarks.Measurement` (mean pod-to-pod TCP, one stream, with the
link speed and MTU).  ``choose({"min_tcp_gbit_s": ...})`` filters on it.  Figures from different
benchmarks are not comparable (10 vs 40 Gbit/s links).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from ...errors import KubelabError
from . import benchmarks

__all__ = ["Fact", "Encapsulations", "NATIVE", "MATRIX", "FEATURES", "SOURCES", "feature", "table", "choose",
           "Choice"]

SOURCES = {
    "ducastel-2019": ("https://itnext.io/benchmark-results-of-kubernetes-network-plugins-cni-over-10gbit-s-network-"
                      "36475925a560 (Updated: April 2019)", "2019-04-12"),
    "ducastel-2020": ("https://itnext.io/benchmark-results-of-kubernetes-network-plugins-cni-over-10gbit-s-network-"
                      "updated-august-2020-6e1b757b9e49", "2020-09-08"),
    "ducastel-2024": ("https://itnext.io/benchmark-results-of-kubernetes-network-plugins-cni-over-40gbit-s-network-"
                      "2024-156f085a5e4e", "2024-04-24"),
    "ducastel-2020-data": ("https://github.com/InfraBuilder/benchmark-k8s-cni-2020-08 (raw results, commit d5fa3ef)",
                           "2020-09-10"),
    "ducastel-2024-data": ("https://github.com/InfraBuilder/benchmark-k8s-cni-2024-01 (raw results, commit 3a5c159)",
                           "2024-04-17"),
    "chapter": ("chapter 2, section 'CNI specification and plugins', Figure 2.9 (after Ducastel, April 2019)", "2019-04"),
    "kube-router-pr186": ("https://github.com/cloudnativelabs/kube-router/pull/186 (Network policy egress support)",
                          "2017-10-08"),
    "kind-v0.24.0": ("https://github.com/kubernetes-sigs/kind/releases/tag/v0.24.0 (kindnet network policies, "
                     "kind PR #3612)", "2024-08-15"),
    "calico-mtu": ("https://docs.tigera.io/calico/latest/networking/configuring/mtu", "2025"),
    "calico-ippool": ("https://docs.tigera.io/calico/latest/reference/resources/ippool", "2025"),
    "calico-wireguard": ("https://docs.tigera.io/calico/latest/network-policy/encrypt-cluster-pod-traffic", "2025"),
    "flannel-backends": ("https://github.com/flannel-io/flannel/blob/master/Documentation/backends.md", "2025"),
    "weave-encryption": ("https://www.weave.works/docs/net/latest/concepts/encryption-implementation/", "2019"),
    "weave-mtu": ("https://www.weave.works/docs/net/latest/tasks/manage/fastdp/ (default MTU 1376)", "2019"),
    "cilium-routing": ("https://docs.cilium.io/en/stable/network/concepts/routing/", "2025"),
    "cilium-wireguard": ("https://docs.cilium.io/en/stable/security/network/encryption-wireguard/", "2025"),
    "kube-router-guide": ("https://github.com/cloudnativelabs/kube-router/blob/master/docs/user-guide.md", "2025"),
    "canal-readme": ("https://github.com/projectcalico/canal/blob/master/README.md (Calico policy + flannel VXLAN "
                     "by default; flannel's overlay and non-overlay options)", "2025"),
}

FEATURES = ("policy_ingress", "policy_egress", "encryption", "overlay", "mtu_handling", "throughput")


@dataclass(frozen=True)
class Fact:
    """One value with where and when it was stated."""

    value: Any
    source: str
    date: str
    note: str = ""
    checked: bool = True

    def __str__(self) -> str:
        return f"{_show(self.value)} ({self.source}, {self.date}{'; ' + self.note if self.note else ''})"


#: The mode word for carrying pod packets between nodes as themselves, with no outer header.
NATIVE = "native routing"


@dataclass(frozen=True)
class Encapsulations:
    """How a plugin can carry pod traffic between nodes: its default mode first, then the others it offers.

    A mode is an encapsulation (``"IPIP"``, ``"VXLAN"``, ...) or :data:`NATIVE` (the pod packet
    crosses the node network as itself, routed by BGP, host routes or the cloud), optionally
    followed by how, in parentheses.  :attr:`routes_natively` is what ``choose({"no_overlay": True})``
    asks, and ``str()`` is what the feature matrix displays, so both read the same data.

    >>> e = Encapsulations(("VXLAN", "Geneve", "native routing (routingMode: native)"))
    >>> str(e), e.routes_natively
    ('VXLAN (default); Geneve; native routing (routingMode: native)', True)
    >>> Encapsulations(("VXLAN",)).routes_natively
    False
    """

    modes: tuple[str, ...]
    note: str = ""

    @property
    def default(self) -> str:
        return self.modes[0]

    @property
    def routes_natively(self) -> bool:
        """Whether one of the modes carries pod packets without encapsulation."""
        return any(m == NATIVE or m.startswith(NATIVE + " ") for m in self.modes)

    def __str__(self) -> str:
        shown = [f"{self.modes[0]} (default)", *self.modes[1:]] if len(self.modes) > 1 else list(self.modes)
        return "; ".join(shown) + (f"; {self.note}" if self.note else "")


def _f(value: Any, src: str, note: str = "", checked: bool = True) -> Fact:
    url, date = SOURCES[src]
    return Fact(value, url, date, note, checked)


_NA = "not transcribed: see the article's charts"

#: plugin -> feature -> facts, oldest first
MATRIX: dict[str, dict[str, list[Fact]]] = {
    "calico": {
        "policy_ingress": [_f(True, "chapter")],
        "policy_egress": [_f(True, "chapter")],
        "encryption": [_f(None, "chapter", "Figure 2.9: no encryption"),
                       _f("WireGuard", "calico-wireguard", "WireGuard node-to-node encryption", checked=False)],
        "overlay": [_f(Encapsulations(("IPIP", "VXLAN", f"{NATIVE} (BGP)"), "IPIP/VXLAN Always or CrossSubnet"),
                       "calico-ippool", "the calico.yaml manifest's pool: CALICO_IPV4POOL_IPIP=Always")],
        "mtu_handling": [_f("manual", "ducastel-2019", "'Calico still needs to manually customize MTU'"),
                         _f("auto-detected from the host interfaces", "calico-mtu", checked=False)],
        "throughput": [_f("better performance and less resource consumption than most", "chapter",
                          "the chapter's reading of Ducastel 2019")],
    },
    "canal": {
        "policy_ingress": [_f(True, "chapter")],
        "policy_egress": [_f(True, "chapter")],
        "encryption": [_f(None, "chapter")],
        "overlay": [_f(Encapsulations(("VXLAN",)), "ducastel-2019", "'Flannel for network + Calico for firewalling'"),
                    _f(Encapsulations(("VXLAN", f"{NATIVE} (flannel host-gw)")), "canal-readme",
                       "host-gw needs the nodes on one layer-2 network", checked=False)],
        "mtu_handling": [_f("auto (flannel: interface MTU - 50)", "flannel-backends", checked=False)],
        "throughput": [_f(None, "ducastel-2019", _NA)],
    },
    "cilium": {
        "policy_ingress": [_f(True, "chapter")],
        "policy_egress": [_f(True, "chapter")],
        "encryption": [_f("IPsec", "ducastel-2019", "Cilium 1.4.2: IPsec, CBC only (GCM from 1.5)"),
                       _f("IPsec or WireGuard", "cilium-wireguard", checked=False)],
        "overlay": [_f(Encapsulations(("VXLAN", "Geneve", f"{NATIVE} (routingMode: native)")), "cilium-routing",
                       checked=False)],
        "mtu_handling": [_f("auto (tunnel overhead 50 bytes)", "cilium-routing", checked=False)],
        "throughput": [_f("encrypted: slower than Weave Net encrypted", "ducastel-2019",
                          "CBC cannot be offloaded to the NIC")],
    },
    "flannel": {
        "policy_ingress": [_f(False, "chapter"), _f(False, "ducastel-2024", "included 'for comparison' only")],
        "policy_egress": [_f(False, "chapter"), _f(False, "ducastel-2024")],
        "encryption": [_f(None, "ducastel-2019", "'does not support NetworkPolicies, nor encryption'"),
                       _f("WireGuard or IPsec backend", "flannel-backends", checked=False)],
        "overlay": [_f(Encapsulations(("VXLAN", f"{NATIVE} (host-gw)", "UDP")), "flannel-backends", checked=False)],
        "mtu_handling": [_f("auto (interface MTU - 50 for VXLAN)", "flannel-backends", checked=False)],
        "throughput": [_f("one of the fastest and leanest", "ducastel-2019")],
    },
    "kube-router": {
        "policy_ingress": [_f(True, "chapter")],
        "policy_egress": [_f(True, "kube-router-pr186", "merged before the benchmark"),
                          _f(False, "chapter", "Figure 2.9: 'only ingress'; the code had egress since 2017-10"),
                          _f(True, "kube-router-guide", "the network policy controller enforces ingress and egress",
                             checked=False)],
        "encryption": [_f(None, "chapter")],
        "overlay": [_f(Encapsulations((f"{NATIVE} (BGP) in a subnet, IPIP across subnets", "IPIP (--overlay-type=full)",
                                        f"{NATIVE} (BGP) only (--enable-overlay=false)")), "kube-router-guide",
                       checked=False)],
        "mtu_handling": [_f("auto (--auto-mtu, minus IPIP when the overlay is on)", "kube-router-guide",
                            checked=False)],
        "throughput": [_f(None, "ducastel-2019", _NA)],
    },
    "weave": {
        "policy_ingress": [_f(True, "chapter")],
        "policy_egress": [_f(True, "ducastel-2019", "'WeaveNet does now support both Ingress and Egress'")],
        "encryption": [_f("IPsec ESP (fast datapath) / NaCl (sleeve)", "ducastel-2019",
                          "the benchmark's encrypted alternative to Cilium; kinds from Weave's docs")],
        "overlay": [_f(Encapsulations(("VXLAN fast datapath (UDP 6784)", "sleeve (UDP 6783, fallback)")), "weave-encryption",
                       checked=False)],
        "mtu_handling": [_f("fixed default 1376 (WEAVE_MTU)", "weave-mtu", checked=False)],
        "throughput": [_f("lower than in the 2018 run; encrypted: faster than Cilium encrypted", "ducastel-2019")],
    },
    "kindnet": {
        "policy_ingress": [_f(True, "kind-v0.24.0")],
        "policy_egress": [_f(True, "kind-v0.24.0")],
        "encryption": [_f(None, "kind-v0.24.0", "no encryption")],
        "overlay": [_f(Encapsulations((f"{NATIVE} (a route per node via its address, one docker network)",)),
                       "kind-v0.24.0", checked=False)],
        "mtu_handling": [_f("the node's MTU", "kind-v0.24.0", checked=False)],
        "throughput": [_f(None, "kind-v0.24.0", "not benchmarked")],
    },
}

#: benchmark name -> the source key its facts cite
_BENCHMARK_SOURCES = {"ducastel-2020": "ducastel-2020-data", "ducastel-2024": "ducastel-2024-data"}


def _add_measured_throughput() -> None:
    """Append one throughput fact per benchmark with raw data to every plugin it measured."""
    for name, src in _BENCHMARK_SOURCES.items():
        url, date = SOURCES[src]
        measured = {m.plugin: m for m in benchmarks.measurements(name) if m.variant == "default"}
        for plugin, facts in MATRIX.items():
            m = measured.get(plugin)
            if m is None:  # a later benchmark that left the plugin out supersedes older figures
                facts["throughput"].append(Fact(None, url, date, "not tested in this benchmark"))
            else:
                facts["throughput"].append(Fact(m, url, date, f"{m.version}; {benchmarks.benchmark(name)['setup']}"))


_add_measured_throughput()


def _key(date: str) -> tuple[int, ...]:
    parts = [int(p) for p in date.split("-")]
    return tuple(parts + [99] * (3 - len(parts)))  # a bare year counts as its end


def _show(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False or value is None:
        return "no" if value is False else "none"
    return str(value)


def _plugin(name: str) -> dict[str, list[Fact]]:
    try:
        return MATRIX[name]
    except KeyError:
        near = difflib.get_close_matches(name, MATRIX, n=1)
        hint = f' (did you mean "{near[0]}"?)' if near else ""
        raise KubelabError(f'no CNI plugin "{name}" in the feature matrix{hint}: {", ".join(MATRIX)}') from None


def feature(plugin: str, name: str, as_of: str | None = None) -> Fact | None:
    """The latest fact about ``plugin``'s ``name`` dated at or before ``as_of`` (None: latest of all).

    >>> feature("kube-router", "policy_egress", as_of="2019-04").value
    False
    >>> feature("flannel", "policy_ingress").value
    False
    """
    if name not in FEATURES:
        near = difflib.get_close_matches(name, FEATURES, n=1)
        raise KubelabError(f'unknown feature "{name}"' + (f' (did you mean "{near[0]}"?)' if near else "")
                           + f": {', '.join(FEATURES)}")
    facts = _plugin(plugin).get(name, [])
    if as_of is not None:
        facts = [f for f in facts if _key(f.date) <= _key(as_of)]
    return max(facts, key=lambda f: _key(f.date), default=None)


def table(as_of: str | None = None) -> list[dict[str, Any]]:
    """One row per plugin: the value of each feature (latest at ``as_of``), as Figure 2.9 shows it."""
    rows = []
    for plugin in MATRIX:
        row: dict[str, Any] = {"plugin": plugin}
        for name in FEATURES:
            fact = feature(plugin, name, as_of)
            row[name] = fact.value if fact else None
        rows.append(row)
    return rows


@dataclass
class Choice:
    plugin: str
    kept: bool
    reasons: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{'keep' if self.kept else 'drop'} {self.plugin}: " + "; ".join(self.reasons)


_REQUIREMENTS = ("policy_ingress", "policy_egress", "encryption", "no_overlay", "min_tcp_gbit_s", "as_of")


def choose(requirements: dict[str, Any], plugins: list[str] | None = None) -> list[Choice]:
    """Filter plugins by ``requirements``, giving the reason each is kept or dropped.

    Requirements: ``policy_ingress``/``policy_egress`` (True: must enforce), ``encryption``
    (True, or a kind such as ``"WireGuard"`` that the value must mention), ``no_overlay``
    (True: one of the plugin's
    :class:`Encapsulations` modes is :data:`NATIVE` routing, default or not), ``min_tcp_gbit_s`` (the
    latest published pod-to-pod TCP figure must reach it; a plugin without a measured figure at
    that date is dropped), ``as_of`` (a date: judge by what was known then, e.g. ``"2019-04"``
    for Figure 2.9).

    >>> [c.plugin for c in choose({"policy_egress": True, "encryption": True, "as_of": "2019-04"}) if c.kept]
    ['cilium', 'weave']
    """
    unknown = [k for k in requirements if k not in _REQUIREMENTS]
    if unknown:
        near = difflib.get_close_matches(unknown[0], _REQUIREMENTS, n=1)
        raise KubelabError(f'unknown requirement "{unknown[0]}"' + (f' (did you mean "{near[0]}"?)' if near else "")
                           + f": {', '.join(_REQUIREMENTS)}")
    as_of = requirements.get("as_of")
    out = []
    for plugin in plugins or list(MATRIX):
        _plugin(plugin)
        kept, reasons = True, []
        for direction in ("policy_ingress", "policy_egress"):
            if requirements.get(direction):
                fact = feature(plugin, direction, as_of)
                word = direction.split("_")[1]
                if fact is None or not fact.value:
                    kept = False
                    reasons.append(f"no {word} NetworkPolicy" + (f" ({fact.source}, {fact.date})" if fact else
                                                                   " (no fact at that date)"))
                else:
                    reasons.append(f"{word} NetworkPolicy ({fact.source}, {fact.date})")
        want = requirements.get("encryption")
        if want:
            fact = feature(plugin, "encryption", as_of)
            has = fact is not None and fact.value and (want is True or str(want).lower() in str(fact.value).lower())
            if has:
                reasons.append(f"encryption: {fact.value} ({fact.source}, {fact.date})")
            else:
                kept = False
                what = "encryption" if want is True else f"{want} encryption"
                reasons.append(f"no {what}" + (f": {_show(fact.value)} ({fact.source}, {fact.date})" if fact else ""))
        if requirements.get("no_overlay"):
            fact = feature(plugin, "overlay", as_of)
            text = str(fact.value) if fact else ""
            if fact is not None and isinstance(fact.value, Encapsulations) and fact.value.routes_natively:
                reasons.append(f"routes without encapsulation: {text} ({fact.source}, {fact.date})")
            else:
                kept = False
                reasons.append(f"needs an overlay: {text or 'unknown'}"
                               + (f" ({fact.source}, {fact.date})" if fact else ""))
        floor = requirements.get("min_tcp_gbit_s")
        if floor is not None:
            fact = feature(plugin, "throughput", as_of)
            measured = fact.value if fact is not None and isinstance(fact.value, benchmarks.Measurement) else None
            if measured is None:
                kept = False
                reasons.append("no published throughput figure" + (f" as of {as_of}" if as_of else ""))
            elif measured.tcp_pod / 1000 >= float(floor):
                reasons.append(f"throughput {measured} ({fact.source}, {fact.date})")
            else:
                kept = False
                reasons.append(f"throughput below {float(floor):g} Gbit/s: {measured} ({fact.source}, {fact.date})")
        if not reasons:
            reasons.append("no requirement given")
        out.append(Choice(plugin, kept, reasons))
    return out
