"""Private journal (issue 8)."""
