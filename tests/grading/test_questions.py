"""kubelab.grading.questions: the chapter's question 4 (Service types) and question 5's count of load balancers."""

from __future__ import annotations


import pytest

from kubelab.grading import WrongAnswer, check_exposure_counts, check_service_types, load_balancer_counts
from kubelab.viz.ingress import exposure_counts


@pytest.mark.parametrize("answer", [
    {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"},
    ["externalname", "LOADBALANCER", "node port", "cluster-ip"],
    "ClusterIP, NodePort, LoadBalancer and ExternalName",
    "cluster ip, headless, node_port, load balancer, external name",
    ("NodePort service", "ClusterIP", "LoadBalancer", "ExternalName", "headless ClusterIP"),
])
def test_service_types_tolerant(answer):
    check_service_types(answer)


@pytest.mark.parametrize("answer, words", [
    ("ClusterIP, NodePort, LoadBalancer", ["left out 'ExternalName'", "CNAME"]),
    ("ClusterIP, NodePort, LoadBalancer, ExternalName, Ingress", ["'Ingress' is not a Service type",
                                                                  "ingress controller"]),
    ("headless, NodePort, LoadBalancer, ExternalName", ["left out 'ClusterIP'"]),
    ({"ClusterIP", "NodePort", "LoadBalancer", "ExternalName", "hostPort"}, ["hostPort is a field"]),
    ("", ["No answer yet"]),
    (..., ["No answer yet"]),
])
def test_service_types_wrong(answer, words):
    with pytest.raises(WrongAnswer) as err:
        check_service_types(answer)
    for w in words:
        assert w in str(err.value)


@pytest.mark.parametrize("n", [1, 3, 12])
def test_counts_come_from_the_model(n):
    model = exposure_counts(n)
    assert load_balancer_counts(n) == {"LoadBalancer each": model["LoadBalancer each"]["load balancers asked"],
                                       "one Ingress": model["one Ingress"]["load balancers asked"]}
    assert load_balancer_counts(n) == {"LoadBalancer each": n, "one Ingress": 1}


@pytest.mark.parametrize("answer", [(5, 1), [5, 1], ("5", " 1 "), (5.0, 1),
                                    {"LoadBalancer each": 5, "one Ingress": 1}, {"ingress": 1, "lb": 5}])
def test_counts_tolerant(answer):
    check_exposure_counts(answer, 5)


@pytest.mark.parametrize("answer, words", [
    ((5, 0), ["one Ingress you said 0", "controller's own Service"]),
    ((1, 1), ["LoadBalancer per Service you said 1", "each of the 5 Services"]),
    ((1, 5), ["LoadBalancer per Service", "one Ingress you said 5"]),
    ({"each": 5}, ["two keys"]),
    ((5, 1.5), ["whole number"]),
    ("5 and 1", ["a pair"]),
    (None, ["No answer yet"]),
])
def test_counts_wrong(answer, words):
    with pytest.raises(WrongAnswer) as err:
        check_exposure_counts(answer, 5)
    for w in words:
        assert w in str(err.value)
