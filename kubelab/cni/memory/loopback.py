"""The ``loopback`` plugin: bring ``lo`` up in the pod's namespace.

Upstream: containernetworking/plugins v1.1.1 ``plugins/main/loopback/loopback.go``:
the result (for a configuration that is not chained after another plugin)
lists ``lo`` with MAC ``00:00:00:00:00:00`` and the sandbox, and the
addresses ``127.0.0.1/8`` and ``::1/128`` on interface 0; chained after
another plugin it returns the prevResult unchanged.  DEL sets ``lo`` down.
"""

from __future__ import annotations

from typing import Any

from ..skel import CmdArgs, Plugin, register
from ..types import Result
from .common import conf_json, netns_of

__all__ = ["Loopback"]


@register
class Loopback(Plugin):
    name = "loopback"

    def add(self, args: CmdArgs, context: Any) -> Result:
        conf = conf_json(args)
        ns = netns_of(context, args.netns, wrapped=False)
        lo = ns.links["lo"]
        lo.up = True
        for a in ("127.0.0.1/8", "::1/128"):
            if a not in lo.addresses:
                lo.addresses.append(a)
        if conf.get("prevResult"):
            return Result.from_dict(conf["prevResult"], conf.get("cniVersion") or None)
        return Result("1.0.0", [{"name": args.ifname, "mac": "00:00:00:00:00:00", "sandbox": args.netns}],
                      [{"interface": 0, "address": "127.0.0.1/8"}, {"interface": 0, "address": "::1/128"}])

    def delete(self, args: CmdArgs, context: Any) -> None:
        if args.netns and args.netns in context.namespaces:
            context.namespaces[args.netns].links["lo"].up = False
