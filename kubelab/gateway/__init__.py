"""kubelab.gateway: the Gateway API (v1.4.0, standard channel) as one implementation serves it.

:mod:`~kubelab.gateway.status` (listeners, attachment, the status a controller writes),
:mod:`~kubelab.gateway.matching` (hostnames, matches, precedence),
:mod:`~kubelab.gateway.filters` (redirects, rewrites, header modifiers, mirrors),
:mod:`~kubelab.gateway.router` (one request through one Gateway) and
:mod:`~kubelab.gateway.convert` (Ingress to Gateway + HTTPRoute).  The API kinds
themselves are in :mod:`kubelab.api.gateway`; the route explorer widget in
:mod:`kubelab.viz.gateway`.
"""

from .router import GatewayDecision, GatewayRouter, parse_request, route
from .status import GatewayAPIState, state_of

__all__ = ["GatewayRouter", "GatewayDecision", "GatewayAPIState", "route", "parse_request", "state_of"]
