"""Results and errors: version conversion as pkg/types/{020,040,100} do it, printing as the Go library does."""

from __future__ import annotations

import json

import pytest

from kubelab.cni.types import ERROR_CODES, CNIError, Result, go_json, parse_version, version_gte

# SPEC.md (spec 1.1.0) "Add example": the result the bridge plugin returns.
SPEC_BRIDGE_RESULT = {
    "cniVersion": "1.1.0",
    "ips": [{"address": "10.1.0.5/16", "gateway": "10.1.0.1", "interface": 2}],
    "routes": [{"dst": "0.0.0.0/0"}],
    "interfaces": [{"name": "cni0", "mac": "00:11:22:33:44:55"}, {"name": "veth3243", "mac": "55:44:33:22:11:11"},
                   {"name": "eth0", "mac": "99:88:77:66:55:44", "sandbox": "/var/run/netns/blue"}],
    "dns": {"nameservers": ["10.1.0.1"]},
}


def test_spec_example_round_trips_at_1_1_0():
    r = Result.from_dict(SPEC_BRIDGE_RESULT)
    assert json.loads(r.to_json("1.1.0", library="1.1")) == SPEC_BRIDGE_RESULT


def test_to_040_adds_ip_version_and_keeps_interface_index():
    d = Result.from_dict(SPEC_BRIDGE_RESULT).as_dict("0.4.0")
    assert list(d) == ["cniVersion", "interfaces", "ips", "routes", "dns"]
    assert d["ips"] == [{"version": "4", "interface": 2, "address": "10.1.0.5/16", "gateway": "10.1.0.1"}]
    assert d["interfaces"][2] == {"name": "eth0", "mac": "99:88:77:66:55:44", "sandbox": "/var/run/netns/blue"}


def test_to_020_keeps_first_address_per_family_and_routes_by_family():
    r = Result.from_dict(SPEC_BRIDGE_RESULT)
    r.ips.append({"address": "10.9.0.5/16", "interface": 2})
    r.ips.append({"address": "fd00::5/64", "gateway": "fd00::1", "interface": 2})
    r.routes.append({"dst": "::/0", "gw": "fd00::1", "mtu": 1400})
    assert r.as_dict("0.2.0") == {
        "cniVersion": "0.2.0",
        "ip4": {"ip": "10.1.0.5/16", "gateway": "10.1.0.1", "routes": [{"dst": "0.0.0.0/0"}]},
        "ip6": {"ip": "fd00::5/64", "gateway": "fd00::1", "routes": [{"dst": "::/0", "gw": "fd00::1"}]},
        "dns": {"nameservers": ["10.1.0.1"]},
    }


def test_020_up_to_100():
    old = {"cniVersion": "0.2.0", "ip4": {"ip": "10.1.0.5/16", "gateway": "10.1.0.1",
                                          "routes": [{"dst": "0.0.0.0/0"}]}, "dns": {}}
    d = Result.from_dict(old).as_dict("1.0.0")
    assert d == {"cniVersion": "1.0.0", "ips": [{"address": "10.1.0.5/16", "gateway": "10.1.0.1"}],
                 "routes": [{"dst": "0.0.0.0/0"}], "dns": {}}


def test_020_without_ips_cannot_be_converted():
    with pytest.raises(CNIError, match="cannot convert: no valid IP addresses"):
        Result("1.0.0").as_dict("0.2.0")


def test_1_x_fields_dropped_below_1_0():
    r = Result("1.1.0", [{"name": "eth0", "mtu": 9000, "socketPath": "/s", "pciID": "0000:00:01.0"}],
               [{"address": "10.0.0.2/24", "interface": 0}], [{"dst": "10.0.0.0/8", "table": 0, "scope": 253}])
    assert r.as_dict("0.4.0")["interfaces"] == [{"name": "eth0"}]
    assert r.as_dict("1.1.0")["interfaces"][0] == {"name": "eth0", "mtu": 9000, "socketPath": "/s",
                                                   "pciID": "0000:00:01.0"}
    assert r.as_dict("1.1.0")["routes"] == [{"dst": "10.0.0.0/8", "table": 0, "scope": 253}]  # pointers: 0 kept


def test_library_styles():
    r = Result("1.0.0", ips=[{"address": "10.0.0.2/24", "gateway": "10.0.0.1"}])
    assert r.to_json(library="1.0").endswith('"dns": {}\n}')  # a Go struct: never omitted
    assert '"dns"' not in r.to_json(library="1.1")  # Result.MarshalJSON since libcni 1.1
    assert r.to_json("0.4.0", library="1.1").endswith('"dns": {}\n}')  # 040 has no such fix


def test_error_json_and_codes():
    e = CNIError(7, "Invalid Configuration", "Network 192.168.0.0/31 too small to allocate from.")
    assert json.loads(e.to_json()) == {"code": 7, "msg": "Invalid Configuration",
                                       "details": "Network 192.168.0.0/31 too small to allocate from."}
    assert str(e) == "Invalid Configuration; Network 192.168.0.0/31 too small to allocate from."
    assert set(ERROR_CODES) >= {1, 2, 3, 4, 5, 6, 7, 11, 50, 51, 999}
    assert CNIError.from_json(e.to_json()).to_dict() == e.to_dict()


def test_go_json_escapes_html():
    assert go_json({"a": "<&>"}, indent=False) == '{"a":"\\u003c\\u0026\\u003e"}'


def test_versions():
    assert parse_version("") == (0, 1, 0)
    assert version_gte("1.0.0", "0.4.0") and not version_gte("0.3.1", "0.4.0")
    with pytest.raises(ValueError, match="too many parts"):
        parse_version("1.0.0.0")
