"""The service environment variables kubelet puts into every container.

Upstream: kubernetes/kubernetes ``pkg/kubelet/envvars/envvars.go``
(``FromServices``, ``makeEnvVariableName``, ``makeLinkVariables``; the IPv6
case of ``envvars_test.go`` at 729007a8), ``pkg/kubelet/kubelet_pods.go``
(``getServiceEnvVarMap``, ``makeEnvironmentVariables``) and
``third_party/forked/golang/expansion/expand.go`` (``$(VAR)`` expansion).

What kubelet does, and this module with it:

* Which Services: those with a ClusterIP (not ``None``, not empty -- so neither
  headless nor ExternalName ones) in the pod's namespace when
  ``enableServiceLinks`` is true (the default), plus the master Service
  ``default/kubernetes`` *always*, in every namespace and even with
  ``enableServiceLinks: false``.  A Service called ``kubernetes`` in the
  pod's own namespace replaces the master one (only when service links are
  enabled).
* When: kubelet lists Services from its informer when it starts the
  container, so a Service created after the pod is not in its environment
  (restart the pod to see it).  kubelab uses the cluster's creation order:
  Services created before the pod count.  That is the safe reading of a race:
  a Service applied in the same ``kubectl apply`` just after the pod usually
  exists by the time the image is pulled and the container starts.
* Names: ``upper(name)`` with ``-`` -> ``_``; per Service ``X_SERVICE_HOST``,
  ``X_SERVICE_PORT`` (the first port), ``X_SERVICE_PORT_<PORTNAME>`` per named
  port, and the Docker-link variables ``X_PORT`` (``proto://ip:port`` of the
  first port) and, per port, ``X_PORT_<port>_<PROTO>`` with ``_PROTO``,
  ``_PORT`` and ``_ADDR``.  An IPv6 ClusterIP is bracketed only inside the
  URLs (Go's ``net.JoinHostPort``).
* Precedence: a variable the container declares wins over a service variable
  of the same name; declared values may use ``$(VAR)``, which sees the
  variables declared *earlier* in the list and every service variable; ``$$``
  escapes a ``$``; an unknown ``$(X)`` stays as it is.

Expansion is done once, in order, as kubelet does it -- never recursively: a
value that *contains* ``$(X)`` after expansion keeps it.  But each variable may
reference the expanded values declared before it, so ten variables can double
(or grow tenfold) ten times over.  Kubelet does not stop that; the container
does not start: Linux's ``execve`` refuses an environment string longer than
``MAX_ARG_STRLEN`` (32 pages, 131,072 bytes) with ``E2BIG`` ("argument list too
long").  :func:`container_env` stops at that length, with that explanation,
instead of building the gigabytes.

Simplifications: ``envFrom`` and ``valueFrom`` sources other than the
downward API's ``fieldRef`` (ConfigMaps, Secrets, resource limits) are not in
the model -- such variables are left out (kubelet would read them from the
API server).  Kubelet builds the service map from a Go map, so its order is
random; kubelab lists the master Service first, then the others in creation
order.

Examples
--------
>>> from kubelab import Cluster
>>> c = Cluster('''
... apiVersion: v1
... kind: Service
... metadata: {name: redis-primary}
... spec: {clusterIP: 10.96.0.11, ports: [{name: redis, port: 6379}]}
... ---
... apiVersion: v1
... kind: Pod
... metadata: {name: app}
... spec:
...   containers:
...   - name: app
...     image: busybox
...     env: [{name: REDIS_URL, value: "redis://$(REDIS_PRIMARY_SERVICE_HOST):$(REDIS_PRIMARY_SERVICE_PORT)"}]
... ''')
>>> env = service_env(c, c.pod("app"))
>>> env["REDIS_PRIMARY_PORT_6379_TCP"], env["KUBERNETES_SERVICE_HOST"]
('tcp://10.96.0.11:6379', '10.96.0.1')
>>> container_env(c, c.pod("app"), "app")["REDIS_URL"]
'redis://10.96.0.11:6379'
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

__all__ = ["env_var_name", "from_services", "services_for_pod", "service_env", "container_env", "expand",
           "mapping_for", "find_container", "MASTER_SERVICE_NAMESPACE", "MASTER_SERVICES", "MAX_ARG_STRLEN",
           "ValueTooLong"]

#: kubelet's ``--master-service-namespace`` default (deprecated flag, fixed value).
MASTER_SERVICE_NAMESPACE = "default"
#: ``masterServices`` in kubelet_pods.go.
MASTER_SERVICES = frozenset({"kubernetes"})
#: Linux's ``MAX_ARG_STRLEN`` (``include/uapi/linux/binfmts.h``): the longest ``NAME=value`` ``execve`` accepts.
MAX_ARG_STRLEN = 32 * 4096


class ValueTooLong(Exception):
    """Internal: an expansion grew past its limit."""


def env_var_name(name: str) -> str:
    """``makeEnvVariableName``: upper case, ``-`` -> ``_``.

    >>> env_var_name("foo-bar"), env_var_name("t-c-p")
    ('FOO_BAR', 'T_C_P')
    """
    return name.replace("-", "_").upper()


def _is_service_ip_set(svc: Any) -> bool:
    """``IsServiceIPSet``: a ClusterIP that is neither empty nor ``None`` (ExternalName Services have none)."""
    ip = svc.spec.cluster_ip
    return bool(ip) and ip != "None"


def _join_host_port(host: str, port: int) -> str:
    """Go's ``net.JoinHostPort``: brackets around a host that contains a colon."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def from_services(services: Iterable[Any]) -> list[tuple[str, str]]:
    """``envvars.FromServices``: the (name, value) pairs for ``services``, in kubelet's order.

    >>> from kubelab.api import Service
    >>> svc = Service.from_dict({"metadata": {"name": "super-ipv6"}, "spec": {"clusterIP": "2001:DB8::",
    ...     "ports": [{"name": "u-d-p", "port": 8084, "protocol": "UDP"}]}})
    >>> dict(from_services([svc]))["SUPER_IPV6_PORT"]
    'udp://[2001:DB8::]:8084'
    """
    out: list[tuple[str, str]] = []
    for svc in services:
        if not _is_service_ip_set(svc) or not svc.spec.ports:
            continue
        ip = svc.spec.cluster_ip
        prefix = env_var_name(svc.name)
        out.append((f"{prefix}_SERVICE_HOST", ip))
        out.append((f"{prefix}_SERVICE_PORT", str(svc.spec.ports[0].port)))
        for p in svc.spec.ports:
            if p.name:
                out.append((f"{prefix}_SERVICE_PORT_{env_var_name(p.name)}", str(p.port)))
        for i, p in enumerate(svc.spec.ports):
            proto = p.protocol or "TCP"
            url = f"{proto.lower()}://{_join_host_port(ip, p.port)}"
            if i == 0:  # Docker special-cases the first port
                out.append((f"{prefix}_PORT", url))
            port_prefix = f"{prefix}_PORT_{p.port}_{proto.upper()}"
            out.extend([(port_prefix, url), (f"{port_prefix}_PROTO", proto.lower()),
                        (f"{port_prefix}_PORT", str(p.port)), (f"{port_prefix}_ADDR", ip)])
    return out


