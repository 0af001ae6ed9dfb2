"""The ``bridge`` plugin: a Linux bridge on the node, a veth pair per pod, the gateway, hairpin, ipMasq.

Upstream: containernetworking/plugins v1.1.1 ``plugins/main/bridge/bridge.go``
(``loadNetConf`` defaults: bridge ``cni0``, MTU 1500; ``isDefaultGateway``
implies ``isGateway``; hairpin and promiscuous mode are exclusive;
``cmdAdd``: set up the bridge, the veth pair (host end on the bridge, hairpin
on its port), delegate to IPAM, gateways from ``calcGateways`` (the IPAM
gateway, or the subnet's first address; a default route when
``isDefaultGateway``), the pod side configured by ``ipam.ConfigureIface``,
the gateway address on the bridge when ``isGateway``, ``net.ipv4.ip_forward=1``,
and ``SetupIPMasq`` when ``ipMasq``; ``cmdDel``: IPAM release, the pod's
interface deleted (its veth peer goes with it), the masquerade chain removed;
the bridge itself stays).  The result lists ``[bridge, host veth, pod
interface]`` and every IP points at interface 2.

Left out: VLANs, ``macspoofchk``, ``forceAddress``, ``enabledad``, IPv6 DAD
sysctls, layer-2 mode details beyond "no IPAM, no addresses", and CHECK's
deeper link inspection (CHECK here verifies the interfaces and addresses the
prevResult names).  MACs and the host veth name are derived, not random (see
:mod:`kubelab.cni.memory.kernel`).
"""

from __future__ import annotations

import hashlib
import ipaddress
from typing import Any

from ..skel import CmdArgs, Plugin, PluginError, register
from ..types import Result
from .common import conf_json, configure_iface, ipam_exec, netns_of, setup_ipmasq, teardown_ipmasq
from .kernel import Link, derived_mac

__all__ = ["Bridge", "host_veth_name"]


def host_veth_name(cid: str, ifname: str) -> str:
    return "veth" + hashlib.sha256(f"{cid}/{ifname}".encode()).hexdigest()[:8]


def _calc_gateways(result: Result, conf: dict) -> None:
    is_gw = bool(conf.get("isGateway") or conf.get("isDefaultGateway"))
    default_found = {ipaddress.ip_network(r["dst"], strict=False).version for r in result.routes
                     if ipaddress.ip_network(r["dst"], strict=False).prefixlen == 0}
    for ip in result.ips:
        iface = ipaddress.ip_interface(ip["address"])
        ip["interface"] = 2
        if not ip.get("gateway") and is_gw:
            ip["gateway"] = str(iface.network.network_address + 1)
        if conf.get("isDefaultGateway") and iface.version not in default_found:
            result.routes.append({"dst": "0.0.0.0/0" if iface.version == 4 else "::/0", "gw": ip["gateway"]})
            default_found.add(iface.version)


@register
class Bridge(Plugin):
    name = "bridge"

    def add(self, args: CmdArgs, context: Any) -> Result:
        conf = conf_json(args)
        if conf.get("hairpinMode") and conf.get("promiscMode"):
            raise PluginError("cannot set hairpin mode and promiscuous mode at the same time.")
        br_name = conf.get("bridge") or "cni0"
        mtu = int(conf.get("mtu") or 1500)
        host = context.host
        br = host.links.get(br_name)
        if br is None:
            br = host.links[br_name] = Link(br_name, "bridge", derived_mac(context.name, br_name), mtu)
        br.up = True
        pod = netns_of(context, args.netns)
        if args.ifname in pod.links:
            raise PluginError(f'container veth name provided ({args.ifname}) already exists')
        veth = host_veth_name(args.container_id, args.ifname)
        host.links[veth] = Link(veth, "veth", derived_mac(context.name, veth), mtu, True, br_name,
                                (args.netns, args.ifname), bool(conf.get("hairpinMode")))
        pod.links[args.ifname] = Link(args.ifname, "veth", derived_mac(args.netns, args.ifname), mtu, True, None,
                                      ("<host>", veth))
        result = Result("1.0.0", [{"name": br_name, "mac": br.mac}, {"name": veth, "mac": host.links[veth].mac},
                                  {"name": args.ifname, "mac": pod.links[args.ifname].mac, "sandbox": args.netns}])
        ipam_type = (conf.get("ipam") or {}).get("type", "")
        if ipam_type:
            ipam_result = ipam_exec("ADD", ipam_type, args, context)
            result.ips, result.routes = ipam_result.ips, ipam_result.routes
            if not result.ips:
                raise PluginError("IPAM plugin returned missing IP config")
            _calc_gateways(result, conf)
            configure_iface(pod, args.ifname, result)
            if conf.get("isGateway") or conf.get("isDefaultGateway"):
                for ip in result.ips:
                    net = ipaddress.ip_interface(ip["address"]).network
                    gw_cidr = f"{ip['gateway']}/{net.prefixlen}"
                    if gw_cidr not in br.addresses:
                        br.addresses.append(gw_cidr)
                        host.routes.append({"dst": str(net), "dev": br_name, "proto": "kernel", "scope": "link",
                                            "src": ip["gateway"]})
                    key = "net.ipv4.ip_forward" if net.version == 4 else "net.ipv6.conf.all.forwarding"
                    host.sysctls[key] = "1"
            if conf.get("ipMasq"):
                for ip in result.ips:
                    setup_ipmasq(host, ip["address"], conf.get("name", ""), args.container_id)
        if conf.get("dns"):
            result.dns = dict(conf["dns"])
        return result

    def delete(self, args: CmdArgs, context: Any) -> None:
        conf = conf_json(args)
        ipam_type = (conf.get("ipam") or {}).get("type", "")
        if ipam_type:
            ipam_exec("DEL", ipam_type, args, context)
        if not args.netns:
            return
        pod = context.netns(args.netns)
        link = pod.links.pop(args.ifname, None)
        if link is not None:
            pod.routes = [r for r in pod.routes if r.get("dev") != args.ifname]
            if link.peer:
                context.host.links.pop(link.peer[1], None)
            if conf.get("ipMasq"):
                teardown_ipmasq(context.host, conf.get("name", ""), args.container_id)

    def check(self, args: CmdArgs, context: Any) -> None:
        conf = conf_json(args)
        prev = conf.get("prevResult")
        if not prev:
            raise PluginError("Required prevResult missing")
        pod = context.netns(args.netns)
        link = pod.links.get(args.ifname)
        if link is None:
            raise PluginError(f'Error: Container Interface name in prevResult: {args.ifname} not found')
        for ip in Result.from_dict(prev).ips:
            if ip["address"] not in link.addresses:
                raise PluginError(f"Failed to match addr {ip['address']} on interface {args.ifname}")
