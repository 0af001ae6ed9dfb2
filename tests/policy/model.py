"""The e2e model of ``test/e2e/network/netpol``: namespaces x, y, z, each with pods a, b, c.

Every pod serves ports 80 and 81 over TCP and UDP, the ports named
``serve-<port>-<proto>`` as upstream's ``kubeManager`` names them; pods carry the label
``pod: <name>``, namespaces the automatic ``kubernetes.io/metadata.name``.
:class:`Expect` mirrors upstream's ``Reachability`` (``ExpectPeer``,
``ExpectAllIngress``, ``ExpectAllEgress``, ``Expect``), loopback ignored as upstream does.
"""

from __future__ import annotations

import itertools

from kubelab import Cluster
from tests import factories

NAMESPACES = ("x", "y", "z")
PODS = ("a", "b", "c")
ALL = [f"{ns}/{p}" for ns in NAMESPACES for p in PODS]


def pod(ns: str, name: str, extra_labels: dict | None = None) -> dict:
    ports = [{"name": f"serve-{n}-{proto.lower()}", "containerPort": n, "protocol": proto}
             for n in (80, 81) for proto in ("TCP", "UDP")]
    return factories.pod(name, namespace=ns, labels={"pod": name, **(extra_labels or {})}, container="cont",
                         image="agnhost", ports=ports)


def cluster(*policies: dict, cni: str = "calico", extra: list | None = None, pods=ALL) -> Cluster:
    """The model with ``pods`` (``ns/name``; upstream creates only the pods a case needs) and ``policies``."""
    objs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}} for ns in NAMESPACES]
    objs += [pod(*p.split("/")) for p in pods]
    return Cluster(objs + list(extra or []) + list(policies), cni=cni)


def netpol(name: str, ns: str, pod_selector: dict | None = None, ingress=None, egress=None,
           types: list[str] | None = None) -> dict:
    spec: dict = {"podSelector": pod_selector or {}}
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    if types is not None:
        spec["policyTypes"] = types
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def ns_sel(ns: str) -> dict:
    return {"matchLabels": {"kubernetes.io/metadata.name": ns}}


class Expect:
    """Upstream's ``Reachability``: start all-true, then carve expectations."""

    def __init__(self, pods=ALL):
        self.pods = list(pods)
        self.table = {(s, d): True for s, d in itertools.product(self.pods, self.pods)}

    @staticmethod
    def _match(peer: str, ns: str | None, name: str | None) -> bool:
        pns, pname = peer.split("/")
        return (ns is None or pns == ns) and (name is None or pname == name)

    def peer(self, src=(None, None), dst=(None, None), ok=False) -> "Expect":
        for s, d in self.table:
            if self._match(s, *src) and self._match(d, *dst):
                self.table[s, d] = ok
        return self

    def all_ingress(self, dst: str, ok=False) -> "Expect":
        return self.peer((None, None), tuple(dst.split("/")), ok)

    def all_egress(self, src: str, ok=False) -> "Expect":
        return self.peer(tuple(src.split("/")), (None, None), ok)

    def expect(self, src: str, dst: str, ok: bool) -> "Expect":
        self.table[src, dst] = ok
        return self

    def mismatches(self, matrix) -> list[str]:
        out = []
        for (s, d), want in self.table.items():
            if s == d:
                continue  # upstream ignores loopback (kubernetes#95879)
            got = matrix[s, d]
            if got != want:
                out.append(f"{s} -> {d}: expected {'.' if want else 'X'}, got {'.' if got else 'X'}")
        return out
