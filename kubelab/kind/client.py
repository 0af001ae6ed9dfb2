"""A kind cluster through the ``kubernetes`` client: create the model's objects, read the cluster back.

Upstream: the ``kubernetes`` Python client (``CoreV1Api``, ``DiscoveryV1Api``,
``NetworkingV1Api``); every object passes through :mod:`kubelab.api.convert`,
the one conversion module.

Safety: :func:`connect` refuses a context whose name does not start with
``kind-`` unless ``allow_non_kind=True``; what :func:`apply` creates carries
``app.kubernetes.io/managed-by: kubelab`` and a run id label, and
:func:`delete_created` deletes only objects that carry both.

Simplifications: objects are created, never patched (an existing object of the
same name is an error from the API server); the model's system objects
(Nodes, the ``kubernetes`` and ``kube-dns`` Services, CoreDNS, EndpointSlices,
the system namespaces) are never sent; Pod ``status`` cannot be written, so pod
IPs are the CNI plugin's.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..api.registry import group_of, kind_class
from ..errors import KubelabError

__all__ = ["KindClient", "connect", "apply", "delete_created", "import_cluster", "user_objects", "read_live",
           "MANAGED_BY_LABEL", "MANAGED_BY", "RUN_ID_LABEL", "SYSTEM_NAMESPACES", "KINDS"]

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "kubelab"
RUN_ID_LABEL = "kubelab.io/run-id"
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
_SLICE_CONTROLLER = "endpointslice-controller.k8s.io"


@dataclass(frozen=True)
class _Kind:
    api: str          # attribute of KindClient: core, discovery, networking
    plural: str       # the client's method suffix: namespaced_<plural> / <plural>_for_all_namespaces
    namespaced: bool = True

    @classmethod
    def of(cls, kind: str) -> "_Kind":
        """Where the ``kubernetes`` client keeps a kind: its API group's class (``CoreV1Api`` for the core
        group) and the kind in snake case (``list_namespaced_endpoint_slice``), scope from the registry."""
        model = kind_class(kind)
        suffix = re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower()
        return cls(group_of(model).split(".")[0] or "core", suffix, model.namespaced)


#: The kinds kubelab creates (in creation order) or reads, and where the client keeps them.
KINDS: dict[str, _Kind] = {kind: _Kind.of(kind) for kind in (
    "Namespace", "Secret", "Service", "Pod", "NetworkPolicy", "Ingress", "Node", "EndpointSlice")}
_CREATED = ("Namespace", "Secret", "Service", "Pod", "NetworkPolicy", "Ingress")
_READ = ("Namespace", "Node", "Service", "Pod", "EndpointSlice", "NetworkPolicy")


@dataclass
class KindClient:
    """The API groups kubelab talks to, and the context they came from.

    ``apiextensions`` and ``custom`` (``ApiextensionsV1Api``, ``CustomObjectsApi``) carry
    the Gateway API objects (:mod:`kubelab.kind.gateway`); ``None`` leaves them out.
    """

    context: str
    core: Any
    discovery: Any
    networking: Any
    run_id: str = field(default_factory=lambda: secrets.token_hex(4))
    apiextensions: Any = None
    custom: Any = None

    def _api(self, kind: str) -> tuple[Any, _Kind]:
        k = KINDS[kind]
        return getattr(self, k.api), k

    def list(self, kind: str, label_selector: str | None = None) -> list[Any]:
        api, k = self._api(kind)
        method = f"list_{k.plural}" if not k.namespaced else f"list_{k.plural}_for_all_namespaces"
        kwargs = {"label_selector": label_selector} if label_selector else {}
        return list(getattr(api, method)(**kwargs).items)

    def create(self, kind: str, body: Any) -> Any:
        api, k = self._api(kind)
        if k.namespaced:
            return getattr(api, f"create_namespaced_{k.plural}")(body.metadata.namespace or "default", body)
        return getattr(api, f"create_{k.plural}")(body)

    def delete(self, kind: str, name: str, namespace: str | None = None) -> Any:
        api, k = self._api(kind)
        if k.namespaced:
            return getattr(api, f"delete_namespaced_{k.plural}")(name, namespace or "default")
        return getattr(api, f"delete_{k.plural}")(name)


def connect(context: str, allow_non_kind: bool = False, *, config_file: str | None = None) -> KindClient:
    """A :class:`KindClient` for a kubeconfig context; refuses a non-``kind-`` context unless allowed."""
    if not context:
        raise KubelabError("--context: a kubeconfig context is required (kind names them kind-<cluster>)")
    if not context.startswith("kind-") and not allow_non_kind:
        raise KubelabError(f'--context: refusing "{context}": not a kind cluster (its name does not start with '
                           '"kind-"); kubelab creates and deletes objects there')
    from ..extras import require

    require("kubernetes", "talking to a kind cluster")
    from kubernetes import client, config

    try:
        api_client = config.new_client_from_config(config_file=config_file, context=context)
    except Exception as exc:  # noqa: BLE001 - ConfigException, a missing kubeconfig file, ...
        raise KubelabError(f'--context: cannot load context "{context}": {str(exc).splitlines()[0]}') from None
    return KindClient(context, client.CoreV1Api(api_client), client.DiscoveryV1Api(api_client),
                      client.NetworkingV1Api(api_client), apiextensions=client.ApiextensionsV1Api(api_client),
                      custom=client.CustomObjectsApi(api_client))


def _system_keys(cluster: Any) -> set[tuple[str, str, str]]:
    from ..cluster.system import system_objects

    cp = next((n.name for n in cluster.nodes() if "control-plane" in (n.name or "")), "kind-control-plane")
    return {o.key for o in system_objects(cluster.settings, cp)}


def user_objects(cluster_or_objects: Any) -> list[Any]:
    """The objects kubelab would create: the user's Namespaces, Secrets, Services, Pods, NetworkPolicies, Ingresses.

    From a :class:`~kubelab.cluster.Cluster`, its system objects are left out; the order is
    namespaces first, then the kinds in :data:`KINDS` order, then creation order.
    """
    from ..cluster import Cluster

    if isinstance(cluster_or_objects, Cluster):
        system = _system_keys(cluster_or_objects)
        objs = [o for o in cluster_or_objects if o.key not in system]
    else:
        objs = list(cluster_or_objects)
    objs = [o for o in objs if o.kind in _CREATED
            and not (o.kind == "Namespace" and o.name in SYSTEM_NAMESPACES)]
    return sorted(objs, key=lambda o: _CREATED.index(o.kind))


def _body(obj: Any, run_id: str, node_map: dict[str, str]) -> Any:
    from ..api.convert import to_client

    v1 = to_client(obj)
    meta = v1.metadata
    meta.labels = {**(meta.labels or {}), MANAGED_BY_LABEL: MANAGED_BY, RUN_ID_LABEL: run_id}
    meta.resource_version = meta.uid = meta.creation_timestamp = None
    if hasattr(v1, "status"):
        v1.status = None
    if obj.kind == "Pod" and v1.spec.node_name:
        # the model's placement on kind's node of the same rank; a node kind lacks: the scheduler places it
        v1.spec.node_name = node_map.get(v1.spec.node_name)
    return v1


def apply(cluster_or_objects: Any, ctx: KindClient) -> list[tuple[str, str, str]]:
    """Create the model's user objects in the cluster, labelled; returns ``(kind, namespace, name)`` of each.

    The model's ClusterIPs and NodePorts are sent, so the service environment
    variables and the kube-proxy rules match the model's.  Pods keep the model's
    placement: model and kind nodes are paired in order (kind names its nodes
    after the cluster, ``kubelab-worker``), and a live node keeps its own name.
    """
    from ..cluster import Cluster

    live = [n.metadata.name for n in ctx.list("Node")]
    node_map = {n: n for n in live}
    if isinstance(cluster_or_objects, Cluster):
        node_map.update(zip([n.name for n in cluster_or_objects.nodes()], live))
    created = []
    for obj in user_objects(cluster_or_objects):
        ctx.create(obj.kind, _body(obj, ctx.run_id, node_map))
        created.append((obj.kind, obj.namespace if KINDS[obj.kind].namespaced else "", obj.name))
    return created


def delete_created(ctx: KindClient, run_id: str | None = None) -> list[tuple[str, str, str]]:
    """Delete what :func:`apply` created with ``run_id`` (default: ``ctx.run_id``), and nothing else.

    Objects are found by both labels, and each one's labels are checked again before deleting it.
    """
    run_id = run_id or ctx.run_id
    selector = f"{MANAGED_BY_LABEL}={MANAGED_BY},{RUN_ID_LABEL}={run_id}"
    deleted = []
    for kind in reversed(_CREATED):
        for item in ctx.list(kind, label_selector=selector):
            labels = item.metadata.labels or {}
            if labels.get(MANAGED_BY_LABEL) != MANAGED_BY or labels.get(RUN_ID_LABEL) != run_id:
                continue  # a client that ignored the selector: never delete what is not ours
            ns = item.metadata.namespace if KINDS[kind].namespaced else ""
            ctx.delete(kind, item.metadata.name, ns)
            deleted.append((kind, ns or "", item.metadata.name))
    return deleted


def read_live(ctx: KindClient) -> dict[str, list[Any]]:
    """Nodes, Pods, Services, EndpointSlices, NetworkPolicies and Namespaces as kubelab objects, by kind."""
    from ..api.convert import from_client

    return {kind: [from_client(item, f"<{ctx.context}>") for item in ctx.list(kind)] for kind in _READ}


def _supernet(cidrs: Iterable[str], default: str) -> str:
    nets = [ipaddress.ip_network(c) for c in cidrs if c]
    if not nets:
        return default
    if all(n.subnet_of(ipaddress.ip_network(default)) for n in nets if n.version == 4):
        return default
    net = nets[0]
    while not all(n.subnet_of(net) for n in nets):
        net = net.supernet()
    return str(net)


def import_cluster(ctx: KindClient, live: dict[str, list[Any]] | None = None, **settings: Any) -> Any:
    """The live cluster as a kubelab :class:`~kubelab.cluster.Cluster` that mirrors it.

    Pods keep ``status.podIP``/``hostIP`` and ``spec.nodeName``, Services their
    ClusterIPs, Nodes their addresses and ``podCIDR``.  EndpointSlices written by
    the EndpointSlice controller are not loaded (the model's controller derives
    them from the same pods); those of Services without a selector are.  The pod
    CIDR is the smallest range holding every node's ``podCIDR`` unless
    ``pod_cidr=`` is given; ``settings`` are :class:`Cluster` arguments.

    Simplification: a pod the scheduler has not placed yet (no ``nodeName``)
    is placed by the model's scheduler-lite; it stays Pending without an IP.
    """
    from ..cluster import Cluster

    live = live if live is not None else read_live(ctx)
    nodes = live["Node"]
    settings.setdefault("pod_cidr", _supernet([n.spec.pod_cidr for n in nodes], "10.244.0.0/16"))
    kubernetes_ip = next((s.spec.cluster_ip for s in live["Service"]
                          if s.name == "kubernetes" and s.namespace == "default"), None)
    if kubernetes_ip and "service_cidrs" not in settings:
        # the API server's range is not readable before ServiceCIDR objects (1.33): kubeadm's default if it
        # holds the kubernetes Service, else the /16 around it
        default = ipaddress.ip_network("10.96.0.0/12")
        settings["service_cidrs"] = [str(default) if ipaddress.ip_address(kubernetes_ip) in default
                                     else str(ipaddress.ip_network(f"{kubernetes_ip}/16", strict=False))]
    slices = [s for s in live["EndpointSlice"]
              if s.metadata.labels.get("endpointslice.kubernetes.io/managed-by") != _SLICE_CONTROLLER]
    objs = [*nodes, *live["Namespace"], *live["Service"], *live["Pod"], *slices, *live["NetworkPolicy"]]
    return Cluster(objs, system=False, **settings)
