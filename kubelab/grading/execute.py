"""Executing a learner's notebook for grading: answers in a sandboxed kernel, tests in a clean checker.

:class:`SandboxedExecute` replaces nbgrader's ``Execute`` preprocessor (set in
``nbgrader_config.py`` for ``autograde``; used by ``kubelab check`` too):

1. every cell except the test cells runs, in order, in the learner's kernel,
   started inside the bubblewrap sandbox (:mod:`kubelab.grading.sandbox`);
   a test cell's source (hidden tests included) is never sent to that kernel;
2. then a second, fresh interpreter -- the checker, :mod:`kubelab.grading.checker`,
   also sandboxed -- runs the course's locked cells and each test cell; the
   names a test reads that the course did not define are the learner's
   answers, fetched from the kernel as data (a function stays in the kernel
   and is called there, its result crossing back as data:
   :mod:`kubelab.grading.wire`);
3. each test cell's outputs become what the checker printed and, when a check
   failed, one error output holding only the check's message (no traceback,
   no source lines).  nbgrader grades the cell from those outputs, as always
   (an error output: no points).

So nothing the answer cells do changes how they are graded: replacing
``check_*`` in ``kubelab.grading`` or in the globals, adding an IPython
input transformer, registering a ``pre_run_cell`` hook that prints each cell,
or exec'ing code read from elsewhere, all happen in a process whose only
influence on the grade is the values it hands over.

Upstream: nbconvert 7's ``ExecutePreprocessor`` (``preprocess_cell``) and
nbclient 0.11's ``NotebookClient`` (``execute_cell``, ``kc.execute_interactive``);
nbgrader 0.9's ``nbgrader.preprocessors.Execute`` and ``nbgrader.utils.determine_grade``.
Simplifications: a learner's function that runs longer than ``timeout``
seconds stops the conversation with the kernel (every later check fails with
that reason) instead of interrupting it.
"""

from __future__ import annotations

import json
import os
import secrets
import select
import subprocess
import sys
import tempfile
from typing import Any

from nbformat import NotebookNode
from traitlets import Bool
from nbgrader.preprocessors import Execute

from . import sandbox, wire

__all__ = ["SandboxedExecute", "is_test_cell", "is_trusted_cell", "CheckerProcess"]


def _nbgrader(cell: Any) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_test_cell(cell: Any) -> bool:
    """An autograded test cell: code, graded, not an answer.

    >>> is_test_cell({"cell_type": "code", "metadata": {"nbgrader": {"grade": True, "solution": False}}})
    True
    >>> is_test_cell({"cell_type": "code", "metadata": {"nbgrader": {"grade": False, "solution": True}}})
    False
    """
    meta = _nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_trusted_cell(cell: Any) -> bool:
    """A locked code cell of the course that is not a test (the setup cells): the checker runs it too."""
    meta = _nbgrader(cell)
    return (cell.get("cell_type") == "code" and bool(meta.get("locked")) and not meta.get("solution")
            and not meta.get("grade"))


