"""A dress rehearsal of one assignment round on this machine's hub, with throw-away accounts.

What a class does, through the same HTTP APIs the browser uses: the instructor generates
and releases an assignment through the formgrader service; every student logs in, starts
a server, fetches the assignment (``/user/<name>/assignments``), answers through the
contents API and submits; the grader collects, autogrades, generates and releases
feedback; every student fetches it.  Half the students answer from the instructor's
solutions, the others hand in the release untouched.  It also checks what must be
refused: a student on the formgrader, on another student's server, and (as that
student's OS account) in another student's exchange inbox.

Used by tests/hub/test_class.py (2 students) and benchmarks/bench_hub.py (2 and 20),
and by an instructor who wants to try a hub before a class:

    sudo python deploy/hub/rehearsal.py --students 2

Needs root, the hub's install (``make hub-env``) and the repository's ``solutions/``.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import classroom  # noqa: E402 - deploy/hub/classroom.py, beside this file

COURSE = "kubelab"
SERVICE = f"formgrader-{COURSE}"
HIDDEN_MARKS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


@dataclass
class Round:
    """What one rehearsal saw."""

    students: list[str]
    scores: dict[str, tuple[float, float]] = field(default_factory=dict)  # student -> (score, max)
    listing: dict[str, list[str]] = field(default_factory=dict)          # student -> assignment ids listed
    feedback: dict[str, str] = field(default_factory=dict)               # student -> feedback HTML
    refused: dict[str, int | str] = field(default_factory=dict)          # probe -> HTTP status / outcome
    timings: dict[str, float] = field(default_factory=dict)
    rss_mib: dict[str, float] = field(default_factory=dict)              # student -> server RSS


def free_ports(n: int = 4) -> int:
    """A base port p with p..p+n-1 free on 127.0.0.1."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + n > 65535:
            continue
        ok = True
        for p in range(base, base + n):
            with socket.socket() as t:
                try:
                    t.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no free run of ports on 127.0.0.1")


class Hub:
    """A hub started from deploy/hub/ for one roster, stopped (service first) and torn down on exit."""

    def __init__(self, prefix: str, students: int, workdir: Path, shared_uid: bool = False):
        self.prefix = prefix
        self.shared_uid = shared_uid
        self.workdir = workdir
        self.port = free_ports()
        self.url = f"http://127.0.0.1:{self.port}"
        self.password = secrets.token_urlsafe(12)
        self.roster = {"course": COURSE, "grader": f"{prefix}-grader", "instructors": [f"{prefix}-teach"],
                       "graders": [], "students": [f"{prefix}-s{i}" for i in range(1, students + 1)]}
        self.exchange = workdir / "exchange"
        self.state = workdir / "state"

    @contextlib.contextmanager
    def running(self, timings: dict[str, float]) -> Iterator["Hub"]:
        os.environ["KUBELAB_HUB_STATE"] = str(self.state)
        os.environ["KUBELAB_HUB_SHARED_UID"] = "1" if self.shared_uid else "0"
        self.state.mkdir(parents=True)
        self.workdir.chmod(0o755)
        roster_path = self.workdir / "roster.yaml"
        roster_path.write_text(yaml.safe_dump(self.roster))
        t0 = time.monotonic()
        classroom.setup(roster_path, self.exchange)
        timings["setup"] = time.monotonic() - t0
        env = classroom.hub_env(roster_path, self.port, self.exchange, self.password)
        hub = classroom.start(env, self.state / "jupyterhub.log")
        try:
            t0 = time.monotonic()
            classroom.wait_up(self.port, hub, timeout=90)
            timings["hub_up"] = time.monotonic() - t0
            yield self
            t0 = time.monotonic()
        finally:
            classroom.stop(hub, self.port)
            timings["hub_down"] = time.monotonic() - t0
            classroom.teardown()
            os.environ.pop("KUBELAB_HUB_SHARED_UID", None)

    def login(self, user: str) -> "Client":
        s = requests.Session()
        s.get(f"{self.url}/hub/login", timeout=30)
        r = s.post(f"{self.url}/hub/login?next=", data={"username": user, "password": self.password,
                                                        "_xsrf": s.cookies.get("_xsrf", path="/hub/")},
                   allow_redirects=False, timeout=30)
        if r.status_code != 302:
            raise RuntimeError(f"login of {user}: HTTP {r.status_code}")
        r = s.post(f"{self.url}/hub/api/users/{user}/tokens", json={"note": "rehearsal", "expires_in": 3600},
                   headers={"X-XSRFToken": s.cookies.get("_xsrf", path="/hub/")}, timeout=30)
        r.raise_for_status()
        return Client(self.url, user, r.json()["token"])