def _created_before(cluster: Any, svc: Any, pod: Any) -> bool:
    """Kubelet reads the Services when a container starts (see ``Cluster.existed_at_start``)."""
    return cluster.existed_at_start(svc, pod)


def services_for_pod(cluster: Any, pod: Any) -> list[Any]:
    """The Services whose variables kubelet gives ``pod`` (``getServiceEnvVarMap``), master Service first."""
    links = pod.spec.enable_service_links is not False  # defaulted to true by the API server
    ns = pod.namespace
    chosen: dict[str, Any] = {}
    for svc in cluster.services():
        if not _is_service_ip_set(svc) or not _created_before(cluster, svc, pod):
            continue
        if svc.namespace == MASTER_SERVICE_NAMESPACE and svc.name in MASTER_SERVICES:
            chosen.setdefault(svc.name, svc)  # never replaces a same-namespace one already seen
        elif svc.namespace == ns and links:
            chosen[svc.name] = svc
    return sorted(chosen.values(), key=lambda s: (s.name not in MASTER_SERVICES, cluster.creation_index(s)))


def service_env(cluster: Any, pod: Any, container: Any = None) -> dict[str, str]:
    """The service variables of ``pod`` (the same for every container; ``container`` is accepted for symmetry)."""
    return dict(from_services(services_for_pod(cluster, pod)))


# ---------------------------------------------------------------- $(VAR) expansion
def mapping_for(*contexts: Mapping[str, str]) -> Callable[[str], str]:
    """``expansion.MappingFuncFor``: the first context that has the name wins; unknown names stay ``$(NAME)``."""
    def mapping(name: str) -> str:
        for ctx in contexts:
            if name in ctx:
                return ctx[name]
        return f"$({name})"
    return mapping


def _read_variable_name(s: str) -> tuple[str, bool, int]:
    """``tryReadVariableName`` on the text after a ``$``: (text read, is a variable, characters consumed)."""
    first = s[0]
    if first == "$":
        return "$", False, 1
    if first == "(":
        close = s.find(")", 1)
        if close >= 0:
            return s[1:close], True, close + 1
        return "$(", False, 1
    return "$" + first, False, 1


