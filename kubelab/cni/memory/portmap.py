"""The ``portmap`` meta plugin: hostPorts as iptables DNAT, in the ``CNI-HOSTPORT-*`` chains.

Upstream: containernetworking/plugins v1.1.1 ``plugins/meta/portmap/main.go``
and ``portmap.go`` (iptables backend): a chained plugin only (``must be called
as chained plugin``); with no ``runtimeConfig.portMappings`` it passes the
prevResult through; otherwise, for the first IPv4 (and IPv6) address of the pod
interface in the prevResult:

* top level, created once and kept after DEL: ``CNI-HOSTPORT-DNAT`` jumped to
  from PREROUTING and OUTPUT for ``--dst-type LOCAL``; ``CNI-HOSTPORT-SETMARK``
  (``MARK --set-xmark 0x2000/0x2000``, mark bit 13); ``CNI-HOSTPORT-MASQ``
  (MASQUERADE what carries the mark) jumped to from POSTROUTING;
* per container: ``CNI-DN-<hash>`` with, per mapping, a hairpin SETMARK rule
  (from the pod's subnet), a localhost SETMARK rule (IPv4), then the DNAT;
  entered from ``CNI-HOSTPORT-DNAT`` by one multiport rule per protocol,
  commented ``dnat name: "<net>" id: "<container>"``;
* ``route_localnet=1`` on the host interface that routes to the pod.

Rules are :class:`kubelab.netfilter.xtables.Rule` objects, rendered as
``iptables-save`` prints them (checked against the real plugin in
``tests/cni/test_system_chain.py``).  Left out: the ``snat: false``
variant's differences beyond dropping the SETMARK rules, ``externalSetMarkChain``,
``conditionsV4/V6``, the multiport split at 15 ports, the UDP conntrack flush,
and the nftables backend of later releases.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ...netfilter.xtables import Table
from ..skel import CmdArgs, Plugin, PluginError, register
from ..types import Result
from .common import chain_name, conf_json

__all__ = ["Portmap", "DNAT_CHAIN", "SETMARK_CHAIN", "MASQ_CHAIN"]

DNAT_CHAIN, SETMARK_CHAIN, MASQ_CHAIN = "CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-SETMARK", "CNI-HOSTPORT-MASQ"
_MARK = "0x2000/0x2000"  # 1 << DefaultMarkBit(13)


def _insert_first(table: Table, chain: str, args: list[str]) -> None:
    """``-I chain 1`` unless the rule is already there (``ensureFirstChainRule``)."""
    rule = table.append(chain, args)
    table.rules.pop()
    if any(r.chain == chain and r.save() == rule.save() for r in table.rules):
        return
    idx = next((i for i, r in enumerate(table.rules) if r.chain == chain), len(table.rules))
    table.rules.insert(idx, rule)


def _ensure_rule(table: Table, chain: str, args: list[str]) -> None:
    rule = table.append(chain, args)
    table.rules.pop()
    if not any(r.chain == chain and r.save() == rule.save() for r in table.rules):
        table.rules.append(rule)


def _container_ips(prev: Result) -> list[ipaddress.IPv4Interface | ipaddress.IPv6Interface]:
    out: dict[int, Any] = {}
    for ip in prev.ips:
        idx = ip.get("interface")
        if idx is not None and 0 <= idx < len(prev.interfaces) and prev.interfaces[idx].get("sandbox"):
            iface = ipaddress.ip_interface(ip["address"])
            out.setdefault(iface.version, iface)
    return [out[v] for v in sorted(out)]


@register
class Portmap(Plugin):
    name = "portmap"

    def add(self, args: CmdArgs, context: Any) -> Result:
        conf = conf_json(args)
        if not conf.get("prevResult"):
            raise PluginError("must be called as chained plugin")
        prev = Result.from_dict(conf["prevResult"], conf.get("cniVersion") or None)
        maps = (conf.get("runtimeConfig") or {}).get("portMappings") or []
        for pm in maps:
            if not 0 < int(pm.get("containerPort", 0)) < 65536:
                raise PluginError(f"Invalid container port number: {pm.get('containerPort', 0)}")
            if not 0 < int(pm.get("hostPort", 0)) < 65536:
                raise PluginError(f"Invalid host port number: {pm.get('hostPort', 0)}")
        if not maps:
            return prev
        snat = conf.get("snat", True)
        nat = context.host.table("nat")
        name, cid = conf.get("name", ""), args.container_id
        for ipif in _container_ips(prev):
            v6 = ipif.version == 6
            if snat:
                nat.declare(SETMARK_CHAIN)
                _ensure_rule(nat, SETMARK_CHAIN, ["-m", "comment", "--comment", "CNI portfwd masquerade mark",
                                                  "-j", "MARK", "--set-xmark", _MARK])
                nat.declare(MASQ_CHAIN)
                _ensure_rule(nat, MASQ_CHAIN, ["-m", "mark", "--mark", _MARK, "-j", "MASQUERADE"])
                _insert_first(nat, "POSTROUTING", ["-m", "comment", "--comment", "CNI portfwd requiring masquerade",
                                                   "-j", MASQ_CHAIN])
                if not v6:
                    self._route_localnet(context, ipif)
            nat.declare(DNAT_CHAIN)
            for top in ("PREROUTING", "OUTPUT"):
                _insert_first(nat, top, ["-m", "addrtype", "--dst-type", "LOCAL", "-j", DNAT_CHAIN])
            dn = chain_name(name, cid, "DN-")
            nat.declare(dn)
            by_proto: dict[str, list[str]] = {}
            for pm in maps:
                by_proto.setdefault(pm.get("protocol", "tcp").lower(), []).append(str(pm["hostPort"]))
            text = f'dnat name: "{name}" id: "{cid}"'
            for proto in sorted(by_proto):
                nat.append(DNAT_CHAIN, ["-p", proto, "-m", "comment", "--comment", text, "-m", "multiport",
                                        "--dports", ",".join(by_proto[proto]), "-j", dn])
            for pm in maps:
                proto = pm.get("protocol", "tcp").lower()
                host_ip = pm.get("hostIP") or ""
                if host_ip and (ipaddress.ip_address(host_ip).version == 6) != v6:
                    continue
                dst = ["-d", host_ip] if host_ip and not ipaddress.ip_address(host_ip).is_unspecified else []
                base = ["-p", proto, "-m", proto, "--dport", str(pm["hostPort"])]
                if snat:
                    nat.append(dn, ["-s", str(ipif.network), *dst, *base, "-j", SETMARK_CHAIN])
                    if not v6:
                        nat.append(dn, ["-s", "127.0.0.1", *dst, *base, "-j", SETMARK_CHAIN])
                to = f"[{ipif.ip}]:{pm['containerPort']}" if v6 else f"{ipif.ip}:{pm['containerPort']}"
                nat.append(dn, [*dst, *base, "-j", "DNAT", "--to-destination", to])
        return prev

    @staticmethod
    def _route_localnet(context: Any, ipif: Any) -> None:
        for link in context.host.links.values():
            if any(ipif.ip in ipaddress.ip_interface(a).network for a in link.addresses):
                context.host.sysctls[f"net.ipv4.conf.{link.name}.route_localnet"] = "1"
                return

    def delete(self, args: CmdArgs, context: Any) -> None:
        conf = conf_json(args)
        nat = context.host.table("nat")
        dn = chain_name(conf.get("name", ""), args.container_id, "DN-")
        nat.rules = [r for r in nat.rules if r.chain != dn and r.target != dn]
        if dn in nat.chains:
            nat.chains.remove(dn)

    def check(self, args: CmdArgs, context: Any) -> None:
        """cmdCheck/checkPorts of v1.1.1: the chain is checked in iptables *and* ip6tables whatever the
        pod's family, so with port mappings CHECK fails on any machine where ip6tables works (seen with
        the real binary; fixed upstream later).  Modelled as it behaves."""
        conf = conf_json(args)
        if not conf.get("prevResult"):
            raise PluginError("Required prevResult missing")
        maps = (conf.get("runtimeConfig") or {}).get("portMappings") or []
        if not maps:
            return
        dn = chain_name(conf.get("name", ""), args.container_id, "DN-")
        prev = Result.from_dict(conf["prevResult"], conf.get("cniVersion") or None)
        for _ in _container_ips(prev):
            if not context.host.table("nat").chain_rules(dn):
                raise PluginError(f"could not check ipv4 dnat: chain {dn} not found in iptables table nat")
            raise PluginError(f"could not check ipv6 dnat: chain {dn} not found in iptables table nat")
