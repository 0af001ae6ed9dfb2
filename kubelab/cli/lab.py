"""``kubelab lab (up|status|curl|down|clean)``: the cluster on the real kernel, in ``kl-`` namespaces (root only).

``up -f …`` builds the lab (:class:`kubelab.lab.Lab`) and leaves it running;
its state is kept under ``/run/kubelab/labs/<name>/`` so ``status``, ``curl`` and
``down`` in later invocations find it.  ``curl --from POD URL|HOST:PORT`` runs a
client inside the pod's network namespace (or a node's, or ``fabric``: the
outside, 172.18.0.1) and prints the pod that answered, or ``refused``,
``timeout``, ``no route``.  ``clean`` is ``mn -c`` for kubelab's labs: it
removes the namespaces, processes and state files that a lab's own state file
lists (every lab's under the state root, or only ``--name``'s), nothing else.
``modelled`` lists what this kernel cannot run (IPVS, dummy links) and why.

Exit status (docs/cli.md): 0 success; 1 a negative verdict (a connection not
answered by a pod, no lab up, ``status`` of a lab that is not all up); 2 bad
input or usage (a bad ``--name``, ``--timeout`` or ``--count``, a lab busy in
another kubelab, one of more pods than a lab runs).
"""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import urlsplit

from ..errors import KubelabError
from ..host import is_root, needs_linux
from .common import (UsageError, add_filename_option, add_output_option, check_count, command, load_cluster,
                     stderr_line)
from .output import format_table, print_document, write

__all__ = ["parse_url", "lab_is_up", "MAX_TIMEOUT"]

ACTIONS = ("up", "status", "curl", "down", "clean", "modelled")
#: The longest ``lab curl --timeout`` (seconds per connection).
MAX_TIMEOUT = 60.0


def parse_url(text: str) -> tuple[str, int]:
    """``http://HOST[:PORT]/…`` or ``HOST:PORT`` -> ``(host, port)``.

    >>> parse_url("http://web.default.svc/x"), parse_url("10.96.0.10:53"), parse_url("https://web:8443")
    (('web.default.svc', 80), ('10.96.0.10', 53), ('web', 8443))
    """
    if "://" in text:
        try:
            u = urlsplit(text)
            host, port = u.hostname, u.port or {"http": 80, "https": 443}.get(u.scheme)
        except ValueError:  # a bad [IPv6] literal, a port out of range
            host, port = None, None
        if not host or not port:
            raise UsageError(f'"{text}": want a URL with a host (and a port unless http/https)')
        return host, port
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or len(port) > 5 or not 1 <= int(port) <= 65535:
        raise UsageError(f'"{text}": want HOST:PORT or a URL')
    return host, int(port)


def lab_is_up(st: dict[str, Any]) -> bool:
    """Whether every part of a lab's :meth:`~kubelab.lab.Lab.status` is there: fabric, nodes, pods, servers.

    >>> lab_is_up({"fabric": {"up": True}, "nodes": [{"up": True}], "pods": [{"up": True, "ports": ["80/TCP"],
    ...                                                                         "server": "none"}]})
    False
    """
    return (st["fabric"]["up"] and all(n["up"] for n in st["nodes"])
            and all(p["up"] and (p["server"] == "running" or not p["ports"]) for p in st["pods"]))


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=ACTIONS, metavar="|".join(ACTIONS))
    parser.add_argument("targets", nargs="*", default=[], metavar="URL|HOST:PORT", help="curl: where to connect")
    parser.set_defaults(extra_positionals="targets")  # `lab curl --from POD URL`: the URL after an option
    add_filename_option(parser)
    parser.add_argument("--name", default=None,
                        help="the lab's name (namespaces kl-NAME-…; default lab; clean: every lab if not given)")
    parser.add_argument("--from", dest="src", default=None, metavar="POD|NODE|fabric", help="curl: the client")
    parser.add_argument("--proto", type=str.upper, choices=("TCP", "UDP"), default="TCP", metavar="TCP|UDP")
    parser.add_argument("--count", type=int, default=1, metavar="N", help="curl: N new connections")
    parser.add_argument("--timeout", type=float, default=1.0, metavar="SECONDS", help="curl: per connection")
    parser.add_argument("--no-hairpin", dest="hairpin", action="store_false",
                        help="up: the bridge plugin without hairpinMode")
    add_output_option(parser)


