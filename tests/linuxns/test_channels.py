import pytest

from kubelab.errors import KubelabError
from kubelab.linuxns import CHANNEL_KINDS, channels

from ._pods import make_pod, port


def by_kind(chs):
    out = {}
    for c in chs:
        out.setdefault(c.kind, []).append(c)
    return out


def two(**spec):
    return make_pod(containers=[{"name": "app", "ports": [port(8080)]}, {"name": "proxy"}], **spec)


def test_all_four_kinds_always_listed_with_reasons():
    chs = channels(two(), "proxy", "app")
    assert [c.kind for c in chs] == list(CHANNEL_KINDS)
    assert all(c.how and c.why and c.security for c in chs)
    k = by_kind(chs)
    assert k["network"][0].available and "localhost:8080" in k["network"][0].how
    assert "pause" in k["network"][0].why and "POD" in k["network"][0].why
    assert k["ipc"][0].available and "pause" in k["ipc"][0].why
    assert not k["volume"][0].available
    assert not k["signal"][0].available and "shareProcessNamespace" in k["signal"][0].why
    assert all(c.a == "default/web/proxy" and c.b == "default/web/app" for c in chs)


def test_share_process_namespace_opens_signals_and_says_so():
    sig = channels(two(shareProcessNamespace=True), "proxy", "app")[-1]
    assert sig.available and "SIGKILL" in sig.security and "/proc/<pid>/environ" in sig.security
    assert "CAP_KILL" in sig.how and "PID 1" in sig.why


def test_host_network_localhost_is_the_nodes():
    net = channels(two(hostNetwork=True), "proxy", "app")[0]
    assert net.available and "node kind-worker" in net.why and "4026531992" in net.why
    assert "kubelet" in net.security


def test_volume_directions_and_read_only():
    vols = [{"name": "shared", "emptyDir": {"medium": "Memory"}}, {"name": "conf", "emptyDir": {}},
            {"name": "cfg", "configMap": {"name": "x"}}]
    pod = make_pod(volumes=vols, containers=[
        {"name": "app", "volumeMounts": [{"name": "shared", "mountPath": "/a"},
                                         {"name": "conf", "mountPath": "/conf", "readOnly": True},
                                         {"name": "cfg", "mountPath": "/cfg"}]},
        {"name": "proxy", "volumeMounts": [{"name": "shared", "mountPath": "/b", "readOnly": True},
                                           {"name": "conf", "mountPath": "/etc/c", "readOnly": True},
                                           {"name": "cfg", "mountPath": "/cfg"}]}])
    v = {c.volume: c for c in channels(pod, "app", "proxy") if c.kind == "volume"}
    assert set(v) == {"shared", "conf", "cfg"}
    assert v["shared"].available and v["shared"].direction == "app -> proxy"
    assert v["shared"].paths == ("/a", "/b") and v["shared"].read_only == (False, True)
    assert "tmpfs" in v["shared"].medium and "plant files" in v["shared"].security
    # read-only on both sides: the same files, but no write channel
    assert not v["conf"].available and v["conf"].direction == "none"
    # configMap is mounted read-only by kubelet whatever readOnly says
    assert not v["cfg"].available and v["cfg"].read_only == (True, True)


def test_init_container_runs_before_app_but_can_leave_files():
    pod = make_pod(volumes=[{"name": "w", "emptyDir": {}}],
                   initContainers=[{"name": "setup", "volumeMounts": [{"name": "w", "mountPath": "/w"}]},
                                   ],
                   containers=[{"name": "app", "volumeMounts": [{"name": "w", "mountPath": "/w"}]}])
    k = by_kind(channels(pod, "setup", "app"))
    assert not k["network"][0].available and "init containers run to completion" in k["network"][0].why
    assert k["volume"][0].available and k["volume"][0].direction == "both ways"
    assert k["ipc"][0].available and "outlive" in k["ipc"][0].how


def test_sidecar_started_earlier_runs_alongside_later_init():
    pod = make_pod(initContainers=[{"name": "mesh", "restartPolicy": "Always"}, {"name": "setup"}])
    assert channels(pod, "setup", "mesh")[0].available
    assert channels(pod, "mesh", "app")[0].available


