"""``kubelab cni (add|check|del|version|gc|status) --conf FILE`` and ``kubelab cni exec PLUGIN``.

add/check/del/gc/status run a configuration (``.conf`` or ``.conflist``)
through kubelab's CNI runtime (libcni's role, :mod:`kubelab.cni.runtime`) with
the in-memory plugins (``--plugins memory``, the default) or the machine's real
binaries (``--plugins system``, optionally inside a ``kl-`` node namespace with
``--node-netns``).  ``add`` prints the result JSON; a plugin error prints the
spec's error JSON on stdout, libcni's context on stderr, and exits 1; a bad
configuration or usage exits 2.  ``version`` prints each plugin's VERSION
answer.  State kept between calls: host-local's files (``--data-dir``;
in-memory default ``~/.cache/kubelab/cni/networks``), the runtime's result
cache (``--cache-dir``; default ``~/.cache/kubelab/cni``) and, for the
in-memory plugins, the modelled node (``node.pickle`` there; ``KUBELAB_CNI_DIR``
moves all of it).

``exec PLUGIN`` *is* the in-memory plugin as an executable: ``CNI_*`` from
the environment, the configuration on stdin, host-local's files under the
configuration's ``dataDir`` (default ``/var/lib/cni/networks``, as the real
binary), stdout and exit status as the real binary's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .common import UsageError, command

ACTIONS = ("add", "check", "del", "version", "gc", "status", "exec")


def _state_dir() -> Path:
    base = os.environ.get("KUBELAB_CNI_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kubelab", "cni")
    return Path(base)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=ACTIONS, metavar="ACTION", help=" | ".join(ACTIONS))
    parser.add_argument("plugin", nargs="?", help="exec: the plugin to behave as (e.g. host-local)")
    parser.add_argument("--conf", help="network configuration (.conf) or list (.conflist)")
    parser.add_argument("--container-id", default="kubelab", help="CNI_CONTAINERID (default: kubelab)")
    parser.add_argument("--netns", default="", help="CNI_NETNS: the pod's network namespace path")
    parser.add_argument("--ifname", default="eth0", help="CNI_IFNAME (default: eth0)")
    parser.add_argument("--args", action="append", default=[], metavar="KEY=VALUE", help="CNI_ARGS entry (repeatable)")
    parser.add_argument("--capability-args", default="{}", metavar="JSON",
                        help='capability arguments, e.g. \'{"portMappings": [...]}\'')
    parser.add_argument("--plugins", choices=("memory", "system"), default="memory",
                        help="in-memory plugins (default) or the real binaries")
    parser.add_argument("--cni-path", help="CNI_PATH (default: /opt/cni/bin and /usr/lib/cni, those that exist)")
    parser.add_argument("--node-netns", help="system plugins: run them inside this kl- network namespace")
    parser.add_argument("--data-dir", help="host-local's dataDir")
    parser.add_argument("--cache-dir", help="the runtime's result cache directory")
    parser.add_argument("--valid", action="append", default=[], metavar="CONTAINERID/IFNAME",
                        help="gc: an attachment that is still valid (repeatable)")


def _load_node(state: Path):
    """The in-memory node of earlier calls (links, routes, iptables), so add/check/del agree across calls."""
    import pickle

    from ..cni.memory.kernel import Node

    try:
        with open(state / "node.pickle", "rb") as f:
            node = pickle.load(f)  # noqa: S301 - kubelab's own state from the earlier call, in the user's state dir
        return node if isinstance(node, Node) else None
    except (OSError, pickle.PickleError, EOFError, AttributeError):
        return None


def _save_node(state: Path, backend) -> None:
    import pickle

    node = getattr(backend, "node", None)
    if node is None:
        return
    store, node.ipam_store = node.ipam_store, None
    try:
        state.mkdir(parents=True, exist_ok=True)
        with open(state / "node.pickle", "wb") as f:
            pickle.dump(node, f)
    finally:
        node.ipam_store = store


def _exec(plugin: str) -> int:
    from ..cni import MEMORY_PLUGINS, run_plugin
    from ..cni.ipam.host_local import DiskStore
    from ..cni.memory.kernel import Node

    if plugin not in MEMORY_PLUGINS:
        raise UsageError(f"unknown plugin {plugin!r}: kubelab's in-memory plugins are "
                         f"{', '.join(sorted(MEMORY_PLUGINS))}")
    stdin = b"" if os.environ.get("CNI_COMMAND") == "VERSION" else sys.stdin.buffer.read()
    node = Node(ipam_store=DiskStore())
    node.real_netns = True  # the executable stands for the binary on this machine: CNI_NETNS must exist
    out = run_plugin(plugin, dict(os.environ), stdin, node)
    sys.stdout.write(out.stdout)
    sys.stderr.write(out.stderr)
    sys.stdout.flush()
    return out.exit_code


@command("cni", "drive CNI plugins as a runtime would (in-memory or the real binaries)", configure)
def run(args: argparse.Namespace) -> int:
    from ..cni import CNIError, Runtime, RuntimeConf
    from ..cni.backends import MemoryBackend, SystemBackend
    from ..cni.config import load_file
    from ..cni.ipam.host_local import DiskStore

    if args.action == "exec":
        if not args.plugin:
            raise UsageError("kubelab cni exec needs a PLUGIN (e.g. host-local)")
        return _exec(args.plugin)
    if not args.conf:
        raise UsageError(f"kubelab cni {args.action} needs --conf FILE")
    lst = load_file(args.conf)
    try:
        caps = json.loads(args.capability_args)
    except (ValueError, RecursionError) as exc:
        raise UsageError(f"--capability-args: not valid JSON: {exc}") from None
    if not isinstance(caps, dict):
        raise UsageError(f"--capability-args: want a JSON object, e.g. '{{\"portMappings\": [...]}}', not "
                         f"{type(caps).__name__}")
    state = _state_dir()
    if args.plugins == "system":
        backend = SystemBackend(args.cni_path, args.node_netns)
        data_dir = args.data_dir
    else:
        backend = MemoryBackend(_load_node(state), ipam_store=DiskStore(args.data_dir or state / "networks"),
                                cni_path=args.cni_path or "/opt/cni/bin")
        data_dir = None
    runtime = Runtime(backend, cache_dir=args.cache_dir or state, data_dir=data_dir)
    kv = []
    for a in args.args:
        k, sep, v = a.partition("=")
        if not sep:
            raise UsageError(f"--args {a!r}: expected KEY=VALUE")
        kv.append((k, v))
    rt = RuntimeConf(args.container_id, args.netns, args.ifname, kv, caps)
    try:
        if args.action == "add":
            sys.stdout.write(runtime.add(lst, rt).to_json(lst.cni_version, library="1.1") + "\n")
        elif args.action == "check":
            runtime.check(lst, rt)
        elif args.action == "del":
            runtime.delete(lst, rt)
        elif args.action == "version":
            for p in dict.fromkeys(p.type for p in lst.plugins):
                sys.stdout.write(json.dumps(runtime.version(p), separators=(",", ":")) + "\n")
        elif args.action == "gc":
            valid = [tuple(v.split("/", 1)) for v in args.valid]
            errors = runtime.gc(lst, valid)  # type: ignore[arg-type]
            if errors:
                raise errors[0]
        elif args.action == "status":
            runtime.status(lst)
        _save_node(state, backend)
    except CNIError as exc:
        _save_node(state, backend)
        sys.stdout.write(exc.to_json() + "\n")
        context = getattr(exc, "context", "")
        sys.stderr.write(f"error: {context + ': ' if context else ''}{exc}\n")
        return 1
    return 0
