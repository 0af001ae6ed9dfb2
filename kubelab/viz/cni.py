"""CNI, IPAM, plugin choice and network policy, drawn and made interactive.

* :func:`ipam_explorer` -- attach pods to one node and detach them: every
  attach is a CNI ADD through :class:`kubelab.cni.Runtime` (in-memory
  ``bridge`` or ``ptp`` + ``host-local`` + ``portmap``), every detach a DEL;
  watch host-local hand out addresses in order without reusing a freed one at
  once, the routes the plugin writes on the node, and the Result JSON of the
  last call;
* :func:`attachment_graph` -- the node's links after those calls as a diagram
  (bridge, veths, pod addresses), with its text description;
* :func:`feature_matrix_html` -- the chapter's Figure 2.9 from
  :mod:`kubelab.cni.plugins.matrix`, every cell with its source and date;
* :func:`plugin_chooser` -- tick requirements and see which plugins
  :func:`kubelab.cni.plugins.matrix.choose` keeps, and why;
* :func:`policy_matrix_html` / :func:`policy_playground` -- pick (or type) a
  set of NetworkPolicies and Calico policies, switch the CNI plugin, and watch
  the :func:`kubelab.policy.reachability` matrix change; on Flannel the
  policies are stored and nothing is enforced.

Nothing here decides an address, a route, a feature or a verdict: each comes
from :mod:`kubelab.cni`, :mod:`kubelab.cni.plugins` or :mod:`kubelab.policy`.
The apps follow the course's widget conventions (``controls``, ``html``,
``timings``, driven by :func:`kubelab.viz.interact`; static HTML under
``NBGRADER_EXECUTION``).

Examples
--------
>>> app = IpamExplorer(subnet="10.244.1.0/29")
>>> html = interact(app, Attach="click")
>>> html = interact(app, Attach="click")
>>> [a.address for a in app.attachments]
['10.244.1.2/29', '10.244.1.3/29']
>>> from kubelab.viz.describe import describe_graph
>>> print(describe_graph(attachment_graph(app.backend.node, app.attachments)).splitlines()[0])
Pods attached to node kind-worker by the bridge plugin
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from html import escape
from typing import Any, Iterable, Mapping

import networkx as nx

from . import describe as _describe
from . import svg as _svg
from .svg import PALETTE, figure_html
from .widgets import _App, _table, _timed, interact, quiet

__all__ = ["IpamExplorer", "ipam_explorer", "Attachment", "attachment_graph", "chain_config", "feature_matrix_html",
           "PluginChooser", "plugin_chooser", "policy_matrix_html", "PolicyPlayground", "policy_playground",
           "IPAM_PLUGINS", "POLICY_PLUGINS", "REQUIREMENTS"]

#: The main plugins the IPAM explorer can chain in front of host-local (both in kubelab's in-memory set).
IPAM_PLUGINS = ("bridge", "ptp")
#: The CNI plugins the policy playground switches between (each has a row in kubelab.policy.enforcement).
POLICY_PLUGINS = ("calico", "cilium", "kube-router", "kindnet", "flannel")
#: Checkbox label -> requirement key of :func:`kubelab.cni.plugins.matrix.choose`.
REQUIREMENTS = {"ingress NetworkPolicy": "policy_ingress", "egress NetworkPolicy": "policy_egress",
                "encryption": "encryption", "no overlay (routed)": "no_overlay"}
AS_OF = {"today (latest facts)": None, "April 2019 (Figure 2.9)": "2019-04"}

_svg.NODE_STYLES.setdefault("bridge", (PALETTE["orange"], "#FFFFFF", "rect", "6 3",
                                       "dashed box: Linux bridge on the node"))
_svg.EDGE_STYLES.setdefault("veth", (PALETTE["blue"], "", 2, "solid: veth pair (pod eth0 to the node)"))
_svg.EDGE_STYLES.setdefault("routed", (PALETTE["bluish green"], "8 4", 2,
                                       "dashed: /32 route on the node to the pod's veth"))
_describe.KIND_WORDS.setdefault("bridge", "bridge")
_describe.EDGE_WORDS.setdefault("veth", "is joined by a veth pair to")
_describe.EDGE_WORDS.setdefault("routed", "is reached through a host route from")


# ---------------------------------------------------------------------------------------------- IPAM explorer
def chain_config(subnet: str = "10.244.1.0/24", plugin: str = "bridge", name: str = "kubelab") -> str:
    """The configuration list the explorer runs: ``plugin`` with host-local on ``subnet``, then portmap."""
    main: dict[str, Any] = {"type": plugin}
    if plugin == "bridge":
        main.update({"bridge": "cni0", "isGateway": True})
    main["ipam"] = {"type": "host-local", "ranges": [[{"subnet": subnet}]], "routes": [{"dst": "0.0.0.0/0"}]}
    return json.dumps({"cniVersion": "1.0.0", "name": name,
                       "plugins": [main, {"type": "portmap", "capabilities": {"portMappings": True}}]}, indent=2)


@dataclass
class Attachment:
    """One pod attached by the explorer: its container id (the pod name here), netns and address."""

    pod: str
    netns: str
    address: str


def _route_text(r: Mapping[str, Any]) -> str:
    parts = [str(r.get("dst", "?"))]
    if r.get("gw"):
        parts += ["via", str(r["gw"])]
    for key in ("dev", "proto", "scope", "src"):
        if r.get(key):
            parts += [key, str(r[key])]
    return " ".join(parts)


def attachment_graph(node: Any, attachments: Iterable[Attachment], *, node_name: str = "kind-worker",
                     plugin: str = "bridge") -> nx.DiGraph:
    """The in-memory node after the explorer's calls: node, bridge (if any), one box per attached pod.

    With ``bridge`` each pod's veth is a port of ``cni0``; with ``ptp`` there is no
    bridge and the node reaches each pod through a ``/32`` route to its veth.
    """
    attachments = list(attachments)
    g = nx.DiGraph(title=f"Pods attached to node {node_name} by the {plugin} plugin", layout="layers", notes=[])
    g.add_node("node", kind="node", label=f"{node_name}\nroot network namespace", layer=0, order=0,
               detail="the node's own network namespace, holding its routing table")
    bridges = {n: link for n, link in node.host.links.items() if link.kind == "bridge"}
    for i, (bname, link) in enumerate(sorted(bridges.items())):
        g.add_node(f"br:{bname}", kind="bridge", label=f"{bname}\n{', '.join(link.addresses)}", layer=1, order=i,
                   detail=f"bridge {bname}, the pods' gateway at {', '.join(link.addresses) or 'no address'}")
        g.add_edge("node", f"br:{bname}", kind="in", label="")
    by_netns = {link.peer[0]: (n, link) for n, link in node.host.links.items() if link.kind == "veth" and link.peer}
    for i, a in enumerate(attachments):
        g.add_node(f"pod:{a.pod}", kind="pod", label=f"{a.pod}\neth0 {a.address}", layer=2, order=i,
                   detail=f"pod {a.pod}, network namespace {a.netns}")
        veth, link = by_netns.get(a.netns, ("?", None))
        if link is not None and link.master:
            g.add_edge(f"pod:{a.pod}", f"br:{link.master}", kind="veth", label=veth)
        else:
            g.add_edge("node", f"pod:{a.pod}", kind="routed", label=f"{a.address.split('/')[0]}/32 dev {veth}")
    if not attachments:
        g.graph["notes"].append("no pod is attached yet")
    for r in node.host.routes:
        g.graph["notes"].append(f"node route: {_route_text(r)}")
    return g


class IpamExplorer(_App):
    """See :func:`ipam_explorer`."""

    PARTS = ("tables", "figure")

    def __init__(self, subnet: str = "10.244.1.0/28", plugin: str = "bridge", node: str = "kind-worker") -> None:
        import ipywidgets as w

        self.subnet, self.node_name = subnet, node
        self.timings: list[float] = []
        st = {"description_width": "initial"}
        self.controls = {
            "Plugin": w.ToggleButtons(options=list(IPAM_PLUGINS), value=plugin, description="Plugin", style=st,
                                      tooltip="the main plugin of the chain; changing it starts a fresh node"),
            "Attach": w.Button(description="Attach a pod", tooltip="CNI ADD for a new pod"),
            "Pod to detach": w.Dropdown(options=[], description="Pod to detach", style=st),
            "Detach": w.Button(description="Detach", tooltip="CNI DEL for the chosen pod"),
        }
        self.controls["Plugin"].observe(lambda _c: _timed(self.timings, self._reset), names="value")
        self.controls["Attach"].on_click(lambda _b: _timed(self.timings, self._attach))
        self.controls["Detach"].on_click(lambda _b: _timed(self.timings, self._detach))
        self.tables, self.figure = w.HTML(), w.HTML()
        self.widget = w.VBox([
            w.HTML(f"<p>Node <code>{escape(node)}</code>, pod range <code>{escape(subnet)}</code>. Each click runs "
                   "a real CNI call against kubelab's in-memory plugins: ADD on attach, DEL on detach.</p>"),
            self.controls["Plugin"], w.HBox([self.controls["Attach"], self.controls["Pod to detach"],
                                             self.controls["Detach"]]), self.tables, self.figure])
        self._reset(refresh=False)
        self._sync()
        self._refresh()

    @property
    def plugin(self) -> str:
        return self.controls["Plugin"].value

    def _reset(self, refresh: bool = True) -> None:
        from ..cni import MemoryBackend, Runtime, load_conflist

        self.conf_text = chain_config(self.subnet, self.plugin)
        self.conf = load_conflist(self.conf_text)
        self.backend = MemoryBackend()
        self.runtime = Runtime(backend=self.backend)
        self.attachments: list[Attachment] = []
        self.counter = 0
        self.last_call, self.last_output = "", ""
        self.message = f"A fresh node running the {self.plugin} plugin."
        if refresh:
            self._sync()
            self._refresh()

    def _rt(self, pod: str) -> Any:
        from ..cni import RuntimeConf

        return RuntimeConf(pod, f"/run/netns/{pod}", "eth0")

    def _attach(self) -> None:
        from ..cni import CNIError

        self.counter += 1
        pod = f"pod-{self.counter}"
        rt = self._rt(pod)
        self.last_call = "ADD " + json.dumps(rt.env("ADD", self.backend.cni_path))
        try:
            result = self.runtime.add(self.conf, rt)
        except CNIError as exc:
            self.last_output = exc.to_json()
            self.message = f"ADD {pod} failed: {exc}. The runtime then calls DEL to clean up, as kubelet would."
            try:
                self.runtime.delete(self.conf, rt)
            except CNIError:  # pragma: no cover - DEL is idempotent in the plugins
                pass
        else:
            self.last_output = result.to_json()
            address = result.ips[0]["address"] if result.ips else "?"
            self.attachments.append(Attachment(pod, rt.netns, address))
            self.message = f"ADD {pod}: host-local gave {address}."
        self._sync()
        self._refresh()

    def _detach(self) -> None:
        pod = self.controls["Pod to detach"].value
        if not pod:
            self.message = "Nothing to detach."
        else:
            rt = self._rt(pod)
            self.last_call = "DEL " + json.dumps(rt.env("DEL", self.backend.cni_path))
            self.runtime.delete(self.conf, rt)
            self.last_output = "(DEL prints nothing on success)"
            self.attachments = [a for a in self.attachments if a.pod != pod]
            self.message = f"DEL {pod}: its address is free again, but host-local will not hand it out next."
        self._sync()
        self._refresh()

    def _sync(self) -> None:
        # ipywidgets 8 keeps a Dropdown's value at None when its options change: choose one, or Detach
        # would find nothing to detach with pods attached.  The learner's choice stays while attached.
        dropdown = self.controls["Pod to detach"]
        chosen, pods = dropdown.value, [a.pod for a in self.attachments]
        dropdown.options = pods
        dropdown.value = chosen if chosen in pods else (pods[0] if pods else None)

    def host_local_files(self) -> dict[str, str]:
        """host-local's state for this network: ``<ip>`` -> owner, and ``last_reserved_ip.0``."""
        files = getattr(self.backend.node.ipam_store, "files", {})
        return dict(sorted(files.get(self.conf.name, {}).items()))

    def render(self) -> tuple[str, str]:
        rows = [[a.pod, a.address, a.netns] for a in self.attachments]
        parts = [f"<p><strong>{escape(self.message)}</strong></p>",
                 _table(["pod (container id)", "address (host-local)", "network namespace"], rows,
                        f"Pods attached on {self.node_name}"),
                 _table(["file under /var/lib/cni/networks/" + self.conf.name, "content"],
                        [[k, v.replace("\r\n", " ")] for k, v in self.host_local_files().items()],
                        "host-local's state: one file per address in use, and the last one handed out"),
                 _table(["route on the node (ip route)"], [[_route_text(r)] for r in self.backend.node.host.routes],
                        f"The node's routes written by {self.plugin}")]
        if self.last_call:
            parts.append(f"<p>Last call: <code>{escape(self.last_call)}</code>; it printed:</p>"
                         f"<pre>{escape(self.last_output)}</pre>")
        fig = figure_html(attachment_graph(self.backend.node, self.attachments, node_name=self.node_name,
                                           plugin=self.plugin))
        return "".join(parts), fig

    def _refresh(self) -> None:
        self.tables.value, self.figure.value = self.render()