def _error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class CheckerProcess:
    """The clean checker (:mod:`kubelab.grading.checker`), sandboxed, speaking JSON lines.

    It runs in an empty scratch folder of its own: it reads nothing of the submission.
    """

    def __init__(self, *, use_sandbox: bool = True, timeout: float = 60) -> None:
        self.timeout = timeout
        self._scratch = tempfile.mkdtemp(prefix="kl-chk-")
        argv = [sys.executable, "-I", "-m", "kubelab.grading.checker"]
        if use_sandbox:
            argv = sandbox.bwrap_command(argv, workdir=self._scratch, env=sandbox.sandbox_env())
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, cwd=self._scratch,
                                     env=None if use_sandbox else {**sandbox.sandbox_env(),
                                                                   "PATH": os.environ.get("PATH", "")})

    def send(self, message: dict) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()

    def receive(self) -> dict:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], self.timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            raise TimeoutError("the checker did not answer")
        return json.loads(line)

    def close(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            import shutil
            shutil.rmtree(self._scratch, ignore_errors=True)


class SandboxedExecute(Execute):
    """nbgrader's ``Execute``, with the learner's kernel sandboxed and the test cells graded apart.

    Configure it in ``nbgrader_config.py`` (``c.Autograde.autograde_preprocessors``).
    ``use_sandbox=False`` runs the same two processes without bubblewrap
    (for a machine without it; the grading stays correct, the isolation goes).
    """

    require_sandbox = Bool(True, help="Refuse to run the learner's code when bubblewrap cannot run here "
                                      "(autograding); kubelab check sets it False and says so.").tag(config=True)

    def __init__(self, *args: Any, use_sandbox: bool | None = None, **kwargs: Any) -> None:
        usable = sandbox.available() if use_sandbox is None else use_sandbox
        if usable:
            kwargs.setdefault("kernel_manager_class", sandbox.SandboxKernelManager)
        super().__init__(*args, **kwargs)
        self.use_sandbox = usable
        if not usable and use_sandbox is None and self.require_sandbox:
            raise sandbox.SandboxUnavailable(
                "bubblewrap (bwrap) cannot run here, and the learner's notebook is only graded inside its sandbox "
                "(see docs/grading-sandbox.md; SandboxedExecute.require_sandbox = False runs it without)")
        self._marker = ""
        self._dead = ""

    # -- the learner's kernel ---------------------------------------------------------------------------
    def preprocess(self, nb: NotebookNode, resources: Any = None, km: Any = None) -> Any:
        self._marker = f"@@kubelab-{secrets.token_hex(8)}@@"
        self._dead = ""
        if resources is None:
            resources = {}
        nb, resources = super().preprocess(nb, resources, km)
        return nb, resources

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> Any:
        if is_test_cell(cell):
            cell.outputs = []
            cell.execution_count = None
        elif not self._dead:
            try:
                cell, resources = super().preprocess_cell(cell, resources, index)
            except Exception as exc:  # noqa: BLE001 - DeadKernelError, a timeout: the learner's code stopped the kernel
                self._dead = f"the kernel stopped while running your cells ({type(exc).__name__})"
                if cell.cell_type == "code":
                    cell.outputs = [_error_output("KernelStopped", self._dead)]
        if index == len(self.nb.cells) - 1:
            self._grade_tests()
        return cell, self.resources

    def _student(self, op: str, **fields: Any) -> dict:
        """Ask the learner's kernel (see :func:`kubelab.grading.wire.answer`); its reply, or why there is none."""
        if self._dead:
            return {"unavailable": self._dead}
        code = (f"__import__('kubelab.grading.wire', fromlist=['answer']).answer("
                f"globals(), {wire.request(op, **fields)!r}, {self._marker!r})")
        chunks: list[str] = []

        def hook(msg: dict) -> None:
            if msg.get("msg_type") == "stream" and msg["content"].get("name") == "stdout":
                chunks.append(msg["content"]["text"])

        from jupyter_core.utils import run_sync
        try:
            run_sync(self.kc.execute_interactive)(code, silent=False, store_history=False, allow_stdin=False,
                                                  output_hook=hook, timeout=self.timeout or 60)
        except Exception as exc:  # noqa: BLE001 - a timeout or a dead kernel
            self._dead = (f"your code did not answer within {self.timeout or 60} s" if isinstance(exc, TimeoutError)
                          else f"the kernel stopped ({type(exc).__name__})")
            return {"unavailable": self._dead}
        text = "".join(chunks)
        at = text.rfind(self._marker)
        if at < 0:
            return {"unavailable": "your kernel did not answer: something in the notebook changes how IPython "
                                   "runs code (an input transformer, a hook), or it stopped"}
        try:
            reply = json.loads(text[at + len(self._marker):].splitlines()[0])
        except (ValueError, IndexError):
            return {"unavailable": "the answer from your kernel could not be read"}
        return reply if isinstance(reply, dict) else {"unavailable": "the answer from your kernel could not be read"}

    # -- the clean checker ------------------------------------------------------------------------------
    def _grade_tests(self) -> None:
        tests = [c for c in self.nb.cells if is_test_cell(c)]
        if not tests:
            return
        checker = CheckerProcess(use_sandbox=self.use_sandbox, timeout=max(self.timeout or 60, 60))
        try:
            for cell in self.nb.cells:
                if is_trusted_cell(cell) or is_test_cell(cell):
                    self._run_in_checker(checker, cell, test=is_test_cell(cell))
        finally:
            checker.close()

    def _run_in_checker(self, checker: CheckerProcess, cell: NotebookNode, *, test: bool) -> None:
        grade_id = _nbgrader(cell).get("grade_id", "")
        try:
            checker.send({"op": "run", "id": grade_id, "source": cell.source, "test": test})
            while True:
                msg = checker.receive()
                if msg["op"] == "need":
                    values = self._student("names", names=msg["names"])
                    if isinstance(values.get("unavailable"), str):
                        values = {n: {"unavailable": values["unavailable"]} for n in msg["names"]}
                    checker.send({"values": values})
                elif msg["op"] == "call":
                    checker.send(self._student("call", name=msg["name"], args=msg["args"]))
                elif msg["op"] == "done":
                    break
        except (TimeoutError, OSError, ValueError, KeyError) as exc:
            msg = {"stdout": "", "error": {"ename": "CheckerError",
                                           "evalue": f"the test could not run to the end ({type(exc).__name__})"}}
        if not test:
            if msg.get("error"):  # the course's own setup failed in the checker: every test will say so
                self.log.error("setup cell %s failed in the checker: %s", grade_id, msg["error"])
            return
        outputs = []
        if msg.get("stdout"):
            outputs.append(NotebookNode(output_type="stream", name="stdout", text=msg["stdout"]))
        if msg.get("error"):
            outputs.append(_error_output(str(msg["error"].get("ename", "Error")), str(msg["error"].get("evalue", ""))))
        cell.outputs = outputs
