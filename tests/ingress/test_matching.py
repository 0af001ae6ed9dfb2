"""Host and path matching: the Kubernetes docs' tables, ImplementationSpecific, how Ingresses combine.

Sources: kubernetes/website ``content/en/docs/concepts/services-networking/ingress.md``
("Examples" table under "Path types", "Multiple matches", "Hostname wildcards"), and
ingress-nginx ``internal/ingress/controller`` (``createServers``, ``updateServerLocations``)
and ``nginx.tmpl``/``template.go`` (``buildLocation``) for how rules of several Ingresses
combine and what ImplementationSpecific means there.
"""

from __future__ import annotations

import pytest

from kubelab.api import load_text
from kubelab.ingress import RouteTable, host_matches, normalize_host, normalize_path, path_matches


def ingress(paths: list[tuple[str, str]], *, host: str | None = None, default: str | None = None,
            name: str = "ing") -> str:
    items = "\n".join(f"      - {{path: '{p}', pathType: {t}, backend: {{service: {{name: b{i}, port: {{number: 80}}}}}}}}"
                      for i, (p, t) in enumerate(paths))
    host_line = f"host: '{host}'\n    " if host else ""
    rules = f"""
  rules:
  - {host_line}http:
      paths:
{items}""" if paths else ""
    dflt = f"\n  defaultBackend: {{service: {{name: {default}, port: {{number: 80}}}}}}" if default else ""
    return f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: {name}}}
spec:{dflt}{rules}
"""


def table(*texts: str, **kw) -> RouteTable:
    return RouteTable(load_text("\n---\n".join(texts)), **kw)


# The docs' table: (kind, paths, request, which path matches (index) or None, or "default").
DOCS_TABLE = [
    ("Prefix", ["/"], "/anything/at/all", 0),
    ("Exact", ["/foo"], "/foo", 0),
    ("Exact", ["/foo"], "/bar", None),
    ("Exact", ["/foo"], "/foo/", None),
    ("Exact", ["/foo/"], "/foo", None),
    ("Prefix", ["/foo"], "/foo", 0),
    ("Prefix", ["/foo"], "/foo/", 0),
    ("Prefix", ["/foo/"], "/foo", 0),
    ("Prefix", ["/foo/"], "/foo/", 0),
    ("Prefix", ["/aaa/bb"], "/aaa/bbb", None),
    ("Prefix", ["/aaa/bbb"], "/aaa/bbb", 0),
    ("Prefix", ["/aaa/bbb/"], "/aaa/bbb", 0),  # ignores trailing slash
    ("Prefix", ["/aaa/bbb"], "/aaa/bbb/", 0),  # matches trailing slash
    ("Prefix", ["/aaa/bbb"], "/aaa/bbb/ccc", 0),  # matches subpath
    ("Prefix", ["/aaa/bbb"], "/aaa/bbbxyz", None),  # does not match string prefix
    ("Prefix", ["/", "/aaa"], "/aaa/ccc", 1),  # matches /aaa prefix
    ("Prefix", ["/", "/aaa", "/aaa/bbb"], "/aaa/bbb", 2),  # matches /aaa/bbb prefix
    ("Prefix", ["/", "/aaa", "/aaa/bbb"], "/ccc", 0),  # matches / prefix
    ("Prefix", ["/aaa"], "/ccc", "default"),  # uses default backend
    ("Mixed", [("/foo", "Prefix"), ("/foo", "Exact")], "/foo", 1),  # prefers Exact
]


@pytest.mark.parametrize("kind,paths,request_path,expected", DOCS_TABLE,
                         ids=[f"{k}-{'+'.join(p if isinstance(p, str) else p[0] + p[1] for p in ps)}-{r}"
                              for k, ps, r, _ in DOCS_TABLE])
def test_docs_prefix_table(kind, paths, request_path, expected):
    typed = [p if isinstance(p, tuple) else (p, kind) for p in paths]
    default = "fallback" if expected == "default" else None
    m = table(ingress(typed, default=default)).match("example.com", request_path)
    if expected is None:
        assert m.kind == "none"
    elif expected == "default":
        assert m.kind == "default-backend" and m.backend.service.name == "fallback"
    else:
        assert m.kind == "rule" and (m.rule.path, m.rule.path_type) == typed[expected]
        assert m.backend.service.name == f"b{expected}"


@pytest.mark.parametrize("rule,host,ok", [
    ("*.foo.com", "bar.foo.com", True),  # matches based on shared suffix
    ("*.foo.com", "baz.bar.foo.com", False),  # wildcard only covers a single DNS label
    ("*.foo.com", "foo.com", False),
    ("foo.bar.com", "foo.bar.com", True),
    ("foo.bar.com", "FOO.bar.com", False),  # host_matches takes normalised hosts
    ("*.foo.com", ".foo.com", False),
])
def test_docs_hostname_wildcards(rule, host, ok):
    assert host_matches(rule, host) is ok


def test_host_header_is_case_insensitive_and_port_free():
    t = table(ingress([("/", "Prefix")], host="foo.bar.com"))
    assert t.match("FOO.Bar.COM:8080", "/").kind == "rule"
    assert normalize_host("foo.bar.com.") == "foo.bar.com"


def test_exact_host_beats_wildcard():
    t = table(ingress([("/", "Prefix")], host="*.foo.com", name="wild"),
              ingress([("/", "Prefix")], host="bar.foo.com", name="exact"))
    assert t.match("bar.foo.com", "/").ingress == "default/exact"
    assert t.match("baz.foo.com", "/").ingress == "default/wild"


def test_implementation_specific_nginx_is_a_string_prefix():
    """ingress-nginx writes ``location /foo`` for ImplementationSpecific: nginx's prefix is a string prefix."""
    t = table(ingress([("/foo", "ImplementationSpecific")]))
    assert t.match("x", "/foobar").kind == "rule"
    assert "string-prefix" in t.match("x", "/foobar").why[-1]
    assert table(ingress([("/foo", "ImplementationSpecific")]), implementation_specific="prefix").match(
        "x", "/foobar").kind == "none"
    assert path_matches("ImplementationSpecific", "/foo", "/foo/bar", "prefix")


