"""deploy/hub/ and deploy/k8s/ are scripts, not a package: import them from their folders."""
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
for folder in (REPO / "deploy" / "hub", REPO / "deploy" / "k8s"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
