"""Which parts of kubelab this kernel can run for real in the lab, and which are modelled only -- and why.

Never fails: each part is ``real`` (the lab builds it on the kernel) or
``modelled`` (kubelab computes it, the kernel cannot show it), with the reason
read from the machine by the probes of :mod:`kubelab.capabilities` (the ones
``kubelab doctor`` prints and the tests ask): ``cni``, ``br_netfilter``,
``nft``/``nf_tables``, ``ipvs`` and ``dummy``.  Those are read-only (``/proc``,
``/lib/modules``, the kernel configuration) except ``nf_tables`` and
``dummy``, which try a table and a dummy link in a throwaway ``kl-`` namespace.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .. import capabilities

__all__ = ["Part", "parts", "modelled_only"]


@dataclass
class Part:
    name: str
    real: bool
    why: str


def _ipvs() -> Part:
    name = "kube-proxy IPVS mode"
    found = capabilities.ipvs()
    if found.ok:
        return Part(name, True, "ip_vs is loaded" if capabilities.PROC_IP_VS.exists() else "ip_vs loads on demand")
    return Part(name, False, f"no ip_vs in kernel {os.uname().release} (CONFIG_IP_VS unset, no module): "
                "ipvsadm output and the virtual servers are modelled only")


def _dummy() -> Part:
    name = "kube-ipvs0 (dummy link)"
    if not (capabilities.root().ok and capabilities.which("ip")):
        return Part(name, False, "not root: no network namespace to try a dummy link in")
    found = capabilities.dummy()
    if found.ok:
        return Part(name, True, "dummy links work")
    if found.status == capabilities.NO and "CONFIG_DUMMY" in found.detail:
        return Part(name, False, "this kernel has no dummy link type (CONFIG_DUMMY): kube-ipvs0 is modelled only")
    return Part(name, False, found.detail)


def _nftables() -> Part:
    name = "kube-proxy nftables mode"
    if not capabilities.nft().ok:
        return Part(name, False, "no nft (Debian package nftables): the ip kube-proxy table is modelled only")
    if not capabilities.root().ok:
        return Part(name, False, "not root: no network namespace to load the ip kube-proxy table in")
    found = capabilities.nf_tables()
    if found.ok:
        return Part(name, True, "nft loads kube-proxy's transaction into each node namespace")
    if "CONFIG_NF_TABLES" in found.detail:
        return Part(name, False, "this kernel refuses nftables tables (CONFIG_NF_TABLES): modelled only")
    return Part(name, False, found.detail)


def _br_netfilter() -> Part:
    ok = capabilities.br_netfilter().ok
    return Part("br_netfilter", ok, "bridge-nf-call-iptables is available per namespace" if ok else
                "br_netfilter is not loaded: bridged pod-to-pod Service traffic would skip iptables")


def _userspace() -> Part:
    return Part("kube-proxy userspace mode", False, "removed from Kubernetes in v1.26: modelled only")


def _cni() -> Part:
    found = capabilities.cni_bin_dir()
    if found is not None:
        return Part("CNI bridge/host-local/loopback/portmap", True, f"real binaries in {found}")
    return Part("CNI bridge/host-local/loopback/portmap", False, "no plugin binaries (containernetworking-plugins)")


def parts() -> list[Part]:
    """Every part the lab could build, real or modelled."""
    return [_cni(), _br_netfilter(), _nftables(), _ipvs(), _dummy(), _userspace()]


def modelled_only() -> list[Part]:
    """The parts this machine can only model, each with the reason."""
    return [p for p in parts() if not p.real]
