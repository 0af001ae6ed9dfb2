"""The model against a live kind cluster: endpoints, environment variables, DNS answers, kube-proxy rules.

Each check yields readable lines, one per difference (``service default/web:
endpoints model [...] cluster [...]``); no lines means they agree.

* endpoints: per Service, the ready endpoints' pods (``NAMESPACE/POD``, or the
  address when an endpoint has no pod) and ports, from the model's
  EndpointSlice controller and from the cluster's EndpointSlices.
* environment variables: per pod and container, :func:`kubelab.envvars.container_env`
  of the model's pod against the same function on the live pod's container spec
  in the imported cluster (kubelet's variables depend on the live Services).
* DNS (``dns=True``, live only): A answers of ``SERVICE.NAMESPACE.svc.DOMAIN``
  from CoreDNS through a one-shot busybox pod (labelled as :func:`apply`
  labels, deleted after), against :func:`kubelab.dns.query`.
* kube-proxy (``iptables=True``, when ``docker`` is on the PATH, iptables mode):
  the ``-A KUBE-SERVICES`` jumps of the user's Services on the first worker,
  from ``docker exec NODE iptables-save -t nat`` and from the model.

Model and kind nodes are paired in order (kind names them after the cluster).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from typing import Any, Callable

from ..errors import NotFoundError
from .client import (MANAGED_BY, MANAGED_BY_LABEL, RUN_ID_LABEL, KindClient, _system_keys, import_cluster,
                     read_live)

__all__ = ["compare", "compare_endpoints", "compare_env", "compare_dns", "compare_iptables", "dns_probe_pod",
           "parse_nslookup", "service_jumps"]


def _user_services(model: Any) -> list[Any]:
    system = _system_keys(model)
    return [s for s in model.services() if s.key not in system]


def _endpoint_set(slices: list[Any]) -> list[str]:
    out = set()
    for sl in slices:
        ports = ",".join(sorted(f"{p.port}/{p.protocol or 'TCP'}" for p in sl.ports)) or "-"
        for ep in sl.endpoints:
            ready = ep.conditions.ready if ep.conditions and ep.conditions.ready is not None else True
            if not ready:
                continue
            ref = ep.target_ref
            who = f"{ref.namespace}/{ref.name}" if ref and ref.name else ",".join(ep.addresses)
            out.add(f"{who}:{ports}")
    return sorted(out)


def compare_endpoints(model: Any, live: dict[str, list[Any]]) -> list[str]:
    lines = []
    live_svcs = {(s.namespace, s.name) for s in live["Service"]}
    for svc in _user_services(model):
        ns, name = svc.namespace, svc.name
        if (ns, name) not in live_svcs:
            lines.append(f"service {ns}/{name}: in the model, not in the cluster")
            continue
        want = _endpoint_set(model.endpoint_slices(name, ns))
        got = _endpoint_set([s for s in live["EndpointSlice"] if s.namespace == ns and s.service_name == name])
        if want != got:
            lines.append(f"service {ns}/{name}: endpoints model {want} cluster {got}")
    return lines


def compare_env(model: Any, imported: Any) -> list[str]:
    from ..envvars import container_env

    lines = []
    system = _system_keys(model)
    for pod in model.pods():
        if pod.key in system:
            continue
        try:
            live_pod = imported.pod(pod.name, pod.namespace)
        except NotFoundError:
            lines.append(f"pod {pod.namespace}/{pod.name}: in the model, not in the cluster")
            continue
        for c in pod.spec.containers:
            want = container_env(model, pod, c.name)
            got = container_env(imported, live_pod, c.name)
            for key in sorted(set(want) | set(got)):
                if want.get(key) != got.get(key):
                    lines.append(f"pod {pod.namespace}/{pod.name} container {c.name}: {key} model "
                                 f"{want.get(key, '<unset>')!r} cluster {got.get(key, '<unset>')!r}")
    return lines


def dns_probe_pod(names: list[str], run_id: str, image: str = "busybox:1.36") -> Any:
    """The one-shot pod that asks CoreDNS for ``names`` (A records), labelled as :func:`apply` labels."""
    from ..api import from_dict
    from ..api.convert import to_client

    script = "; ".join(f"echo '== {n}'; nslookup -type=a {n} 2>&1" for n in names) + "; true"
    doc = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": f"kubelab-dns-{run_id}", "namespace": "default",
                        "labels": {MANAGED_BY_LABEL: MANAGED_BY, RUN_ID_LABEL: run_id}},
           "spec": {"restartPolicy": "Never",
                    "containers": [{"name": "dig", "image": image, "command": ["sh", "-c", script]}]}}
    return to_client(from_dict(doc, "<kubelab kind compare>")[0])


def parse_nslookup(log: str) -> dict[str, list[str]]:
    """``{name: [addresses]}`` from the probe's log (busybox nslookup: ``Address:`` lines after ``Name:``)."""
    out: dict[str, list[str]] = {}
    current, answered = None, False
    for raw in log.splitlines():
        line = raw.strip()
        if line.startswith("== "):
            current, answered = line[3:], False
            out[current] = []
        elif line.startswith("Name:"):
            answered = True
        elif answered and current and line.startswith("Address"):
            out[current].append(line.split(":", 1)[1].strip().split()[0])
    return {k: sorted(v) for k, v in out.items()}


