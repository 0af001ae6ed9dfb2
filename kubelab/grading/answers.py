"""Reading learners' answers: tolerant of form, strict about meaning.

A learner may write ``{"net", "IPC", "UTS"}``, ``["network", "ipc", "uts"]``
or ``"net, ipc and uts"``; all three mean the same set of namespace kinds.
This module turns such answers into canonical values (the kernel's short
names for namespaces, the four channel kinds of :mod:`kubelab.linuxns.channels`)
and raises :class:`WrongAnswer` -- an :class:`AssertionError`, so nbgrader
counts it as a failed test -- with a message that says what to fix when an
answer cannot be read at all.

Upstream: the namespace names are those of ``/proc/<pid>/ns`` (``man 7
namespaces``); the aliases are the words the chapter and ``man`` pages use.

Examples
--------
>>> sorted(namespace_kinds("Network, IPC and UTS namespaces"))
['ipc', 'net', 'uts']
>>> sorted(namespace_kinds(["mount", "PID", "hostname"]))
['mnt', 'pid', 'uts']
>>> sorted(channel_kinds({"Network": True, "shared memory": True, "volumes": False}))
['ipc', 'network']
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])

__all__ = [
    "WrongAnswer", "TAUGHT", "teaches", "NAMESPACE_ALIASES", "CHANNEL_ALIASES", "NAMESPACE_KINDS", "CHANNEL_KINDS",
    "namespace_kinds", "channel_kinds", "words", "fmt_set", "unanswered", "one_at_a_time",
]

#: The seven kinds, as ``ls /proc/self/ns`` lists them (same as :data:`kubelab.linuxns.NAMESPACE_KINDS`;
#: repeated here so that importing the grading helpers stays light).
NAMESPACE_KINDS = ("cgroup", "ipc", "mnt", "net", "pid", "user", "uts")
#: The four ways containers communicate (same as :data:`kubelab.linuxns.CHANNEL_KINDS`).
CHANNEL_KINDS = ("network", "ipc", "volume", "signal")

NAMESPACE_ALIASES: dict[str, str] = {
    **{k: k for k in NAMESPACE_KINDS},
    "network": "net", "networking": "net", "netns": "net",
    "interprocesscommunication": "ipc", "sysvipc": "ipc",
    "hostname": "uts", "unixtimesharing": "uts", "unixtimesharingsystem": "uts",
    "process": "pid", "processes": "pid", "processid": "pid", "pids": "pid",
    "mount": "mnt", "mounts": "mnt", "mountpoints": "mnt",
    "users": "user", "userns": "user",
    "cgroups": "cgroup", "controlgroup": "cgroup", "controlgroups": "cgroup",
}

CHANNEL_ALIASES: dict[str, str] = {
    **{k: k for k in CHANNEL_KINDS},
    "net": "network", "networking": "network", "localhost": "network", "loopback": "network",
    "tcp": "network", "sockets": "network", "socket": "network",
    "sharedmemory": "ipc", "shm": "ipc", "messagequeue": "ipc", "messagequeues": "ipc", "sysvipc": "ipc",
    "volumes": "volume", "sharedvolume": "volume", "sharedvolumes": "volume", "emptydir": "volume",
    "files": "volume", "file": "volume", "filesystem": "volume",
    "signals": "signal", "kill": "signal", "sigterm": "signal", "sigkill": "signal",
}

# Words that may surround a name without changing it ("the network namespace").
_FILLER = {"the", "a", "an", "and", "namespace", "namespaces", "ns", "of", "&"}
_SEPARATORS = re.compile(r"[,;|/+\n]+|\s+and\s+|\s*&\s*")


class WrongAnswer(AssertionError):
    """A learner's answer does not match the model; the message says what and why.

    IPython shows an exception through its ``_render_traceback_`` when it has
    one (``IPython.core.interactiveshell.InteractiveShell.showtraceback``,
    IPython 9): a failing check shows its message only, with no traceback, no
    source lines (a test cell's hidden tests among them) and no file paths.

    >>> WrongAnswer("Not quite.")._render_traceback_()
    ['WrongAnswer: Not quite.']
    """

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


#: Where the course teaches what each check grades: check name -> (notebook stem, section heading).
TAUGHT: dict[str, tuple[str, str]] = {}


def teaches(notebook: str, section: str) -> Callable[[_F], _F]:
    """Register where ``notebook`` teaches what the decorated check grades; its failures say so.

    The message of a :class:`WrongAnswer` raised by the check ends with
    ``(Taught in notebooks/<notebook>.ipynb, section "<section>".)``; the
    headings are checked against the notebooks by ``tests/grading/test_feedback_messages.py``.

    >>> @teaches("01-network-model", "One IP per pod")
    ... def check_demo(answer):
    ...     raise WrongAnswer("No.")
    >>> check_demo(1)
    Traceback (most recent call last):
    ...
    kubelab.grading.answers.WrongAnswer: No. (Taught in notebooks/01-network-model.ipynb, section "One IP per pod".)
    """

    def register(check: _F) -> _F:
        TAUGHT[check.__name__] = (notebook, section)
        where = f"(Taught in notebooks/{notebook}.ipynb, section \"{section}\".)"

        @functools.wraps(check)
        def checked(*args: Any, **kwargs: Any) -> Any:
            try:
                return check(*args, **kwargs)
            except WrongAnswer as exc:
                if "(Taught in " not in str(exc):
                    raise WrongAnswer(f"{exc} {where}") from None
                raise

        checked.taught = (notebook, section)  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return register


def unanswered(answer: Any) -> bool:
    """True for the placeholders of an unanswered question (``None``, ``...``, ``""``).

    >>> unanswered(...), unanswered(set()), unanswered(None)
    (True, False, True)
    """
    return answer is None or answer is Ellipsis or (isinstance(answer, str) and not answer.strip())


def _key(text: str) -> str:
    """Lower case, without spaces, dashes, underscores or a trailing ' namespace'."""
    words_ = [w for w in re.split(r"[\s_\-.]+", text.strip().lower()) if w and w not in _FILLER]
    return "".join(words_)


def words(answer: Any, what: str) -> list[str]:
    """The items of a collection or of a comma/'and'-separated string, as strings.

    ``what`` names the expected answer in the error message.

    >>> words("net, IPC and uts", "namespaces")
    ['net', 'IPC', 'uts']
    >>> words(["pid"], "namespaces")
    ['pid']
    """
    if unanswered(answer):
        raise WrongAnswer(f"No answer yet: give {what}.")
    if isinstance(answer, str):
        return [p.strip() for p in _SEPARATORS.split(answer) if p.strip() and p.strip().lower() not in _FILLER]
    if isinstance(answer, Mapping):
        raise WrongAnswer(f"Expected {what} (a set or list of names), got a dict: {answer!r}.")
    if not isinstance(answer, Iterable):
        raise WrongAnswer(f"Expected {what} (a set or list of names), got {type(answer).__name__}: {answer!r}.")
    out = []
    for item in answer:
        if not isinstance(item, str):
            raise WrongAnswer(f"Expected {what} as names (strings), got {item!r} ({type(item).__name__}).")
        out.append(item)
    return out


def _canonical(items: list[str], aliases: dict[str, str], valid: tuple[str, ...], what: str) -> set[str]:
    out = set()
    for item in items:
        key = _key(item)
        if key not in aliases:
            raise WrongAnswer(f"{item!r} is not one of the {what}; they are: {', '.join(valid)}.")
        out.add(aliases[key])
    return out


def namespace_kinds(answer: Any) -> set[str]:
    """The namespace kinds named in ``answer``, in the kernel's short names.

    Accepts a set, list, tuple or a string such as ``"net, ipc and uts"``;
    case, spaces and the word "namespace" do not matter, and the long names
    (``network``, ``mount``, ``process``, ``hostname``) are understood.

    Raises
    ------
    WrongAnswer
        If the answer is empty or names something that is not a namespace kind.

    Examples
    --------
    >>> sorted(namespace_kinds({"NET", "Mount namespace"}))
    ['mnt', 'net']
    >>> namespace_kinds(["net", "docker"])
    Traceback (most recent call last):
    ...
    kubelab.grading.answers.WrongAnswer: 'docker' is not one of the Linux namespace kinds; they are: cgroup, ipc, mnt, net, pid, user, uts.
    """
    items = words(answer, "a set of namespace kinds such as {'net', 'ipc'}")
    return _canonical(items, NAMESPACE_ALIASES, NAMESPACE_KINDS, "Linux namespace kinds")


def channel_kinds(answer: Any) -> set[str]:
    """The communication channels ``answer`` says are available.

    ``answer`` is either a mapping ``{kind: bool}`` (the kinds mapped to a
    true value are available; kinds left out count as unavailable) or a
    collection or string naming the available kinds.

    Examples
    --------
    >>> sorted(channel_kinds({"network": True, "IPC": True, "volume": True, "signal": False}))
    ['ipc', 'network', 'volume']
    >>> sorted(channel_kinds("localhost and shared memory"))
    ['ipc', 'network']
    >>> channel_kinds(set())
    set()
    """
    if isinstance(answer, Mapping):
        bad = [v for v in answer.values() if not isinstance(v, (bool, int))]
        if bad:
            raise WrongAnswer(f"Map each channel to True or False, e.g. {{'network': True, 'signal': False}}; "
                              f"got {bad[0]!r}.")
        items = [str(k) for k, v in answer.items() if v]
        _canonical([str(k) for k in answer], CHANNEL_ALIASES, CHANNEL_KINDS, "channel kinds")
    else:
        if isinstance(answer, (set, frozenset, list, tuple)) and not answer:
            return set()
        items = words(answer, "the available channels, e.g. {'network', 'ipc'}")
    return _canonical(items, CHANNEL_ALIASES, CHANNEL_KINDS, "channel kinds")


def one_at_a_time(problems: list[str]) -> str:
    """The first problem in full and how many more there are: feedback that teaches without spelling out the answer.

    A message that listed every wrong or missing item of a set, or ended with the
    right set, would hand over the whole answer; this one explains one mistake
    and counts the rest.

    >>> one_at_a_time(["You left out 'pid': ...", "You said 'mnt' ..."])
    "You left out 'pid': ... 1 more thing to fix in this answer."
    >>> one_at_a_time(["You said 'mnt' ..."])
    "You said 'mnt' ..."
    """
    rest = len(problems) - 1
    if rest <= 0:
        return problems[0]
    return f"{problems[0]} {rest} more thing{'s' if rest > 1 else ''} to fix in this answer."


def fmt_set(items: Iterable[str]) -> str:
    """``a, b, c`` sorted, or ``none``.

    >>> fmt_set({"uts", "ipc", "net"}), fmt_set([])
    ('ipc, net, uts', 'none')
    """
    items = sorted(items)
    return ", ".join(items) if items else "none"
