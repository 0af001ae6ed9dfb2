"""``kubelab validate -f ...``: load, default, validate and admit the manifests; ``ok: N objects``.

N counts the objects in the manifests (``List`` items expanded), not the
objects every cluster starts with.  The manifests are also applied to a model
cluster built from the global flags, so what the API server would refuse at
admission (a clusterIP outside the service range or already taken, a
nodePort clash) fails here too.  Warnings go to stderr as ``Warning: ...``.
"""

from __future__ import annotations

import argparse

from .common import add_filename_option, add_output_option, command, load_cluster
from .output import print_document, write


def configure(parser: argparse.ArgumentParser) -> None:
    add_filename_option(parser)
    add_output_option(parser, ("json", "yaml"))


@command("validate", "check manifests: ok: N objects, or the first error", configure)
def run(args: argparse.Namespace) -> int:
    cluster, manifests = load_cluster(args)
    if args.output:
        print_document({"ok": True, "objects": len(manifests),
                        "warnings": list(dict.fromkeys([*manifests.warnings, *cluster.warnings]))}, args.output)
    else:
        write(f"ok: {len(manifests)} objects")
    return 0
