"""Flows: patrons pages."""

FLOWS = []
