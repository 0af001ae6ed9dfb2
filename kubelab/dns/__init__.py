"""Cluster DNS: CoreDNS's answers, a pod's resolv.conf, and the queries its resolver sends.

* :mod:`kubelab.dns.records` -- :class:`ClusterDNS`, the ``kubernetes`` plugin
  of CoreDNS under kubeadm's Corefile (Kubernetes DNS specification 1.1.0), and
  the modelled upstream resolver.
* :mod:`kubelab.dns.resolvconf` -- :func:`pod_resolv_conf`, kubelet's
  ``/etc/resolv.conf`` for each ``dnsPolicy``.
* :mod:`kubelab.dns.resolver` -- :func:`lookup`, glibc's search-list expansion
  with ``ndots``: every query, in order, and each answer.

Examples
--------
>>> from kubelab import Cluster
>>> c = Cluster('''
... apiVersion: v1
... kind: Pod
... metadata: {name: client}
... spec: {containers: [{name: c, image: busybox}]}
... ''')
>>> result = lookup(c, c.pod("client"), "example.com")
>>> [(q.name, q.status) for q in result.queries]  # doctest: +NORMALIZE_WHITESPACE
[('example.com.default.svc.cluster.local.', 'NXDOMAIN'), ('example.com.svc.cluster.local.', 'NXDOMAIN'),
 ('example.com.cluster.local.', 'NXDOMAIN'), ('example.com.', 'NXDOMAIN')]
>>> lookup(c, c.pod("client"), "kubernetes.default").lines()
['kubernetes.default.svc.cluster.local. 30 IN A 10.96.0.1']
"""

from __future__ import annotations

from .records import (QTYPES, SCHEMA_VERSION, TTL, Answer, ClusterDNS, Record, dns_for, endpoint_hostname, query,
                      reverse_name)
from .resolvconf import NODE_RESOLV_CONF, ResolvConf, parse_resolv_conf, pod_dns_type, pod_resolv_conf
from .resolver import Lookup, Query, lookup, resolve, search_order

__all__ = ["ClusterDNS", "Answer", "Record", "query", "dns_for", "QTYPES", "SCHEMA_VERSION", "TTL",
           "endpoint_hostname", "reverse_name", "ResolvConf", "pod_resolv_conf", "pod_dns_type", "parse_resolv_conf",
           "NODE_RESOLV_CONF", "lookup", "Lookup", "Query", "resolve", "search_order"]
