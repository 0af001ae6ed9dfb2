"""kubelab.grading.selfcheck: 'Your turn' cells say right or wrong, without a traceback or the whole answer."""

from __future__ import annotations


from kubelab.api import Pod
from kubelab.grading import check_shared_namespaces
from kubelab.grading.selfcheck import same_set, self_check


def test_right_and_wrong_sets(capsys):
    expected = {"front/debug", "front/web", "shop/web"}
    assert self_check(same_set, ["FRONT/web", "front/debug", "shop/web"], expected, "pods")
    assert capsys.readouterr().out == "Right.\n"
    assert not self_check(same_set, {"front/web", "back/cache"}, expected, "pods", taught="'AND or OR'")
    out = capsys.readouterr().out
    assert out == "Not yet: back/cache is not among the pods; 2 are missing. See 'AND or OR'.\n"
    assert "front/debug" not in out  # the missing items are counted, not named


def test_reuses_the_graders_checks(capsys):
    agent = Pod.from_dict({"metadata": {"name": "node-agent"}, "spec": {"hostNetwork": True, "hostPID": True,
                           "containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}})
    assert self_check(check_shared_namespaces, {"net", "uts", "ipc", "pid"}, agent)
    assert not self_check(check_shared_namespaces, {"net", "ipc"}, agent)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Right." and out[1].startswith("Not yet: You left out")
    assert "Traceback" not in "\n".join(out)


def test_unanswered(capsys):
    assert not self_check(same_set, ..., {"a"}, "pods")
    assert "write your answer" in capsys.readouterr().out
