"""Feedback that teaches: a check's failure is its message only, says where it is taught, and never spells out the answer."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell

import kubelab
import kubelab.grading as grading
from kubelab.api import Pod
from kubelab.grading import WrongAnswer
from kubelab.grading.answers import TAUGHT, fmt_set
from tests import factories
from tests.course.headings import headings

REPO = Path(__file__).resolve().parents[2]
CHECKS = sorted(n for n in grading.__all__ if n.startswith("check_"))


def test_every_check_says_where_it_is_taught():
    assert CHECKS and [name for name in CHECKS if name not in TAUGHT] == []
    for name in CHECKS:
        assert getattr(grading, name).taught == TAUGHT[name]


@pytest.mark.parametrize("name", CHECKS)
def test_the_section_exists(name):
    notebook, section = TAUGHT[name]
    nb = nbformat.read(REPO / "notebooks" / f"{notebook}.ipynb", as_version=4)
    assert section in [text for _, text in headings(nb)]


def test_ipython_shows_the_message_only():
    shell = InteractiveShell.instance()
    shell.user_ns["check_ip_per"] = grading.check_ip_per
    result = shell.run_cell("check_ip_per('container')")
    assert isinstance(result.error_in_exec, WrongAnswer)
    rendered = "\n".join(result.error_in_exec._render_traceback_())
    assert rendered.startswith("WrongAnswer: You said each container gets its own IP")
    assert "Taught in notebooks/01-network-model.ipynb" in rendered
    assert "Traceback" not in rendered and ".py" not in rendered.replace(".ipynb", "")


def pod(**spec):
    return Pod.from_dict(factories.pod("web", containers=[{"name": "app", "image": "nginx"},
                                                          {"name": "proxy", "image": "envoy"}], **spec))


LOGGING = """
apiVersion: v1
kind: Pod
metadata: {name: logging}
spec:
  nodeName: kind-worker
  volumes: [{name: logs, emptyDir: {}}]
  containers:
  - {name: app, image: busybox, volumeMounts: [{name: logs, mountPath: /var/log/app}]}
  - {name: shipper, image: busybox, volumeMounts: [{name: logs, mountPath: /logs}]}
"""


@pytest.mark.parametrize("answer", [{"mnt"}, set(), {"cgroup", "user"}, "net", {"pid", "mnt"}])
def test_namespace_messages_never_list_the_right_set(answer):
    for spec in ({}, {"shareProcessNamespace": True}, {"hostNetwork": True}):
        p = pod(**spec)
        required, _ = grading.shared_namespace_kinds(p)
        try:
            grading.check_shared_namespaces(answer, p)
        except WrongAnswer as exc:
            assert fmt_set(required) not in str(exc)
            assert sum(f"'{k}'" in str(exc) for k in required - grading.namespace_kinds(answer or "net")) <= 1
        held = grading.pause_namespace_kinds(p)
        try:
            grading.check_pause_namespaces(answer, p)
        except WrongAnswer as exc:
            assert fmt_set(held) not in str(exc) and "holds:" not in str(exc)


def test_channel_and_service_type_messages_explain_one_mistake():
    cluster = kubelab.Cluster(LOGGING)
    logging_pod = cluster.pod("logging")
    debug = copy.deepcopy(logging_pod)
    debug.spec.share_process_namespace = True
    with pytest.raises(WrongAnswer) as err:
        grading.check_channels(set(), debug, "app", "shipper")
    msg = str(err.value)
    assert "Available here" not in msg and "3 more things to fix" in msg
    with pytest.raises(WrongAnswer) as err:
        grading.check_service_types({"ClusterIP"})
    msg = str(err.value)
    assert "The types are" not in msg and "LoadBalancer, ExternalName" not in msg and "2 more things" in msg


def test_chain_backend_and_query_messages_do_not_hand_over_the_value():
    from kubelab.grading import service_chain_name
    want = service_chain_name("default", "shop", "http", "TCP")
    with pytest.raises(WrongAnswer) as err:
        grading.check_service_chain("KUBE-SVC-AAAAAAAAAAAAAAAA", "default", "shop", "http", "TCP")
    assert want not in str(err.value)
    from kubelab.dns import search_order
    want = search_order("db", ["a.svc.cluster.local", "svc.cluster.local"], 5)
    with pytest.raises(WrongAnswer) as err:
        grading.check_search_order(["db."], "db", ["a.svc.cluster.local", "svc.cluster.local"], 5)
    assert str(want) not in str(err.value) and not all(q in str(err.value) for q in want)
