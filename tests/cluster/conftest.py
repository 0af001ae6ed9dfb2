import textwrap

import pytest


def svc(name, selector=None, ports=None, **spec):
    """A Service manifest as YAML text."""
    import yaml
    body = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {**({"selector": selector} if selector else {}), "ports": ports or [{"port": 80}], **spec}}
    return yaml.safe_dump(body)


def pod(name, labels=None, ports=None, **spec):
    import yaml
    status = spec.pop("status", None)
    containers = spec.pop("containers", None) or [{"name": "app", "image": "nginx", "ports": ports or []}]
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels or {}},
            "spec": {"containers": containers, **spec}}
    if status:
        body["status"] = status
    return yaml.safe_dump(body)


def docs(*parts):
    return "---\n".join(textwrap.dedent(p) for p in parts)


@pytest.fixture
def make():
    return type("M", (), {"svc": staticmethod(svc), "pod": staticmethod(pod), "docs": staticmethod(docs)})
