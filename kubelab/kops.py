"""``kops create cluster …``: parse the command line into the cluster kops would build.

The chapter creates its Calico cluster with kops (Kubernetes Operations)::

    export NODE_SIZE=${NODE_SIZE:-m4.large}
    export MASTER_SIZE=${MASTER_SIZE:-m4.large}
    export ZONES=${ZONES:-'us-east-1d,us-east-1b,us-east-1c'}
    export KOPS_STATE_STORE='s3://my-state-store'
    kops create cluster k8s-clusters.example.com \\
      --node-count 3 --zones $ZONES --node-size $NODE_SIZE --master-size $MASTER_SIZE \\
      --master-zones $ZONES --networking calico --topology private --bastion='true' --yes

:func:`parse` reads such text (the ``export NAME=${NAME:-default}`` lines too, with their
defaults, and line continuations), splits the command with :mod:`shlex`, and checks each
flag against the ``kops create cluster`` option list (kubernetes/kops
``docs/cli/kops_create_cluster.md``, the kops 1.1x text the chapter used, plus the
``--control-plane-*`` names that replaced ``--master-*`` in kops 1.26).  Flags follow
pflag: ``--flag value``, ``--flag=value``; booleans take no separate value
(``--bastion`` or ``--bastion=true``).  :meth:`KopsCluster.build` turns the result into a
kubelab :class:`~kubelab.cluster.Cluster`.

What kops would build, as modelled:

- AWS only (the zones name the region: ``us-east-1d`` -> ``us-east-1``);
- one control-plane instance group per control-plane zone, ``master-<zone>`` (default
  count: one per ``--master-zones`` zone, else one in the first zone; an even number of
  etcd members is refused), and one ``nodes`` group of ``--node-count`` instances (default:
  one per zone) spread over the zones in turn, as the AWS auto scaling group balances them;
  ``--bastion`` adds a ``bastions`` group (not a Kubernetes node; private topology only);
- the VPC ``172.20.0.0/16`` (``--network-cidr``); with ``--topology private`` one private
  ``/19`` per zone from ``172.20.32.0`` and one utility (public) ``/22`` per zone from
  ``172.20.0.0``; with ``public``, one public ``/19`` per zone;
- kops' Kubernetes ranges: pods ``100.96.0.0/11`` (one ``/24`` per node), Services
  ``100.64.0.0/13`` (so kube-dns at ``100.64.0.10``), inside the non-masquerade range
  ``100.64.0.0/10``;
- node names as EC2 private DNS names, ``ip-172-20-45-12.ec2.internal`` (``us-east-1``) or
  ``ip-…<region>.compute.internal``; addresses are picked in order in each subnet (EC2
  picks them at random);
- ``--networking`` picks the kubelab CNI model (``kubenet`` is kops' old default: a
  bridge plugin with routes from the cloud, modelled by ``bridge``).

Left out: every cloud resource (VPC, NAT gateways, load balancer for the API, DNS, IAM),
other clouds, ``--dry-run -o yaml`` output, instance-group specs beyond size and count.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from .errors import KubelabError

__all__ = ["KopsCluster", "InstanceGroup", "parse", "build", "modernize", "FLAGS", "RENAMED", "NETWORKING", "CHAPTER_EXAMPLE"]

CHAPTER_EXAMPLE = """\
export NODE_SIZE=${NODE_SIZE:-m4.large}
export MASTER_SIZE=${MASTER_SIZE:-m4.large}
export ZONES=${ZONES:-'us-east-1d,us-east-1b,us-east-1c'}
export KOPS_STATE_STORE='s3://my-state-store'
kops create cluster k8s-clusters.example.com \\
--node-count 3 \\
--zones $ZONES \\
--node-size $NODE_SIZE \\
--master-size $MASTER_SIZE \\
--master-zones $ZONES \\
--networking calico \\
--topology private \\
--bastion='true' \\
--yes
"""

# flag -> (type, destination); types: str, int, bool, list (comma separated, repeatable)
_F = {
    "admin-access": "list", "api-loadbalancer-type": "str", "api-ssl-certificate": "str",
    "associate-public-ip": "bool", "authorization": "str", "bastion": "bool", "channel": "str", "cloud": "str",
    "cloud-labels": "str", "container-runtime": "str", "disable-subnet-tags": "bool", "dns": "str",
    "dns-zone": "str", "dry-run": "bool", "encrypt-etcd-storage": "bool", "etcd-storage-type": "str",
    "gce-service-account": "str", "help": "bool", "image": "str", "kubernetes-version": "str",
    "master-count": "int", "master-image": "str", "master-public-name": "str", "master-security-groups": "list",
    "master-size": "str", "master-tenancy": "str", "master-volume-size": "int", "master-zones": "list",
    "control-plane-count": "int", "control-plane-image": "str", "control-plane-security-groups": "list",
    "control-plane-size": "str", "control-plane-tenancy": "str", "control-plane-volume-size": "int",
    "control-plane-zones": "list", "model": "str", "network-cidr": "str", "networking": "str", "node-count": "int",
    "node-image": "str", "node-security-groups": "list", "node-size": "str", "node-tenancy": "str",
    "node-volume-size": "int", "out": "str", "output": "str", "project": "str", "ssh-access": "list",
    "ssh-public-key": "str", "subnets": "list", "target": "str", "topology": "str", "utility-subnets": "list",
    "vpc": "str", "yes": "bool", "zones": "list",
    # inherited from `kops`
    "config": "str", "name": "str", "state": "str", "v": "int",
}
#: ``kops create cluster`` flags kubelab knows, with their value type
FLAGS: dict[str, str] = dict(_F)
_SHORT = {"y": "yes", "t": "topology", "o": "output", "h": "help", "v": "v"}
#: --control-plane-* are the kops 1.26+ names of --master-*
_ALIASES = {f"control-plane-{k}": f"master-{k}" for k in ("count", "image", "security-groups", "size", "tenancy",
                                                           "volume-size", "zones")}

#: kops 1.26 renamed the ``--master-*`` flags (old name -> new name; ``SetNormalizeFunc`` in
#: ``cmd/kops/create_cluster.go`` at v1.26.0 still accepts the old names, and from v1.28.0 pflag's
#: ``MarkDeprecated`` prints "Flag --master-size has been deprecated, use --control-plane-size instead")
RENAMED: dict[str, str] = {old: new for new, old in _ALIASES.items()}

#: kops --networking value -> (kubelab CNI model, model options); None: no model
NETWORKING: dict[str, tuple[str, dict] | None] = {
    "kubenet": ("bridge", {}), "classic": None, "external": None, "cni": None,
    "calico": ("calico", {}), "canal": ("canal", {}), "weave": ("weave", {}),
    "flannel": ("flannel", {}), "flannel-vxlan": ("flannel", {}), "flannel-udp": ("flannel", {"backend": "udp"}),
    "kube-router": ("kube-router", {}), "cilium": ("cilium", {}), "cilium-etcd": ("cilium", {}),
    "cilium-eni": None, "amazonvpc": None, "amazon-vpc-routed-eni": None, "lyftvpc": None, "gce": None,
    "kopeio-vxlan": None, "kopeio": None, "romana": None, "kindnet": ("kindnet", {}),
}
_ZONE = re.compile(r"^([a-z]{2}(?:-gov)?-[a-z]+-\d)([a-z])$")
KOPS_NETWORK_CIDR = "172.20.0.0/16"
KOPS_POD_CIDR = "100.96.0.0/11"
KOPS_SERVICE_CIDR = "100.64.0.0/13"
KOPS_NON_MASQUERADE_CIDR = "100.64.0.0/10"


@dataclass
class InstanceGroup:
    name: str
    role: str  # Master, Node, Bastion
    machine_type: str
    size: int
    zones: list[str]


@dataclass
class KopsCluster:
    """The cluster a ``kops create cluster`` command would create."""

    name: str
    zones: list[str]
    control_plane_zones: list[str]
    control_plane_count: int
    control_plane_size: str
    node_count: int
    node_size: str
    networking: str
    topology: str = "public"
    bastion: bool = False
    network_cidr: str = KOPS_NETWORK_CIDR
    pod_cidr: str = KOPS_POD_CIDR
    service_cidr: str = KOPS_SERVICE_CIDR
    non_masquerade_cidr: str = KOPS_NON_MASQUERADE_CIDR
    state: str | None = None
    yes: bool = False
    flags: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def region(self) -> str:
        return _region(self.zones[0])

    @property
    def cni(self) -> str:
        model = NETWORKING[self.networking]
        assert model is not None
        return model[0]

    @property
    def subnets(self) -> dict[str, str]:
        """Zone -> the subnet its instances live in (private with a private topology)."""
        net = ipaddress.ip_network(self.network_cidr)
        nineteens = list(net.subnets(new_prefix=19)) if net.prefixlen <= 19 else []
        if len(nineteens) < len(self.zones) + 1:
            raise KubelabError(f"--network-cidr {self.network_cidr} is too small for {len(self.zones)} zones")
        return {z: str(nineteens[i + 1]) for i, z in enumerate(self.zones)}

    @property
    def utility_subnets(self) -> dict[str, str]:
        """Zone -> its utility (public) subnet, for NAT gateways, load balancers and the bastion (private topology)."""
        if self.topology != "private":
            return {}
        first = list(ipaddress.ip_network(self.network_cidr).subnets(new_prefix=19))[0]
        twentytwos = list(first.subnets(new_prefix=22))
        return {z: str(twentytwos[i]) for i, z in enumerate(self.zones)}

    @property
    def instance_groups(self) -> list[InstanceGroup]:
        counts = {z: 0 for z in self.control_plane_zones}
        for i in range(self.control_plane_count):
            counts[self.control_plane_zones[i % len(self.control_plane_zones)]] += 1
        groups = [InstanceGroup(f"master-{z}", "Master", self.control_plane_size, n, [z])
                  for z, n in counts.items() if n]
        groups.append(InstanceGroup("nodes", "Node", self.node_size, self.node_count, list(self.zones)))
        if self.bastion:
            groups.append(InstanceGroup("bastions", "Bastion", "t2.micro", 1, list(self.zones)))
        return groups

    def nodes(self) -> list[tuple[str, str, str, bool]]:
        """``(node name, IP, zone, control plane?)`` for every Kubernetes node, control plane first."""
        used: dict[str, int] = {}
        out = []

        def place(zone: str, cp: bool) -> None:
            subnet = ipaddress.ip_network(self.subnets[zone])
            used[zone] = used.get(zone, 0) + 1
            ip = str(subnet[9 + used[zone]])  # AWS keeps the first 4 addresses; start a little further
            out.append((_ec2_name(ip, self.region), ip, zone, cp))

        for g in self.instance_groups:
            if g.role == "Master":
                for _ in range(g.size):
                    place(g.zones[0], True)
        for i in range(self.node_count):
            place(self.zones[i % len(self.zones)], False)
        return out

    def build(self, **cluster_kw: Any):
        """A kubelab :class:`~kubelab.cluster.Cluster` with these nodes, kops' ranges and the CNI model."""
        from .cluster import Cluster
        from .cluster.system import node_manifest

        docs = []
        for name, ip, zone, cp in self.nodes():
            doc = node_manifest(name, ip, cp)
            labels = doc["metadata"]["labels"]
            labels["topology.kubernetes.io/zone"] = zone
            labels["topology.kubernetes.io/region"] = self.region
            labels["node.kubernetes.io/instance-type"] = self.control_plane_size if cp else self.node_size
            labels["kops.k8s.io/instancegroup"] = f"master-{zone}" if cp else "nodes"
            if cp:
                labels["node-role.kubernetes.io/master"] = ""
            docs.append(doc)
        cluster = Cluster(docs, pod_cidr=self.pod_cidr, service_cidrs=[self.service_cidr], cni=self.cni, **cluster_kw)
        node_subnets = {name: self.subnets[zone] for name, _ip, zone, _cp in self.nodes()}
        model = NETWORKING[self.networking]
        cluster.cni_options = {"node_subnets": node_subnets, **(model[1] if model else {})}
        return cluster

    def lines(self) -> list[str]:
        out = [f"cluster {self.name} in {self.region} ({', '.join(self.zones)}), topology {self.topology}, "
               f"networking {self.networking} (kubelab model: {self.cni})"]
        for g in self.instance_groups:
            out.append(f"  instance group {g.name}: {g.role}, {g.size} x {g.machine_type} in {', '.join(g.zones)}")
        for z in self.zones:
            util = self.utility_subnets.get(z)
            out.append(f"  zone {z}: subnet {self.subnets[z]}" + (f", utility {util}" if util else ""))
        out.append(f"  pods {self.pod_cidr} (a /24 per node), services {self.service_cidr}")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _region(zone: str) -> str:
    m = _ZONE.match(zone)
    if not m:
        raise KubelabError(f'--zones: "{zone}" is not an AWS availability zone (like us-east-1a)')
    return m.group(1)


