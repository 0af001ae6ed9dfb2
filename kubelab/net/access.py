"""Reaching a ClusterIP Service from outside the cluster: ``kubectl proxy`` and ``kubectl port-forward``.

A ClusterIP exists only in the nodes' rules, so a laptop cannot connect to it. Two kubectl
commands reach such a Service anyway, both through the API server and neither through kube-proxy:

* ``kubectl proxy`` serves the API on ``127.0.0.1:8001``; the path
  ``/api/v1/namespaces/<ns>/services/[https:]<name>[:<port>]/proxy/`` makes the API server itself
  open a connection to one ready endpoint of the Service, chosen at random, and relay the HTTP
  request (Kubernetes v1.35 ``pkg/registry/core/service/storage/storage.go``, ``ResourceLocation``:
  the id is ``scheme:name:port``, split by ``k8s.io/apimachinery/pkg/util/net.SplitSchemeNamePort``;
  the port is a Service port's name or number; no ready endpoint is HTTP 503 ``no endpoints
  available for service "<name>"``).
* ``kubectl port-forward service/<name> LOCAL:PORT`` picks *one pod* of the Service and tunnels
  TCP to it: kubectl → API server (``pods/portforward``) → kubelet → the container runtime's CRI
  ``PortForward``, which connects to the port *inside the pod's network namespace*. The Service
  port is translated to the pod's port as kubectl does (``staging/src/k8s.io/kubectl/pkg/cmd/
  portforward/portforward.go``, ``translateServicePortToTargetPort``: a numeric ``targetPort`` as
  is, a named one looked up in the pod's container ports).

Simplifications: the model does not pick the API server's endpoint at random (it lists the
candidates); kubectl chooses the pod by sorting the Service's pods "most active first"
(``podutils.ActivePods``, reversed), which for the model's equally ready pods is the first by
name; only TCP is forwarded, as in kubectl.

Examples
--------
>>> api_proxy_path("shop", "web", "http")
'/api/v1/namespaces/shop/services/web:http/proxy/'
>>> from kubelab import Cluster
>>> from kubelab.examples import manifest
>>> c = Cluster(manifest("web-service", "web-pods"))
>>> api_proxy_endpoints(c, "default", "web", "http")
['10.244.1.2:8080', '10.244.2.2:8080', '10.244.2.3:8080']
>>> port_forward_target(c, "default", "web", 80)
('web-1', 8080)
"""

from __future__ import annotations

from ..cluster import Cluster
from ..errors import KubelabError

__all__ = ["api_proxy_path", "api_proxy_endpoints", "port_forward_target"]


def api_proxy_path(namespace: str, name: str, port: str | int | None = None, scheme: str | None = None) -> str:
    """The API server path that proxies HTTP to a Service (``kubectl proxy`` serves it on 127.0.0.1:8001).

    >>> api_proxy_path("default", "web")
    '/api/v1/namespaces/default/services/web/proxy/'
    >>> api_proxy_path("default", "web", 443, scheme="https")
    '/api/v1/namespaces/default/services/https:web:443/proxy/'
    """
    ident = name if port in (None, "") else f"{name}:{port}"
    if scheme:
        ident = f"{scheme}:{ident}"
    return f"/api/v1/namespaces/{namespace}/services/{ident}/proxy/"


def _service_port(cluster: Cluster, namespace: str, name: str, port: str | int | None):
    svc = cluster.get("svc", name, namespace)  # NotFoundError: services "<name>" not found
    ports = svc.spec.ports or []
    if port in (None, ""):
        if not ports:
            raise KubelabError(f"Service {namespace}/{name} has no ports", obj=f"Service {namespace}/{name}")
        return svc, ports[0]
    for p in ports:
        if (isinstance(port, int) and p.port == port) or (isinstance(port, str) and (p.name == port or
                                                                                    str(p.port) == port)):
            return svc, p
    raise KubelabError(f"Service {namespace}/{name} has no port {port!r}", obj=f"Service {namespace}/{name}")


def api_proxy_endpoints(cluster: Cluster, namespace: str, name: str, port: str | int | None = None) -> list[str]:
    """The ``ip:port`` addresses the API server's Service proxy picks from (one at random per request).

    Ready endpoints of the Service's EndpointSlices whose port has the Service port's name.
    Raises :class:`~kubelab.errors.KubelabError` with the API server's 503 message when there is none.

    >>> from kubelab import Cluster
    >>> api_proxy_endpoints(Cluster(), "default", "kubernetes", "https")
    ['172.18.0.2:6443']
    """
    svc, sp = _service_port(cluster, namespace, name, port)
    out: list[str] = []
    for s in cluster.endpoint_slices(name, namespace):
        for p in s.ports:
            if (p.name or "") != (sp.name or ""):
                continue
            out += [f"{a}:{p.port}" for e in s.endpoints if e.conditions.ready is not False for a in e.addresses]
    if not out:
        raise KubelabError(f'no endpoints available for service "{name}"', obj=f"Service {namespace}/{name}")
    return sorted(set(out))


def port_forward_target(cluster: Cluster, namespace: str, name: str, port: str | int) -> tuple[str, int]:
    """The pod and pod port ``kubectl port-forward service/<name> LOCAL:<port>`` connects to.

    Examples
    --------
    >>> from kubelab import Cluster
    >>> from kubelab.examples import manifest
    >>> port_forward_target(Cluster(manifest("web-service", "web-pods")), "default", "web", "http")
    ('web-1', 8080)
    """
    svc, sp = _service_port(cluster, namespace, name, port)
    selector = svc.spec.selector or {}
    if not selector:
        raise KubelabError(f"cannot attach to Service {namespace}/{name}: it has no selector",
                           obj=f"Service {namespace}/{name}")
    pods = sorted((p for p in cluster.pods(namespace)
                   if all(p.metadata.labels.get(k) == v for k, v in selector.items())
                   and (p.status.phase in (None, "Running")) and p.status.pod_ip),
                  key=lambda p: p.name)
    if not pods:
        raise KubelabError(f"no running pod selected by Service {namespace}/{name}", obj=f"Service {namespace}/{name}")
    pod = pods[0]
    target = sp.target_port if sp.target_port not in (None, 0, "") else sp.port
    if isinstance(target, int):
        return pod.name, target
    for c in pod.spec.containers:
        for cp in c.ports or []:
            if cp.name == target:
                return pod.name, int(cp.container_port)
    raise KubelabError(f"Pod '{pod.name}' does not have a named port '{target}'", obj=f"Pod {namespace}/{pod.name}")
