"""kubelab's command line (docs/cli.md): ``kubelab validate | get | describe | doctor ...``.

One module per subcommand (:mod:`.validate`, :mod:`.get`, :mod:`.describe`,
:mod:`.doctor`), each registering itself in :data:`kubelab.cli.common.COMMANDS`;
:mod:`.output` prints kubectl-style tables and JSON/YAML; :mod:`.main` holds the
parser and the exit-status contract.  The console script ``kubelab`` calls
:func:`main`.
"""

from .main import main

__all__ = ["main"]
