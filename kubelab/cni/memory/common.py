"""What bridge and ptp share: delegating to the IPAM plugin, configuring the pod side, IP masquerade.

Upstream (containernetworking/plugins v1.1.1): ``pkg/ipam/ipam.go`` +
``pkg/ipam/ipam_linux.go`` (``ExecAdd``/``ExecDel`` run the IPAM binary found in
``CNI_PATH`` with the same environment and stdin; ``ConfigureIface`` adds the
addresses and the routes, a route without ``gw`` going via the gateway of its
family), ``pkg/ip/ipmasq_linux.go`` (``SetupIPMasq``: a ``CNI-<hash>`` chain in
nat, ACCEPT to the subnet, MASQUERADE except multicast, jumped to from
POSTROUTING for the pod's address), ``pkg/utils/utils.go`` (``FormatChainName``:
``CNI-`` + SHA-512 hex of name+containerID, 28 characters; ``FormatComment``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
from typing import Any

from ..skel import MEMORY_PLUGINS, CmdArgs, PluginError, run_plugin
from ..types import CNIError, Result, go_quote
from .kernel import NetNSState

__all__ = ["ipam_exec", "configure_iface", "chain_name", "comment", "setup_ipmasq", "teardown_ipmasq", "netns_of"]


def chain_name(name: str, cid: str, prefix: str = "", length: int = 28) -> str:
    return ("CNI-" + prefix + hashlib.sha512((name + cid).encode()).hexdigest())[:length]


def comment(name: str, cid: str) -> str:
    return f"name: {go_quote(name)} id: {go_quote(cid)}"


def ipam_exec(command: str, ipam_type: str, args: CmdArgs, context: Any) -> Result | None:
    """invoke.DelegateAdd/DelegateDel: run the IPAM plugin with this plugin's env and stdin."""
    if ipam_type not in MEMORY_PLUGINS:
        paths = [p for p in args.path.split(":") if p]
        raise PluginError(f"failed to find plugin {go_quote(ipam_type)} in path {_go_list(paths)}")
    env = dict(args.env, CNI_COMMAND=command)
    out = run_plugin(ipam_type, env, args.stdin, context)
    if out.exit_code != 0:
        raise CNIError.from_json(out.stdout)
    if command != "ADD":
        return None
    return Result.from_json(out.stdout)


def _go_list(items: list[str]) -> str:
    return "[" + " ".join(items) + "]"


def netns_of(context: Any, path: str, *, wrapped: bool = True) -> NetNSState:
    """The pod namespace at ``path`` (``ns.GetNS``), created in the model on first use.

    When the context stands for a real machine (``context.real_netns``, as
    ``kubelab cni exec`` sets it), a path that does not exist fails as the
    binaries fail: ``failed to Statfs "P": no such file or directory``, wrapped
    by bridge and ptp in ``failed to open netns "P": ...`` (``wrapped``), bare
    from loopback (``ns.WithNetNSPath``).
    """
    if not path or (getattr(context, "real_netns", False) and not os.path.exists(path)):
        err = f'failed to Statfs "{path}": no such file or directory'
        raise PluginError(f'failed to open netns "{path}": {err}' if wrapped else err)
    return context.netns(path)


def configure_iface(ns: NetNSState, ifname: str, result: Result) -> None:
    """ipam.ConfigureIface: addresses on the interface, a connected route per subnet, then the result's routes."""
    link = ns.links[ifname]
    link.up = True
    gws: dict[int, str] = {}
    for ip in result.ips:
        iface = ipaddress.ip_interface(ip["address"])
        link.addresses.append(ip["address"])
        ns.routes.append({"dst": str(iface.network), "dev": ifname, "proto": "kernel", "scope": "link",
                          "src": str(iface.ip)})
        if ip.get("gateway"):
            gws.setdefault(iface.version, ip["gateway"])
    for r in result.routes:
        dst = ipaddress.ip_network(r["dst"], strict=False)
        gw = r.get("gw") or gws.get(dst.version)
        ns.routes.append({"dst": "default" if dst.prefixlen == 0 else str(dst), "gw": gw, "dev": ifname})


def setup_ipmasq(host: NetNSState, address: str, name: str, cid: str) -> None:
    iface = ipaddress.ip_interface(address)
    nat = host.table("nat")
    chain, text = chain_name(name, cid), comment(name, cid)
    nat.declare(chain)
    multicast = "224.0.0.0/4" if iface.version == 4 else "ff00::/8"
    nat.append(chain, ["-d", str(iface.network), "-m", "comment", "--comment", text, "-j", "ACCEPT"])
    nat.append(chain, ["!", "-d", multicast, "-m", "comment", "--comment", text, "-j", "MASQUERADE"])
    host_bits = "/32" if iface.version == 4 else "/128"
    nat.append("POSTROUTING", ["-s", str(iface.ip) + host_bits, "-m", "comment", "--comment", text, "-j", chain])


def teardown_ipmasq(host: NetNSState, name: str, cid: str) -> None:
    chain = chain_name(name, cid)
    nat = host.table("nat")
    nat.rules = [r for r in nat.rules if r.chain != chain and r.target != chain]
    if chain in nat.chains:
        nat.chains.remove(chain)


def conf_json(args: CmdArgs) -> dict:
    try:
        return json.loads(args.stdin)
    except ValueError as exc:
        raise PluginError(f"failed to load netconf: {exc}") from None
