"""Write the course notebooks (00-10) from the cell text below (stored without outputs).

    python notebooks/_build.py          # rewrite the notebooks/NN-*.ipynb listed in NOTEBOOKS
    python notebooks/_build.py --check  # exit 1 if a committed notebook differs from this script

Editing the .ipynb in JupyterLab is fine too; then bring the change back here
(``--check`` in the tests keeps the two in step).  Cells are plain text so the
diff of a change reads like prose.
"""

from __future__ import annotations

import sys
from pathlib import Path
from textwrap import dedent

import nbformat

HERE = Path(__file__).resolve().parent
EXERCISE = "../exercises/a01-pods-and-namespaces/pods-and-namespaces.ipynb"


def md(text: str):
    return nbformat.v4.new_markdown_cell(dedent(text).strip("\n"))


#: The pods of the notebook-05 cluster (three web pods on two nodes with a named port ``http``, and
#: a client), written once: notebook 04 starts from them, notebooks 05 and 10 run the same scenario.  ``@@WEB_PODS@@`` on a line of
#: its own in a code cell stands for them.
WEB_PODS = """    apiVersion: v1
    kind: Pod
    metadata: {name: web-1, labels: {app: web}}
    spec:
      nodeName: kind-worker
      containers: [{name: app, image: nginx, ports: [{name: http, containerPort: 8080}]}]
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: web-2, labels: {app: web}}
    spec:
      nodeName: kind-worker2
      containers: [{name: app, image: nginx, ports: [{name: http, containerPort: 8080}]}]
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: web-3, labels: {app: web}}
    spec:
      nodeName: kind-worker2
      containers: [{name: app, image: nginx, ports: [{name: http, containerPort: 8080}]}]
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: client}
    spec:
      nodeName: kind-worker
      containers: [{name: shell, image: curl}]
"""
SNIPPETS = {"    @@WEB_PODS@@\n": WEB_PODS}


def code(text: str):
    for marker, snippet in SNIPPETS.items():
        text = text.replace(marker, snippet)
    return nbformat.v4.new_code_cell(dedent(text).strip("\n"))


SETUP = code('''
    import kubelab
    from kubelab import linuxns, viz
    from kubelab.api import load_text
    from IPython.display import display
''')

# ----------------------------------------------------------------------------------------------- 00
NB00 = [
    md('''
    # Start here: how this Kubernetes networking course works

    This course follows one chapter about Kubernetes networking, seen with a security eye. You will not
    need a cluster: `kubelab`, the Python package behind the notebooks, is a model of what a cluster's
    components would do with your manifests, so every answer is computed, repeatable and explained.

    ## What you will learn

    - How the course is organised: reading notebooks, graded exercises, and how to check your answers.
    - The path through the parts of the chapter, with a time estimate for each.
    - Whether your machine is ready, and how a first kubelab cluster, diagram and widget look.
    '''),
    md('''
    ## How the course works

    Each part has a **notebook** in `notebooks/` that you read and run from top to bottom. The notebooks
    explain an idea in plain words, run the model on a small example, give you a widget to change one
    thing at a time, and draw a diagram with a text description next to it.

    Then comes an **exercise** in `exercises/`: a notebook with questions, answer cells for you and test
    cells that check your answers. The visible tests run as you execute the notebook: a test cell that
    finishes without an error means that part is right, and a failing one prints what differs from the
    model and why. More tests stay hidden until grading, so passing the visible ones is a good sign, not
    a guarantee.

    To check a whole exercise from a terminal (it runs the notebook the way the grader does and exits
    with 0 when every test passes, 1 otherwise):

    ```
    python -m kubelab.course check exercises/a01-pods-and-namespaces/pods-and-namespaces.ipynb
    ```

    The same model answers on the command line, for example `kubelab describe pod web -f pod.yaml`
    (a pod's namespaces and channels) or `kubelab get pods -f manifests/`.
    '''),
    SETUP,
    md('''
    ## The path through the course

    The parts follow the chapter in order. Times are for reading, running and playing with the notebook;
    each graded exercise comes after the part that finishes its topic and has its own estimate.
    '''),
    code('''
    PARTS = [  # (part, topic, minutes, exercise due after this part, its minutes)
        ("00", "Start here", 15, None, 0),
        ("01", "The network model: port sharing, an IP per pod, services", 40, None, 0),
        ("02", "Inside a pod: Linux namespaces and the pause container", 40, None, 0),
        ("03", "Beyond the network: IPC, volumes, signals", 40, "a01-pods-and-namespaces", 30),
        ("04", "Pods and Services: selectors, EndpointSlices, readiness", 45, None, 0),
        ("05", "kube-proxy: userspace, iptables and IPVS modes", 60, "a02-services-and-kube-proxy", 45),
        ("06", "Service discovery and service types: env vars, DNS, NodePort...", 50, None, 0),
        ("07", "Ingress: host and path routing, v1 API, TLS", 50, "a03-discovery-and-ingress", 45),
        ("08", "CNI, Calico and network policy", 60, "a04-cni-and-calico", 45),
        ("09", "Summary and the chapter's questions", 30, "a05-chapter-questions", 40),
        ("10", "Optional: the real-kernel lab, the model checked against Linux", 30, None, 0),
    ]
    for number, topic, minutes, exercise, ex_minutes in PARTS:
        then = f"then exercise {exercise} ({ex_minutes} min)" if exercise else ""
        print(f"{number}  {topic:<64} {minutes:>3} min  {then}")
    reading = sum(p[2] for p in PARTS)
    exercises = sum(p[4] for p in PARTS)
    print(f"\\nTotal: about {reading / 60:.1f} hours of notebooks and {exercises / 60:.1f} hours of exercises "
          f"({sum(1 for p in PARTS if p[3])} graded exercises).")
    '''),
    md('''
    Part 09 draws the whole chapter in one picture and previews its five questions; part 10 is an
    optional lab that runs one scenario on the real Linux kernel (root only; elsewhere it runs the
    model). A good rhythm is one or two parts per sitting, with the exercise at the end of its topic.

    ## Check your environment

    The next cell asks kubelab what this machine can run, like `kubelab doctor` on the command line.
    Nothing here is required beyond the Python packages: the optional parts (root and network
    namespaces for the real-kernel lab, Chromium for browser tests, a kind cluster) only unlock extras.
    The cell only reports; it never fails.
    '''),
    code('''
    import importlib
    import importlib.util

    try:
        from kubelab.cli.doctor import run_checks
        checks = [(c.status, c.name, c.detail) for c in run_checks()]
    except ImportError:  # an older kubelab without the doctor: look for the packages only
        checks = []
        for name in ("jupyterlab", "ipywidgets", "networkx", "nbgrader", "yaml", "nbclient"):
            found = importlib.util.find_spec(name) is not None
            checks.append(("ok" if found else "missing", name, "importable" if found else "pip install it"))
    for status, name, detail in checks:
        print(f"{status:<8} {name:<20} {detail}")
    missing = [name for status, name, _ in checks if status == "missing"]
    print("\\nEverything the notebooks need is here." if not missing else f"\\nMissing (optional unless listed "
          f"in pyproject.toml): {', '.join(missing)}")
    '''),
    md('''
    ## A first look at the model

    A `kubelab.Cluster` starts like a fresh kind cluster: a control-plane node and two workers, each
    with its own range of pod addresses, plus the cluster DNS. Applying a manifest schedules the pod
    and gives it an IP, exactly as the same manifests would always get.
    '''),
    code('''
    cluster = kubelab.Cluster("""
    apiVersion: v1
    kind: Pod
    metadata: {name: hello, labels: {app: hello}}
    spec:
      containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]
    """)
    hello = cluster.get("pod", "hello")
    print(f"pod {hello.name} runs on {hello.spec.node_name} with IP {hello.status.pod_ip}")
    for node in cluster.nodes():
        print(f"node {node.name:<20} IP {node.internal_ip:<12} pod range {node.spec.pod_cidr}")
    '''),
    md('''
    Every diagram in the course comes with its text description, printed under it: the drawing and the
    text say the same thing.
    '''),
    code('''
    viz.show(viz.cluster_graph(cluster))
    '''),
    md('''
    Widgets let you change one setting and watch the model answer. Tick a box below; if the table and
    the drawing change, widgets work in your JupyterLab. (If you only see a static table, the notebook
    is running under the grader or the widget extension is missing: see the environment check above.)
    '''),
    code('''
    two = load_text("""
    apiVersion: v1
    kind: Pod
    metadata: {name: duo}
    spec:
      nodeName: kind-worker
      containers: [{name: app, image: nginx}, {name: helper, image: busybox}]
    """)[0]
    viz.namespace_explorer(two)
    '''),
    md('''
    ## Security lens

    The chapter this course follows is about securing Kubernetes, and it makes one point early: every
    normal way for two things to communicate is also a way for an attacker to move. So every notebook
    ends its topic with a short look at how that path could be abused, and what limits it. Keep the
    question in mind as you go: *if this container were compromised, what else could it reach?*

    ## Then and now

    The chapter was written when Kubernetes clusters ran Docker on their nodes (around Kubernetes 1.18).
    Since then the Docker integration in kubelet (dockershim) was removed in 1.24, so nodes run
    containerd or CRI-O and you inspect them with `crictl`; several APIs the chapter uses moved or were
    retired. Each notebook has a "Then and now" section that says what changed, and the model follows
    current Kubernetes.

    ## Summary

    - Notebooks explain and demonstrate; exercises in `exercises/` are graded, with visible tests you
      run yourself and `python -m kubelab.course check` for the whole notebook.
    - The course is parts 00 to 09, nearly eight hours of notebooks and five graded exercises (about
      three and a half hours more), with the optional real-kernel lab in part 10.
    - Nothing needs a real cluster or network access: kubelab computes what the cluster would do.

    ## Your turn

    Open [part 01, the Kubernetes network model](01-network-model.ipynb) and run it from the top.
    '''),
]

# ----------------------------------------------------------------------------------------------- 01
NB01 = [
    md('''
    # The Kubernetes network model

    Before Kubernetes, running many applications on one machine meant juggling ports. This notebook
    shows that problem, how containers made it only half better, and the simple rule Kubernetes chose
    instead: every pod gets its own IP address.

    ## What you will learn

    - Why two programs on one host collide on a port, and why publishing container ports on a Docker
      host still collides.
    - The Kubernetes model: one IP per pod, shared by its containers, and the two requirements every
      network plugin must meet.
    - Why Services exist: a stable address in front of pods that come and go.
    '''),
    SETUP,
    md('''
    ## The port-sharing problem

    A machine with one IP address has one set of ports per protocol. When a program listens on TCP
    port 80, the kernel hands that port to it; a second program that asks for port 80 on the same
    address gets an error (`EADDRINUSE`) and usually exits. So two web servers on one host must agree
    on who takes which port, and every client must learn the odd port numbers.
    '''),
    code('''
    programs = [("apache", 80), ("nginx", 80), ("api", 8080)]
    for conflict in linuxns.host_process_ports(programs):
        print(conflict)
    viz.show(viz.process_port_graph(programs))
    '''),
    md('''
    ### Containers with their own addresses

    Docker gives each container its own network namespace and an address on a bridge, so two containers
    can both listen on port 80 inside. The trouble comes back as soon as they must be reachable from
    outside: `docker run -p 80:80` *publishes* a port of the host, and the host still has only one
    port 80. Here container B's publication fails, while C, published on another host port, is fine.
    '''),
    code('''
    mappings = [("A", 80, 80), ("B", 80, 80), ("C", 80, 8080)]   # (container, container port, host port)
    for conflict in linuxns.docker_host_ports(mappings):
        print(conflict)
    viz.show(viz.docker_port_graph(mappings))
    '''),
    md('''
    Handing out host ports dynamically would work, but then every client needs to discover which port
    each copy of each application got. Kubernetes avoids that whole business.

    ## One IP per pod

    In Kubernetes the unit that gets an address is the **pod**. Each pod has its own IP, taken from the
    range of the node it runs on, so pods never compete for ports with each other: two pods can both
    serve on port 80. The containers *inside* one pod share that IP and one port space, like programs
    on one small machine; they are usually parts of one application (a web server and the process that
    refreshes its content), so their authors choose distinct ports.
    '''),
    code('''
    cluster = kubelab.Cluster("""
    apiVersion: v1
    kind: Pod
    metadata: {name: web-1, labels: {app: web}}
    spec:
      containers:
      - {name: site, image: nginx, ports: [{containerPort: 80}]}
      - {name: refresher, image: git-sync, ports: [{containerPort: 9090}]}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: web-2, labels: {app: web}}
    spec:
      containers: [{name: site, image: nginx, ports: [{containerPort: 80}]}]
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: db, labels: {app: db}}
    spec:
      containers: [{name: postgres, image: postgres, ports: [{containerPort: 5432}]}]
    """)
    for pod in cluster.pods("default"):
        names = ", ".join(c.name for c in pod.spec.containers)
        print(f"{pod.name:<6} on {pod.spec.node_name:<13} IP {pod.status.pod_ip:<11} containers: {names}")
    print("port conflicts between these pods:", linuxns.port_conflicts(cluster.pods("default")) or "none")
    '''),
    md('''
    The two `site` containers both listen on port 80 without trouble: they are in different pods. Inside
    one pod it is different. Put two containers on port 80 in the same pod and the second one fails,
    just like two programs on one host:
    '''),
    code('''
    crowded = load_text("""
    apiVersion: v1
    kind: Pod
    metadata: {name: crowded}
    spec:
      nodeName: kind-worker
      containers:
      - {name: apache, image: httpd, ports: [{containerPort: 80}]}
      - {name: nginx, image: nginx, ports: [{containerPort: 80}]}
    """)[0]
    for conflict in linuxns.port_conflicts([crowded]):
        print(conflict.reason, "->", conflict.error)
    '''),
    md('''
    ### Try it: the port playground

    Add pods to the two worker nodes. A plain `containerPort` never collides between pods. A `hostPort`
    asks the node to forward one of *its* ports to the pod, and `hostNetwork` puts the pod straight
    into the node's network namespace: both bring the old collision back, per node. Try the same
    hostPort on one node, then on two different nodes; then add a second container on the same port to
    an existing pod with "Add to".
    '''),
    code('''
    playground = viz.port_playground(cluster.pods("default")[:2], nodes=["kind-worker", "kind-worker2"])
    playground
    '''),
    md('''
    ## The two requirements

    Kubernetes does not build the pod network itself: a network plugin (CNI plugin) does. Whatever the
    plugin, it has to provide two things:

    1. **Pod to pod without NAT.** A pod can reach any other pod, on any node, at that pod's own IP,
       and the receiver sees the sender's real pod IP. Nobody rewrites addresses on the way.
    2. **Node agents reach their pods.** Programs on a node, such as the kubelet running health checks,
       can reach the pods on that node.

    Together they make a pod feel like a small machine on a flat network, which is what lets ordinary
    applications move into pods without learning about port mappings. In the model, the network
    channel between containers of two pods on different nodes goes straight to the other pod's IP:
    '''),
    code('''
    web1, web2 = cluster.get("pod", "web-1"), cluster.get("pod", "web-2")
    net = linuxns.channels(web1, "refresher", "site", other_pod=web2)[0]
    print(net.how)
    print(net.why)
    '''),
    md('''
    Each node hands out pod IPs from its own range, so a node can tell which addresses are local (and
    route them into its pods) and which belong to another node:
    '''),
    code('''
    import ipaddress

    for node in cluster.nodes():
        cidr = ipaddress.ip_network(node.spec.pod_cidr)
        local = [p for p in cluster.pods() if p.status.pod_ip and ipaddress.ip_address(p.status.pod_ip) in cidr]
        listed = ", ".join(f"{p.name} {p.status.pod_ip}" for p in local) or "none"
        print(f"{node.name:<19} {node.spec.pod_cidr:<14} local pods: {listed}")
    '''),
    code('''
    viz.show(viz.cluster_graph(cluster))
    '''),
    md('''
    ## Services: the stable front door

    Pod IPs are real but not lasting: a pod that is replaced comes back with a new address, and there
    may be many copies of it. A **Service** gives a set of pods, chosen by labels, one stable virtual
    address (the ClusterIP) and a name. The cluster keeps the list of the pods behind it, the
    endpoints, up to date; the next parts show how traffic to the ClusterIP reaches them, and how a
    Service is opened to the outside world.
    '''),
    code('''
    events = []
    stop = cluster.watch(lambda event: events.append(str(event)))
    cluster.apply("""
    apiVersion: v1
    kind: Service
    metadata: {name: web}
    spec:
      selector: {app: web}
      ports: [{port: 80, targetPort: 80}]
    """)
    svc = cluster.get("svc", "web")

    def endpoints():
        return [ep.addresses[0] for s in cluster.endpoint_slices("web") for ep in s.endpoints]

    print(f"Service web: ClusterIP {svc.spec.cluster_ip}, endpoints {endpoints()}")
    cluster.delete("pod", "web-2")
    print(f"after deleting web-2: ClusterIP {cluster.get('svc', 'web').spec.cluster_ip}, endpoints {endpoints()}")
    stop()
    print("\\nwhat a watcher saw:", *events, sep="\\n  ")
    '''),
    code('''
    viz.show(viz.cluster_graph(cluster))
    '''),
    md('''
    ## Security lens

    A flat network is convenient for attackers too. Once one pod is compromised, every other pod's IP
    is reachable by default, on every port it listens on: nothing in the model above stops `web-1`
    from connecting to the database. That is why NetworkPolicy (part 08) matters; without one, the
    pod network is "allow everything".

    `hostPort` and `hostNetwork` deserve suspicion as well. A hostNetwork pod shares the node's network
    stack: it can listen on any node port, see the node's traffic and reach services bound to the node's
    loopback. The Pod Security Standards forbid both at the *baseline* level for this reason.

    ## Then and now

    - The chapter shows containers on nodes with `docker ps`. Kubernetes 1.24 removed dockershim; nodes
      run containerd or CRI-O, and `crictl pods` / `crictl ps` list pods and containers.
    - Pods can have two IPs now: IPv4/IPv6 dual-stack is stable since 1.23 (`status.podIPs`).
    - kube-proxy reads **EndpointSlices**, not Endpoints; the old Endpoints API is deprecated since 1.33.
      The demo above reads slices for that reason.
    - The service address range can grow with `ServiceCIDR` objects (networking.k8s.io/v1, stable in 1.33).
    - The userspace kube-proxy mode the chapter describes was removed in 1.26, and Ingress
      `extensions/v1beta1` / `networking.k8s.io/v1beta1` in 1.22: more in parts 05 and 07.

    ## Summary

    - On one address, one port can have one listener; Docker's own-IP containers still collide on
      published host ports.
    - Kubernetes gives every pod its own IP from its node's range; containers of a pod share it and its
      ports. hostPort and hostNetwork reintroduce per-node collisions.
    - Pods reach each other without NAT, and nodes reach their own pods; Services give pods a stable
      ClusterIP whose endpoints follow the pods.

    ## Your turn

    In the playground, find a set of three pods where exactly one conflict comes from a hostPort and
    one from two containers of one pod. Then continue with
    [part 02, inside a pod](02-inside-a-pod.ipynb), which looks at how a pod's containers share one IP.
    Questions 1 and 3 of the graded exercise
    [pods and namespaces](../exercises/a01-pods-and-namespaces/pods-and-namespaces.ipynb) are about
    this part; the rest of it comes after parts 02 and 03.
    '''),
]

