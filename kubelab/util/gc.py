"""Pausing Python's cyclic garbage collector around a bulk step of the model.

Not a Kubernetes concept: a CPython one (``gc.disable``/``gc.enable``, the
``gc`` module of the standard library).  A bulk step (an apply, a kube-proxy
sync, a trace into a large cluster) allocates many objects that all stay
alive; every collection of the oldest generation walks every live object, so
at 150,000 pods the collector took about a third of a build and half of an
iptables sync (:mod:`benchmarks.bench_envelope`).  Reference counting still
frees what is dropped; cycles wait for the next collection after the step.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from typing import Iterator

__all__ = ["gc_paused"]

_GC_LOCK = threading.Lock()
_gc_pauses = 0  # how many gc_paused() blocks are open, in any thread (guarded by _GC_LOCK)
_gc_was_enabled = False  # whether the collector was on when the first of them opened


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk step (an apply; a kube-proxy sync).

    Safe across threads and nesting: a lock-protected count of open blocks; the first one to open
    remembers whether the collector was on and disables it, the last one to close turns it back on.
    (Reading ``gc.isenabled()`` and then disabling, per block, could leave the collector off for
    good when two threads interleave.)

    >>> import gc
    >>> with gc_paused():
    ...     with gc_paused():
    ...         gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    global _gc_pauses, _gc_was_enabled
    with _GC_LOCK:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()