def test_prefix_beats_implementation_specific_at_equal_length_and_older_wins_ties():
    t = table(ingress([("/foo", "ImplementationSpecific"), ("/foo", "Prefix")]))
    assert t.match("x", "/foo").rule.path_type == "Prefix"
    t = table(ingress([("/foo", "Prefix")], name="old"), ingress([("/foo", "Prefix")], name="new"))
    assert t.match("x", "/foo/a").ingress == "default/old"


def test_legacy_rule_without_path_matches_everything():
    """The chapter's name-based virtual hosting rules have no path (v1beta1: ImplementationSpecific, empty)."""
    objs = load_text("""
apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: vhost}
spec:
  rules:
  - host: foo.com
    http: {paths: [{backend: {serviceName: service-1, servicePort: 80}}]}
  - host: bar.com
    http: {paths: [{backend: {serviceName: service-2, servicePort: 80}}]}
""")
    t = RouteTable(objs)
    assert t.match("foo.com", "/any").backend.service.name == "service-1"
    assert t.match("bar.com", "/").backend.service.name == "service-2"
    assert t.match("baz.com", "/").kind == "none"


def test_unmatched_path_uses_the_oldest_host_owners_default_backend_not_hostless_rules():
    """ingress-nginx: a server's root location is the defaultBackend of the first Ingress with that host."""
    t = table(ingress([("/api", "Prefix")], host="foo.com", default="foo-default", name="a"),
              ingress([("/", "Prefix")], name="hostless"),
              ingress([("/web", "Prefix")], host="foo.com", default="ignored", name="c"))
    m = t.match("foo.com", "/other")
    assert (m.kind, m.backend.service.name, m.ingress) == ("default-backend", "foo-default", "default/a")
    assert t.match("other.com", "/x").ingress == "default/hostless"  # the catch-all server's rules


def test_catch_all_default_is_the_oldest_ingress_without_rules():
    t = table(ingress([("/api", "Prefix")], host="foo.com", default="with-rules", name="a"),
              ingress([], default="no-rules", name="b"), ingress([], default="later", name="c"))
    m = t.match("unknown.com", "/")
    assert (m.kind, m.backend.service.name) == ("default-backend", "no-rules")
    m = table(ingress([("/api", "Prefix")], host="foo.com", default="with-rules")).match("unknown.com", "/")
    assert m.kind == "none"  # an Ingress with rules does not catch other hosts in ingress-nginx


@pytest.mark.parametrize("raw,norm", [("/a//b", "/a/b"), ("/a/./b/../c", "/a/c"), ("/%61aa", "/aaa"), ("", "/"),
                                      ("/x?y=/z", "/x"), ("/../..", "/"), ("/a/b/", "/a/b/"), ("/a/..", "/")])
def test_request_paths_are_normalised_as_nginx_uri(raw, norm):
    assert normalize_path(raw) == norm
