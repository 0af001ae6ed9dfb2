import json

from kubelab.linuxns import describe

from ._pods import make_pod


def test_rows_and_shared_kinds_default():
    d = describe(make_pod())
    assert [r.kind for r in d.rows] == ["cgroup", "ipc", "mnt", "net", "pid", "user", "uts"]
    assert d.shared_kinds() == {"ipc", "net", "user", "uts"}
    net = d.row("net")
    assert net.holder == "pause" and net.shared_by == ["pause", "app", "proxy"]
    assert len(set(net.ids.values())) == 1
    mnt = d.row("mnt")
    assert mnt.holder == "each container" and mnt.shared_by == [] and len(set(mnt.ids.values())) == 3


def test_shared_kinds_agree_with_ids():
    for spec in ({}, {"shareProcessNamespace": True}, {"hostNetwork": True}, {"hostUsers": False}):
        d = describe(make_pod(**spec))
        same = {r.kind for r in d.rows if r.ids["app"] == r.ids["proxy"]}
        assert d.shared_kinds() == same, spec


def test_share_process_namespace_toggles_pid_row():
    off, on = describe(make_pod()).row("pid"), describe(make_pod(shareProcessNamespace=True)).row("pid")
    assert (off.mode, off.holder) == ("CONTAINER", "each container")
    assert (on.mode, on.holder) == ("POD", "pause")
    assert on.ids["app"] == on.ids["proxy"] == on.ids["pause"]
    assert off.ids["app"] != off.ids["proxy"]
    assert "pid" in describe(make_pod(shareProcessNamespace=True)).shared_kinds()


def test_host_network_rows_are_nodes():
    d = describe(make_pod(hostNetwork=True))
    assert d.row("net").holder == d.row("uts").holder == "node"
    assert d.row("net").ids["app"] == 4026531992 and d.row("uts").ids["proxy"] == 4026531838
    assert d.row("ipc").holder == "pause"


def test_table_is_aligned_and_deterministic():
    text = str(describe(make_pod()))
    assert text == str(describe(make_pod()))
    lines = text.splitlines()
    assert lines[0].split() == ["KIND", "MODE", "SET", "BY", "HOLDER", "SHARED", "BY", "pause", "app", "proxy"]
    assert len(lines) == 8
    col = lines[0].index("pause")
    assert all(line[col:col + 10].isdigit() for line in lines[1:])


def test_to_dict_is_json():
    d = describe(make_pod()).to_dict()
    again = json.loads(json.dumps(d))
    assert again["pod"] == "default/web" and again["pauseImage"].startswith("registry.k8s.io/pause")
    assert {r["kind"]: r["mode"] for r in again["namespaces"]}["net"] == "POD"


def test_set_by_separates_cri_settings_from_runtime_behaviour():
    # CRI's NamespaceOption has network, pid, ipc and userns_options (cri-api api.proto); nothing else
    rows = {r.kind: r.set_by for r in describe(make_pod()).rows}
    cri = {k for k, v in rows.items() if v.startswith("CRI NamespaceOption.")}
    assert cri == {"net", "pid", "ipc", "user"}
    assert {v.split(".")[1] for k, v in rows.items() if k in cri} == {"network", "pid", "ipc", "userns_options"}
    assert rows["uts"] == "runtime: follows network"
    assert all(rows[k].startswith("runtime:") for k in ("uts", "mnt", "cgroup"))
    assert describe(make_pod()).to_dict()["namespaces"][0]["setBy"] == rows["cgroup"]
