"""Which parts of kubelab this kernel can run for real in the lab, and which are modelled only -- and why.

Never fails: each part is ``real`` (the lab builds it on the kernel) or
``modelled`` (kubelab computes it, the kernel cannot show it), with the reason
read from the machine.  The probes are read-only (``/proc``, ``/lib/modules``)
except the ``dummy`` link check, which creates and deletes one in a throwaway
``kl-`` namespace.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..host import is_root
from .netns import NetNS

__all__ = ["Part", "parts", "modelled_only"]


@dataclass
class Part:
    name: str
    real: bool
    why: str


def _ipvs() -> Part:
    if Path("/proc/net/ip_vs").exists():
        return Part("kube-proxy IPVS mode", True, "ip_vs is loaded")
    release = os.uname().release
    if list(Path("/lib/modules", release).glob("kernel/net/netfilter/ipvs/ip_vs.ko*")):
        return Part("kube-proxy IPVS mode", True, "ip_vs loads on demand")
    return Part("kube-proxy IPVS mode", False, f"no ip_vs in kernel {release} (CONFIG_IP_VS unset, no module): "
                "ipvsadm output and the virtual servers are modelled only")


def _dummy() -> Part:
    name = "kube-ipvs0 (dummy link)"
    if not is_root() or not shutil.which("ip"):
        return Part(name, False, "not root: no network namespace to try a dummy link in")
    try:
        with NetNS(f"kl-doctor-{os.getpid()}") as ns:
            ok = ns.run(["ip", "link", "add", "kl-probe", "type", "dummy"], check=False).returncode == 0
    except (OSError, subprocess.CalledProcessError) as exc:
        return Part(name, False, f"could not create a kl- namespace: {exc}")
    return Part(name, True, "dummy links work") if ok else \
        Part(name, False, "this kernel has no dummy link type (CONFIG_DUMMY): kube-ipvs0 is modelled only")


def _nftables() -> Part:
    name = "kube-proxy nftables mode"
    if not (shutil.which("nft") or shutil.which("nft", path="/usr/sbin:/sbin")):
        return Part(name, False, "no nft (Debian package nftables): the ip kube-proxy table is modelled only")
    if not is_root():
        return Part(name, False, "not root: no network namespace to load the ip kube-proxy table in")
    try:
        with NetNS(f"kl-doctor-nft-{os.getpid()}") as ns:
            ok = ns.run(["nft", "add", "table", "ip", "kube-proxy"], check=False).returncode == 0
    except (OSError, subprocess.CalledProcessError) as exc:
        return Part(name, False, f"could not create a kl- namespace: {exc}")
    return Part(name, True, "nft loads kube-proxy's transaction into each node namespace") if ok else \
        Part(name, False, "this kernel refuses nftables tables (CONFIG_NF_TABLES): modelled only")


def _br_netfilter() -> Part:
    ok = Path("/proc/sys/net/bridge/bridge-nf-call-iptables").exists()
    return Part("br_netfilter", ok, "bridge-nf-call-iptables is available per namespace" if ok else
                "br_netfilter is not loaded: bridged pod-to-pod Service traffic would skip iptables")


def _userspace() -> Part:
    return Part("kube-proxy userspace mode", False, "removed from Kubernetes in v1.26: modelled only")


def _cni() -> Part:
    for d in ("/opt/cni/bin", "/usr/lib/cni"):
        if all(os.access(Path(d, p), os.X_OK) for p in ("bridge", "host-local", "loopback", "portmap")):
            return Part("CNI bridge/host-local/loopback/portmap", True, f"real binaries in {d}")
    return Part("CNI bridge/host-local/loopback/portmap", False, "no plugin binaries (containernetworking-plugins)")


def parts() -> list[Part]:
    """Every part the lab could build, real or modelled."""
    return [_cni(), _br_netfilter(), _nftables(), _ipvs(), _dummy(), _userspace()]


def modelled_only() -> list[Part]:
    """The parts this machine can only model, each with the reason."""
    return [p for p in parts() if not p.real]