# ----------------------------------------------------------------------------------------------- 02
NB02 = [
    md('''
    # Inside a pod: Linux namespaces and the pause container

    A pod looks like one thing to the Kubernetes API. On the node it is several processes that the
    kernel has placed in some shared and some separate *namespaces*. This notebook opens a pod up.

    ## What you will learn

    - The seven kinds of Linux namespace and what each one isolates.
    - What the pause container is for, and which namespaces it holds for the pod.
    - How to read a pod's namespace table, and what `hostNetwork` changes in it.
    '''),
    SETUP,
    md('''
    ## Seven kinds of Linux namespace

    A namespace gives a group of processes their own copy of one kind of system resource. Processes in
    another namespace of the same kind see a different copy, or none at all. Containers are built from
    these: a container is, roughly, a process started in new namespaces plus resource limits. The kernel
    names a namespace by an inode number, visible as a link under `/proc/<pid>/ns/`; two processes
    share a namespace exactly when the numbers match.
    '''),
    code('''
    from kubelab.linuxns.namespaces import CLONE_FLAGS, ISOLATES

    for kind in linuxns.NAMESPACE_KINDS:
        print(f"{kind:<7} {CLONE_FLAGS[kind]:<16} {ISOLATES[kind]}")
    '''),
    md('''
    Linux 5.6 added an eighth kind, the time namespace; Kubernetes does not use it, and this course
    keeps to the seven.

    ## The pause container

    Before any of your containers start, the container runtime starts a tiny **pause** container for the
    pod, the *sandbox*. Its program does almost nothing: it waits for signals and, when the pod shares
    one PID namespace, collects finished child processes. Its real job is to hold the pod-level
    namespaces open. Your containers then *join* them, so they can crash and restart while the pod keeps
    its network namespace, and therefore its IP.
    '''),
    code('''
    pod = load_text("""
    apiVersion: v1
    kind: Pod
    metadata: {name: web}
    spec:
      nodeName: kind-worker
      containers:
      - {name: app, image: nginx, ports: [{containerPort: 8080}]}
      - {name: proxy, image: envoy, ports: [{containerPort: 9090}]}
    """)[0]
    sb = linuxns.sandbox(pod)
    print(f"sandbox of {sb.pod} on {sb.node}: image {sb.pause_image}")
    print("namespace modes (CRI words):", sb.modes)
    for c in [sb.pause, *sb.containers]:
        print(f"  {c.name:<6} role {c.role:<6} PID 1 in its PID namespace: {c.pid1}")
    '''),
    md('''
    The modes are the words the kubelet uses when it asks the runtime for a sandbox: `POD` means one
    namespace for the pod, held by pause and joined by every container; `CONTAINER` means each container
    gets its own; `NODE` means the node's own namespace is used.

    ## Who shares what

    `linuxns.describe` lays this out the way you would discover it on a node by comparing the
    `/proc/<pid>/ns` links of the pause process and of each container: one row per kind, the inode
    number seen by each process.
    '''),
    code('''
    table = linuxns.describe(pod)
    print(table)
    print("\\nshared by all containers:", sorted(table.shared_kinds()))
    '''),
    md('''
    By default the containers share the network (one IP, one `localhost`, one port space), IPC and UTS
    (one hostname) namespaces of the pod, and the user namespace of the node. Each has its own mount
    namespace (its own filesystem), its own PID namespace (it cannot see the other's processes) and,
    on cgroup v2 hosts, its own cgroup namespace. The diagram shows the same thing: shared namespaces on
    the right, private ones on the left.
    '''),
    code('''
    viz.show(viz.pod_graph(pod))
    '''),
    md('''
    ## hostNetwork: using the node's namespaces

    With `hostNetwork: true` the sandbox does not get a network namespace of its own: the pod runs in
    the node's, with the node's IP and every port of the node. The runtime then also leaves the UTS
    namespace alone, so the pod sees the node's hostname. Compare the `net` and `uts` rows:
    '''),
    code('''
    import copy

    on_host = copy.deepcopy(pod)
    on_host.spec.host_network = True
    host_table = linuxns.describe(on_host)
    for kind in ("net", "uts", "ipc"):
        before, after = table.row(kind), host_table.row(kind)
        print(f"{kind:<4} default: {before.mode:<4} held by {before.holder:<6} | hostNetwork: {after.mode:<4} "
              f"held by {after.holder:<5} inode {after.ids['app']}")
    '''),
    md('''
    Inode `4026531992` is the network namespace every process of the node starts in: the pod is no
    longer isolated from the node's network at all.

    ### Try it: the namespace explorer

    Tick one setting at a time and watch which rows change from `CONTAINER` or `POD` to `NODE`.
    `shareProcessNamespace` moves the PID namespace to the pod level; `hostPID` and `hostIPC` use the
    node's. Ticking both `hostPID` and `shareProcessNamespace` shows what the API server says about
    that combination.
    '''),
    code('''
    viz.namespace_explorer(pod)
    '''),
    md('''
    ## Security lens

    Namespaces are the walls between a container and everything else on the node. The `host*` settings
    take walls down on purpose: `hostNetwork` exposes the node's network stack, `hostPID` lets a container
    see (and, with enough privileges, signal or trace) every process of the node, and `hostIPC` lets it
    attach to the node's shared memory. A compromised container with any of them is a long step closer
    to the node. The Pod Security Standards' *baseline* profile forbids all three; admit them only for
    node agents that truly need them.

    Inside one pod, remember that the shared network namespace means `localhost` is shared: a port that
    one container binds to `127.0.0.1`, thinking it private, is open to every other container of the pod.

    ## Then and now

    - The chapter finds pause containers with `docker ps` on a node. Since dockershim was removed
      (Kubernetes 1.24), use `crictl pods` for sandboxes and `crictl ps` for containers, or
      `crictl inspectp <pod-id>` for the namespace paths.
    - The pause image moved from `k8s.gcr.io` to `registry.k8s.io`; current releases use
      `registry.k8s.io/pause:3.10`.
    - cgroup v2 is the default on current distributions, and with it each container gets its own
      cgroup namespace.
    - User namespaces for pods arrived: `hostUsers: false` (beta since 1.30) gives the pod its own user
      namespace, so root inside maps to an unprivileged user on the node.
    - Sidecar containers are stable since 1.33: an init container with `restartPolicy: Always` keeps
      running next to the app containers, in the same shared namespaces:

    ```yaml
    spec:
      initContainers:
      - {name: log-shipper, image: fluent-bit, restartPolicy: Always}
      containers:
      - {name: app, image: nginx}
    ```

    ## Summary

    - Linux has seven namespace kinds used by containers: cgroup, ipc, mnt, net, pid, user and uts.
    - The pause container starts first and holds the pod's network, IPC and UTS namespaces (and PID,
      with `shareProcessNamespace`); the app containers join them and keep private mount namespaces.
    - `hostNetwork`, `hostPID` and `hostIPC` replace pod namespaces by the node's: powerful, and risky.

    ## Your turn

    Work through the graded exercise
    [pods and Linux namespaces](../exercises/a01-pods-and-namespaces/pods-and-namespaces.ipynb)
    (`exercises/a01-pods-and-namespaces/pods-and-namespaces.ipynb`): its questions on the pod's IP,
    shared namespaces and the pause container are about this notebook. Then go on to [part 03, beyond the network](03-beyond-the-network.ipynb).
    '''),
]

# ----------------------------------------------------------------------------------------------- 03
NB03 = [
    md('''
    # Beyond the network: IPC, volumes and signals

    Containers in one pod can talk over `localhost`, but that is not the only way. Shared namespaces
    and shared volumes open other paths, and each of them is a path an attacker can use too.

    ## What you will learn

    - The four ways two containers can communicate: network, IPC, a shared volume and signals.
    - Which pod settings open or close each of them, within a pod and between pods.
    - Why these paths matter in an attack, and how to narrow them.
    '''),
    SETUP,
    code('''
    pod = load_text("""
    apiVersion: v1
    kind: Pod
    metadata: {name: web}
    spec:
      nodeName: kind-worker
      volumes:
      - {name: content, emptyDir: {}}
      containers:
      - name: app
        image: nginx
        ports: [{containerPort: 8080}]
        volumeMounts: [{name: content, mountPath: /usr/share/nginx/html, readOnly: true}]
      - name: fetcher
        image: git-sync
        volumeMounts: [{name: content, mountPath: /git}]
    """)[0]
    '''),
    md('''
    ## Four ways to talk

    `linuxns.channels(pod, a, b)` lists every kind of channel between two containers, whether it is
    open, how it would be used, why (which namespace or volume decides it) and what an attacker in one
    container would gain. For the pod above, where `fetcher` writes the web content that `app` serves:
    '''),
    code('''
    for ch in linuxns.channels(pod, "fetcher", "app"):
        print(f"{ch.kind:<8} {'open' if ch.available else 'closed':<7} {ch.how}")
    '''),
    md('''
    ## IPC: shared memory and message queues

    Besides sockets, Linux offers inter-process communication objects: System V shared memory segments,
    semaphores and message queues, and POSIX message queues. They live in the IPC namespace, which the
    containers of a pod share, so one container can create a segment and another can attach to it. Two
    different pods have different IPC namespaces, unless both set `hostIPC` on the same node, in which
    case they share the *node's*, with every other host process.
    '''),
    code('''
    other = load_text("""
    apiVersion: v1
    kind: Pod
    metadata: {name: metrics}
    spec:
      nodeName: kind-worker
      containers: [{name: exporter, image: node-exporter}]
    """)[0]
    print("same pod:  ", linuxns.channels(pod, "fetcher", "app")[1].why)
    print("two pods:  ", linuxns.channels(pod, "fetcher", "exporter", other_pod=other)[1].why)

    import copy

    pod_h, other_h = copy.deepcopy(pod), copy.deepcopy(other)
    pod_h.spec.host_ipc = other_h.spec.host_ipc = True
    print("both hostIPC:", linuxns.channels(pod_h, "fetcher", "exporter", other_pod=other_h)[1].why)
    '''),
    md('''
    ## Shared volumes

    A volume mounted by two containers is a shared directory: what one writes, the other reads. Where the
    files live depends on the volume type: an `emptyDir` is created with the pod on the node's disk and
    removed with it; `medium: Memory` makes it a tmpfs in the node's RAM (fast, counted against the
    memory limit); a `hostPath` is a directory of the node itself, which outlives the pod and can be
    shared with pods that mount the same path on the same node. `readOnly` on a mount makes the
    channel one-way.
    '''),
    code('''
    volumes = load_text("""
    apiVersion: v1
    kind: Pod
    metadata: {name: store}
    spec:
      nodeName: kind-worker
      volumes:
      - {name: scratch, emptyDir: {}}
      - {name: cache, emptyDir: {medium: Memory}}
      - {name: logs, hostPath: {path: /var/log/store}}
      containers:
      - name: writer
        image: app
        volumeMounts:
        - {name: scratch, mountPath: /scratch}
        - {name: cache, mountPath: /cache}
        - {name: logs, mountPath: /logs}
      - name: reader
        image: sidecar
        volumeMounts:
        - {name: scratch, mountPath: /in}
        - {name: cache, mountPath: /cache, readOnly: true}
        - {name: logs, mountPath: /logs, readOnly: true}
    """)[0]
    for ch in linuxns.channels(volumes, "writer", "reader"):
        if ch.kind == "volume":
            print(f"{ch.volume:<8} {ch.medium:<44} writes go {ch.direction}")
    '''),
    md('''
    ## Signals and shareProcessNamespace

    By default each container has its own PID namespace: it cannot even see the other's processes, let
    alone signal them. With `shareProcessNamespace: true` the pod gets one PID namespace, held by the
    pause container (which becomes PID 1). Now `ps` in one container lists the processes of all of them,
    and `kill` can send them signals such as `SIGTERM` or `SIGKILL`, subject to the usual permission
    rules (same user, or the `CAP_KILL` capability). That is handy for a sidecar that tells a server to
    reload its configuration, and for an attacker too.
    '''),
    code('''
    import copy

    shared = copy.deepcopy(pod)
    shared.spec.share_process_namespace = True
    for name, p in (("default", pod), ("shareProcessNamespace", shared)):
        signal = linuxns.channels(p, "fetcher", "app")[-1]
        print(f"{name:<22} signal {'open' if signal.available else 'closed'}: {signal.why}")
    '''),
    md('''
    ## The channel graph

    One line per open channel between two containers, with a different line pattern for each kind. The
    widget after it lets you change the pod's settings and pick two containers; the table lists every
    channel with the reason it is open or closed.
    '''),
    code('''
    viz.show(viz.channel_graph(shared))
    '''),
    code('''
    viz.namespace_explorer(pod, focus="channels")
    '''),
    md('''
    ### Across pods

    Between pods, far fewer paths remain: the network (always, unless a NetworkPolicy says no), and
    only through node-level settings anything else: `hostIPC`, `hostPID`, or a `hostPath` both mount on
    the same node.
    '''),
    code('''
    viz.show(viz.channel_graph(pod, other))
    '''),
    md('''
    ## Security lens

    Attacks rarely stop at the first foothold. An attacker who compromises one container (say through a
    bug in `fetcher`) next looks for what that container can reach: each open channel is a possible next
    link in the chain. In this pod:

    - the shared volume lets `fetcher` plant content that `app` serves to every visitor, or a script
      that another container runs;
    - with `shareProcessNamespace`, it can read `app`'s environment variables (often secrets) through
      `/proc/<pid>/environ`, browse its files through `/proc/<pid>/root`, or simply kill it;
    - shared IPC objects can be read or corrupted;
    - `localhost` traffic never leaves the pod, so no NetworkPolicy filters it.

    To shorten the chain: put components that do not need to share into separate pods; mount volumes
    `readOnly` wherever one side only reads; turn on `shareProcessNamespace` only when a sidecar really
    needs it; run containers as different users without extra capabilities; and avoid `hostPath`,
    `hostIPC` and `hostPID` outside node agents.

    ## Then and now

    - `shareProcessNamespace` was still young when the chapter's Kubernetes was current; it is stable
      since 1.17.
    - Sidecar containers (init containers with `restartPolicy: Always`, stable since 1.33) start before
      the app containers and keep running, so they share every channel above for the pod's whole life.
    - Ephemeral debug containers (`kubectl debug -it web --image=busybox --target=app`, stable since
      1.25) join a chosen container's PID namespace: another signal path, used on purpose.
    - User namespaces (`hostUsers: false`, beta since 1.30) make root in a container an unprivileged
      user on the node, which limits what a stolen process can do outside its pod.

    ## Summary

    - Containers of a pod can communicate over the network, IPC objects, shared volumes and, with
      `shareProcessNamespace`, signals; `linuxns.channels` says which are open and why.
    - Between pods only the network is open by default; node-level settings (`hostIPC`, `hostPID`,
      `hostPath`) add more.
    - Each channel is a possible step in a kill chain: close the ones you do not need.

    ## Your turn

    Open the graded exercise
    [pods and Linux namespaces](../exercises/a01-pods-and-namespaces/pods-and-namespaces.ipynb)
    (`exercises/a01-pods-and-namespaces/pods-and-namespaces.ipynb`): its questions on channels build on
    this notebook, and its security-lens question asks you to write up an attack through
    `shareProcessNamespace` yourself. Then go on to [part 04, Pods and Services](04-pods-and-services.ipynb).
    '''),
]

# ----------------------------------------------------------------------------------------------- 04

