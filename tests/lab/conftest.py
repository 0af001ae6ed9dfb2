"""The lab's fixtures: the host's own network state, read before and after (never changed)."""

from __future__ import annotations

import subprocess

import pytest

HOST_VIEWS = (["ip", "-o", "link"], ["ip", "-o", "addr"], ["ip", "route"], ["iptables-save"])


def host_state() -> dict[str, str]:
    """The root namespace's links, addresses, routes and iptables rules (read-only commands)."""
    out = {}
    for argv in HOST_VIEWS:
        text = subprocess.run(argv, capture_output=True, text=True).stdout
        if argv[0] == "iptables-save":  # its "# Generated … on <date>" lines and packet counters change
            text = "\n".join(line.split(" [")[0] if line.startswith(":") else line
                             for line in text.splitlines() if not line.startswith("#"))
        out[" ".join(argv)] = text
    return out


HOST_CHECKS: list[str] = []


@pytest.fixture(scope="module")
def host_unchanged():
    """Record the host's network state; after the module, assert it is exactly the same."""
    before = host_state()
    yield before
    after = host_state()
    for view in before:
        assert before[view] == after[view], f"the host's `{view}` changed"
        HOST_CHECKS.append(view)