@dataclass
class Client:
    """One person's API token on the hub."""

    url: str
    user: str
    token: str

    def request(self, method: str, path: str, **kw) -> requests.Response:
        return requests.request(method, f"{self.url}{path}", headers={"Authorization": f"token {self.token}"},
                                allow_redirects=False, timeout=kw.pop("timeout", 120), **kw)

    def spawn(self) -> None:
        r = self.request("POST", f"/hub/api/users/{self.user}/server")
        if r.status_code not in (201, 202, 400):  # 400: already running
            raise RuntimeError(f"spawn {self.user}: HTTP {r.status_code} {r.text[:200]}")
        for _ in range(600):
            info = self.request("GET", f"/hub/api/users/{self.user}").json()
            server = (info.get("servers") or {}).get("", {})
            if server.get("ready"):
                return
            time.sleep(0.1)
        raise RuntimeError(f"the server of {self.user} did not become ready")

    def grader(self, method: str, action: str) -> requests.Response:
        return self.request(method, f"/services/{SERVICE}/formgrader/api/{action}")

    def assignments(self, action: str = "", **data) -> requests.Response:
        path = f"/user/{self.user}/assignments" + (f"/{action}" if action else "")
        if action:
            return self.request("POST", path, json=data)
        return self.request("GET", path, params=data)


def _answer(nb: dict, assignment: str, notebook: str) -> dict:
    """The fetched notebook with every answer cell holding the instructor's answer."""
    from kubelab.course import answered
    right = answered(assignment, root=HERE.parent.parent)[notebook]
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in right.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") in answers:
            cell["source"] = answers[meta["grade_id"]]
    return nb


def _rss_mib(user: str) -> float:
    out = subprocess.run(["ps", "-u", user, "-o", "rss="], capture_output=True, text=True).stdout.split()
    return sum(int(x) for x in out) / 1024


def rehearse(students: int = 2, assignment: str = "a01-pods-and-namespaces", parallel: bool = False,
             prefix: str | None = None) -> Round:
    """Start a hub for ``students`` throw-away students, run one round, stop; what was seen."""
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    with class_hub(students, prefix, timings) as hub:
        seen = run_round(hub, hub.roster["students"], assignment, parallel)
    seen.timings = {**timings, **seen.timings, "whole": time.monotonic() - t0}
    return seen


@contextlib.contextmanager
def class_hub(students: int, prefix: str | None = None, timings: dict[str, float] | None = None,
              shared_uid: bool = False) -> Iterator[Hub]:
    """A running hub for a throw-away class of ``students`` (accounts removed afterwards).

    With ``shared_uid`` the hub and every server run as one OS account (``jovyan``), as on
    Zero-to-JupyterHub: no accounts per person, nbgrader tells students apart by JUPYTERHUB_USER.
    """
    prefix = prefix or f"klh{os.getpid() % 100000}"
    workdir = Path(tempfile.mkdtemp(prefix="kl-hub-"))
    hub = Hub(prefix, students, workdir, shared_uid)
    try:
        with hub.running({} if timings is None else timings):
            yield hub
    finally:
        import shutil
        shutil.rmtree(workdir, ignore_errors=True)