NB04 = [
    md('''
    # Pods and Services: a stable address for pods that come and go

    Every pod has its own IP, but a pod is not meant to last: it is replaced when it crashes, when
    its node drains, when a new version rolls out. This notebook shows why clients cannot simply
    remember pod IPs, and how a Service, its selector and the EndpointSlices the cluster keeps for
    it solve that.

    ## What you will learn

    - Why pod IPs are not enough: replaced pods come back with new addresses, and a client must
      also choose among several copies.
    - How a Service selects pods by label, and how the controllers list the pods behind it in
      EndpointSlices (and the older Endpoints), with their readiness and resolved ports.
    - Services without a selector, whose endpoints you write yourself, and what an attacker can do
      with the same power.
    '''),
    SETUP,
    md('''
    ## Pods come and go

    A Deployment keeps a number of identical pods running. Each one gets an address from its
    node's range when it starts. Below, three `web` pods and a `client` are created; then `web-2` is
    deleted and a replacement with the same name is created, as a ReplicaSet would do after a
    crash. The model's IP management works like the `host-local` plugin most clusters use: it
    hands out the *next* free address on the node, not the one that was just freed.

    One simplification, so that the model always gives the same answers: the API server picks a
    Service's ClusterIP (and NodePort) at a random place in the upper part of its range, while the
    model starts at a place derived from the Service's name. Same manifests, same addresses.
    '''),
    code('''
    cluster = kubelab.Cluster("""
    @@WEB_PODS@@
    """)

    def web_ips():
        return {p.name: p.status.pod_ip for p in cluster.pods("default") if p.metadata.labels.get("app") == "web"}

    print("before:", web_ips())
    replacement = cluster.get("pod", "web-2").to_dict()
    replacement.pop("status")               # a new pod: no IP yet
    cluster.delete("pod", "web-2")
    cluster.apply(replacement)
    print("after: ", web_ips())
    '''),
    md('''
    `web-2` has the same name and runs on the same node, yet its address changed. A client that
    stored the old IP would now reach nothing, or, worse, whatever pod gets that address next. So a
    client that wants "a web pod" faces two questions: *which addresses are valid right now*, and
    *which of them should this connection go to*. Kubernetes answers the first with Services and
    their endpoints (this notebook) and the second with kube-proxy (the next one).

    ## Services: one name and one virtual IP

    A Service names a group of pods by a **label selector** and gives the group a ClusterIP, taken
    from the service range (`10.96.0.0/12` here), not from any node. No network interface in the
    cluster carries that address: it exists only as rules that kube-proxy writes on every node,
    which is why it is called *virtual*. It stays the same for the Service's whole life, however
    often the pods behind it change.

    The Service below listens on port 80 and sends to `targetPort: http`, a port *name*: each pod
    says which of its ports is called `http`.
    '''),
    code('''
    cluster.apply("""
    apiVersion: v1
    kind: Service
    metadata: {name: web}
    spec:
      selector: {app: web}
      ports: [{name: http, port: 80, targetPort: http}]
    """)
    svc = cluster.get("svc", "web")
    print(f"Service web: ClusterIP {svc.spec.cluster_ip}, port {svc.spec.ports[0].port} -> "
          f"targetPort {svc.spec.ports[0].target_port!r}")
    owners = [p.name for p in cluster.pods() if p.status.pod_ip == svc.spec.cluster_ip]
    owners += [n.name for n in cluster.nodes() if n.internal_ip == svc.spec.cluster_ip]
    print("pods or nodes that own this address:", owners or "none: it is virtual")
    '''),
    md('''
    ## EndpointSlices: the list of pods behind a Service

    The Service object itself does not list pods. Two controllers in the control plane watch
    Services and pods and write that list down:

    - the **EndpointSlice controller** writes `EndpointSlice` objects (group `discovery.k8s.io`),
      at most 100 endpoints each, labelled `kubernetes.io/service-name: web`. Each endpoint has
      its addresses, conditions (`ready`, `serving`, `terminating`), node and pod. This is what
      kube-proxy and DNS read.
    - the older **Endpoints controller** writes one `Endpoints` object named like the Service, with
      ready pods under `addresses` and the others under `notReadyAddresses`.

    Both resolve `targetPort: http` per pod, to the number that pod gave its `http` port.
    '''),
    code('''
    def show_slices(name="web"):
        for sl in cluster.endpoint_slices(name):
            ports = ", ".join(f"{p.name}={p.port}/{p.protocol}" for p in sl.ports)
            manager = sl.metadata.labels.get("endpointslice.kubernetes.io/managed-by")
            print(f"EndpointSlice {sl.name} (managed by {manager}), ports {ports}")
            for ep in sl.endpoints:
                c = ep.conditions
                where = f"pod {ep.target_ref.name} on {ep.node_name}" if ep.target_ref else "no pod (written by hand)"
                print(f"  {ep.addresses[0]:<11} ready={c.ready!s:<5} serving={c.serving!s:<5} "
                      f"terminating={c.terminating!s:<5} {where}")

    def show_endpoints(name="web"):
        for subset in cluster.get("ep", name).subsets:
            ports = [p.port for p in subset.ports]
            print(f"Endpoints {name}: addresses {[a.ip for a in subset.addresses]} "
                  f"notReadyAddresses {[a.ip for a in subset.not_ready_addresses]} ports {ports}")

    show_slices()
    show_endpoints()
    '''),
    md('''
    ### Readiness decides who gets traffic

    A pod whose readiness probe fails keeps running and keeps its IP, but it should not receive new
    requests. kubelet reports the failure in the pod's `Ready` condition; the controllers react by
    marking the endpoint `ready: false` in the slice and moving its address to
    `notReadyAddresses` in Endpoints. Here `web-1` starts failing its probe:
    '''),
    code('''
    failing = cluster.get("pod", "web-1").to_dict()
    failing["status"]["conditions"] = [c for c in failing["status"]["conditions"] if c["type"] != "Ready"]
    failing["status"]["conditions"].append({"type": "Ready", "status": "False"})
    cluster.apply(failing)
    show_slices()
    show_endpoints()
    '''),
    md('''
    ### A named port, resolved per pod

    Because `targetPort` is a name, a new version of the application may move the port. Add a pod
    whose `http` port is 9090: the controller puts it into a second slice, since all endpoints of
    one slice share the same port numbers. The Service did not change at all.
    '''),
    code('''
    cluster.apply("""
    apiVersion: v1
    kind: Pod
    metadata: {name: web-v2, labels: {app: web}}
    spec:
      nodeName: kind-worker
      containers: [{name: app, image: nginx, ports: [{name: http, containerPort: 9090}]}]
    """)
    show_slices()
    '''),
    md('''
    The diagram draws the cluster now: nodes, the pods on them and the Service with a line to each
    endpoint, labelled with its address and port. A dashed line marks an endpoint that is not
    ready. The text description under it says the same in words.
    '''),
    code('''
    viz.show(viz.cluster_graph(cluster))
    '''),
    md('''
    ### Try it: the endpoint explorer

    Move the *Replicas* slider to scale the `web` pods (new pods copy `web-1`'s labels and ports; the
    newest pod goes first when scaling down), or pick a pod and press *Toggle ready* to make it fail
    or pass its readiness probe. Watch the pod IPs change as pods are replaced, the EndpointSlice and
    Endpoints follow, and the ClusterIP stay put. The explorer works on a copy of the cluster.
    '''),
    code('''
    viz.endpoint_explorer(cluster, "web")
    '''),
    md('''
    ## Services without a selector

    A Service does not have to select pods. Leave out `selector` and the controllers leave its
    endpoints alone: you write them. This is how a cluster gives a stable in-cluster name to
    something outside it, such as a database on a virtual machine. If you write an `Endpoints`
    object, the **EndpointSlice mirroring controller** copies it into an EndpointSlice (managed by
    `endpointslicemirroring-controller.k8s.io`), so kube-proxy sees it; you can also write the
    EndpointSlice yourself.
    '''),
    code('''
    cluster.apply("""
    apiVersion: v1
    kind: Service
    metadata: {name: billing-db}
    spec:
      ports: [{name: pg, port: 5432}]
    ---
    apiVersion: v1
    kind: Endpoints
    metadata: {name: billing-db}
    subsets:
    - addresses: [{ip: 192.0.2.10}]
      notReadyAddresses: [{ip: 192.0.2.11}]
      ports: [{name: pg, port: 5432}]
    """)
    print("ClusterIP:", cluster.get("svc", "billing-db").spec.cluster_ip)
    show_slices("billing-db")
    '''),
    md('''
    ## Security lens

    Endpoints decide where a Service's traffic goes, so whoever can write them can redirect it.

    - **Writing Endpoints or EndpointSlices** for a selector-less Service can point a trusted name at
      any IP, including addresses the user could not reach otherwise. This confused-deputy problem
      was published as CVE-2021-25740; since Kubernetes 1.22 the built-in `edit` and `admin` roles no
      longer grant write access to Endpoints and EndpointSlices. Review who still has it.
    - **Labels are the selector's only test.** Anyone who may create pods in the namespace can create
      one labelled `app: web`, and it becomes an endpoint of `web` and receives a share of its
      traffic. Restrict pod creation, and consider admission policies on sensitive labels.
    - **Endpoint lists are a map.** Reading EndpointSlices shows every backend pod's IP and port,
      useful reconnaissance for someone who wants to bypass the Service and talk to pods directly.
    - A pod that is not ready still has its IP and still accepts connections sent straight to it:
      readiness only takes it out of Service load balancing, it is not a firewall.

    ## Then and now

    - The chapter's kube-proxy read **Endpoints**. EndpointSlices arrived to split big Services into
      pieces (the API is stable since 1.21) and kube-proxy has read slices instead for years; the
      Endpoints API itself is **deprecated since 1.33**: it still works, but new code should use
      EndpointSlices.
    - Endpoints now say more than ready or not: `serving` and `terminating` let kube-proxy keep
      sending to pods that are shutting down gracefully when nothing else is left.
    - Services can prefer nearby endpoints (`trafficDistribution: PreferClose`), and the service
      address range can be extended with `ServiceCIDR` objects (stable in 1.33).

    ## Summary

    - Pod IPs change whenever a pod is replaced (host-local hands out the next free address), and
      there are usually several pods to choose from; clients need something steadier.
    - A Service selects pods by label and gets a virtual ClusterIP; the EndpointSlice controller
      lists the matching pods with their readiness and per-pod resolved `targetPort`, and the
      deprecated Endpoints controller writes the same as addresses and notReadyAddresses.
    - A Service without a selector takes the endpoints you write; write access to endpoints is
      therefore a way to redirect traffic.

    ## Your turn

    Go on to [part 05, kube-proxy](05-kube-proxy.ipynb), which shows how traffic to the ClusterIP
    reaches one of these endpoints. Its graded exercise,
    [Services and kube-proxy](../exercises/a02-services-and-kube-proxy/services-and-kube-proxy.ipynb)
    (`exercises/a02-services-and-kube-proxy/services-and-kube-proxy.ipynb`), builds on both notebooks;
    its last question asks what a readiness failure changes for clients.
    '''),
]

# ----------------------------------------------------------------------------------------------- 05
NB05 = [
    md('''
    # kube-proxy: userspace, iptables and IPVS modes

    A ClusterIP belongs to no interface, yet connections to it work from every pod and node. The
    component that makes this happen is kube-proxy, which runs on every node. It has had several
    ways of doing the job; this notebook puts them side by side on one small cluster, follows a
    connection through each, and shows what each costs when the cluster grows and what happens when
    a pod stops answering.

    ## What you will learn

    - What kube-proxy watches and what it programs, and how its userspace, iptables and IPVS modes
      forward a connection to a Service.
    - How to read the rules of iptables mode: chain names, the probability ladder, masquerading.
    - Why rule count matters at scale, why iptables mode never retries a dead pod, and what a node's
      rules reveal to an attacker.
    '''),
    SETUP,
    code('''
    from collections import Counter

    from kubelab import proxy
    from kubelab.net import Network

    cluster = kubelab.Cluster("""
    apiVersion: v1
    kind: Service
    metadata: {name: web}
    spec:
      selector: {app: web}
      ports: [{name: http, port: 80, targetPort: http}]
    ---
    @@WEB_PODS@@
    """)
    svc = cluster.get("svc", "web")
    print(f"Service web: {svc.spec.cluster_ip}:80 -> pods",
          ", ".join(f"{p.name} {p.status.pod_ip}" for p in cluster.pods("default") if p.name.startswith("web")))
    MODES = viz.available_modes()
    print("kube-proxy modes in this model:", ", ".join(MODES))
    '''),
    md('''
    ## What kube-proxy does

    kube-proxy is a watcher with one job. It follows Services and EndpointSlices through the API
    server and, each time something changes, rewrites the node's forwarding state so that a
    connection to `ClusterIP:port` ends up at one of the ready endpoints. It does not carry the
    traffic itself, except in the oldest mode. The modes differ in *where* the forwarding happens:

    | mode | who forwards | how a backend is chosen | status today |
    |---|---|---|---|
    | userspace | the kube-proxy process, copying bytes | round robin, retries on failure | removed in 1.26 |
    | iptables | the kernel's netfilter (NAT rules) | random, one rule per endpoint | the default on Linux |
    | IPVS | the kernel's IP Virtual Server | a scheduler (round robin by default) | deprecated in 1.35 |
    | nftables | the kernel's nftables | random, through maps | stable since 1.33 |

    The model has the modes listed above the table; the cells below show each one that it has.

    ## The userspace mode: a real proxy

    In the first design kube-proxy was a proxy in the everyday sense. For each Service port it opened
    a listening socket on a random port of the node and installed a NAT rule sending traffic for the
    ClusterIP to that socket. It then opened a second connection to a backend pod and copied the
    bytes between the two, in both directions. Every byte crosses from the kernel to the process and
    back again, which is slow, but the process knows when a backend fails to answer and can try
    another.
    '''),
    code('''
    if "userspace" in MODES:
        print(proxy.proxier_for(cluster, "userspace", node="kind-worker").render("ports"))
    else:
        print("This kubelab has no userspace proxier yet: the mode was removed from Kubernetes in 1.26.")
    '''),
    md('''
    ## The iptables mode: rules in the kernel

    In iptables mode kube-proxy only writes rules; netfilter applies them to the first packet of each
    new connection, and conntrack applies the same translation to the rest. Per Service port there
    is a `KUBE-SERVICES` rule matching the ClusterIP and port, a `KUBE-SVC-…` chain that chooses an
    endpoint, and per endpoint a `KUBE-SEP-…` chain that rewrites the destination (DNAT). Below is
    what `iptables-save` would print on `kind-worker`, limited to the lines about `web`:
    '''),
    code('''
    ipt = proxy.proxier_for(cluster, "iptables", node="kind-worker")
    saved = ipt.render("save")
    print("\\n".join(line for line in saved.splitlines() if "default/web" in line))
    print(f"\\n{ipt.rule_count} rules in kube-proxy's chains on this node, for {len(cluster.services())} Services")
    '''),
    md('''
    `iptables-save` sorts by chain, so start at the `KUBE-SERVICES` line in the middle: it sends
    traffic for the ClusterIP to the Service's chain, listed after it. That chain's first rule marks connections from outside the pod range
    for masquerading, so replies come back through this node. Then three rules choose an endpoint;
    each `KUBE-SEP-…` chain marks hairpin traffic (a pod reaching itself through the Service) and DNATs
    to `pod IP:8080`: the named `targetPort` was resolved from the EndpointSlice.

    One simplification: real kube-proxy writes the Services into `KUBE-SERVICES` in whatever order its
    Go map gives, which can change from one sync to the next; the model writes them sorted by name, as
    kube-proxy's own tests sort them before comparing. The rules of each Service are exactly the same.

    ### The probability ladder

    The `statistic` rules are tried in order, and each sees only the connections the ones above it
    let through. With n endpoints, rule i (from 0) takes 1/(n−i) of what reaches it and the last rule
    takes the rest, so every endpoint gets 1/n overall. kube-proxy writes ten decimals; the kernel
    keeps a 31-bit fixed-point number, and `iptables-save` prints that back with eleven, which is why
    the dump above shows `0.33333333349`.
    '''),
    code('''
    from kubelab.proxy.netfilter import kernel_probability

    for n in range(1, 6):
        written = [proxy.probability(n - i) for i in range(n - 1)]
        print(f"{n} endpoint(s): writes {written or '-'}  saves {[kernel_probability(p) for p in written] or '-'}")

    net = Network(cluster, mode="iptables", seed=7)
    picked = Counter(net.connect("client", "web", 80).backend for _ in range(300))
    print("\\n300 new connections from client:", dict(sorted(picked.items())))
    '''),
    md('''
    ### Chain names are hashes

    The suffix of `KUBE-SVC-…` is the first 16 characters of a base32-encoded SHA-256 of the service
    port name and protocol, so it is the same on every node and after every restart:
    '''),
    code('''
    for name in ("default/web:http", "kube-system/kube-dns:dns", "default/kubernetes:https"):
        proto = "UDP" if name.endswith(":dns") else "TCP"
        print(f"{name + ' ' + proto:<32} -> {proxy.service_port_chain('KUBE-SVC-', name, proto)}")
    '''),
    md('''
    ## The IPVS mode: a load balancer in the kernel

    IPVS is the Linux Virtual Server's load balancer, part of the kernel and built on netfilter. In
    this mode kube-proxy binds every ClusterIP to a dummy interface, `kube-ipvs0`, and creates one
    IPVS *virtual server* per ClusterIP and port, with the endpoints as *real servers*. The kernel
    finds the virtual server with a hash lookup instead of walking a list of rules, and a scheduler
    picks the real server: round robin by default, least connections and others on request. A few
    iptables rules and ipsets remain for masquerading and filtering. This is what `ipvsadm -Ln`
    would list on the node:
    '''),
    code('''
    if "ipvs" in MODES:
        print(proxy.proxier_for(cluster, "ipvs", node="kind-worker").render("ipvsadm"))
    else:
        print("This kubelab has no IPVS proxier yet.")
    '''),
    md('''
    ## Follow one connection

    The step-through below traces one new connection from `client` to a Service, in the mode you
    pick. *Next* moves to the next hop; the diagram marks the current hop with **NOW**, and the table
    under it lists every rule the packet met at that hop, with `matched` or `no match` and what the
    rule did. Compare the number of rules in iptables mode with the hash lookup of IPVS and the extra
    hops of the userspace proxy. *Pod down* makes one backend stop answering.
    '''),
    code('''
    viz.trace_stepper(cluster, "client", [("web", 80), ("kube-system/kube-dns", 53)])
    '''),
    md('''
    The same connection in iptables mode, drawn whole: the third hop, where the DNAT happens, is
    marked as the current step.
    '''),
    code('''
    trace = cluster.connect("client", "web", 80, mode="iptables", seed=1)
    viz.show(viz.trace_graph(trace, step=2))
    '''),
    md('''
    ## When a pod stops answering

    Suppose the pod a connection is sent to has hung: it is still listed as ready, but it accepts
    nothing. In iptables mode the choice was made once, in the kernel, when the first packet passed
    the `statistic` rules; every retransmission follows the same conntrack entry to the same dead
    pod, and the client waits until it gives up. IPVS behaves the same way. The userspace proxy,
    which opens the backend connection itself, notices the failure and tries another endpoint.
    '''),
    code('''
    for mode in MODES:
        healthy = cluster.connect("client", "web", 80, mode=mode, seed=1)
        victim = healthy.backend.split("/")[1]
        hung = cluster.connect("client", "web", 80, mode=mode, seed=1, dead={victim})
        print(f"{mode:<10} picks {victim}; with {victim} hung: {hung.verdict:<9} backend {hung.backend}")
    '''),
    md('''
    What protects clients in the kernel modes is **readiness**: once the pod fails its readiness
    probe, the EndpointSlice marks it not ready and kube-proxy stops sending new connections to it.
    Until the probe notices, connections to that pod fail.

    ## Scaling: rules as Services grow

    iptables matches rules one after the other. A new connection to a Service whose rule sits far down
    `KUBE-SERVICES` is checked against every rule above it, so the cost of the first packet grows with
    the number of Services, and every change makes kube-proxy rewrite a ruleset that grows with them
    too. IPVS finds the virtual server by hashing, so its per-connection cost stays flat.

    Two Kubernetes Enhancement Proposals give the published side of this. **KEP-3866**, which
    introduced the nftables mode, lists the growth of iptables first-packet latency with the number of
    Services among its reasons. **KEP-3453** reduced how much kube-proxy passes to `iptables-restore`
    on each sync, because rewriting everything was too slow in large clusters. The model counts rules,
    not microseconds: the figures below show the shape of the growth, not timings on real hardware.

    ### Try it: the scaling explorer

    Slide the number of Services (each with two endpoints) and switch between the rules a new
    connection is checked against and the rules kept on the node. Up to 100 Services are measured in
    the model; the larger sizes continue the measured line and are marked extrapolated (tracing
    thousands of Services in the model would take minutes).
    '''),
    code('''
    viz.scaling_explorer()
    '''),
    md('''
    ## Security lens

    - **A node's rules are a map of the cluster.** Root on any node can run `iptables-save` (or
      `ipvsadm -Ln`) and list every Service's ClusterIP and port with every ready endpoint's pod IP
      and port, whatever node those pods run on. Comments name the Services; where they are left out
      (clusters with more than 1000 endpoints), the chain names can still be matched by hashing
      guessed names.
    - **Write access to the rules is write access to the traffic.** A process that can change the
      node's netfilter rules can send a Service's traffic from this node to a pod of its choosing.
      Keep workloads away from `NET_ADMIN`, `hostNetwork` and privileged mode.
    - **Hairpin traffic is masqueraded.** A pod that reaches itself through its Service sees the
      connection come from the node's bridge address, not from its own IP, so source-address checks
      inside the pod do not see the real peer.
    - **No retry is an availability risk.** In iptables and IPVS mode a hung pod that still passes
      its readiness probe keeps receiving a share of new connections, and each of them times out.
      Readiness probes that test the real work, and clients with timeouts and retries, limit the harm.

    ## Then and now

    - The **userspace** mode the chapter starts with was removed in Kubernetes 1.26.
    - **nftables** mode is stable since 1.33 and is the intended successor of iptables mode: it
      looks up Services in maps, so the first-packet cost does not grow with the number of Services.
    - The **IPVS** mode is deprecated since 1.35 (KEP-5495); clusters that chose it for scale are
      pointed to nftables.
    - kube-proxy reads **EndpointSlices**, not Endpoints, and the Endpoints API is deprecated since
      1.33.
    - iptables mode no longer rewrites every rule on every change: since KEP-3453 (on by default
      from 1.27) it sends only the chains that changed.
    - Some network plugins replace kube-proxy altogether with eBPF programs (Cilium, for example),
      which do the Service lookup in their own hash maps.

    ## Summary

    - kube-proxy watches Services and EndpointSlices and programs every node so that a ClusterIP
      connection reaches a ready endpoint; the userspace mode copied the bytes itself, iptables and
      IPVS leave forwarding to the kernel.
    - In iptables mode a `KUBE-SVC` chain picks an endpoint with probabilities 1/(n−i) and a
      `KUBE-SEP` chain DNATs to it; the first packet of a new connection walks a list that grows with
      the number of Services, while IPVS finds a Service by hash.
    - Kernel modes choose once and do not retry a dead pod; only readiness takes a pod out of the
      rotation. The userspace proxy retried, at the price of speed.

    ## Your turn

    Do the graded exercise
    [Services and kube-proxy](../exercises/a02-services-and-kube-proxy/services-and-kube-proxy.ipynb)
    (`exercises/a02-services-and-kube-proxy/services-and-kube-proxy.ipynb`): it asks you to compute the
    probability ladder, read an `iptables-save` dump, recover a Service from its chain name and
    predict what a dead pod does to clients in each mode. To review Services and EndpointSlices first,
    go back to [part 04, Pods and Services](04-pods-and-services.ipynb). Then go on to
    [part 06, service discovery and service types](06-discovery-and-service-types.ipynb).
    '''),
]

