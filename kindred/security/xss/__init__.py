"""Security battery part: xss (see kindred/security/__init__.py)."""
