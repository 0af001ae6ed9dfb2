"""``kubelab env POD -f ... [--container C] [--services-only]``: a container's environment as kubelet sets it.

Upstream: kubelet's ``makeEnvironmentVariables`` and ``getServiceEnvVarMap``
through :mod:`kubelab.envvars`: the variables the container declares (with
``$(VAR)`` expanded) and the service variables (``X_SERVICE_HOST``,
``X_PORT_443_TCP_ADDR``, ...), printed ``KEY=VALUE`` one per line, sorted by
key, as ``env | sort`` in the container would show them (kubelab's model has no
image, so ``PATH``, ``HOSTNAME`` and the image's own variables are not there).
``--services-only`` prints only the service variables.  ``-o json`` prints
``{"pod", "container", "env": {KEY: VALUE}}``.

A pod is ``NAME`` (in ``-n NS``, default ``default``) or ``NAMESPACE/NAME``.
A missing pod is kubectl's ``Error from server (NotFound): pods "x" not found``
and status 1; an unknown container is status 2.
"""

from __future__ import annotations

import argparse

from ..errors import NotFoundError
from .common import (NOT_FOUND_PREFIX, add_filename_option, add_namespace_options, add_output_option, command,
                     load_cluster, stderr_line)
from .output import print_document, write

__all__ = ["env_lines"]


def env_lines(env: dict[str, str]) -> list[str]:
    """``KEY=VALUE`` lines sorted by key."""
    return [f"{k}={env[k]}" for k in sorted(env)]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pod", metavar="POD", help="NAME or NAMESPACE/NAME")
    add_filename_option(parser)
    add_namespace_options(parser, all_namespaces=False)
    parser.add_argument("-c", "--container", default=None, metavar="C",
                        help="the container (default: the pod's first container)")
    parser.add_argument("--services-only", action="store_true",
                        help="only the service variables kubelet injects, not the declared ones")
    add_output_option(parser)


@command("env", "a container's environment: its declared variables and the service variables kubelet injects",
         configure)
def run(args: argparse.Namespace) -> int:
    from ..envvars import container_env, find_container, service_env

    cluster, _ = load_cluster(args)
    try:
        pod = cluster.get("pod", args.pod, args.namespace or "default")
    except NotFoundError as exc:
        stderr_line(NOT_FOUND_PREFIX + exc.message)
        return 1
    container = find_container(pod, args.container)
    env = service_env(cluster, pod) if args.services_only else container_env(cluster, pod, container)
    if args.output:
        print_document({"pod": f"{pod.namespace}/{pod.name}", "container": container.name,
                        "env": dict(sorted(env.items()))}, args.output)
    else:
        write("\n".join(env_lines(env)) if env else "")
    return 0
