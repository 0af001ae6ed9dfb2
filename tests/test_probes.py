"""kubelab.capabilities: the probes ``kubelab doctor``, the lab and the tests share, on a machine made to lack things."""

from __future__ import annotations

import pytest

from kubelab import capabilities


def test_every_probe_answers_with_its_name_and_a_status():
    found = capabilities.survey()
    assert len({p.name for p in found}) == len(found)  # one line per part
    for p in found:
        assert p.status in (capabilities.OK, capabilities.MISSING, capabilities.NO) and p.detail, p
    assert [capabilities.probe(name).name for name in ("cni", "kind")] == ["cni plugins", "kind context"]
    with pytest.raises(ValueError, match="unknown capability 'warp'"):
        capabilities.probe("warp")


@pytest.mark.parametrize(("name", "package"), [("iptables", "iptables"), ("nft", "nftables"), ("ipset", "ipset"),
                                               ("conntrack", "conntrack"), ("nf_tables", "nftables")])
def test_a_missing_binary_names_its_debian_package(monkeypatch, name, package):
    monkeypatch.setattr(capabilities, "which", lambda tool: None)
    found = capabilities.probe(name)
    assert found.status == capabilities.MISSING and f"(Debian package {package})" in found.detail


@pytest.mark.parametrize("name", ["root", "netns", "dummy", "hub"])
def test_without_root_the_kernel_probes_say_no_and_create_nothing(monkeypatch, name):
    monkeypatch.setattr(capabilities, "effective_uid", lambda: 1000)
    monkeypatch.setattr(capabilities, "_scratch_netns", None)  # calling it would be a bug
    found = capabilities.probe(name)
    assert found.status == capabilities.NO and ("root" in found.detail), found


def test_the_lab_reads_the_same_answers(monkeypatch):
    from kubelab.lab.doctor import parts

    monkeypatch.setattr(capabilities, "effective_uid", lambda: 1000)
    monkeypatch.setattr(capabilities, "CNI_DIRS", ("/nonexistent/cni",))
    names = {p.name: p for p in parts()}
    assert not names["kube-ipvs0 (dummy link)"].real and "not root" in names["kube-ipvs0 (dummy link)"].why
    assert not names["CNI bridge/host-local/loopback/portmap"].real
    assert capabilities.probe("cni").status == capabilities.MISSING
