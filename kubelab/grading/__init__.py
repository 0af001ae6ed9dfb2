"""kubelab.grading: checks for the course's auto-graded questions, with feedback that explains.

Each ``check_*`` function compares a learner's answer with the kubelab model
and returns ``None`` when it is right; otherwise it raises
:class:`WrongAnswer`, an :class:`AssertionError` (so nbgrader counts the test
cell as failed) whose message says what was wrong and why, in the model's
words.  Answers are read tolerantly: case, spacing, sets versus lists, and the
long names (``network`` for ``net``, ``volumes`` for ``volume``) do not matter.

One module per topic: :mod:`.answers` (reading answers), :mod:`.chapter` (the chapter's own
examples, checked), :mod:`.network`
(one IP per pod), :mod:`.namespaces` (shared namespaces, the pause
container), :mod:`.channels` (network, IPC, volume, signal between two
containers), :mod:`.ports` (port conflicts), :mod:`.proxy` (kube-proxy:
probabilities, chain names, reading ``iptables-save``, dead pods per mode),
:mod:`.nftables` (the nftables mode's chain names, how a packet's cost grows) and
:mod:`.discovery` (service env vars, the resolver's search walk, Ingress routes,
a legacy Ingress rewritten as v1), :mod:`.gateway` (Gateway API: where requests go, which
HTTPRoutes are accepted, a ReferenceGrant that opens no more than needed) and :mod:`.cni` (a CNI configuration that loads,
host-local's addresses, a plugin chosen from the feature matrix, NetworkPolicy and
Calico Deny graded by the reachability they produce).  Importing this package does
not import the model; each check loads :mod:`kubelab.linuxns` when first called.

Examples
--------
>>> from kubelab.api import Pod
>>> from kubelab.grading import check_shared_namespaces
>>> pod = Pod.from_dict({"metadata": {"name": "web"}, "spec": {"containers": [{"name": "app"}]}})
>>> check_shared_namespaces({"NET", "ipc", "UTS"}, pod)
"""

from .answers import WrongAnswer, channel_kinds, namespace_kinds
from .channels import available_channels, check_channels
from .cni import (check_calico_override, check_cni_config, check_host_local, check_network_policy,
                  check_plugin_choice, chosen_plugins, host_local_addresses)
from .gateway import check_gateway_routes, check_reference_grant, check_route_acceptance
from .discovery import (check_ingress_conversion, check_routes, check_search_order, check_service_vars,
                        route_targets, service_vars)
from .namespaces import (check_pause_namespaces, check_shared_namespaces, pause_namespace_kinds,
                         shared_namespace_kinds)
from .network import check_container_ips, check_ip_per
from .nftables import check_nft_service_chain, check_rules_growth, growth_of, nft_service_chain_name
from .ports import check_port_conflicts, conflict_pairs
from .proxy import (check_backend, check_dead_pod_outcomes, check_probability_ladder, check_service_chain,
                    dead_pod_outcomes, dnat_targets, probability_ladder, service_chain_name)
from .questions import check_exposure_counts, check_service_types, load_balancer_counts

__all__ = [
    "check_gateway_routes", "check_route_acceptance", "check_reference_grant",
    "WrongAnswer", "namespace_kinds", "channel_kinds",
    "check_ip_per", "check_container_ips",
    "check_shared_namespaces", "check_pause_namespaces", "shared_namespace_kinds", "pause_namespace_kinds",
    "check_channels", "available_channels",
    "check_port_conflicts", "conflict_pairs",
    "check_probability_ladder", "probability_ladder", "check_service_chain", "service_chain_name",
    "check_backend", "dnat_targets", "check_dead_pod_outcomes", "dead_pod_outcomes",
    "check_nft_service_chain", "nft_service_chain_name", "check_rules_growth", "growth_of",
    "check_service_vars", "service_vars", "check_search_order", "check_routes", "route_targets",
    "check_ingress_conversion",
    "check_cni_config", "check_host_local", "host_local_addresses", "check_plugin_choice", "chosen_plugins",
    "check_network_policy", "check_calico_override",
    "check_service_types", "check_exposure_counts", "load_balancer_counts",
]
