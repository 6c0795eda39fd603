"""Security battery part: authz (see kindred/security/__init__.py)."""
