"""kubelab.host: root and Linux, asked in one place, and answered where os.geteuid is missing."""

from __future__ import annotations

import os

import pytest

from kubelab import host


def test_effective_uid_is_os_geteuid_here():
    assert host.effective_uid() == os.geteuid()
    assert host.is_root() is (os.geteuid() == 0)
    assert host.needs_linux("anything") is None  # the tests run on Linux


def test_no_geteuid_means_no_uid_and_not_root(monkeypatch):
    monkeypatch.delattr(os, "geteuid")
    assert host.effective_uid() is None
    assert host.is_root() is False


def test_in_the_browser_the_lab_and_doctor_say_they_need_linux(monkeypatch):
    monkeypatch.setattr(host, "IN_BROWSER", True)
    monkeypatch.delattr(os, "geteuid")
    why = host.needs_linux("the real-kernel lab")
    assert "needs a Linux machine" in why and "in-browser edition" in why

    from kubelab import capabilities
    checks = [capabilities.root(), capabilities.netns()]
    assert [c.name for c in checks] == ["root", "netns"]
    assert all(c.status == "no" for c in checks)
    assert all("needs a Linux machine" in c.detail for c in checks)

    from kubelab.cli import lab
    from kubelab.errors import KubelabError
    with pytest.raises(KubelabError, match="needs a Linux machine"):
        lab._need_root()

    from kubelab.lab import doctor as lab_doctor
    assert lab_doctor._dummy().real is False
    assert lab_doctor._nftables().real is False
