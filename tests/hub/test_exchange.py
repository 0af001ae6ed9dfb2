"""kubelab.hub.exchange: each student's submissions in inbound/<student>/, collected honestly."""
from __future__ import annotations

import os
import pwd

import pytest

from kubelab.hub import exchange

STAMP = "2026-12-06 05:00:00.000000 UTC"


def make_exchange(tmp_path, layout: dict[str, str]):
    """inbound/<folder>/<name>/ for each name -> folder; returns the exchange root."""
    root = tmp_path / "exchange"
    for name, folder in layout.items():
        path = root / "kubelab" / "inbound" / folder / name if folder else root / "kubelab" / "inbound" / name
        path.mkdir(parents=True)
        (path / "nb.ipynb").write_text("{}")
        (path / "timestamp.txt").write_text(STAMP)
    (root / "kubelab" / "outbound").mkdir(parents=True, exist_ok=True)
    return root


def collector(root, tmp_path):
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    from kubelab.course import tools_on_path
    tools_on_path()  # nbgrader runs alembic from PATH when it opens the gradebook
    cfg = Config()
    cfg.CourseDirectory.course_id = "kubelab"
    cfg.CourseDirectory.assignment_id = "a1"
    cfg.CourseDirectory.root = str(tmp_path / "course")
    cfg.CourseDirectory.db_url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    cfg.Exchange.root = str(root)
    coursedir = CourseDirectory(config=cfg)
    return exchange.PrivateInboxCollect(coursedir=coursedir, authenticator=Authenticator(config=cfg), config=cfg)


def test_collect_takes_each_students_own_inbox_and_refuses_misfiled_submissions(tmp_path):
    root = make_exchange(tmp_path, {
        f"alice+a1+{STAMP}+r1": "alice",       # honest
        f"bob+a1+{STAMP}+r2": "alice",         # in alice's inbox, claims to be bob's: refused
        f"carol+a1+{STAMP}+r3": "",            # the default exchange's place: not looked at
        f"dave+a2+{STAMP}+r4": "dave",         # another assignment
    })
    app = collector(root, tmp_path)
    app.init_src()  # the folders are the collector's own (as in the shared-uid mode): accepted
    assert [(r["username"], r["filename"]) for r in app.src_records] == [("alice", f"alice/alice+a1+{STAMP}+r1")]


@pytest.mark.root
def test_a_folder_owned_by_another_student_is_refused(tmp_path):
    root = make_exchange(tmp_path, {f"alice+a1+{STAMP}+r1": "alice"})
    nobody = pwd.getpwnam("nobody")
    os.chown(root / "kubelab" / "inbound" / "alice", nobody.pw_uid, nobody.pw_gid)
    app = collector(root, tmp_path)
    app.init_src()
    assert app.src_records == []


def test_the_exchange_root_may_stay_closed_to_students(tmp_path):
    root = make_exchange(tmp_path, {})
    root.chmod(0o755)
    app = collector(root, tmp_path)
    app.ensure_root()  # the default would demand 0777
    app.root = str(tmp_path / "missing")
    from nbgrader.exchange.abc.exchange import ExchangeError
    with pytest.raises(ExchangeError, match="missing or closed"):
        app.ensure_root()


def test_list_reads_names_one_folder_down():
    lister = exchange.PrivateInboxList.__new__(exchange.PrivateInboxList)
    lister.inbound = True
    lister.cached = False
    info = lister.parse_assignment(f"/x/kubelab/inbound/alice/alice+a1+{STAMP}+r1")
    assert (info["course_id"], info["student_id"], info["assignment_id"]) == ("kubelab", "alice", "a1")
