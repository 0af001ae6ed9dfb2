"""kubelab against a real kind cluster: its config, create/import/compare through the ``kubernetes`` client.

* :mod:`kubelab.kind.config` -- :func:`kind_config`, the kind ``Cluster`` YAML matching a model.
* :mod:`kubelab.kind.client` -- :func:`connect` (kind contexts only, unless allowed), :func:`apply`,
  :func:`delete_created`, :func:`import_cluster`.
* :mod:`kubelab.kind.compare` -- :func:`compare`: the model against the live cluster, as readable lines.

The ``kubernetes`` client is imported inside the functions that talk to a cluster.
"""

from __future__ import annotations

from .client import (MANAGED_BY, MANAGED_BY_LABEL, RUN_ID_LABEL, KindClient, apply, connect, delete_created,
                     import_cluster, read_live, user_objects)
from .compare import compare
from .config import install_commands, kind_config, kind_config_dict

__all__ = ["kind_config", "kind_config_dict", "install_commands", "KindClient", "connect", "apply",
           "delete_created", "import_cluster", "read_live", "user_objects", "compare", "MANAGED_BY",
           "MANAGED_BY_LABEL", "RUN_ID_LABEL"]
