"""``make lab`` to an idle kernel on notebook 00 (warm venv), without a browser.

Runs ``make -o .venv/.installed lab LAB_ARGS="--no-browser --port=0 ..."`` in the repository (the
venv is never rebuilt), with Jupyter's folders and HOME in a temporary directory.  Figures: the
seconds until ``make lab`` prints its URL, until ``/api/status`` answers, and until a kernel
session for ``notebooks/00-start-here.ipynb`` (what JupyterLab asks for when it opens the notebook)
answers on its websocket, as JupyterLab's first message (``kernel_info_request``) is answered: then
the kernel is idle.  (Polling ``/api/kernels/<id>`` is not enough: with no client, jupyter_server
2.21 can leave ``execution_state`` at ``starting``.)  The load average is printed with the
figures: on a shared machine they mean little without it.  The browser's own share (loading JupyterLab, about 4.5 s on these machines)
comes on top; ``tests/course/test_learner_path.py`` records the whole path with Chromium.
The goal: at most 5 s to an idle kernel.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAB_ARGS = ("--no-browser --port=0 --ServerApp.ip=127.0.0.1 --ServerApp.port_retries=0 "
            "--LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate")
URL = re.compile(r"(http://127\.0\.0\.1:\d+)/lab/tree/\S+\?token=(\w+)")


def _api(base: str, token: str, method: str, path: str, body: dict | None = None) -> object:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base}{path}", data=data, method=method,
                                     headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
    return json.loads(text) if text else None


def _kernel_info(base: str, token: str, kernel: str, timeout: float = 120) -> dict:
    """Send ``kernel_info_request`` over the kernel's websocket (what JupyterLab does first); its reply."""
    import uuid

    import websocket  # websocket-client, a dependency of jupyter_server

    ws = websocket.create_connection(f"{base.replace('http', 'ws', 1)}/api/kernels/{kernel}/channels?token={token}",
                                     timeout=timeout)
    try:
        msg_id = uuid.uuid4().hex
        ws.send(json.dumps({"channel": "shell", "content": {}, "metadata": {}, "parent_header": {}, "buffers": [],
                            "header": {"msg_id": msg_id, "msg_type": "kernel_info_request", "username": "bench",
                                       "session": uuid.uuid4().hex, "date": "", "version": "5.3"}}))
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            message = json.loads(ws.recv())
            if message.get("msg_type") == "kernel_info_reply" and message["parent_header"].get("msg_id") == msg_id:
                return message["content"]
            if message.get("msg_type") != "kernel_info_reply":
                continue
        raise RuntimeError(f"no kernel_info_reply in {timeout} s")
    finally:
        ws.close()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and every process under it (psutil; 0 if it is missing)."""
    try:
        import psutil
    except ImportError:
        return 0.0
    root = psutil.Process(pid)
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            continue
    return total


def run() -> list[tuple[str, float, str]]:
    with tempfile.TemporaryDirectory(prefix="kubelab-bench-lab-") as tmp:
        home = Path(tmp)
        # As on a learner's machine: Python writes bytecode caches (a warm venv has them).
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("JUPYTER", "IPYTHON")) and k != "PYTHONDONTWRITEBYTECODE"}
        env.update(HOME=str(home), JUPYTER_CONFIG_DIR=str(home / "cfg"), JUPYTER_DATA_DIR=str(home / "data"),
                   JUPYTER_RUNTIME_DIR=str(home / "rt"), IPYTHONDIR=str(home / "ipython"), KUBELAB_LAB="off")
        log = home / "make-lab.log"
        started = time.perf_counter()
        with open(log, "wb") as out:
            process = subprocess.Popen(["make", "-o", ".venv/.installed", "lab", f"LAB_ARGS={LAB_ARGS}"], cwd=ROOT,
                                       env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            while not (match := URL.search(log.read_text(errors="replace"))):
                if process.poll() is not None or time.perf_counter() - started > 120:
                    raise RuntimeError(f"make lab printed no URL:\n{log.read_text(errors='replace')[-2000:]}")
                time.sleep(0.05)
            printed = time.perf_counter() - started
            base, token = match.group(1), match.group(2)
            while True:
                try:
                    _api(base, token, "GET", "/api/status")
                    break
                except OSError:
                    time.sleep(0.05)
            ready = time.perf_counter() - started
            session = _api(base, token, "POST", "/api/sessions", {
                "path": "notebooks/00-start-here.ipynb", "type": "notebook", "name": "00-start-here.ipynb",
                "kernel": {"name": "python3"}})
            _kernel_info(base, token, session["kernel"]["id"])
            idle = time.perf_counter() - started
            cpu = _cpu_seconds(process.pid)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    return [("make lab: URL printed", printed, "s"), ("make lab: server answers /api/status", ready, "s"),
            ("make lab: kernel for notebook 00 idle (goal <= 5 s; browser not included)", idle, "s"),
            ("make lab: CPU used by make, the server and the kernel until then (load-independent)", cpu, "s"),
            ("load average (1 min) after the run", os.getloadavg()[0], "")]


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name:<75} {value:8.2f} {unit}")
    sys.exit(0)
