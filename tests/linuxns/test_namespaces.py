import pytest

from kubelab.linuxns import HOST_INODES, ISOLATES, NAMESPACE_KINDS, InodeAllocator, LinuxNamespace, host_namespace
from kubelab.linuxns.namespaces import CLONE_FLAGS


def test_seven_kinds_in_proc_order():
    assert NAMESPACE_KINDS == ("cgroup", "ipc", "mnt", "net", "pid", "user", "uts")
    assert set(ISOLATES) == set(NAMESPACE_KINDS) == set(CLONE_FLAGS)
    assert CLONE_FLAGS["mnt"] == "CLONE_NEWNS"  # the historical name, not CLONE_NEWMNT


def test_initial_namespaces_use_the_kernels_inode_numbers():
    # include/linux/proc_ns.h: PROC_IPC_INIT_INO = 0xEFFFFFFF ... PROC_CGROUP_INIT_INO = 0xEFFFFFFB
    assert HOST_INODES["ipc"] == 0xEFFFFFFF
    assert HOST_INODES["uts"] == 0xEFFFFFFE
    assert HOST_INODES["user"] == 0xEFFFFFFD
    assert HOST_INODES["pid"] == 0xEFFFFFFC
    assert HOST_INODES["cgroup"] == 0xEFFFFFFB
    assert HOST_INODES["mnt"] == 4026531840 and HOST_INODES["net"] == 4026531992
    assert str(host_namespace("net", "n1")) == "net:[4026531992]"


def test_identity_is_kind_inode_and_node_not_owner():
    a = LinuxNamespace("net", 4026532200, "n1", "pause of x")
    assert a == LinuxNamespace("net", 4026532200, "n1", "someone else")
    assert a != LinuxNamespace("net", 4026532200, "n2")
    assert host_namespace("pid", "n1") != host_namespace("pid", "n2")
    assert len({a, LinuxNamespace("net", 4026532200, "n1")}) == 1


def test_allocator_is_deterministic_and_fresh_per_instance():
    first = [InodeAllocator().new("net", "x", "n").inode for _ in range(3)]
    assert first == [4026532160] * 3
    a = InodeAllocator()
    assert [a.new(k, "x", "n").inode for k in ("ipc", "uts", "mnt")] == [4026532160, 4026532161, 4026532162]


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="time"):
        host_namespace("time", "n1")
