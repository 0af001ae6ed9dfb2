"""CNI plugin models: what Calico, Flannel, Weave Net, Cilium, Canal, kube-router, kindnet
and the plain bridge plugin do to a cluster's routes and packets.

One module per plugin, each registering a :class:`~kubelab.cni.plugins.base.PluginModel`
subclass under the name ``Cluster(cni=...)`` uses; :func:`plugin_for` gives the model of a
cluster's plugin.  :mod:`kubelab.cni.plugins.matrix` is the chapter's Figure 2.9 as data, with
the published throughput figures of :mod:`kubelab.cni.plugins.benchmarks`.

>>> from kubelab import Cluster
>>> from kubelab.cni.plugins import plugin_for
>>> m = plugin_for(Cluster(cni="flannel"))
>>> m.encapsulation.device, m.mtu
('flannel.1', 1450)
"""

from __future__ import annotations

from .base import ENCAPSULATIONS, Component, Encapsulation, Path, PathHop, PluginModel, Route
from .registry import PLUGINS, get, names, plugin_for, register
from .calico import CalicoIPAM, CalicoModel, calico_ipam
from .flannel import FlannelModel
from .canal import CanalModel
from .weave import WeaveModel
from .cilium import CiliumModel
from .kube_router import KubeRouterModel
from .kindnet import KindnetModel
from .bridge import BridgeModel

__all__ = [
    "PluginModel", "Route", "Encapsulation", "Path", "PathHop", "Component", "ENCAPSULATIONS",
    "PLUGINS", "register", "get", "names", "plugin_for",
    "CalicoModel", "CalicoIPAM", "calico_ipam", "FlannelModel", "CanalModel", "WeaveModel", "CiliumModel",
    "KubeRouterModel", "KindnetModel", "BridgeModel",
]
