"""Pod manifests for the linuxns tests, loaded (defaulted and validated) through kubelab.api."""

from __future__ import annotations

from kubelab.api import Pod, load_text
from tests import factories


def make_pod(name: str = "web", containers=None, node: str | None = "kind-worker", namespace: str = "default",
             ip: str | None = None, **spec) -> Pod:
    """A validated Pod; ``containers`` are dicts (default: app and proxy), ``spec`` adds PodSpec fields."""
    containers = containers or [{"name": "app", "image": "nginx"}, {"name": "proxy", "image": "envoy"}]
    for c in [*containers, *spec.get("initContainers", [])]:
        c.setdefault("image", "busybox")
    body = factories.pod(name, namespace=namespace, node=node or None, containers=containers, ip=ip or None,
                         phase="Running" if ip else None, **spec)
    (pod,) = load_text(factories.to_yaml(body))
    return pod


def port(container_port: int, host_port: int | None = None, protocol: str = "TCP", host_ip: str | None = None):
    p = {"containerPort": container_port, "protocol": protocol}
    if host_port:
        p["hostPort"] = host_port
    if host_ip:
        p["hostIP"] = host_ip
    return p