def ipam_explorer(subnet: str = "10.244.1.0/28", *, plugin: str = "bridge", node: str = "kind-worker",
                  attach: int = 0) -> Any:
    """Attach and detach pods on one node through real (in-memory) CNI calls.

    Parameters
    ----------
    subnet
        The node's pod range given to host-local (small by default, so it fills up).
    plugin
        ``bridge`` (pods on ``cni0``) or ``ptp`` (no bridge: one ``/32`` route per pod).
    attach
        How many pods to attach before showing it.

    Returns
    -------
    IpamExplorer, or IPython.display.HTML of that starting state under ``NBGRADER_EXECUTION``
    """
    if plugin not in IPAM_PLUGINS:
        raise ValueError(f"plugin must be one of {IPAM_PLUGINS}")
    if quiet():
        from IPython.display import HTML

        return HTML(_started(subnet, plugin, node, attach).html)
    return _started(subnet, plugin, node, attach)


def _started(subnet: str, plugin: str, node: str, attach: int) -> IpamExplorer:
    app = IpamExplorer(subnet, plugin, node)
    for _ in range(attach):
        interact(app, Attach="click")
    app.timings.clear()
    return app


# ---------------------------------------------------------------------------------------------- feature matrix
def feature_matrix_html(as_of: str | None = None) -> str:
    """Figure 2.9 as a table: one row per plugin, each cell the value, its source and its date."""
    from ..cni.plugins import matrix

    rows = []
    for plugin in matrix.MATRIX:
        row = [plugin]
        for name in matrix.FEATURES:
            fact = matrix.feature(plugin, name, as_of)
            if fact is None:
                row.append("no fact at that date")
            else:
                mark = "" if fact.checked else " [from docs, unchecked]"
                row.append(f"{matrix._show(fact.value)} ({fact.date}; {fact.source}){mark}")
        rows.append(row)
    when = f"as known in {as_of}" if as_of else "latest facts"
    return _table(["plugin", *matrix.FEATURES], rows, f"CNI plugin features ({when}): value (date; source)")


