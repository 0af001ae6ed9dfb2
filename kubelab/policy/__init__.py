"""NetworkPolicy and Calico policy evaluation (docs/design.md, ``kubelab.policy``).

- :mod:`~kubelab.api.calico_selector`: Calico's selector language (parser, evaluator).
- :mod:`~kubelab.policy.kubernetes`: Kubernetes NetworkPolicy semantics.
- :mod:`~kubelab.policy.calico`: Calico tiers, orders and actions (Kubernetes policies as ``knp.default.*``).
- :mod:`~kubelab.policy.enforcement`: which CNI plugin enforces what.
- :mod:`~kubelab.policy.verdict`: :func:`evaluate` -> :class:`Verdict`; the trace engine's :func:`policy_hop`.
- :mod:`~kubelab.policy.matrix`: the pods x pods reachability matrix of the upstream e2e tests.
"""

from ..api.calico_selector import Selector, SelectorError, parse
from .enforcement import PolicySupport, support
from .matrix import Reachability, reachability
from .model import Decision, Endpoint
from .verdict import Verdict, evaluate, policy_hop, resolve_endpoint

__all__ = ["evaluate", "Verdict", "Decision", "Endpoint", "reachability", "Reachability", "support",
           "PolicySupport", "parse", "Selector", "SelectorError", "policy_hop", "resolve_endpoint"]
