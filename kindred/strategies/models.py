"""Coping strategies (issue 8)."""
