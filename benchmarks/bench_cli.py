"""The command line end to end: ``kubelab rules --mode iptables --format restore`` on a 3,500-object file.

The file (:func:`manifest_text`, written once per run into a temporary
folder): 2,000 selector Services (``svc-NNNN``, port 80 to 8080) and 1,500
pods without ``nodeName``, pod ``i`` labelled for Service ``i`` -- so 1,500
Services have one endpoint and 500 have none (their ``REJECT`` rules) -- plus
eight Nodes (a tainted control plane and seven workers: the default three
nodes' pod ranges hold only 508 pods).

Figures: the wall time of the whole command in a fresh interpreter (best of
:data:`RUNS`, what a learner waits for) and its CPU time (user + system: less
sensitive to a shared machine's load), and the same steps in this process
(CPU seconds, :func:`time.process_time`), split as the command runs them: the YAML parse (:func:`kubelab.api.loader._parse`),
decoding + defaulting + validation (:func:`kubelab.api.loader.from_dict` per
document), the cluster build (``Cluster(objects)``: admission, scheduling,
allocation, the endpoint controllers), kube-proxy's sync and the rendering of
the ``iptables-restore`` text, plus ``import kubelab.cli.main``.  With
``iptables-restore`` installed, the number of lines of that text is reported
too (the real ``iptables-restore --test`` is not timed here: ``bench_proxy``
loads rule text into a throwaway namespace).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SERVICES, PODS, WORKERS = 2000, 1500, 7
RUNS = 3
COMMAND = ["rules", "--mode", "iptables", "--format", "restore"]


def manifest_text(services: int = SERVICES, pods: int = PODS, workers: int = WORKERS) -> str:
    """A multi-document YAML file: the nodes, ``services`` selector Services, then ``pods`` pods (pod ``i`` behind Service ``i``).

    The nodes are kind's (``kind-control-plane``, tainted, and ``kind-worker``,
    ``kind-worker2``, ...), declared so that every pod gets an address: each
    worker's ``/24`` holds 254 pods.
    """
    docs = ["""apiVersion: v1
kind: Node
metadata:
  name: kind-control-plane
  labels:
    node-role.kubernetes.io/control-plane: ""
spec:
  taints:
  - key: node-role.kubernetes.io/control-plane
    effect: NoSchedule
"""]
    for n in range(1, workers + 1):
        docs.append(f"""apiVersion: v1
kind: Node
metadata:
  name: kind-worker{n if n > 1 else ''}
""")
    for i in range(services):
        docs.append(f"""apiVersion: v1
kind: Service
metadata:
  name: svc-{i:04d}
  namespace: default
spec:
  selector:
    app: svc-{i:04d}
  ports:
  - name: http
    port: 80
    targetPort: 8080
    protocol: TCP
""")
    for i in range(pods):
        docs.append(f"""apiVersion: v1
kind: Pod
metadata:
  name: pod-{i:04d}
  namespace: default
  labels:
    app: svc-{i % services:04d}
spec:
  containers:
  - name: app
    image: nginx:1.27
    ports:
    - containerPort: 8080
      protocol: TCP
""")
    return "---\n".join(docs)


def _split(path: Path) -> list[tuple[str, float, str]]:
    """The command's steps, timed one by one in this process."""
    started = time.process_time()
    import kubelab.cli.main  # noqa: F401
    from kubelab.api.loader import _parse, from_dict, Manifests
    from kubelab.cluster import Cluster
    from kubelab.proxy import proxier_for
    imported = time.process_time()

    text = path.read_text()
    docs = _parse(text, str(path))
    parsed = time.process_time()
    objs = Manifests()
    for i, doc in enumerate(docs):
        objs.extend_from(from_dict(doc, str(path), i))
    validated = time.process_time()
    cluster = Cluster(objs.handed_over())  # as the command line does: no copy of what it just read
    built = time.process_time()
    proxier = proxier_for(cluster, "iptables")
    proxier.sync()
    synced = time.process_time()
    rules = proxier.render("restore")
    rendered = time.process_time()
    proxier.close()
    return [
        ("import kubelab.cli.main (in this process: may be cached)", imported - started, "s"),
        (f"YAML parse ({len(docs)} documents, {len(text) / 2**20:.2f} MiB)", parsed - imported, "s"),
        ("decode, default, validate", validated - parsed, "s"),
        ("cluster build (admission, scheduler, allocation, endpoint controllers)", built - validated, "s"),
        ("kube-proxy sync (iptables)", synced - built, "s"),
        ("render --format restore", rendered - synced, "s"),
        ("restore text lines", len(rules.splitlines()), "lines"),
    ]


def _wall(path: Path, cache: Path) -> tuple[float, float]:
    """The best wall and CPU seconds of :data:`RUNS` runs of the command in a fresh interpreter.

    The best, not the median: on a shared machine every other figure is the
    command plus someone else's load.  Byte code is cached (in ``cache``, after
    one untimed run), as for an installed package: with ``PYTHONDONTWRITEBYTECODE``
    every run would compile kubelab's sources again (a fifth of a second).
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    command = [sys.executable, "-c", "import sys; from kubelab.cli import main; sys.exit(main())", *COMMAND,
               "-f", str(path)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    times, cpu = [], []
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return min(times), min(cpu)


def run() -> list[tuple[str, float, str]]:
    with tempfile.TemporaryDirectory(prefix="kubelab-bench-cli-") as tmp:
        path = Path(tmp) / "cluster.yaml"
        path.write_text(manifest_text())
        wall, cpu = _wall(path, Path(tmp) / "pycache")
        what = f"kubelab {' '.join(COMMAND)} -f <{SERVICES} Services + {PODS} pods>"
        rows = [(f"{what}, wall, best of {RUNS}", wall, "s"), (f"{what}, CPU (user + system), best of {RUNS}", cpu, "s")]
        rows += _split(path)
    return rows


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name:<80} {value:>10.3f}  {unit}")
