"""Check answers about the Gateway API: where requests go, which routes attach, and a ReferenceGrant.

The reference is the model, never a copy of it: :class:`kubelab.gateway.GatewayRouter`
(the decision and its reasons, which become the feedback), the status the model's
controller writes (:mod:`kubelab.gateway.status`), and for a ReferenceGrant the request
routed through a cluster that holds the learner's grant.  Feedback names what is wrong
and where notebook 07 teaches it ("Gateway API" part), without printing the whole answer.

Examples
--------
>>> from kubelab import Cluster
>>> from kubelab.examples import manifest
>>> c = Cluster(manifest("gateway-shop"))
>>> check_gateway_routes({"http://shop.example.com/cart": "shop/cart:8080"}, c, "infra/shared",
...                      ["http://shop.example.com/cart"])
>>> check_gateway_routes({"http://blog.example.com/": "blog/blog:80"}, c, "infra/shared",
...                      ["http://blog.example.com/"])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
kubelab.grading.answers.WrongAnswer: http://blog.example.com/ is not blog/blog:80: no HTTPRoute attached to that listener serves this host ...
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .answers import WrongAnswer, teaches, unanswered

__all__ = ["gateway_targets", "check_gateway_routes", "route_acceptance", "check_route_acceptance",
           "check_reference_grant"]

#: Where the course teaches it (named in the feedback).


def _request(key: str) -> tuple[str, str, dict[str, str]]:
    """``"GET http://h/p x-env=beta"`` or ``"http://h/p"`` -> (method, url, headers)."""
    words = key.split()
    method = words.pop(0).upper() if words and "://" not in words[0] else "GET"
    url = words.pop(0) if words else ""
    headers = dict(w.split("=", 1) for w in words if "=" in w)
    return method, url, headers


def gateway_targets(cluster: Any, gateway: str, requests: Iterable[str]) -> dict[str, str]:
    """``request -> first line of kubelab route --gateway`` (seed 0) for each request string."""
    from kubelab.gateway import GatewayRouter

    router = GatewayRouter(cluster, gateway, seed=0)
    out = {}
    for r in requests:
        method, url, headers = _request(r)
        out[r] = router.route(url, method, headers).line
    return out


def _norm(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if text not in ("", "None", "none") else "404"


@teaches('07-ingress', 'Which rule answers')
def check_gateway_routes(answer: Any, cluster: Any, gateway: str, requests: Iterable[str]) -> None:
    """Check ``{request: "ns/svc:port" | "404" | "500" | "302 LOCATION"}``; the model's reasons explain a miss.

    A request is ``"http://host/path"``, optionally with a method first and
    ``name=value`` headers after (``"POST http://h/p x-env=beta"``).
    """
    from kubelab.gateway import GatewayRouter

    requests = list(requests)
    if unanswered(answer) or not isinstance(answer, Mapping):
        raise WrongAnswer("Expected a dict {request: 'namespace/service:port', '404', '500' or '302 https://...'}, "
                          f"got {type(answer).__name__}.")
    missing = [r for r in requests if r not in answer]
    if missing:
        raise WrongAnswer(f"No answer for {', '.join(missing)}.")
    router = GatewayRouter(cluster, gateway, seed=0)
    problems = []
    for r in requests:
        method, url, headers = _request(r)
        d = router.route(url, method, headers)
        got = _norm(answer[r])
        if got == d.line:
            continue
        if d.target and got.split(":")[0] == d.target.split(":")[0]:
            problems.append(f"{r}: right Service, but the port is the backendRef's port, "
                            f"{d.target.split(':')[-1]}")
            continue
        problems.append(f"{r} is not {got}: " + _why_not(router, d, method, url, headers, got))
    if problems:
        raise WrongAnswer(" | ".join(problems) + ".")


def _why_not(router: Any, d: Any, method: str, url: str, headers: dict[str, str], got: str) -> str:
    """Why the learner's target is not the answer: the rule they probably had in mind, and what it misses."""
    from kubelab.gateway.matching import match_request
    from kubelab.gateway.router import _describe, parse_request

    req = parse_request(url, method, headers)
    entries = router._candidates(d.listener, req.host) if d.listener else []
    for key, rt, i, j, m, hosts in entries:
        refs = rt.spec["rules"][i].get("backendRefs", ())
        targets = {f"{b.get('namespace') or rt.namespace}/{b['name']}:{b.get('port')}" for b in refs}
        if got not in targets:
            continue
        rule = f"{rt.namespace}/{rt.name} rules[{i}] {_describe(m)}"
        if (rt.namespace + "/" + rt.name, i) == (d.route, d.rule):
            break
        if match_request(m, req):
            return f"{rule} matches too, but a more specific rule wins (Exact, then the longest prefix, then " \
                   "method, headers, query parameters)"
        path = (m.get("path") or {}).get("type")
        hint = {"Exact": "an Exact path is compared whole, a trailing slash included",
                "PathPrefix": "a PathPrefix matches whole path elements"}.get(path, "")
        if m.get("headers") or m.get("queryParams") or m.get("method"):
            hint = "every condition of a match must hold: path, method, headers and query parameters"
        return f"{rule} does not match this request" + (f" ({hint})" if hint else "")
    if d.status == 500:
        reason = d.why[-1].removesuffix(": 500").removeprefix("backend ")
        return f"a rule matches, so it is not a 404, but its backend cannot be used ({reason})"
    if d.status == 404 and d.listener and not entries:
        return "no HTTPRoute attached to that listener serves this host (is the route allowed to attach?)"
    if d.status == 404:
        return "; ".join(d.why)
    if d.location:
        return "a RequestRedirect answers it: scheme, host, port and path of Location follow the filter " \
               "(and the default port of the scheme is not written)"
    return "it is not what the matching rule sends to"


