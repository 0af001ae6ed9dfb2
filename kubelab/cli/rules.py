"""``kubelab rules -f ... --mode MODE [--node NODE] [--format FORMAT]``: what kube-proxy programs on a node.

Upstream: kube-proxy's ``syncProxyRules`` for the chosen ``--proxy-mode``, as
rendered by :mod:`kubelab.proxy` (docs/cli.md): in iptables mode the
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
from typing import Any

from .common import UsageError, add_filename_option, add_output_option, command, load_cluster
from .output import print_document, write

__all__ = ["proxy_modes", "formats_of", "render_rules", "rule_count", "DEFAULT_FORMAT"]

DEFAULT_FORMAT = "save"

#: Renderings of the Proxiers that do not declare ``formats`` yet (iptables: see ``IPTablesProxier.render``).
_UNDECLARED_FORMATS = {"iptables": ("save", "restore", "save-nft")}


def proxy_modes() -> dict[str, type]:
    """The registered Proxier classes by mode (:func:`kubelab.proxy.registered_modes`)."""
    from .. import proxy

    return {m: proxy.PROXIERS[m] for m in proxy.registered_modes()}


def formats_of(cls: type) -> tuple[str, ...]:
    """The ``render`` formats a Proxier class accepts, its default first; ``()`` when it does not say."""
    declared = getattr(cls, "formats", None) or getattr(cls, "FORMATS", None)
    if declared:
        return tuple(declared)
    return _UNDECLARED_FORMATS.get(getattr(cls, "mode", ""), ())


def rule_count(proxier: Any, text: str) -> int:
    """The Proxier's own rule count, else the ``-A`` lines of ``text``, else its non-blank lines."""
    count = getattr(proxier, "rule_count", None)
    if isinstance(count, int):
        return count
    appended = sum(1 for line in text.splitlines() if line.startswith("-A "))
    return appended or sum(1 for line in text.splitlines() if line.strip() and not line.startswith("#"))


def render_rules(cluster: Any, mode: str | None, node: str | None = None, fmt: str | None = None) -> dict[str, Any]:
    """``{"mode", "node", "format", "text", "rule_count"}``: what ``kubelab rules`` prints.

    Raises :class:`~kubelab.cli.common.UsageError` for a format the mode does not render and
    :class:`~kubelab.errors.KubelabError` for an unknown node or mode.
    """
    from ..proxy import proxier_for

    modes = proxy_modes()
    mode = mode or cluster.kube_proxy_config.effective_mode
    if mode not in modes:
        raise UsageError(f'--mode: unsupported proxy mode "{mode}": supported modes: {", ".join(modes)}')
    formats = formats_of(modes[mode])
    asked = fmt or DEFAULT_FORMAT
    if asked == DEFAULT_FORMAT and formats and DEFAULT_FORMAT not in formats:
        asked = formats[0]  # "save" means the mode's default rendering
    if formats and asked not in formats:
        raise UsageError(f'--format: {mode} mode has no "{asked}" rendering: use one of {", ".join(formats)}')
    proxier = proxier_for(cluster, mode, node=node)
    try:
        try:
            text = proxier.render(asked)
        except ValueError as exc:  # a Proxier that does not declare its formats refused this one
            if formats or fmt not in (None, DEFAULT_FORMAT):
                raise UsageError(f"--format: {exc}") from None
            asked, text = "default", proxier.render(None)
        return {"mode": mode, "node": proxier.node, "format": asked, "text": text,
                "rule_count": rule_count(proxier, text)}
    finally:
        proxier.close()


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
