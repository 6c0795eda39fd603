"""Security battery part: static (see kindred/security/__init__.py)."""