# ----------------------------------------------------------------------------------------------- 06
EXERCISE_A03 = "../exercises/a03-discovery-and-ingress/discovery-and-ingress.ipynb"

NB06 = [
    md('''
    # Service discovery and service types: finding a Service, and reaching it

    A Service gives a group of pods one stable address. Two questions remain: how does a client
    *learn* that address, and *from where* can it be reached? This notebook answers the first with
    the two mechanisms Kubernetes offers, environment variables and DNS, and the second with the
    Service types, from the in-cluster-only ClusterIP to a cloud load balancer. Every answer comes
    from the model: kubelet's variables, CoreDNS's records, the resolver's queries, and real traces
    through kube-proxy.

    ## What you will learn

    - How a pod finds a Service through environment variables or DNS, why the variables depend on
      the order objects were created, and what a pod's resolver actually sends for a short name.
    - What ClusterIP, NodePort, LoadBalancer, ExternalName and headless Services each give a
      client, read from a reachability matrix in which every cell is a traced connection.
    - How `externalTrafficPolicy` changes the source address a pod sees and which nodes answer,
      and three ways these mechanisms help an attacker.
    '''),
    SETUP,
    code('''
    from kubelab import dns, envvars, net

    cluster = kubelab.Cluster("""
    apiVersion: v1
    kind: Namespace
    metadata: {name: shop}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: early, namespace: shop}
    spec:
      nodeName: kind-worker
      containers: [{name: app, image: busybox}]
    """)
    cluster.apply("""
    apiVersion: v1
    kind: Service
    metadata: {name: db, namespace: shop}
    spec:
      selector: {app: db}
      ports: [{name: pg, port: 5432}]
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: db-0, namespace: shop, labels: {app: db}}
    spec:
      nodeName: kind-worker2
      containers: [{name: pg, image: postgres, ports: [{containerPort: 5432}]}]
    """)
    cluster.apply("""
    apiVersion: v1
    kind: Pod
    metadata: {name: late, namespace: shop}
    spec:
      nodeName: kind-worker
      containers:
      - name: app
        image: busybox
        env: [{name: DATABASE_URL, value: "postgres://$(DB_SERVICE_HOST):$(DB_SERVICE_PORT)/orders"}]
    """)
    for p in cluster.pods("shop"):
        print(f"pod shop/{p.name:<6} on {p.spec.node_name:<12} IP {p.status.pod_ip}")
    print("Service shop/db ClusterIP", cluster.get("svc", "db", "shop").spec.cluster_ip)
    '''),
    md('''
    The pods were created in three steps on purpose: `early` first, then the `db` Service with its
    pod, then `late`. Keep that order in mind.

    ## Two ways to find a Service

    ### Environment variables, written once at container start

    When kubelet starts a container it adds a set of variables for every Service of the pod's
    namespace that has a ClusterIP, plus the API server's own `kubernetes` Service. The name is
    upper-cased with dashes turned into underscores, so `db` gives `DB_SERVICE_HOST`,
    `DB_SERVICE_PORT`, and a family of older `DB_PORT_…` variables in the style of Docker links.
    The catch is *when*: the list is taken as the container starts and never updated. A pod that
    started before the Service existed does not have its variables until it is restarted.
    '''),
    code('''
    for name in ("early", "late"):
        env = envvars.service_env(cluster, cluster.pod(name, "shop"))
        db_vars = {k: v for k, v in env.items() if k.startswith("DB_")}
        print(f"{name}: {len(env)} service variables, {len(db_vars)} of them for db")
        for key, value in sorted(db_vars.items()):
            print(f"    {key}={value}")
    print()
    print("late's DATABASE_URL:", envvars.container_env(cluster, cluster.pod("late", "shop"), "app")["DATABASE_URL"])
    '''),
    md('''
    `late` also shows the one place where the variables are still handy: a declared variable can
    refer to them with `$(NAME)`, and kubelet expands it. For everything else, DNS is the better
    tool: it is looked up when needed, so it follows Services created later, and it works across
    namespaces.

    ### DNS: every pod asks the cluster DNS first

    The cluster DNS (CoreDNS, reached through the `kube-dns` Service at `10.96.0.10`) answers for
    names under `cluster.local`: a Service `db` in namespace `shop` is
    `db.shop.svc.cluster.local`. kubelet writes each pod's `/etc/resolv.conf` so that short names
    work too. This is `late`'s file, as kubelet writes it for the default `dnsPolicy: ClusterFirst`:
    '''),
    code('''
    print(dns.pod_resolv_conf(cluster, cluster.pod("late", "shop")).text())
    print(dns.query(cluster, "db.shop.svc.cluster.local").lines())
    '''),
    md('''
    Three lines matter. `nameserver` sends every query to the cluster DNS. `search` lists domains
    the resolver appends to a name, in order. `options ndots:5` says when it does so: a name with
    fewer than five dots is treated as *probably short*, so every search domain is tried before the
    name itself.

    ### Try it: the resolver's search walk

    Type a name and watch every query the pod's resolver sends, in order, with the answer each one
    gets. Try `db` (found on the first try), `db.other` (a namespace that does not exist: four
    queries, all failing), `example.com` (three queries wasted inside the cluster zone before the
    real one leaves for the upstream resolver), and `example.com.` with a final dot (absolute: one
    query). Then move `ndots` down to 1 and try `example.com` again. In this model the upstream
    resolver knows only `example.com`.
    '''),
    code('''
    UPSTREAM = {"example.com": "198.51.100.7"}
    viz.resolver_walk(cluster, "shop/late", "example.com", upstream=UPSTREAM)
    '''),
    md('''
    The same walk without the widget, for the four names:
    '''),
    code('''
    for name in ("db", "db.other", "example.com", "example.com."):
        result = dns.lookup(cluster, cluster.pod("late", "shop"), name, upstream=UPSTREAM)
        sent = ", ".join(f"{q.name} {q.status}" for q in result.queries)
        count = f"{len(result.queries)} quer{'y' if len(result.queries) == 1 else 'ies'}"
        print(f"{name:<13} {result.status:<8} {count}: {sent}")
    '''),
    md('''
    Every wasted query costs a round trip to CoreDNS, and with `ndots:5` most external names cost
    four of them (more if the node adds its own search domains). Writing external names with a
    final dot, or lowering `ndots` with the pod's `dnsConfig`, avoids that.

    ## Service types: who can reach what

    A Service's `type` says how far its address reaches. They build on one another:

    | type | what it adds | reachable from |
    |---|---|---|
    | ClusterIP (default) | a virtual IP, handled by kube-proxy on every node | pods and nodes of the cluster |
    | NodePort | the same port (30000–32767) opened on *every* node's address | anything that can reach a node |
    | LoadBalancer | an external address from the cloud provider, in front of the node ports | the outside world |
    | ExternalName | no address at all: a DNS alias (CNAME) to another name | whoever resolves the name |
    | headless (`clusterIP: None`) | no virtual IP: DNS returns the pod IPs themselves | pods, directly |

    The model plays the part of the cloud: a LoadBalancer Service gets an address from a pool
    (like MetalLB on kind) written into `status.loadBalancer`.
    '''),
    code('''
    cluster.apply("""
    apiVersion: v1
    kind: Service
    metadata: {name: web, namespace: shop}
    spec:
      type: LoadBalancer
      selector: {app: web}
      ports: [{name: http, port: 80, targetPort: 8080}]
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: web-1, namespace: shop, labels: {app: web}}
    spec:
      nodeName: kind-worker
      containers: [{name: app, image: nginx, ports: [{containerPort: 8080}]}]
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: payments, namespace: shop}
    spec: {type: ExternalName, externalName: api.payments.example}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: replicas, namespace: shop}
    spec:
      clusterIP: None
      selector: {app: db}
      ports: [{name: pg, port: 5432}]
    """)
    web = cluster.get("svc", "web", "shop")
    lb = web.status.load_balancer.ingress[0]
    print(f"web: ClusterIP {web.spec.cluster_ip}, nodePort {web.spec.ports[0].node_port}, "
          f"load balancer {lb.ip} (ipMode {lb.ip_mode})")
    server = dns.ClusterDNS(cluster, {"api.payments.example": "198.51.100.20"})
    for name in ("payments.shop.svc.cluster.local", "replicas.shop.svc.cluster.local"):
        print("\\n".join(server.query(name).lines()))
    '''),
    md('''
    `payments` is only a CNAME: no rule on any node, no port, nothing proxied; the client resolves
    the external name and connects there itself. `replicas`, headless, answers with the pod IP of
    `db-0` directly, one A record per ready pod.

    ### The reachability matrix

    For `web` the model now opens a new connection from a pod on each worker, from each node and
    from a client outside the cluster, to each address the Service has. Each cell is a trace
    through the modelled kube-proxy; `sees` is the source address the pod receives.
    '''),
    code('''
    matrix = net.reachability(cluster, "web", "shop")
    print(matrix.table())
    '''),
    md('''
    The ClusterIP column fails only from outside: that address exists only in the nodes' rules.
    The NodePort columns show that the port is open on *every* node, the control plane included,
    even though `web-1` runs on `kind-worker` alone: other nodes forward the connection, and the
    pod sees the forwarding node's address, not the client's. The diagram draws the same matrix:
    one line per delivered connection, failures listed in its notes.
    '''),
    code('''
    viz.show(viz.reachability_graph(matrix))
    '''),
    md('''
    ### Try it: change the type and the traffic policy

    Switch `web` between ClusterIP, NodePort and LoadBalancer, and `externalTrafficPolicy` between
    Cluster and Local. Each choice is applied to a copy of the cluster and every cell is traced
    again.
    '''),
    code('''
    viz.service_type_explorer(cluster, "web", "shop")
    '''),
    md('''
    ### externalTrafficPolicy: Cluster or Local

    With the default `Cluster`, any node accepts a NodePort or load-balancer connection and
    forwards it, masquerading the source so the reply comes back the same way: the pod sees a node
    address. With `Local`, a node only sends to pods on itself and keeps the client's address;
    nodes without a local endpoint drop the connection (the cloud's health check on
    `healthCheckNodePort` keeps the load balancer away from them).
    '''),
    code('''
    local = cluster.copy()
    doc = local.get("svc", "web", "shop").to_dict()
    doc.pop("status")
    doc["spec"]["externalTrafficPolicy"] = "Local"
    local.apply(doc)
    for policy, c in (("Cluster", cluster), ("Local", local)):
        m = net.reachability(c, "web", "shop")
        outside = [cell for cell in m.cells if cell.source.startswith("outside") and "NodePort" in cell.target]
        print(f"{policy}:")
        for cell in outside:
            print(f"    outside -> {cell.target:<28} {cell.short()}")
    '''),
    md('''
    ## Security lens

    - **Environment variables are a directory.** Every pod in a namespace gets the address and port
      of every Service in it, plus the API server's, whether it needs them or not. Anything that
      reads the environment (a crash report, a debug endpoint, `/proc/<pid>/environ` from a
      sidecar) maps the namespace. `enableServiceLinks: false` in the pod spec leaves out all but
      the `kubernetes` ones.
    - **DNS is a directory too.** Any pod can resolve `<name>.<namespace>.svc.cluster.local` for
      every namespace, and SRV queries reveal ports; the search walk also sends internal-looking
      names to the upstream resolver when nothing in the cluster answers.
    - **A NodePort opens on every node.** The matrix above shows `web` answering on all three
      node addresses, including the control plane. Whoever can reach any node reaches the Service,
      so node firewalls and `loadBalancerSourceRanges` matter.
    - **externalIPs can capture traffic (CVE-2020-8554).** A Service may list `externalIPs`, and
      kube-proxy then intercepts traffic to those addresses on every node. Nothing checks that the
      address belongs to you. Below, someone allowed to create Services in namespace `attacker`
      claims `8.8.8.8:53`: a pod in `shop` that queries a public resolver now talks to the
      attacker's pod instead.
    '''),
    code('''
    print("before:", cluster.connect("shop/late", "8.8.8.8", 53, "UDP").verdict, "(8.8.8.8 is outside the model)")
    hijacked = cluster.copy()
    hijacked.apply("""
    apiVersion: v1
    kind: Pod
    metadata: {name: fake-dns, namespace: attacker, labels: {app: fake-dns}}
    spec:
      nodeName: kind-worker2
      containers: [{name: dns, image: coredns, ports: [{containerPort: 53, protocol: UDP}]}]
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: innocent, namespace: attacker}
    spec:
      selector: {app: fake-dns}
      externalIPs: [8.8.8.8]
      ports: [{port: 53, protocol: UDP}]
    """)
    trace = hijacked.connect("shop/late", "8.8.8.8", 53, "UDP")
    print("\\n".join(trace.lines(rules=False)))
    captured = next(s.rule for hop in trace.hops for s in hop.steps if s.matched and "external IP" in s.rule)
    print("\\nthe rule that captured it, on the client's own node:\\n" + captured)
    '''),
    md('''
    No bug in kube-proxy is involved: it did what the Service asked. The fix is to forbid the
    field: the `DenyServiceExternalIPs` admission plugin (Kubernetes 1.21 and later) rejects any
    new use of `externalIPs`, or a policy engine can allow only approved addresses.

    ## Then and now

    - The chapter names kube-dns and CoreDNS side by side. CoreDNS became kubeadm's default in
      1.11 and the default cluster DNS in 1.13; kube-dns is gone from current clusters, though the
      Service is still called `kube-dns` for compatibility.
    - Service discovery reads **EndpointSlices** (CoreDNS and kube-proxy both), not Endpoints.
    - `internalTrafficPolicy: Local` (stable since 1.26) does for in-cluster traffic what
      `externalTrafficPolicy: Local` does for external traffic.
    - A LoadBalancer's status now carries `ipMode` (beta and on by default from 1.30): `VIP`, as
      here, means nodes handle the address themselves; `Proxy` means the cloud load balancer
      rewrites the destination and kube-proxy must not short-circuit it.
    - `allocateLoadBalancerNodePorts: false` (stable since 1.24) lets a LoadBalancer Service skip
      the node ports when the cloud sends traffic straight to pods.
    - After CVE-2020-8554 the `DenyServiceExternalIPs` admission plugin was added (1.21), off by
      default: turn it on unless you need the field.

    ## Summary

    - Environment variables name every Service of the namespace that existed when the container
      started; DNS follows changes and crosses namespaces, and is what clients should use.
    - A pod's resolver tries every search domain before the name itself when the name has fewer
      than `ndots` dots: short names are cheap, external names cost wasted queries unless written
      with a final dot.
    - ClusterIP is reachable inside the cluster, NodePort on every node, LoadBalancer from outside
      through the cloud's address; ExternalName is a CNAME and a headless Service returns pod IPs.
      `externalTrafficPolicy: Local` keeps the client's address but drops on nodes without a pod.

    ## Your turn

    Continue with [part 07, Ingress](07-ingress.ipynb), which routes HTTP requests for many
    Services through one address. The graded exercise
    [service discovery and Ingress](../exercises/a03-discovery-and-ingress/discovery-and-ingress.ipynb)
    (`exercises/a03-discovery-and-ingress/discovery-and-ingress.ipynb`) covers both notebooks; its
    first two questions are about this one: the variables a Service gives, and the queries a
    resolver sends.
    '''),
]

