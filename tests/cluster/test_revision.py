"""``Cluster.revision``, ``revision_of`` and the derived views cached on them (:mod:`kubelab.util.views`)."""

from __future__ import annotations

import gc
import weakref

import pytest

from kubelab.errors import ValidationError

from kubelab.cluster import Cluster
from kubelab.util.views import view
from kubelab.dns import ClusterDNS
from kubelab.gateway.status import state_of
from kubelab.net import Network, connect
from kubelab.policy.model import index_for
from kubelab.proxy import proxier_for


def test_every_commit_moves_the_revision_and_only_the_changed_kinds(make):
    c = Cluster(make.svc("web", {"app": "web"}))
    start, services, pods = c.revision, c.revision_of("svc"), c.revision_of("pods")
    assert services == start  # the first apply created the Service
    c.apply(make.pod("w1", {"app": "web"}))
    assert c.revision == start + 1
    assert c.revision_of("pods") == c.revision_of("EndpointSlice") == c.revision > pods
    assert c.revision_of("svc") == services  # the Service itself did not change
    c.delete("pod", "w1")
    assert c.revision == start + 2 and c.revision_of("po") == start + 2
    assert c.revision_of() == 0 and c.revision_of("ingresses") == 0


def test_a_failed_apply_leaves_the_revision(make):
    c = Cluster()
    before = c.revision
    with pytest.raises(ValidationError, match="1.2.3.4"):  # outside the Service CIDR: nothing is applied
        c.apply(make.svc("a") + "---\n" + make.svc("b", clusterIP="1.2.3.4"))
    assert c.revision == before


def test_a_copy_has_its_own_views(make):
    c = Cluster(make.svc("web", {"app": "web"}) + "---\n" + make.pod("w1", {"app": "web"}))
    other = c.copy()
    assert other.revision == c.revision
    other.apply(make.pod("w2", {"app": "web"}))
    names = lambda cl: sorted(p.name for p in cl.pods("default"))  # noqa: E731
    assert view(c, "pods", names) == ["w1"] and view(other, "pods", names) == ["w1", "w2"]


def test_the_policy_and_dns_views_follow_the_revision(make):
    c = Cluster(make.svc("web", {"app": "web"}))
    idx = index_for(c)
    assert index_for(c) is idx
    dns = ClusterDNS(c)
    assert dns.query("web.default.svc.cluster.local").rcode == "NOERROR"
    c.apply(make.pod("w1", {"app": "web"}))
    assert index_for(c) is not idx and "default/w1" in index_for(c).pod_by_name
    c.delete("service", "web")
    assert dns.query("web.default.svc.cluster.local").rcode == "NXDOMAIN"


def test_a_proxier_resyncs_only_when_what_kube_proxy_watches_changed(make):
    c = Cluster(make.svc("web", {"app": "web"}) + "---\n" + make.pod("w1", {"app": "web"}))
    p = proxier_for(c, "iptables")
    p.ensure_synced()
    c.apply(make.pod("lonely", {"app": "other"}))  # no Service selects it: no EndpointSlice changes
    p.ensure_synced()
    assert p.syncs == 1
    c.apply(make.pod("w2", {"app": "web"}))
    p.ensure_synced()
    assert p.syncs == 2 and p.render("restore").count("KUBE-SEP-") > 0


def test_a_cluster_is_freed_by_reference_counting_after_traces_and_dns_queries(make):
    c = Cluster(make.svc("web", {"app": "web"}) + "---\n" + make.pod("w1", {"app": "web"})
                + "---\n" + make.pod("client", {"app": "client"}))
    assert connect(c, "client", "web", 80).verdict == "delivered"
    net = Network(c, mode="ipvs")
    assert net.connect("client", "web", 80).verdict == "delivered"
    assert ClusterDNS(c).query("web.default.svc.cluster.local").rcode == "NOERROR"
    index_for(c)
    assert state_of(c) is state_of(c) and state_of(c).cluster is c
    ref = weakref.ref(c)
    gc.disable()  # reference counting alone: no cycle through a watch callback
    try:
        del c, net
        assert ref() is None
    finally:
        gc.enable()


def test_nothing_outside_the_cluster_package_reads_its_store():
    import re
    from pathlib import Path

    import kubelab

    root = Path(kubelab.__file__).parent
    private = re.compile(r"\._s\b|[\"']_s[\"']")
    readers = [str(p.relative_to(root)) for p in root.rglob("*.py")
               if p.parent.name != "cluster" and private.search(p.read_text(encoding="utf-8"))]
    assert readers == []
