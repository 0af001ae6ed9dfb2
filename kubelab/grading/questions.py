"""Checks for the chapter's closing questions that no other module covers.

* :func:`check_service_types` -- question 4, the types of a Kubernetes Service:
  ``ClusterIP``, ``NodePort``, ``LoadBalancer`` and ``ExternalName``.  Case,
  spaces, dashes and order do not matter; "headless" is accepted as a kind of
  ClusterIP (``clusterIP: None``) but does not replace it, and "Ingress" is
  refused with the reason (it is a resource of its own, not a Service type).
* :func:`check_exposure_counts` -- question 5's cost part: how many cloud load
  balancer addresses ``n`` Services need, one LoadBalancer each or behind one
  Ingress, as :func:`kubelab.viz.ingress.exposure_counts` counts them in the model.

Examples
--------
>>> check_service_types("nodeport, Cluster IP, external-name and LoadBalancer")
>>> check_service_types(["ClusterIP", "NodePort", "Ingress"])
Traceback (most recent call last):
...
kubelab.grading.answers.WrongAnswer: 'Ingress' is not a Service type: an Ingress is a resource of its own (networking.k8s.io/v1) that routes HTTP to Services, served by an ingress controller. 2 more things to fix in this answer. (Taught in notebooks/06-discovery-and-service-types.ipynb, section "Service types: who can reach what".)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .answers import WrongAnswer, one_at_a_time, teaches, unanswered, words

__all__ = ["SERVICE_TYPES", "service_type_names", "check_service_types", "load_balancer_counts",
           "check_exposure_counts"]

#: The types of ``spec.type``, in the order the API documents them.
SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")

_WHAT = {
    "ClusterIP": "the default: a virtual IP reachable only inside the cluster, which kube-proxy turns into a pod "
                 "address",
    "NodePort": "a ClusterIP plus a port (30000-32767 by default) open on every node",
    "LoadBalancer": "the cloud (or MetalLB) gives the Service an external address and sends its traffic to the "
                    "nodes",
    "ExternalName": "only a DNS CNAME to a name outside the cluster; no proxying, no ClusterIP",
}
_ALIASES = {"clusterip": "ClusterIP", "nodeport": "NodePort", "loadbalancer": "LoadBalancer",
            "externalname": "ExternalName"}
_VARIANTS = {"headless", "headlessclusterip", "headlessservice", "clusteripnone"}
_NOT_TYPES = {
    "ingress": "an Ingress is a resource of its own (networking.k8s.io/v1) that routes HTTP to Services, served by "
               "an ingress controller",
    "hostport": "hostPort is a field of a pod's container port, not a Service",
    "externalip": "externalIPs is a field of any Service, not a type",
    "externalips": "externalIPs is a field of any Service, not a type",
}


def _key(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def service_type_names(answer: Any) -> set[str]:
    """The Service types named in ``answer`` (canonical spelling); headless counts as ClusterIP.

    >>> sorted(service_type_names("cluster-ip, Node Port, headless"))
    ['ClusterIP', 'NodePort']
    """
    found, _ = _read(answer)
    return found


def _read(answer: Any) -> tuple[set[str], list[str]]:
    found: set[str] = set()
    problems: list[str] = []
    for item in words(answer, "the Service types"):
        key = _key(item)
        if key.endswith("service") and key[:-7] in _ALIASES:
            key = key[:-7]
        if key in _ALIASES:
            found.add(_ALIASES[key])
        elif key in _VARIANTS:
            continue  # a ClusterIP with clusterIP: None: fine to mention, not a type of its own
        elif key in _NOT_TYPES:
            problems.append(f"{item!r} is not a Service type: {_NOT_TYPES[key]}.")
        else:
            problems.append(f"{item!r} is not a Service type.")
    return found, problems


@teaches('06-discovery-and-service-types', 'Service types: who can reach what')
def check_service_types(answer: Any) -> None:
    """Check question 4: the four values of a Service's ``spec.type``.

    >>> check_service_types({"LoadBalancer", "externalname", "ClusterIP", "NodePort", "headless"})
    >>> check_service_types("ClusterIP, NodePort, LoadBalancer")
    Traceback (most recent call last):
    ...
    kubelab.grading.answers.WrongAnswer: You left out 'ExternalName': only a DNS CNAME to a name outside the cluster; no proxying, no ClusterIP. (Taught in notebooks/06-discovery-and-service-types.ipynb, section "Service types: who can reach what".)
    """
    found, problems = _read(answer)
    for t in SERVICE_TYPES:
        if t not in found:
            problems.append(f"You left out {t!r}: {_WHAT[t]}.")
    if problems:
        raise WrongAnswer(one_at_a_time(problems))


def load_balancer_counts(n: int) -> dict[str, int]:
    """Cloud load balancer addresses asked for by ``n`` Services: ``{"LoadBalancer each": .., "one Ingress": ..}``.

    >>> load_balancer_counts(3)
    {'LoadBalancer each': 3, 'one Ingress': 1}
    """
    from ..viz.ingress import exposure_counts

    return {way: c["load balancers asked"] for way, c in exposure_counts(n).items()}


def _pair(answer: Any) -> tuple[Any, Any]:
    if isinstance(answer, Mapping):
        each = ingress = None
        for k, v in answer.items():
            key = _key(str(k))
            if "ingress" in key:
                ingress = v
            elif "loadbalancer" in key or "each" in key or key in ("lb", "lbs"):
                each = v
        if each is None or ingress is None:
            raise WrongAnswer("Give a dict with two keys, 'LoadBalancer each' and 'one Ingress' (or a pair "
                              f"(LoadBalancer each, one Ingress)); got {answer!r}.")
        return each, ingress
    if isinstance(answer, (tuple, list)) and len(answer) == 2:
        return answer[0], answer[1]
    raise WrongAnswer("Give a pair (LoadBalancer each, one Ingress) or a dict with keys 'LoadBalancer each' "
                      f"and 'one Ingress'; got {answer!r}.")


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise WrongAnswer(f"The count for {what} must be a whole number; got {value!r}.")
    try:
        number = float(str(value).strip())
    except ValueError:
        raise WrongAnswer(f"The count for {what} must be a whole number; got {value!r}.") from None
    if number != int(number):
        raise WrongAnswer(f"The count for {what} must be a whole number; got {value!r}.")
    return int(number)


@teaches('07-ingress', 'One Ingress, or a load balancer per Service?')
def check_exposure_counts(answer: Any, n: int) -> None:
    """Check question 5's cost part: load balancer addresses for ``n`` Services, each way.

    >>> check_exposure_counts((4, 1), 4)
    >>> check_exposure_counts({"one Ingress": 0, "LoadBalancer each": 4}, 4)
    Traceback (most recent call last):
    ...
    kubelab.grading.answers.WrongAnswer: With one Ingress you said 0 load balancer addresses, but that is not what the model counts: the ingress controller's own Service is of type LoadBalancer, one address in front of every host and path. (Taught in notebooks/07-ingress.ipynb, section "One Ingress, or a load balancer per Service?".)
    """
    if unanswered(answer):
        raise WrongAnswer("No answer yet: give (LoadBalancer each, one Ingress) for the load balancer addresses.")
    each, ingress = _pair(answer)
    each, ingress = _int(each, "LoadBalancer each"), _int(ingress, "one Ingress")
    right = load_balancer_counts(n)
    problems = []
    if each != right["LoadBalancer each"]:
        problems.append(f"With a LoadBalancer per Service you said {each} load balancer addresses, but that is "
                        f"not what the model counts: each of the {n} Services of type LoadBalancer gets its "
                        "own.")
    if ingress != right["one Ingress"]:
        problems.append(f"With one Ingress you said {ingress} load balancer addresses, but that is not "
                        "what the model counts: the ingress controller's own Service is of type LoadBalancer, one "
                        "address in front of every host and path.")
    if problems:
        raise WrongAnswer(" ".join(problems))
