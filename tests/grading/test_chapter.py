"""The chapter's Service and Endpoints examples: the API server's exact errors, then the fixed objects work."""

from __future__ import annotations

import pytest

import kubelab
from kubelab.grading.chapter import EXAMPLES, try_chapter
from kubelab.errors import KubelabError

def test_service_example_is_refused_with_the_allocators_words():
    msg = try_chapter("service")
    assert msg.endswith("Service default/service-1: spec.ports[0].nodePort: Invalid value: 29763: provided port is "
                        "not in the valid range. The range of valid ports is 30000-32767")
    assert msg.endswith(EXAMPLES["service"].error)


def test_endpoints_example_is_refused_for_its_missing_name():
    msg = try_chapter("endpoints")
    assert msg.endswith("metadata.name: Required value: name or generateName is required")
    assert msg.endswith(EXAMPLES["endpoints"].error)


def test_nothing_half_applied():
    c = kubelab.Cluster()
    before = sorted(s.name for s in c.services())
    with pytest.raises(KubelabError):
        c.apply(EXAMPLES["service"].chapter)
    assert sorted(s.name for s in c.services()) == before


def test_fixed_service_gets_its_node_port():
    c = kubelab.Cluster(EXAMPLES["service"].fixed)
    svc = c.get("service", "service-1")
    assert (svc.spec.type, svc.spec.ports[0].node_port, svc.spec.ports[0].target_port) == ("NodePort", 30763, 9376)


def test_fixed_endpoints_feed_their_selectorless_service():
    c = kubelab.Cluster(EXAMPLES["endpoints"].fixed)
    slices = [s for s in c.endpoint_slices() if s.name.startswith("external-1-")]
    assert [a for s in slices for e in s.endpoints for a in e.addresses] == ["192.123.1.22"]
    assert [p.port for s in slices for p in s.ports] == [3909]


def test_self_check_of_a_learners_repair():
    from kubelab.grading.chapter import check_fixed_service
    from kubelab.grading import WrongAnswer

    auto = EXAMPLES["service"].chapter.replace("    - nodePort: 29763\n      protocol", "    - protocol")
    check_fixed_service(auto)  # no nodePort: the API server allocates one
    with pytest.raises(WrongAnswer, match="not in the valid range"):
        check_fixed_service(EXAMPLES["service"].chapter)
    with pytest.raises(WrongAnswer, match="targetPort 9376"):
        check_fixed_service(EXAMPLES["service"].fixed.replace("9376", "8080"))
    with pytest.raises(WrongAnswer, match="NodePort Service"):
        check_fixed_service(EXAMPLES["service"].fixed.replace("NodePort", "ClusterIP").replace(
            "    - nodePort: 30763\n      protocol", "    - protocol"))
