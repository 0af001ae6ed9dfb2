"""``gc_paused()`` (:mod:`kubelab.util.gc`) across threads: the collector is back on once every block has closed."""

from __future__ import annotations

import gc
import threading

import pytest

from kubelab.util import gc as gc_module


@pytest.fixture(autouse=True)
def _gc_on():
    gc.enable()
    yield
    gc.enable()


class _InterleavingGC:
    """A stand-in for the ``gc`` module: the second thread's ``disable()`` lets the first block close first.

    That is the interleaving which left the collector off for good with a read-then-disable
    ``gc_paused``: B reads "disabled" (A holds it), A closes and re-enables, B disables and, having
    read "disabled", never re-enables.
    """

    def __init__(self, a_may_close: threading.Event, a_closed: threading.Event):
        self.a_may_close, self.a_closed = a_may_close, a_closed

    def isenabled(self) -> bool:
        return gc.isenabled()

    def enable(self) -> None:
        gc.enable()

    def disable(self) -> None:
        if threading.current_thread().name == "B":
            self.a_may_close.set()
            self.a_closed.wait(1.0)
        gc.disable()


def test_the_interleaving_that_left_the_collector_off(monkeypatch):
    a_inside, a_may_close, a_closed = threading.Event(), threading.Event(), threading.Event()
    monkeypatch.setattr(gc_module, "gc", _InterleavingGC(a_may_close, a_closed))

    def a() -> None:
        with gc_module.gc_paused():
            a_inside.set()
            a_may_close.wait(1.0)
        a_closed.set()

    def b() -> None:
        a_inside.wait(1.0)
        with gc_module.gc_paused():
            a_may_close.set()  # a lock-protected count never calls disable() here: let A close anyway
            a_closed.wait(1.0)

    threads = [threading.Thread(target=a, name="A"), threading.Thread(target=b, name="B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert gc.isenabled()


def test_many_threads_and_nesting_leave_it_on():
    start = threading.Barrier(8)

    def work() -> None:
        start.wait()
        for _ in range(2000):
            with gc_module.gc_paused():
                with gc_module.gc_paused():
                    pass

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    with gc_module.gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