def test_across_pods_network_by_ip_no_ipc_no_signal():
    a, b = two(), make_pod("db", ip="10.244.1.7", containers=[{"name": "pg", "ports": [port(5432)]}])
    k = by_kind(channels(a, "app", "pg", other_pod=b))
    assert k["network"][0].available and "10.244.1.7:5432" in k["network"][0].how
    assert not k["ipc"][0].available and "hostIPC" in k["ipc"][0].why
    assert not k["signal"][0].available and "hostPID" in k["signal"][0].why
    assert not k["volume"][0].available
    assert k["network"][0].b == "default/db/pg"


def test_across_pods_host_namespaces_only_on_the_same_node():
    a = two(hostIPC=True, hostPID=True, hostNetwork=True)
    b = make_pod("agent", hostIPC=True, hostPID=True, hostNetwork=True)
    k = by_kind(channels(a, "app", "app", other_pod=b))
    assert k["ipc"][0].available and k["signal"][0].available and k["network"][0].available
    assert "localhost" in k["network"][0].how
    far = make_pod("agent", node="kind-worker2", hostIPC=True, hostPID=True, hostNetwork=True)
    k = by_kind(channels(a, "app", "app", other_pod=far))
    assert not k["ipc"][0].available and not k["signal"][0].available
    assert "localhost" not in k["network"][0].how
    only_one = make_pod("agent")  # hostIPC on one side only
    assert not by_kind(channels(a, "app", "app", other_pod=only_one))["ipc"][0].available
    assert not by_kind(channels(only_one, "app", "app", other_pod=a))["signal"][0].available


def test_across_pods_host_path_overlap_and_pvc():
    a = make_pod("a", volumes=[{"name": "logs", "hostPath": {"path": "/var/log"}}],
                 containers=[{"name": "c", "volumeMounts": [{"name": "logs", "mountPath": "/host/log"}]}])
    b = make_pod("b", volumes=[{"name": "pods", "hostPath": {"path": "/var/log/pods/"}}],
                 containers=[{"name": "c", "volumeMounts": [{"name": "pods", "mountPath": "/p", "readOnly": True}]}])
    v = [c for c in channels(a, "c", "c", other_pod=b) if c.kind == "volume"]
    assert len(v) == 1 and v[0].available
    assert v[0].paths == ("/host/log/pods", "/p") and v[0].direction == "default/a/c -> default/b/c"
    elsewhere = make_pod("b", node="kind-worker2", volumes=[{"name": "pods", "hostPath": {"path": "/var/log"}}],
                         containers=[{"name": "c", "volumeMounts": [{"name": "pods", "mountPath": "/p"}]}])
    assert not [c for c in channels(a, "c", "c", other_pod=elsewhere) if c.kind == "volume"][0].available
    sibling = make_pod("b", volumes=[{"name": "etc", "hostPath": {"path": "/var/lib"}}],
                       containers=[{"name": "c", "volumeMounts": [{"name": "etc", "mountPath": "/p"}]}])
    assert not [c for c in channels(a, "c", "c", other_pod=sibling) if c.kind == "volume"][0].available

    def pvc(name, claim, ns="default"):
        return make_pod(name, namespace=ns, volumes=[{"name": "d", "persistentVolumeClaim": {"claimName": claim}}],
                        containers=[{"name": "c", "volumeMounts": [{"name": "d", "mountPath": "/d"}]}])

    def shared(other):
        return [c for c in channels(pvc("x", "data"), "c", "c", other_pod=other) if c.kind == "volume"][0]
    assert shared(pvc("y", "data")).available and "ReadWriteMany" in shared(pvc("y", "data")).why
    assert not shared(pvc("y", "other")).available
    assert not shared(pvc("y", "data", "prod")).available  # a claim is namespaced


def test_unknown_container_names_pod_and_choices():
    msg = r'^Pod default/web: no container named "sidecar" \(containers: app, proxy\)$'
    with pytest.raises(KubelabError, match=msg):
        channels(make_pod(), "sidecar", "app")
    with pytest.raises(KubelabError, match="Pod default/db"):
        channels(make_pod(), "app", "nope", other_pod=make_pod("db"))


def test_to_dict_round_trips_volume_fields():
    pod = make_pod(volumes=[{"name": "s", "emptyDir": {}}],
                   containers=[{"name": "app", "volumeMounts": [{"name": "s", "mountPath": "/s"}]},
                               {"name": "proxy", "volumeMounts": [{"name": "s", "mountPath": "/t"}]}])
    d = [c.to_dict() for c in channels(pod, "app", "proxy")]
    assert d[2]["volume"] == "s" and d[2]["paths"] == ["/s", "/t"] and d[2]["readOnly"] == [False, False]
    assert "volume" not in d[0]
