"""Fixtures for every test under kindred/ (the cast lives in the root conftest.py)."""

from __future__ import annotations

import pytest

from kindred.measures.testing import BuiltinInstruments, install_builtin_instruments


@pytest.fixture
def builtin_instruments(db: None) -> BuiltinInstruments:
    """The built-in instruments (PHQ-9, GAD-7, WHO-5, PCL-5, AUDIT-C, pulse) as rows."""
    return install_builtin_instruments()
