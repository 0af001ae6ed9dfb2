"""Check which channels (network, IPC, volume, signal) two containers can use.

The reference is :func:`kubelab.linuxns.channels`, which says for each kind
whether it is available and why; the feedback quotes that reason.

Examples
--------
>>> from kubelab.api import Pod
>>> pod = Pod.from_dict({"metadata": {"name": "web"}, "spec": {"containers": [
...     {"name": "app"}, {"name": "proxy"}]}})
>>> check_channels({"network": True, "ipc": True, "volume": False, "signal": False}, pod, "app", "proxy")
>>> check_channels({"network", "ipc", "signal"}, pod, "app", "proxy")
Traceback (most recent call last):
...
kubelab.grading.answers.WrongAnswer: You said app and proxy can use signal, but they cannot: each container has its own PID namespace (pid:[4026532168] and pid:[4026532171], CRI NamespaceMode CONTAINER); shareProcessNamespace: true would give the pod one. (Taught in notebooks/03-beyond-the-network.ipynb, section "Four ways to talk".)
"""

from __future__ import annotations

from typing import Any

from .answers import CHANNEL_KINDS, WrongAnswer, channel_kinds, one_at_a_time, teaches

__all__ = ["check_channels", "available_channels"]


def available_channels(pod: Any, a: str, b: str, other_pod: Any = None) -> set[str]:
    """The channel kinds containers ``a`` and ``b`` can use (a volume counts when any shared volume carries data).

    Examples
    --------
    >>> from kubelab.api import Pod
    >>> pod = Pod.from_dict({"metadata": {"name": "p"}, "spec": {"shareProcessNamespace": True,
    ...     "containers": [{"name": "a"}, {"name": "b"}]}})
    >>> sorted(available_channels(pod, "a", "b"))
    ['ipc', 'network', 'signal']
    """
    from kubelab.linuxns import channels  # lazy: keeps `import kubelab.grading` light

    return {c.kind for c in channels(pod, a, b, other_pod=other_pod) if c.available}


@teaches('03-beyond-the-network', 'Four ways to talk')
def check_channels(answer: Any, pod: Any, a: str, b: str, other_pod: Any = None) -> None:
    """Check which ways container ``a`` of ``pod`` and container ``b`` can communicate.

    Parameters
    ----------
    answer
        ``{"network": True, "ipc": True, "volume": False, "signal": False}``
        (kinds left out count as False) or the collection of available kinds
        (``{"network", "ipc"}``, ``"localhost and shared memory"``).
    pod, a, b
        The pod, and the two containers' names.
    other_pod
        The pod of ``b``, when it is another pod.

    Raises
    ------
    WrongAnswer
        For each kind said wrongly, with the model's reason.

    Examples
    --------
    >>> from kubelab.api import Pod
    >>> pod = Pod.from_dict({"metadata": {"name": "web"}, "spec": {
    ...     "volumes": [{"name": "logs", "emptyDir": {}}],
    ...     "containers": [{"name": "app", "volumeMounts": [{"name": "logs", "mountPath": "/var/log/app"}]},
    ...                    {"name": "shipper", "volumeMounts": [{"name": "logs", "mountPath": "/logs"}]}]}})
    >>> check_channels(["network", "IPC", "volumes"], pod, "app", "shipper")
    >>> check_channels(["network", "ipc"], pod, "app", "shipper")
    Traceback (most recent call last):
    ...
    kubelab.grading.answers.WrongAnswer: You left out volume: app and shipper can use it: files in volume logs (emptyDir, on the node's disk): app uses /var/log/app, shipper uses /logs; writes go both ways. (Taught in notebooks/03-beyond-the-network.ipynb, section "Four ways to talk".)
    """
    from kubelab.linuxns import channels  # lazy

    given = channel_kinds(answer)
    model = channels(pod, a, b, other_pod=other_pod)
    available = {c.kind for c in model if c.available}
    problems = []
    for kind in CHANNEL_KINDS:
        of_kind = [c for c in model if c.kind == kind]
        if kind in given and kind not in available:
            reasons = "; ".join(dict.fromkeys(c.why for c in of_kind))
            problems.append(f"You said {a} and {b} can use {kind}, but they cannot: {reasons}.")
        elif kind in available and kind not in given:
            hows = "; ".join(dict.fromkeys(c.how for c in of_kind if c.available))
            problems.append(f"You left out {kind}: {a} and {b} can use it: {hows}.")
    if problems:
        raise WrongAnswer(one_at_a_time(problems))
