"""A property-based fuzz of the command line (issue 14): whatever the manifests and arguments, kubelab answers.

Hypothesis generates manifests (objects of the modelled kinds with fields of any JSON type, valid
values mixed with wrong ones, as YAML, JSON or damaged text; one in ten a small hostile file:
fanned-out aliases, deep nesting, a long integer) and command lines (every subcommand
the model answers, its options, the cluster flags, with names and values drawn from the manifests or
made up).  Each example runs ``kubelab.cli.main.main`` in a forked child under ``RLIMIT_AS`` (the
parent's size plus :data:`MEMORY_HEADROOM`) and a time limit, and must:

* exit 0, 1 or 2 -- never 70 (an internal error) and never die of a signal or the memory cap;
* print no traceback; on exit 2, say ``error: ...`` (or argparse's usage) on stderr.

Bounded: :data:`EXAMPLES` examples; with ``CI`` set, the ``ci`` profile of tests/conftest.py makes
them the same on every run.  The lab, kind, doctor, check and ``cni`` commands are left out: they
act on the machine (namespaces, a docker daemon, notebooks, files under ~/.cache) rather than
answering from the manifests.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import tempfile

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubelab.cli.main import main

EXAMPLES = 150
MEMORY_HEADROOM = 768 << 20  # address space a child may add to the parent's
SECONDS = 30  # per example

# ---------------------------------------------------------------- manifests
NAMES = st.sampled_from(["web", "db", "web-1", "a", "kube-dns", "default", "x" * 70, "Bad_Name", "", "-"])
LABELS = st.dictionaries(st.sampled_from(["app", "tier", "a/b", "bad key!", ""]),
                         st.one_of(NAMES, st.integers(), st.none()), max_size=3)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40), st.floats(allow_nan=False),
                    st.text(max_size=20), NAMES)
ANY = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                    st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                   max_leaves=20)
PORT = st.one_of(st.integers(-5, 70000), st.sampled_from([80, 443, 8080, 53, "http", "web", "2:14:40"]), SCALARS)
IP = st.sampled_from(["10.96.0.10", "10.96.100.5", "10.244.1.7", "None", "", "fd00::1", "999.1.1.1", "1.2.3"])


def _maybe(value_strategy):
    return st.one_of(value_strategy, ANY)


@st.composite
def metadata(draw):
    meta = {"name": draw(NAMES)}
    if draw(st.booleans()):
        meta["namespace"] = draw(st.sampled_from(["default", "kube-system", "shop", "Bad", ""]))
    if draw(st.booleans()):
        meta["labels"] = draw(LABELS)
    if draw(st.booleans()):
        meta["annotations"] = draw(st.dictionaries(st.text(max_size=10), st.text(max_size=30), max_size=2))
    return meta


@st.composite
def pod(draw):
    ports = draw(st.lists(st.fixed_dictionaries({"containerPort": PORT}, optional={
        "protocol": st.sampled_from(["TCP", "UDP", "SCTP", "tcp", 1]), "hostPort": PORT, "name": NAMES}),
        max_size=2))
    container = {"name": draw(NAMES), "image": "nginx", "ports": ports}
    if draw(st.booleans()):
        container["env"] = draw(st.lists(st.fixed_dictionaries(
            {"name": st.sampled_from(["A", "B", "C"]), "value": st.sampled_from(["$(A)$(A)", "x", "$(B)", "$$"])}),
            max_size=4))
    spec = {"containers": draw(st.one_of(st.just([container]), _maybe(st.just([container]))))}
    for key, value in (("nodeName", NAMES), ("hostNetwork", st.booleans()), ("dnsPolicy", NAMES),
                       ("affinity", ANY)):
        if draw(st.booleans()):
            spec[key] = draw(value)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": draw(metadata()), "spec": spec}


@st.composite
def service(draw):
    port = draw(st.fixed_dictionaries({"port": PORT}, optional={"targetPort": PORT, "nodePort": PORT,
                                                                 "protocol": st.sampled_from(["TCP", "UDP", "x"])}))
    spec = {"selector": draw(LABELS), "ports": draw(st.one_of(st.just([port]), _maybe(st.just([port]))))}
    for key, value in (("type", st.sampled_from(["ClusterIP", "NodePort", "LoadBalancer", "ExternalName", "x"])),
                       ("clusterIP", IP), ("ipFamilies", st.lists(st.sampled_from(["IPv4", "IPv6", "x"]), max_size=2)),
                       ("ipFamilyPolicy", st.sampled_from(["SingleStack", "RequireDualStack", "PreferDualStack"])),
                       ("externalName", NAMES), ("externalTrafficPolicy", st.sampled_from(["Local", "Cluster"]))):
        if draw(st.booleans()):
            spec[key] = draw(value)
    return {"apiVersion": "v1", "kind": "Service", "metadata": draw(metadata()), "spec": spec}


@st.composite
def network_policy(draw):
    peer = st.fixed_dictionaries({}, optional={"podSelector": st.fixed_dictionaries({}, optional={
        "matchLabels": LABELS}), "ipBlock": st.fixed_dictionaries({"cidr": st.sampled_from(
            ["10.0.0.0/8", "bad", "0.0.0.0/0", "fd00::/8"])})})
    spec = {"podSelector": draw(st.one_of(st.just({}), st.fixed_dictionaries({"matchLabels": LABELS}))),
            "policyTypes": draw(st.lists(st.sampled_from(["Ingress", "Egress", "x"]), max_size=2)),
            "ingress": draw(st.lists(st.fixed_dictionaries({}, optional={"from": st.lists(peer, max_size=2),
                                                                         "ports": st.lists(st.fixed_dictionaries(
                                                                             {"port": PORT}), max_size=2)}),
                                     max_size=2))}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": draw(metadata()),
            "spec": draw(_maybe(st.just(spec)))}


@st.composite
def ingress(draw):
    backend = {"service": {"name": draw(NAMES), "port": draw(st.one_of(
        st.fixed_dictionaries({"number": PORT}), st.fixed_dictionaries({"name": NAMES})))}}
    path = draw(st.fixed_dictionaries({"path": st.sampled_from(["/", "/api", "", "x", "/a/../b"]),
                                       "pathType": st.sampled_from(["Prefix", "Exact", "ImplementationSpecific", "x"]),
                                       "backend": st.just(backend)}))
    rule = draw(st.fixed_dictionaries({"http": st.just({"paths": [path]})}, optional={
        "host": st.sampled_from(["foo.com", "*.foo.com", "", "Bad_Host", "1.2.3.4"])}))
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": draw(metadata()),
            "spec": {"rules": [rule]}}


NODE = st.builds(lambda name, ip: {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
                                   "status": {"addresses": [{"type": "InternalIP", "address": ip}]}}, NAMES, IP)
OBJECT = st.one_of(pod(), service(), network_policy(), ingress(), NODE,
                   st.fixed_dictionaries({"apiVersion": st.sampled_from(["v1", "apps/v1", "x"]),
                                          "kind": st.sampled_from(["List", "Namespace", "Deployment", "Nope"])},
                                         optional={"metadata": metadata(), "items": st.lists(pod(), max_size=2)}),
                   ANY)


@st.composite
def hostile_text(draw):
    """A small file that is large once read: aliases fanned out, deep nesting, a long integer."""
    kind = draw(st.sampled_from(["aliases", "deep", "integer"]))
    head = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: c, image: x}]\n"
    if kind == "aliases":
        levels, fan = draw(st.integers(1, 12)), draw(st.integers(2, 12))
        lines = ["  affinity:", "    a0: &a0 [x]"]
        lines += [f"    a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fan)}]" for i in range(1, levels)]
        return "m.yaml", head + "\n".join(lines) + "\n"
    if kind == "deep":
        depth = draw(st.integers(50, 30000))
        opener = draw(st.sampled_from(["[", '{"a":']))
        closer = "]" if opener == "[" else "}"
        body = opener * depth + "1" + closer * depth
        return draw(st.sampled_from(["m.json", "m.yaml"])), '{"apiVersion": "v1", "kind": "Pod", "x": ' + body + "}"
    digits = draw(st.integers(1, 6000))
    return "m.yaml", head.replace("image: x", "image: x, ports: [{containerPort: " + "9" * digits + "}]")


@st.composite
def manifest_text(draw):
    if draw(st.integers(0, 9)) == 0:
        return draw(hostile_text())
    docs = draw(st.lists(OBJECT, min_size=0, max_size=4))
    form = draw(st.sampled_from(["yaml", "json", "damaged"]))
    if form == "json":
        return "m.json", json.dumps(docs[0] if len(docs) == 1 else {"apiVersion": "v1", "kind": "List", "items": docs})
    text = "---\n".join(yaml.safe_dump(d, default_flow_style=draw(st.booleans())) for d in docs)
    if form == "damaged" and text:
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(["\t", ":", "&a", "*a", "[", "{", "\x00", "'", "- ", "\n  "])) + text[at:]
    return "m.yaml", text


# ---------------------------------------------------------------- command lines
WORD = st.one_of(NAMES, st.text(max_size=12), st.sampled_from(["web:80", "10.96.0.10:53", "db/x", "-", "--"]))
URL = st.one_of(st.sampled_from(["http://foo.com/", "https://foo.com/api", "http://[fd00::zz]/", "http://x:70000/",
                                 "foo/bar", "ftp://x/", "http://", "http://1.2.3.4:80/a"]), WORD)
GLOBAL_FLAGS = st.lists(st.one_of(
    st.tuples(st.just("--service-cidr"), st.sampled_from(["10.96.0.0/12", "10.96.0.0/29", "0.0.0.0/0", "fd00::/108",
                                                          "10.244.0.0/16", "bad", ""])),
    st.tuples(st.just("--pod-cidr"), st.sampled_from(["10.244.0.0/16", "10.0.0.0/8", "x", "192.168.0.0/30"])),
    st.tuples(st.just("--cluster-domain"), st.sampled_from(["cluster.local", "Bad_Domain!", "", "a.b"])),
    st.tuples(st.just("--service-node-port-range"), st.sampled_from(["30000-32767", "30080-30080", "5-1", "x"])),
    st.tuples(st.just("--cni"), st.sampled_from(["calico", "flannel", "cilium", "nope"])),
    st.tuples(st.just("--proxy-mode"), st.sampled_from(["iptables", "ipvs", "nftables", "userspace", "x"])),
), max_size=3)


@st.composite
def command_line(draw):
    cmd = draw(st.sampled_from(["validate", "get", "describe", "rules", "trace", "route", "policy", "env", "dns",
                                "resolv-conf"]))
    argv = [cmd]
    if cmd == "get":
        argv += [draw(st.sampled_from(["pods", "svc", "ep", "endpointslices", "netpol", "ing", "nodes", "all", "",
                                       "pods,svc", "pod/web", "nope"]))]
        argv += draw(st.lists(WORD, max_size=2))
        argv += draw(st.sampled_from([[], ["-o", "json"], ["-o", "yaml"], ["-o", "wide"], ["-A"], ["-n", "shop"]]))
    elif cmd == "describe":
        argv += ["pod", *draw(st.lists(WORD, max_size=2))]
    elif cmd == "rules":
        argv += draw(st.sampled_from([[], ["--mode", "ipvs"], ["--node", "kind-worker"], ["--node", "nope"]]))
    elif cmd == "trace":
        argv += ["--from", draw(WORD), "--to", draw(WORD)]
        argv += draw(st.sampled_from([[], ["--count", "3"], ["--proto", "UDP"], ["--count", "0"], ["-o", "json"]]))
    elif cmd == "route":
        argv += [draw(URL)]
        argv += draw(st.sampled_from([[], ["--why"], ["--count", "2"], ["-H", "Host: foo.com"], ["-H", "bad"],
                                      ["--trace"]]))
    elif cmd == "policy":
        argv += draw(st.sampled_from([["--matrix", "--port", "80"], ["--from", "web", "--to", "db", "--port", "80"],
                                      ["--port", "x"], ["--matrix", "--port", "53/UDP"]]))
    elif cmd in ("env", "resolv-conf"):
        argv += [draw(WORD)]
    elif cmd == "dns":
        argv += [draw(st.one_of(WORD, st.sampled_from(["web.default.svc.cluster.local", "kubernetes.default", "."])))]
        argv += draw(st.sampled_from([[], ["--type", "SRV"], ["--type", "PTR"], ["--from", "web"], ["--type", "x"]]))
    for flag, value in draw(GLOBAL_FLAGS):
        argv += [flag, value]
    return argv


# ---------------------------------------------------------------- the harness
def _vm_size() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def run_forked(argv: list[str], cwd: str) -> tuple[int, str, str]:
    """``main(argv)`` in a forked child (memory-capped, timed): ``(status, stdout, stderr)``; a signal is -N."""
    out_path, err_path = os.path.join(cwd, ".out"), os.path.join(cwd, ".err")
    cap = _vm_size() + MEMORY_HEADROOM
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 71
        try:
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
            signal.alarm(SECONDS)
            os.chdir(cwd)
            with open(out_path, "w") as out, open(err_path, "w") as err:
                sys.stdout, sys.stderr = out, err
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
                try:
                    code = main(argv)
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
        except BaseException:  # noqa: BLE001 -- anything escaping main() is a finding (status 71)
            code = 71
        finally:
            os._exit(code if isinstance(code, int) and 0 <= code < 256 else 71)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    with open(out_path, errors="replace") as f:
        out = f.read()
    with open(err_path, errors="replace") as f:
        err = f.read()
    return code, out, err


def check(code: int, out: str, err: str, argv: list[str]) -> None:
    where = f"kubelab {' '.join(argv)}"
    assert code in (0, 1, 2), f"{where}: exit {code}\n{err[-2000:]}"
    assert "Traceback (most recent call last)" not in err + out, f"{where}: a traceback\n{err[-2000:]}"
    assert "internal error" not in err, f"{where}: {err[-500:]}"
    if code == 2:
        assert err.startswith(("error: ", "usage: ", "Warning: ")), f"{where}: exit 2 without an error line: {err!r}"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the harness forks")
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(manifest=manifest_text(), argv=command_line())
def test_the_command_line_always_answers(manifest, argv):
    name, text = manifest
    with tempfile.TemporaryDirectory() as cwd:
        with open(os.path.join(cwd, name), "w", encoding="utf-8", errors="surrogatepass") as f:
            f.write(text)
        argv = [*argv, "-f", name]
        check(*run_forked(argv, cwd), argv)


@pytest.mark.parametrize("argv", [["validate", "-f", "/dev/zero"], ["get", "pods", "-f", "bomb.yaml", "-o", "json"],
                                  ["env", "p", "-f", "env.yaml"]])
def test_the_harness_catches_bombs_under_the_cap(argv, tmp_path):
    """The bombs of item 4 under the fuzz's harness: refused with exit 2, well under the memory cap."""
    from tests.cli.test_hostile_input import billion_laughs, env_bomb

    (tmp_path / "bomb.yaml").write_text(billion_laughs())
    (tmp_path / "env.yaml").write_text(env_bomb())
    code, out, err = run_forked(argv, str(tmp_path))
    check(code, out, err, argv)
    assert code == 2 and err.startswith("error: ")


def test_the_harness_reports_a_crash(tmp_path, monkeypatch):
    """A failure the fuzz must see: an exception escaping the command is exit 70, and the check refuses it."""
    import kubelab.cli.validate as validate

    def boom(args):
        raise IndexError("boom")
    monkeypatch.setattr(validate, "run", boom)
    from kubelab.cli.common import COMMANDS
    monkeypatch.setattr(COMMANDS["validate"], "run", boom)
    (tmp_path / "m.yaml").write_text("")
    code, out, err = run_forked(["validate", "-f", "m.yaml"], str(tmp_path))
    assert code == 70
    with pytest.raises(AssertionError):
        check(code, out, err, ["validate"])
