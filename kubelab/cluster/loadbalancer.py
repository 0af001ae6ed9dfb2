"""A simulated cloud load balancer: the service controller of a cloud-controller-manager.

Upstream: ``k8s.io/cloud-provider/controllers/service/controller.go`` (for every
Service of type LoadBalancer without a ``loadBalancerClass`` the cloud provider
creates a load balancer and writes its address to
``status.loadBalancer.ingress``; a Service that stops being a LoadBalancer has
its status cleared) and kind's ``cloud-provider-kind``, which hands out
addresses of the kind docker network.  Here the pool is ``172.18.255.200`` to
``172.18.255.250``; the deprecated ``spec.loadBalancerIP`` is honoured when it is
in the pool and free.  A Service with a ``loadBalancerClass`` belongs to another
implementation and stays ``<pending>``; an address written in the manifest's
status is kept.

The data path of such a load balancer (a VIP that forwards to the nodes, source
IP preserved, health checks on ``healthCheckNodePort`` for
``externalTrafficPolicy: Local``) is modelled in :mod:`kubelab.net.trace`.

Examples
--------
>>> lb = LoadBalancerPool()
>>> lb.assign("default/web", None), lb.assign("default/api", None), lb.assign("default/web", None)
('172.18.255.200', '172.18.255.201', '172.18.255.200')
"""

from __future__ import annotations

import ipaddress

__all__ = ["LoadBalancerPool", "DEFAULT_POOL"]

DEFAULT_POOL = ("172.18.255.200", "172.18.255.250")


class LoadBalancerPool:
    """Addresses the simulated cloud hands out, one per LoadBalancer Service."""

    def __init__(self, first: str = DEFAULT_POOL[0], last: str = DEFAULT_POOL[1]):
        self.first, self.last = int(ipaddress.ip_address(first)), int(ipaddress.ip_address(last))
        self.owner: dict[str, str] = {}  # ip -> "namespace/name"

    def contains(self, ip: str) -> bool:
        try:
            return self.first <= int(ipaddress.ip_address(ip)) <= self.last
        except ValueError:
            return False

    def assign(self, owner: str, wanted: str | None) -> str | None:
        """The address for ``owner``: the one it has, else ``wanted`` if free, else the first free one."""
        for ip, who in self.owner.items():
            if who == owner:
                return ip
        if wanted and self.contains(wanted) and wanted not in self.owner:
            self.owner[wanted] = owner
            return wanted
        for n in range(self.first, self.last + 1):
            ip = str(ipaddress.ip_address(n))
            if ip not in self.owner:
                self.owner[ip] = owner
                return ip
        return None  # the pool is exhausted: the Service stays <pending>

    def release(self, owner: str) -> None:
        for ip in [ip for ip, who in self.owner.items() if who == owner]:
            del self.owner[ip]

    def copy(self) -> "LoadBalancerPool":
        new = LoadBalancerPool.__new__(LoadBalancerPool)
        new.first, new.last, new.owner = self.first, self.last, dict(self.owner)
        return new
