"""Checks about a pod's Linux namespaces: which the containers share, which the pause container holds.

The reference is :func:`kubelab.linuxns.describe`: a kind whose CRI
``NamespaceMode`` is ``POD`` is created by the pause container and joined by
every container; ``NODE`` means the node's own namespace (shared too, and with
the whole node); ``CONTAINER`` means each container has its own.

Simplifications for grading: the user namespace (and, on cgroup v1 hosts, the
cgroup namespace) is the node's unless the pod asks otherwise, so the
containers do share it, but the chapter does not count it among the shared
ones; an answer may include it or leave it out.

Examples
--------
>>> from kubelab.api import Pod
>>> pod = Pod.from_dict({"metadata": {"name": "web", "namespace": "default"},
...     "spec": {"containers": [{"name": "app"}, {"name": "proxy"}]}})
>>> check_shared_namespaces({"Network", "IPC", "UTS"}, pod)
>>> check_shared_namespaces({"net", "ipc", "uts", "pid"}, pod)
Traceback (most recent call last):
...
kubelab.grading.answers.WrongAnswer: You said the containers of pod default/web share the 'pid' namespace, but shareProcessNamespace is false, so each container has its own PID namespace. (Taught in notebooks/02-inside-a-pod.ipynb, section "Who shares what".)
"""

from __future__ import annotations

from typing import Any

from .answers import WrongAnswer, namespace_kinds, one_at_a_time, teaches

__all__ = ["check_shared_namespaces", "check_pause_namespaces", "shared_namespace_kinds", "pause_namespace_kinds"]

#: Kinds a pod leaves to the node by default: sharing them is true but not what the chapter counts.
_NODE_DEFAULT = ("user", "cgroup")


def _modes(pod: Any) -> tuple[str, dict[str, str]]:
    from kubelab.linuxns import describe  # lazy: keeps `import kubelab.grading` light

    table = describe(pod)
    return table.pod, {row.kind: row.mode for row in table.rows}


def shared_namespace_kinds(pod: Any) -> tuple[set[str], set[str]]:
    """``(required, optional)``: kinds every container of ``pod`` shares, and those an answer may omit.

    Examples
    --------
    >>> from kubelab.api import Pod
    >>> pod = Pod.from_dict({"metadata": {"name": "p"}, "spec": {"shareProcessNamespace": True,
    ...     "containers": [{"name": "a"}, {"name": "b"}]}})
    >>> [sorted(s) for s in shared_namespace_kinds(pod)]
    [['ipc', 'net', 'pid', 'uts'], ['user']]
    """
    _, modes = _modes(pod)
    optional = {k for k, m in modes.items() if m == "NODE" and k in _NODE_DEFAULT}
    required = {k for k, m in modes.items() if m != "CONTAINER"} - optional
    return required, optional


def pause_namespace_kinds(pod: Any) -> set[str]:
    """The kinds the pause container creates for the pod and every container joins (mode ``POD``).

    Examples
    --------
    >>> from kubelab.api import Pod
    >>> pod = Pod.from_dict({"metadata": {"name": "p"}, "spec": {"hostNetwork": True,
    ...     "containers": [{"name": "a"}]}})
    >>> sorted(pause_namespace_kinds(pod))
    ['ipc']
    """
    _, modes = _modes(pod)
    return {k for k, m in modes.items() if m == "POD"}


def _spec_flag(pod: Any, name: str) -> bool:
    return bool(getattr(pod.spec, name, False))


def _why_not_shared(kind: str, pod: Any) -> str:
    if kind == "pid":
        return ("shareProcessNamespace is false, so each container has its own PID namespace"
                if not _spec_flag(pod, "share_process_namespace") else "each container has its own PID namespace")
    if kind == "mnt":
        return ("every container gets its own mount namespace (its own filesystem tree, built from its image); "
                "only volumes are shared")
    if kind == "cgroup":
        return "on a cgroup v2 node (the default) the runtime gives every container its own cgroup namespace"
    if kind == "user":
        return "this pod does not share a user namespace"
    return f"each container has its own {kind} namespace"


def _why_shared(kind: str, pod: Any, mode: str) -> str:
    if mode == "NODE":
        flag = {"net": "hostNetwork", "uts": "hostNetwork", "ipc": "hostIPC", "pid": "hostPID"}.get(kind, "")
        return (f"{flag}: true puts every container in the node's own {kind} namespace, so they share it "
                f"(with everything else on the node)")
    return {
        "net": "every container joins the network namespace the pause container holds: one IP, one "
               "localhost, one port space",
        "ipc": "every container joins the pod's IPC namespace, held by the pause container",
        "uts": "every container joins the pod's UTS namespace, so they all have the same hostname (the pod name)",
        "pid": "shareProcessNamespace: true puts every container in one PID namespace, where the pause "
               "process is PID 1",
        "user": "hostUsers: false gives the pod one user namespace, which every container joins",
    }.get(kind, f"every container joins the pod's {kind} namespace")


