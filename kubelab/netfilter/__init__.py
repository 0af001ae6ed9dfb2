"""kubelab.netfilter: the kernel's packet filter as data, below every component that writes rules.

kube-proxy (iptables, ipvs and userspace modes), the CNI plugins' portmap and
masquerade rules and the trace engine all speak the same rule model, so it sits
in a leaf package that imports nothing else from kubelab but :mod:`kubelab.errors`
and :mod:`kubelab.util`:

* :mod:`kubelab.netfilter.xtables` -- ``Rule``, ``Match``, ``Table``: the arguments
  ``iptables-restore`` reads and the text ``iptables-save`` prints;
* :mod:`kubelab.netfilter.evaluator` -- ``Evaluator``: a packet walked through the
  tables rule by rule, as ``ipt_do_table`` does;
* :mod:`kubelab.netfilter.packet` -- ``Packet``: a connection's first packet as
  conntrack sees it.

See ``docs/design.md`` (Layers) for where the package sits.
"""

from .evaluator import ChainStep, Evaluator, RunResult
from .packet import Packet
from .xtables import BUILTIN_CHAINS, Match, Rule, Table, kernel_probability, parse_restore, save_string

__all__ = ["BUILTIN_CHAINS", "ChainStep", "Evaluator", "Match", "Packet", "Rule", "RunResult", "Table",
           "kernel_probability", "parse_restore", "save_string"]
