"""``kubelab rules -f ... --mode MODE [--node NODE] [--format FORMAT]``: what kube-proxy programs on a node.

Upstream: kube-proxy's ``syncProxyRules`` for the chosen ``--proxy-mode``, as
rendered by :mod:`kubelab.proxy.rendering` (docs/cli.md): in iptables mode the
``iptables-save`` text (``nat`` then ``filter``, ``--format save``, the
default) or the text kube-proxy passes to ``iptables-restore``
(``--format restore``); in the other modes what their Proxier renders
(``ipvsadm -Ln`` and the ipsets; the proxy-port table and its redirects).

The modes are those registered in :data:`kubelab.proxy.PROXIERS` when the
parser is built -- every module of :mod:`kubelab.proxy` is imported first, so a
new mode (one more module that calls :func:`kubelab.proxy.register`) shows up
here without touching this file.  A Proxier names its renderings in a
``formats`` class attribute, first the default; ``--format save`` on a mode
without a ``save`` rendering means that mode's default one.

The node is the first schedulable node unless ``--node`` says otherwise (the
Proxier's default); an unknown node is ``error: node "x" not found (nodes:
...)`` and status 2.  ``-o json`` prints ``{"mode", "node", "format", "text",
"rule_count"}``.
"""

from __future__ import annotations

import argparse

from ..proxy.rendering import DEFAULT_FORMAT, formats_of, proxy_modes, render_rules
from .common import add_filename_option, add_output_option, command, load_cluster
from .output import print_document, write

def _format_help() -> str:
    per_mode = [f"{mode}: {', '.join(formats_of(cls)) or 'its default'}" for mode, cls in proxy_modes().items()]
    return (f"the rendering (default {DEFAULT_FORMAT}, or the mode's default rendering where it has no "
            f"{DEFAULT_FORMAT}): " + "; ".join(per_mode))


def configure(parser: argparse.ArgumentParser) -> None:
    modes = list(proxy_modes())
    add_filename_option(parser)
    parser.add_argument("--mode", choices=modes, default=None, metavar="|".join(modes),
                        help="kube-proxy's mode (default: the cluster's, iptables unless --proxy-mode or a "
                             "KubeProxyConfiguration says otherwise)")
    parser.add_argument("--node", default=None, metavar="NODE", help="the node (default: the first schedulable one)")
    parser.add_argument("--format", dest="format", default=None, metavar="FORMAT", help=_format_help())
    add_output_option(parser)


@command("rules", "the rules kube-proxy programs on a node (iptables-save, ipvsadm, ...)", configure)
def run(args: argparse.Namespace) -> int:
    cluster, _ = load_cluster(args)
    doc = render_rules(cluster, args.mode, node=args.node, fmt=args.format)
    if args.output:
        print_document(doc, args.output)
    else:
        write(doc["text"])
    return 0
