"""Check answers about service discovery and Ingress: env vars, the resolver's walk, routes, v1 conversion.

The reference is the model, never a copy of it: :func:`kubelab.envvars.from_services`
(kubelet's variables for a Service), :func:`kubelab.dns.search_order` (glibc's
search-list expansion), :func:`kubelab.ingress.route` (the controller's decision,
whose reasons become the feedback) and, for a converted Ingress, the same
requests routed through the chapter's legacy manifest and through the learner's
v1 one: the answer is right when every request lands on the same backend, whatever
the YAML looks like.

Examples
--------
>>> check_search_order(["db.shop.svc.cluster.local.", "db.svc.cluster.local.", "db.cluster.local.", "db."],
...                    "db", ["shop.svc.cluster.local", "svc.cluster.local", "cluster.local"], 5)
>>> check_search_order(["example.com."], "example.com", ["shop.svc.cluster.local"], 5)
Traceback (most recent call last):
...
kubelab.grading.answers.WrongAnswer: For 'example.com' with ndots:5 the resolver sends 2 queries, you listed 1. 'example.com' has 1 dot(s), fewer than ndots (5): every search domain is tried first, and the name as written comes last. (Taught in notebooks/06-discovery-and-service-types.ipynb, section "DNS: every pod asks the cluster DNS first".)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .answers import WrongAnswer, teaches, unanswered

__all__ = ["service_vars", "check_service_vars", "check_search_order", "check_routes", "route_targets",
           "check_ingress_conversion"]


def _call(answer: Any, *args: Any) -> Any:
    if callable(answer):
        try:
            return answer(*args)
        except NotImplementedError:
            raise WrongAnswer("No answer yet: the function still raises NotImplementedError.") from None
    return answer


# ---------------------------------------------------------------------------------------------- env vars
def service_vars(service: Any) -> dict[str, str]:
    """The variables kubelet derives from one Service (:func:`kubelab.envvars.from_services`)."""
    from kubelab.envvars import from_services

    return dict(from_services([service]))


@teaches('06-discovery-and-service-types', 'Environment variables, written once at container start')
def check_service_vars(answer: Any, service: Any) -> None:
    """Check ``{NAME: value}`` (or ``f(service)`` returning it) against what kubelet writes for ``service``."""
    got = _call(answer, service)
    ref = f"{service.namespace or 'default'}/{service.name}"
    if unanswered(got) or not isinstance(got, Mapping):
        raise WrongAnswer(f"Expected a dict of variables such as {{'DB_SERVICE_HOST': '10.96.0.20'}} for {ref}, "
                          f"got {got!r}.")
    got = {str(k): str(v) for k, v in got.items()}
    want = service_vars(service)
    if got == want:
        return
    if not want:
        why = ("it is headless (clusterIP: None)" if service.spec.cluster_ip == "None"
               else "it is an ExternalName Service" if service.spec.type == "ExternalName" else "it has no ClusterIP")
        raise WrongAnswer(f"{ref} gives no variables at all: {why}, and kubelet only writes variables for Services "
                          f"with a ClusterIP. You gave {len(got)}.")
    problems = []
    prefix = service.name.upper().replace("-", "_")
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    if any("-" in k for k in got):
        problems.append(f"variable names cannot contain '-': kubelet upper-cases the name and turns '-' into '_' "
                        f"({prefix}_...)")
    elif any(k.startswith(service.name) for k in got) and service.name != prefix:
        problems.append(f"names are upper case: {prefix}_...")
    if missing:
        problems.append(f"missing: {', '.join(missing[:6])}{' ...' if len(missing) > 6 else ''}")
    if extra:
        problems.append(f"not written by kubelet: {', '.join(extra[:6])}{' ...' if len(extra) > 6 else ''}")
    wrong = [k for k in sorted(set(got) & set(want)) if got[k] != want[k]]
    for k in wrong[:4]:
        hint = ""
        if k == f"{prefix}_SERVICE_PORT" and len(service.spec.ports) > 1:
            hint = " (the first port of the Service)"
        elif k.endswith("_PROTO") or (k.startswith(f"{prefix}_PORT") and "://" in want[k]):
            hint = " (the protocol is written in lower case)" if got[k].lower() == want[k].lower() else \
                " (Docker-link style: proto://ip:port)"
        problems.append(f"{k} is {want[k]!r}, not {got[k]!r}{hint}")
    named = [p.name for p in service.spec.ports if p.name]
    if any(f"{prefix}_SERVICE_PORT_{n.upper().replace('-', '_')}" in missing for n in named):
        problems.append("every named port also gets X_SERVICE_PORT_<NAME>")
    if any(k.startswith(f"{prefix}_PORT_") for k in missing):
        problems.append("every port gets X_PORT_<port>_<PROTO> with _PROTO, _PORT and _ADDR")
    raise WrongAnswer(f"Variables for {ref}: " + "; ".join(problems) + ".")


# ---------------------------------------------------------------------------------------------- the resolver
def _fqdn(name: str) -> str:
    name = name.strip()
    return name if name.endswith(".") else name + "."


@teaches('06-discovery-and-service-types', 'DNS: every pod asks the cluster DNS first')
def check_search_order(answer: Any, name: str, searches: list[str], ndots: int) -> None:
    """Check the queries glibc sends for ``name`` when none is answered (or ``f(name, searches, ndots)``).

    A missing trailing dot on a query is forgiven: every query is absolute.
    """
    from kubelab.dns import search_order

    got = _call(answer, name, list(searches), ndots)
    if unanswered(got) or isinstance(got, (str, bytes, Mapping)) or not isinstance(got, Iterable):
        raise WrongAnswer(f"Expected a list of names, in the order they are sent, for {name!r}; got {got!r}.")
    got = [_fqdn(str(x)) for x in got]
    want = search_order(name, list(searches), ndots)
    if got == want:
        return
    dots = name.count(".")
    if name.endswith("."):
        why = f"{name!r} ends with a dot, so it is absolute: one query, the search list is not used."
    elif dots >= ndots:
        why = (f"{name!r} has {dots} dot(s), at least ndots ({ndots}): the name as written is tried first, "
               "then the search list.")
    else:
        why = (f"{name!r} has {dots} dot(s), fewer than ndots ({ndots}): every search domain is tried first, and "
               "the name as written comes last.")
    if len(got) != len(want):
        raise WrongAnswer(f"For {name!r} with ndots:{ndots} the resolver sends {len(want)} queries, you listed "
                          f"{len(got)}. {why}")
    first = next(i for i, (g, w) in enumerate(zip(got, want)) if g != w)
    if sorted(got) == sorted(want):
        raise WrongAnswer(f"The right queries for {name!r}, in the wrong order: query {first + 1} is {want[first]}, "
                          f"not {got[first]}. {why}")
    raise WrongAnswer(f"Query {first + 1} for {name!r} is {want[first]}, not {got[first]}. {why}")


# ---------------------------------------------------------------------------------------------- routes
def route_targets(cluster: Any, urls: Iterable[str]) -> dict[str, str]:
    """``url -> NAMESPACE/SERVICE:PORT`` or ``404``, as :func:`kubelab.ingress.route` decides (seed 0)."""
    from kubelab.ingress import IngressController

    ctl = IngressController(cluster, seed=0)
    return {u: ctl.route(u).target for u in urls}


def _reasons(decision: Any) -> str:
    """The routing reasons of a decision, without what happens after (a missing Service or endpoint: 503)."""
    return "; ".join(w for w in decision.why if "503" not in w)


def _norm_target(value: Any) -> str:
    text = str(value).strip()
    return "404" if text in ("404", "none", "None", "") else text


@teaches('07-ingress', 'How the controller picks a rule')
def check_routes(answer: Any, cluster: Any, urls: Iterable[str]) -> None:
    """Check ``{url: "ns/service:port" or "404"}`` for each of ``urls``; the model's reasons explain a miss."""
    from kubelab.ingress import IngressController

    urls = list(urls)
    if unanswered(answer) or not isinstance(answer, Mapping):
        raise WrongAnswer("Expected a dict {url: 'namespace/service:port' or '404'}, got " + repr(answer) + ".")
    missing = [u for u in urls if u not in answer]
    if missing:
        raise WrongAnswer(f"No answer for {', '.join(missing)}.")
    ctl = IngressController(cluster, seed=0)
    problems = []
    for u in urls:
        d = ctl.route(u)
        got = _norm_target(answer[u])
        if got == d.target:
            continue
        if got.split(":")[0] == d.target.split(":")[0] and d.target != "404":
            problems.append(f"{u}: right Service, but the port is {d.target.split(':')[-1]} (the Service port the "
                            f"rule names), not {got.split(':')[-1]}")
            continue
        problems.append(f"{u} goes to {d.target}, not {got}: " + _reasons(d))
    if problems:
        raise WrongAnswer(" | ".join(problems))


