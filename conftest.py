"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from kindred.core.testing import Cast, build_cast


@pytest.fixture(autouse=True)
def _fast_hashing_and_clean_cache(settings):
    # Argon2 is right for production and far too slow for hundreds of test users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def cast(db) -> Cast:
    return build_cast()
