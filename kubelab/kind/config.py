"""The kind cluster configuration that matches a modelled cluster.

Upstream: kind's ``Cluster`` type, ``kind.x-k8s.io/v1alpha4``
(kubernetes-sigs/kind ``pkg/apis/config/v1alpha4/types.go``): ``nodes[].role``
(``control-plane`` or ``worker``), ``networking.podSubnet``,
``networking.serviceSubnet`` (comma-separated for dual stack),
``networking.kubeProxyMode`` (``iptables``, ``ipvs``, ``nftables``; kind
v0.24+ for nftables) and ``networking.disableDefaultCNI`` (kind installs
kindnet unless told not to).

Simplifications, i.e. what kind cannot reproduce: node IPs (docker hands out
the kind network's addresses in start order), node names (``<name>-worker``,
``<name>-worker2``, ... whatever the model calls them), the per-node pod
``/24`` each node gets (the controller manager assigns them in registration
order), ClusterIPs and NodePorts the model allocated (kubelab's apply sends
them, so they are kept unless taken), pod IPs, and the ``userspace`` proxy mode
(removed from kube-proxy in 1.26).
"""

from __future__ import annotations

from typing import Any

from ..errors import KubelabError

__all__ = ["kind_config", "kind_config_dict", "install_commands", "KIND_API_VERSION",
           "KIND_PROXY_MODES",  # noqa: F822 - the module's __getattr__ derives it from the registry
           "kind_proxy_modes",
           "CALICO_VERSION", "UNREPRODUCIBLE"]

KIND_API_VERSION = "kind.x-k8s.io/v1alpha4"


def kind_proxy_modes() -> tuple[str, ...]:
    """The modes a kind cluster can run: the registered ones today's kube-proxy still has (kind's
    v1alpha4 ``ProxyMode`` takes iptables, ipvs and nftables; userspace was removed in v1.26)."""
    from ..proxy import running_modes
    return running_modes()


def __getattr__(name: str):  # KIND_PROXY_MODES: derived from the registry (kubelab.proxy.running_modes)
    if name == "KIND_PROXY_MODES":
        return kind_proxy_modes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
#: The Calico release the install commands name (its manifests live at this tag).
CALICO_VERSION = "v3.28.2"
#: CNI plugins kind does not install itself: the default CNI (kindnet) is disabled and the plugin installed after.
_EXTERNAL_CNI = ("calico", "canal", "cilium", "flannel", "weave", "kube-router")
#: What a kind cluster made from the config will not mirror, one line each.
UNREPRODUCIBLE = (
    "node IPs: docker assigns the kind network's addresses in start order",
    "node names: kind names them <cluster>-control-plane, <cluster>-worker, <cluster>-worker2, ...",
    "each node's pod /24: the controller manager assigns them in registration order",
    "pod IPs: the CNI plugin allocates them when the pods start",
    "ClusterIPs and NodePorts: `kubelab kind apply` sends the model's, refused if already taken",
)


def _roles(cluster: Any) -> list[str]:
    from ..cluster.system import CONTROL_PLANE_LABEL

    roles = []
    for node in cluster.nodes():
        cp = CONTROL_PLANE_LABEL in node.metadata.labels or "control-plane" in (node.name or "")
        roles.append("control-plane" if cp else "worker")
    if "control-plane" not in roles:
        roles.insert(0, "control-plane")  # kind needs one; the model's nodes are all workers
    return roles


def _proxy_mode(cluster: Any) -> str:
    mode = cluster.kube_proxy_config.effective_mode
    if mode not in kind_proxy_modes():
        raise KubelabError(f'kube-proxy mode "{mode}" cannot run in kind (supported: {", ".join(kind_proxy_modes())}; '
                           "userspace was removed from kube-proxy in Kubernetes 1.26)")
    return mode


def kind_config_dict(cluster: Any, name: str = "kubelab") -> dict[str, Any]:
    """The kind ``Cluster`` configuration as a dict (see :func:`kind_config`)."""
    networking: dict[str, Any] = {"podSubnet": cluster.settings.pod_cidr,
                                  "serviceSubnet": ",".join(cluster.settings.service_cidrs[:2]),
                                  "kubeProxyMode": _proxy_mode(cluster)}
    if cluster.settings.cni in _EXTERNAL_CNI:
        networking["disableDefaultCNI"] = True
    return {"kind": "Cluster", "apiVersion": KIND_API_VERSION, "name": name,
            "networking": networking, "nodes": [{"role": r} for r in _roles(cluster)]}


def install_commands(cluster: Any, name: str = "kubelab") -> list[str]:
    """The shell commands that create the kind cluster and install the model's CNI plugin after it."""
    cmds = [f"kind create cluster --config <(kubelab kind config -f MANIFESTS) --name {name}"]
    if cluster.settings.cni in ("calico", "canal"):
        base = f"https://raw.githubusercontent.com/projectcalico/calico/{CALICO_VERSION}/manifests"
        cmds += [f"kubectl --context kind-{name} create -f {base}/tigera-operator.yaml",
                 f"curl -sSL {base}/custom-resources.yaml | sed 's#192.168.0.0/16#{cluster.settings.pod_cidr}#' "
                 f"| kubectl --context kind-{name} create -f -",
                 f"kubectl --context kind-{name} -n calico-system wait --for=condition=Ready pods --all --timeout=300s"]
    elif cluster.settings.cni in _EXTERNAL_CNI:
        cmds.append(f"# install {cluster.settings.cni} following its kind instructions "
                    f"(pod CIDR {cluster.settings.pod_cidr})")
    return cmds


def kind_config(cluster: Any, name: str = "kubelab") -> str:
    """The kind cluster configuration YAML for ``cluster``, with comments on what kind cannot mirror.

    Raises :class:`~kubelab.errors.KubelabError` (one line) for a proxy mode kind cannot run.

    Examples
    --------
    >>> from kubelab import Cluster
    >>> import yaml
    >>> cfg = yaml.safe_load(kind_config(Cluster(cni="kindnet")))
    >>> cfg["networking"]["podSubnet"], [n["role"] for n in cfg["nodes"]]
    ('10.244.0.0/16', ['control-plane', 'worker', 'worker'])
    """
    from ..api.yamltojson import dump

    body = dump(kind_config_dict(cluster, name), sort_keys=False, default_flow_style=False)
    lines = ["# kind cluster for a kubelab model; create it with:"]
    lines += [f"#   {c}" for c in install_commands(cluster, name)]
    lines.append("# kind cannot reproduce:")
    lines += [f"#   - {u}" for u in UNREPRODUCIBLE]
    return "\n".join(lines) + "\n" + body