class PluginChooser(_App):
    """See :func:`plugin_chooser`."""

    PARTS = ("view",)

    def __init__(self, requirements: Mapping[str, Any], as_of: str | None) -> None:
        import ipywidgets as w

        self.timings: list[float] = []
        st = {"description_width": "initial"}
        self.controls: dict[str, Any] = {
            label: w.Checkbox(value=bool(requirements.get(key)), description=label, style=st, indent=False)
            for label, key in REQUIREMENTS.items()}
        when = next((k for k, v in AS_OF.items() if v == as_of), next(iter(AS_OF)))
        self.controls["Judge as of"] = w.Dropdown(options=list(AS_OF), value=when, description="Judge as of",
                                                  style=st)
        for c in self.controls.values():
            c.observe(self._changed, names="value")
        self.view = w.HTML()
        self.widget = w.VBox([
            w.HTML("<p>Tick what your cluster needs. Each plugin is kept or dropped by "
                   "kubelab.cni.plugins.matrix.choose, with the source and date of every fact it used.</p>"),
            w.HBox([self.controls[k] for k in REQUIREMENTS]), self.controls["Judge as of"], self.view])
        self._refresh()

    def requirements(self) -> dict[str, Any]:
        req: dict[str, Any] = {key: True for label, key in REQUIREMENTS.items() if self.controls[label].value}
        as_of = AS_OF[self.controls["Judge as of"].value]
        if as_of:
            req["as_of"] = as_of
        return req

    def _refresh(self) -> None:
        self.view.value = chooser_html(self.requirements())

    def _changed(self, _change: Any = None) -> None:
        _timed(self.timings, self._refresh)