# ----------------------------------------------------------------------------------------------- 07
NB07 = [
    md('''
    # Ingress: one address, routed by host and path

    Services work at layers 3 and 4: an address and a port. A web application often wants more:
    send `/api` to one Service and `/` to another, serve `shop.example` and `blog.example` from the
    same address, terminate TLS once. An Ingress is a set of such HTTP rules, and an *ingress
    controller* (here a model of ingress-nginx) is the proxy that carries them out. This notebook
    loads the chapter's five variants, shows which rule wins a request and why, rewrites the
    chapter's retired YAML for today's API, adds TLS with a certificate made on the spot, and
    counts what an Ingress saves over one load balancer per Service.

    ## What you will learn

    - The chapter's five Ingress variants, and how a controller picks the rule for a host and a
      path (exact hosts, one-label wildcards, Prefix by path element, Exact, longest match).
    - How to rewrite `extensions/v1beta1` Ingress YAML as `networking.k8s.io/v1`, and how TLS
      certificates are chosen by SNI, including when the controller's fake certificate shows up.
    - How a request travels from a client through the controller to a pod, and why one Ingress
      costs less than a LoadBalancer per Service, with numbers from the model.
    '''),
    SETUP,
    code('''
    from importlib.resources import files

    from kubelab import ingress

    DATA = files("kubelab") / "data" / "ingress"
    VARIANTS = {p.name: p.read_text() for p in sorted(DATA.iterdir()) if p.name.endswith(".yaml")}
    clusters = {name: kubelab.Cluster(text) for name, text in VARIANTS.items()}
    for name, c in clusters.items():
        for ing in c.list("ingresses"):
            hosts = sorted({r.host or "*" for r in ing.spec.rules}) or ["(no rules)"]
            default = " + defaultBackend" if ing.spec.default_backend else ""
            print(f"{name:<36} Ingress {ing.namespace}/{ing.name:<16} hosts {', '.join(hosts)}{default}")
    '''),
    md('''
    ## The five variants

    The chapter lists five shapes an Ingress can take; kubelab ships them as v1 manifests, each in
    its own namespace with the Services and pods behind it:

    1. **Single Service**: no rules, only a `defaultBackend`. Every request, whatever its host or
       path, goes to `service-1`.
    2. **Simple fanout**: one host, several paths: `foo.com/foo` to `service-1`, `foo.com/bar` to
       `service-2`.
    3. **Name-based virtual hosting**: several hosts on one address: `foo.com` to `service-1`,
       `bar.com` to `service-2`. The client's `Host` header decides.
    4. **TLS**: the fanout idea plus a `tls` section naming a Secret with the certificate and key
       for `ssl.foo.com`.
    5. **Load balancing**: the Ingress API has no fields for this; the controller spreads requests
       over a Service's pods itself, and ingress-nginx adds *canary* Ingresses that take a weighted
       share of a host and path.

    The same three requests against each variant (a URL without a scheme is plain HTTP):
    '''),
    code('''
    for name, c in clusters.items():
        targets = [ingress.route(c, url, seed=0).target for url in ("foo.com/foo", "bar.com/", "lb.example.com/")]
        print(f"{name:<36} foo.com/foo -> {targets[0]:<22} bar.com/ -> {targets[1]:<20} "
              f"lb.example.com/ -> {targets[2]}")
    '''),
    md('''
    ### How the controller picks a rule

    The controller turns Ingresses into *servers*, one per host, each with its *locations* (the
    paths). A request first picks the server by its `Host` header: an exact host, else a wildcard
    such as `*.foo.com` (which covers exactly one extra label), else the catch-all server. Then the
    path: `Exact` must be equal; `Prefix` compares whole path elements split on `/`, so `/foo`
    matches `/foo` and `/foo/x` but not `/foobar`. When several match, the longest wins, and Exact
    beats Prefix of the same length. Nothing matching means the Ingress's `defaultBackend`, or the
    controller's own 404.
    '''),
    code('''
    fanout = clusters["02-simple-fanout.yaml"]
    for url in ("foo.com/foo", "foo.com/foo/", "foo.com/foo/x", "foo.com/foobar", "foo.com/FOO", "FOO.com/bar"):
        d = ingress.route(fanout, url, seed=0)
        print(f"{url:<16} -> {d.target:<22} because: {d.why[-1]}")
    '''),
    md('''
    Hosts are case-insensitive (DNS names), paths are not. The diagram below is the fanout's route
    table for one request: the server the host chose is marked **CHOSEN** and the location that
    answers **WINS**.
    '''),
    code('''
    viz.show(viz.route_graph(fanout, ingress.route(fanout, "foo.com/bar/x", seed=0)))
    '''),
    md('''
    ### Try it: which rule wins?

    Pick a variant, then type a host and a path (and switch to https to see the certificate part).
    Try `foo.com` with `/foo`, `/foobar` and `/bar/`; `bar.com` against the virtual-hosting
    variant; `ssl.foo.com` over https against the TLS variant, which has no Secret yet, so the
    controller presents its fake certificate.
    '''),
    code('''
    viz.route_explorer(clusters, host="foo.com", path="/foo")
    '''),
    md('''
    ## From v1beta1 to v1

    The chapter's YAML uses `apiVersion: extensions/v1beta1`. That API, and its successor
    `networking.k8s.io/v1beta1`, stopped being served in Kubernetes 1.22: a current cluster rejects
    the files outright. The v1 API (stable since 1.19) changed three things you must write
    differently: a backend is `service: {name, port: {number}}` instead of `serviceName` and
    `servicePort`; `spec.backend` became `spec.defaultBackend`; and every path needs a `pathType`.
    `kubelab.ingress.convert_yaml` rewrites the text; here is the chapter's minimal example:
    '''),
    code('''
    legacy = (DATA / "legacy" / "seed-variants.yaml").read_text()
    first = legacy.split("---")[0]
    v1_text, notes = ingress.convert_yaml(first)
    print(v1_text)
    print("\\n".join(f"note: {n}" for n in notes))
    '''),
    md('''
    The converter keeps the old meaning by choosing `pathType: ImplementationSpecific`, the
    default v1beta1 had. For ingress-nginx that means a plain string prefix, so `/testpath` also
    catches `/testpathology`; write `Prefix` when you mean whole path elements. Routing is the
    real test of a conversion: send the same requests through both versions and compare.
    '''),
    code('''
    old = kubelab.Cluster(first)
    new = kubelab.Cluster(v1_text.replace("ImplementationSpecific", "Prefix"))
    for url in ("any.host/testpath", "any.host/testpath/a", "any.host/testpathology", "any.host/"):
        a, b = ingress.route(old, url, seed=0).target, ingress.route(new, url, seed=0).target
        print(f"{url:<24} legacy -> {a:<20} v1 with Prefix -> {b:<20} {'same' if a == b else 'DIFFERENT'}")
    '''),
    md('''
    ## TLS: certificates, SNI and the fake certificate

    For HTTPS the controller needs a certificate and its private key, kept in a Secret of type
    `kubernetes.io/tls` (keys `tls.crt` and `tls.key`) in the Ingress's namespace. During the TLS
    handshake, before any HTTP header is sent, the client names the host it wants in the **SNI**
    field; the controller uses it to pick the certificate. Here we make a throwaway self-signed
    certificate for `ssl.foo.com` with the `cryptography` package; the key lives only in this
    kernel's memory and is never printed.
    '''),
    code('''
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID


    def throwaway_certificate(*names):
        """A self-signed certificate for DNS names, valid one day: (certificate PEM, key PEM)."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
                .sign(key, hashes.SHA256()))
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


    def tls_secret(name, namespace, cert_pem, key_pem, type_="kubernetes.io/tls"):
        return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace},
                "type": type_, "stringData": {"tls.crt": cert_pem, "tls.key": key_pem}}


    cert_pem, key_pem = throwaway_certificate("ssl.foo.com")
    secure = clusters["04-tls.yaml"].copy()
    secure.apply(tls_secret("secret-tls", "tls", cert_pem, key_pem))
    d = ingress.route(secure, viz.request_url("ssl.foo.com", "/", "https"), seed=0)
    print(f"target {d.target}, HTTP {d.status}")
    print(f"certificate {d.tls.certificate.subject}, names {d.tls.certificate.dns_names}, "
          f"fake: {d.tls.fake}, a browser accepts it for ssl.foo.com: {d.tls.hostname_verified}")
    print(f"self-signed (issuer = subject): {d.tls.certificate.self_signed}")
    '''),
    md('''
    (A browser would still warn, since nobody it trusts signed this certificate; that is about
    trust, not names. Real clusters get certificates from a CA, often through cert-manager.)

    When does the controller present its own *fake* certificate instead (subject "Kubernetes
    Ingress Controller Fake Certificate", valid only for `ingress.local`)? Whenever it has nothing
    better for the SNI it received. Four ways to get there:
    '''),
    code('''
    def presented(cluster, host):
        tls = ingress.route(cluster, viz.request_url(host, "/", "https"), seed=0).tls
        kind = "the controller's FAKE certificate" if tls.fake else f"its own certificate ({tls.certificate.subject})"
        reasons = [w for w in tls.why if not w.startswith("the controller's fake certificate")]
        return f"{kind}\\n      because: {'; '.join(reasons)}"


    wrong_type = clusters["04-tls.yaml"].copy()
    wrong_type.apply(tls_secret("secret-tls", "tls", cert_pem, key_pem, type_="Opaque"))
    other_pem, other_key = throwaway_certificate("www.foo.com")
    wrong_name = clusters["04-tls.yaml"].copy()
    wrong_name.apply(tls_secret("secret-tls", "tls", other_pem, other_key))
    cases = [("Secret in place, SNI ssl.foo.com", secure, "ssl.foo.com"),
             ("SNI for a host with no rule", secure, "nobody.foo.com"),
             ("no Secret at all (the shipped variant)", clusters["04-tls.yaml"], "ssl.foo.com"),
             ("Secret of type Opaque", wrong_type, "ssl.foo.com"),
             ("certificate for www.foo.com only", wrong_name, "ssl.foo.com")]
    for label, c, host in cases:
        print(f"{label}: {presented(c, host)}")
    '''),
    md('''
    ## A request from end to end

    An Ingress does nothing until a controller runs. `kubelab.ingress.install` adds the pieces of a
    standard ingress-nginx install: controller pods in namespace `ingress-nginx`, their Service of
    type LoadBalancer (with `externalTrafficPolicy: Local`), and the `nginx` IngressClass. A
    request then travels in two legs: from the client through kube-proxy to a controller pod, and
    from there straight to a backend pod chosen by the controller's own round robin; the
    ClusterIP of the backend Service is not used.
    '''),
    code('''
    live = clusters["03-name-based-virtual-hosting.yaml"].copy()
    ingress.install(live)
    controller = ingress.IngressController(live, seed=0)
    trip = controller.request("bar.com/")
    print("\\n".join(trip.lines()))
    '''),
    md('''
    ## One Ingress, or a load balancer per Service?

    The chapter's question 5 asks what an Ingress gains over Services of type LoadBalancer. The
    model can count it. Expose N HTTP Services from outside either as N LoadBalancer Services, or
    as N ClusterIP Services behind one Ingress and its controller (itself one LoadBalancer). The
    last column multiplies the load balancers by an **example price of 18 per month, made up for
    the arithmetic, not a quote** from any provider.
    '''),
    code('''
    print(f"{'N':>3}  {'way':<18} {'LB asked':>8} {'LB given':>8} {'node ports':>10} {'rules':>5} "
          f"{'monthly (example)':>18}")
    for n in (1, 5, 20, 60):
        for way, c in viz.exposure_counts(n).items():
            print(f"{n:>3}  {way:<18} {c['load balancers asked']:>8} {c['load balancer addresses given']:>8} "
                  f"{c['node ports (open on every node)']:>10} {c['ingress rules']:>5} "
                  f"{c['monthly (example price)']:>18.2f}")
    '''),
    md('''
    One address instead of N, two node ports instead of N, and a cost that does not grow with the
    number of Services; at 60 Services the simulated pool (51 addresses, like a MetalLB range) even
    runs out and nine Services wait with `EXTERNAL-IP <pending>`. The price is that everything
    shares one proxy: it must speak HTTP, and its configuration and availability now matter to
    every Service behind it.

    ## Security lens

    - **One front door for everything.** The controller holds the certificates of every host it
      serves and sees every request in clear text after TLS ends. It is worth more to an attacker
      than any single application. CVE-2025-1974 ("IngressNightmare", March 2025) let anyone who
      could reach ingress-nginx's admission webhook inside the cluster run code in the controller
      and read every Secret it could; upgrade, and do not expose the webhook.
    - **Annotations are configuration.** ingress-nginx's snippet annotations once let whoever could
      create an Ingress inject nginx configuration and read the controller's service-account token
      (CVE-2021-25742); they are disabled by default since. Treat "may create Ingresses" as a
      privileged right.
    - **TLS usually ends at the controller.** The second leg to the pod is plain HTTP inside the
      cluster unless the backend speaks TLS too (or a service mesh adds it).
    - **The fake certificate is a warning light.** Clients that see it (or accept it) point at a
      missing or broken Secret; a client told to skip verification would talk to anyone.
    - **Host rules are not access control.** Anyone can send any `Host` header to the controller's
      address; the catch-all server and `defaultBackend` answer requests for hosts you never meant
      to publish.

    ## Then and now

    - `networking.k8s.io/v1` Ingress is stable since 1.19; both v1beta1 APIs the chapter's era
      used are **no longer served since 1.22**. In v1, `pathType` is required, backends are
      `service: {name, port}`, and `spec.backend` is `spec.defaultBackend`.
    - **IngressClass** (1.18, v1 in 1.19) and `spec.ingressClassName` replace the
      `kubernetes.io/ingress.class` annotation; a class marked default is used when none is named.
    - The Ingress API is frozen. Its successor is the **Gateway API** (a Kubernetes SIG project,
      v1.0 with its core resources GA in October 2023): `GatewayClass`, `Gateway` and `HTTPRoute`
      separate the operator's listener from the application's routes, and add header matching,
      traffic splitting and cross-namespace rules that Ingress left to annotations.
    - The ingress-nginx project announced its retirement (best-effort maintenance until March
      2026); its users are pointed towards the Gateway API and other controllers. The Ingress
      resource itself stays part of Kubernetes.

    ## Summary

    - An Ingress is a list of HTTP routing rules; a controller turns them into servers (by host)
      and locations (by path). The host picks the server, then the longest matching path wins,
      Exact before Prefix; Prefix compares whole path elements.
    - The chapter's YAML must be rewritten for v1: `service: {name, port: {number}}`,
      `defaultBackend`, and an explicit `pathType`; compare the routing, not the text.
    - TLS certificates come from `kubernetes.io/tls` Secrets and are picked by SNI; anything
      missing or wrong gives the fake certificate. One controller behind one load balancer exposes
      any number of HTTP Services, at the price of a shared, high-value proxy.

    ## Your turn

    Do the graded exercise
    [service discovery and Ingress](../exercises/a03-discovery-and-ingress/discovery-and-ingress.ipynb)
    (`exercises/a03-discovery-and-ingress/discovery-and-ingress.ipynb`): it asks which Service each
    of a set of URLs reaches, has you convert the chapter's fanout Ingress to v1 (graded by routing
    requests through both), and ends with the chapter's question 5 in your own words. For the
    discovery questions, go back to [part 06, service discovery and types](06-discovery-and-service-types.ipynb).
    Then continue with [part 08, CNI and Calico](08-cni-and-calico.ipynb): how pods get their addresses
    and routes, and how network policy decides who may connect to whom.
    '''),
]
# ----------------------------------------------------------------------------------------------- 08
NB08 = [
    md('''
    # CNI and Calico: how a pod gets its network, and who may talk to whom

    Up to now every pod simply had an address. Someone has to create its network interface, pick that
    address, and make it reachable from the other nodes; and, if you ask for it, someone has to refuse
    the connections you did not allow. In Kubernetes these jobs belong to a CNI plugin. This notebook
    runs the CNI protocol step by step with kubelab's in-memory plugins, repairs the chapter's
    configuration file, compares the plugins the chapter lists, follows a packet through Calico's routes
    and tunnels, and plays with NetworkPolicy on several plugins.

    ## What you will learn

    - What a container runtime hands a CNI plugin (environment variables and a JSON configuration on
      stdin) and what comes back (the Result JSON), and how host-local hands out addresses.
    - How to compare CNI plugins on policy, encryption and overlay, with a source and a date for each
      claim, and what Calico's parts do: routes learnt over BGP, IPIP or VXLAN tunnels and their MTU cost.
    - How NetworkPolicy works as an allow-list (default-deny first), how a Calico `Deny` ordered before
      the Kubernetes policies overrides an allow, and why the same policies do nothing on Flannel.
    '''),
    SETUP,
    code('''
    import json
    import os
    from pathlib import Path

    from kubelab import cni, kops, policy
    from kubelab.cni.ipam import host_local
    from kubelab.cni.plugins import calico_ipam, plugin_for
    from kubelab.viz.cni import IpamExplorer, chain_config
    from IPython.display import HTML
    '''),
    md('''
    ## The CNI contract

    CNI (the Container Network Interface, a CNCF project) is a small agreement between two programs.
    The *runtime* (containerd or CRI-O on a Kubernetes node) creates a pod's network namespace and then
    executes a *plugin*, an ordinary binary found in a directory such as `/opt/cni/bin`. The plugin
    learns what to do from two inputs: environment variables (`CNI_COMMAND` says `ADD`, `DEL`, `CHECK`,
    and so on; `CNI_CONTAINERID`, `CNI_NETNS` and `CNI_IFNAME` say for which container, in which
    namespace, with which interface name) and the network configuration as JSON on its standard input.
    On success it prints a *Result*: the interfaces it made, the addresses it assigned, routes and DNS.

    A configuration *list* chains plugins: the runtime runs them in order on `ADD`, and hands each one the
    previous plugin's result as `prevResult`; on `DEL` it runs them in reverse. Below is a typical chain:
    `bridge` creates the interfaces and asks the IPAM plugin `host-local` for an address, then `portmap`
    adds the hostPort rules. `kubelab.cni.Runtime` plays the runtime; the plugins are kubelab's in-memory
    models, so nothing touches this machine.
    '''),
    code('''
    CHAIN = chain_config("10.244.1.0/24", "bridge")
    print(CHAIN)
    conf = cni.load_conflist(CHAIN)
    runtime = cni.Runtime(backend=cni.MemoryBackend())
    pod = cni.RuntimeConf("pod-web", "/run/netns/pod-web", "eth0",
                          capability_args={"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]})
    print("Environment the plugins get:", json.dumps(pod.env("ADD", "/opt/cni/bin")))
    '''),
    md('''
    Now the `ADD` itself. The result is what the last plugin of the chain printed, in the format of the
    configuration's `cniVersion`: the bridge, the host end of the veth pair and the pod's `eth0`
    (`interfaces`), the address host-local picked with its gateway (`ips`, whose `interface` is an index
    into `interfaces`), and the routes the pod should get.
    '''),
    code('''
    result = runtime.add(conf, pod)
    print(result.to_json())
    '''),
    md('''
    The loopback interface is set up the same way, with its own one-plugin list. A runtime also remembers
    every result it returned (libcni caches them on disk) so that `DEL` and `CHECK` can be given the
    `prevResult` later; `VERSION` asks a plugin which spec versions it speaks.
    '''),
    code('''
    lo = cni.load_conflist('{"cniVersion": "1.0.0", "name": "loopback", "plugins": [{"type": "loopback"}]}')
    print(runtime.add(lo, cni.RuntimeConf("pod-web", "/run/netns/pod-web", "lo")).ips)
    print("cached attachments:", [(a["networkName"], a["containerId"], a["ifName"]) for a in runtime.cached_attachments()])
    print("bridge speaks CNI versions", runtime.version("bridge")["supportedVersions"])
    '''),
    md('''
    Everything above ran in memory. The same `Runtime` can drive the real plugin binaries instead
    (`cni.SystemBackend`), but only as root on a machine that has them (Debian's
    `containernetworking-plugins` puts them in `/usr/lib/cni`). The next cell looks, and on such a
    machine only asks the real `bridge` binary for its versions, which changes nothing; everywhere else
    it says that it skipped the step. The rest of the notebook never needs the real binaries.
    '''),
    code('''
    real = os.geteuid() == 0 and Path("/usr/lib/cni/bridge").exists()
    if real:
        system = cni.Runtime(backend=cni.SystemBackend(cni.find_cni_path()))
        print("real bridge binary speaks", system.version("bridge")["supportedVersions"])
    else:
        print("No real CNI binaries here (or not root): this notebook uses kubelab's in-memory plugins only.")
    '''),
    md('''
    ## The chapter's configuration is not JSON

    The chapter prints the file kubelet would read to run Calico with host-local addresses and portmap.
    Copy it into `/etc/cni/net.d/10-calico.conflist` as printed and the node's pods never start: the
    text uses single quotes, and JSON only knows double quotes. libcni's refusal, with kubelab's hint:
    '''),
    code('''
    CHAPTER_CONF = """{
      'name': 'k8s-pod-network',
      'cniVersion': '0.3.0',
      'plugins': [
        {
          'type': 'calico',
          'log_level': 'info',
          'datastore_type': 'kubernetes',
          'nodename': '127.0.0.1',
          'ipam': {'type': 'host-local', 'subnet': 'usePodCidr'},
          'policy': {'type': 'k8s'},
          'kubernetes': {'kubeconfig': '/etc/cni/net.d/calico-kubeconfig'}
        },
        {'type': 'portmap', 'capabilities': {'portMappings': true}}
      ]
    }"""
    try:
        cni.load_conflist(CHAPTER_CONF, source="10-calico.conflist")
    except cni.ConfigError as err:
        print(err)
    '''),
    md('''
    The fix is to write proper JSON: double quotes around every key and string, `true` left as a bare
    boolean. Swapping the quote characters works here only because no value contains an apostrophe; a
    JSON tool (`python -m json.tool`, `jq`) is the safer check before a file reaches a node. Once it
    loads, the list says: run `calico` first (with `host-local` for addresses and `usePodCidr`, the
    node's `spec.podCIDR`), then `portmap`, which receives `portMappings` because it declares that
    capability.
    '''),
    code('''
    fixed = cni.load_conflist(CHAPTER_CONF.replace("'", '"'), source="10-calico.conflist")
    print(fixed.name, fixed.cni_version, [p.describe() for p in fixed.plugins])
    print("capabilities:", {p.type: p.capabilities for p in fixed.plugins})
    '''),
    md('''
    ## Handing out addresses: host-local

    `host-local` keeps one file per address in use under `/var/lib/cni/networks/<network>/` and remembers
    the last address it gave. It hands out addresses in order, skips the gateway (the first address), and
    does **not** reuse a freed address at once: it carries on after the last one, wraps around at the end
    of the range, and fails when nothing is free. Waiting before reuse makes it less likely that a
    connection meant for a deleted pod reaches its successor.
    '''),
    code('''
    store = host_local.MemoryStore()
    net = {"cniVersion": "1.0.0", "name": "demo", "ipam": {"type": "host-local", "subnet": "10.1.2.0/29"}}


    def add(cid):
        try:
            return host_local.allocate(net, cid, "eth0", store=store).ips[0]["address"]
        except Exception as err:  # the plugin's own error, as the runtime would report it
            return f"error: {err}"


    for step in ["ADD a", "ADD b", "ADD c", "DEL b", "ADD d", "ADD e", "ADD f", "ADD g"]:
        verb, cid = step.split()
        if verb == "DEL":
            host_local.release(net, cid, "eth0", store=store)
            print(f"{step}: released")
        else:
            print(f"{step}: {add(cid)}")
    '''),
    md('''
    ### Try it: attach pods to a node

    Each **Attach** below is a real CNI `ADD` through the chain above (on a small `/28`, so it fills up),
    each **Detach** a `DEL`. Watch the addresses, host-local's files, and the routes on the node. Then
    switch the plugin to `ptp`: there is no bridge any more, and the node gets one `/32` route per pod,
    which is how Calico wires pods too.
    '''),
    code('''
    viz.ipam_explorer("10.244.1.0/28", attach=2)
    '''),
    md('''
    The same state as a diagram: three pods on a bridge, with its text description.
    '''),
    code('''
    demo = IpamExplorer("10.244.1.0/28")
    for _ in range(3):
        viz.interact(demo, Attach="click")
    viz.show(viz.attachment_graph(demo.backend.node, demo.attachments))
    '''),
    md('''
    ### Calico's own IPAM: blocks

    The chapter's configuration keeps host-local, so each node hands out addresses from its own `/24`.
    Calico's own IPAM plugin, `calico-ipam`, which most installations use today, works differently: a node
    claims small *blocks* (a `/26`, 64 addresses, by default) from a cluster-wide pool when it needs
    them, and advertises one route per block. kubelab shows what it would assign for the same pods,
    without changing the cluster's addresses:
    '''),
    code('''
    SHOP = """
    apiVersion: v1
    kind: Namespace
    metadata: {name: shop}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: web, namespace: shop, labels: {app: web}}
    spec: {nodeName: kind-worker, containers: [{name: app, image: nginx, ports: [{containerPort: 8080}]}]}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: api, namespace: shop, labels: {app: api}}
    spec: {nodeName: kind-worker, containers: [{name: app, image: example/api, ports: [{containerPort: 8080}]}]}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: db, namespace: shop, labels: {app: db}}
    spec: {nodeName: kind-worker2, containers: [{name: db, image: postgres, ports: [{containerPort: 5432}]}]}
    """
    shop = kubelab.Cluster(SHOP)
    blocks = calico_ipam(shop)
    print(blocks)
    for p in shop.pods("shop"):
        print(f"{p.name:<4} host-local {p.status.pod_ip:<12} calico-ipam would give {blocks.addresses['shop/' + p.name]}")
    '''),
    md('''
    ## Choosing a plugin

    Any plugin that satisfies the Kubernetes network model will run a cluster; they differ in how they
    route, whether they enforce policy, and whether they encrypt. The chapter shows a comparison table
    from April 2019 (its Figure 2.9). kubelab keeps that table as data, each value with its source and
    date, plus later facts, so you can ask what was true then and what is true now. Values marked
    "unchecked" come from the projects' documentation as remembered, not re-read.
    '''),
    code('''
    HTML(viz.feature_matrix_html(as_of="2019-04"))
    '''),
    md('''
    Tick your requirements and see which plugins remain, and why the others were dropped. Try egress
    policy plus encryption, first as of April 2019 and then today; then ask for a routed network
    without an overlay.
    '''),
    code('''
    viz.plugin_chooser({"policy_egress": True, "encryption": True}, as_of="2019-04")
    '''),
    md('''
    ### What the benchmarks measured

    Figure 2.9 has no numbers: its source article published its measurements as charts only. The
    same author's later runs, in August 2020 (on a 10 Gbit/s network) and early 2024 (40 Gbit/s),
    published their raw result files, and kubelab reads those files (`kubelab.cni.plugins.benchmarks`)
    instead of copying numbers from pictures. Each line is the mean of the runs for one install:
    '''),
    code('''
    from kubelab.cni.plugins import benchmarks

    for name in benchmarks.BENCHMARKS:
        info = benchmarks.benchmark(name)
        print(f"{info['title']}\\n  setup: {info['setup']}\\n  data:  {info['data']}")
        for m in benchmarks.measurements(name):
            mtu = f"MTU {m.mtu}" if m.mtu else ""
            print(f"  {m.label:<20} {m.tcp_pod / 1000:6.2f} Gbit/s pod-to-pod TCP, one stream  {mtu}")
        print()
    '''),
    md('''
    Read these figures with care:

    - **The MTU explains most of the 2020 gap.** The hosts used 9000-byte frames. Installs that kept a
      pod MTU near 1500 (Calico, Canal, kube-router, Weave Net) had to cut every transfer into six
      times as many packets as Flannel and Cilium, which matched the host. That is a setting, not a
      property of the plugin: the MTU section above shows what each plugin takes off.
    - **Encryption is usually expensive.** Cilium's IPsec and Weave Net's encrypted mode keep a small
      fraction of the unencrypted figure, and WireGuard in 2024 less than half. Calico's 2020
      WireGuard run is the exception that proves the MTU point: its MTU was raised to 8940 by hand,
      and encrypted it beat the default unencrypted Calico at 1440. The ranking moves as well: in 2019
      the article found Weave Net's encryption faster than Cilium's IPsec; in the 2020 data Cilium's
      is the faster of the two.
    - **Compare within one benchmark.** The links differ (10 and 40 Gbit/s), so a 2020 figure and a
      2024 figure are not comparable. Weave Net is missing from 2024 (the company behind it closed
      that year); Flannel was kept "for comparison" although it enforces no policy.

    `matrix.choose` accepts a floor such as `{"min_tcp_gbit_s": 6}` and judges each plugin by the
    latest published figure at the chosen date (in April 2019 there was none).
    '''),
    md('''
    ## Calico

    Calico builds a *routed* pod network: there is no bridge, every pod address is reachable as itself,
    and the nodes tell each other which pod addresses they hold. The chapter names three parts; today's
    `calico/node` is really several daemons in one pod, and large clusters add Typha:
    '''),
    code('''
    model = plugin_for(shop)
    for comp in model.components:
        mark = "(named in the chapter)" if comp.in_chapter else ""
        print(f"{comp.name:<38} {comp.runs_as:<60} {mark}\\n    {comp.role}")
    '''),
    md('''
    ### Routes, tunnels and their cost

    On each node Felix writes a `/32` route per local pod to its `cali…` veth, and BIRD (a BGP daemon)
    learns from the other nodes which pod range each holds. If the node network can carry pod addresses,
    those routes point straight at the other node (the flat network the chapter praises). Where it
    cannot, for example across cloud subnets that drop unknown addresses, Calico wraps pod packets:
    IP-in-IP adds a 20-byte outer header, VXLAN 50 bytes. Either way the pod's MTU must shrink by the
    overhead, or large packets are lost. kubelab's Calico model, the same cluster, three settings:
    '''),
    code('''
    db_ip = shop.pod("db", "shop").status.pod_ip
    for mode in ("None", "IPIP", "VXLAN"):
        m = plugin_for(shop, encapsulation=mode)
        path = m.path("shop/web", db_ip)
        print(f"--- encapsulation {mode}: pod MTU {m.mtu}, outer header {path.outer or 'none'}")
        for r in m.node_routes("kind-worker"):
            print("   ", r)
    '''),
    md('''
    A whole connection from `web` on `kind-worker` to `db` on `kind-worker2`, traced by `kubelab.net`
    with the default IPIP setting: the plugin's hops (route, encapsulation, the node network, the
    decapsulation) sit between kube-proxy's netfilter steps.
    '''),
    code('''
    trace = kubelab.net.connect(shop, "shop/web", db_ip, 5432)
    for hop in trace.hops:
        if hop.kind in ("send", "veth", "route", "encap", "underlay", "decap", "deliver", "policy"):
            print(str(hop).splitlines()[0])
    viz.show(viz.trace_graph(trace))
    '''),
    md('''
    The chapter also creates a Calico cluster with kops. kubelab reads that command line and says what
    kops would build:
    '''),
    code('''
    print(kops.parse(kops.CHAPTER_EXAMPLE))
    '''),
    md('''
    ## Network policy

    Without any NetworkPolicy, every pod accepts every connection. A NetworkPolicy *selects* pods; a pod
    selected for ingress accepts only what at least one of the policies selecting it allows. Nothing in a
    Kubernetes NetworkPolicy can deny: it is an allow-list. The safe way to use it is to isolate first (a
    policy selecting every pod of the namespace with no rules, a *default-deny*) and then allow each flow
    you need. Here `web` may call `api` on 8080 and `api` may call `db` on 5432, nothing else:
    '''),
    code('''
    DENY_ALL = """
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: default-deny, namespace: shop}
    spec: {podSelector: {}, policyTypes: [Ingress]}
    """
    ALLOW = """
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: web-to-api, namespace: shop}
    spec:
      podSelector: {matchLabels: {app: api}}
      ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 8080}]}]
    ---
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: web-and-api-to-db, namespace: shop}
    spec:
      podSelector: {matchLabels: {app: db}}
      ingress: [{from: [{podSelector: {matchLabels: {app: api}}}, {podSelector: {matchLabels: {app: web}}}],
                 ports: [{port: 5432}]}]
    """
    locked = kubelab.Cluster(SHOP + "---" + DENY_ALL + "---" + ALLOW)
    for port in (8080, 5432):
        print(f"port {port}:\\n{policy.reachability(locked, ['shop'], port)}\\n")
    '''),
    md('''
    Oops: the second policy also lets `web` reach the database directly. Suppose a security review says
    that must stop, but the application team owns that policy. Calico's own `NetworkPolicy`
    (`projectcalico.org/v3`) has an `order` and a `Deny` action. Calico turns every Kubernetes policy into
    one of its own at order 1000, and evaluates the lowest order first, so a `Deny` at order 100 wins:
    '''),
    code('''
    CALICO_DENY = """
    apiVersion: projectcalico.org/v3
    kind: NetworkPolicy
    metadata: {name: no-web-to-db, namespace: shop}
    spec:
      order: 100
      selector: app == 'db'
      types: [Ingress]
      ingress: [{action: Deny, protocol: TCP, source: {selector: app == 'web'}}]
    """
    reviewed = locked.copy()
    reviewed.apply(CALICO_DENY)
    print(policy.evaluate(locked, "shop/web", "shop/db", 5432))
    print(policy.evaluate(reviewed, "shop/web", "shop/db", 5432))
    print(policy.evaluate(reviewed, "shop/api", "shop/db", 5432).word, "for api -> db: untouched")
    '''),
    md('''
    The trace engine adds the same decision as a `policy` hop on the destination node:
    '''),
    code('''
    print(reviewed.connect("shop/web", db_ip, 5432).hops[-1])
    '''),
    md('''
    ### The same policies on Flannel

    NetworkPolicy objects are stored by the API server whatever the network plugin. Only a plugin with
    a policy agent turns them into packet filters. Flannel has none: the same objects, on a Flannel
    cluster, change nothing, and the API gives no warning.
    '''),
    code('''
    flannel = kubelab.Cluster(SHOP + "---" + DENY_ALL + "---" + ALLOW + "---" + CALICO_DENY, cni="flannel")
    print(policy.reachability(flannel, ["shop"], 5432))
    print(policy.evaluate(flannel, "shop/web", "shop/db", 5432).note)
    '''),
    md('''
    ### Try it: the policy playground

    Pick a set of policies, switch the plugin, or edit the YAML (it is applied when you leave the box).
    Start with no policy at all, add the default-deny, then the allows, then the Calico deny; then move
    to Cilium (it ignores Calico's objects) and to Flannel (it ignores everything).
    '''),
    code('''
    SETS = {
        "no policy": "",
        "default-deny only": DENY_ALL,
        "default-deny + allow-list": DENY_ALL + "---" + ALLOW,
        "... + Calico Deny web -> db (order 100)": DENY_ALL + "---" + ALLOW + "---" + CALICO_DENY,
    }
    viz.policy_playground(SHOP, SETS, choice="default-deny + allow-list", namespaces=["shop"], port=5432)
    '''),
    md('''
    ## Security lens

    - **Pod traffic is plain text by default.** IPIP and VXLAN wrap packets but do not hide them: anyone
      on the node network can read them. Encryption (WireGuard in Calico, Cilium or Flannel; IPsec in
      some) must be switched on, or the application must use TLS itself.
    - **No policy means everything is open.** A compromised pod can reach every other pod, including the
      database. Default-deny first, then an allow-list per flow, and remember egress too: a default-deny
      for egress stops a compromised pod from calling out (DNS then needs its own allow).
    - **An allow-list cannot express "never".** A broad allow written later by someone else reopens a
      path. Calico's ordered `Deny` (or admin-level policies, see below) lets a platform team keep rules
      that namespace owners cannot override.
    - **Policies are only as good as the plugin.** On Flannel or the bridge plugin they are stored and
      ignored; check what your plugin enforces before relying on one.
    - **The CNI configuration is privileged.** Whoever can write `/etc/cni/net.d` or `/opt/cni/bin` on a
      node controls every pod's network; the plugin binaries run as root.

    ## Then and now

    - **CNI spec 1.0 (2021) and 1.1 (2024).** 1.0 tidied the formats: configuration lists are the
      only configuration format the spec describes, and results lost the per-address `version`; 1.1 adds a `GC` command (the runtime lists the attachments that
      should exist; the plugin removes leftovers) and `STATUS` (is the plugin ready to add pods?), plus
      `cniVersions` so one file can name several versions. kubelab's runtime implements both commands.
    - **kubelet no longer runs CNI.** `--network-plugin=cni` and `--cni-conf-dir`, quoted in the
      chapter, were removed with dockershim in Kubernetes 1.24; containerd or CRI-O read
      `/etc/cni/net.d` themselves. kubenet is gone too.
    - **Calico today** ships through the Tigera operator, mostly with `calico-ipam` blocks, VXLAN or
      IPIP chosen per IP pool (often `CrossSubnet`), optional WireGuard encryption, Typha for large
      clusters, and an eBPF data plane that can replace kube-proxy.
    - **kube-router** enforced only ingress policy in the table the chapter used; its code had egress
      support since late 2017, and current releases enforce both directions.
    - **Cilium** builds its data plane with eBPF, can replace kube-proxy entirely, adds its own
      L3 to L7 policies and WireGuard or IPsec encryption; it is a CNCF graduated project.
    - **kindnet**, kind's default plugin, enforces NetworkPolicy since kind v0.24 (2024); before that,
      policies on a kind cluster were silently ignored, as on Flannel.
    - **Weave Net** is at its end: Weaveworks closed in 2024 and the project is no longer maintained.
    - **Gateway API** (GA in 2023) is where north-south routing moved, and the Kubernetes network
      SIG Network's network-policy-api project drafts a cluster-wide `AdminNetworkPolicy` (alpha)
      with deny rules that namespace policies cannot override, much like Calico's ordered policies.

    ## Summary

    - A CNI plugin is a binary the runtime executes with `CNI_*` variables and JSON on stdin; it prints
      a Result with interfaces, addresses and routes. Chains pass each result on as `prevResult`.
    - The chapter's configuration needs double quotes to be JSON. host-local hands out addresses in
      order and does not reuse a freed one at once; Calico's IPAM gives each node `/26` blocks.
    - Calico routes pod addresses between nodes with BGP, wrapping them in IPIP (20 bytes) or VXLAN
      (50 bytes) only where needed. NetworkPolicy is an allow-list that a policy-enforcing plugin applies;
      Calico's ordered `Deny` can override it; Flannel ignores it.

    ## Your turn

    Do the graded exercise
    [CNI and Calico](../exercises/a04-cni-and-calico/cni-and-calico.ipynb)
    (`exercises/a04-cni-and-calico/cni-and-calico.ipynb`): fix the chapter's configuration, predict
    host-local's addresses, choose plugins from the feature matrix, write a default-deny allow-list, and
    override an allow with a Calico `Deny`. Then go on to
    [part 09, the whole communication picture](09-summary.ipynb), which puts every part together.
    '''),
]

