"""The proxy modes: the API type owns the list, each mode's Proxier registers under one of its names."""

import pytest

from kubelab.api.kubeproxy import PROXY_MODES, KubeProxyConfiguration
from kubelab.cluster.settings import proxy_modes
from kubelab.proxy import PROXIERS, Proxier, register, registered_modes, running_modes


def test_every_api_mode_has_a_proxier_and_no_other():
    assert registered_modes() == PROXY_MODES
    assert sorted(PROXIERS) == list(PROXY_MODES)


def test_the_flags_and_the_validation_use_the_api_list():
    assert proxy_modes() == PROXY_MODES
    errs = [str(e) for e in KubeProxyConfiguration.from_dict({"mode": "fancy"}).validate()]
    assert errs and all(f'"{m}"' in errs[0] for m in PROXY_MODES), errs


def test_register_refuses_a_mode_the_api_does_not_know():
    class Fancy(Proxier):
        mode = "fancy"

    with pytest.raises(ValueError, match='proxy mode "fancy"'):
        register(Fancy)
    assert "fancy" not in PROXIERS


def test_running_modes_leave_out_the_removed_userspace_mode():
    assert running_modes() == tuple(m for m in PROXY_MODES if m != "userspace")
