"""Tests for kubelab. A package so tests can `from tests.capabilities import require`."""
