"""Flows: directory_admin pages."""

FLOWS = []