# ----------------------------------------------------------------------------------------------- 10
NB10 = [
    md('''
    # The real-kernel lab: the model checked against Linux

    Every answer so far came from the model. This part runs one scenario twice: first on the model,
    then on the Linux kernel of the machine you are on, with real network namespaces, the real CNI
    plugins and kube-proxy's rules loaded into real netfilter. If the two disagree, one of them is
    wrong; the table at the end of the comparison says whether they do.

    ## What you will learn

    - What `kubelab.lab` builds from a model cluster: a namespace per node and per pod, a fabric
      bridge between nodes, addresses from the real CNI plugins and the rules kube-proxy would load.
    - How to compare the model and the kernel connection by connection, and which parts this kernel
      can only model (IPVS, for example).
    - The lab's safety rules, and what root on a node can read from the same rules.
    '''),
    md('''
    ## Can this machine run the lab?

    The lab needs four things: root (network namespaces and netfilter belong to root), the `ip`
    command with `ip netns`, the CNI plugins `bridge`, `host-local`, `loopback` and `portmap` (in
    `/usr/lib/cni` or `/opt/cni/bin`), and `iptables-restore`. Binder sessions and most learner
    accounts are not root, so there the notebook runs the model only and says what is missing. To
    run the kernel part on your own Linux machine, start JupyterLab as root with `sudo make lab`, or
    build the same lab from a terminal with `sudo kubelab lab up -f FILE` (then `kubelab lab curl`,
    `kubelab lab down`).

    Set the environment variable `KUBELAB_LAB=off` before starting Jupyter to skip the kernel part
    even as root; the notebook then behaves exactly as it does on Binder.
    '''),
    SETUP,
    code('''
    import os
    import shutil
    import time
    from collections import Counter

    from kubelab import proxy
    from kubelab.errors import KubelabError
    from kubelab.lab import Lab, doctor, list_lab_namespaces, outcome_of, plan
    from kubelab.net import Network

    def lab_missing() -> list[str]:
        """What this machine lacks for the kernel part (empty: the lab can run)."""
        missing = []
        if os.environ.get("KUBELAB_LAB", "").strip().lower() in ("off", "0", "no", "false"):
            missing.append("KUBELAB_LAB=off is set")
        if not hasattr(os, "geteuid") or os.geteuid() != 0:
            missing.append("root (network namespaces and netfilter need it)")
        if not shutil.which("ip"):
            missing.append("the ip command with ip netns (iproute2)")
        cni = next(p for p in doctor.parts() if p.name.startswith("CNI"))
        if not cni.real:
            missing.append("the CNI plugins in /usr/lib/cni or /opt/cni/bin (containernetworking-plugins)")
        if not shutil.which("iptables-restore"):
            missing.append("iptables-restore (the iptables package)")
        return missing

    MISSING = lab_missing()
    LAB = not MISSING
    if LAB:
        print("The real-kernel lab can run here: the kernel column below comes from Linux.")
    else:
        print("The kernel part is skipped; the model still runs. Missing:")
        for what in MISSING:
            print("  -", what)
        print("To run it locally: `sudo make lab` and open this notebook, or `sudo kubelab lab up -f FILE`.")
    '''),
    md('''
    ## The scenario, on the model

    The cluster is the one from [part 05, kube-proxy](05-kube-proxy.ipynb): a Service `web` with three
    pods on two workers, and a `client` pod. One Service is added, `empty`, which selects no pod. The
    model answers four questions: where connections to `web` land, whether a pod reaches another pod
    on the other node directly, what a closed port does, and what a Service with no endpoints does.
    '''),
    code('''
    cluster = kubelab.Cluster("""
    apiVersion: v1
    kind: Service
    metadata: {name: web}
    spec:
      selector: {app: web}
      ports: [{name: http, port: 80, targetPort: http}]
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: empty}
    spec:
      selector: {app: nobody}
      ports: [{port: 80}]
    ---
    @@WEB_PODS@@
    """)
    web2 = cluster.pod("web-2").status.pod_ip
    SCENARIOS = [  # (what, from, to, port, connections)
        ("ClusterIP web:80, 30 connections", "client", "web", 80, 30),
        (f"pod to pod across nodes, {web2}:8080", "client", web2, 8080, 1),
        (f"closed port, {web2}:9999", "client", web2, 9999, 1),
        ("Service with no endpoints, empty:80", "client", "empty", 80, 1),
    ]

    def on_model(src, host, port, count):
        net = Network(cluster, mode="iptables", seed=0)
        return Counter(outcome_of(net.connect(src, host, port)) for _ in range(count))

    t0 = time.perf_counter()
    MODEL = {what: on_model(src, host, port, n) for what, src, host, port, n in SCENARIOS}
    for what, got in MODEL.items():
        print(f"{what:<42} {dict(got)}")
    print(f"\\nthe model answered in {time.perf_counter() - t0:.2f} s")
    '''),
    md('''
    `outcome_of` turns a model trace into what a program in the pod would see: the name of the pod
    that answered, `refused` (a TCP reset or an ICMP port unreachable: the socket cannot tell them
    apart) or `timeout`. The lab's client prints exactly these words, so the two columns compare
    directly. The rules the kernel will get are the model's own `iptables-save` output for each node:
    '''),
    code('''
    saved = proxy.proxier_for(cluster, "iptables", node="kind-worker").render("save")
    print("\\n".join(line for line in saved.splitlines() if "default/web" in line or "default/empty" in line))
    '''),
    md('''
    Step through one connection from `client` to `web` before the kernel makes it. The diagram after
    the widget draws the cluster the lab will rebuild: each node and each pod becomes a namespace.
    '''),
    code('''
    viz.trace_stepper(cluster, "client", [("web", 80), ("empty", 80)])
    '''),
    code('''
    viz.show(viz.cluster_graph(cluster))
    '''),
    md('''
    ## What the lab builds

    `kubelab.lab.plan` turns the cluster into a plan, plain data that needs no root to print:

    - one **network namespace per node** and **per pod**, all named `kl-<lab>-…`;
    - a **fabric** namespace holding a Linux bridge, `br0`, with one veth to each node's `eth0`: it
      plays the Docker network kind's nodes share, with the same addresses (`172.18.0.x`);
    - in each node namespace, the **real CNI plugins** run as kubelet's runtime would run them:
      `loopback`, then `bridge` with `host-local` for the address and `portmap` for hostPorts, so each
      pod gets a veth on the node's `cni0` bridge and the address the model gave it;
    - a route per other node's pod range, as kindnet would add;
    - **kube-proxy's rules**, rendered by the model for that node and loaded with
      `iptables-restore --noflush`;
    - a tiny server in each pod with ports, answering with its pod's name.
    '''),
    code('''
    LAB_NAME = f"nb{os.getpid() % 100000}"
    topo = plan(cluster, LAB_NAME)
    print("fabric:", topo.fabric)
    for node in topo.nodes:
        print(f"node  {node.name:<38} netns {node.netns:<30} {node.ip:<12} pods {node.pod_cidr}")
    for pod in topo.pods:
        print(f"pod   {pod.ref:<38} netns {pod.netns:<30} {pod.ip:<12} on {pod.node}")
    plugins = topo.conflist(topo.node("kind-worker"))["plugins"]
    print("\\nCNI plugins on kind-worker:", ", ".join(p["type"] + (f" (IP addresses from {p['ipam']['type']})"
                                                                 if "ipam" in p else "") for p in plugins))
    '''),
    md('''
    ## The same scenario on the kernel

    The next cell builds the lab, makes the same connections from inside the `client` namespace and
    takes everything down again, all within a `with` block. Where the lab cannot run, the kernel
    column says `not run` and the model's answers stand alone.
    '''),
    code('''
    KERNEL, built = {}, {}
    if LAB:
        t0 = time.perf_counter()
        try:
            with Lab(cluster, LAB_NAME) as lab:
                built["up"] = lab.timings["up"]
                built["namespaces"] = [ns for ns in list_lab_namespaces() if ns.startswith(f"kl-{LAB_NAME}")]
                built["eth0"] = lab.pod_exec("client", ["ip", "-br", "-4", "addr", "show", "eth0"]).stdout.strip()
                built["rules"] = [line for line in lab.node_exec("kind-worker", ["iptables-save", "-t", "nat"]).stdout
                                  .splitlines() if "default/web" in line]
                for what, src, host, port, n in SCENARIOS:
                    KERNEL[what] = Counter(lab.curl(src, host, port, count=n, timeout=0.5))
            built["left"] = [ns for ns in list_lab_namespaces() if ns.startswith(f"kl-{LAB_NAME}")]
        except (KubelabError, OSError, ValueError) as exc:  # e.g. a container without CAP_NET_ADMIN
            KERNEL = {}
            print(f"The lab could not be built here ({exc}); showing the model only.")
        print(f"lab up, {len(SCENARIOS)} scenarios and down in {time.perf_counter() - t0:.2f} s")

    def cell(counts: Counter) -> str:  # "web-1 x9, web-2 x9" or "refused"
        return ", ".join(k.removeprefix("default/") + (f" x{v}" if v > 1 else "") for k, v in sorted(counts.items()))

    print(f"\\n{'scenario':<42} {'model':<31} {'kernel':<31} agree?")
    for what, *_ in SCENARIOS:
        if what in KERNEL:
            kernel, agree = cell(KERNEL[what]), "yes" if set(KERNEL[what]) == set(MODEL[what]) else "NO"
        else:
            kernel, agree = "not run", "-"
        print(f"{what:<42} {cell(MODEL[what]):<31} {kernel:<31} {agree}")
    '''),
    md('''
    For the ClusterIP row, "agree" compares which pods answered, not the counts: both sides pick at
    random with the same probabilities, a third each, so 30 connections split a little differently
    each time. The other rows must match exactly. (The project's differential tests repeat this for
    many more scenarios, with a statistical check on the split.)

    ### Inside the lab while it ran

    What the cell above saw while the lab was up: the namespaces, the client's `eth0` with the
    address `host-local` handed out, and the `web` rules as the kernel reported them back through
    `iptables-save`, the same lines as the model's dump a few cells up.
    '''),
    code('''
    if built:
        print(f"built in {built['up']:.2f} s; {len(built['namespaces'])} namespaces:", ", ".join(built["namespaces"]))
        print("client eth0:", built["eth0"])
        print("\\n".join(built["rules"]))
        print("\\nkl- namespaces of this lab left after the with block:", built.get("left", []) or "none")
    else:
        print("The lab did not run here, so there is nothing to show from the kernel.")
        print("Missing:", "; ".join(MISSING) or "the lab failed to build (see above)")
    '''),
    md('''
    ## The safety rules

    The lab runs as root, so it is strict about what it touches:

    - It only ever creates, enters and deletes namespaces whose names start with `kl-`. Every command
      runs inside one of them through `ip netns exec`; the host's own namespace, its interfaces,
      routes and netfilter rules are only read, never changed.
    - Taking the lab down deletes only the namespaces its own plan names, so two labs whose names
      share a prefix do not remove each other's.
    - The `with` block cleans up on every exit: normally, on an exception, on Ctrl-C
      (`KeyboardInterrupt`), and on SIGTERM or SIGHUP, which it turns into an exit while it runs.
    - If a process was killed outright, `sudo kubelab lab clean` removes any `kl-` namespace left
      behind and the processes inside it.
    '''),
    code('''
    from kubelab.lab import NETNS_PREFIX

    print("prefix every lab namespace carries:", NETNS_PREFIX)
    print("kl- namespaces on this machine now:", list_lab_namespaces() or "none")
    '''),
    md('''
    ## What this kernel can only model

    Not every part of the course can run on every kernel. `kubelab.lab.doctor` checks each part and
    says whether the lab could build it here or whether kubelab can only compute it. IPVS needs the
    `ip_vs` module, which small cloud and container kernels often lack; the userspace proxy no longer
    exists in Kubernetes at all. Where a part is modelled only, the model's answer (for example the
    `ipvsadm -Ln` listing in part 05) is all there is.
    '''),
    code('''
    for part in doctor.parts():
        print(f"{'real' if part.real else 'modelled':<9} {part.name:<40} {part.why}")
    '''),
    md('''
    ## Appendix: a kind cluster (instructors)

    The lab checks the model against the kernel; a kind cluster checks it against Kubernetes itself.
    kind needs Docker or Podman, so it cannot run on the course machines, on Binder or in CI, and
    learners never need it. On a machine with Docker, kind and kubectl, `kubelab kind` does four
    things with the same manifests as the model:

    ```
    kubelab kind config -f MANIFESTS        # a kind configuration shaped like the model
    kubelab kind apply -f MANIFESTS --context kind-kubelab
    kubelab kind compare -f MANIFESTS --context kind-kubelab --iptables
    kubelab kind delete --context kind-kubelab --run-id RUN_ID
    ```

    `compare` exits 0 when the live cluster and the model agree and lists the differences otherwise;
    `delete` removes only what that `apply` created. The README's section "Using a kind cluster
    (instructors)" gives the full steps, including installing Calico. Generating the configuration
    needs no cluster:
    '''),
    code('''
    from kubelab.kind import kind_config

    print(kind_config(cluster))
    '''),
    md('''
    ## Security lens

    - **Root on a node sees the same rules.** The lines the lab read back with `iptables-save` are
      what any process with root on a real node can read: every Service's ClusterIP and port with the
      pod IPs behind it, for the whole cluster, not just that node's pods. A compromised node is a
      map of the cluster.
    - **Root on a node can change them.** The lab loaded kube-proxy's rules with one
      `iptables-restore`; an attacker with `NET_ADMIN` in the node's namespace can load different ones
      just as quickly and send a Service's traffic elsewhere. That is why `hostNetwork`, privileged
      pods and `NET_ADMIN` are kept away from workloads.
    - **A tool that runs as root must limit itself.** The lab refuses every namespace that is not one
      of its own `kl-` ones and never writes to the host's namespace, so a bug or a wrong name cannot
      cut the machine off its network or rewrite its firewall. Give tooling the same kind of hard
      boundary rather than trusting it to be careful.

    ## Then and now

    - The rules the lab loads are those of kube-proxy's **iptables** mode, still the default on Linux.
      The **nftables** mode has been stable since Kubernetes 1.33; it keeps Services in maps, so a
      new connection does not walk a list that grows with the number of Services. The model does not
      render nftables rules yet.
    - The **IPVS** mode is deprecated since 1.35 (KEP-5495), and nftables is the suggested way
      forward for clusters that chose IPVS for scale; on this kernel IPVS may not even be available.
    - The chapter's tools were Docker and `iptables` on the node; today's nodes run containerd or
      CRI-O, the CNI plugins are the same family the lab runs, and `iptables` is often the
      `iptables-nft` front end writing into nftables.

    ## Summary

    - `kubelab.lab.Lab(cluster)` rebuilds a model cluster on the real kernel: namespaces per node and
      pod, a fabric bridge, the real CNI plugins, and kube-proxy's rules via `iptables-restore`, and
      it removes everything when the `with` block ends.
    - The same scenario gives the same answers on the model and on Linux; where the machine is not
      root or lacks the plugins, the notebook runs the model only and says what is missing.
    - The lab touches only `kl-` namespaces; the rules it reads back are what root on any node can
      read, and change.

    ## Your turn

    As root, add a fifth scenario to `SCENARIOS`, for example `client` to `web-1`'s pod IP on port
    8080, predict the model's answer, then run the comparison again. Without root, read the
    [kube-proxy notebook](05-kube-proxy.ipynb) again with the kernel's rules in mind, or go back to
    [the start of the course](00-start-here.ipynb) for the list of parts.
    '''),
]

