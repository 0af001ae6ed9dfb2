"""Configuration lists: libcni's parsing rules and kubelab's friendly JSON errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kubelab.cni.config import ConfigError, load_conflist
from kubelab.cni.config import load_file
from kubelab.grading.cni import CHAPTER_CONFIG

# The chapter's example ("CNI specification and plugins"), verbatim: single quotes, so not JSON (kept once, for the a04 grader).
CHAPTER = CHAPTER_CONFIG


def test_chapter_example_single_quotes():
    with pytest.raises(ConfigError) as exc:
        load_conflist(CHAPTER, source="10-calico.conflist")
    assert str(exc.value) == ("10-calico.conflist: line 2, column 3: not valid JSON: Expecting property name "
                              "enclosed in double quotes: JSON needs double quotes around keys and strings: "
                              "write \"name\", not 'name'")


def test_chapter_example_fixed_loads():
    lst = load_conflist(CHAPTER.replace("'", '"'))
    assert (lst.name, lst.cni_version, [p.type for p in lst.plugins]) == ("k8s-pod-network", "0.3.0",
                                                                          ["calico", "portmap"])
    assert lst.plugins[1].capabilities == {"portMappings": True}


@pytest.mark.parametrize("text,hint", [
    ('{"name": "a",}', "remove the trailing comma"),
    ('{"name": "a", // x\n}', "JSON has no comments"),
    ('{"name": "a", "disableCheck": True}', "write true, not True"),
])
def test_json_hints(text, hint):
    with pytest.raises(ConfigError, match=re.escape(hint)):
        load_conflist(text)


@pytest.mark.parametrize("conf,message", [
    ({"cniVersion": "1.0.0", "plugins": [{"type": "x"}]}, "error parsing configuration list: no name"),
    ({"name": 3}, "invalid name type float64"),
    ({"name": "n", "cniVersion": 1}, "invalid cniVersion type float64"),
    ({"name": "n", "plugins": []}, "no plugins in list"),
    ({"name": "n", "plugins": {}}, "invalid 'plugins' type map[string]interface {}"),
    ({"name": "n", "plugins": [{"bridge": "cni0"}]}, "failed to parse plugin config 0 (plugins[0]): "
                                                     "error parsing configuration: missing 'type'"),
    ({"name": "n", "disableCheck": "maybe", "plugins": [{"type": "x"}]}, 'invalid value "maybe" for disableCheck'),
    ({"name": "n", "disableGC": 1, "plugins": [{"type": "x"}]}, "invalid type float64 for disableGC"),
    ({"name": "n", "loadOnlyInlinedPlugins": True}, "`loadOnlyInlinedPlugins` is true, and no 'plugins' key"),
    ({"name": "n", "cniVersions": ["1.0.0", "x.0"], "plugins": [{"type": "x"}]}, "invalid cniVersions entry x.0"),
])
def test_libcni_errors(conf, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_conflist(json.dumps(conf))


def test_booleans_may_be_strings():
    lst = load_conflist(json.dumps({"name": "n", "disableCheck": "TRUE", "disableGC": True,
                                    "plugins": [{"type": "x"}]}))
    assert lst.disable_check and lst.disable_gc and not lst.load_only_inlined_plugins


def test_cni_versions_pick_the_highest_supported():
    lst = load_conflist(json.dumps({"name": "n", "cniVersion": "0.4.0", "cniVersions": ["1.0.0", "1.1.0", "9.0.0"],
                                    "plugins": [{"type": "x"}]}))
    assert lst.cni_version == "1.1.0"  # 9.0.0 is newer than the library: ignored


def test_single_conf_becomes_a_list():
    lst = load_conflist('{"cniVersion": "0.3.1", "name": "n", "type": "bridge"}')
    assert [p.type for p in lst.plugins] == ["bridge"] and lst.cni_version == "0.3.1"


def test_plugins_from_the_network_directory(tmp_path: Path):
    (tmp_path / "10-n.conflist").write_text('{"name": "n", "cniVersion": "1.0.0"}')
    (tmp_path / "n").mkdir()
    (tmp_path / "n" / "b.conf").write_text('{"type": "portmap"}')
    (tmp_path / "n" / "a.conf").write_text('{"type": "bridge"}')
    assert [p.type for p in load_file(tmp_path / "10-n.conflist").plugins] == ["bridge", "portmap"]
    (tmp_path / "20-m.conflist").write_text('{"name": "m", "cniVersion": "1.0.0"}')
    with pytest.raises(ConfigError, match="no plugin configs found"):
        load_file(tmp_path / "20-m.conflist")
