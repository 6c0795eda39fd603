"""Security battery part: fuzz (see kindred/security/__init__.py)."""
