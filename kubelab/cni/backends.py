"""Two ways to run a plugin behind one runtime: kubelab's in-memory plugins, or the machine's real binaries.

Both take what SPEC.md "Protocol" says a plugin gets (the ``CNI_*``
environment variables and the configuration on stdin) and give back what it
leaves (stdout, exit status, stderr), so :class:`~kubelab.cni.runtime.Runtime`
cannot tell them apart.  The system backend executes the binary found in
``CNI_PATH`` (autodetected: ``/opt/cni/bin`` and Debian's ``/usr/lib/cni``),
optionally inside a ``kl-`` network namespace (``ip netns exec``) so that
bridges and iptables rules land there and not on the host.

Upstream: containernetworking/cni ``pkg/invoke/exec.go`` / ``raw_exec.go``
(the runtime's environment is the process environment plus the ``CNI_*``
variables; a non-zero exit status with a JSON error on stdout is the plugin's
error; ``FindInPath``: ``failed to find plugin "x" in path [...]``).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from ..capabilities import CNI_DIRS  # libcni's default, then Debian's
from ..errors import KubelabError
from .ipam.host_local import MemoryStore
from .memory.kernel import Node
from .skel import MEMORY_PLUGINS, PluginOutput, run_plugin
from .types import go_quote

__all__ = ["MemoryBackend", "SystemBackend", "find_cni_path", "CNI_DIRS"]



def find_cni_path() -> str:
    """The CNI_PATH of this machine: the standard directories that exist, ``:``-joined."""
    found = [d for d in CNI_DIRS if Path(d).is_dir()]
    return ":".join(found) if found else CNI_DIRS[0]


class _NotFound(KubelabError):
    pass


class MemoryBackend:
    """Runs kubelab's in-memory plugins against one :class:`~kubelab.cni.memory.kernel.Node`.

    ``ipam_store``: where host-local keeps its state; default a
    :class:`~kubelab.cni.ipam.host_local.MemoryStore` (pass a
    ``DiskStore()`` to write the real files under each configuration's dataDir).
    """

    name = "memory"

    def __init__(self, node: Node | None = None, ipam_store: Any = None, cni_path: str = "/opt/cni/bin"):
        self.node = node or Node(ipam_store=ipam_store if ipam_store is not None else MemoryStore())
        if ipam_store is not None:
            self.node.ipam_store = ipam_store
        self.cni_path = cni_path

    def find(self, plugin_type: str) -> str:
        if plugin_type not in MEMORY_PLUGINS:
            raise _NotFound(f"failed to find plugin {go_quote(plugin_type)} in path [{self.cni_path.replace(':', ' ')}]"
                            f" (kubelab's in-memory plugins: {', '.join(sorted(MEMORY_PLUGINS))})")
        return plugin_type

    def exec(self, plugin_type: str, env: dict[str, str], stdin: bytes) -> PluginOutput:
        return run_plugin(self.find(plugin_type), env, stdin, self.node)


class SystemBackend:
    """Executes the real plugin binaries, per the spec: environment + stdin in, stdout + exit status out.

    ``netns``: the name of a ``kl-`` network namespace to run the plugin
    process in (``ip netns exec NAME``); None runs it in kubelab's own.
    """

    name = "system"

    def __init__(self, cni_path: str | None = None, netns: str | None = None, timeout: float = 60):
        self.cni_path = cni_path or find_cni_path()
        if netns is not None and not netns.startswith("kl-"):
            raise KubelabError(f'refusing to run CNI plugins in network namespace "{netns}": kubelab only uses '
                               "namespaces named kl-…")
        self.netns = netns
        self.timeout = timeout

    def find(self, plugin_type: str) -> str:
        for d in self.cni_path.split(":"):
            if d and os.access(Path(d) / plugin_type, os.X_OK):
                return str(Path(d) / plugin_type)
        raise _NotFound(f"failed to find plugin {go_quote(plugin_type)} in path "
                        f"[{' '.join(d for d in self.cni_path.split(':') if d)}]")

    def exec(self, plugin_type: str, env: dict[str, str], stdin: bytes) -> PluginOutput:
        path = self.find(plugin_type)
        full_env = dict(os.environ)
        full_env.setdefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        full_env.update(env)
        argv = ["ip", "netns", "exec", self.netns, path] if self.netns else [path]
        proc = subprocess.run(argv, input=stdin, env=full_env, capture_output=True, timeout=self.timeout)
        return PluginOutput(proc.stdout.decode("utf-8", "replace"), proc.returncode,
                            proc.stderr.decode("utf-8", "replace"))
