"""kubelab.lab: the real-kernel backend (root only).  Everything it creates is named ``kl-…``.

:mod:`.topology` is the plan (pure data: which namespaces, links, routes and
servers a Cluster becomes); :mod:`.build` makes it real and removes it;
:mod:`.doctor` says which parts this kernel can run and which are modelled only.
"""

from .build import LAB_MODES, OUTCOMES, Lab, clean, load_lab, outcome_of
from .netns import NETNS_PREFIX, NetNS, list_lab_namespaces
from .topology import LabNode, LabPod, Topology, plan

__all__ = ["NetNS", "NETNS_PREFIX", "list_lab_namespaces", "Lab", "clean", "load_lab", "outcome_of", "OUTCOMES", "LAB_MODES",
           "Topology", "LabNode", "LabPod", "plan"]
