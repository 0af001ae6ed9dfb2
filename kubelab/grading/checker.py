"""The clean checker: runs a notebook's trusted cells in a process the learner's code never touched.

``python -I -m kubelab.grading.checker`` (started by
:mod:`kubelab.grading.execute`, inside the sandbox) reads one JSON request per
line on standard input and answers one JSON line per message on standard
output:

``{"op": "run", "id": ..., "source": ..., "test": true|false}``
    Run one cell: a locked setup cell of the course (``test`` false) or a
    test cell (``test`` true, hidden tests included when grading).  Before a
    test cell runs, the names it reads that no trusted cell defined (the
    learner's answers: ``IP_PER``, ``shared_namespaces``) are asked for with
    ``{"op": "need", "names": [...]}``; the reply maps each name to
    ``{"value": <wire-encoded>}``, ``{"callable": true}`` or ``{"missing": true}``.
    A callable becomes a :class:`StudentFunction`; calling it sends
    ``{"op": "call", "name": ..., "args": <pickled>}`` and waits for
    ``{"value": ...}`` or ``{"raised": "..."}`` (``{"unavailable": "why"}`` when the kernel
    cannot answer at all: it stopped, timed out or no longer runs code as sent).
    The cell's answer is ``{"op": "done", "stdout": ..., "error": null | {"ename", "evalue"}}``.

The check functions are imported here, in a fresh interpreter; the learner's
code runs only in the kernel, so it can replace nothing that grades it: not
``kubelab.grading``, not the globals the test cell reads, not IPython's input
transformers (test cells are not IPython input here), and it never sees a test
cell's source.  What comes back from the kernel is data (:mod:`kubelab.grading.wire`).

Upstream: none; nbgrader grades a test cell by whether its output holds an
error (``nbgrader.utils.determine_grade``, nbgrader 0.9), and this process
produces that output.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import json
import sys
from typing import Any, Callable

from . import wire

__all__ = ["StudentError", "StudentFunction", "free_names", "main"]


class StudentError(Exception):
    """The learner's function could not be used (it raised, hung, or the kernel died); the message says which."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class StudentFunction:
    """Stands for a function the learner defined: calling it runs it in the learner's kernel."""

    def __init__(self, name: str, call: Callable[[str, tuple, dict], Any]) -> None:
        self.__name__ = name
        self._call = call

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(self.__name__, args, kwargs)

    def __repr__(self) -> str:
        return f"<your function {self.__name__}>"


def free_names(source: str) -> list[str]:
    """The names ``source`` reads that it never binds itself (in the order of a walk of its syntax tree).

    >>> sorted(free_names("check(IP_PER)\\nfor _p in PODS:\\n    check(f(_p), _p)"))
    ['IP_PER', 'PODS', 'check', 'f']
    """
    tree = ast.parse(source)
    bound: set[str] = set()
    loaded: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                if node.id not in loaded:
                    loaded.append(node.id)
            else:
                bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
            for arg in ast.walk(node.args) if not isinstance(node, ast.ClassDef) else ():
                if isinstance(arg, ast.arg):
                    bound.add(arg.arg)
        elif isinstance(node, ast.Lambda):
            bound.update(a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return [n for n in loaded if n not in bound]


class _Channel:
    def __init__(self, inp: Any, out: Any) -> None:
        self.inp, self.out = inp, out

    def send(self, message: dict) -> None:
        self.out.write(json.dumps(message) + "\n")
        self.out.flush()

    def receive(self) -> dict:
        line = self.inp.readline()
        if not line:
            raise SystemExit(0)
        return json.loads(line)


def _render(exc: BaseException) -> dict[str, str]:
    render = getattr(exc, "_render_traceback_", None)
    if callable(render):
        try:
            text = "\n".join(render())
            name, _, value = text.partition(": ")
            return {"ename": type(exc).__name__, "evalue": value if name == type(exc).__name__ else text}
        except Exception:  # noqa: BLE001 - fall back to the plain message
            pass
    return {"ename": type(exc).__name__, "evalue": str(exc)}


def _quiet_display(*_args: Any, **_kwargs: Any) -> None:
    """``display`` in the checker: the trusted cells' widgets and figures are not needed to grade."""


def serve(channel: _Channel) -> None:
    """Answer requests until standard input closes."""
    namespace: dict[str, Any] = {"__name__": "__main__", "display": _quiet_display}
    trusted = set(namespace)

    def call(name: str, args: tuple, kwargs: dict) -> Any:
        channel.send({"op": "call", "name": name, "args": wire.pickled((args, kwargs))})
        reply = channel.receive()
        if "unavailable" in reply:
            raise StudentError(f"{reply['unavailable']}: {name}(...) could not be called")
        if "raised" in reply:
            if str(reply["raised"]).startswith("NotImplementedError"):
                raise StudentError(f"{name} is not written yet: replace its raise NotImplementedError() with your "
                                   "code, run the cell, then run the test")
            raise StudentError(f"your {name}(...) raised {reply['raised']}")
        return wire.decode(reply.get("value"))

    while True:
        req = channel.receive()
        if req.get("op") != "run":
            continue
        source = req["source"]
        error = None
        stdout = io.StringIO()
        wanted: list[str] = []
        try:
            code = compile(source, f"<cell {req.get('id', '')}>", "exec")
            if req.get("test"):
                wanted = [n for n in free_names(source) if n not in trusted and not hasattr(builtins, n)]
                if wanted:
                    channel.send({"op": "need", "names": wanted})
                    values = channel.receive().get("values", {})
                    for name in wanted:
                        got = values.get(name, {"missing": True})
                        got = got if isinstance(got, dict) else {"missing": True}
                        if "unavailable" in got:
                            raise StudentError(f"{got['unavailable']}: {name} could not be read")
                        if got.get("callable"):
                            namespace[name] = StudentFunction(name, call)
                        elif "value" in got:
                            namespace[name] = wire.decode(got["value"])
                        else:
                            namespace.pop(name, None)
                        if "raised" in got:
                            raise StudentError(f"reading your {name} raised {got['raised']}")
            before = {k: id(v) for k, v in namespace.items()}
            with contextlib.redirect_stdout(stdout):
                exec(code, namespace)  # noqa: S102 - the course's own setup and test cells
            # What a trusted cell binds stays trusted: a later test reads it from here, never from the kernel.
            trusted.update(k for k, v in namespace.items() if k not in wanted and before.get(k) != id(v))
        except NameError as exc:
            name = getattr(exc, "name", None) or str(exc)
            error = {"ename": "NameError",
                     "evalue": f"{name} is not defined: write your answer and run its cell before the test"}
        except BaseException as exc:  # noqa: BLE001 - every failure of a test is reported, none ends the checker
            error = _render(exc)
        channel.send({"op": "done", "stdout": stdout.getvalue()[:20000], "error": error})


def main() -> None:
    out = sys.stdout
    sys.stdout = sys.stderr  # stray prints of imported modules must not corrupt the channel
    serve(_Channel(sys.stdin, out))


if __name__ == "__main__":
    main()
