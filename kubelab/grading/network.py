"""Checks about the pod network model: one IP per pod, shared by its containers.

The reference is the Kubernetes network model as :class:`kubelab.Cluster`
applies it: every pod gets an IP (``status.podIP``) from its node's pod CIDR,
or the node's IP with ``hostNetwork``; its containers share the pod's network
namespace, so they all have that IP.

Examples
--------
>>> check_ip_per("Pod")
>>> check_ip_per("per container")
Traceback (most recent call last):
...
kubelab.grading.answers.WrongAnswer: You said each container gets its own IP, but the containers of a pod all join one network namespace, held by the pause container: the IP belongs to the pod, and every container in it has the same one. (Taught in notebooks/01-network-model.ipynb, section "One IP per pod".)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .answers import WrongAnswer, teaches, unanswered

__all__ = ["check_ip_per", "check_container_ips"]

_POD = {"pod", "perpod", "eachpod", "thepod", "pods", "onepod", "oneperpod"}
_CONTAINER = {"container", "percontainer", "eachcontainer", "thecontainer", "containers", "onepercontainer"}
_NODE = {"node", "pernode", "eachnode", "thenode", "nodes", "host", "perhost"}


@teaches('01-network-model', 'One IP per pod')
def check_ip_per(answer: Any) -> None:
    """Check the answer to "does Kubernetes give an IP to each pod or to each container?" (``"pod"``).

    Examples
    --------
    >>> check_ip_per(" per POD ")
    >>> check_ip_per("node")
    Traceback (most recent call last):
    ...
    kubelab.grading.answers.WrongAnswer: You said each node gets an IP for its workloads, but every pod gets its own IP from its node's pod CIDR (only hostNetwork pods use the node's IP); the containers of a pod share it. (Taught in notebooks/01-network-model.ipynb, section "One IP per pod".)
    """
    if unanswered(answer) or not isinstance(answer, str):
        raise WrongAnswer(f"Answer with a string, 'pod' or 'container'; got {answer!r}.")
    key = "".join(answer.lower().split()).replace("-", "").replace("_", "")
    if key in _POD:
        return
    if key in _CONTAINER:
        raise WrongAnswer("You said each container gets its own IP, but the containers of a pod all join one "
                          "network namespace, held by the pause container: the IP belongs to the pod, and every "
                          "container in it has the same one.")
    if key in _NODE:
        raise WrongAnswer("You said each node gets an IP for its workloads, but every pod gets its own IP from its "
                          "node's pod CIDR (only hostNetwork pods use the node's IP); the containers of a pod share it.")
    raise WrongAnswer(f"Answer 'pod' or 'container'; {answer!r} is neither.")


@teaches('01-network-model', 'One IP per pod')
def check_container_ips(answer: Any, pod: Any) -> None:
    """Check a mapping ``{container name: IP}`` for every container of ``pod``.

    The pod must have run in a :class:`kubelab.Cluster` (so that
    ``status.podIP`` is set).  Init containers may be left out.

    Examples
    --------
    >>> import kubelab
    >>> c = kubelab.Cluster({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
    ...     "spec": {"nodeName": "kind-worker", "containers": [{"name": "app", "image": "nginx"},
    ...     {"name": "proxy", "image": "envoy"}]}})
    >>> pod = c.pod("web")
    >>> check_container_ips({"app": pod.status.pod_ip, "proxy": pod.status.pod_ip}, pod)
    >>> check_container_ips({"app": pod.status.pod_ip, "proxy": "10.244.1.3"}, pod)
    Traceback (most recent call last):
    ...
    kubelab.grading.answers.WrongAnswer: You gave proxy the IP 10.244.1.3, but every container of pod default/web is in the pod's one network namespace, so each has the pod's IP 10.244.1.2 (status.podIP). (Taught in notebooks/01-network-model.ipynb, section "One IP per pod".)
    """
    if unanswered(answer):
        raise WrongAnswer("No answer yet: give a dict {container name: IP}.")
    if not isinstance(answer, Mapping):
        raise WrongAnswer(f"Expected a dict {{container name: IP}}, got {type(answer).__name__}: {answer!r}.")
    key = f"{pod.namespace or 'default'}/{pod.name}"
    ip = pod.status.pod_ip
    if not ip:
        raise WrongAnswer(f"Pod {key} has no IP yet: it must run in a kubelab.Cluster first.")
    names = [c.name for c in pod.spec.containers]
    init = {c.name for c in pod.spec.init_containers}
    given = {str(k).strip(): v for k, v in answer.items()}
    problems = []
    unknown = sorted(k for k in given if k not in names and k not in init)
    if unknown:
        problems.append(f"Pod {key} has no container named {', '.join(map(repr, unknown))} "
                        f"(its containers: {', '.join(names)}).")
    missing = [n for n in names if n not in given]
    if missing:
        problems.append(f"You left out {', '.join(missing)}: give an IP for every container.")
    where = ("the node's network namespace (hostNetwork), so each has the node's IP"
             if pod.spec.host_network else "the pod's one network namespace, so each has the pod's IP")
    for n in [*names, *sorted(init)]:
        if n not in given:
            continue
        value = str(given[n]).strip() if given[n] is not None else None
        if value == ip:
            continue
        what = ""
        if value and value == pod.status.host_ip and not pod.spec.host_network:
            what = " (that is the node's IP, status.hostIP)"
        problems.append(f"You gave {n} the IP {given[n]}{what}, but every container of pod {key} is in {where} "
                        f"{ip} (status.podIP).")
    if problems:
        raise WrongAnswer(" ".join(problems))