def _run_probe(ctx: KindClient, names: list[str], timeout: float, sleep: Callable[[float], None]) -> str:
    body = dns_probe_pod(names, ctx.run_id)
    name, ns = body.metadata.name, body.metadata.namespace
    ctx.core.create_namespaced_pod(ns, body)
    try:
        deadline = time.monotonic() + timeout
        while True:
            phase = ctx.core.read_namespaced_pod(name, ns).status.phase
            if phase in ("Succeeded", "Failed"):
                break
            if time.monotonic() > deadline:
                return ""
            sleep(1.0)
        return ctx.core.read_namespaced_pod_log(name, ns)
    finally:
        ctx.core.delete_namespaced_pod(name, ns)


def compare_dns(model: Any, ctx: KindClient, *, timeout: float = 120.0,
                sleep: Callable[[float], None] = time.sleep) -> list[str]:
    from ..dns import query

    domain = model.settings.cluster_domain
    names = [f"{s.name}.{s.namespace}.svc.{domain}." for s in _user_services(model)]
    if not names:
        return []
    log = _run_probe(ctx, names, timeout, sleep)
    if not log:
        return [f"dns: the probe pod kubelab-dns-{ctx.run_id} did not finish within {timeout:.0f}s"]
    live = parse_nslookup(log)
    lines = []
    for name in names:
        want = sorted(r.data for r in query(model, name, "A").records)
        got = live.get(name, [])
        if want != got:
            lines.append(f"dns {name} A: model {want} cluster {got}")
    return lines


def service_jumps(save_text: str, services: list[str]) -> list[str]:
    """The ``-A KUBE-SERVICES ... -j KUBE-SVC-…`` lines of an iptables-save text naming one of ``services``."""
    return sorted(line for line in save_text.splitlines()
                  if line.startswith("-A KUBE-SERVICES ") and "-j KUBE-SVC-" in line
                  and any(f'"{s}:' in line or f'"{s} ' in line for s in services))


def compare_iptables(model: Any, live: dict[str, list[Any]],
                     run: Callable[[list[str]], str] | None = None) -> list[str]:
    from ..proxy.rendering import render_rules

    if model.kube_proxy_config.effective_mode != "iptables":
        return []
    workers = [i for i, n in enumerate(model.nodes()) if "control-plane" not in (n.name or "")]
    live_nodes = [n.name for n in live["Node"]]
    if not workers or len(live_nodes) <= workers[0]:
        return []
    model_node, live_node = model.nodes()[workers[0]].name, live_nodes[workers[0]]
    if run is None:
        if not shutil.which("docker"):
            return []
        def run(argv: list[str]) -> str:
            return subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    services = [f"{s.namespace}/{s.name}" for s in _user_services(model)]
    want = service_jumps(render_rules(model, "iptables", model_node)["text"], services)
    got = service_jumps(run(["docker", "exec", live_node, "iptables-save", "-t", "nat"]), services)
    lines = [f"iptables {live_node}: only in the model: {x}" for x in want if x not in got]
    lines += [f"iptables {live_node}: only in the cluster: {x}" for x in got if x not in want]
    return lines


def compare(model: Any, ctx: KindClient, *, dns: bool = False, iptables: bool = False,
            run: Callable[[list[str]], str] | None = None) -> list[str]:
    """Differences between ``model`` and the cluster behind ``ctx``, one readable line each."""
    live = read_live(ctx)
    imported = import_cluster(ctx, live)
    from .gateway import compare_gateway

    lines = compare_endpoints(model, live) + compare_env(model, imported) + compare_gateway(model, ctx)
    if dns:
        lines += compare_dns(model, ctx)
    if iptables:
        lines += compare_iptables(model, live, run)
    return lines
