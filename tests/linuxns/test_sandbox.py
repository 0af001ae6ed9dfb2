import pytest

from kubelab.errors import KubelabError
from kubelab.linuxns import NAMESPACE_KINDS, PAUSE_IMAGE, sandbox
from kubelab.linuxns.namespaces import HOST_INODES

from ._pods import make_pod


def test_default_pod_pause_holds_net_ipc_uts():
    sb = sandbox(make_pod())
    assert sb.pause_image == PAUSE_IMAGE == "registry.k8s.io/pause:3.10.1"
    assert sb.node == "kind-worker" and sb.pod == "default/web"
    for kind in ("net", "ipc", "uts"):
        assert sb.modes[kind] == "POD"
        assert sb.namespace("app", kind) == sb.namespace("proxy", kind) == sb.pause.namespaces[kind]
        assert not sb.namespace("app", kind).is_host
    for kind in ("mnt", "pid", "cgroup"):
        assert sb.modes[kind] == "CONTAINER"
        ids = {sb.namespace(n, kind) for n in ("pause", "app", "proxy")}
        assert len(ids) == 3, kind
    assert sb.namespace("app", "user").inode == HOST_INODES["user"]
    assert sb.container("app").pid1 == "the entrypoint of nginx"


def test_share_process_namespace_makes_pause_pid_1():
    sb = sandbox(make_pod(shareProcessNamespace=True))
    assert sb.modes["pid"] == "POD"
    assert sb.shared("app", "proxy", "pid") and sb.shared("pause", "app", "pid")
    assert sb.container("proxy").pid1 == "/pause"
    assert not sb.shared("app", "proxy", "mnt")  # filesystems stay separate (seen via /proc/<pid>/root)


def test_host_network_joins_node_net_and_uts_only():
    sb = sandbox(make_pod(hostNetwork=True))
    assert sb.modes["net"] == sb.modes["uts"] == "NODE"
    assert sb.namespace("app", "net").is_host and sb.namespace("app", "net").inode == HOST_INODES["net"]
    assert sb.namespace("app", "uts").inode == HOST_INODES["uts"]
    assert not sb.namespace("app", "ipc").is_host and not sb.namespace("app", "pid").is_host


def test_host_pid_and_host_ipc():
    sb = sandbox(make_pod(hostPID=True, hostIPC=True))
    assert sb.modes["pid"] == sb.modes["ipc"] == "NODE"
    assert sb.namespace("proxy", "pid").inode == HOST_INODES["pid"]
    assert sb.namespace("proxy", "ipc").inode == HOST_INODES["ipc"]
    assert "init process of node kind-worker" in sb.container("app").pid1
    assert not sb.namespace("app", "net").is_host


def test_host_users_false_gives_one_pod_user_namespace():
    assert sandbox(make_pod()).modes["user"] == "NODE"
    sb = sandbox(make_pod(hostUsers=False))
    assert sb.modes["user"] == "POD"
    ns = sb.namespace("app", "user")
    assert not ns.is_host and ns == sb.namespace("proxy", "user") == sb.pause.namespaces["user"]


def test_cgroup_v1_keeps_host_cgroup_namespace():
    sb = sandbox(make_pod(), cgroup_version=1)
    assert sb.namespace("app", "cgroup").is_host and sb.modes["cgroup"] == "NODE"


def test_init_and_sidecar_containers_are_in_the_sandbox():
    pod = make_pod(initContainers=[{"name": "setup"}, {"name": "mesh", "restartPolicy": "Always"}])
    sb = sandbox(pod)
    assert sb.names == ["setup", "mesh", "app", "proxy"]
    assert sb.container("setup").role == "init" and sb.container("mesh").role == "sidecar"
    assert sb.shared("setup", "app", "net") and not sb.shared("setup", "app", "mnt")
    assert not sb.container("setup").runs_with_app_containers
    assert sb.container("mesh").runs_with_app_containers


def test_same_pod_same_ids_and_node_override():
    a, b = sandbox(make_pod()), sandbox(make_pod())
    assert [c.proc_ns() for c in a.containers] == [c.proc_ns() for c in b.containers]
    assert sandbox(make_pod(node=None)).node == "unscheduled"
    assert sandbox(make_pod(), "kind-worker2").namespace("app", "net").node == "kind-worker2"
    assert set(a.container("app").proc_ns()) == set(NAMESPACE_KINDS)


def test_unknown_container_is_a_user_error():
    with pytest.raises(KubelabError) as e:
        sandbox(make_pod()).container("sidecar")
    assert str(e.value) == 'Pod default/web: no container named "sidecar" (containers: app, proxy)'
