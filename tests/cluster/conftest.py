import textwrap

import pytest

from tests import factories


def svc(name, selector=None, ports=None, **spec):
    """A Service manifest as YAML text."""
    return factories.to_yaml(factories.service(name, selector=selector or None, ports=ports or None, **spec))


def pod(name, labels=None, ports=None, **spec):
    """A Pod manifest as YAML text (one ``app`` container listing ``ports``, unless ``containers=``)."""
    return factories.to_yaml(factories.pod(name, labels=labels or {}, ports=ports or [],
                                           containers=spec.pop("containers", None) or None, **spec))


def docs(*parts):
    return "---\n".join(textwrap.dedent(p) for p in parts)


@pytest.fixture
def make():
    return type("M", (), {"svc": staticmethod(svc), "pod": staticmethod(pod), "docs": staticmethod(docs)})
