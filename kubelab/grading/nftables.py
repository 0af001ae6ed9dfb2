"""Check answers about kube-proxy's nftables mode: chain names, and how a packet's cost grows.

The reference is the model: :func:`kubelab.proxy.nftables.service_chain` (kube-proxy v1.35's
``servicePortChainNameBase``: ``service-`` + 8 base32 characters of the SHA-256 of
``namespace/name/protocol/portname`` + ``-`` + that text) and
:func:`kubelab.viz.scaling.scaling_curve` (the rules a new connection's first packet is checked
against, measured in the model at two sizes).  The feedback names what is wrong and where the
notebook teaches it (notebook 05, section "The nftables mode"), without printing the answer.

Examples
--------
>>> check_nft_service_chain("service-2QRHZV4L-default/kubernetes/tcp/https", "default", "kubernetes", "https", "TCP")
>>> check_nft_service_chain("service-2QRHZV4L-default/kubernetes:https/tcp", "default", "kubernetes", "https", "TCP")
Traceback (most recent call last):
...
kubelab.grading.answers.WrongAnswer: For default/kubernetes port https TCP your chain name is not kube-proxy's: the readable part is namespace/name/protocol/portname (slashes, protocol in lower case, before the port name). (Taught in notebooks/05-kube-proxy.ipynb, section "The nftables mode: verdict maps".)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .answers import WrongAnswer, teaches, unanswered

__all__ = ["nft_service_chain_name", "check_nft_service_chain", "growth_of", "check_rules_growth", "GROWTH_WORDS"]


#: How the rules a first packet meets grow with the number of Services, and the words a learner may use.
GROWTH_WORDS = {
    "linear": "linear", "grows": "linear", "o(n)": "linear", "proportional": "linear", "increases": "linear",
    "constant": "constant", "flat": "constant", "same": "constant", "o(1)": "constant", "fixed": "constant",
}


def nft_service_chain_name(namespace: str, name: str, port_name: str | None, protocol: str) -> str:
    """The ``service-`` chain kube-proxy's nftables mode creates for one Service port.

    >>> nft_service_chain_name("ns1", "svc1", "p80", "TCP")
    'service-ULMVA6XW-ns1/svc1/tcp/p80'
    """
    from ..proxy.nftables import service_chain
    return service_chain(namespace, name, protocol, port_name or "")


@teaches('05-kube-proxy', 'The nftables mode: verdict maps')
def check_nft_service_chain(answer: Any, namespace: str, name: str, port_name: str | None, protocol: str,
                            dump: str | None = None) -> None:
    """Check a chain name (or a function ``f(namespace, name, port_name, protocol)`` returning one)."""
    if callable(answer):
        try:
            answer = answer(namespace, name, port_name, protocol)
        except NotImplementedError:
            raise WrongAnswer("No answer yet: the function still raises NotImplementedError.") from None
    if unanswered(answer) or not isinstance(answer, str):
        raise WrongAnswer(f"Expected a chain name such as 'service-XXXXXXXX-namespace/name/tcp/port', got "
                          f"{answer!r}.")
    want = nft_service_chain_name(namespace, name, port_name, protocol)
    got = answer.strip()
    if got == want:
        if dump is not None and f" {want}\n" not in dump and f" {want} " not in dump:
            raise WrongAnswer(f"{got} is the right formula, but no such chain is in the dump you were given: "
                              "check the namespace, name, port name and protocol you passed.")
        return
    what = f"{namespace}/{name} port {port_name or '(unnamed)'} {protocol}"
    readable = f"{namespace}/{name}/{protocol.lower()}/{port_name or ''}"
    hints = []
    if got.startswith("KUBE-SVC-"):
        hints.append("that is the iptables mode's name; the nftables mode's chains start with 'service-'.")
    elif not got.startswith("service-"):
        hints.append("the name starts with 'service-'.")
    elif not got.endswith("-" + readable):
        hints.append("the readable part is namespace/name/protocol/portname (slashes, protocol in lower case, "
                     "before the port name).")
    else:
        hints.append("the 8 characters after 'service-' are the first 8 of the base32 text of the SHA-256 of "
                     "the readable part, exactly as it appears after them.")
    raise WrongAnswer(f"For {what} your chain name is not kube-proxy's: {' '.join(hints)}")


def growth_of(mode: str, sizes: tuple[int, int] = (10, 50)) -> str:
    """``"linear"`` or ``"constant"``: how the rules a new connection's first packet meets grow with the
    number of Services in ``mode``, measured in the model at two sizes.

    >>> growth_of("iptables"), growth_of("nftables")
    ('linear', 'constant')
    """
    from ..viz.scaling import scaling_curve
    small, large = scaling_curve(mode, sizes=tuple(sizes), measured_up_to=max(sizes))
    return "constant" if large.evaluated == small.evaluated else "linear"


@teaches('05-kube-proxy', 'Scaling: rules as Services grow')
def check_rules_growth(answer: Any, modes: tuple[str, ...] = ("iptables", "nftables", "ipvs")) -> None:
    """Check ``{mode: "linear" | "constant"}`` against the model's measurements."""
    if unanswered(answer) or not isinstance(answer, Mapping):
        raise WrongAnswer(f'Expected a dict such as {{"iptables": "...", "nftables": "...", "ipvs": "..."}}, got '
                          f"{answer!r}.")
    problems = []
    for mode in modes:
        given = answer.get(mode)
        if unanswered(given):
            problems.append(f"{mode}: no answer.")
            continue
        word = GROWTH_WORDS.get(str(given).strip().lower())
        if word is None:
            problems.append(f"{mode}: answer 'linear' or 'constant', not {given!r}.")
            continue
        truth = growth_of(mode)
        if word != truth:
            why = {
                "iptables": "the first packet walks KUBE-SERVICES rule by rule until its Service's rule matches, "
                            "so every Service added before it adds a rule to check",
                "nftables": "the services chain looks the destination up in the service-ips verdict map: one hash "
                            "lookup, however many elements the map holds",
                "ipvs": "IPVS finds the virtual server by a hash of protocol, address and port",
            }.get(mode, "the model measures otherwise")
            problems.append(f"{mode}: not {word}: {why}.")
    if problems:
        raise WrongAnswer(" ".join(problems))