def chooser_html(requirements: Mapping[str, Any]) -> str:
    """The verdict of :func:`~kubelab.cni.plugins.matrix.choose` for each plugin, as a table."""
    from ..cni.plugins import matrix

    choices = matrix.choose(dict(requirements))
    rows = [[c.plugin, "KEEP" if c.kept else "drop", "; ".join(c.reasons)] for c in choices]
    kept = [c.plugin for c in choices if c.kept]
    asked = ", ".join(f"{k}={v}" for k, v in requirements.items()) or "nothing"
    return (_table(["plugin", "verdict", "why (source, date)"], rows, f"Requirements: {asked}")
            + f"<p><strong>Kept:</strong> {escape(', '.join(kept) or 'none: relax a requirement')}.</p>")


def plugin_chooser(requirements: Mapping[str, Any] | None = None, *, as_of: str | None = None) -> Any:
    """Requirements as checkboxes, the feature matrix's verdict per plugin as a table.

    Returns
    -------
    PluginChooser, or IPython.display.HTML of the starting verdict under ``NBGRADER_EXECUTION``
    """
    req = dict(requirements or {})
    if quiet():
        from IPython.display import HTML

        return HTML(chooser_html({**req, **({"as_of": as_of} if as_of else {})}))
    return PluginChooser(req, as_of)


