"""Every assignment, graded through nbgrader's own Python API in a throwaway copy of the course.

One module-scoped fixture copies ``nbgrader_config.py`` and ``solutions/`` to a
temporary course, generates the release there (a fresh ``generate_assignment``,
compared with the committed ``exercises/``), submits a few students and
autogrades them once; the tests then read the gradebook and the executed
notebooks.  Students:

``solution``  the instructor's notebook: full marks on every autograded cell.
``blank``     the committed release, untouched: zero.
``wrong``     every question answered wrongly in a way a learner plausibly would:
              every autograded question loses its points, and its error says why.
``hidden``    answers that pass the visible tests but not the hidden ones: a
              partial score, and the hidden tests' feedback says why.

The wrong answers live in :data:`VARIANTS`; a new assignment must add its own
(the tests fail until each autograded question has one).
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from tests.course.headings import heading_problems

pytestmark = [
    pytest.mark.slow,
    # Known noise from nbgrader 0.9 with SQLAlchemy 2.x (see ENVIRONMENT.md), not ours to fix.
    pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning"),
]

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS = REPO / "solutions"
EXERCISES = REPO / "exercises"
COURSE_ID = "kubelab"


@dataclass
class Variant:
    """A student whose answer cells (by grade_id) are replaced; ``fails`` maps test grade_ids to feedback phrases."""

    answers: dict[str, str]
    fails: dict[str, list[str]] = field(default_factory=dict)


VARIANTS: dict[str, dict[str, Variant]] = {
    "a01-pods-and-namespaces": {
        "wrong": Variant(
            answers={
                "q1-answer": 'IP_PER = "container"\n\n\ndef container_ips(pod):\n'
                             '    return {c.name: f"10.244.1.{10 + i}" for i, c in enumerate(pod.spec.containers)}\n',
                "q2-answer": 'def shared_namespaces(pod):\n    return {"net", "ipc", "uts", "mnt"}\n',
                "q3-answer": 'CONFLICTS = {("edge-a", "edge-b"), ("blue", "green")}\nCONFLICTS_AFTER = set()\n',
                "q4-answer": 'CHANNELS = {"network": True, "ipc": False, "volume": True, "signal": True}\n'
                             'CHANNELS_DEBUG = CHANNELS\n',
                "q5-answer": 'PAUSE_HOLDS = {"net"}\nPAUSE_HOLDS_AGENT = {"net"}\n',
            },
            fails={
                "q1-test": ["each container gets its own IP"],
                "q2-test": ["share the 'mnt' namespace", "1 more thing to fix"],  # one mistake at a time
                "q3-test": ["blue and green, but they do not conflict", "missed a conflict", "duo/metrics"],
                "q4-test": ["left out ipc", "1 more thing to fix"],
                "q5-test": ["left out 'ipc'", "1 more thing to fix"],
            },
        ),
        "hidden": Variant(
            answers={
                "q2-answer": 'def shared_namespaces(pod):\n    return {"net", "ipc", "uts", "pid"}\n',
                "q3-answer": 'CONFLICTS = {("duo/web", "duo/metrics"), ("edge-a", "edge-b")}\n'
                             'CONFLICTS_AFTER = CONFLICTS\n',
            },
            fails={
                "q2-test": ["share the 'pid' namespace, but shareProcessNamespace is false"],
                "q3-test": ["edge-a and edge-b, but they do not conflict", "edge-c"],
            },
        ),
    },
    "a02-services-and-kube-proxy": {
        "wrong": Variant(
            answers={
                "q1-answer": 'def ladder(n):\n    return [f"{1.0 / n:0.10f}"] * (n - 1)\n\n\n'
                             'def saved_ladder(n):\n    return ladder(n)\n',
                "q2-answer": 'def backend_of(dump, chain):\n    for line in dump.splitlines():\n'
                             '        if line.startswith(f"-A {chain} ") and "-s " in line:\n'
                             '            return line.split("-s ")[1].split("/")[0]\n',
                "q3-answer": 'import base64\nimport hashlib\n\n\ndef svc_chain(namespace, name, port_name, protocol):\n'
                             '    text = f"{namespace}/{name}:{port_name}" + protocol\n'
                             '    return "KUBE-SVC-" + base64.b32encode(hashlib.sha256(text.encode()).digest())'
                             '.decode()[:16]\n',
                "q4-answer": 'DEAD_POD = {"userspace": "delivered", "iptables": "delivered", "ipvs": "timeout"}\n'
                             'NOT_READY = DEAD_POD\n',
                # iptables' hash input kept under the nftables layout; "nftables is rules too, so it grows"
                "q6-answer": 'import base64\nimport hashlib\n\n\ndef nft_chain(namespace, name, port_name, protocol):\n'
                             '    text = f"{namespace}/{name}:{port_name}" + protocol.lower()\n'
                             '    h = base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()[:8]\n'
                             '    return f"service-{h}-{namespace}/{name}/{protocol.lower()}/{port_name}"\n\n\n'
                             'GROWTH = {"iptables": "linear", "nftables": "linear", "ipvs": "constant"}\n',
            },
            fails={
                "q1-test": ["Rule 2 of 3", "takes 1/(n-i) of what is left"],
                "q2-test": ["The port matters too"],
                "q3-test": ["the protocol goes in lower case"],
                "q4-test": ["iptables: you said delivered", "iptables mode has no retry"],
                "q6-test": ["SHA-256 of the readable part", "notebooks/05-kube-proxy.ipynb"],
            },
        ),
        "hidden": Variant(
            answers={
                "q1-answer": 'def ladder(n):\n    return ["0.3333333333", "0.5000000000"]\n\n\n'
                             'def saved_ladder(n):\n    return ["0.33333333349", "0.50000000000"]\n',
                "q3-answer": 'import base64\nimport hashlib\n\n\ndef svc_chain(namespace, name, port_name, protocol):\n'
                             '    text = f"{namespace}/{name}:{port_name or \'\'}" + protocol.lower()\n'
                             '    return "KUBE-SVC-" + base64.b32encode(hashlib.sha256(text.encode()).digest())'
                             '.decode()[:16]\n',
                "q4-answer": 'DEAD_POD = {"userspace": "delivered", "iptables": "timeout", "ipvs": "timeout"}\n'
                             'NOT_READY = DEAD_POD\n',
                # right for the visible TCP port only: the protocol is hard-coded
                "q6-answer": 'import base64\nimport hashlib\n\n\ndef nft_chain(namespace, name, port_name, protocol):\n'
                             '    readable = f"{namespace}/{name}/tcp/{port_name}"\n'
                             '    h = base64.b32encode(hashlib.sha256(readable.encode()).digest()).decode()[:8]\n'
                             '    return f"service-{h}-{readable}"\n\n\n'
                             'GROWTH = {"iptables": "linear", "nftables": "constant", "ipvs": "constant"}\n',
            },
            fails={
                "q1-test": ["With 1 endpoint(s) kube-proxy writes 0 probabilities"],
                "q3-test": ["an unnamed port adds no ':'"],
                "q4-test": ["fails its readiness probe", "only sends new connections to ready endpoints"],
                "q6-test": ["kube-system/kube-dns port dns UDP", "namespace/name/protocol/portname"],
            },
        ),
    },
    "a03-discovery-and-ingress": {
        "wrong": Variant(
            answers={
                "q1-answer": 'def service_vars(svc):\n    prefix = svc.name.upper()\n'
                             '    return {f"{prefix}_SERVICE_HOST": svc.spec.cluster_ip,\n'
                             '            f"{prefix}_SERVICE_PORT": str(svc.spec.ports[0].port)}\n',
                "q2-answer": 'def search_walk(name, searches, ndots):\n'
                             '    return [name + "."] + [f"{name}.{d}." for d in searches]\n',
                "q3-answer": 'ROUTES = {\n    "http://store.example/": "shop/web:80",\n'
                             '    "http://store.example/api/orders": "shop/api:8080",\n'
                             '    "http://store.example/api/health": "shop/api:8080",\n'
                             '    "http://acme.store.example/api": "shop/api:8080",\n}\n',
                "q4-answer": 'V1_INGRESS = LEGACY.replace("extensions/v1beta1", "networking.k8s.io/v1")'
                             '.replace("      - path: /foo\\n", "      - path: /foo\\n        pathType: Prefix\\n")'
                             '.replace("      - path: /bar\\n", "      - path: /bar\\n        pathType: Prefix\\n")\n',
                # Gateway API: /cart as a prefix, blog thought accepted, a grant for every Service of data.
                "q6-answer": 'GATEWAY_ROUTES = {"http://shop.example.com/cart": "shop/web:80",\n'
                             '                  "http://shop.example.com/stock": "500", "http://blog.example.com/": "404"}\n',
                "q7-answer": 'ACCEPTANCE = {"shop/store": "RefNotPermitted", "blog/blog": "Accepted",\n'
                             '              "shop/legacy": "NoMatchingListenerHostname"}\n',
                "q8-answer": 'GRANT = """\napiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\n'
                             'metadata: {name: all-of-data, namespace: data}\nspec:\n'
                             '  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}]\n'
                             '  to: [{group: "", kind: Service}]\n"""\n',
            },
            fails={
                "q1-test": ["missing: DB_PORT", "every named port also gets X_SERVICE_PORT_<NAME>"],
                "q2-test": ["fewer than ndots (5)", "every search domain is tried first"],
                "q3-test": ["goes to shop/health:8081, not shop/api:8080", "Exact /api/health equals /api/health",
                            "goes to shop/tenant:80", "matches the wildcard *.store.example"],
                "q4-test": ["would reject", "serviceName and servicePort were v1beta1 fields"],
                "q6-test": ["http://shop.example.com/cart is not shop/web:80", "a more specific rule wins"],
                "q7-test": ["blog/blog is not Accepted", "NotAllowedByListeners"],
                "q8-test": ["every Service", "name the Service (inventory)"],
            },
        ),
        "hidden": Variant(
            answers={
                "q1-answer": 'def service_vars(svc):\n    ip, prefix = svc.spec.cluster_ip, svc.name.upper()\n'
                             '    first = svc.spec.ports[0]\n'
                             '    out = {f"{prefix}_SERVICE_HOST": ip, f"{prefix}_SERVICE_PORT": str(first.port),\n'
                             '           f"{prefix}_PORT": f"tcp://{ip}:{first.port}"}\n'
                             '    for p in svc.spec.ports:\n'
                             '        if p.name:\n'
                             '            out[f"{prefix}_SERVICE_PORT_{p.name.upper()}"] = str(p.port)\n'
                             '        base = f"{prefix}_PORT_{p.port}_TCP"\n'
                             '        out.update({base: f"tcp://{ip}:{p.port}", base + "_PROTO": "tcp",\n'
                             '                    base + "_PORT": str(p.port), base + "_ADDR": ip})\n'
                             '    return out\n',
                "q3-answer": 'ROUTES = {\n    "http://store.example/": "shop/web:80",\n'
                             '    "http://store.example/api/orders": "shop/api:8080",\n'
                             '    "http://store.example/api/health": "shop/health:8081",\n'
                             '    "http://store.example/api/health/": "shop/health:8081",\n'
                             '    "http://store.example/apis": "shop/api:8080",\n'
                             '    "http://acme.store.example/api": "shop/tenant:80",\n'
                             '    "http://a.b.store.example/": "shop/tenant:80",\n'
                             '    "http://STORE.example/API": "shop/api:8080",\n}\n',
                "q4-answer": 'V1_INGRESS = """\napiVersion: networking.k8s.io/v1\nkind: Ingress\n'
                             'metadata: {name: simple-fanout, namespace: shop}\nspec:\n  rules:\n  - host: foo.com\n'
                             '    http:\n      paths:\n'
                             '      - {path: /foo, pathType: Exact, backend: {service: {name: service-1, port: '
                             '{number: 8080}}}}\n'
                             '      - {path: /bar, pathType: Exact, backend: {service: {name: service-2, port: '
                             '{number: 8080}}}}\n"""\n',
            },
            fails={
                "q1-test": ["variable names cannot contain '-'"],
                "q3-test": ["http://store.example/apis goes to shop/web:80, not shop/api:8080",
                            "covers exactly one label"],
                "q4-test": ["http://foo.com/foo/: the chapter's Ingress sends it to shop/service-1:8080, yours to 404"],
            },
        ),
    },
    "a04-cni-and-calico": {
        "wrong": Variant(
            answers={
                "q1-answer": 'CONFIG = CHAPTER_CONFIG.replace("\'name\'", \'"name"\').replace("\'plugins\'", \'"plugins"\')\n',
                "q2-answer": 'import ipaddress\n\n\ndef predict(subnet, ops):\n    pool = [str(a) for a in list(ipaddress.ip_network(subnet).hosts())[1:]]\n    used, out = {}, []\n    for op in ops:\n        verb, cid = op.split()\n        if verb == "DEL":\n            used = {ip: c for ip, c in used.items() if c != cid}\n            continue\n        free = [ip for ip in pool if ip not in used]\n        out.append(free[0] if free else "error")\n        if free:\n            used[free[0]] = cid\n    return out\n',
                "q3-answer": 'CHOICES = {"A": {"calico", "cilium", "weave"}, "B": {"calico"}, "C": {"calico"}}\n',
                "q4-answer": 'POLICY = """\n' + 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web-to-api, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: api}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n    ports: [{port: 8080}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: api-to-db, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: api}}}]\n    ports: [{port: 5432}]\n' + '"""\n',
                "q5-answer": 'CALICO_POLICY = """\n' + "\napiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: no-web-to-db, namespace: shop}\nspec:\n  order: 2000\n  selector: app == 'db'\n  types: [Ingress]\n  ingress:\n  - action: Deny\n    protocol: TCP\n    source: {selector: app == 'web'}\n" + '"""\n',
            },
            fails={
                "q1-test": ["libcni would refuse it", "JSON needs double quotes"],
                "q2-test": ["ADD d (step 5) gets 10.1.2.5, not 10.1.2.3", "does not hand out a freed address at once"],
                "q3-test": ["calico does not qualify: no encryption"],
                "q4-test": ["should be denied", "no policy of yours selects shop/web", "default-deny"],
                "q5-test": ["is still allowed", "order 1000", "below 1000"],
            },
        ),
        "hidden": Variant(
            answers={
                "q1-answer": 'CONFIG = """{\n  "name": "k8s-pod-network",\n  "cniVersion": "0.3.0",\n  "plugins": [\n    {"type": "calico", "log_level": "info", "datastore_type": "kubernetes", "nodename": "127.0.0.1",\n     "ipam": {"type": "host-local", "subnet": "usePodCidr"}, "policy": {"type": "k8s"},\n     "kubernetes": {"kubeconfig": "/etc/cni/net.d/calico-kubeconfig"}},\n    {"type": "portmap", "capabilities": {"portMappings": "true"}}\n  ]\n}"""\n',
                "q2-answer": 'import ipaddress\n\n\ndef predict(subnet, ops):\n    pool = [str(a) for a in list(ipaddress.ip_network(subnet).hosts())[1:]]\n    i, out = 0, []\n    for op in ops:\n        if op.startswith("ADD"):\n            out.append(pool[i] if i < len(pool) else "error")\n            i += 1\n    return out\n',
                "q4-answer": 'POLICY = """\n' + '\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: default-deny, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web-to-api, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: api}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n    ports: [{port: 8080}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: api-to-db, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: api}}}]\n    ports: [{port: 5432}]\n' + '"""\n',
                "q5-answer": 'CALICO_POLICY = """\n' + "\napiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: no-web-to-db, namespace: shop}\nspec:\n  order: 100\n  selector: app == 'db'\n  types: [Ingress]\n  ingress:\n  - action: Deny\n    protocol: TCP\n" + '"""\n',
            },
            fails={
                "q1-test": ["portMappings", "JSON boolean true"],
                "q2-test": ["wraps around to the start"],
                "q4-test": ["other/intruder -> shop/db", "namespaceSelector"],
                "q5-test": ["also changes shop/api -> shop/db", "source selector"],
            },
        ),
    },
    "a05-chapter-questions": {
        "wrong": Variant(
            answers={
                "q1-answer": 'IP_PER = "container"\n',
                "q2-answer": 'SHARED = {"net", "ipc", "uts", "pid", "mnt"}\nSHARED_PID = {"net", "ipc", "uts", "pid", "mnt"}\n',
                "q3-answer": 'PAUSE_HOLDS = {"net"}\nPAUSE_HOLDS_AGENT = {"net"}\n',
                "q4-answer": 'SERVICE_TYPES = "ClusterIP, NodePort, LoadBalancer, Ingress"\n',
                "q5a-answer": 'def lb_addresses(n):\n    return (n, 0)\n',
            },
            fails={
                "q1-test": ["each container gets its own IP", "pause container"],
                "q2-test": ["'mnt'", "1 more thing to fix"],
                "q3-test": ["left out 'ipc'", "1 more thing to fix"],
                "q4-test": ["'Ingress' is not a Service type", "1 more thing to fix"],
                "q5a-test": ["one Ingress you said 0", "controller's own Service"],
            },
        ),
        "hidden": Variant(
            answers={
                "q2-answer": 'SHARED = {"net", "ipc", "uts"}\nSHARED_PID = SHARED\n',
                "q3-answer": 'PAUSE_HOLDS = {"net", "ipc", "uts"}\nPAUSE_HOLDS_AGENT = PAUSE_HOLDS\n',
                "q5a-answer": 'def lb_addresses(n):\n    return (8, 1)\n',
            },
            fails={
                "q2-test": ["left out 'pid'", "shareProcessNamespace"],
                "q3-test": ["hostNetwork: true"],
                "q5a-test": ["each of the 1 Services"],
            },
        ),
    },
}

STUDENTS = ["solution", "blank", "wrong", "hidden"]


def assignment_names() -> list[str]:
    return sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and not p.name.startswith("."))


def notebooks_of(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.ipynb"))


def nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def autograded_tests(nb) -> dict[str, int]:
    """grade_id -> points of the autograded (code) test cells."""
    return {nbgrader_meta(c)["grade_id"]: nbgrader_meta(c)["points"] for c in nb.cells
            if c.cell_type == "code" and nbgrader_meta(c).get("grade")}


@dataclass
class Course:
    root: Path
    timings: dict[str, float]
    check_status: dict[str, int]
    check_output: dict[str, str]

    def gradebook(self):
        from nbgrader.api import Gradebook

        return Gradebook(f"sqlite:///{self.root / 'gradebook.db'}", course_id=COURSE_ID)

    def executed(self, student: str, assignment: str, notebook: str):
        return nbformat.read(self.root / "autograded" / student / assignment / f"{notebook}.ipynb", as_version=4)


def _submit(root: Path, student: str, assignment: str, nb_path: Path, nb) -> None:
    dest = root / "submitted" / student / assignment
    dest.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest / nb_path.name)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    from nbgrader.apps import NbGraderAPI

    from kubelab import course as kcourse

    kcourse.tools_on_path()  # nbgrader runs `alembic` from PATH to create the gradebook
    root = tmp_path_factory.mktemp("course")
    shutil.copy2(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(SOLUTIONS, root / "solutions")
    timings: dict[str, float] = {}

    # The CLI verdicts run meanwhile, in their own processes, on the repo's files.
    sample = assignment_names()[0]
    sample_nb = notebooks_of(SOLUTIONS / sample)[0].name
    checks = {
        "solution": SOLUTIONS / sample / sample_nb,
        "blank": EXERCISES / sample / sample_nb,
    }
    env = {k: v for k, v in os.environ.items() if k != "NBGRADER_EXECUTION"}
    procs = {name: subprocess.Popen([sys.executable, "-m", "kubelab.course", "check", str(path)], cwd=REPO,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
             for name, path in checks.items()}

    api = NbGraderAPI(config=kcourse.load_config(root))
    for a in assignment_names():
        t0 = time.perf_counter()
        result = api.generate_assignment(a, force=True)
        timings[f"generate {a}"] = time.perf_counter() - t0
        assert result["success"], result.get("error", "") + result.get("log", "")
        for nb_path in notebooks_of(SOLUTIONS / a):
            solution = nbformat.read(nb_path, as_version=4)
            _submit(root, "solution", a, nb_path, solution)
            _submit(root, "blank", a, nb_path, nbformat.read(EXERCISES / a / nb_path.name, as_version=4))
            for student, variant in VARIANTS.get(a, {}).items():
                nb = copy.deepcopy(solution)
                for cell in nb.cells:
                    gid = nbgrader_meta(cell).get("grade_id")
                    if gid in variant.answers:
                        cell.source = variant.answers[gid]
                _submit(root, student, a, nb_path, nb)
        for student in STUDENTS:
            t0 = time.perf_counter()
            result = api.autograde(a, student, force=True, create=True)
            timings[f"autograde {a} {student}"] = time.perf_counter() - t0
            assert result["success"], result.get("error", "") + result.get("log", "")

    status, output = {}, {}
    for name, proc in procs.items():
        out, _ = proc.communicate(timeout=300)
        status[name], output[name] = proc.returncode, out
    return Course(root, timings, status, output)


ASSIGNMENTS = assignment_names()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_scores_full_marks(course, assignment):
    gb = course.gradebook()
    try:
        for nb_path in notebooks_of(SOLUTIONS / assignment):
            submitted = gb.find_submission_notebook(nb_path.stem, assignment, "solution")
            auto = [g for g in submitted.grades if g.cell.cell_type == "code"]
            assert auto, f"{nb_path.name} has no autograded cells"
            short = {g.name: (g.auto_score, g.max_score) for g in auto if g.auto_score != g.max_score}
            assert not short, f"the solution loses points: {short}"
            manual = [g for g in submitted.grades if g.cell.cell_type == "markdown"]
            assert manual and all(g.needs_manual_grade for g in manual), \
                "the solution's short answer should wait for manual grading"
    finally:
        gb.close()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_blank_release_scores_zero(course, assignment):
    gb = course.gradebook()
    try:
        sub = gb.find_submission(assignment, "blank")
        assert sub.score == 0, f"the untouched release scores {sub.score}/{sub.max_score}"
        assert sub.max_score > 0
    finally:
        gb.close()


def _feedback(course: Course, student: str, assignment: str, notebook: str) -> dict[str, str]:
    """grade_id -> the error text of each test cell that failed, as the learner sees it."""
    nb = course.executed(student, assignment, notebook)
    out = {}
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        if gid and errors:
            out[gid] = " ".join(f"{e.ename}: {e.evalue}" for e in errors)
    return out


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.parametrize("student", ["wrong", "hidden"])
def test_wrong_answers_lose_points_and_say_why(course, assignment, student):
    variant = VARIANTS.get(assignment, {}).get(student)
    assert variant is not None, f"add a {student!r} Variant for {assignment} to VARIANTS"
    gb = course.gradebook()
    try:
        for nb_path in notebooks_of(SOLUTIONS / assignment):
            tests = autograded_tests(nbformat.read(nb_path, as_version=4))
            grades = {g.name: g for g in gb.find_submission_notebook(nb_path.stem, assignment, student).grades}
            feedback = _feedback(course, student, assignment, nb_path.stem)
            for gid, points in tests.items():
                if gid in variant.fails:
                    assert grades[gid].auto_score == 0, f"{gid}: a wrong answer kept {grades[gid].auto_score}/{points}"
                    text = feedback.get(gid, "")
                    assert "AssertionError" in text or "WrongAnswer" in text, f"{gid}: no assertion feedback: {text!r}"
                    for phrase in variant.fails[gid]:
                        assert phrase in text, f"{gid}: feedback does not mention {phrase!r}: {text}"
                else:
                    assert grades[gid].auto_score == points, f"{gid} should keep its points: {feedback.get(gid)}"
        sub = gb.find_submission(assignment, student)
        auto_max = sum(sum(autograded_tests(nbformat.read(p, as_version=4)).values())
                       for p in notebooks_of(SOLUTIONS / assignment))
        assert 0 <= sub.score < auto_max
        if student == "hidden":
            assert 0 < sub.score, "answers that pass the visible tests should earn partial credit"
    finally:
        gb.close()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_question_has_a_wrong_answer(assignment):
    variants = VARIANTS.get(assignment, {})
    covered = {gid for v in variants.values() for gid in v.fails}
    for nb_path in notebooks_of(SOLUTIONS / assignment):
        missing = set(autograded_tests(nbformat.read(nb_path, as_version=4))) - covered
        assert not missing, f"{assignment}: no wrong-answer variant for {sorted(missing)}"


def _comparable(nb) -> dict:
    """The release as nbgrader writes it, without what execution could add (outputs, counts)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exercises_match_a_fresh_generate(course, assignment):
    fresh = course.root / "exercises" / assignment
    committed = EXERCISES / assignment
    assert committed.is_dir(), f"exercises/{assignment} is missing: run `make exercises` and commit it"
    names = lambda d: sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file())  # noqa: E731
    assert names(committed) == names(fresh), "exercises/ has other files than a fresh release: run `make exercises`"
    for nb_path in notebooks_of(fresh):
        a = _comparable(nbformat.read(nb_path, as_version=4))
        b = _comparable(nbformat.read(committed / nb_path.name, as_version=4))
        assert len(a.cells) == len(b.cells), f"{nb_path.name}: cell count differs: run `make exercises`"
        for ca, cb in zip(a.cells, b.cells):
            assert (ca.cell_type, ca.source) == (cb.cell_type, cb.source), \
                f"{nb_path.name}: cell {cb.get('id')} differs from a fresh release: run `make exercises`"
            assert ca.metadata == cb.metadata, f"{nb_path.name}: metadata of cell {cb.get('id')} differs"
        assert a.metadata == b.metadata


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_hides_tests_and_solutions(assignment):
    for nb_path in notebooks_of(SOLUTIONS / assignment):
        source = nbformat.read(nb_path, as_version=4)
        release = nbformat.read(EXERCISES / assignment / nb_path.name, as_version=4)
        text = "\n".join(c.source for c in release.cells)
        for marker in ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN SOLUTION", "END SOLUTION"):
            assert marker not in text, f"{marker} left in the release"
        hidden_seen = solutions_seen = 0
        by_id = {nbgrader_meta(c).get("grade_id"): c for c in release.cells if nbgrader_meta(c).get("grade_id")}
        for cell in source.cells:
            meta = nbgrader_meta(cell)
            gid = meta.get("grade_id")
            if not gid:
                continue
            released = by_id[gid].source
            region = _regions(cell.source, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
            region += _regions(cell.source, "### BEGIN SOLUTION", "### END SOLUTION")
            hidden_seen += "HIDDEN" in cell.source
            solutions_seen += bool(meta.get("solution"))
            for line in region:
                if line.strip():
                    assert line not in released, f"{gid}: {line.strip()!r} from a hidden region is in the release"
            if meta.get("solution") and cell.cell_type == "markdown":
                assert released.strip() == "YOUR ANSWER HERE", f"{gid}: the model answer leaks into the release"
        assert hidden_seen, f"{nb_path.name}: no hidden tests at all"
        assert solutions_seen, f"{nb_path.name}: no answer cells"


def _regions(source: str, begin: str, end: str) -> list[str]:
    out, inside = [], False
    for line in source.splitlines():
        if line.strip() == begin:
            inside = True
        elif line.strip() == end:
            inside = False
        elif inside:
            out.append(line)
    return out


@pytest.mark.parametrize("path", [*SOLUTIONS.glob("*/*.ipynb"), *EXERCISES.glob("*/*.ipynb")],
                         ids=lambda p: str(p.relative_to(REPO)))
def test_headings(path):
    assert heading_problems(nbformat.read(path, as_version=4)) == []


def test_check_command_verdicts(course):
    assert course.check_status["solution"] == 0, course.check_output["solution"]
    assert course.check_status["blank"] == 1, course.check_output["blank"]
    assert "NotImplementedError" in course.check_output["blank"]


def test_timings_are_reported(course, record_property):
    # Not an assertion on speed: the figures end up in the JUnit XML and in -rA output.
    for step, seconds in course.timings.items():
        record_property(step, round(seconds, 2))
    print({k: round(v, 2) for k, v in course.timings.items()})
