"""Security battery part: faults (see kindred/security/__init__.py)."""
