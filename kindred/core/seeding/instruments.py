"""Seeding the instrument library (one function per entity): the built-in instruments
(PHQ-9, GAD-7, WHO-5, PCL-5, AUDIT-C and Kindred's group pulse), written exactly as
``manage.py sync_instruments`` writes them. Idempotent."""

from __future__ import annotations

from kindred.measures.library import sync_builtin_instruments


def seed_instruments() -> int:
    """The built-in instruments; returns how many were created (0 when already there)."""
    return len(sync_builtin_instruments().created)
