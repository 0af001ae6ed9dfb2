"""An nbgrader exchange in which each student writes only to a folder of their own.

Modelled on nbgrader 0.9.x's default exchange (``nbgrader/exchange/default/``):
the same file names (``<student>+<assignment>+<timestamp>+<random>``), the same
``outbound`` and ``feedback`` folders, one difference: submissions go to
``inbound/<student>/`` instead of ``inbound/``.  ``deploy/hub/setup_class.py``
creates ``inbound/`` owned by the grader with mode 0711 (nobody else may list or
create entries) and one ``inbound/<student>/`` per student, owned by that
student, group the graders' group, mode 2770 — so a student can neither list,
read nor overwrite another student's submission, and the graders' group can
collect them all.  That is the layout the nbgrader-k8s project reaches with one
volume sub-path per student (on Kubernetes every pod runs as uid 1000, and only
the mount keeps students apart: see ``deploy/k8s/values.yaml``).

Collection refuses a submission whose file name claims another student than the
folder it sits in, and, where the operating system has users, one whose folder
is owned by somebody else than that student (or the collector's own account, when
everybody runs as one account).

Examples
--------
>>> inbox("/srv/nbgrader/exchange", "kubelab", "alice")
'/srv/nbgrader/exchange/kubelab/inbound/alice'
>>> claims("/x/kubelab/inbound/alice/alice+a01+2026-12-06 05:00:00.000000 UTC+abc")
('alice', 'alice')
"""

from __future__ import annotations

import getpass
import glob
import os

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.exchange.default.fetch_assignment import ExchangeFetchAssignment
from nbgrader.exchange.default.fetch_feedback import ExchangeFetchFeedback
from nbgrader.exchange.default.list import ExchangeList
from nbgrader.exchange.default.release_assignment import ExchangeReleaseAssignment
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback
from nbgrader.exchange.default.submit import ExchangeSubmit
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.utils import check_mode, get_username

__all__ = ["PrivateInboxCollect", "PrivateInboxFetch", "PrivateInboxFetchFeedback", "PrivateInboxList",
           "PrivateInboxRelease", "PrivateInboxReleaseFeedback", "PrivateInboxSubmit", "claims", "inbox"]


def inbox(root: str, course_id: str, student_id: str) -> str:
    """The folder a student's submissions go to."""
    return os.path.join(root, course_id, "inbound", student_id)


def claims(path: str) -> tuple[str, str]:
    """``(folder, claimed)``: the inbox a submission sits in, and the student its name claims."""
    folder = os.path.basename(os.path.dirname(path))
    claimed = os.path.basename(path).split("+", 1)[0]
    return folder, claimed


def _owner(path: str) -> str | None:
    try:
        import pwd
    except ImportError:  # no users to check on this system
        return None
    try:
        return pwd.getpwuid(os.stat(path).st_uid).pw_name
    except KeyError:
        return None


class _LaidOutRoot:
    """The exchange root as the class set-up leaves it: root's, 0755.

    nbgrader's default wants a root every user may write (0777) so that anybody can
    create a course folder in it, and makes it so when it can; here the set-up script
    creates the course folder, so a student cannot create or squat a course.
    """

    root: str

    def ensure_root(self) -> None:
        if not os.path.isdir(self.root) or not check_mode(self.root, execute=True):
            self.fail(f"The exchange {self.root} is missing or closed: ask your instructor "
                      "(the class set-up, deploy/hub/classroom.py, creates it)")


class PrivateInboxRelease(_LaidOutRoot, ExchangeReleaseAssignment):
    """``nbgrader release_assignment`` (the grader) into the laid-out exchange."""


class PrivateInboxReleaseFeedback(_LaidOutRoot, ExchangeReleaseFeedback):
    """``nbgrader release_feedback`` (the grader) into the laid-out exchange."""


class PrivateInboxFetch(_LaidOutRoot, ExchangeFetchAssignment):
    """``nbgrader fetch_assignment`` (a student) from the laid-out exchange."""