def _need_root() -> None:
    why = needs_linux("kubelab lab")
    if why is not None:
        raise KubelabError(why)
    if not is_root():
        raise KubelabError("kubelab lab needs root (network namespaces, iptables): run it with sudo")


def _emit(doc: Any, args: argparse.Namespace, text: str) -> None:
    if args.output:
        print_document(doc, args.output)
    else:
        write(text)


def _status_text(st: dict[str, Any]) -> str:
    lines = [f"lab {st['lab']}: fabric {st['fabric']['netns']} ({st['fabric']['address']}, "
             f"{'up' if st['fabric']['up'] else 'missing'})"]
    lines += format_table(["NODE", "NETNS", "IP", "PODCIDR", "STATE"],
                          [[n["name"], n["netns"], n["ip"], n["podCIDR"], "up" if n["up"] else "missing"]
                           for n in st["nodes"]]).splitlines()
    lines.append("")
    lines += format_table(["POD", "NODE", "IP", "PORTS", "NETNS", "SERVER"],
                          [[p["pod"], p["node"], p["ip"], ",".join(p["ports"]) or "<none>", p["netns"], p["server"]]
                           for p in st["pods"]]).splitlines()
    if st.get("mode"):
        lines.append(f"\nkube-proxy: {st['mode']} mode")
    if st.get("timings", {}).get("up"):
        lines.append(f"\nup in {st['timings']['up']:.2f} s")
    for s in st["skipped"]:
        lines.append(f"skipped: {s}")
    return "\n".join(lines)


@command("lab", "the real-kernel lab: up, status, curl, down, clean (root)", configure)
def run(args: argparse.Namespace) -> int:
    from ..lab import build

    if args.action == "modelled":
        from ..lab.doctor import parts
        doc = [{"part": p.name, "real": p.real, "why": p.why} for p in parts()]
        _emit(doc, args, "\n".join(f"{'real    ' if p['real'] else 'modelled'}  {p['part']}: {p['why']}"
                                   for p in doc))
        return 0
    if args.targets and args.action != "curl" or len(args.targets) > 1:
        raise UsageError(f'lab {args.action} takes {"one URL" if args.action == "curl" else "no URL"} '
                         f'(got {" ".join(args.targets)})')
    args.target = args.targets[0] if args.targets else None
    from ..lab.topology import check_lab_name

    if args.name is not None:
        check_lab_name(args.name)
    elif args.action != "clean":
        args.name = "lab"
    if args.action == "curl":
        if not 0 < args.timeout <= MAX_TIMEOUT:  # also false for nan
            raise UsageError(f'--timeout "{args.timeout:g}": must be more than 0 and at most {MAX_TIMEOUT:g} seconds')
        check_count(args.count)
    _need_root()
    if args.action == "up":
        cluster, _ = load_cluster(args)
        lab = build.Lab(cluster, args.name, hairpin=args.hairpin)
        lab._trap_signals()  # SIGTERM/SIGHUP during the build: remove what was built
        try:
            lab.up()
        finally:
            lab._restore_signals()
        st = lab.status()
        st["timings"] = lab.timings
        _emit(st, args, _status_text(st))
        return 0
    if args.action == "clean":
        removed = build.clean(args.name)
        _emit({"removed": removed}, args, "\n".join(f"removed {n}" for n in removed) or "nothing to clean")
        return 0
    try:
        lab = build.load_lab(args.name)
    except KubelabError as exc:
        stderr_line(f"error: {exc}")
        return 1
    if args.action == "status":
        st = lab.status()
        st["timings"] = lab.timings
        _emit(st, args, _status_text(st))
        return 0 if lab_is_up(st) else 1
    if args.action == "down":
        seconds = lab.down()
        _emit({"lab": lab.name, "down": True, "seconds": seconds}, args, f"lab {lab.name} down in {seconds:.2f} s")
        return 0
    # curl
    if not args.src or not args.target:
        raise UsageError("lab curl needs --from POD and a URL or HOST:PORT")
    host, port = parse_url(args.target)
    answers = lab.curl(args.src, host, port, args.proto, args.count, args.timeout, source=True)
    _emit({"from": args.src, "to": f"{host}:{port}/{args.proto}", "answers": answers}, args, "\n".join(answers))
    return 0 if answers and all(a not in build.OUTCOMES and not a.startswith("error") for a in answers) else 1