def route_acceptance(cluster: Any) -> dict[str, str]:
    """``namespace/name -> "Accepted"`` or the reason of ``Accepted=False`` / ``ResolvedRefs=False``."""
    from kubelab.gateway import state_of

    state = state_of(cluster)
    out = {}
    for rt in cluster.list("HTTPRoute"):
        conds = [c for p in state.status(rt)["parents"] for c in p["conditions"]]
        bad = next((c["reason"] for c in conds if c["type"] == "Accepted" and c["status"] == "False"), None) or \
            next((c["reason"] for c in conds if c["type"] == "ResolvedRefs" and c["status"] == "False"), None)
        out[f"{rt.namespace}/{rt.name}"] = bad or ("Accepted" if conds else "no status")
    return out


_MEANING = {
    "Accepted": "attached and every backend resolved",
    "NotAllowedByListeners": "no listener's allowedRoutes admits the route's namespace or kind",
    "NoMatchingListenerHostname": "none of its hostnames intersects a listener's hostname",
    "NoMatchingParent": "its parentRef names a sectionName or port the Gateway does not have",
    "RefNotPermitted": "a backendRef points into another namespace that has no ReferenceGrant for it",
    "BackendNotFound": "a backendRef names a Service (or port) that does not exist",
    "InvalidKind": "a backendRef is not a Service",
}


@teaches('07-ingress', 'What the split means for security')
def check_route_acceptance(answer: Any, cluster: Any) -> None:
    """Check ``{ "ns/route": "Accepted" or the reason }`` for every HTTPRoute of ``cluster``."""
    want = route_acceptance(cluster)
    if unanswered(answer) or not isinstance(answer, Mapping):
        raise WrongAnswer("Expected a dict {'namespace/route': 'Accepted' or a reason such as "
                          f"'NotAllowedByListeners'}}, got {type(answer).__name__}.")
    missing = [k for k in want if k not in answer]
    if missing:
        raise WrongAnswer(f"No answer for {', '.join(missing)}.")
    problems = []
    for k, reason in want.items():
        got = "".join(str(answer[k]).split())
        if got.lower() != reason.lower():
            problems.append(f"{k} is not {got or 'blank'}: the model's controller says {reason} "
                            f"({_MEANING.get(reason, reason)})")
    if problems:
        raise WrongAnswer(" | ".join(problems) + ".")


@teaches('07-ingress', 'What the split means for security')
def check_reference_grant(answer: Any, cluster: Any, gateway: str, request: str, backend: str) -> None:
    """Check a ReferenceGrant (YAML text) that lets ``request`` reach ``backend`` (``ns/svc:port``) and no more.

    It must load, be in the backend's namespace, make the request land on ``backend``
    (not 500), and name the Service in ``to`` (a grant without a name opens every Service
    of the namespace to the route's namespace).
    """
    import copy

    import yaml

    from kubelab.api import load
    from kubelab.errors import KubelabError
    from kubelab.gateway import GatewayRouter

    if unanswered(answer) or not isinstance(answer, str):
        raise WrongAnswer("Expected the ReferenceGrant as YAML text (a string).")
    try:
        docs = [d for d in yaml.safe_load_all(answer) if d is not None]
    except yaml.YAMLError:
        raise WrongAnswer("That is not valid YAML (check the indentation).") from None
    grants = [d for d in docs if isinstance(d, dict) and d.get("kind") == "ReferenceGrant"]
    if len(grants) != 1 or len(docs) != 1:
        raise WrongAnswer(f"Expected exactly one ReferenceGrant and nothing else, found {len(grants)} among "
                          f"{len(docs)} object(s).")
    try:
        grant = load(grants[0])[0]
    except KubelabError as exc:
        raise WrongAnswer(f"The API server would reject your ReferenceGrant: {exc}") from None
    ns, _, rest = backend.partition("/")
    svc = rest.split(":")[0]
    if grant.namespace != ns:
        raise WrongAnswer(f"A ReferenceGrant lives in the namespace of the object referred to ({ns}), not in "
                          f"{grant.namespace}.")
    c = copy.deepcopy(cluster)  # the learner's cluster stays as it was
    try:
        c.apply(grant)
    except KubelabError as exc:
        raise WrongAnswer(f"Your ReferenceGrant does not fit the cluster: {exc}") from None
    method, url, headers = _request(request)
    d = GatewayRouter(c, gateway, seed=0).route(url, method, headers)
    if d.line != backend:
        raise WrongAnswer(f"With your grant, {request} answers {d.line}, not {backend}: {d.why[-1]} (check "
                          f"from: group, kind and namespace of the route; to: group '' and kind Service).")
    if not all(t.get("name") for t in grant.spec.get("to", ())):
        raise WrongAnswer(f"It works, but a 'to' entry without a name lets the route's namespace use every Service "
                          f"of {ns}: name the Service ({svc}) to grant no more than needed.")
