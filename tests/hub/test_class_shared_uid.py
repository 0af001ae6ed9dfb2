"""The class as Zero-to-JupyterHub runs it: the hub and every server as one OS account (jovyan).

No account per person: nbgrader tells students apart by JUPYTERHUB_USER (it does so only when the
OS user is ``jovyan``), the hub's SimpleLocalProcessSpawner gives each a folder of its own.  File
permissions cannot keep students apart here (on Kubernetes the per-student mounts do: test_k8s.py).
"""
from __future__ import annotations

import subprocess

import pytest

from tests.hub.test_class import ASSIGNMENT, points

pytestmark = [pytest.mark.hub, pytest.mark.slow]


@pytest.fixture(scope="module")
def shared():
    from tests.capabilities import require
    require("hub", "a class on a real JupyterHub")
    import classroom
    import rehearsal
    with rehearsal.class_hub(2, prefix=f"kls{__import__('os').getpid() % 100000}", shared_uid=True) as hub:
        owners = subprocess.run(["ps", "-o", "user=", "-C", "jupyterhub"], capture_output=True, text=True).stdout
        seen = rehearsal.run_round(hub, hub.roster["students"], ASSIGNMENT)
        inbox = {s: [p.name for p in (hub.exchange / "kubelab" / "inbound" / s).iterdir()]
                 for s in hub.roster["students"]}
        yield hub, seen, owners.split(), inbox, classroom.SHARED_USER


def test_the_hub_runs_as_the_shared_account(shared):
    _hub, _seen, owners, _inbox, user = shared
    assert user in owners


def test_students_are_told_apart_by_their_hub_name(shared):
    hub, seen, _owners, inbox, _user = shared
    auto, manual = points(ASSIGNMENT)
    right, blank = hub.roster["students"]
    assert seen.scores[right] == (auto, auto + manual)
    assert seen.scores[blank] == (0.0, auto + manual)
    for student in hub.roster["students"]:
        (name,) = inbox[student]
        assert name.startswith(f"{student}+{ASSIGNMENT}+")
        assert "<html" in seen.feedback[student].lower()
    assert seen.refused["student on the formgrader"] == 403
    assert seen.refused["student on another's server"] == 403
