"""Small utilities shared by every layer of kubelab (no kubelab imports here)."""
