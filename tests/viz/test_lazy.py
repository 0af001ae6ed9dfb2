"""kubelab.viz is a view: the model never imports it, and it loads its parts on first use."""

from __future__ import annotations

import subprocess
import sys


def test_model_does_not_import_viz():
    code = ("import sys, kubelab, kubelab.api, kubelab.cluster, kubelab.linuxns; kubelab.Cluster(); "
            "print(sorted(m for m in sys.modules if m.startswith('kubelab.viz') or m in ('networkx', 'ipywidgets')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_viz_package_import_is_light():
    code = "import sys, kubelab.viz; print(sorted(m for m in sys.modules if m in ('networkx', 'ipywidgets')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