class PrivateInboxFetchFeedback(_LaidOutRoot, ExchangeFetchFeedback):
    """``nbgrader fetch_feedback`` (a student) from the laid-out exchange."""


class PrivateInboxSubmit(_LaidOutRoot, ExchangeSubmit):
    """``nbgrader submit`` into ``inbound/<student>/``."""

    def init_dest(self) -> None:
        student = get_username()
        if self.coursedir.student_id not in ("*", "", student):
            self.fail(f"You can only submit as yourself ({student}), not as {self.coursedir.student_id}.")
        self.coursedir.student_id = "*"  # the parent then names the submission after get_username()
        super().init_dest()

    @property
    def inbound_path(self) -> str:  # type: ignore[override]
        """The student's own inbox, whatever the parent computes."""
        return inbox(self.root, self.coursedir.course_id, get_username())

    @inbound_path.setter
    def inbound_path(self, value: str) -> None:  # the parent assigns root/course/inbound: ignored
        pass


class PrivateInboxCollect(_LaidOutRoot, ExchangeCollect):
    """``nbgrader collect`` from every ``inbound/<student>/``, refusing misfiled submissions."""

    def _path_to_record(self, path: str) -> dict:
        record = super()._path_to_record(path)
        record["filename"] = os.path.relpath(path, self.inbound_path)  # "<student>/<student>+…"
        return record

    def init_src(self) -> None:
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        self.course_path = os.path.join(self.root, self.coursedir.course_id)
        self.inbound_path = os.path.join(self.course_path, "inbound")
        if not os.path.isdir(self.inbound_path):
            self.fail(f"Course not found: {self.inbound_path}")
        if not check_mode(self.inbound_path, execute=True):
            self.fail(f"You don't have permission to enter the directory: {self.inbound_path}")
        student = self.coursedir.student_id or "*"
        pattern = os.path.join(self.inbound_path, student, f"{student}+{self.coursedir.assignment_id}+*")
        by_student: dict[str, list[dict]] = {}
        for path in glob.glob(pattern):
            if self._honest(path):
                record = self._path_to_record(path)
                by_student.setdefault(record["username"], []).append(record)
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                self.duedate = gb.find_assignment(self.coursedir.assignment_id).duedate
            except MissingEntry:
                self.duedate = None
        # As the default exchange: the newest submission, or with a due date and
        # before_duedate, the newest one made in time (else the newest).
        self.src_records = []
        for records in by_student.values():
            records = self._sort_by_timestamp(records)
            if self.duedate is not None and self.before_duedate:
                in_time = [r for r in records if r["timestamp"] <= self.duedate]
                records = in_time or records
            self.src_records.append(records[0])

    def _honest(self, path: str) -> bool:
        folder, claimed = claims(path)
        owner = _owner(os.path.dirname(path))
        # The student's own account, or (one account for everybody, as on Kubernetes) the
        # collector's own: then only the mounts keep students apart.
        if claimed != folder or (owner is not None and owner not in (folder, "root", getpass.getuser())):
            self.log.warning("Not collecting %s: it sits in %s's inbox (owned by %s) but claims to be %s's",
                             path, folder, owner, claimed)
            return False
        return True


class PrivateInboxList(_LaidOutRoot, ExchangeList):
    """``nbgrader list --inbound``: submissions under ``inbound/<student>/``."""

    def init_dest(self) -> None:
        super().init_dest()
        if self.inbound:
            course = self.coursedir.course_id or "*"
            assignment = self.coursedir.assignment_id or "*"
            student = self.coursedir.student_id or "*"
            pattern = os.path.join(self.root, course, "inbound", "*", f"{student}+{assignment}+*")
            self.assignments = sorted(p for p in glob.glob(pattern) if claims(p)[0] == claims(p)[1])

    def parse_assignment(self, assignment: str) -> dict:
        if self.inbound:  # drop the inbox folder so the parent's pattern reads the name
            head, name = os.path.split(assignment)
            assignment = os.path.join(os.path.dirname(head), name)
        return super().parse_assignment(assignment)
