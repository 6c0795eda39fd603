"""Goals and check-ins (issue 8)."""
