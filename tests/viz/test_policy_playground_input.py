"""The policy playground's YAML box on careless and hostile entries (issue 14 item 11)."""

from __future__ import annotations

import pytest

from kubelab import viz
from tests.viz.test_cni import SETS, SHOP


@pytest.fixture
def app():
    return viz.policy_playground(SHOP, SETS, namespaces=["shop"])


@pytest.mark.parametrize("entry", ["/etc/passwd", "/etc/shadow", "/", "."])
def test_a_one_line_entry_is_yaml_not_a_path(app, entry, monkeypatch):
    import builtins
    import io

    opened = []
    real_open = io.open

    def spy(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    monkeypatch.setattr(io, "open", spy)
    html = viz.interact(app, YAML=entry)
    assert entry not in opened
    assert app.error == "YAML: expected a Kubernetes object (a mapping with apiVersion and kind), got str"
    assert html.count("Not applied") == 1 and "root:" not in html


def test_a_300_character_word_is_a_message(app):
    html = viz.interact(app, YAML="x" * 300)
    assert app.error.startswith("YAML: expected a Kubernetes object") and html.count("Not applied") == 1


@pytest.mark.parametrize("entry", ["kind: Nonsense", "{", "a: &a [*a]", "[" * 5000, "apiVersion: v1\nkind: Pod"])
def test_any_entry_gives_one_message_not_an_exception(app, entry):
    html = viz.interact(app, YAML=entry)
    assert app.error and html.count("Not applied") == 1


def test_only_the_latest_error_is_shown_over_the_last_good_matrix(app):
    good = viz.interact(app, Policies="deny")
    for entry in ("kind: Nonsense", "x" * 300, "/etc/shadow", "{"):
        html = viz.interact(app, YAML=entry)
        assert html.count("Not applied") == 1 and html.endswith(good)
    assert viz.interact(app, YAML=SETS["deny"]) == good and not app.error
