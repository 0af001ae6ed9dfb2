"""kops create cluster: the chapter's example, kops' ranges and names, one-line errors."""

from __future__ import annotations

import pytest

from kubelab.cni.plugins import plugin_for
from kubelab import kops
from kubelab.errors import KubelabError
from kubelab.kops import CHAPTER_EXAMPLE, build, parse
from kubelab.net import connect


def test_chapter_example_parses():
    kc = parse(CHAPTER_EXAMPLE)
    assert kc.name == "k8s-clusters.example.com" and kc.region == "us-east-1"
    assert kc.zones == ["us-east-1d", "us-east-1b", "us-east-1c"] == kc.control_plane_zones
    assert (kc.node_count, kc.node_size, kc.control_plane_count, kc.control_plane_size) == (3, "m4.large", 3, "m4.large")
    assert (kc.networking, kc.cni, kc.topology, kc.bastion, kc.yes) == ("calico", "calico", "private", True, True)
    assert kc.state == "s3://my-state-store"
    assert [g.name for g in kc.instance_groups] == ["master-us-east-1d", "master-us-east-1b", "master-us-east-1c",
                                                   "nodes", "bastions"]
    assert kc.subnets == {"us-east-1d": "172.20.32.0/19", "us-east-1b": "172.20.64.0/19",
                          "us-east-1c": "172.20.96.0/19"}
    assert kc.utility_subnets["us-east-1d"] == "172.20.0.0/22"


def test_environment_overrides_the_script_defaults():
    kc = parse(CHAPTER_EXAMPLE, env={"NODE_SIZE": "c5.xlarge", "ZONES": "eu-west-1a"})
    assert kc.node_size == "c5.xlarge" and kc.zones == ["eu-west-1a"] and kc.control_plane_count == 1


def test_build_gives_a_kubelab_cluster_with_kops_ranges():
    c = build(CHAPTER_EXAMPLE)
    assert c.settings.cni == "calico" and c.settings.pod_cidr == "100.96.0.0/11"
    assert c.service_cidrs == ["100.64.0.0/13"] and c.settings.cluster_dns == "100.64.0.10"
    names = [n.name for n in c.nodes()]
    assert names[0] == "ip-172-20-32-10.ec2.internal" and len(names) == 6
    assert [n.spec.pod_cidrs[0] for n in c.nodes()][:2] == ["100.96.0.0/24", "100.96.1.0/24"]
    workers = [n for n in c.nodes() if "node-role.kubernetes.io/control-plane" not in n.metadata.labels]
    assert [n.metadata.labels["topology.kubernetes.io/zone"] for n in workers] == ["us-east-1d", "us-east-1b",
                                                                                    "us-east-1c"]
    assert plugin_for(c).node_subnets[workers[1].name] == "172.20.64.0/19"


def test_crosssubnet_between_zones_in_a_kops_cluster():
    c = build(CHAPTER_EXAMPLE)
    c.cni_options["encapsulation"] = "IPIPCrossSubnet"
    workers = [n.name for n in c.nodes() if "node-role.kubernetes.io/control-plane" not in n.metadata.labels]
    import yaml
    c.apply([yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": n},
                             "spec": {"nodeName": w, "containers": [{"name": "c", "image": "x"}]}})
             for n, w in (("a", workers[0]), ("b", workers[1]))])
    t = connect(c, "a", c.pod("b").status.pod_ip, 80)
    assert t.verdict == "delivered"
    assert any(h.kind == "encap" and "172.20.32.11 -> 172.20.64.11" in h.detail for h in t.hops)


@pytest.mark.parametrize("argv,message", [
    ("--node-cout 3", r"unknown flag: --node-cout \(did you mean --node-count\?\)"),
    ("--frobnicate", r"unknown flag: --frobnicate$"),
    ("--node-count three", r'invalid argument "three" for "--node-count" flag'),
    ("--bastion=maybe", r'invalid argument "maybe" for "--bastion" flag'),
    ("--networking calcio", r'unknown networking mode "calcio" \(did you mean "calico"\?\)'),
    ("--networking amazonvpc", r"kubelab has no model of it"),
    ("--topology hybrid", r'--topology: invalid value "hybrid"'),
    ("--topology public --bastion", r"bastion supports --topology='private' only"),
    ("--master-count 2", r"odd number"),
    ("--master-zones us-west-2a", r"is not one of --zones"),
    ("--zones", r"flag needs an argument: --zones"),
])
def test_errors_are_one_line(argv, message):
    cmd = "kops create cluster demo.example.com --zones us-east-1a " + argv
    with pytest.raises(KubelabError, match=message) as exc:
        parse(cmd)
    assert "\n" not in str(exc.value)


def test_missing_zone_name_and_control_plane_aliases():
    with pytest.raises(KubelabError, match="at least one zone"):
        parse("kops create cluster demo.example.com")
    with pytest.raises(KubelabError, match="--name is required"):
        parse("kops create cluster --zones us-east-1a")
    kc = parse(["--name=demo.example.com", "--zones=us-east-1a,us-east-1b,us-east-1c", "--control-plane-size",
                "c5.large", "--control-plane-zones", "us-east-1a", "-t", "private", "-y", "--networking=cilium"])
    assert (kc.control_plane_size, kc.control_plane_count, kc.topology, kc.yes, kc.cni) == ("c5.large", 1, "private",
                                                                                            True, "cilium")
    assert parse("kops create cluster x.example.com --zones us-east-1a").cni == "bridge"  # kubenet, kops' old default


def test_modernize_renames_every_master_flag_and_keeps_the_cluster():
    new, renamed = kops.modernize(kops.CHAPTER_EXAMPLE)
    assert "--master-" not in new and renamed == [("--master-size", "--control-plane-size"),
                                                   ("--master-zones", "--control-plane-zones")]
    assert kops.parse(new) == kops.parse(kops.CHAPTER_EXAMPLE)
    # the env variable MASTER_SIZE and values are not flags: unchanged
    assert "export MASTER_SIZE=${MASTER_SIZE:-m4.large}" in new and "$MASTER_SIZE" in new
    every = " ".join(f"--{old}=1" for old in kops.RENAMED)
    assert set(kops.RENAMED.values()) == {w[2:].split("=")[0] for w in kops.modernize(every)[0].split()}
    assert all(new_name in kops.FLAGS for new_name in kops.RENAMED.values())
    assert kops.modernize("kops create cluster x --zones a --master-zones-extra 1")[1] == []