# ----------------------------------------------------------------------------------------------- 09
NB09 = [
    md('''
    # Summary: the whole communication picture and the chapter's questions

    The chapter closes with one figure (its figure 2.10) that puts everything together: containers
    talking inside a pod, pods talking to pods through a Service, and clients outside reaching pods
    through a LoadBalancer, a NodePort and an Ingress. This notebook rebuilds that figure from a
    live kubelab model, so every line in it is a connection the model actually traced. Then it
    recaps the chapter part by part, with a link to the notebook that covers each idea, and
    previews the chapter's five questions, which the last exercise asks you to answer.

    ## What you will learn

    - How the three kinds of communication (inside a pod, between pods, from outside) fit into
      one picture, built from one model cluster.
    - Which component carries each path: the shared network namespace, kube-proxy's rules, the
      cloud load balancer, the node port on every node, the ingress controller.
    - Where each idea of the chapter is covered in this course, and what the chapter's five
      questions ask.
    '''),
    SETUP,
    md('''
    ## The cluster of figure 2.10

    The figure has four Services. **A** is exposed through a cloud load balancer (type
    LoadBalancer). **B** is a NodePort Service on port 30000 of every node. **C** and **D** are
    plain ClusterIP Services that one Ingress routes to by path. One pod, `a-1`, has two
    containers, to show the communication inside a pod, and a `client` pod stands for any other
    workload that calls a Service from inside the cluster. `kubelab.ingress.install` adds the
    ingress controller: its pods and its own LoadBalancer Service.
    '''),
    code('''
    from kubelab import ingress, net

    def backend(name, app, node, extra=""):
        return f"""
    apiVersion: v1
    kind: Pod
    metadata: {{name: {name}, labels: {{app: {app}}}}}
    spec:
      nodeName: {node}
      containers:
      - {{name: app, image: nginx, ports: [{{containerPort: 8080}}]}}{extra}
    ---"""

    def service(name, app, kind="ClusterIP", node_port=""):
        port = f", nodePort: {node_port}" if node_port else ""
        return f"""
    apiVersion: v1
    kind: Service
    metadata: {{name: {name}}}
    spec: {{type: {kind}, selector: {{app: {app}}}, ports: [{{name: http, port: 80, targetPort: 8080{port}}}]}}
    ---"""

    SIDECAR = "\\n  - {name: log-shipper, image: fluent-bit}"
    MANIFESTS = "".join([
        backend("a-1", "a", "kind-worker", SIDECAR), backend("b-1", "b", "kind-worker2"),
        backend("c-1", "c", "kind-worker"), backend("d-1", "d", "kind-worker2"),
        service("svc-a", "a", "LoadBalancer"), service("svc-b", "b", "NodePort", 30000),
        service("svc-c", "c"), service("svc-d", "d"),
    ]) + """
    apiVersion: v1
    kind: Pod
    metadata: {name: client}
    spec: {nodeName: kind-worker2, containers: [{name: c, image: curl}]}
    ---
    apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata: {name: shop}
    spec:
      ingressClassName: nginx
      rules:
      - host: shop.example
        http:
          paths:
          - {path: /c, pathType: Prefix, backend: {service: {name: svc-c, port: {number: 80}}}}
          - {path: /d, pathType: Prefix, backend: {service: {name: svc-d, port: {number: 80}}}}
    """
    cluster = kubelab.Cluster(MANIFESTS)
    ingress.install(cluster)
    for s in cluster.services():
        if s.namespace != "kube-system" and s.name != "kubernetes":
            lb = s.status.load_balancer.ingress[0].ip if s.status.load_balancer and s.status.load_balancer.ingress \\
                else "-"
            node_ports = ",".join(str(p.node_port) for p in s.spec.ports if p.node_port) or "-"
            print(f"{s.namespace + '/' + s.name:<42} {s.spec.type:<13} {s.spec.cluster_ip:<15} "
                  f"nodePort {node_ports:<12} load balancer {lb}")
    '''),
    md('''
    ## Inside a pod

    The two containers of `a-1` share the pod's network namespace, held by the pause container:
    `app` reaches `log-shipper` on `localhost`, with no Service and no rule in between. They share
    the IPC namespace too; a volume or a shared PID namespace would open two more channels.
    `linuxns.channels` says which channels are open and why.
    '''),
    code('''
    a1 = cluster.get("pod", "a-1")
    for ch in linuxns.channels(a1, "app", "log-shipper"):
        print(f"{ch.kind:<8} {'open' if ch.available else 'closed':<7} {ch.why[:110]}")
    '''),
    md('''
    ## Between pods: a Service and kube-proxy

    `client` calls `svc-c` by name. The Service's ClusterIP exists only in the nodes' rules:
    kube-proxy on the client's node rewrites the destination to the address of a ready pod (DNAT),
    and the routes of the CNI plugin carry the packet to the pod's node. The trace below is that
    connection, hop by hop.
    '''),
    code('''
    inside = net.connect(cluster, "client", "svc-c", 80, seed=1)
    print(f"{inside.verdict}: backend {inside.backend} at {inside.backend_address}, {len(inside.hops)} hops")
    viz.show(viz.trace_graph(inside))
    '''),
    md('''
    ## From outside: LoadBalancer, NodePort and Ingress

    A client outside the cluster (here `203.0.113.10`, an address from a documentation range)
    has three ways in:

    - **LoadBalancer** (Service A): the cloud (here a simulated pool, like MetalLB) gives the
      Service its own external address; the load balancer sends the connection to a node, and
      kube-proxy's rules there pick the pod.
    - **NodePort** (Service B): port 30000 is open on every node, the control plane included; a
      node without a B pod forwards the connection and masquerades it.
    - **Ingress** (Services C and D): one load balancer address in front of the ingress
      controller, which reads the HTTP host and path and proxies to a pod of the Service the rule
      names, directly to the pod's address.
    '''),
    code('''
    OUTSIDE = "203.0.113.10"
    svc_a, svc_b = cluster.get("svc", "svc-a"), cluster.get("svc", "svc-b")
    a_address = svc_a.status.load_balancer.ingress[0].ip
    node_ip = cluster.nodes()[0].internal_ip
    controller = ingress.IngressController(cluster, seed=0)
    PATHS = {
        "inside a pod: app -> log-shipper (localhost)": None,
        "between pods: client -> svc-c": inside,
        "LoadBalancer: outside -> svc-a": net.connect(cluster, OUTSIDE, a_address, 80, seed=1),
        "NodePort: outside -> svc-b": net.connect(cluster, OUTSIDE, node_ip, 30000, seed=1),
        "Ingress: outside -> shop.example/c": controller.request("shop.example/c", client=OUTSIDE),
        "Ingress: outside -> shop.example/d": controller.request("shop.example/d", client=OUTSIDE),
    }

    def outcome(trace):
        if trace is None:
            return "localhost inside the pod's network namespace (no packet leaves the pod)"
        if isinstance(trace, ingress.IngressTrace):
            return f"HTTP {trace.status} from {trace.backend} via {trace.controller_pod}"
        return f"{trace.verdict}: {trace.backend}, which sees the client as {trace.source_seen}"

    for name, trace in PATHS.items():
        print(f"{name:<38} {outcome(trace)}")
    '''),
    md('''
    Look at what the pod sees as its client. Through the ClusterIP, `c-1` sees the client pod's own
    address. Through the NodePort and the load balancer, kube-proxy masquerades the connection, so
    the pod sees an address of a node, not `203.0.113.10` (unless the Service sets
    `externalTrafficPolicy: Local`). Through the Ingress, the pod sees the controller pod: the
    original client is only in the `X-Forwarded-For` header.

    ## The whole picture in one diagram

    The diagram starts from `viz.cluster_graph` (nodes, pods, Services and their endpoints) and
    adds what the figure adds: the containers of `a-1`, the client outside and its three entry
    points. Each added line is labelled with the result of the traced connection above, so the
    picture cannot say something the model did not do.
    '''),
    code('''
    g = viz.cluster_graph(cluster)
    g.graph["title"] = "Figure 2.10 from the model: inside a pod, between pods, from outside"
    for n, data in g.nodes(data=True):  # columns: nodes, containers, pods, controller, Services, entries, outside
        data["layer"] = {"node": 0, "pod": 2, "pod-host": 2, "service": 4}.get(data["kind"], data["layer"])
        if n.startswith("pod:ingress-nginx/"):
            data["layer"] = 3
    for i, name in enumerate(("app", "log-shipper")):
        g.add_node(f"ctr:{name}", kind="container", label=f"a-1 / {name}", layer=1, order=i,
                   detail=f"container {name} of pod default/a-1")
        g.add_edge(f"ctr:{name}", "pod:default/a-1", kind="shares", label="pod netns")
    g.add_edge("ctr:app", "ctr:log-shipper", kind="network", label="localhost")
    g.add_edge("pod:default/client", "svc:default/svc-c", kind="network", label=f"ClusterIP: {inside.verdict}")

    entries = [("lb-a", f"load balancer\\n{a_address}:80", "svc:default/svc-a", "LoadBalancer: outside -> svc-a"),
               ("np-b", f"any node IP\\n:30000 ({node_ip})", "svc:default/svc-b", "NodePort: outside -> svc-b"),
               ("lb-ing", f"load balancer\\n{controller.entry('shop.example/')[0]}:80 (Ingress)",
                "svc:ingress-nginx/ingress-nginx-controller", "Ingress: outside -> shop.example/c")]
    g.add_node("outside", kind="process", label=f"client outside\\n{OUTSIDE}", layer=6, order=0,
               detail=f"a client outside the cluster at {OUTSIDE}")
    for i, (key, label, svc, path) in enumerate(entries):
        g.add_node(f"entry:{key}", kind="port", label=label, layer=5, order=i, detail=label.replace("\\n", " "))
        g.add_edge("outside", f"entry:{key}", kind="network", label=outcome(PATHS[path]).split(",")[0][:40])
        g.add_edge(f"entry:{key}", svc, kind="network", label="kube-proxy DNAT")
    for path in ("Ingress: outside -> shop.example/c", "Ingress: outside -> shop.example/d"):
        trip = PATHS[path]
        g.add_edge(f"pod:{trip.controller_pod}", f"pod:{trip.backend}", kind="network",
                   label=f"Ingress {trip.decision.ingress}: {trip.url}")
    viz.show(g)
    '''),
    md('''
    ### Try it: step through a path

    The stepper replays a connection from `client` to the Service you choose, one hop at a time,
    in the kube-proxy mode you choose. Pick `svc-b` and compare it with `svc-c`: the ClusterIP
    path is the same for any Service type; the type only adds entry points from outside. The cell
    after it prints the full trace of any path in `PATHS`: change `CHOICE` to another key.
    '''),
    code('''
    viz.trace_stepper(cluster, "client", [("svc-c", 80), ("svc-a", 80), ("svc-b", 80), ("svc-d", 80)])
    '''),
    code('''
    CHOICE = "NodePort: outside -> svc-b"
    trace = PATHS[CHOICE]
    print("\\n".join(trace.lines()) if trace is not None else outcome(trace))
    '''),
    md('''
    ## The chapter in one table

    | Idea from the chapter | In one sentence | Where in this course |
    | --- | --- | --- |
    | Port sharing and the network model | Every pod gets its own IP; containers in a pod share it, so pods never fight over ports and need no NAT between them. | [part 01, the network model](01-network-model.ipynb) |
    | Linux namespaces and the pause container | The pause container holds the pod's network and IPC namespaces; app containers join them. | [part 02, inside a pod](02-inside-a-pod.ipynb) |
    | Beyond the network | Shared volumes, IPC and (with a shared PID namespace) signals are channels too. | [part 03, beyond the network](03-beyond-the-network.ipynb) |
    | Services and endpoints | A Service is a stable virtual IP in front of the ready pods its selector picks. | [part 04, pods and Services](04-pods-and-services.ipynb) |
    | kube-proxy | Userspace, iptables and IPVS modes turn a ClusterIP into a pod address, each its own way. | [part 05, kube-proxy](05-kube-proxy.ipynb) |
    | Discovery and service types | Environment variables and DNS find Services; ClusterIP, NodePort, LoadBalancer and ExternalName expose them. | [part 06, discovery and service types](06-discovery-and-service-types.ipynb) |
    | Ingress | One controller behind one address routes HTTP by host and path to many Services. | [part 07, Ingress](07-ingress.ipynb) |
    | CNI and Calico | A CNI plugin gives each pod its interface, address and routes; Calico adds BGP routes and network policy. | [part 08, CNI and Calico](08-cni-and-calico.ipynb) |
    | The model checked | One scenario run on the real Linux kernel, next to the model's answer. | [part 10, the real-kernel lab](10-real-kernel-lab.ipynb) |

    ## The chapter's five questions

    The chapter ends with five questions. The exercise of this part asks each of them; here is what
    each one is about and where the notebook above already shows the answer:

    1. **Is an IP address given to a pod or to a container?** Compare the addresses the
       containers of `a-1` use with the pod's address in the diagram.
    2. **Which Linux namespaces do the containers of a pod share?** The channels of `a-1` list
       them, with the namespace each one comes from.
    3. **What is the pause container and what does it do?** The channels' reasons name the
       container that holds the shared namespaces.
    4. **What types of Kubernetes Service are there?** The cluster above uses three of them; the
       fourth only answers DNS with a name.
    5. **What does an Ingress give you over Services of type LoadBalancer?** Count the load
       balancer addresses in the diagram, then ask the model for more Services:
    '''),
    code('''
    for n in (2, 10):
        counts = viz.exposure_counts(n)
        print(f"{n:>2} Services: {counts['LoadBalancer each']['load balancers asked']} load balancers one way, "
              f"{counts['one Ingress']['load balancers asked']} with one Ingress")
    '''),
    md('''
    ## Security lens

    - **Each path is an attack surface of its own.** Inside a pod there is no boundary at all
      between containers on `localhost`; between pods, nothing stops a connection until a network
      policy does; from outside, every NodePort is open on every node.
    - **Source addresses lie.** Masquerading on NodePort and LoadBalancer paths and the proxy hop
      of an Ingress hide the real client, so an allow-list by source IP in the pod is wrong
      unless `externalTrafficPolicy: Local` or a trusted `X-Forwarded-For` keeps it.
    - **Fewer entry points, but a more valuable one.** An Ingress shrinks the outside surface to
      one address and holds every certificate; protect the controller as the front door it is.

    ## Then and now

    - The chapter's figure still holds: Services, kube-proxy and Ingress work the same way. What
      changed is around them: kube-proxy's userspace mode is gone (removed in 1.26) and an
      nftables mode arrived (beta in 1.31); IPVS is now the mode to move away from.
    - The Ingress API is frozen; the **Gateway API** is its successor for traffic from outside,
      and the ingress-nginx project announced its retirement.
    - Load balancers for bare-metal clusters (MetalLB, Cilium's LB IPAM) make type LoadBalancer
      usable outside the clouds, which the chapter assumed was where it lived.

    ## Summary

    - Inside a pod, containers share the pause container's network (and IPC) namespace and talk
      over `localhost`; between pods, a Service's virtual IP becomes a pod address in kube-proxy's
      rules, and the CNI plugin's routes carry the packet.
    - From outside there are three doors: a LoadBalancer address per Service, a NodePort on every
      node, or one Ingress controller that routes HTTP by host and path to many Services.
    - Each path changes what the pod sees as its client, and each door is a surface to defend;
      the diagram above draws them all from connections the model traced.

    ## Your turn

    Answer the chapter's five questions in the graded exercise
    [the chapter's questions](../exercises/a05-chapter-questions/chapter-questions.ipynb)
    (`exercises/a05-chapter-questions/chapter-questions.ipynb`). Before that, add a Service E to
    `MANIFESTS` that the Ingress reaches by host instead of path, and draw the picture again. To
    see how far the model agrees with Linux, continue with
    [part 10, the real-kernel lab](10-real-kernel-lab.ipynb).
    '''),
]


