"""Milestones (issue 8)."""