# ---------------------------------------------------------------------------------------------- policy
def policy_matrix_html(matrix: Any, cluster: Any = None) -> str:
    """A :class:`kubelab.policy.Reachability` as a table (``allow`` / ``DENY`` in words), with why each denial.

    With ``cluster``, every denied cell is explained by :func:`kubelab.policy.evaluate`
    (the policy and rule that decided).
    """
    rows = [[src, *("allow" if ok else "DENY" for ok in row)] for src, row in zip(matrix.pods, matrix.allowed)]
    html = _table(["from \\ to", *matrix.pods], rows,
                  f"Who may open a connection to whom on {matrix.port}/{matrix.proto}: rows are the "
                  "source pods, columns the destinations; a cell says allow, or, in capitals, that the "
                  "connection is denied")
    if not matrix.enforced:
        html += (f"<p><strong>Nothing is enforced:</strong> {escape(matrix.note or 'the plugin ignores policies')}"
                 "</p>")
    if cluster is not None:
        from ..policy import evaluate

        why = []
        for src, dst in matrix.blocked():
            v = evaluate(cluster, src, dst, matrix.port, matrix.proto)
            deciding = "; ".join(str(d) for d in v.decided_by) or v.note
            why.append([f"{src} -> {dst}", deciding])
        if why:
            html += _table(["denied", "decided by"], why, "Why each denied cell is denied")
    return html


