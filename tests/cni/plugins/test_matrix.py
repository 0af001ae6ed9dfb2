"""Figure 2.9 as data: every value has a source and a date; choose() explains each verdict."""

from __future__ import annotations

import re

import pytest

from kubelab.cni.plugins import plugin_for
from kubelab.cni.plugins.matrix import FEATURES, MATRIX, SOURCES, Encapsulations, choose, feature, table
from kubelab.errors import KubelabError


def test_every_value_has_a_source_and_a_date():
    for plugin, feats in MATRIX.items():
        assert set(feats) == set(FEATURES), plugin
        for name, facts in feats.items():
            assert facts, (plugin, name)
            for f in facts:
                assert f.source and ("http" in f.source or "chapter" in f.source), (plugin, name)
                assert re.fullmatch(r"\d{4}(-\d{2}){0,2}", f.date), (plugin, name, f.date)


def test_figure_2_9_as_the_chapter_reads_it():
    fig = {row["plugin"]: row for row in table(as_of="2019-04")}
    assert fig["flannel"]["policy_ingress"] is False and fig["flannel"]["policy_egress"] is False
    assert fig["kube-router"]["policy_ingress"] is True and fig["kube-router"]["policy_egress"] is False
    encrypted = sorted(p for p, row in fig.items() if row["encryption"])
    assert encrypted == ["cilium", "weave"]  # "most CNI plugins do not support encryption"


def test_later_facts_win_without_a_date():
    assert feature("calico", "encryption").value == "WireGuard"
    assert feature("calico", "encryption", as_of="2019-04").value is None
    assert feature("kindnet", "policy_ingress", as_of="2024-01") is None
    assert feature("kindnet", "policy_ingress").value is True


def test_choose_gives_a_reason_for_every_plugin():
    out = choose({"policy_ingress": True, "policy_egress": True, "as_of": "2019-04"})
    assert {c.plugin for c in out} == set(MATRIX)
    assert all(c.reasons for c in out)
    by = {c.plugin: c for c in out}
    assert not by["flannel"].kept and "no ingress NetworkPolicy" in str(by["flannel"])
    assert not by["kube-router"].kept and "no egress NetworkPolicy" in str(by["kube-router"])
    assert by["calico"].kept and "ingress NetworkPolicy" in str(by["calico"])
    routed = [c.plugin for c in choose({"no_overlay": True}) if c.kept]
    shown = [row["plugin"] for row in table() if "native routing" in str(row["overlay"])]
    assert routed == shown  # decided on the text the matrix shows, not on a second opinion
    assert routed == ["calico", "canal", "cilium", "flannel", "kube-router", "kindnet"]
    assert "weave" not in routed  # fast datapath and sleeve both encapsulate
    wg = [c.plugin for c in choose({"encryption": "WireGuard"}) if c.kept]
    assert wg == ["calico", "cilium", "flannel"]


def test_unknown_requirement_and_plugin():
    with pytest.raises(KubelabError, match='unknown requirement "polcy_egress" \\(did you mean "policy_egress"\\?\\)'):
        choose({"polcy_egress": True})
    with pytest.raises(KubelabError, match='did you mean "weave"'):
        feature("weav", "encryption")
    with pytest.raises(KubelabError, match="unknown feature"):
        feature("weave", "speed")


def test_no_overlay_judges_every_mode_not_only_the_default():
    by = {c.plugin: c for c in choose({"no_overlay": True})}
    assert by["cilium"].kept and "routingMode: native" in str(by["cilium"])
    assert by["canal"].kept and "host-gw" in str(by["canal"])
    assert not by["weave"].kept and "needs an overlay" in str(by["weave"])
    # judged as known in 2019, Canal's only fact was flannel VXLAN
    assert not {c.plugin: c for c in choose({"no_overlay": True, "as_of": "2019-04"})}["canal"].kept


# plugin -> the model options of its native-routing mode (None: the plugin model offers none)
NATIVE_OPTIONS = {"calico": {"encapsulation": "None"}, "canal": {"backend": "host-gw"},
                  "cilium": {"routing_mode": "native"}, "flannel": {"backend": "host-gw"},
                  "kube-router": {"enable_overlay": False}, "kindnet": {}, "weave": None}


@pytest.mark.parametrize("plugin", sorted(MATRIX))
def test_matrix_modes_agree_with_the_plugin_models(two_pods, plugin):
    modes = feature(plugin, "overlay").value
    assert isinstance(modes, Encapsulations)
    default = plugin_for(two_pods(plugin)).encapsulation
    if default is None:
        assert modes.default.startswith("native routing"), plugin
    else:
        assert modes.default.split()[0] in default.name, (plugin, default.name)
    assert modes.routes_natively == (NATIVE_OPTIONS[plugin] is not None)
    if NATIVE_OPTIONS[plugin] is not None:
        c = two_pods(plugin)
        m = plugin_for(c, **NATIVE_OPTIONS[plugin])
        assert m.path(c.pod("a"), c.pod("b").status.pod_ip).encapsulation is None


def test_citations_are_english():
    """Every source is cited in English: a CJK title renders as empty boxes in Debian's Chromium."""
    import unicodedata

    for key, (text, _date) in SOURCES.items():
        foreign = [c for c in text if ord(c) > 0x2FF and not unicodedata.category(c).startswith(("P", "S", "Z"))]
        assert not foreign, f"{key}: non-Latin characters {''.join(foreign)!r} in {text!r}"
    assert "'CNI specification and plugins'" in SOURCES["chapter"][0]
