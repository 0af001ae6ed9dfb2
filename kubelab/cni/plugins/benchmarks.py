"""Published CNI throughput figures, read from the benchmark authors' raw result files.

The chapter's Figure 2.9 comes from A. Ducastel's CNI benchmark (ITNEXT, April 2019).  The
2019 run published charts only, but the August 2020 and the 2024 runs published their raw
results in git repositories, and those are what this module reads:

- ``ducastel-2020``: https://github.com/InfraBuilder/benchmark-k8s-cni-2020-08 (commit
  ``d5fa3ef``), ``results/<cni>.u18.04-default/<cni>.u18.04-default-run<N>.tsv``, one line
  per run as written by ``knb -o ibdbench`` (k8s-bench-suite's ``knb``,
  ``compute-ibdbench-result``): MTU, an empty column, then for the idle test the server and
  client RAM (MB) and CPU (a spreadsheet formula), and for pod-to-pod TCP, pod-to-pod UDP,
  pod-to-Service TCP and pod-to-Service UDP the bandwidth (Mbit/s, iperf3's receiver line)
  followed by the same four columns.  10 Gbit/s switch, host MTU 9000, Kubernetes 1.19.
- ``ducastel-2024``: https://github.com/InfraBuilder/benchmark-k8s-cni-2024-01 (commit
  ``3a5c159``), ``results/<cni>/<N>/all.results``, ``KEY=VALUE`` lines written by its
  ``bench.sh``: ``DTS_BW`` (direct pod-to-pod TCP, one stream), ``DTM_BW`` (8 streams),
  ``STS_BW``/``STM_BW`` (the same through a Service), in bit/s (iperf3's
  ``end.sum_received.bits_per_second``).  40 Gbit/s network, Kubernetes 1.26.

The published result lines are kept verbatim in ``kubelab/data/cni-benchmarks.json``
(copied from those files by a script, not typed from the charts) together with the plugin,
variant (``default``, ``wireguard``, ``ipsec``, ``encrypted``), version and file path of
every run; this module parses them and averages the runs, as the author did ("each CNI is
tested 3 times, we retain the mean value", PROTOCOL.md of the 2020 repository).  A run with
no value (one 2024 WireGuard run recorded ``DTS_BW=0``) is left out of the mean and the
number of runs used is kept with the figure.

What the figures are not: a property of the plugin alone.  They depend on the MTU each
install chose (Calico 1440 and Weave Net 1376 by default in 2020 on a 9000-byte network,
against Flannel's 8950 and Cilium's 9000 -- most of the 2020 TCP gap), the kernel, the NIC
and the test.  The two runs used different links (10 and 40 Gbit/s), so compare plugins
within one benchmark, not across them.

>>> m = throughput("flannel", "ducastel-2020")
>>> m.mtu, m.runs
(8950, 3)
>>> throughput("weave", "ducastel-2020").tcp_pod < m.tcp_pod
True
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ...errors import KubelabError

__all__ = ["Measurement", "BENCHMARKS", "benchmark", "runs", "throughput", "measurements", "parse_knb_line",
           "parse_results"]

#: The benchmarks with raw data, oldest first.
BENCHMARKS = ("ducastel-2020", "ducastel-2024")

# knb's ibdbench columns: MTU, "", idle (4 columns), then per test: bandwidth + 4 columns.
_KNB_TESTS = ("tcp_pod", "udp_pod", "tcp_service", "udp_service")
_KNB_FIRST_TEST = 6  # index of the pod-to-pod TCP bandwidth
_KNB_STRIDE = 5
# bench.sh keys (bit/s) -> metric names
_RESULT_KEYS = {"DTS_BW": "tcp_pod", "DTM_BW": "tcp_pod_8_streams", "STS_BW": "tcp_service",
                "STM_BW": "tcp_service_8_streams"}


@dataclass(frozen=True)
class Measurement:
    """The mean of one plugin variant's runs in one benchmark (Mbit/s; ``None``: not measured).

    ``tcp_pod`` is pod-to-pod TCP with one stream on another node, the figure both
    benchmarks share; ``runs`` counts the runs averaged for it.
    """

    plugin: str
    variant: str
    version: str
    benchmark: str
    date: str
    source: str
    link_gbit_s: int
    runs: int
    tcp_pod: float | None
    tcp_service: float | None = None
    udp_pod: float | None = None
    udp_service: float | None = None
    tcp_pod_8_streams: float | None = None
    tcp_service_8_streams: float | None = None
    mtu: int | None = None
    note: str = ""
    paths: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The plugin, with the variant unless it is the default install."""
        if self.plugin == "baremetal":
            return "bare metal (no pods)"
        return self.plugin if self.variant == "default" else f"{self.plugin} ({self.variant})"

    def __str__(self) -> str:
        mtu = f", MTU {self.mtu}" if self.mtu else ""
        return (f"{self.tcp_pod / 1000:.2f} Gbit/s pod-to-pod TCP, one stream "
                f"({self.link_gbit_s} Gbit/s link{mtu}, mean of {self.runs} runs)")


