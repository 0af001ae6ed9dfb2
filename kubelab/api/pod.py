"""core/v1 Pod: the fields that matter for networking, with the API server's defaults and checks.

Upstream: ``k8s.io/api/core/v1/types.go`` (``PodSpec``, ``Container``,
``ContainerPort``, ``Volume``), ``pkg/apis/core/v1/defaults.go``
(``SetDefaults_Pod``, ``SetDefaults_PodSpec``, ``SetDefaults_ContainerPort``)
and ``pkg/apis/core/validation/validation.go`` (``ValidatePodSpec``,
``validateContainerPorts``, ``validateVolumes``, ``validateDNSPolicy``).

Simplifications: probes, resources, security contexts and most volume types are
kept verbatim (``extra``) and not validated beyond their field names; of the
volume sources only ``emptyDir``, ``hostPath``, ``configMap``, ``secret``,
``persistentVolumeClaim`` and ``projected`` are recognised by name.

Examples
--------
>>> pod = Pod.from_dict({"metadata": {"name": "web"}, "spec": {"containers": [
...     {"name": "nginx", "image": "nginx", "ports": [{"containerPort": 80}]}]}})
>>> pod.default(); pod.spec.dns_policy, pod.spec.containers[0].ports[0].protocol
('ClusterFirst', 'TCP')
>>> pod.validate()
[]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import FieldError
from .meta import APIObject, ObjectMeta
from .schema import Model, spec_field
from .validation import (is_dns1123_label, is_dns1123_subdomain, is_valid_ip, is_valid_port_name,
                         is_valid_port_num)

__all__ = [
    "Pod", "PodSpec", "PodStatus", "Container", "ContainerPort", "EnvVar", "VolumeMount", "Volume",
    "EmptyDirVolumeSource", "HostPathVolumeSource", "PodDNSConfig", "PodDNSConfigOption",
    "PodCondition", "PodIP", "PROTOCOLS",
]

#: The supported protocols, in the order the API server lists them in its messages.
PROTOCOLS = ("SCTP", "TCP", "UDP")
RESTART_POLICIES = ("Always", "OnFailure", "Never")
DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
VOLUME_SOURCES = ("emptyDir", "hostPath", "configMap", "secret", "persistentVolumeClaim", "projected",
                  "downwardAPI", "nfs", "csi", "ephemeral", "image", "iscsi", "cephfs", "rbd", "fc",
                  "awsElasticBlockStore", "gcePersistentDisk", "azureDisk", "azureFile", "gitRepo",
                  "glusterfs", "flocker", "vsphereVolume", "quobyte", "cinder", "flexVolume",
                  "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos")


@dataclass
class ContainerPort(Model):
    _k8s_model: ClassVar[str] = "V1ContainerPort"
    name: str | None = None
    container_port: int | None = None
    host_port: int | None = None
    host_ip: str | None = spec_field(json="hostIP")
    protocol: str | None = None


@dataclass
class EnvVar(Model):
    _k8s_model: ClassVar[str] = "V1EnvVar"
    name: str | None = None
    value: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # valueFrom


@dataclass
class VolumeMount(Model):
    _k8s_model: ClassVar[str] = "V1VolumeMount"
    name: str | None = None
    mount_path: str | None = None
    read_only: bool | None = None
    sub_path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Container(Model):
    _k8s_model: ClassVar[str] = "V1Container"
    name: str | None = None
    image: str | None = None
    command: list[str] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    ports: list[ContainerPort] = field(default_factory=list)
    env: list[EnvVar] = field(default_factory=list)
    volume_mounts: list[VolumeMount] = field(default_factory=list)
    image_pull_policy: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class EmptyDirVolumeSource(Model):
    _k8s_model: ClassVar[str] = "V1EmptyDirVolumeSource"
    medium: str | None = None
    size_limit: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class HostPathVolumeSource(Model):
    _k8s_model: ClassVar[str] = "V1HostPathVolumeSource"
    path: str | None = None
    type: str | None = None


@dataclass
class Volume(Model):
    """A pod volume; ``source`` names its type (``emptyDir``, ``hostPath``, ...)."""

    _k8s_model: ClassVar[str] = "V1Volume"
    name: str | None = None
    empty_dir: EmptyDirVolumeSource | None = None
    host_path: HostPathVolumeSource | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def sources(self) -> list[str]:
        found = []
        if self.empty_dir is not None:
            found.append("emptyDir")
        if self.host_path is not None:
            found.append("hostPath")
        found.extend(k for k in self.extra if k in VOLUME_SOURCES)
        return found

    @property
    def source(self) -> str | None:
        s = self.sources
        return s[0] if s else None


@dataclass
class PodDNSConfigOption(Model):
    _k8s_model: ClassVar[str] = "V1PodDNSConfigOption"
    name: str | None = None
    value: str | None = None


@dataclass
class PodDNSConfig(Model):
    _k8s_model: ClassVar[str] = "V1PodDNSConfig"
    nameservers: list[str] = field(default_factory=list)
    searches: list[str] = field(default_factory=list)
    options: list[PodDNSConfigOption] = field(default_factory=list)


@dataclass
class PodSpec(Model):
    _k8s_model: ClassVar[str] = "V1PodSpec"
    containers: list[Container] = field(default_factory=list)
    init_containers: list[Container] = field(default_factory=list)
    volumes: list[Volume] = field(default_factory=list)
    node_name: str | None = None
    host_network: bool | None = None
    host_pid: bool | None = spec_field(json="hostPID")
    host_ipc: bool | None = spec_field(json="hostIPC")
    share_process_namespace: bool | None = None
    restart_policy: str | None = None
    dns_policy: str | None = None
    dns_config: PodDNSConfig | None = None
    enable_service_links: bool | None = None
    hostname: str | None = None
    subdomain: str | None = None
    set_hostname_as_fqdn: bool | None = spec_field(json="setHostnameAsFQDN")
    termination_grace_period_seconds: int | None = None
    scheduler_name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def all_containers(self) -> list[Container]:
        """Init containers then app containers (both live in the pod's sandbox)."""
        return [*self.init_containers, *self.containers]


@dataclass
class PodCondition(Model):
    _k8s_model: ClassVar[str] = "V1PodCondition"
    type: str | None = None
    status: str | None = None
    reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class PodIP(Model):
    _k8s_model: ClassVar[str] = "V1PodIP"
    ip: str | None = None


@dataclass
class PodStatus(Model):
    _k8s_model: ClassVar[str] = "V1PodStatus"
    phase: str | None = None
    pod_ip: str | None = spec_field(json="podIP")
    pod_ips: list[PodIP] = spec_field(json="podIPs", factory=list)
    host_ip: str | None = spec_field(json="hostIP")
    conditions: list[PodCondition] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def _image_pull_policy(image: str | None) -> str:
    """``SetDefaults_Container``: Always for ``:latest`` or an untagged image, else IfNotPresent."""
    if not image:
        return "IfNotPresent"
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else ""
    if "@" in image:
        return "IfNotPresent"
    return "Always" if tag in ("", "latest") else "IfNotPresent"


@dataclass
class Pod(APIObject):
    """A Pod.  ``spec`` is required; ``status`` is what kubelet reports (podIP, phase, conditions)."""

    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "Pod"
    plural: ClassVar[str] = "pods"
    short_names: ClassVar[tuple[str, ...]] = ("po",)
    _k8s_model: ClassVar[str] = "V1Pod"
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: PodSpec = field(default_factory=PodSpec)
    status: PodStatus = field(default_factory=PodStatus)

    def default(self) -> None:
        super().default()
        s = self.spec
        s.restart_policy = s.restart_policy or "Always"
        s.dns_policy = s.dns_policy or "ClusterFirst"
        if s.enable_service_links is None:
            s.enable_service_links = True
        if s.termination_grace_period_seconds is None:
            s.termination_grace_period_seconds = 30
        s.scheduler_name = s.scheduler_name or "default-scheduler"
        for c in s.all_containers():
            c.image_pull_policy = c.image_pull_policy or _image_pull_policy(c.image)
            for p in c.ports:
                p.protocol = p.protocol or "TCP"
                if s.host_network and not p.host_port:  # 0 is Go's "unset"
                    p.host_port = p.container_port  # defaultHostNetworkPorts
        if self.status.pod_ip and not self.status.pod_ips:
            self.status.pod_ips = [PodIP(ip=self.status.pod_ip)]

    def validate(self) -> list[FieldError]:
        errs = super().validate()
        s = self.spec
        vol_names: set[str] = set()
        for i, v in enumerate(s.volumes):
            p = f"spec.volumes[{i}]"
            if not v.name:
                errs.append(FieldError.required(f"{p}.name"))
            else:
                errs.extend(FieldError.invalid(f"{p}.name", v.name, m) for m in is_dns1123_label(v.name))
                if v.name in vol_names:
                    errs.append(FieldError.duplicate(f"{p}.name", v.name))
                vol_names.add(v.name)
            if not v.sources:
                errs.append(FieldError.required(p, "must specify a volume type"))
            elif len(v.sources) > 1:
                errs.append(FieldError.forbidden(f"{p}.{v.sources[1]}", "may not specify more than 1 volume type"))
            if v.host_path is not None and not v.host_path.path:
                errs.append(FieldError.required(f"{p}.hostPath.path"))
            if v.empty_dir is not None and v.empty_dir.medium not in (None, "", "Memory", "HugePages"):
                errs.append(FieldError.not_supported(f"{p}.emptyDir.medium", v.empty_dir.medium,
                                                     ["", "Memory", "HugePages"]))
        if not s.containers:
            errs.append(FieldError.required("spec.containers"))
        names: set[str] = set()
        for group, items in (("initContainers", s.init_containers), ("containers", s.containers)):
            for i, c in enumerate(items):
                errs.extend(self._validate_container(c, f"spec.{group}[{i}]", names, vol_names))
        if s.restart_policy not in RESTART_POLICIES:
            errs.append(FieldError.not_supported("spec.restartPolicy", s.restart_policy, list(RESTART_POLICIES)))
        if s.dns_policy not in DNS_POLICIES:
            errs.append(FieldError.not_supported("spec.dnsPolicy", s.dns_policy, list(DNS_POLICIES)))
        if s.dns_policy == "None" and s.dns_config is None:
            errs.append(FieldError.required("spec.dnsConfig", "must provide `dnsConfig` when `dnsPolicy` is None"))
        if s.dns_config is not None:
            errs.extend(_validate_dns_config(s.dns_config, s.dns_policy))
        if s.share_process_namespace and s.host_pid:
            errs.append(FieldError.invalid("spec.securityContext.shareProcessNamespace", True,
                                           "ShareProcessNamespace and HostPID cannot both be enabled"))
        for fname, val in (("hostname", s.hostname), ("subdomain", s.subdomain)):
            if val:
                errs.extend(FieldError.invalid(f"spec.{fname}", val, m) for m in is_dns1123_label(val))
        if s.node_name:
            errs.extend(FieldError.invalid("spec.nodeName", s.node_name, m) for m in is_dns1123_subdomain(s.node_name))
        st = self.status
        for fname, val in (("podIP", st.pod_ip), ("hostIP", st.host_ip)):
            if val:
                errs.extend(FieldError.invalid(f"status.{fname}", val, m) for m in is_valid_ip(val))
        for i, pip in enumerate(st.pod_ips):
            if not pip.ip:
                errs.append(FieldError.required(f"status.podIPs[{i}].ip"))
            else:
                errs.extend(FieldError.invalid(f"status.podIPs[{i}].ip", pip.ip, m) for m in is_valid_ip(pip.ip))
        if st.pod_ip and st.pod_ips and st.pod_ips[0].ip != st.pod_ip:
            errs.append(FieldError.invalid("status.podIPs[0].ip", st.pod_ips[0].ip, "must match status.podIP"))
        return errs

    def _validate_container(self, c: Container, p: str, names: set[str], vol_names: set[str]) -> list[FieldError]:
        errs: list[FieldError] = []
        if not c.name:
            errs.append(FieldError.required(f"{p}.name"))
        else:
            msgs = is_dns1123_label(c.name)
            if msgs:
                errs.extend(FieldError.invalid(f"{p}.name", c.name, m) for m in msgs)
            if c.name in names:
                errs.append(FieldError.duplicate(f"{p}.name", c.name))
            names.add(c.name)
        if not c.image:
            errs.append(FieldError.required(f"{p}.image"))
        port_names: set[str] = set()
        for j, port in enumerate(c.ports):
            pp = f"{p}.ports[{j}]"
            if port.name:
                errs.extend(FieldError.invalid(f"{pp}.name", port.name, m) for m in is_valid_port_name(port.name))
                if port.name in port_names:
                    errs.append(FieldError.duplicate(f"{pp}.name", port.name))
                port_names.add(port.name)
            if port.container_port is None or port.container_port == 0:
                errs.append(FieldError.required(f"{pp}.containerPort"))
            else:
                msgs = is_valid_port_num(port.container_port)
                if msgs:
                    errs.extend(FieldError.invalid(f"{pp}.containerPort", port.container_port, m) for m in msgs)
            if port.host_port:
                errs.extend(FieldError.invalid(f"{pp}.hostPort", port.host_port, m)
                            for m in is_valid_port_num(port.host_port))
                if self.spec.host_network and port.host_port != port.container_port:
                    errs.append(FieldError.invalid(f"{pp}.hostPort", port.host_port,
                                                   "must match `containerPort` when `hostNetwork` is true"))
            if port.protocol not in PROTOCOLS:
                errs.append(FieldError.not_supported(f"{pp}.protocol", port.protocol, list(PROTOCOLS)))
            if port.host_ip:
                errs.extend(FieldError.invalid(f"{pp}.hostIP", port.host_ip, m) for m in is_valid_ip(port.host_ip))
        env_names = set()
        for j, e in enumerate(c.env):
            if not e.name:
                errs.append(FieldError.required(f"{p}.env[{j}].name"))
            env_names.add(e.name)
        for j, m in enumerate(c.volume_mounts):
            mp = f"{p}.volumeMounts[{j}]"
            if not m.name:
                errs.append(FieldError.required(f"{mp}.name"))
            elif m.name not in vol_names:
                errs.append(FieldError.not_found(f"{mp}.name", m.name))
            if not m.mount_path:
                errs.append(FieldError.required(f"{mp}.mountPath"))
        return errs


def _validate_dns_config(cfg: PodDNSConfig, policy: str | None) -> list[FieldError]:
    errs: list[FieldError] = []
    if len(cfg.nameservers) > 3:
        errs.append(FieldError.invalid("spec.dnsConfig.nameservers", cfg.nameservers,
                                       "must not have more than 3 nameservers"))
    for i, ns in enumerate(cfg.nameservers):
        errs.extend(FieldError.invalid(f"spec.dnsConfig.nameservers[{i}]", ns, m) for m in is_valid_ip(ns))
    if policy == "None" and not cfg.nameservers:
        errs.append(FieldError.required("spec.dnsConfig.nameservers",
                                        "must provide at least one DNS nameserver when `dnsPolicy` is None"))
    if len(cfg.searches) > 32:
        errs.append(FieldError.invalid("spec.dnsConfig.searches", cfg.searches,
                                       "must not have more than 32 search paths"))
    for i, s in enumerate(cfg.searches):
        name = s[:-1] if s.endswith(".") else s
        errs.extend(FieldError.invalid(f"spec.dnsConfig.searches[{i}]", s, m) for m in is_dns1123_subdomain(name))
    for i, o in enumerate(cfg.options):
        if not o.name:
            errs.append(FieldError.required(f"spec.dnsConfig.options[{i}].name", "Option.Name must not be empty"))
    return errs
