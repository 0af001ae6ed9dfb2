"""kubelab.dns.resolver: glibc's search-list expansion from a pod, and a property test of its shape."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubelab import Cluster
from kubelab.dns import lookup, search_order
from kubelab.dns.records import Answer
from kubelab.dns.resolver import resolve

PODS = """
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec: {clusterIP: 10.96.50.5, ports: [{name: pg, port: 5432}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop}
spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: v1
kind: Pod
metadata: {name: other}
spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: v1
kind: Pod
metadata: {name: old-school}
spec: {dnsPolicy: Default, containers: [{name: c, image: busybox}]}
---
apiVersion: v1
kind: Pod
metadata: {name: tuned}
spec:
  dnsConfig: {options: [{name: ndots, value: "1"}]}
  containers: [{name: c, image: busybox}]
"""


@pytest.fixture
def cluster():
    return Cluster(PODS)


def _trail(result):
    return [(q.name, q.status) for q in result.queries]


def test_short_name_first_search_domain_answers(cluster):
    r = lookup(cluster, cluster.pod("client", "shop"), "db")
    assert _trail(r) == [("db.shop.svc.cluster.local.", "NOERROR")]
    assert r.lines() == ["db.shop.svc.cluster.local. 30 IN A 10.96.50.5"]


def test_service_dot_namespace_from_another_namespace(cluster):
    r = lookup(cluster, cluster.pod("other"), "db.shop")
    assert _trail(r) == [("db.shop.default.svc.cluster.local.", "NXDOMAIN"), ("db.shop.svc.cluster.local.", "NOERROR")]


def test_external_name_leaks_through_every_search_domain(cluster):
    # the ndots:5 lesson: 3 cluster suffixes first, then the name itself (upstream)
    r = lookup(cluster, cluster.pod("other"), "example.com", upstream={"example.com": "93.184.215.14"})
    assert _trail(r) == [("example.com.default.svc.cluster.local.", "NXDOMAIN"),
                         ("example.com.svc.cluster.local.", "NXDOMAIN"),
                         ("example.com.cluster.local.", "NXDOMAIN"),
                         ("example.com.", "NOERROR")]
    assert r.queries[-1].answer.source == "upstream" and r.found


def test_trailing_dot_is_one_query(cluster):
    r = lookup(cluster, cluster.pod("other"), "example.com.")
    assert _trail(r) == [("example.com.", "NXDOMAIN")] and r.status == "NXDOMAIN"


def test_lower_ndots_asks_the_name_first(cluster):
    r = lookup(cluster, cluster.pod("tuned"), "example.com", upstream={"example.com": "93.184.215.14"})
    assert _trail(r) == [("example.com.", "NOERROR")]
    r = lookup(cluster, cluster.pod("tuned"), "db.shop")
    assert _trail(r)[0] == ("db.shop.", "NXDOMAIN") and _trail(r)[-1] == ("db.shop.svc.cluster.local.", "NOERROR")


def test_nodata_keeps_searching_and_is_reported(cluster):
    # glibc: NO_DATA moves on to the next domain (got_nodata) and is the final error
    r = lookup(cluster, cluster.pod("client", "shop"), "db", "AAAA")
    assert _trail(r) == [("db.shop.svc.cluster.local.", "NODATA"), ("db.svc.cluster.local.", "NXDOMAIN"),
                         ("db.cluster.local.", "NXDOMAIN"), ("db.", "NXDOMAIN")]
    assert r.status == "NODATA" and not r.found and r.lines() == []


def test_default_policy_pod_cannot_resolve_services(cluster):
    r = lookup(cluster, cluster.pod("old-school"), "kubernetes.default.svc.cluster.local")
    # node file: ndots:0, no search: one query, to the node's resolver, which knows nothing of the cluster
    assert _trail(r) == [("kubernetes.default.svc.cluster.local.", "NXDOMAIN")]
    assert r.queries[0].nameserver == "172.18.0.1"


def test_search_order_root_domain():
    assert search_order("db", [".", "x"], 5) == ["db.", "db.x."]
    assert search_order("a.b", ["x", "."], 1) == ["a.b.", "a.b.x."]


# ---------------------------------------------------------------- the property
labels = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=8)
names = st.lists(labels, min_size=1, max_size=5).map(".".join)
domains = st.lists(labels, min_size=1, max_size=3).map(".".join)


@given(name=names, trailing=st.booleans(), searches=st.lists(domains, max_size=8), ndots=st.integers(0, 15),
       answered=st.sets(st.integers(0, 10)))
def test_expansion_shape(name, trailing, searches, ndots, answered):
    """Whatever answers, glibc never sends more than len(search)+1 queries; the absolute name is sent at most
    once; with nothing found the absolute name is sent, and it is the last query whenever the name has fewer
    dots than ndots (with ndots or more dots it goes first and the search list follows)."""
    qname = name + "." if trailing else name
    absolute = name + "."
    sent: list[str] = []

    def ask(fqdn: str) -> Answer:
        i = len(sent)
        sent.append(fqdn)
        found = i in answered
        return Answer(fqdn, "A", "NOERROR" if found else "NXDOMAIN", [] if not found else [object()])

    queries, status = resolve(qname, searches, ndots, ask)
    assert len(sent) <= len(searches) + 1
    assert sent.count(absolute) <= 1 or searches.count("") > 0
    assert sent == search_order(qname, searches, ndots)[: len(sent)]
    if status != "NOERROR":
        assert absolute in sent
        if trailing:
            assert sent == [absolute]
        elif name.count(".") < ndots:
            assert sent[-1] == absolute
        else:
            assert sent[0] == absolute
    else:
        assert len(sent) - 1 in answered
