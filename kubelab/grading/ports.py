"""Check which containers (or pods) collide on a port.

The reference is :func:`kubelab.linuxns.port_conflicts`: containers of one pod
share a port space; pods never collide on container ports (one IP each);
``hostPort`` and ``hostNetwork`` ports collide per node.

An answer is a collection of pairs.  Each side of a pair names a container as
``pod/container`` (or ``namespace/pod/container``, or the bare container name
when it is unique), or a whole pod by its name (``edge-a``), which stands for
any of its containers.  A pair is a tuple, list or set of two names, or a
string such as ``"edge-a <-> edge-b"``.  Order does not matter.

Examples
--------
>>> from kubelab.api import load_text
>>> pods = load_text('''
... apiVersion: v1
... kind: Pod
... metadata: {name: a}
... spec: {nodeName: n1, containers: [{name: web, image: nginx, ports: [{containerPort: 80, hostPort: 80}]}]}
... ---
... apiVersion: v1
... kind: Pod
... metadata: {name: b}
... spec: {nodeName: n1, containers: [{name: web, image: nginx, ports: [{containerPort: 80, hostPort: 80}]}]}
... ''')
>>> check_port_conflicts({("a", "b")}, pods)
>>> check_port_conflicts([], pods)
Traceback (most recent call last):
...
kubelab.grading.answers.WrongAnswer: You missed a conflict: default/a/web and default/b/web both ask for hostPort 0.0.0.0:80/TCP on node n1; the second fails with: kubelet admission rejects the pod (reason NodePorts): Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports. (Taught in notebooks/01-network-model.ipynb, section "The port-sharing problem".)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from .answers import WrongAnswer, teaches, unanswered

__all__ = ["check_port_conflicts", "conflict_pairs"]

_PAIR_SEPARATORS = re.compile(r"\s*(?:<->|<=>|↔|,|\bvs\.?\b|\band\b|&|\bwith\b)\s*")


def conflict_pairs(pods: Iterable[Any]) -> set[frozenset[str]]:
    """The conflicting pairs as ``frozenset({"ns/pod/container", "ns/pod/container"})``.

    Examples
    --------
    >>> from kubelab.api import Pod
    >>> pod = Pod.from_dict({"metadata": {"name": "duo"}, "spec": {"containers": [
    ...     {"name": "web", "ports": [{"containerPort": 8080}]},
    ...     {"name": "metrics", "ports": [{"containerPort": 8080}]}]}})
    >>> [sorted(p) for p in conflict_pairs([pod])]
    [['default/duo/metrics', 'default/duo/web']]
    """
    from kubelab.linuxns import port_conflicts  # lazy: keeps `import kubelab.grading` light

    return {frozenset((c.first, c.second)) for c in port_conflicts(list(pods))}


class _Names:
    """Resolves what a learner writes to the containers it stands for."""

    def __init__(self, pods: list[Any]):
        self.owners: list[str] = []
        self.by_pod: dict[str, list[str]] = {}
        for pod in pods:
            ns = pod.namespace or "default"
            for c in pod.spec.all_containers():
                owner = f"{ns}/{pod.name}/{c.name}"
                self.owners.append(owner)
                self.by_pod.setdefault(pod.name, []).append(owner)
                self.by_pod.setdefault(f"{ns}/{pod.name}", []).append(owner)

    def resolve(self, name: Any) -> tuple[set[str], bool]:
        """``(owners, whole_pod)`` for one side of a pair."""
        if not isinstance(name, str) or not name.strip():
            raise WrongAnswer(f"Name each side of a pair as 'pod' or 'pod/container'; got {name!r}.")
        text = name.strip()
        if text in self.owners:
            return {text}, False
        matches = [o for o in self.owners if o.endswith("/" + text)]
        if text.count("/") == 1 and matches:  # pod/container
            return set(matches[:1]), False
        if text in self.by_pod:
            return set(self.by_pod[text]), True
        if "/" not in text and len(matches) == 1:  # a container name found in one pod only
            return set(matches), False
        pods = ", ".join(sorted(p for p in self.by_pod if "/" not in p))
        if "/" not in text and len(matches) > 1:
            raise WrongAnswer(f"{text!r} names a container in several pods; write it as pod/container "
                              f"(pods: {pods}).")
        raise WrongAnswer(f"{text!r} is not a pod or container here; the pods are: {pods} "
                          f"(write containers as pod/container).")


def _pairs(answer: Any) -> list[tuple[Any, Any]]:
    if unanswered(answer):
        raise WrongAnswer("No answer yet: give a set of pairs, e.g. {('pod-a', 'pod-b')}, or set() for none.")
    if isinstance(answer, (str, Mapping)) or not isinstance(answer, Iterable):
        raise WrongAnswer(f"Expected a set or list of pairs such as {{('pod-a', 'pod-b')}}, got {answer!r}.")
    out = []
    for item in answer:
        if isinstance(item, str):
            parts = [p for p in _PAIR_SEPARATORS.split(item.strip()) if p]
        elif isinstance(item, Iterable) and not isinstance(item, Mapping):
            parts = list(item)
        else:
            parts = [item]
        if len(parts) == 1 and isinstance(item, (set, frozenset)):
            parts = parts * 2  # {("duo")} cannot happen, but {"duo"} as a set of one pod-level name can
        if len(parts) != 2:
            raise WrongAnswer(f"Each conflict is a pair of two names, e.g. ('pod-a', 'pod-b'); {item!r} is not.")
        out.append((parts[0], parts[1]))
    return out


def _ports_of(owner: str, bindings: list[Any]) -> str:
    mine = [b for b in bindings if b.owner == owner]
    if not mine:
        return "no ports"
    parts = []
    for b in mine:
        if b.source == "containerPort":
            parts.append(f"containerPort {b.port}/{b.protocol}")
        else:
            parts.append(f"{b.source} {b.ip}:{b.port}/{b.protocol} on node {b.node}")
    return ", ".join(parts)


def _why_no_conflict(x: str, y: str, bindings: list[Any]) -> str:
    px, py = x.rsplit("/", 1)[0], y.rsplit("/", 1)[0]
    if px == py:
        return (f"{x} ({_ports_of(x, bindings)}) and {y} ({_ports_of(y, bindings)}) share pod {px}'s network "
                f"namespace, but they do not use the same port and protocol")
    text = (f"{x} ({_ports_of(x, bindings)}) and {y} ({_ports_of(y, bindings)}) are in different pods, and "
            f"each pod has its own network namespace and IP, so their container ports never collide")
    hx = [b for b in bindings if b.owner == x and b.source != "containerPort"]
    hy = [b for b in bindings if b.owner == y and b.source != "containerPort"]
    if hx and hy:
        if not {b.node for b in hx} & {b.node for b in hy}:
            why = f"they are on different nodes ({hx[0].node}, {hy[0].node})"
        elif not {(b.port, b.protocol) for b in hx} & {(b.port, b.protocol) for b in hy}:
            why = "they ask for different ports or protocols"
        else:
            why = "they bind different host IPs"
        text += f"; their host ports share a node's port space only on the same node, and {why}"
    return text


@teaches('01-network-model', 'The port-sharing problem')
def check_port_conflicts(answer: Any, pods: Iterable[Any]) -> None:
    """Check the set of conflicting pairs among ``pods`` (see the module docstring for the answer's form).

    Parameters
    ----------
    answer
        A collection of pairs of names; ``set()`` for "no conflict".
    pods
        The :class:`kubelab.api.Pod` objects, with ``spec.nodeName`` set
        (pods without one count as on one node called ``unscheduled``).

    Raises
    ------
    WrongAnswer
        For each conflict missed (with the model's reason and the error the
        learner would see) and each pair listed that does not conflict (and why).

    Examples
    --------
    >>> from kubelab.api import Pod
    >>> def pod(name, node, port):
    ...     return Pod.from_dict({"metadata": {"name": name}, "spec": {"nodeName": node,
    ...         "containers": [{"name": "web", "ports": [{"containerPort": port}]}]}})
    >>> check_port_conflicts(set(), [pod("blue", "n1", 80), pod("green", "n1", 80)])
    >>> check_port_conflicts({("blue", "green")}, [pod("blue", "n1", 80), pod("green", "n1", 80)])
    Traceback (most recent call last):
    ...
    kubelab.grading.answers.WrongAnswer: You listed blue and green, but they do not conflict: default/blue/web (containerPort 80/TCP) and default/green/web (containerPort 80/TCP) are in different pods, and each pod has its own network namespace and IP, so their container ports never collide. (Taught in notebooks/01-network-model.ipynb, section "The port-sharing problem".)
    """
    from kubelab.linuxns import bind, port_conflicts  # lazy

    pods = list(pods)
    names = _Names(pods)
    model = port_conflicts(pods)
    bindings = bind(pods)
    found: set[int] = set()
    problems = []
    for left, right in _pairs(answer):
        (xs, _), (ys, _) = names.resolve(left), names.resolve(right)
        hits = [i for i, c in enumerate(model)
                if (c.first in xs and c.second in ys) or (c.first in ys and c.second in xs)]
        if hits:
            found.update(hits)
            continue
        # Not a conflict: explain with the most specific pair of containers named.
        pairs = [(x, y) for x in sorted(xs) for y in sorted(ys) if x != y]
        if not pairs:
            problems.append(f"You listed {left} with itself; name two different containers (pod/container).")
            continue
        x, y = pairs[0]
        problems.append(f"You listed {left} and {right}, but they do not conflict: {_why_no_conflict(x, y, bindings)}.")
    for i, c in enumerate(model):
        if i not in found:
            problems.append(f"You missed a conflict: {c.reason}; the second fails with: {c.error}.")
    if problems:
        raise WrongAnswer(" ".join(problems))
