"""Check answers about kube-proxy: the probability ladder, chain names, reading ``iptables-save``, dead pods.

The reference is the model: :func:`kubelab.proxy.probability` and
:func:`kubelab.proxy.service_port_chain` (kube-proxy's own formulas),
:func:`kubelab.netfilter.xtables.kernel_probability` (what the kernel keeps and
``iptables-save`` prints), the DNAT rules of a dump, and
:meth:`kubelab.Cluster.connect` for what a client sees in each mode.  A mode
the model does not have yet is answered from the documented behaviour
(:data:`DOCUMENTED_DEAD_POD`, from FIDELITY §2-3): the userspace proxy retries
another endpoint, IPVS (like iptables) does not.

Examples
--------
>>> check_probability_ladder(["0.3333333333", "0.5000000000"], 3)
>>> check_probability_ladder(["0.3333333333", "0.3333333333"], 3)
Traceback (most recent call last):
...
kubelab.grading.answers.WrongAnswer: Rule 2 of 3: you wrote 0.3333333333, kube-proxy writes 0.5000000000. Each rule only sees the connections the rules above it let through: rule i (counting from 0) of n takes 1/(n-i) of what is left, so every endpoint ends up with 1/n overall. (Taught in notebooks/05-kube-proxy.ipynb, section "The probability ladder".)
>>> service_chain_name("default", "kubernetes", "https", "TCP")
'KUBE-SVC-NPX46M4PTMTKRN6Y'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from .answers import WrongAnswer, teaches, unanswered

__all__ = ["probability_ladder", "check_probability_ladder", "service_chain_name", "check_service_chain",
           "dnat_targets", "check_backend", "dead_pod_outcomes", "check_dead_pod_outcomes", "outcome_word",
           "DOCUMENTED_DEAD_POD", "OUTCOME_ALIASES"]

#: What a client sees when the endpoint first chosen does not answer, for modes the model may not have.
DOCUMENTED_DEAD_POD = {"userspace": "delivered", "iptables": "timeout", "ipvs": "timeout", "nftables": "timeout"}

#: Words a learner may use for each verdict of :class:`kubelab.hops.Trace`.
OUTCOME_ALIASES = {
    "delivered": "delivered", "deliver": "delivered", "ok": "delivered", "success": "delivered",
    "succeeds": "delivered", "works": "delivered", "connected": "delivered", "answered": "delivered",
    "retry": "delivered", "retries": "delivered", "retried": "delivered",
    "timeout": "timeout", "timesout": "timeout", "timedout": "timeout", "timeout.": "timeout", "hangs": "timeout",
    "hang": "timeout", "waits": "timeout",
    "rejected": "rejected", "reject": "rejected", "icmp": "rejected",
    "refused": "refused", "rst": "refused", "reset": "refused",
    "dropped": "dropped", "drop": "dropped",
}


# ---------------------------------------------------------------------------------------------- ladder
def probability_ladder(n: int, *, saved: bool = False) -> list[str]:
    """The ``--probability`` values of the first ``n - 1`` rules of a KUBE-SVC chain (the last has none).

    ``saved=False``: as kube-proxy writes them (``%0.10f`` of ``1/(n-i)``);
    ``saved=True``: as ``iptables-save`` prints them back (``%.11f`` of the kernel's fixed point).

    >>> probability_ladder(4), probability_ladder(4, saved=True)
    (['0.2500000000', '0.3333333333', '0.5000000000'], ['0.25000000000', '0.33333333349', '0.50000000000'])
    """
    from kubelab.proxy import probability
    from kubelab.netfilter.xtables import kernel_probability

    written = [probability(n - i) for i in range(n - 1)]
    return [kernel_probability(p) for p in written] if saved else written


def _as_strings(answer: Any, n: int) -> list[str]:
    if unanswered(answer):
        raise WrongAnswer(f"No answer yet for {n} endpoints: give a list of strings such as ['0.5000000000'].")
    if isinstance(answer, (str, bytes, Mapping)) or not isinstance(answer, Iterable):
        raise WrongAnswer(f"Expected a list of strings (one per rule that has a probability), got {answer!r}.")
    items = list(answer)
    bad = [x for x in items if not isinstance(x, str)]
    if bad:
        raise WrongAnswer(f"Write each probability as the text iptables shows, a string like '0.5000000000', "
                          f"not {bad[0]!r} ({type(bad[0]).__name__}): the number of decimals matters.")
    return [x.strip() for x in items]


@teaches('05-kube-proxy', 'The probability ladder')
def check_probability_ladder(answer: Any, n: int, *, saved: bool = False) -> None:
    """Check the probabilities of a KUBE-SVC chain with ``n`` endpoints (see :func:`probability_ladder`)."""
    got = _as_strings(answer, n)
    want = probability_ladder(n, saved=saved)
    who = "iptables-save prints" if saved else "kube-proxy writes"
    if len(got) != len(want):
        extra = (" The last rule has no probability: whatever reaches it goes to the last endpoint."
                 if len(got) == len(want) + 1 else "")
        raise WrongAnswer(f"With {n} endpoint(s) {who} {len(want)} probabilities, you gave {len(got)}.{extra}")
    for i, (g, w) in enumerate(zip(got, want)):
        if g == w:
            continue
        why = ""
        try:
            value = float(g)
        except ValueError:
            raise WrongAnswer(f"Rule {i + 1} of {n}: {g!r} is not a number.") from None
        if abs(value - 1 / n) < 1e-9 and i > 0:
            why = (" Each rule only sees the connections the rules above it let through: rule i (counting from 0) of "
                   "n takes 1/(n-i) of what is left, so every endpoint ends up with 1/n overall.")
        elif abs(value - float(w)) < 1e-6:
            why = (" The value is right but not its text: iptables-save prints 11 decimals of the kernel's "
                   "fixed-point value (round(p * 2^31) / 2^31)." if saved else
                   " The value is right but not its text: kube-proxy writes exactly ten decimals ('%0.10f').")
        raise WrongAnswer(f"Rule {i + 1} of {n}: you wrote {g}, {who} {w}.{why}")


# ---------------------------------------------------------------------------------------------- chain names
def service_chain_name(namespace: str, name: str, port_name: str | None, protocol: str) -> str:
    """``KUBE-SVC-`` + the first 16 characters of base32(sha256(``ns/name[:port]`` + lower(protocol)))."""
    from kubelab.proxy import service_port_chain

    svc_port = f"{namespace}/{name}" + (f":{port_name}" if port_name else "")
    return service_port_chain("KUBE-SVC-", svc_port, protocol)


@teaches('05-kube-proxy', 'Chain names are hashes')
def check_service_chain(answer: Any, namespace: str, name: str, port_name: str | None, protocol: str) -> None:
    """Check a chain name (or a function ``f(namespace, name, port_name, protocol)`` returning one)."""
    if callable(answer):
        try:
            answer = answer(namespace, name, port_name, protocol)
        except NotImplementedError:
            raise WrongAnswer("No answer yet: the function still raises NotImplementedError.") from None
    if unanswered(answer) or not isinstance(answer, str):
        raise WrongAnswer(f"Expected a chain name such as 'KUBE-SVC-XXXXXXXXXXXXXXXX', got {answer!r}.")
    want = service_chain_name(namespace, name, port_name, protocol)
    got = answer.strip()
    if got == want:
        return
    svc_port = f"{namespace}/{name}" + (f":{port_name}" if port_name else "")
    what = f"{namespace}/{name} port {port_name or '(unnamed)'} {protocol}"
    hints = []
    if not got.startswith("KUBE-SVC-"):
        hints.append("The name starts with 'KUBE-SVC-'.")
    elif len(got) != len(want):
        hints.append("After the prefix come exactly 16 characters of the base32 text.")
    variants = {
        "KUBE-SVC-" + _b32(svc_port + protocol.upper()): "the protocol goes in lower case ('tcp', not 'TCP')",
        "KUBE-SVC-" + _b32(svc_port): "the protocol is part of the hashed text, right after the name",
        "KUBE-SVC-" + _b32(f"{namespace}/{name}:{port_name or ''}" + protocol.lower()):
            "an unnamed port adds no ':' to the name ('ns/name', not 'ns/name:')",
        "KUBE-SVC-" + _b32(f"{namespace}/{name}" + protocol.lower()):
            "a named port is part of the name ('ns/name:port')",
        "KUBE-SVC-" + _b32(svc_port + " " + protocol.lower()): "nothing separates the name and the protocol",
    }
    if got in variants and got != want:
        hints.append(f"Close: {variants[got]}.")
    raise WrongAnswer(f"For {what} kube-proxy names the chain differently from your {got}: it hashes the text "
                      f"{svc_port + protocol.lower()!r} with SHA-256, encodes it in base32 and keeps 16 characters. "
                      + " ".join(hints))


def _b32(text: str) -> str:
    import base64
    import hashlib

    return base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()[:16]


# ---------------------------------------------------------------------------------------------- reading a dump
_DNAT = re.compile(r"^-A (KUBE-SEP-\S+) .*-j DNAT .*--to-destination (\S+)")


def dnat_targets(save_text: str) -> dict[str, str]:
    """``KUBE-SEP-…`` chain -> the ``ip:port`` its DNAT rule sends to, from ``iptables-save`` (or restore) text."""
    out = {}
    for line in save_text.splitlines():
        m = _DNAT.match(line.strip())
        if m:
            out[m.group(1)] = m.group(2)
    return out


@teaches('05-kube-proxy', 'The iptables mode: rules in the kernel')
def check_backend(answer: Any, save_text: str, chain: str) -> None:
    """Check the ``ip:port`` behind ``chain`` (a KUBE-SEP chain) in a dump; ``answer`` may be ``f(dump, chain)``."""
    if callable(answer):
        try:
            answer = answer(save_text, chain)
        except NotImplementedError:
            raise WrongAnswer("No answer yet: the function still raises NotImplementedError.") from None
    targets = dnat_targets(save_text)
    if chain not in targets:
        raise ValueError(f"{chain} has no DNAT rule in this dump")  # a broken test, not a wrong answer
    want = targets[chain]
    if unanswered(answer) or not isinstance(answer, str):
        raise WrongAnswer(f"Expected 'ip:port' for {chain}, got {answer!r}.")
    got = answer.strip()
    if got == want:
        return
    hint = ""
    if got == want.split(":")[0]:
        hint = " The port matters too: the DNAT rule rewrites the destination to ip:port (the pod's targetPort)."
    elif got in targets.values():
        other = next(c for c, t in targets.items() if t == got)
        hint = (f" {got} is where {other} sends: read the '-j DNAT --to-destination' rule of the chain named "
                f"{chain} itself.")
    raise WrongAnswer(f"{chain} does not send its connections to {got}.{hint}")


# ---------------------------------------------------------------------------------------------- dead pods
def outcome_word(answer: Any) -> str:
    """One of the :class:`kubelab.hops.Trace` verdicts, from a learner's word."""
    if not isinstance(answer, str) or not answer.strip():
        raise WrongAnswer(f"Describe the outcome in a word such as 'delivered' or 'timeout', got {answer!r}.")
    key = re.sub(r"[^a-z.]", "", answer.lower())
    if key in OUTCOME_ALIASES:
        return OUTCOME_ALIASES[key]
    raise WrongAnswer(f"{answer!r} is not an outcome I know: use 'delivered', 'timeout', 'rejected', 'refused' or "
                      "'dropped'.")


def dead_pod_outcomes(cluster: Any, src: str, host: str, port: int, modes: Iterable[str], *, seed: int = 1,
                      not_ready: bool = False) -> dict[str, str]:
    """The verdict per mode when the backend a connection would pick does not answer.

    The backend is the one the same ``seed`` picks with every pod healthy.
    ``not_ready=True``: the pod also fails its readiness probe, so the
    controllers take it out of the ready endpoints before the connection.
    Modes the model does not have come from :data:`DOCUMENTED_DEAD_POD`
    (``not_ready``: every mode delivers, since no mode sends to a not-ready endpoint).
    """
    have = _registered_modes()
    out = {}
    for mode in modes:
        if mode not in have:
            out[mode] = "delivered" if not_ready else DOCUMENTED_DEAD_POD[mode]
            continue
        first = cluster.connect(src, host, port, mode=mode, seed=seed)
        victim = (first.backend or "").split("/")[-1]
        c = cluster
        if not_ready and victim:
            c = cluster.copy()
            doc = c.pod(victim, first.backend.split("/")[0]).to_dict()
            conds = [x for x in doc["status"].get("conditions", []) if x["type"] != "Ready"]
            doc["status"]["conditions"] = conds + [{"type": "Ready", "status": "False"}]
            c.apply(doc)
        out[mode] = c.connect(src, host, port, mode=mode, seed=seed, dead={victim} if victim else set()).verdict
    return out


def _registered_modes() -> set[str]:
    import importlib

    from kubelab import proxy

    for name in ("iptables", "ipvs", "userspace", "nftables"):  # optional modes register on import
        try:
            importlib.import_module(f"kubelab.proxy.{name}")
        except ImportError:
            pass
    return set(proxy.PROXIERS)


_WHY = {
    ("iptables", "timeout"): "iptables mode has no retry: the kernel picks the endpoint once, for the first packet, "
                             "and DNATs every packet of the connection to it; if that pod does not answer, the client "
                             "waits until it times out.",
    ("ipvs", "timeout"): "IPVS picks a real server once per connection and has no health checks of its own: a pod "
                         "that does not answer makes the client time out, as in iptables mode.",
    ("userspace", "delivered"): "the userspace proxy opens the connection to the pod itself, sees the failure and "
                                "retries another endpoint, so the client is served (a little later).",
    ("nftables", "timeout"): "nftables mode, like iptables, chooses once in the kernel and does not retry.",
}


@teaches('05-kube-proxy', 'When a pod stops answering')
def check_dead_pod_outcomes(answer: Any, cluster: Any, src: str, host: str, port: int, *, seed: int = 1,
                            not_ready: bool = False, modes: Iterable[str] = ("userspace", "iptables", "ipvs")) -> None:
    """Check ``{mode: outcome}`` against :func:`dead_pod_outcomes`."""
    if unanswered(answer) or not isinstance(answer, Mapping):
        raise WrongAnswer(f"Expected a dict such as {{'iptables': 'timeout', ...}}, got {answer!r}.")
    modes = list(modes)
    missing = [m for m in modes if m not in answer]
    if missing:
        raise WrongAnswer(f"Give an outcome for every mode: {', '.join(missing)} missing.")
    want = dead_pod_outcomes(cluster, src, host, port, modes, seed=seed, not_ready=not_ready)
    problems = []
    for mode in modes:
        got = outcome_word(answer[mode])
        if got == want[mode]:
            continue
        if not_ready:
            why = ("a pod that fails its readiness probe is listed as not ready in the EndpointSlice, and kube-proxy "
                   "only sends new connections to ready endpoints: the dead pod is never chosen.")
        else:
            why = _WHY.get((mode, want[mode]), "")
        problems.append(f"{mode}: you said {got}, the model says {want[mode]}: {why}")
    if problems:
        raise WrongAnswer(" ".join(problems))

