"""What every subcommand shares: the command registry, global cluster flags, ``-f``/``-o``, loading, warnings.

A subcommand is one module of :mod:`kubelab.cli` that registers itself with
:func:`command` (scapy-style: a name in a small registry, no if/elif ladder
over names) and is listed in :data:`kubelab.cli.main.MODULES`.  Its
``configure(parser)`` adds its own arguments; its ``run(args)`` returns the
exit status: 0 success / found / allowed, 1 a negative verdict, 2 bad input
(docs/cli.md).  A :class:`~kubelab.errors.KubelabError` raised from ``run``
becomes one ``error: ...`` line and status 2 (see :func:`kubelab.cli.main.main`).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any, Callable

from ..cluster.settings import CNI_PLUGINS, DNS_POD_MODES, PROXY_MODES
from ..errors import KubelabError
from .output import warn

__all__ = ["Command", "COMMANDS", "command", "UsageError", "GLOBAL_OPTIONS", "add_global_options",
           "merge_global_options", "add_filename_option", "add_output_option", "add_namespace_options",
           "load_manifests", "load_cluster", "cluster_settings", "emit_warnings", "NOT_FOUND_PREFIX", "MAX_COUNT",
           "check_count"]

#: kubectl's prefix for a NotFound answer from the API server.
NOT_FOUND_PREFIX = "Error from server (NotFound): "
#: The most connections or requests one ``--count`` may ask for (each is a whole trace kept for the split).
MAX_COUNT = 10_000


class UsageError(KubelabError):
    """A mistake in how the command was called (as opposed to in the manifests)."""


@dataclass
class Command:
    """One subcommand: its name, one-line help, argument setup and body."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    description: str = ""


#: name -> Command, in registration order (the order of ``kubelab --help``).
COMMANDS: dict[str, Command] = {}


def command(name: str, help: str, configure: Callable[[argparse.ArgumentParser], None],
            description: str = "") -> Callable[[Callable[[argparse.Namespace], int]], Callable]:
    """Register ``run`` as the body of ``kubelab NAME``; used as a decorator on ``run``."""
    def decorate(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        if name in COMMANDS and COMMANDS[name].run is not run:
            raise ValueError(f"kubelab {name} is registered twice")
        COMMANDS[name] = Command(name, help, configure, run, description)
        return run
    return decorate


# ---------------------------------------------------------------- global flags (docs/design.md, "The cluster")
#: flag -> (dest, argparse keyword arguments).  Accepted before or after the subcommand.
GLOBAL_OPTIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "--service-cidr": ("service_cidrs", dict(action="append", metavar="CIDR",
                                             help="a Service IP range (repeatable; default 10.96.0.0/12)")),
    "--pod-cidr": ("pod_cidr", dict(metavar="CIDR", help="the cluster's pod range (default 10.244.0.0/16)")),
    "--cluster-domain": ("cluster_domain", dict(metavar="DOMAIN", help="the DNS domain (default cluster.local)")),
    "--cni": ("cni", dict(choices=CNI_PLUGINS, metavar="PLUGIN",
                          help="the CNI plugin: " + ", ".join(CNI_PLUGINS) + " (default calico)")),
    "--proxy-mode": ("proxy_mode", dict(choices=PROXY_MODES, metavar="MODE",
                                        help="kube-proxy's mode: " + ", ".join(PROXY_MODES) + " (default iptables)")),
    "--dns-pods": ("dns_pods", dict(choices=DNS_POD_MODES, help="CoreDNS 'pods' option (default insecure)")),
    "--service-node-port-range": ("node_port_range", dict(metavar="BASE-MAX",
                                                          help="the NodePort range (default 30000-32767)")),
}
_SUB = "sub__"


def add_global_options(parser: argparse.ArgumentParser, *, sub: bool) -> None:
    """Add the cluster flags; on a subcommand they land in separate ``sub__`` dests, merged afterwards."""
    group = parser.add_argument_group("cluster settings (before or after the subcommand)")
    for flag, (dest, kwargs) in GLOBAL_OPTIONS.items():
        if sub:
            group.add_argument(flag, dest=_SUB + dest, default=argparse.SUPPRESS, **kwargs)
        else:
            group.add_argument(flag, dest=dest, default=None, **kwargs)


def merge_global_options(args: argparse.Namespace) -> argparse.Namespace:
    """Fold flags given after the subcommand into those given before it (repeatable ones accumulate)."""
    for _flag, (dest, kwargs) in GLOBAL_OPTIONS.items():
        if not hasattr(args, _SUB + dest):
            continue
        value = getattr(args, _SUB + dest)
        delattr(args, _SUB + dest)
        if kwargs.get("action") == "append":
            value = [*(getattr(args, dest) or []), *value]
        setattr(args, dest, value)
    return args


def cluster_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The ``Cluster(...)`` keyword arguments the flags ask for (unset flags keep the defaults)."""
    out = {dest: getattr(args, dest) for dest, _ in GLOBAL_OPTIONS.values() if getattr(args, dest, None) is not None}
    return out


# ---------------------------------------------------------------- common subcommand options
def add_filename_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--filename", dest="filenames", action="append", default=[], metavar="PATH",
                        help="manifests: a file, a directory (its .yaml/.yml/.json files) or - for stdin; "
                             "repeatable")


def add_output_option(parser: argparse.ArgumentParser, choices: tuple[str, ...] = ("json",)) -> None:
    parser.add_argument("-o", "--output", choices=choices, default=None, metavar="|".join(choices),
                        help="output format: " + ", ".join(choices))


def add_namespace_options(parser: argparse.ArgumentParser, *, all_namespaces: bool = True) -> None:
    parser.add_argument("-n", "--namespace", default=None, metavar="NS", help="the namespace (default: default)")
    if all_namespaces:
        parser.add_argument("-A", "--all-namespaces", action="store_true",
                            help="every namespace, kube-system included")


# ---------------------------------------------------------------- loading
def emit_warnings(messages: list[str]) -> None:
    """Each warning once, in order, on stderr as ``Warning: ...``."""
    for m in dict.fromkeys(messages):
        warn(m)


def load_manifests(args: argparse.Namespace):
    """Everything the ``-f`` options name, as one :class:`~kubelab.api.Manifests`."""
    if not args.filenames:
        raise UsageError("must specify one of -f and -k")
    from ..api import Manifests, load_path
    from ..api.loader import check_duplicates

    out = Manifests()
    for path in args.filenames:
        out.extend_from(load_path(path))
    check_duplicates(out)
    return out


def load_cluster(args: argparse.Namespace):
    """``(cluster, manifests)``: the manifests applied to a cluster built from the global flags.

    The load's warnings and the cluster's (undeclared nodes, unschedulable
    pods, ...) are printed on stderr.
    """
    manifests = load_manifests(args)
    from ..cluster import Cluster

    cluster = Cluster(manifests.handed_over(), **cluster_settings(args))  # no command changes them afterwards
    emit_warnings([*manifests.warnings, *cluster.warnings])
    return cluster, manifests


def check_count(count: int | None, flag: str = "--count") -> None:
    """``--count N``: at least 1 and at most :data:`MAX_COUNT`, or one usage error line."""
    if count is not None and not 1 <= count <= MAX_COUNT:
        raise UsageError(f'{flag} "{count}": must be between 1 and {MAX_COUNT}')


def stderr_line(text: str) -> None:
    sys.stderr.write(text + "\n")
