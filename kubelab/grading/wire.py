"""The answers' values on the wire: what crosses from the learner's kernel to the clean checker.

Grading runs the learner's cells in one process (a sandboxed kernel, see
:mod:`kubelab.grading.sandbox`) and the graded checks in another (the clean
checker, :mod:`kubelab.grading.checker`), which the learner's code never
touches.  The checker asks the kernel for the value of a name (``IP_PER``) or
for the result of calling one of the learner's functions
(``shared_namespaces(pod)``); the kernel answers with :func:`answer`, and
the value crosses as JSON built by :func:`encode`.  Only data crosses that
way: sets, tuples, dicts with any hashable keys and fractions are tagged so
they come back as themselves, a ``str`` subclass comes back as a plain
``str`` (an object whose ``__eq__`` always says yes gains nothing), and any
other object comes back as an :class:`Opaque` that equals nothing.  The
checker never unpickles what the kernel sends.  The call's arguments go the
other way (checker to kernel) pickled: they are the course's own objects
(pods, services), and unpickling them is the kernel's business.

Upstream: the transport is the Jupyter messaging protocol's ``execute_request``
and ``stream`` output (jupyter_client 8, ``KernelClient.execute_interactive``);
there is no upstream equivalent of the value encoding itself.

Examples
--------
>>> decode(encode({("duo/web", "duo/metrics"), ("edge-a", "edge-b")})) == {("duo/web", "duo/metrics"), ("edge-a", "edge-b")}
True
>>> decode(encode({"net": True, 3: [1.5, None]}))
{'net': True, 3: [1.5, None]}
>>> decode(encode(object()))
<object object>
"""

from __future__ import annotations

import base64
import json
import pickle
from fractions import Fraction
from typing import Any

__all__ = ["Opaque", "encode", "decode", "answer", "request", "MAX_ITEMS", "MAX_DEPTH"]

#: Limits on one encoded value: an answer larger than this is not an answer, and must not fill the grader's memory.
MAX_ITEMS = 100_000
MAX_DEPTH = 40


class Opaque:
    """An object that crossed as its type name only: it equals nothing but itself.

    >>> Opaque("Widget") == "pod"
    False
    """

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_ITEMS

    def take(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise ValueError(f"the answer has more than {MAX_ITEMS} items")


def encode(value: Any, _depth: int = 0, _budget: _Budget | None = None) -> Any:
    """``value`` as JSON-able data, with the container types tagged (see the module docstring)."""
    budget = _budget or _Budget()
    budget.take()
    if _depth > MAX_DEPTH:
        raise ValueError(f"the answer is nested more than {MAX_DEPTH} levels deep")
    kind = type(value)  # type(), not isinstance(): an object can fake its __class__
    if value is None or kind in (bool, int, float):
        return value
    if issubclass(kind, int):
        return int.__add__(value, 0)
    if issubclass(kind, float):
        return float.__add__(value, 0.0)
    if issubclass(kind, str):
        text = str.__str__(value)
        return {"$str": text} if text.startswith("$") else text
    inner = _depth + 1
    if issubclass(kind, list):
        return [encode(v, inner, budget) for v in list.__iter__(value)]
    if issubclass(kind, tuple):
        return {"$tuple": [encode(v, inner, budget) for v in tuple.__iter__(value)]}
    if issubclass(kind, (set, frozenset)):
        members = set.__iter__(value) if issubclass(kind, set) else frozenset.__iter__(value)
        return {"$set": [encode(v, inner, budget) for v in members]}
    if issubclass(kind, dict):
        return {"$dict": [[encode(k, inner, budget), encode(v, inner, budget)] for k, v in dict.items(value)]}
    if issubclass(kind, Fraction):
        return {"$fraction": [int.__add__(value.numerator, 0), int.__add__(value.denominator, 0)]}
    return {"$opaque": type(value).__name__[:80]}


def decode(data: Any, _depth: int = 0) -> Any:
    """The value :func:`encode` made ``data`` from; unhashable set members or keys become :class:`Opaque`."""
    if _depth > MAX_DEPTH + 1:
        raise ValueError("value nested too deep")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    inner = _depth + 1
    if isinstance(data, list):
        return [decode(v, inner) for v in data]
    if not isinstance(data, dict) or len(data) != 1:
        return Opaque("malformed")
    (tag, body), = data.items()
    if tag == "$str" and isinstance(body, str):
        return body
    if tag == "$tuple" and isinstance(body, list):
        return tuple(decode(v, inner) for v in body)
    if tag == "$set" and isinstance(body, list):
        return {_hashable(decode(v, inner)) for v in body}
    if tag == "$dict" and isinstance(body, list):
        return {_hashable(decode(k, inner)): decode(v, inner) for k, v in
                (pair for pair in body if isinstance(pair, list) and len(pair) == 2)}
    if tag == "$fraction" and isinstance(body, list) and len(body) == 2 and body[1]:
        return Fraction(int(body[0]), int(body[1]))
    if tag == "$opaque":
        return Opaque(str(body)[:80])
    return Opaque("malformed")


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return Opaque(type(value).__name__)
    return value


def request(op: str, **fields: Any) -> str:
    """A request for :func:`answer` as one base64 word (safe to paste into code sent to the kernel)."""
    return base64.b64encode(json.dumps({"op": op, **fields}).encode()).decode()


def pickled(obj: Any) -> str:
    """``obj`` pickled, as base64 text (the arguments of a call, checker to kernel)."""
    return base64.b64encode(pickle.dumps(obj)).decode()


def answer(namespace: dict, word: str, marker: str) -> None:
    """Runs in the learner's kernel: print ``marker`` and the JSON answer to the request ``word``.

    ``{"op": "names", "names": [...]}`` answers, per name, ``{"missing": true}``,
    ``{"callable": true}`` or ``{"value": <encoded>}``; ``{"op": "call", "name": ...,
    "args": <pickled (args, kwargs)>}`` answers ``{"value": <encoded result>}`` or
    ``{"raised": "TypeError: ..."}`` when the learner's function raised.
    """
    req = json.loads(base64.b64decode(word))
    out: dict[str, Any]
    if req["op"] == "names":
        out = {}
        for name in req["names"]:
            if name not in namespace:
                out[name] = {"missing": True}
            elif callable(namespace[name]):
                out[name] = {"callable": True}
            else:
                out[name] = _encoded(lambda n=name: namespace[n])
    else:
        args, kwargs = pickle.loads(base64.b64decode(req["args"]))  # noqa: S301 - from the checker, not to it
        out = _encoded(lambda: namespace[req["name"]](*args, **kwargs))
    print(marker + json.dumps(out), flush=True)


def _encoded(produce: Any) -> dict[str, Any]:
    try:
        value = produce()
    except BaseException as exc:  # noqa: BLE001 - the learner's code may raise anything; it is reported
        return {"raised": f"{type(exc).__name__}: {exc}"[:500]}
    try:
        return {"value": encode(value)}
    except Exception as exc:  # noqa: BLE001 - a value the checker cannot read is a wrong answer
        return {"raised": f"cannot grade this value: {exc}"[:500]}
