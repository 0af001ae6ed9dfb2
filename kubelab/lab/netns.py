"""Throwaway Linux network namespaces, always named ``kl-…`` and always removed.

A :class:`NetNS` is created with ``ip netns add`` and deleted with ``ip netns
del`` when the ``with`` block ends, whatever happens inside (an exception,
Ctrl-C).  Commands run inside it with ``ip netns exec``.  Nothing here touches
the host's own network namespace: every command is prefixed with ``ip netns exec
<kl-name>``, and a name without the ``kl-`` prefix is refused.

Examples
--------
>>> NetNS("host")
Traceback (most recent call last):
...
kubelab.errors.KubelabError: refusing to manage network namespace "host": kubelab only touches namespaces named kl-…
"""

from __future__ import annotations

import itertools
import os
import subprocess
from pathlib import Path

from ..errors import KubelabError

__all__ = ["NetNS", "NETNS_PREFIX", "list_lab_namespaces"]

NETNS_PREFIX = "kl-"
_counter = itertools.count()


def list_lab_namespaces() -> list[str]:
    """The ``kl-`` network namespaces that exist now."""
    run_dir = Path("/run/netns")
    if not run_dir.is_dir():
        return []
    return sorted(p.name for p in run_dir.iterdir() if p.name.startswith(NETNS_PREFIX))


class NetNS:
    """A network namespace that exists for the duration of a ``with`` block."""

    def __init__(self, name: str | None = None):
        name = name or f"{NETNS_PREFIX}{os.getpid()}-{next(_counter)}"
        if not name.startswith(NETNS_PREFIX):
            raise KubelabError(f'refusing to manage network namespace "{name}": kubelab only touches namespaces '
                               f"named {NETNS_PREFIX}…")
        self.name = name
        self.created = False

    def __enter__(self) -> "NetNS":
        subprocess.run(["ip", "netns", "add", self.name], check=True, capture_output=True)
        self.created = True
        self.run(["ip", "link", "set", "lo", "up"])
        return self

    def __exit__(self, *exc) -> None:
        self.delete()

    def delete(self) -> None:
        if self.created:
            subprocess.run(["ip", "netns", "del", self.name], capture_output=True)
            self.created = False

    def run(self, argv: list[str], input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        """Run ``argv`` inside the namespace; stdout/stderr are captured as text."""
        if not self.created:
            raise KubelabError(f"network namespace {self.name} does not exist")
        return subprocess.run(["ip", "netns", "exec", self.name, *argv], input=input, text=True,
                              capture_output=True, check=check)
