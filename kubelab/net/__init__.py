"""kubelab.net: packets, conntrack-style NAT, netfilter evaluation and the trace engine."""

from .netfilter import ChainStep, Evaluator
from .packet import Packet
from .reachability import Reachability, reachability
from .trace import Hop, Network, Trace, connect

__all__ = ["Packet", "Evaluator", "ChainStep", "Hop", "Trace", "Network", "connect", "Reachability", "reachability"]