@teaches('02-inside-a-pod', 'Who shares what')
def check_shared_namespaces(answer: Any, pod: Any) -> None:
    """Check which namespace kinds the containers of ``pod`` share.

    Parameters
    ----------
    answer
        A set, list or string of namespace kinds (``{"net", "ipc", "uts"}``,
        ``"network, IPC, UTS"``, ...).
    pod
        A :class:`kubelab.api.Pod`.

    Raises
    ------
    WrongAnswer
        (an ``AssertionError``) naming every kind given wrongly or left out,
        with the reason, and the right set.

    Examples
    --------
    >>> from kubelab.api import Pod
    >>> pod = Pod.from_dict({"metadata": {"name": "web"}, "spec": {"shareProcessNamespace": True,
    ...     "containers": [{"name": "app"}, {"name": "proxy"}]}})
    >>> check_shared_namespaces("net, ipc, uts, pid, user", pod)
    >>> check_shared_namespaces(["net", "ipc", "uts"], pod)
    Traceback (most recent call last):
    ...
    kubelab.grading.answers.WrongAnswer: You left out 'pid': shareProcessNamespace: true puts every container in one PID namespace, where the pause process is PID 1. (Taught in notebooks/02-inside-a-pod.ipynb, section "Who shares what".)
    """
    given = namespace_kinds(answer)
    name, modes = _modes(pod)
    required, optional = shared_namespace_kinds(pod)
    problems = []
    for kind in sorted(given - required - optional):
        problems.append(f"You said the containers of pod {name} share the '{kind}' namespace, but "
                        f"{_why_not_shared(kind, pod)}.")
    for kind in sorted(required - given):
        problems.append(f"You left out '{kind}': {_why_shared(kind, pod, modes[kind])}.")
    if problems:
        raise WrongAnswer(one_at_a_time(problems))


@teaches('02-inside-a-pod', 'The pause container')
def check_pause_namespaces(answer: Any, pod: Any) -> None:
    """Check which namespaces the pause container of ``pod`` holds for the other containers.

    Those are the kinds in CRI mode ``POD``: created with the sandbox and
    joined by every container.  Host namespaces (``hostNetwork`` ...) are the
    node's, not the pause container's.

    Examples
    --------
    >>> from kubelab.api import Pod
    >>> pod = Pod.from_dict({"metadata": {"name": "agent"}, "spec": {"hostNetwork": True,
    ...     "containers": [{"name": "a"}]}})
    >>> check_pause_namespaces({"ipc"}, pod)
    >>> check_pause_namespaces({"net", "ipc", "uts"}, pod)
    Traceback (most recent call last):
    ...
    kubelab.grading.answers.WrongAnswer: You said the pause container of pod default/agent holds the 'net' namespace, but hostNetwork: true: the pod uses the node's own network namespace, which the pause container merely joins. 1 more thing to fix in this answer. (Taught in notebooks/02-inside-a-pod.ipynb, section "The pause container".)
    """
    given = namespace_kinds(answer)
    name, modes = _modes(pod)
    held = pause_namespace_kinds(pod)
    problems = []
    for kind in sorted(given - held):
        mode = modes[kind]
        if mode == "NODE":
            why = {
                "net": "hostNetwork: true: the pod uses the node's own network namespace",
                "uts": "hostNetwork: true: the pod uses the node's own UTS namespace (the node's hostname)",
                "ipc": "hostIPC: true: the pod uses the node's own IPC namespace",
                "pid": "hostPID: true: the pod uses the node's own PID namespace",
            }.get(kind, f"the pod stays in the node's {kind} namespace")
            why += ", which the pause container merely joins"
        elif kind == "pid":
            why = ("without shareProcessNamespace: true each container has its own PID namespace; the pause "
                   "container's is its alone")
        else:
            why = f"every container, pause included, gets its own {kind} namespace: nobody joins the pause container's"
        problems.append(f"You said the pause container of pod {name} holds the '{kind}' namespace, but {why}.")
    for kind in sorted(held - given):
        if len(held) == 1:  # naming it would be the whole answer: point at the settings instead
            problems.append(f"The pause container of pod {name} still holds one namespace you left out: look at "
                            "which of hostNetwork, hostIPC and hostPID this pod sets, and which kinds they leave "
                            "to the pod.")
        else:
            problems.append(f"You left out '{kind}': {_why_shared(kind, pod, 'POD')}.")
    if problems:
        raise WrongAnswer(one_at_a_time(problems))