def _ec2_name(ip: str, region: str) -> str:
    suffix = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
    return "ip-" + ip.replace(".", "-") + "." + suffix


# --------------------------------------------------------------------------- the shell part
_VAR = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)")


def _expand(text: str, env: dict[str, str]) -> str:
    def sub(m: re.Match) -> str:
        name = m.group(1) or m.group(3)
        if name in env and env[name] != "":
            return env[name]
        return m.group(2) or ""
    return _VAR.sub(sub, text)


def _logical_lines(text: str) -> list[str]:
    return [ln.strip() for ln in re.sub(r"\\\r?\n", " ", text).splitlines() if ln.strip()
            and not ln.strip().startswith("#")]


def parse(text: str | list[str], env: dict[str, str] | None = None) -> KopsCluster:
    """Parse a ``kops create cluster`` command (with its ``export`` lines) into a :class:`KopsCluster`.

    ``env`` is the environment the ``${VAR:-default}`` expansions see (none by default, so
    the script's own defaults apply; ``os.environ`` is never read).

    >>> kc = parse(CHAPTER_EXAMPLE)
    >>> kc.networking, kc.node_count, kc.control_plane_count, kc.topology, kc.bastion
    ('calico', 3, 3, 'private', True)
    """
    env = dict(env or {})
    if isinstance(text, list):
        args = list(text)
    else:
        args = None
        for line in _logical_lines(text):
            line = _expand(line, env)
            words = shlex.split(line, comments=True)
            if not words:
                continue
            if words[0] == "export" or all("=" in w for w in words):
                for w in words[1:] if words[0] == "export" else words:
                    k, _, v = w.partition("=")
                    env[k] = v
                continue
            if words[:3] == ["kops", "create", "cluster"]:
                if args is not None:
                    raise KubelabError("more than one `kops create cluster` command in the text")
                args = words[3:]
                continue
            raise KubelabError(f"not a kops create cluster command or an export: {line!r}")
        if args is None:
            raise KubelabError("no `kops create cluster` command in the text")
    if args[:3] == ["kops", "create", "cluster"]:
        args = args[3:]
    return _from_args(args, env)


