"""kubelab.grading.wire: answers cross from the learner's kernel as data, never as objects that lie."""

from __future__ import annotations

import json
import random
from fractions import Fraction

import pytest

from kubelab.grading import wire
from kubelab.grading.wire import Opaque, decode, encode


def roundtrip(value):
    return decode(json.loads(json.dumps(encode(value))))


@pytest.mark.parametrize("value", [
    None, True, 0, -3, 2**80, 1.5, "pod", "$set", "", [], (), set(), {},
    {"net", "ipc"}, frozenset({"a"}), {("duo/web", "duo/metrics"), ("edge-a", "edge-b")},
    {"network": True, "signal": False}, {3: [1.5, None], (1, 2): {"x"}}, Fraction(1, 3),
    ["0.3333333333", "0.5000000000"], {"LoadBalancer each": 3, "one Ingress": 1},
])
def test_values_come_back_as_themselves(value):
    got = roundtrip(value)
    assert got == value and type(got) is type(value) or (isinstance(value, frozenset) and got == set(value))


def test_random_nested_values_roundtrip():
    rng = random.Random(14)

    def make(depth):
        kind = rng.choice(["int", "str", "list", "tuple", "set", "dict"] if depth < 4 else ["int", "str"])
        if kind == "int":
            return rng.randint(-10**6, 10**6)
        if kind == "str":
            return rng.choice(["net", "ipc", "$x", "KUBE-SVC-X", ""])
        items = [make(depth + 1) for _ in range(rng.randint(0, 4))]
        if kind == "list":
            return items
        hashable = [i for i in items if isinstance(i, (int, str, tuple))]
        if kind == "tuple":
            return tuple(hashable)
        if kind == "set":
            return set(hashable)
        return {k: make(depth + 1) for k in hashable}

    for _ in range(300):
        value = make(0)
        assert roundtrip(value) == value


class AlwaysEqual(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


class FakeList:
    """Claims to be a list (``__class__``), and equal to everything."""

    __class__ = list  # type: ignore[assignment]

    def __eq__(self, other):
        return True

    def __iter__(self):
        return iter(["pod"])


class Sneaky(int):
    def __int__(self):
        return 42

    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


def test_lying_objects_become_plain_data():
    got = roundtrip(AlwaysEqual("container"))
    assert type(got) is str and got == "container" and got != "pod"
    got = roundtrip(Sneaky(7))
    assert type(got) is int and got == 7
    got = roundtrip(FakeList())
    assert isinstance(got, Opaque) and got != ["pod"] and got != []
    assert roundtrip({AlwaysEqual("net")}) == {"net"}


def test_size_and_depth_are_bounded():
    with pytest.raises(ValueError, match="more than"):
        encode(list(range(wire.MAX_ITEMS + 1)))
    deep: list = []
    for _ in range(wire.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(ValueError, match="nested"):
        encode(deep)


def test_malformed_data_is_opaque():
    assert isinstance(decode({"$nope": 1}), Opaque)
    assert isinstance(decode({"a": 1, "b": 2}), Opaque)
    assert decode({"$set": [[1, 2]]}) != {(1, 2)}  # a list is not hashable: it does not sneak in as a tuple


def test_answer_reports_values_callables_missing_and_raises(capsys):
    ns = {"IP_PER": "pod", "f": lambda x: {x, "net"}, "bad": lambda: 1 / 0}
    wire.answer(ns, wire.request("names", names=["IP_PER", "f", "NOPE"]), "@@M@@")
    out = json.loads(capsys.readouterr().out.split("@@M@@")[1])
    assert out == {"IP_PER": {"value": "pod"}, "f": {"callable": True}, "NOPE": {"missing": True}}
    wire.answer(ns, wire.request("call", name="f", args=wire.pickled((("ipc",), {}))), "@@M@@")
    assert decode(json.loads(capsys.readouterr().out.split("@@M@@")[1])["value"]) == {"ipc", "net"}
    wire.answer(ns, wire.request("call", name="bad", args=wire.pickled(((), {}))), "@@M@@")
    assert json.loads(capsys.readouterr().out.split("@@M@@")[1]) == {"raised": "ZeroDivisionError: division by zero"}
