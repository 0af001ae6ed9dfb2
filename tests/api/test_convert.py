"""Round trips through the real ``kubernetes`` client classes (kubelab.api.convert).

Upstream: kubernetes-client/python ``kubernetes/client/models`` (the classes and
their ``attribute_map``, generated from the Kubernetes OpenAPI document).
"""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from kubelab.api import from_client, from_dict, load_text, to_client
from kubelab.api.convert import CLIENT_CLASSES
from kubelab.api.registry import KINDS
from kubelab.api.schema import _fields
from kubelab.api.upstream import model_modules
from kubelab.errors import KubelabError, ValidationError

from .manifests import ALL, POD, SERVICE, fresh

client = pytest.importorskip("kubernetes.client")

def _model_classes():
    seen = []
    for mod in model_modules():
        for obj in vars(mod).values():
            if inspect.isclass(obj) and dataclasses.is_dataclass(obj) and obj.__module__ == mod.__name__:
                seen.append(obj)
    return seen


@pytest.mark.parametrize("manifest", [m for _, m in ALL], ids=[i for i, _ in ALL])
def test_round_trip_through_client(manifest):
    obj = from_dict(fresh(manifest))[0]
    v1 = to_client(obj)
    klass = CLIENT_CLASSES.get((obj.api_version, obj.kind))
    if klass is None:
        assert isinstance(v1, dict) and v1 == obj.to_dict()
    else:
        assert type(v1).__name__ == klass
    back = from_client(v1)
    assert back == obj
    assert back.to_dict() == obj.to_dict()


def test_every_kind_is_covered():
    covered = {(m["apiVersion"], m["kind"]) for _, m in ALL}
    assert covered == set(KINDS)
    # Every kind with a client class is mapped to it, and the class exists.
    for key, cls in KINDS.items():
        if cls._k8s_model:
            assert CLIENT_CLASSES[key] == cls._k8s_model
            assert hasattr(client.models, cls._k8s_model)


def test_unmodelled_fields_reach_the_client_object():
    v1 = to_client(from_dict(fresh(POD))[0])
    c = v1.spec.containers[0]
    assert c.readiness_probe.http_get.port == "http"
    assert c.resources.requests == {"cpu": "100m", "memory": "64Mi"}
    assert c.security_context.capabilities.drop == ["ALL"]
    assert v1.spec.security_context.run_as_non_root is True
    assert c.env[1].value_from.field_ref.field_path == "status.podIP"
    assert v1.metadata.owner_references[0].kind == "StatefulSet"
    svc = to_client(from_dict(fresh(SERVICE))[0])
    assert svc.spec.ip_families == ["IPv4"]
    assert svc.spec.ports[0].target_port == "http" and svc.spec.ports[1].target_port == 9113
    assert svc.spec.session_affinity_config.client_ip.timeout_seconds == 600


def test_defaults_are_visible_in_the_client_object():
    v1 = to_client(load_text("apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}")[0])
    assert (v1.spec.type, v1.spec.ports[0].protocol, v1.spec.ports[0].target_port) == ("ClusterIP", "TCP", 80)
    assert v1.metadata.namespace == "default"


def test_from_client_object_built_by_hand_without_kind():
    """Items of a list from the API server carry no apiVersion/kind: the class says what they are."""
    v1 = client.V1Service(metadata=client.V1ObjectMeta(name="web"),
                           spec=client.V1ServiceSpec(selector={"app": "web"}, ports=[client.V1ServicePort(port=80)]))
    svc = from_client(v1)
    assert svc.ref == "Service default/web"
    assert svc.spec.ports[0].target_port == 80


def test_timestamps_come_back_as_rfc3339_utc():
    m = fresh(POD)
    m["metadata"]["creationTimestamp"] = "2024-05-01T14:00:00+02:00"
    pod = from_client(to_client(from_dict(m)[0]))
    assert pod.metadata.extra["creationTimestamp"] == "2024-05-01T12:00:00Z"


def test_from_client_validates():
    v1 = client.V1Service(metadata=client.V1ObjectMeta(name="Web"), spec=client.V1ServiceSpec(
        ports=[client.V1ServicePort(port=80)]))
    with pytest.raises(ValidationError, match=r"Service default/Web: metadata.name: Invalid value: \"Web\""):
        from_client(v1)


def test_from_client_rejects_lists_and_strangers():
    with pytest.raises(KubelabError, match="one by one"):
        from_client(client.V1PodList(items=[]))
    with pytest.raises(KubelabError, match="cannot convert"):
        from_client(object())
    with pytest.raises(KubelabError, match="expected a kubelab.api object"):
        to_client({"kind": "Pod"})


def test_to_client_reports_bad_unmodelled_values():
    """Unmodelled fields are checked by name only; the client's own types catch the rest."""
    m = fresh(POD)
    m["spec"]["containers"][0]["readinessProbe"] = {"periodSeconds": "often"}
    pod = from_dict(m)[0]
    with pytest.raises(ValidationError) as info:
        to_client(pod)
    assert "Pod shop/web-0" in str(info.value)
    assert str(info.value) == ('Pod shop/web-0: spec.containers[0].readinessProbe.periodSeconds: Invalid value: '
            '"often": Input should be a valid integer (in V1Pod)')


def test_custom_objects_are_plain_dicts():
    from .manifests import CALICO_POLICY
    obj = from_dict(fresh(CALICO_POLICY))[0]
    body = to_client(obj)
    assert body["apiVersion"] == "projectcalico.org/v3" and body["spec"]["types"] == ["Ingress", "Egress"]
    assert from_client(body) == obj


@pytest.mark.parametrize("cls", [c for c in _model_classes() if c._k8s_model], ids=lambda c: c.__name__)
def test_json_names_are_the_client_names(cls):
    """Each modelled field's JSON name is one of the client class's ``attribute_map`` values.

    This proves the camelCase spellings (``podCIDR``, ``clusterIPs``, ``hostPID``,
    ``setHostnameAsFQDN`` ...) are the real ones.
    """
    upstream = getattr(client.models, cls._k8s_model)
    known = set(upstream.attribute_map.values())
    ours = {j for _, j, _, _ in _fields(cls)}
    assert ours <= known, f"{cls.__name__}: not in {cls._k8s_model}: {sorted(ours - known)}"


@pytest.mark.parametrize("cls", [c for c in _model_classes() if c._k8s_model], ids=lambda c: c.__name__)
def test_unmodelled_client_fields_have_somewhere_to_go(cls):
    """A class without ``extra`` must model every client field, or a known field would be dropped silently."""
    if any(f.name == "extra" for f in dataclasses.fields(cls)):
        return
    upstream = getattr(client.models, cls._k8s_model)
    missing = set(upstream.attribute_map.values()) - {j for _, j, _, _ in _fields(cls)} - {"apiVersion", "kind"}
    assert not missing, f"{cls.__name__} drops {sorted(missing)}"
