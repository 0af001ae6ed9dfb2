"""CNI: the spec's runtime (libcni's role), results and errors, host-local IPAM, and in-memory plugins.

``kubelab.cni`` drives CNI plugins the way a container runtime does through
libcni, with two interchangeable backends: kubelab's in-memory plugins
(``loopback``, ``bridge``, ``ptp``, ``portmap``, ``host-local``, registered by
name in :data:`MEMORY_PLUGINS`) and the machine's real plugin binaries.

Examples
--------
>>> conf = load_conflist('''{"cniVersion": "1.0.0", "name": "demo", "plugins": [
...     {"type": "bridge", "bridge": "cni0", "isGateway": true,
...      "ipam": {"type": "host-local", "subnet": "10.244.1.0/24"}}]}''')
>>> rt = Runtime(backend=MemoryBackend())
>>> result = rt.add(conf, RuntimeConf("ctr-1", "/run/netns/pod1", "eth0"))
>>> result.ips
[{'interface': 2, 'address': '10.244.1.2/24', 'gateway': '10.244.1.1'}]
"""

from __future__ import annotations

from . import ipam, memory  # noqa: F401  (registers the in-memory plugins)
from .backends import MemoryBackend, SystemBackend, find_cni_path
from .config import ConfigError, NetworkConfigList, PluginConf, load_conf, load_conflist
from .ipam import host_local
from .runtime import Runtime, RuntimeConf
from .skel import MEMORY_PLUGINS, Plugin, register, run_plugin
from .types import CNIError, Result

__all__ = ["load_conf", "load_conflist", "Runtime", "RuntimeConf", "Result", "CNIError", "host_local", "MEMORY_PLUGINS",
           "Plugin", "register", "run_plugin", "MemoryBackend", "SystemBackend", "find_cni_path", "ConfigError",
           "NetworkConfigList", "PluginConf"]
