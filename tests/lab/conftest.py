"""The lab's fixtures: the host's own network state, read before and after (never changed)."""

from __future__ import annotations

import subprocess

import pytest

HOST_VIEWS = (["ip", "-o", "link"], ["ip", "-o", "addr"], ["ip", "route"], ["iptables-save"],
              ["nft", "list", "ruleset"])


def host_state() -> dict[str, str]:
    """The root namespace's links, addresses, routes, iptables rules and nftables ruleset (read-only commands)."""
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


@pytest.fixture(autouse=True)
def host_untouched_by_each_test():
    """The same check around every test of tests/lab (the lab of a module stays up in between)."""
    before = host_state()
    yield
    after = host_state()
    for view in before:
        assert before[view] == after[view], f"the host's `{view}` changed during the test"
        HOST_CHECKS.append(view)


def pytest_terminal_summary(terminalreporter):
    if HOST_CHECKS:
        terminalreporter.write_line(f"tests/lab: {len(HOST_CHECKS)} host-state checks (links, addresses, routes, "
                                    "iptables rules, nftables ruleset of the root namespace), all unchanged")
