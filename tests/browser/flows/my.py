"""Flows: my pages."""

FLOWS = []
