"""kube-proxy's nftables mode beside iptables at the scalability envelope: the model, then the real kernel.

The envelope (kubernetes/community ``sig-scalability/configs-and-limits/thresholds.md``): 10,000
Services, 100,000 endpoints (10 per Service), here selector-less Services with their EndpointSlices
written directly (``bench_proxy.manifests(..., pods=False)``: the same cluster for every mode).
``BENCH_SCALE=small`` runs a tenth (1,000 Services, 10,000 endpoints).

For the node ``node-0001``, per mode (iptables, nftables, and IPVS for the model only): the model's
sync and render time (iptables: the ``iptables-restore`` input kube-proxy writes; nftables: the
transaction a first sync pipes to ``nft -f -``), the text's size and rule count.  Then, in one run,
each text loaded into its own fresh ``kl-`` network namespace by the real tool -- ``iptables-restore
--noflush`` (after kube-proxy's jumps into the built-in chains; the default ``iptables-restore``,
the nf_tables back end on Debian 12, then ``iptables-legacy-restore``) and ``nft -f -`` -- timed from the
outside (root, ``iptables-restore`` and ``nft`` only; else ``nan`` with "n/a"), and the ratios:
kernel load iptables / nftables, and model sync+render nftables / iptables.  Figures are for
reading, never assertions; the machine is shared, so compare ratios from one run, not times
across runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

NODE = "node-0001"
BUDGET = int(os.environ.get("BENCH_RESTORE_BUDGET", "900"))  # seconds per kernel load
NAN = float("nan")


def services() -> int:
    return 1000 if os.environ.get("BENCH_SCALE") == "small" else 10_000


def kernel_load(argv: list[str], text: str, before: list[tuple[list[str], str]] = ()) -> tuple[float, str]:
    """Seconds ``argv`` takes to read ``text`` in a fresh ``kl-`` netns (after ``before``), or nan and why."""
    if os.geteuid() != 0:
        return NAN, "s (n/a: not root)"
    if not shutil.which(argv[0]) and not shutil.which(argv[0], path="/usr/sbin:/sbin"):
        return NAN, f"s (n/a: no {argv[0]})"
    from kubelab.lab import NetNS

    try:
        with NetNS() as ns:
            for pre, pre_input in before:
                ns.run(pre, input=pre_input)
            started = time.perf_counter()
            proc = subprocess.run(["ip", "netns", "exec", ns.name, *argv], input=text, text=True,
                                  capture_output=True, timeout=BUDGET)
            seconds = time.perf_counter() - started
    except subprocess.TimeoutExpired:
        return NAN, f"s (timed out after {BUDGET} s)"
    except (OSError, subprocess.CalledProcessError) as exc:
        return NAN, f"s (n/a: {exc})"
    if proc.returncode != 0:
        return NAN, f"s (n/a: {argv[0]} failed: {proc.stderr.strip()[:80]})"
    return seconds, "s"


def _jumps(proxier) -> str:
    """kube-proxy's EnsureChain + ``iptables -I`` of its jumps, as one restore (as the lab loads them)."""
    out = []
    for table, rules in proxier.jump_rules().items():
        out.append(f"*{table}")
        out += [f":{chain} - [0:0]" for chain in dict.fromkeys(r.target for r in rules)]
        out += ["-I " + r.restore()[3:].replace(" ", " 1 ", 1) for r in reversed(rules)]
        out.append("COMMIT")
    return "\n".join(out) + "\n"


def _ratio(name: str, slow: float, slow_unit: str, nft: float) -> tuple[str, float, str]:
    """slow / nft; when the iptables side timed out, the budget over nft: a lower bound, said so."""
    if nft != nft or not nft:
        return name, NAN, "x (n/a: no nft time)"
    if slow != slow:
        if "timed out" in slow_unit:
            return name, BUDGET / nft, f"x (at least: {slow_unit.split('(')[1].rstrip(')')})"
        return name, NAN, "x (n/a)"
    return name, slow / nft, "x"


def run() -> list[tuple[str, float, str]]:
    from bench_proxy import build

    from kubelab.proxy import PROXIERS, registered_modes

    registered_modes()
    n = services()
    label = f"{n} svc/{n * 10} ep"
    rows: list[tuple[str, float, str]] = []
    cluster, seconds = build(n, pods=False)
    rows.append((f"{label}: build (selector-less Services + EndpointSlices)", seconds, "s"))
    model: dict[str, float] = {}
    texts: dict[str, str] = {}
    for mode, fmt in (("iptables", "restore"), ("nftables", "transaction"), ("ipvs", "ipvsadm")):
        proxier = PROXIERS[mode](cluster, NODE)
        started = time.perf_counter()
        proxier.sync()
        synced = time.perf_counter()
        text = proxier.render(fmt)
        rendered = time.perf_counter()
        model[mode] = rendered - started
        rows.append((f"{label} {mode}: model sync {NODE}", synced - started, "s"))
        rows.append((f"{label} {mode}: model render {fmt}", rendered - synced, "s"))
        rows.append((f"{label} {mode}: {fmt} text", len(text.encode()) / 2**20, "MiB"))
        rows.append((f"{label} {mode}: rules", proxier.rule_count, "rules"))
        if mode == "nftables":
            rows.append((f"{label} {mode}: set and map elements", proxier.element_count, "elements"))
        if mode in ("iptables", "nftables"):
            texts[mode] = text
            if mode == "iptables":
                texts["iptables-jumps"] = _jumps(proxier)
        proxier.close()
        del text
    rows.append((f"{label}: model sync+render, nftables / iptables", model["nftables"] / model["iptables"], "x"))
    version = subprocess.run(["iptables-restore", "--version"], capture_output=True, text=True).stdout.strip() \
        if shutil.which("iptables-restore") else "iptables-restore"
    ipt, ipt_unit = kernel_load(["iptables-restore", "--noflush"], texts["iptables"],
                                [(["iptables-restore", "--noflush"], texts["iptables-jumps"])])
    rows.append((f"{label} iptables: real {version} --noflush", ipt, ipt_unit))
    if shutil.which("iptables-legacy-restore") or shutil.which("iptables-legacy-restore", path="/usr/sbin:/sbin"):
        legacy, legacy_unit = kernel_load(["iptables-legacy-restore", "--noflush"], texts["iptables"],
                                          [(["iptables-legacy-restore", "--noflush"], texts["iptables-jumps"])])
        rows.append((f"{label} iptables: real iptables-legacy-restore --noflush", legacy, legacy_unit))
    nft, nft_unit = kernel_load(["nft", "-f", "-"], texts["nftables"])
    nft_version = subprocess.run(["nft", "--version"], capture_output=True, text=True).stdout.strip() \
        if shutil.which("nft") else "nft"
    rows.append((f"{label} nftables: real {nft_version} -f -", nft, nft_unit))
    rows.append(_ratio(f"{label}: kernel load, iptables-restore / nft -f", ipt, ipt_unit, nft))
    if shutil.which("iptables-legacy-restore") or shutil.which("iptables-legacy-restore", path="/usr/sbin:/sbin"):
        rows.append(_ratio(f"{label}: kernel load, iptables-legacy-restore / nft -f", legacy, legacy_unit, nft))
    return rows


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name:<80} {value:>14.3f}  {unit}")
