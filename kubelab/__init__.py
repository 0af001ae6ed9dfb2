"""kubelab: a model of Kubernetes networking, for learning and for asking "what would the cluster do?"."""

__version__ = "0.1.0"
