"""``kubelab doctor``: what this machine can run, one line per part, never failing.

Each line is ``ok`` (present), ``missing`` (something installable is not
installed: a Python package, a Debian package) or ``no`` (the machine cannot:
not root, a kernel without IPVS), then what was found or why not.  The exit
status is 0 whatever is missing: the notebooks and the whole model run
without any of the optional parts.

The probes are :mod:`kubelab.capabilities`, the ones the lab and the test
suite ask too; this module only prints :func:`kubelab.capabilities.survey`.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict

from ..capabilities import survey
from .common import add_output_option, command
from .output import print_document, write

__all__ = ["configure", "run"]


def configure(parser: argparse.ArgumentParser) -> None:
    add_output_option(parser, ("json", "yaml"))


@command("doctor", "what this machine can run (always exits 0)", configure)
def run(args: argparse.Namespace) -> int:
    checks = survey()
    if args.output:
        print_document({"checks": [asdict(c) for c in checks]}, args.output)
        return 0
    width = max(len(c.name) for c in checks) + 2
    for c in checks:
        write(f"{c.status:<9}{c.name:<{width}}{c.detail}")
    return 0