# ---------------------------------------------------------------------------------------------- conversion
@teaches('07-ingress', 'From v1beta1 to v1')
def check_ingress_conversion(answer: Any, legacy_yaml: str, urls: Iterable[str], *, context: str = "") -> None:
    """Check a v1 rewrite of ``legacy_yaml``: it must be ``networking.k8s.io/v1``, load, and route ``urls`` alike.

    ``context`` is more YAML (Services, pods) loaded with both versions.  The
    comparison is semantic: each URL is routed through a cluster holding the
    legacy Ingress and through one holding the answer, and the targets must agree.
    """
    import yaml

    import kubelab
    from kubelab.errors import KubelabError

    if unanswered(answer) or not isinstance(answer, str):
        raise WrongAnswer(f"Expected the v1 Ingress as YAML text (a string), got {answer!r}.")
    try:
        docs = [d for d in yaml.safe_load_all(answer) if d is not None]
    except yaml.YAMLError as exc:
        raise WrongAnswer(f"That is not valid YAML: {exc}") from None
    ingresses = [d for d in docs if isinstance(d, dict) and d.get("kind") == "Ingress"]
    if len(ingresses) != 1:
        raise WrongAnswer(f"Expected exactly one Ingress in your YAML, found {len(ingresses)}.")
    version = ingresses[0].get("apiVersion")
    if version != "networking.k8s.io/v1":
        raise WrongAnswer(f"apiVersion is {version!r}: extensions/v1beta1 and networking.k8s.io/v1beta1 are no "
                          "longer served since Kubernetes 1.22; write networking.k8s.io/v1.")
    try:
        new = kubelab.Cluster(context + "\n---\n" + answer if context else answer)
    except KubelabError as exc:
        text = str(exc)
        hint = ""
        if "serviceName" in text or "servicePort" in text:
            hint = (" In v1 a backend is service: {name: ..., port: {number: ...}} (or port: {name: ...}); "
                    "serviceName and servicePort were v1beta1 fields.")
        elif "pathType" in text:
            hint = " v1 requires a pathType on every path: Prefix, Exact or ImplementationSpecific."
        elif "backend" in text and "spec" in text:
            hint = " spec.backend was renamed spec.defaultBackend in v1."
        raise WrongAnswer(f"The API server would reject your Ingress: {text}.{hint}") from None
    old = kubelab.Cluster(context + "\n---\n" + legacy_yaml if context else legacy_yaml)
    want, got = route_targets(old, urls), route_targets(new, urls)
    diffs = []
    from kubelab.ingress import IngressController

    ctl = IngressController(new, seed=0)
    for u in want:
        if want[u] != got[u]:
            why = _reasons(ctl.route(u))
            diffs.append(f"{u}: the chapter's Ingress sends it to {want[u]}, yours to {got[u]} ({why})")
    if diffs:
        raise WrongAnswer("Not the same routing: " + " | ".join(diffs))