NOTEBOOKS = {
    "00-start-here.ipynb": NB00,
    "01-network-model.ipynb": NB01,
    "02-inside-a-pod.ipynb": NB02,
    "03-beyond-the-network.ipynb": NB03,
    "04-pods-and-services.ipynb": NB04,
    "05-kube-proxy.ipynb": NB05,
    "06-discovery-and-service-types.ipynb": NB06,
    "07-ingress.ipynb": NB07,
    "08-cni-and-calico.ipynb": NB08,
    "09-summary.ipynb": NB09,
    "10-real-kernel-lab.ipynb": NB10,
}


def build(cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
                   "language_info": {"name": "python"}}
    nb.cells = [nbformat.from_dict(dict(c)) for c in cells]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"  # stable ids: a rebuild gives the same file
    return nb


def main(argv: list[str]) -> int:
    """Write every notebook (or only those whose file name starts with an argument, e.g. ``08``);
    with ``--check``, write nothing and exit 1 if a notebook differs from what would be written."""
    check = "--check" in argv
    only = [a for a in argv if not a.startswith("--")]
    stale = []
    for name, cells in NOTEBOOKS.items():
        if only and not any(name.startswith(prefix) for prefix in only):
            continue
        text = nbformat.writes(build(cells)) + "\n"
        path = HERE / name
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date with notebooks/_build.py:", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