def _flag_error(flag: str) -> KubelabError:
    near = difflib.get_close_matches(flag, list(FLAGS), n=1, cutoff=0.75)
    hint = f" (did you mean --{near[0]}?)" if near else ""
    return KubelabError(f"unknown flag: --{flag}{hint}")


def _convert(flag: str, kind: str, value: str) -> Any:
    if kind == "bool":
        low = value.lower()
        if low in ("1", "t", "true"):
            return True
        if low in ("0", "f", "false"):
            return False
        raise KubelabError(f'invalid argument "{value}" for "--{flag}" flag: strconv.ParseBool: parsing '
                           f'"{value}": invalid syntax')
    if kind == "int":
        try:
            return int(value, 10)
        except ValueError:
            raise KubelabError(f'invalid argument "{value}" for "--{flag}" flag: strconv.ParseInt: parsing '
                               f'"{value}": invalid syntax') from None
    if kind == "list":
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


def _from_args(args: list[str], env: dict[str, str]) -> KopsCluster:
    values: dict[str, Any] = {}
    positional: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        if word == "--":
            positional.extend(args[i:])
            break
        if not word.startswith("-") or word == "-":
            positional.append(word)
            continue
        if word.startswith("--"):
            flag, eq, value = word[2:].partition("=")
        else:
            short, eq, value = word[1:].partition("=")
            if short[:1] not in _SHORT:
                raise KubelabError(f"unknown shorthand flag: '{short[:1]}' in {word}")
            flag = _SHORT[short[:1]]
            if not eq and len(short) > 1:
                eq, value = "=", short[1:]
        if flag not in FLAGS:
            raise _flag_error(flag)
        kind = FLAGS[flag]
        if not eq:
            if kind == "bool":
                value = "true"
            elif i < len(args):
                value = args[i]
                i += 1
            else:
                raise KubelabError(f"flag needs an argument: --{flag}")
        converted = _convert(flag, kind, value)
        key = _ALIASES.get(flag, flag)
        if kind == "list":
            values[key] = values.get(key, []) + converted
        else:
            values[key] = converted
    if values.get("help"):
        raise KubelabError("--help: see `kops create cluster --help`; kubelab only models the cluster it creates")
    name = values.get("name") or env.get("KOPS_CLUSTER_NAME")
    if positional:
        if len(positional) > 1:
            raise KubelabError(f"expected one cluster name, got {len(positional)}: {' '.join(positional)}")
        if name and name != positional[0]:
            raise KubelabError(f'--name "{name}" and the cluster name "{positional[0]}" differ')
        name = positional[0]
    if not name:
        raise KubelabError("--name is required (or the cluster name as the argument)")
    zones = values.get("zones") or []
    if not zones:
        raise KubelabError("must specify at least one zone for the cluster (use --zones)")
    for z in zones:
        _region(z)
    if len(set(zones)) != len(zones):
        raise KubelabError(f"--zones: a zone is listed twice: {','.join(zones)}")
    if len({_region(z) for z in zones}) > 1:
        raise KubelabError(f"--zones: all zones must be in one region: {','.join(zones)}")
    cp_zones = values.get("master-zones") or []
    for z in cp_zones:
        if z not in zones:
            _region(z)
            raise KubelabError(f'--master-zones: zone "{z}" is not one of --zones ({",".join(zones)})')
    cp_count = values.get("master-count")
    if cp_count is None:
        cp_count = len(cp_zones) or 1
    if cp_count < 1:
        raise KubelabError(f"--master-count: must be at least 1, got {cp_count}")
    if cp_count % 2 == 0:
        raise KubelabError(f"--master-count {cp_count}: there should be an odd number of control-plane nodes, "
                           "for etcd's quorum")
    node_count = values.get("node-count")
    if node_count is None:
        node_count = len(zones)
    if node_count < 0:
        raise KubelabError(f"--node-count: must not be negative, got {node_count}")
    networking = values.get("networking", "kubenet")
    if networking not in NETWORKING:
        near = difflib.get_close_matches(networking, list(NETWORKING), n=1)
        raise KubelabError(f'--networking: unknown networking mode "{networking}"'
                           + (f' (did you mean "{near[0]}"?)' if near else "")
                           + f": {', '.join(NETWORKING)}")
    if NETWORKING[networking] is None:
        known = ", ".join(k for k, v in NETWORKING.items() if v)
        raise KubelabError(f'--networking {networking}: kops accepts it, but kubelab has no model of it '
                           f"(modelled: {known})")
    topology = values.get("topology", "public")
    if topology not in ("public", "private"):
        raise KubelabError(f'--topology: invalid value "{topology}": public or private')
    bastion = bool(values.get("bastion", False))
    if bastion and topology != "private":
        raise KubelabError("bastion supports --topology='private' only")
    network_cidr = values.get("network-cidr", KOPS_NETWORK_CIDR)
    try:
        ipaddress.ip_network(network_cidr)
    except ValueError as exc:
        raise KubelabError(f'--network-cidr: invalid value "{network_cidr}": {exc}') from None
    cloud = values.get("cloud", "aws")
    if cloud != "aws":
        raise KubelabError(f'--cloud {cloud}: kubelab models AWS clusters only')
    kc = KopsCluster(
        name=name, zones=zones, control_plane_zones=cp_zones or zones[:1], control_plane_count=cp_count,
        control_plane_size=values.get("master-size", "t3.medium"), node_count=node_count,
        node_size=values.get("node-size", "t3.medium"), networking=networking, topology=topology,
        bastion=bastion, network_cidr=network_cidr, state=values.get("state") or env.get("KOPS_STATE_STORE"),
        yes=bool(values.get("yes", False)), flags=values, env=env)
    kc.subnets  # noqa: B018  (checks the network CIDR is big enough)
    return kc


def modernize(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The command with the flag names kops uses since 1.26, and the ``(old, new)`` names it replaced.

    Only flag names change: values, ``export`` lines and line continuations stay as they are, so
    :func:`parse` reads the same cluster from both texts.

    >>> new, renamed = modernize("kops create cluster c.example.com --zones us-east-1a --master-size m4.large")
    >>> new
    'kops create cluster c.example.com --zones us-east-1a --control-plane-size m4.large'
    >>> renamed
    [('--master-size', '--control-plane-size')]
    """
    renamed: list[tuple[str, str]] = []

    def sub(m: re.Match) -> str:
        old = m.group(1)
        if old not in RENAMED:
            return m.group(0)
        pair = (f"--{old}", f"--{RENAMED[old]}")
        if pair not in renamed:
            renamed.append(pair)
        return f"--{RENAMED[old]}"

    return re.sub(r"--([a-z][a-z-]*[a-z])(?=[=\s]|$)", sub, text), renamed


def build(text: str | list[str], env: dict[str, str] | None = None, **cluster_kw: Any):
    """``parse(text, env).build()``: the kubelab Cluster of a kops command line."""
    return parse(text, env).build(**cluster_kw)