class PolicyPlayground(_App):
    """See :func:`policy_playground`."""

    PARTS = ("view",)

    def __init__(self, base: str, policies: Mapping[str, str], choice: str, plugin: str,
                 namespaces: list[str] | None, port: int) -> None:
        import ipywidgets as w

        self.base, self.policies, self.namespaces, self.port = base, dict(policies), namespaces, port
        self.timings: list[float] = []
        self._bases: dict[str, Any] = {}
        #: (plugin, YAML) -> the matrix as HTML: the base never changes, so a choice seen before is not traced again
        self._html: dict[tuple[str, str], str] = {}
        self.error = ""
        self._shown = ""  # the last matrix applied, under any error message
        st = {"description_width": "initial"}
        self.controls = {
            "Policies": w.Dropdown(options=list(self.policies), value=choice, description="Policies", style=st),
            "Plugin": w.ToggleButtons(options=list(POLICY_PLUGINS), value=plugin, description="CNI plugin",
                                      style=st),
            "YAML": w.Textarea(value=self.policies[choice], description="YAML", continuous_update=False,
                               layout=w.Layout(width="100%", height="14em"), style=st),
        }
        self.controls["Policies"].observe(self._picked, names="value")
        self.controls["Plugin"].observe(self._changed, names="value")
        self.controls["YAML"].observe(self._changed, names="value")
        self.view = w.HTML()
        self.widget = w.VBox([
            w.HTML("<p>Pick a set of policies (or edit the YAML: it is applied when the box loses focus), and "
                   "switch the CNI plugin. Every cell is kubelab.policy.reachability's verdict.</p>"),
            self.controls["Policies"], self.controls["Plugin"], self.controls["YAML"], self.view])
        self._refresh()

    def _base(self, plugin: str) -> Any:
        if plugin not in self._bases:
            import kubelab

            self._bases[plugin] = kubelab.Cluster(self.base, cni=plugin)
        return self._bases[plugin]

    def cluster(self) -> Any:
        """The base cluster on the chosen plugin with the YAML applied (a copy each time).

        The box is always read as YAML text, never as a path: a one-line entry such as
        ``/etc/shadow`` is a YAML string, refused as "not a Kubernetes object".
        """
        from ..api import load_text

        c = self._base(self.controls["Plugin"].value).copy()
        text = self.controls["YAML"].value.strip()
        if text:
            c.apply(load_text(text, source="YAML"))
        return c

    def _refresh(self) -> None:
        from ..policy import reachability

        key = (self.controls["Plugin"].value, self.controls["YAML"].value.strip())
        if key not in self._html:
            try:
                c = self.cluster()
                self._html[key] = policy_matrix_html(reachability(c, self.namespaces, self.port), c)
            except Exception as exc:  # noqa: BLE001 -- whatever the learner typed: one message, never a traceback
                self.error = str(exc) or type(exc).__name__
                # one message above the last matrix that was applied: a new mistake replaces the old one
                self.view.value = (f"<p><strong>Not applied:</strong> {escape(self.error[:500])}</p>"
                                   + self._shown)
                return
        self.error = ""
        self._shown = self._html[key]
        self.view.value = self._shown

    def _picked(self, change: Any) -> None:
        start = time.perf_counter()
        self.controls["YAML"].unobserve(self._changed, names="value")
        self.controls["YAML"].value = self.policies[change["new"]]
        self.controls["YAML"].observe(self._changed, names="value")
        self._refresh()
        self.timings.append(time.perf_counter() - start)

    def _changed(self, _change: Any = None) -> None:
        _timed(self.timings, self._refresh)


def policy_playground(base: str, policies: Mapping[str, str], *, choice: str | None = None, plugin: str = "calico",
                      namespaces: Iterable[str] | None = None, port: int = 80) -> Any:
    """The reachability matrix of ``base`` (pods as YAML) under a choice of policies and CNI plugins.

    Parameters
    ----------
    base
        YAML of the namespaces and pods (no policies).
    policies
        Label -> YAML of the policies to apply (``""``: none); the first is shown unless ``choice``.
    plugin
        One of :data:`POLICY_PLUGINS`.
    namespaces, port
        What :func:`kubelab.policy.reachability` looks at.

    Returns
    -------
    PolicyPlayground, or IPython.display.HTML of the starting matrix under ``NBGRADER_EXECUTION``
    """
    choice = choice or next(iter(policies))
    if plugin not in POLICY_PLUGINS or choice not in policies:
        raise ValueError(f"plugin must be one of {POLICY_PLUGINS} and choice one of {list(policies)}")
    ns = list(namespaces) if namespaces is not None else None
    if quiet():
        import kubelab
        from IPython.display import HTML

        from ..policy import reachability

        c = kubelab.Cluster(base, cni=plugin)
        if policies[choice].strip():
            c.apply(policies[choice])
        return HTML(policy_matrix_html(reachability(c, ns, port), c))
    return PolicyPlayground(base, policies, choice, plugin, ns, port)

