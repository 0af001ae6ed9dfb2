"""What kube-proxy programs on a node, as text: the rendering ``kubelab rules`` prints.

Upstream: kube-proxy's ``syncProxyRules`` for the chosen ``--proxy-mode``: in
iptables mode the ``iptables-save`` text (``nat`` then ``filter``, format
``save``, the default) or the text kube-proxy passes to ``iptables-restore``
(``restore``); in the other modes what their Proxier renders (``ipvsadm -Ln``
and the ipsets; the proxy-port table and its redirects; the nft ruleset).

The modes are those registered in :data:`kubelab.proxy.PROXIERS`.  A Proxier
names its renderings in a ``formats`` class attribute, first the default;
format ``save`` on a mode without a ``save`` rendering means that mode's
default one.  The CLI (:mod:`kubelab.cli.rules`), the kind comparison
(:mod:`kubelab.kind.compare`) and the benchmarks share this module.

Examples
--------
>>> from kubelab import Cluster
>>> doc = render_rules(Cluster(), "iptables", node="kind-worker")
>>> doc["mode"], doc["node"], doc["format"], doc["rule_count"] > 0
('iptables', 'kind-worker', 'save', True)
"""

from __future__ import annotations

from typing import Any

from ..errors import KubelabError
from .base import PROXIERS, proxier_for, registered_modes

__all__ = ["proxy_modes", "formats_of", "render_rules", "rule_count", "DEFAULT_FORMAT"]

DEFAULT_FORMAT = "save"

#: Renderings of the Proxiers that do not declare ``formats`` yet (iptables: see ``IPTablesProxier.render``).
_UNDECLARED_FORMATS = {"iptables": ("save", "restore", "save-nft")}


def proxy_modes() -> dict[str, type]:
    """The registered Proxier classes by mode (:func:`kubelab.proxy.registered_modes`)."""
    return {m: PROXIERS[m] for m in registered_modes()}


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

    Raises :class:`~kubelab.errors.KubelabError` for a mode or format the mode does not render,
    or an unknown node (the CLI prints it as ``error: ...``, status 2).
    """
    modes = proxy_modes()
    mode = mode or cluster.kube_proxy_config.effective_mode
    if mode not in modes:
        raise KubelabError(f'--mode: unsupported proxy mode "{mode}": supported modes: {", ".join(modes)}')
    formats = formats_of(modes[mode])
    asked = fmt or DEFAULT_FORMAT
    if asked == DEFAULT_FORMAT and formats and DEFAULT_FORMAT not in formats:
        asked = formats[0]  # "save" means the mode's default rendering
    if formats and asked not in formats:
        raise KubelabError(f'--format: {mode} mode has no "{asked}" rendering: use one of {", ".join(formats)}')
    proxier = proxier_for(cluster, mode, node=node)
    try:
        try:
            text = proxier.render(asked)
        except ValueError as exc:  # a Proxier that does not declare its formats refused this one
            if formats or fmt not in (None, DEFAULT_FORMAT):
                raise KubelabError(f"--format: {exc}") from None
            asked, text = "default", proxier.render(None)
        return {"mode": mode, "node": proxier.node, "format": asked, "text": text,
                "rule_count": rule_count(proxier, text)}
    finally:
        proxier.close()
