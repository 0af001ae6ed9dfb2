"""Check answers about CNI, IPAM, choosing a plugin and network policy.

The reference is always the model: :func:`kubelab.cni.load_conflist` (libcni's
rules) for a configuration, :func:`kubelab.cni.ipam.host_local.allocate` and
``release`` for the addresses host-local hands out, :func:`kubelab.cni.plugins.matrix.choose`
for a plugin choice, and :func:`kubelab.policy.reachability` /
:func:`kubelab.policy.evaluate` for policies: a policy is graded by the matrix it
produces, never by its text.

Examples
--------
>>> check_host_local(["10.1.2.2", "10.1.2.3"], "10.1.2.0/29", ["ADD a", "ADD b"])
>>> check_host_local(["10.1.2.2", "10.1.2.2"], "10.1.2.0/29", ["ADD a", "DEL a", "ADD b"])
Traceback (most recent call last):
...
kubelab.grading.answers.WrongAnswer: ADD b (step 3) gets 10.1.2.3, not 10.1.2.2: host-local does not hand out a freed address at once: it goes on after the last address it gave (last_reserved_ip.0 is 10.1.2.2). (Taught in notebooks/08-cni-and-calico.ipynb, section "Handing out addresses: host-local".)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from .answers import WrongAnswer, one_at_a_time, teaches, unanswered

__all__ = ["CHAPTER_CONFIG", "check_cni_config", "host_local_addresses", "check_host_local", "chosen_plugins",
           "check_plugin_choice", "expected_matrix", "check_network_policy", "check_calico_override"]

#: The chapter's configuration list, as printed (single quotes: not JSON).
CHAPTER_CONFIG = """{
  'name': 'k8s-pod-network',
  'cniVersion': '0.3.0',
  'plugins': [
    {
      'type': 'calico',
      'log_level': 'info',
      'datastore_type': 'kubernetes',
      'nodename': '127.0.0.1',
      'ipam': {
        'type': 'host-local',
        'subnet': 'usePodCidr'
      },
      'policy': {
        'type': 'k8s'
      },
      'kubernetes': {
        'kubeconfig': '/etc/cni/net.d/calico-kubeconfig'
      }
    },
    {
      'type': 'portmap',
      'capabilities': {'portMappings': true}
    }
  ]
}"""


def _call(answer: Any, *args: Any) -> Any:
    if callable(answer):
        try:
            return answer(*args)
        except NotImplementedError:
            raise WrongAnswer("No answer yet: the function still raises NotImplementedError.") from None
    return answer


def _text(answer: Any, what: str) -> str:
    if unanswered(answer):
        raise WrongAnswer(f"No answer yet: give {what} as text.")
    if isinstance(answer, bytes):
        return answer.decode("utf-8", "replace")
    if not isinstance(answer, str):
        raise WrongAnswer(f"Expected {what} as text (a str), got {type(answer).__name__}.")
    return answer


# ---------------------------------------------------------------------------------------------- the configuration
def _diff(want: Any, got: Any, path: str = "") -> list[str]:
    if isinstance(want, dict) and isinstance(got, dict):
        out = []
        for k in want:
            if k not in got:
                out.append(f"{path}{k} is missing")
            else:
                out.extend(_diff(want[k], got[k], f"{path}{k}."))
        out.extend(f"{path}{k} was not in the chapter's configuration" for k in got if k not in want)
        return out
    if isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            return [f"{path.rstrip('.')} has {len(got)} entries, the chapter's has {len(want)}"]
        return [x for i, (a, b) in enumerate(zip(want, got)) for x in _diff(a, b, f"{path.rstrip('.')}[{i}].")]
    if want != got or type(want) is not type(got):
        return [f"{path.rstrip('.')} is {json.dumps(got)}, the chapter has {json.dumps(want)}"]
    return []


@teaches('08-cni-and-calico', "The chapter's configuration is not JSON")
def check_cni_config(answer: Any, *, strict: bool = True) -> None:
    """The chapter's configuration, fixed: it must load with :func:`kubelab.cni.load_conflist` and say the same.

    ``strict=False`` checks only that it loads, with the chapter's name and plugin types;
    ``strict=True`` compares every key and value (a ``cniVersion`` the library supports
    may replace ``0.3.0``).
    """
    from kubelab.cni import ConfigError, load_conflist

    text = _text(answer, "the configuration list")
    try:
        lst = load_conflist(text, source="10-calico.conflist")
    except ConfigError as exc:
        raise WrongAnswer(f"libcni would refuse it: {exc}") from None
    types = [p.type for p in lst.plugins]
    if lst.name != "k8s-pod-network" or types != ["calico", "portmap"]:
        raise WrongAnswer(f"It loads, but it is another network: name {lst.name!r} with plugins {types}; the chapter "
                          "has 'k8s-pod-network' with calico then portmap (portmap must follow the main plugin, "
                          "it works on the result calico returns).")
    if not strict:
        return
    want = json.loads(CHAPTER_CONFIG.replace("'", '"'))
    got = json.loads(text)
    got_version = got.get("cniVersion")
    want.pop("cniVersion")
    got.pop("cniVersion", None)
    problems = _diff(want, got)
    if problems:
        hint = ""
        if any("portMappings" in p for p in problems):
            hint = " A capability is switched on with the JSON boolean true, not a string."
        raise WrongAnswer("It loads, but it no longer says what the chapter's does: " + "; ".join(problems[:5])
                          + "." + hint)
    if got_version is None:  # pragma: no cover - load_conflist refuses it
        raise WrongAnswer("cniVersion is missing.")


# ---------------------------------------------------------------------------------------------- host-local
def _ops(ops: Iterable[str]) -> list[tuple[str, str]]:
    out = []
    for op in ops:
        verb, _, cid = op.strip().partition(" ")
        if verb.upper() not in ("ADD", "DEL") or not cid.strip():
            raise ValueError(f"an operation is 'ADD <container>' or 'DEL <container>', not {op!r}")
        out.append((verb.upper(), cid.strip()))
    return out


def host_local_addresses(subnet: str, ops: Iterable[str]) -> list[str]:
    """What host-local returns for each ``ADD`` of ``ops`` (``"error"`` when the range is full).

    >>> host_local_addresses("10.1.2.0/30", ["ADD a", "ADD b"])
    ['10.1.2.2', 'error']
    """
    from kubelab.cni import CNIError
    from kubelab.cni.ipam.host_local import MemoryStore, PluginError, allocate, release

    store = MemoryStore()
    conf = {"cniVersion": "1.0.0", "name": "graded", "ipam": {"type": "host-local", "subnet": subnet}}
    out = []
    for verb, cid in _ops(ops):
        if verb == "DEL":
            release(conf, cid, "eth0", store=store)
            continue
        try:
            res = allocate(conf, cid, "eth0", store=store)
        except (CNIError, PluginError):
            out.append("error")
        else:
            out.append(res.ips[0]["address"].split("/")[0])
    return out


@teaches('08-cni-and-calico', 'Handing out addresses: host-local')
def check_host_local(answer: Any, subnet: str, ops: list[str]) -> None:
    """The addresses host-local hands out for the ADDs of ``ops`` (or ``f(subnet, ops)`` returning them)."""
    import ipaddress

    got = _call(answer, subnet, list(ops))
    if unanswered(got) or isinstance(got, (str, bytes, Mapping)) or not isinstance(got, Iterable):
        raise WrongAnswer(f"Expected a list with one address (or 'error') per ADD of {ops}, got {got!r}.")
    got = [str(x).split("/")[0].strip().lower() if x is not None else "error" for x in got]
    want = host_local_addresses(subnet, ops)
    adds = [(i, cid) for i, (verb, cid) in enumerate(_ops(ops)) if verb == "ADD"]
    if len(got) != len(want):
        raise WrongAnswer(f"{len(adds)} ADDs in {ops}, so {len(adds)} answers; you gave {len(got)}.")
    net = ipaddress.ip_network(subnet)
    gateway = str(net[1])
    last = None
    for (step, cid), g, w in zip(adds, got, want):
        if g != w:
            if w == "error":
                why = (f"every address of {subnet} from {net[2]} to {net[-2]} is taken (the gateway {gateway} and "
                       "the network and broadcast addresses are never given): the ADD fails")
            elif g == gateway:
                why = f"{gateway} is the gateway (the first address of the subnet), which host-local skips"
            elif last is not None and ipaddress.ip_address(w) < ipaddress.ip_address(last):
                why = (f"after {last}, the end of the range, host-local wraps around to the start and takes the "
                       "first free address")
            elif g != "error" and last is not None and ipaddress.ip_address(g) < ipaddress.ip_address(w):
                why = ("host-local does not hand out a freed address at once: it goes on after the last address "
                       f"it gave (last_reserved_ip.0 is {last})")
            else:
                why = (f"host-local goes through {subnet} in order, starting after the last address it gave"
                       + (f" ({last})" if last else f" (at first {net[2]}, after the gateway {gateway})"))
            raise WrongAnswer(f"ADD {cid} (step {step + 1}) gets {w}, not {g}: {why}.")
        if w != "error":
            last = w


# ---------------------------------------------------------------------------------------------- plugin choice
def chosen_plugins(requirements: Mapping[str, Any]) -> set[str]:
    """The plugins :func:`kubelab.cni.plugins.matrix.choose` keeps."""
    from kubelab.cni.plugins import matrix

    return {c.plugin for c in matrix.choose(dict(requirements)) if c.kept}


@teaches('08-cni-and-calico', 'Choosing a plugin')
def check_plugin_choice(answer: Any, requirements: Mapping[str, Any]) -> None:
    """The set of plugins (from the feature matrix) that meet ``requirements``."""
    from kubelab.cni.plugins import matrix

    if unanswered(answer) or isinstance(answer, (Mapping, bytes)):
        raise WrongAnswer(f"Expected a set of plugin names for {dict(requirements)}, got {answer!r}.")
    items = [answer] if isinstance(answer, str) else list(answer)
    got = {str(p).strip().lower().replace("weave net", "weave").replace("weavenet", "weave") for p in items}
    unknown = sorted(got - set(matrix.MATRIX))
    if unknown:
        raise WrongAnswer(f"Not in the feature matrix: {', '.join(unknown)} (it has {', '.join(matrix.MATRIX)}).")
    want = chosen_plugins(requirements)
    if got == want:
        return
    reasons = {c.plugin: c for c in matrix.choose(dict(requirements))}
    problems = [f"{p} does not qualify: {'; '.join(r for r in reasons[p].reasons if r.startswith(('no ', 'needs')))}"
                for p in sorted(got - want)]
    problems += [f"you left out {p}, which qualifies: {'; '.join(reasons[p].reasons)}" for p in sorted(want - got)]
    raise WrongAnswer(f"For {dict(requirements)}: " + one_at_a_time([p + "." for p in problems]))


# ---------------------------------------------------------------------------------------------- network policy
def _with_policies(cluster: Any, text: str, what: str) -> Any:
    from kubelab.api import load_text
    from kubelab.errors import KubelabError

    try:
        objs = list(load_text(text))
    except (KubelabError, ValueError) as exc:
        raise WrongAnswer(f"{what} does not load: {exc}") from None
    kinds = sorted({o.kind for o in objs})
    if not objs:
        raise WrongAnswer(f"{what} holds no object.")
    if any(k not in ("NetworkPolicy", "GlobalNetworkPolicy") for k in kinds):
        raise WrongAnswer(f"Only policies, please: {what} also creates {', '.join(kinds)}.")
    c = cluster.copy()
    try:
        c.apply(text)
    except (KubelabError, ValueError) as exc:
        raise WrongAnswer(f"The API server would refuse {what}: {exc}") from None
    return c


def expected_matrix(cluster: Any, allowed: Iterable[tuple[str, str, int]], namespace: str, port: int) -> dict:
    """(src, dst) -> allowed, when the pods of ``namespace`` accept only ``allowed`` (and themselves) on ``port``."""
    from kubelab.policy import reachability

    ok = {(s, d) for s, d, p in allowed if p == port}
    base = reachability(cluster, None, port, enforce=True)
    out = {}
    for s in base.pods:
        for d in base.pods:
            inside = d.split("/")[0] == namespace
            out[(s, d)] = s == d or not inside or (s, d) in ok
    return out


@teaches('08-cni-and-calico', 'Network policy')
def check_network_policy(answer: Any, cluster: Any, allowed: Iterable[tuple[str, str, int]], namespace: str,
                         ports: Iterable[int]) -> None:
    """NetworkPolicy YAML that makes ``namespace`` accept exactly ``allowed`` (src, dst, port) on ``ports``.

    Graded by :func:`kubelab.policy.reachability` of the cluster with the policies
    applied, for every pod of every namespace as a source.
    """
    from kubelab.policy import evaluate, reachability

    text = _text(answer, "your NetworkPolicy YAML")
    c = _with_policies(cluster, text, "your YAML")
    allowed = list(allowed)
    for port in ports:
        m = reachability(c, None, port)
        want = expected_matrix(cluster, allowed, namespace, port)
        for (s, d), ok in want.items():
            got = m[s, d]
            if got == ok:
                continue
            if got:
                v = evaluate(c, s, d, port)
                if not v.decided_by or all("profile" in str(x) or "not isolated" in str(x) for x in v.decided_by):
                    why = (f"no policy of yours selects {d}, so it accepts every connection: start with a "
                           "default-deny (podSelector: {}) for the namespace, then allow what is needed")
                else:
                    why = "allowed by " + "; ".join(str(x) for x in v.decided_by)
                    if d.split("/")[0] != s.split("/")[0] or s.split("/")[0] != namespace:
                        why += (f" (the source is in namespace {s.split('/')[0]}: a namespaceSelector in the same "
                                "peer opens the rule to other namespaces; a podSelector alone matches pods of the "
                                "policy's own namespace only)")
                    else:
                        why += " (restrict the rule's ports to the ones asked for)"
                raise WrongAnswer(f"{s} -> {d} on port {port} should be denied, your policies allow it: {why}.")
            v = evaluate(c, s, d, port)
            why = "; ".join(str(x) for x in v.decided_by) or v.note
            raise WrongAnswer(f"{s} -> {d} on port {port} should be allowed, your policies deny it: {why}. Remember "
                              "that a connection needs an allow at the destination's ingress (and at the source's "
                              "egress if an egress policy selects the source).")


@teaches('08-cni-and-calico', 'Network policy')
def check_calico_override(answer: Any, cluster: Any, src: str, dst: str, port: int, *,
                          unchanged: Iterable[tuple[str, str]] = ()) -> None:
    """A Calico policy that denies ``src`` -> ``dst`` on ``port`` although a Kubernetes policy allows it.

    Every pair in ``unchanged`` must keep the verdict it had before.
    """
    from kubelab.policy import evaluate

    text = _text(answer, "your Calico policy YAML")
    if "projectcalico.org" not in text:
        raise WrongAnswer("A Kubernetes NetworkPolicy can only allow (it is an allow-list): a Deny needs Calico's "
                          "own API, apiVersion projectcalico.org/v3.")
    c = _with_policies(cluster, text, "your YAML")
    v = evaluate(c, src, dst, port)
    if v.allowed:
        knp = [d for d in v.decided_by if "knp.default." in d.policy]
        why = "; ".join(str(d) for d in v.decided_by)
        if knp:
            why += (". The Kubernetes policy is turned into knp.default.<name> at order 1000 in the default tier, "
                    "and the lowest order is evaluated first: give yours an order below 1000")
        raise WrongAnswer(f"{src} -> {dst} on port {port} is still allowed: {why}.")
    for s, d in unchanged:
        before, after = evaluate(cluster, s, d, port), evaluate(c, s, d, port)
        if before.allowed != after.allowed:
            why = "; ".join(str(x) for x in after.decided_by)
            raise WrongAnswer(f"Your policy also changes {s} -> {d} on port {port} (it was "
                              f"{before.word}, now {after.word}: {why}); deny only what was asked, with a source "
                              "selector on the rule.")
