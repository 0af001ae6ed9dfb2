"""Pod manifests for the linuxns tests, loaded (defaulted and validated) through kubelab.api."""

from __future__ import annotations

import yaml

from kubelab.api import Pod, load_text


def make_pod(name: str = "web", containers=None, node: str | None = "kind-worker", namespace: str = "default",
             ip: str | None = None, **spec) -> Pod:
    """A validated Pod; ``containers`` are dicts (default: app and proxy), ``spec`` adds PodSpec fields."""
    containers = containers or [{"name": "app", "image": "nginx"}, {"name": "proxy", "image": "envoy"}]
    for c in [*containers, *spec.get("initContainers", [])]:
        c.setdefault("image", "busybox")
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
            "spec": {"containers": containers, **spec}}
    if node:
        body["spec"]["nodeName"] = node
    if ip:
        body["status"] = {"podIP": ip, "phase": "Running"}
    (pod,) = load_text(yaml.safe_dump(body))
    return pod


def port(container_port: int, host_port: int | None = None, protocol: str = "TCP", host_ip: str | None = None):
    p = {"containerPort": container_port, "protocol": protocol}
    if host_port:
        p["hostPort"] = host_port
    if host_ip:
        p["hostIP"] = host_ip
    return p
