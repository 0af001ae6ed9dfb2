"""The ``ptp`` plugin: a veth pair per pod, no bridge; /32 routing through the host end.

Upstream: containernetworking/plugins v1.1.1 ``plugins/main/ptp/ptp.go``: IPAM
first; in the pod the address, a route to the gateway's host address via the
link, then the subnet and the IPAM routes via the gateway (the gateway address
also set on the host veth end, ``ip_forward`` on); on the host a /32 route to
the pod via the host veth; ``ipMasq`` as bridge does.  The result lists
``[host veth, pod interface]`` with IPs on interface 1.

Left out: IPv6 specifics, ``mtu`` effects, CHECK's link inspection.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ..skel import CmdArgs, Plugin, PluginError, register
from ..types import Result
from .bridge import host_veth_name
from .common import conf_json, ipam_exec, netns_of, setup_ipmasq, teardown_ipmasq
from .kernel import Link, derived_mac

__all__ = ["PTP"]


@register
class PTP(Plugin):
    name = "ptp"

    def add(self, args: CmdArgs, context: Any) -> Result:
        conf = conf_json(args)
        ipam_type = (conf.get("ipam") or {}).get("type", "")
        if not ipam_type:
            raise PluginError("IPAM plugin returned missing IP config")
        ipam_result = ipam_exec("ADD", ipam_type, args, context)
        if not ipam_result.ips:
            raise PluginError("IPAM plugin returned missing IP config")
        try:
            host, pod = context.host, netns_of(context, args.netns)
        except PluginError:
            ipam_exec("DEL", ipam_type, args, context)  # ptp's deferred ipam.ExecDel: no address leaks
            raise
        mtu = int(conf.get("mtu") or 1500)
        veth = host_veth_name(args.container_id, args.ifname)
        host.links[veth] = Link(veth, "veth", derived_mac(context.name, veth), mtu, True, None,
                                (args.netns, args.ifname))
        pod.links[args.ifname] = Link(args.ifname, "veth", derived_mac(args.netns, args.ifname), mtu, True, None,
                                      ("<host>", veth))
        result = Result("1.0.0", [{"name": veth, "mac": host.links[veth].mac},
                                  {"name": args.ifname, "mac": pod.links[args.ifname].mac, "sandbox": args.netns}],
                        ipam_result.ips, ipam_result.routes, ipam_result.dns)
        for ip in result.ips:
            ip["interface"] = 1
            iface = ipaddress.ip_interface(ip["address"])
            gw = ip.get("gateway") or str(iface.network.network_address + 1)
            pod.links[args.ifname].addresses.append(ip["address"])
            pod.routes.append({"dst": gw, "dev": args.ifname, "scope": "link"})
            pod.routes.append({"dst": str(iface.network), "gw": gw, "dev": args.ifname})
            for r in result.routes:
                pod.routes.append({"dst": r["dst"], "gw": r.get("gw") or gw, "dev": args.ifname})
            host.links[veth].addresses.append(f"{gw}/{iface.max_prefixlen}")
            host.routes.append({"dst": f"{iface.ip}/{iface.max_prefixlen}", "dev": veth, "scope": "host"})
            host.sysctls["net.ipv4.ip_forward" if iface.version == 4 else "net.ipv6.conf.all.forwarding"] = "1"
            if conf.get("ipMasq"):
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
        if link is not None and link.peer:
            host_end = context.host.links.pop(link.peer[1], None)
            context.host.routes = [r for r in context.host.routes if r.get("dev") != link.peer[1]]
            pod.routes = [r for r in pod.routes if r.get("dev") != args.ifname]
            del host_end
        if conf.get("ipMasq"):
            teardown_ipmasq(context.host, conf.get("name", ""), args.container_id)