def run_round(hub: Hub, students: list[str], assignment: str = "a01-pods-and-namespaces",
              parallel: bool = False) -> Round:
    """One round on a running hub: even-numbered students answer right, the others hand in blanks."""
    seen = Round(students=list(students))
    t_round = time.monotonic()
    teacher = hub.login(hub.roster["instructors"][0])
    t0 = time.monotonic()
    for step in ("assign", "release"):
        r = teacher.grader("POST", f"assignment/{assignment}/{step}")
        if r.status_code != 200 or not r.json().get("success", False):
            raise RuntimeError(f"formgrader {step}: HTTP {r.status_code} {r.text[-1500:]}")
    seen.timings["release"] = time.monotonic() - t0
    clients = [hub.login(s) for s in students]
    t0 = time.monotonic()
    for i, c in enumerate(clients):
        t1 = time.monotonic()
        c.spawn()
        if i == 0:
            seen.timings["first_spawn"] = time.monotonic() - t1
    seen.timings["spawns"] = time.monotonic() - t0
    t0 = time.monotonic()
    for i, c in enumerate(clients):
        listed = c.assignments(course_id=COURSE).json()
        if not listed.get("success"):
            raise RuntimeError(f"assignment list of {c.user}: {str(listed)[-1500:]}")
        seen.listing[c.user] = [a["assignment_id"] for a in listed["value"]]
        r = c.assignments("fetch", course_id=COURSE, assignment_id=assignment)
        if r.status_code != 200:
            raise RuntimeError(f"fetch by {c.user}: HTTP {r.status_code} {r.text[:300]}")
        base = f"/user/{c.user}/api/contents/{assignment}"
        for item in c.request("GET", base).json()["content"]:
            if not item["name"].endswith(".ipynb"):
                continue
            nb = c.request("GET", f"{base}/{item['name']}").json()["content"]
            if i % 2 == 0:
                nb = _answer(nb, assignment, item["name"])
            r = c.request("PUT", f"{base}/{item['name']}", json={"type": "notebook", "content": nb})
            r.raise_for_status()
        r = c.assignments("submit", course_id=COURSE, assignment_id=assignment)
        if r.status_code != 200 or isinstance(r.json(), dict) and not r.json().get("success", True):
            raise RuntimeError(f"submit by {c.user}: {r.text[:300]}")
        if not hub.shared_uid:
            seen.rss_mib[c.user] = _rss_mib(c.user)
    seen.timings["fetch_answer_submit"] = time.monotonic() - t0
    # What must be refused.
    a, b = clients[0], clients[1 % len(clients)]
    seen.refused["student on the formgrader"] = a.grader("GET", "assignments").status_code
    if a is not b:
        seen.refused["student on another's server"] = a.request("GET", f"/user/{b.user}/api/contents").status_code
    if a is not b and not hub.shared_uid:
        seen.refused["student on another's server"] = a.request("GET", f"/user/{b.user}/api/contents").status_code
        inbox = hub.exchange / COURSE / "inbound" / b.user
        probe = subprocess.run(["runuser", "-u", a.user, "--", "ls", str(inbox)], capture_output=True, text=True)
        seen.refused["student reads another's inbox"] = probe.returncode
        probe = subprocess.run(["runuser", "-u", a.user, "--", "touch", str(inbox / "x")], capture_output=True)
        seen.refused["student writes another's inbox"] = probe.returncode
        home = classroom.home_of(hub.roster["grader"])
        probe = subprocess.run(["runuser", "-u", a.user, "--", "ls", str(home)], capture_output=True)
        seen.refused["student reads the grader's home"] = probe.returncode
    # Grading.
    t0 = time.monotonic()
    r = teacher.grader("POST", f"assignment/{assignment}/collect")
    if not r.json().get("success"):
        raise RuntimeError(f"collect: {r.text[:300]}")
    seen.timings["collect"] = time.monotonic() - t0
    t0 = time.monotonic()

    def grade(student: str) -> None:
        r = teacher.grader("POST", f"submission/{assignment}/{student}/autograde")
        if not r.json().get("success"):
            raise RuntimeError(f"autograde {student}: {r.text[:500]}")

    if parallel:
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(grade, seen.students))
    else:
        for s in seen.students:
            grade(s)
    seen.timings["autograde"] = time.monotonic() - t0
    t0 = time.monotonic()
    for step in ("generate_feedback", "release_feedback"):
        r = teacher.grader("POST", f"assignment/{assignment}/{step}")
        if not r.json().get("success"):
            raise RuntimeError(f"{step}: {r.text[:300]}")
    seen.timings["feedback"] = time.monotonic() - t0
    for sub in teacher.grader("GET", f"submissions/{assignment}").json():
        seen.scores[sub["student"]] = (sub["score"], sub["max_score"])
    for c in clients:
        r = c.assignments("fetch_feedback", course_id=COURSE, assignment_id=assignment)
        r.raise_for_status()
        fb = classroom.home_of(c.user) / assignment / "feedback"
        seen.feedback[c.user] = "\n".join(p.read_text() for p in sorted(fb.rglob("*.html")))
    seen.timings["round"] = time.monotonic() - t_round
    return seen


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="one assignment round on a throw-away class")
    p.add_argument("--students", type=int, default=2)
    p.add_argument("--assignment", default="a01-pods-and-namespaces")
    p.add_argument("--parallel", action="store_true", help="autograde four students at a time")
    args = p.parse_args(argv)
    seen = rehearse(args.students, args.assignment, args.parallel)
    print(json.dumps({"scores": seen.scores, "refused": seen.refused, "timings": seen.timings,
                      "rss_mib": seen.rss_mib}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
