"""Which CNI plugin enforces which kind of policy.

NetworkPolicy is an API object: the API server stores it whatever the network plugin,
and only a plugin with a policy agent turns it into filtering.  A cluster on Flannel
accepts every policy and enforces none -- the most common surprise of the topic.

Sources: each project's documentation -- Calico (Felix enforces Kubernetes and Calico
policies), Canal (Flannel networking + Calico's Felix for policy), Cilium (Kubernetes
NetworkPolicy plus its own CiliumNetworkPolicy, not Calico's), Weave Net (weave-npc;
egress rules since 2.4), kube-router (its network policy controller: ingress only in
its first releases, egress since v0.2), Flannel (no policy: its README points to Canal),
the reference ``bridge`` plugin (none), kindnet (kind's kindnetd enforces Kubernetes
NetworkPolicy through kube-network-policies since kind v0.24, 2024).  This table is the
one source: the CNI plugin models (:mod:`kubelab.cni.plugins`) read their ``enforces``
from it.

A plugin registers itself with :func:`register` (one entry per name, no if/elif ladder).

Examples
--------
>>> support("flannel").kubernetes, support("calico").calico
(False, True)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PolicySupport", "register", "support", "POLICY_SUPPORT"]


@dataclass(frozen=True)
class PolicySupport:
    """What ``plugin`` enforces: Kubernetes NetworkPolicy (per direction) and Calico's own policies."""

    plugin: str
    ingress: bool
    egress: bool
    calico: bool
    agent: str
    note: str = ""

    @property
    def kubernetes(self) -> bool:
        return self.ingress or self.egress

    def directions(self) -> tuple[str, ...]:
        return tuple(d for d, on in (("ingress", self.ingress), ("egress", self.egress)) if on)


#: CNI plugin name -> what it enforces of NetworkPolicy.
POLICY_SUPPORT: dict[str, PolicySupport] = {}


def register(s: PolicySupport) -> PolicySupport:
    POLICY_SUPPORT[s.plugin] = s
    return s


register(PolicySupport("calico", True, True, True, "Felix",
                       "Felix programs Kubernetes and Calico policies (Kubernetes ones as knp.default.* at order 1000)"))
register(PolicySupport("canal", True, True, True, "Calico's Felix",
                       "Canal is Flannel for the network and Calico's Felix for policy"))
register(PolicySupport("cilium", True, True, False, "the Cilium agent (eBPF)",
                       "Cilium enforces Kubernetes NetworkPolicy and its own CiliumNetworkPolicy, not Calico policies"))
register(PolicySupport("weave", True, True, False, "weave-npc",
                       "weave-npc enforces Kubernetes NetworkPolicy (egress rules since Weave Net 2.4)"))
register(PolicySupport("kube-router", True, True, False, "kube-router's network policy controller",
                       "kube-router enforces ingress and egress today; its first releases (before v0.2, the "
                       "seed's time) enforced ingress rules only"))
register(PolicySupport("flannel", False, False, False, "none",
                       "Flannel has no policy agent: NetworkPolicy objects are stored by the API server and ignored "
                       "(use Canal, i.e. Flannel + Calico, for policy)"))
register(PolicySupport("bridge", False, False, False, "none",
                       "the reference bridge plugin only wires pods to a Linux bridge: no policy agent"))
register(PolicySupport("kindnet", True, True, False, "kindnetd's kube-network-policies",
                       "kind's kindnetd enforces Kubernetes NetworkPolicy since kind v0.24 (2024), through "
                       "kube-network-policies; older kind clusters enforced none"))


def support(plugin: str) -> PolicySupport:
    """The policy support of ``plugin``; an unknown plugin enforces nothing (and says so)."""
    return POLICY_SUPPORT.get(plugin) or PolicySupport(plugin, False, False, False, "unknown",
                                                f"kubelab knows no policy agent for CNI plugin {plugin!r}")
