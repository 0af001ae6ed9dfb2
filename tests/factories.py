"""One place to build the Kubernetes objects and clusters the tests need.

Each factory returns a plain manifest (a dict, as ``yaml.safe_load`` would give);
:func:`to_yaml` turns one or several into the YAML text the loader and the CLI
read, and :func:`cluster` builds a :class:`kubelab.Cluster` from dicts or YAML
text alike.  Defaults are the smallest object the API server accepts: a pod
has one container named ``app`` running ``nginx``, a Service has one port 80.
Everything else is a keyword, so a test shows what matters to it::

    from tests import factories as f

    c = f.cluster(f.service("web", selector={"app": "web"}, ports=[{"port": 80, "targetPort": 8080}]),
                  f.pod("web-0", labels={"app": "web"}, node="kind-worker", ports=[8080]))

The example manifests the notebooks, the benchmarks and the tests share are
``kubelab/data/manifests`` (``kubelab.examples.manifest("web-service", "web-pods")``).

>>> pod("web", labels={"app": "web"}, ports=[8080])["spec"]["containers"]
[{'name': 'app', 'image': 'nginx', 'ports': [{'containerPort': 8080}]}]
>>> service("web", selector={"app": "web"})["spec"]
{'selector': {'app': 'web'}, 'ports': [{'port': 80}]}
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kubelab import Cluster
from kubelab.api.yamltojson import dump

__all__ = ["pod", "service", "node", "to_yaml", "cluster", "web_cluster", "WORKERS"]

#: The two kind workers a fresh :class:`kubelab.Cluster` has.
WORKERS = ("kind-worker", "kind-worker2")


def _metadata(name: str, namespace: str | None, labels: dict[str, str] | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    if labels is not None:
        meta["labels"] = labels
    return meta


def pod(name: str, *, namespace: str | None = None, labels: dict[str, str] | None = None, node: str | None = None,
        ports: Iterable[int | dict] | None = None, ip: str | None = None, phase: str | None = None,
        container: str = "app", image: str = "nginx", containers: list[dict] | None = None,
        status: dict | None = None, **spec: Any) -> dict[str, Any]:
    """A Pod: one container (``container``, ``image``, ``ports``) unless ``containers``.

    ``ports`` are container port numbers or whole ``containerPort`` entries (``{"name": "http", ...}``);
    ``node`` is ``spec.nodeName``; ``ip`` and ``phase`` fill ``status`` (a pod the scheduler
    and kubelet already saw); more ``spec`` fields as keywords (``hostNetwork=True``).
    """
    if containers is None:
        one: dict[str, Any] = {"name": container, "image": image}
        if ports is not None:
            one["ports"] = [{"containerPort": p} if isinstance(p, int) else p for p in ports]
        containers = [one]
    body: dict[str, Any] = {"containers": containers, **spec}
    if node is not None:
        body = {"nodeName": node, **body}
    doc: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod", "metadata": _metadata(name, namespace, labels),
                           "spec": body}
    status = dict(status or {})
    if phase is not None:
        status["phase"] = phase
    if ip is not None:
        status["podIP"] = ip
    if status:
        doc["status"] = status
    return doc


def service(name: str, *, namespace: str | None = None, selector: dict[str, str] | None = None,
            ports: list[dict] | None = None, status: dict | None = None, labels: dict[str, str] | None = None,
            **spec: Any) -> dict[str, Any]:
    """A Service: ``ports`` default to one port 80; no selector unless given; more ``spec`` fields as keywords."""
    body: dict[str, Any] = {}
    if selector is not None:
        body["selector"] = selector
    body["ports"] = [{"port": 80}] if ports is None else ports
    body.update(spec)
    doc: dict[str, Any] = {"apiVersion": "v1", "kind": "Service", "metadata": _metadata(name, namespace, labels),
                           "spec": body}
    if status:
        doc["status"] = status
    return doc


def node(name: str, *, ip: str | None = None, pod_cidr: str | None = None,
         labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A Node, with its ``InternalIP`` and ``spec.podCIDR`` when given."""
    doc: dict[str, Any] = {"apiVersion": "v1", "kind": "Node", "metadata": _metadata(name, None, labels)}
    if pod_cidr is not None:
        doc["spec"] = {"podCIDR": pod_cidr}
    if ip is not None:
        doc["status"] = {"addresses": [{"type": "InternalIP", "address": ip}]}
    return doc


def to_yaml(*docs: dict[str, Any]) -> str:
    """The manifests as one YAML text (documents separated by ``---``).

    >>> print(to_yaml(node("n1"), node("n2")))
    apiVersion: v1
    kind: Node
    metadata:
      name: n1
    ---
    apiVersion: v1
    kind: Node
    metadata:
      name: n2
    <BLANKLINE>
    """
    return "---\n".join(dump(d, sort_keys=False) for d in docs)


def cluster(*docs: dict[str, Any] | str, **kwargs: Any) -> Cluster:
    """A :class:`kubelab.Cluster` of the manifests (dicts or YAML text); ``kwargs`` go to ``Cluster``."""
    return Cluster([d if isinstance(d, str) else dump(d) for d in docs], **kwargs)


def web_cluster(n_backends: int = 3, *, extra_services: int = 0, **service_spec: Any) -> Cluster:
    """Service ``web`` (port 80 -> 8080 unless ``ports``), a ``client`` pod and ``n_backends`` pods behind it.

    The backends ``web-0``, ``web-1``, ... alternate between the two workers; ``extra_services``
    more Services ``other-000``, ... select the same pods (a bigger rule set, the same answer).
    """
    service_spec.setdefault("ports", [{"port": 80, "targetPort": 8080}])
    labels = {"app": "web"}
    docs = [service("web", selector=labels, **service_spec),
            pod("client", node=WORKERS[0], container="c", image="busybox")]
    docs += [pod(f"web-{i}", labels=labels, node=WORKERS[i % 2], container="c", ports=[8080])
             for i in range(n_backends)]
    docs += [service(f"other-{i:03d}", selector=labels, ports=[{"port": 80, "targetPort": 8080}])
             for i in range(extra_services)]
    return cluster(*docs)

