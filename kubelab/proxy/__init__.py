"""kubelab.proxy: kube-proxy, one Proxier per mode, each producing the real artifact.

>>> from kubelab import Cluster
>>> from kubelab.proxy import proxier_for
>>> p = proxier_for(Cluster(), "iptables", node="kind-worker")
>>> "KUBE-SVC-NPX46M4PTMTKRN6Y" in p.render("restore")  # default/kubernetes:https
True
"""

from .base import PROXIERS, Proxier, proxier_for, register, registered_modes, running_modes
from .iptables import IPTablesProxier, endpoint_chain, probability, service_port_chain
from .ipset import IPSet
from .ipvs import IPVSProxier
from .nftables import NFTablesProxier
from .schedulers import SCHEDULERS, register_scheduler
from .userspace import UserspaceProxier
from .servicemap import EndpointInfo, ServicePortInfo, ServicePortName, categorize_endpoints, service_port_map

__all__ = ["Proxier", "PROXIERS", "proxier_for", "register", "registered_modes", "running_modes", "IPTablesProxier", "service_port_chain",
           "endpoint_chain", "probability", "ServicePortName", "ServicePortInfo", "EndpointInfo",
           "service_port_map", "categorize_endpoints", "IPVSProxier", "NFTablesProxier", "UserspaceProxier", "IPSet", "SCHEDULERS",
           "register_scheduler"]