@cache
def _data() -> dict[str, Any]:
    text = resources.files("kubelab").joinpath("data/cni-benchmarks.json").read_text(encoding="utf-8")
    return json.loads(text)["benchmarks"]


def benchmark(name: str) -> dict[str, Any]:
    """The description of benchmark ``name`` (title, article, data repository, commit, date, setup)."""
    try:
        info = _data()[name]
    except KeyError:
        raise KubelabError(f'no benchmark "{name}" with raw data: {", ".join(BENCHMARKS)}') from None
    return {k: v for k, v in info.items() if k != "runs"}


def parse_knb_line(line: str) -> dict[str, float]:
    """The MTU and the four bandwidths (Mbit/s) of one ``knb -o ibdbench`` line.

    >>> parse_knb_line("1500\\t\\t1\\t=0\\t1\\t=0\\t9000\\t1\\t=0\\t1\\t=0\\t2000\\t1\\t=0\\t1\\t=0"
    ...                "\\t8000\\t1\\t=0\\t1\\t=0\\t1900\\t1\\t=0\\t1\\t=0")["udp_pod"]
    2000.0
    """
    cols = line.rstrip("\n").split("\t")
    expected = _KNB_FIRST_TEST + _KNB_STRIDE * len(_KNB_TESTS)
    if len(cols) != expected:
        raise KubelabError(f"knb ibdbench line: {len(cols)} columns, expected {expected}")
    out = {"mtu": float(cols[0])}
    for i, name in enumerate(_KNB_TESTS):
        out[name] = float(cols[_KNB_FIRST_TEST + i * _KNB_STRIDE])
    return out


def parse_results(values: dict[str, str]) -> dict[str, float]:
    """bench.sh's ``*_BW`` values (bit/s) as Mbit/s; a zero or missing value is left out."""
    out = {}
    for key, name in _RESULT_KEYS.items():
        raw = values.get(key, "")
        try:
            bits = float(raw)
        except ValueError:
            continue
        if bits > 0:
            out[name] = bits / 1e6
    return out


def runs(name: str) -> list[dict[str, Any]]:
    """Every run of benchmark ``name``: plugin, variant, version, path and the parsed figures."""
    info = _data().get(name)
    if info is None:
        benchmark(name)  # raises with the list of names
    out = []
    for run in info["runs"]:
        figures = parse_knb_line(run["line"]) if "line" in run else parse_results(run["values"])
        out.append({k: run[k] for k in ("plugin", "variant", "version", "note", "path")} | {"figures": figures})
    return out


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 1) if values else None


@cache
def measurements(name: str) -> tuple[Measurement, ...]:
    """The mean figures of every plugin variant in benchmark ``name``, in the file's order."""
    info = benchmark(name)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for run in runs(name):
        groups.setdefault((run["plugin"], run["variant"]), []).append(run)
    out = []
    for (plugin, variant), group in groups.items():
        def mean(metric: str, group: list[dict[str, Any]] = group) -> float | None:
            return _mean([r["figures"][metric] for r in group if metric in r["figures"]])

        mtus = {int(r["figures"]["mtu"]) for r in group if "mtu" in r["figures"]}
        out.append(Measurement(
            plugin=plugin, variant=variant, version=group[0]["version"], benchmark=name, date=info["date"],
            source=f"{info['data']} raw results at {info['commit'][:7]}",
            paths=tuple(r["path"] for r in group),
            link_gbit_s=info["link_gbit_s"], runs=sum("tcp_pod" in r["figures"] for r in group),
            tcp_pod=mean("tcp_pod"), tcp_service=mean("tcp_service"), udp_pod=mean("udp_pod"),
            udp_service=mean("udp_service"), tcp_pod_8_streams=mean("tcp_pod_8_streams"),
            tcp_service_8_streams=mean("tcp_service_8_streams"),
            mtu=mtus.pop() if len(mtus) == 1 else None, note=group[0]["note"]))
    return tuple(out)


def throughput(plugin: str, name: str = "ducastel-2024", variant: str = "default") -> Measurement | None:
    """The measurement of ``plugin`` (``variant``) in benchmark ``name``, or None if it was not tested.

    >>> throughput("weave", "ducastel-2024") is None   # Weave Net was not in the 2024 run
    True
    """
    for m in measurements(name):
        if m.plugin == plugin and m.variant == variant:
            return m
    return None