def expand(value: str, mapping: Callable[[str], str] | Mapping[str, str], limit: int | None = None) -> str:
    """``expansion.Expand``: replace ``$(VAR)`` references; ``$$`` is a literal ``$``.

    With ``limit``, raise :class:`ValueTooLong` as soon as the result would
    be longer than ``limit`` characters (before building it).

    >>> expand("$(A)-$$(A)-$(B)-$A", {"A": "x"})
    'x-$(A)-$(B)-$A'
    >>> expand("$(A)$(A)$(A)", {"A": "xxxx"}, limit=10)
    Traceback (most recent call last):
    ...
    kubelab.envvars.ValueTooLong: 12
    """
    if not callable(mapping):
        mapping = mapping_for(mapping)
    out: list[str] = []
    size = 0
    checkpoint = 0
    cursor = 0
    n = len(value)
    while cursor < n:
        if value[cursor] == "$" and cursor + 1 < n:
            out.append(value[checkpoint:cursor])
            read, is_var, advance = _read_variable_name(value[cursor + 1:])
            piece = mapping(read) if is_var else read
            out.append(piece)
            if limit is not None:
                size += cursor - checkpoint + len(piece)
                if size > limit:
                    raise ValueTooLong(size)
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    if limit is not None and size + n - checkpoint > limit:
        raise ValueTooLong(size + n - checkpoint)
    out.append(value[checkpoint:])
    return "".join(out)


# ---------------------------------------------------------------- the container's environment
def find_container(pod: Any, container: Any) -> Any:
    """``container`` of ``pod`` by name (or as given); ``None`` is the first app container."""
    containers = pod.spec.all_containers()
    if container is None:
        if not pod.spec.containers:
            from .errors import KubelabError
            raise KubelabError(f"{pod.ref}: the pod has no containers")
        return pod.spec.containers[0]
    if isinstance(container, str):
        for c in containers:
            if c.name == container:
                return c
        from .errors import NotFoundError
        names = ", ".join(c.name for c in containers)
        raise NotFoundError(f'container "{container}" not found in pod {pod.namespace}/{pod.name} '
                            f"(containers: {names})")
    return container


def _field_ref(pod: Any, cluster: Any, path: str) -> str | None:
    """The downward API fields kubelet resolves itself (``podFieldSelectorRuntimeValue``) and common metadata."""
    st = pod.status
    values = {
        "metadata.name": pod.name, "metadata.namespace": pod.namespace,
        "metadata.uid": pod.metadata.extra.get("uid", ""),
        "spec.nodeName": pod.spec.node_name or "",
        "spec.serviceAccountName": pod.spec.extra.get("serviceAccountName", "default"),
        "status.hostIP": st.host_ip or "", "status.podIP": st.pod_ip or "",
        "status.podIPs": ",".join(p.ip for p in st.pod_ips if p.ip),
        "status.hostIPs": st.host_ip or "",
    }
    if path in values:
        return values[path]
    for prefix, source in (("metadata.labels['", pod.metadata.labels),
                           ("metadata.annotations['", pod.metadata.annotations)):
        if path.startswith(prefix) and path.endswith("']"):
            return source.get(path[len(prefix):-2], "")
    return None


def container_env(cluster: Any, pod: Any, container: Any = None) -> dict[str, str]:
    """The environment kubelet gives ``container`` (a name, a Container, or ``None`` for the first one).

    Declared variables come first, in their order, with ``$(VAR)`` expanded
    (``makeEnvironmentVariables``: step 1a sees the variables declared so far,
    then the service variables); then the service variables no declared one
    overrode.  Note the detail kept from kubelet: a declared variable that
    references its own name, e.g. ``FOO_SERVICE_HOST=$(FOO_SERVICE_HOST)x``,
    still sees the service value, because the service variable is dropped only
    after the declared value is expanded.
    """
    c = find_container(pod, container)
    service = service_env(cluster, pod)
    declared: dict[str, str] = {}
    mapping = mapping_for(declared, service)
    for var in c.env:
        if var.value:
            try:
                value: str | None = expand(var.value, mapping, MAX_ARG_STRLEN - len(var.name) - 1)
            except ValueTooLong:
                from .errors import KubelabError
                raise KubelabError(f'container "{c.name}": env {var.name}: the expanded value is longer than '
                                   f"{MAX_ARG_STRLEN} bytes with its name (Linux's MAX_ARG_STRLEN): the container "
                                   "would not start (execve: argument list too long)", source=pod.source,
                                   obj=pod.ref) from None
        elif var.extra.get("valueFrom"):
            ref = (var.extra["valueFrom"] or {}).get("fieldRef") or {}
            value = _field_ref(pod, cluster, ref.get("fieldPath", "")) if ref else None
            if value is None:
                continue  # ConfigMap/Secret/resource sources are not modelled
        else:
            value = ""
        service.pop(var.name, None)
        declared[var.name] = value
    return {**declared, **service}
