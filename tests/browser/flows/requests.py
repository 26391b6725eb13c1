"""Flows: requests pages."""

FLOWS = []
