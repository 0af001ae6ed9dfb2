"""A fake of the few ``kubernetes`` client methods kubelab.kind calls, holding real client model objects.

No network: ``list_*`` returns the client's ``V1…List`` with the stored items
(filtered by equality label selectors, as the API server filters them),
``create_*`` stores a copy with the fields the API server fills in
(uid, resourceVersion, creationTimestamp), ``delete_*`` removes one object and
records the call.
"""

from __future__ import annotations

import copy
import datetime
import itertools
import re

from kubernetes import client

from kubelab.api.convert import to_client
from kubelab.kind.client import KINDS, KindClient

_LIST_CLASS = {"namespace": "V1NamespaceList", "secret": "V1SecretList", "service": "V1ServiceList",
               "pod": "V1PodList", "network_policy": "V1NetworkPolicyList", "ingress": "V1IngressList",
               "node": "V1NodeList", "endpoint_slice": "V1EndpointSliceList"}
_KIND_OF_PLURAL = {k.plural: kind for kind, k in KINDS.items()}
_uids = itertools.count(1)
NOW = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.timezone.utc)


def served(v1):
    """``v1`` as the API server returns it: uid, resourceVersion and creationTimestamp filled in."""
    v1 = copy.deepcopy(v1)
    n = next(_uids)
    v1.metadata.uid = f"00000000-0000-4000-8000-{n:012d}"
    v1.metadata.resource_version = str(1000 + n)
    v1.metadata.creation_timestamp = NOW
    return v1


def _matches(labels, selector):
    if not selector:
        return True
    for term in selector.split(","):
        key, _, value = term.partition("=")
        if (labels or {}).get(key) != value:
            return False
    return True


class FakeGroup:
    """One API group (CoreV1Api, DiscoveryV1Api, NetworkingV1Api): list/create/delete over a shared store."""

    def __init__(self, store, ignore_selector=False):
        self.store = store
        self.ignore_selector = ignore_selector

    def __getattr__(self, method):
        m = re.fullmatch(r"(list|create|delete)_(namespaced_)?(\w+?)(_for_all_namespaces)?", method)
        if not m or m.group(3) not in _KIND_OF_PLURAL:
            raise AttributeError(method)
        verb, plural = m.group(1), m.group(3)
        kind = _KIND_OF_PLURAL[plural]

        def list_(label_selector=None):
            items = [o for o in self.store.objects[kind]
                     if self.ignore_selector or _matches(o.metadata.labels, label_selector)]
            return getattr(client, _LIST_CLASS[plural])(items=[copy.deepcopy(o) for o in items])

        def create(*args):
            body = args[-1]
            if len(args) == 2:
                assert body.metadata.namespace in (None, args[0])
                body.metadata.namespace = args[0]
            self.store.created.append((kind, body))
            self.store.objects[kind].append(served(body))
            return body

        def delete(name, namespace=None):
            self.store.deleted.append((kind, namespace or "", name))
            objs = self.store.objects[kind]
            objs[:] = [o for o in objs if not (o.metadata.name == name and (o.metadata.namespace or "") ==
                                               (namespace or ""))]

        return {"list": list_, "create": create, "delete": delete}[verb]


class FakePods(FakeGroup):
    """CoreV1Api with the two pod reads the DNS probe uses: the pod finishes at once with ``log``."""

    log = ""

    def read_namespaced_pod(self, name, namespace):
        pod = next(o for o in self.store.objects["Pod"] if o.metadata.name == name)
        pod.status = client.V1PodStatus(phase="Succeeded")
        return pod

    def read_namespaced_pod_log(self, name, namespace):
        return self.log


class FakeStore:
    def __init__(self, objects=()):
        self.objects = {kind: [] for kind in KINDS}
        for o in objects:
            self.objects[type(o).__name__[2:]].append(o)
        self.created = []
        self.deleted = []


def fake_context(objects=(), context="kind-kubelab", ignore_selector=False, run_id="run1"):
    """``(KindClient, store)`` over client model objects."""
    store = FakeStore(objects)
    ctx = KindClient(context, FakePods(store, ignore_selector), FakeGroup(store, ignore_selector),
                     FakeGroup(store, ignore_selector), run_id=run_id)
    return ctx, store


def live_objects(model, *, node_prefix="kubelab", pod_ip_offset=100):
    """What a kind cluster running ``model`` would return: its objects through the client classes.

    Nodes are renamed as kind names them (``kubelab-worker``), pod IPs are others
    (the CNI plugin's, not the model's), everything carries server-filled metadata.
    """
    import ipaddress

    rename = {n.name: n.name.replace("kind", node_prefix, 1) for n in model.nodes()}
    out = []
    for obj in model:
        if obj.kind not in KINDS:
            continue
        v1 = served(to_client(obj))
        if obj.kind == "Node":
            v1.metadata.name = rename[obj.name]
        if obj.kind == "Pod":
            v1.spec.node_name = rename.get(v1.spec.node_name, v1.spec.node_name)
            if v1.status.pod_ip:
                ip = str(ipaddress.ip_address(v1.status.pod_ip) + pod_ip_offset)
                v1.status.pod_ip, v1.status.pod_ips = ip, [client.V1PodIP(ip=ip)]
        if obj.kind == "EndpointSlice":
            for ep in v1.endpoints:
                ep.node_name = rename.get(ep.node_name, ep.node_name)
                ep.addresses = [str(ipaddress.ip_address(a) + pod_ip_offset) for a in ep.addresses]
        out.append(v1)
    return out
