"""kubelab.grading.nftables: right answers pass, blank and plausible wrong ones fail with feedback."""

from __future__ import annotations

import pytest

from kubelab import Cluster
from kubelab.grading import WrongAnswer, check_nft_service_chain, check_rules_growth, nft_service_chain_name
from kubelab.proxy import proxier_for


def right(namespace, name, port_name, protocol):
    import base64
    import hashlib
    text = f"{namespace}/{name}/{protocol.lower()}/{port_name or ''}"
    return "service-" + base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()[:8] + "-" + text


def test_the_right_function_passes_and_names_chains_of_the_dump():
    dump = proxier_for(Cluster(), "nftables").render("dump")
    check_nft_service_chain(right, "kube-system", "kube-dns", "dns", "UDP", dump=dump)
    check_nft_service_chain(right, "default", "kubernetes", "https", "TCP", dump=dump)
    assert nft_service_chain_name("ns1", "svc1", "p80", "TCP") == "service-ULMVA6XW-ns1/svc1/tcp/p80"


@pytest.mark.parametrize("answer,phrase", [
    (None, "Expected a chain name"),
    (..., "Expected a chain name"),
    ("KUBE-SVC-NPX46M4PTMTKRN6Y", "that is the iptables mode's name"),
    ("service-2QRHZV4L-default/kubernetes:https/tcp", "namespace/name/protocol/portname"),
    ("service-AAAAAAAA-default/kubernetes/tcp/https", "first 8 of the base32 text"),
])
def test_blank_and_wrong_chain_names_fail_and_say_why(answer, phrase):
    with pytest.raises(WrongAnswer) as err:
        check_nft_service_chain(answer, "default", "kubernetes", "https", "TCP")
    assert phrase in str(err.value) and "notebooks/05-kube-proxy.ipynb" in str(err.value)
    assert "2QRHZV4L" not in str(err.value)  # the feedback does not hand out the answer


def test_iptables_hash_input_with_nft_layout_is_wrong():
    import base64
    import hashlib
    iptables_input = "default/kubernetes:httpstcp"
    wrong = ("service-" + base64.b32encode(hashlib.sha256(iptables_input.encode()).digest()).decode()[:8]
             + "-default/kubernetes/tcp/https")
    with pytest.raises(WrongAnswer, match="SHA-256 of the readable part"):
        check_nft_service_chain(wrong, "default", "kubernetes", "https", "TCP")


def test_rules_growth():
    check_rules_growth({"iptables": "linear", "nftables": "constant", "ipvs": "constant"})
    check_rules_growth({"iptables": "O(n)", "nftables": "O(1)", "ipvs": "Constant"})
    with pytest.raises(WrongAnswer) as err:  # plausible: "nftables is still rules, so it grows"
        check_rules_growth({"iptables": "linear", "nftables": "linear", "ipvs": "constant"})
    assert "nftables: not linear" in str(err.value) and "service-ips verdict map" in str(err.value)
    with pytest.raises(WrongAnswer, match="iptables: no answer"):
        check_rules_growth({"iptables": ..., "nftables": "constant", "ipvs": "constant"})
    with pytest.raises(WrongAnswer, match="Expected a dict"):
        check_rules_growth(None)
