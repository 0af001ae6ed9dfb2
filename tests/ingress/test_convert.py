"""The legacy-YAML converter: the chapter's extensions/v1beta1 snippets become valid v1 Ingresses."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kubelab.api import load_text
from kubelab.errors import KubelabError
from kubelab.ingress import RouteTable, convert_yaml
from kubelab.ingress.convert import REMOVED_IN

import kubelab

DATA = Path(kubelab.__file__).parent / "data" / "ingress"

# The chapter's minimal Ingress, exactly as printed (no metadata at all).
MINIMAL = """
apiVersion: extensions/v1beta1
kind: Ingress
spec:
  rules:
  - http:
      paths:
      - path: /testpath
        backend:
          serviceName: service-1
          servicePort: 80
"""


def test_minimal_snippet_converts_and_loads_without_warnings():
    text, notes = convert_yaml(MINIMAL)
    doc = yaml.safe_load(text)
    assert doc["apiVersion"] == "networking.k8s.io/v1" and doc["metadata"] == {"name": "ingress-1"}
    path = doc["spec"]["rules"][0]["http"]["paths"][0]
    assert path == {"path": "/testpath", "backend": {"service": {"name": "service-1", "port": {"number": 80}}},
                    "pathType": "ImplementationSpecific"}
    assert "unavailable in v1.22+" in notes[0] and "metadata.name was missing" in notes[1]
    objs = load_text(text)
    assert objs.warnings == [] and objs[0].spec.rules[0].http.paths[0].path_type == "ImplementationSpecific"
    assert REMOVED_IN == "1.22"


def test_seed_variants_round_trip_and_route_the_same():
    legacy = (DATA / "legacy" / "seed-variants.yaml").read_text()
    text, notes = convert_yaml(legacy)
    assert len(notes) == 5 and all("extensions/v1beta1" in n for n in notes)
    new, old = load_text(text), load_text(legacy)
    assert [o.to_dict() for o in new] == [o.to_dict() for o in old]  # the loader converts the same way
    t = RouteTable(new)
    assert t.match("foo.com", "/foo/x").backend.service.name == "service-1"  # the fanout, ImplementationSpecific
    assert t.match("bar.com", "/").backend.service.name == "service-2"
    tls = next(o for o in new if o.name == "tls-example")
    assert tls.spec.tls[0].secret_name == "secret-tls"


def test_named_service_port_and_other_documents_pass_through():
    text, notes = convert_yaml("""
apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata: {name: x}
spec: {backend: {serviceName: web, servicePort: http}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{name: http, port: 80}]}
""")
    ing, svc = list(yaml.safe_load_all(text))
    assert ing["spec"] == {"defaultBackend": {"service": {"name": "web", "port": {"name": "http"}}}}
    assert svc["kind"] == "Service" and len(notes) == 1 and "v1.19+" in notes[0]


def test_not_yaml_is_an_error():
    with pytest.raises(KubelabError, match="not YAML"):
        convert_yaml("a: [")


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("0*.yaml")))
def test_shipped_variants_load_cleanly(name):
    objs = load_text((DATA / name).read_text(), source=name)
    assert objs.warnings == [] and any(o.kind == "Ingress" for o in objs)
