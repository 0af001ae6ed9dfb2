"""Tests of the class on JupyterHub (deploy/hub, deploy/k8s, kubelab.hub)."""
