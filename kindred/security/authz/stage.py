"""The pytest fixture that sets the matrix's stage: one world per test module, built
inside a transaction that is rolled back when the module ends (test modules import it)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client as HttpClient
from django.test.utils import override_settings

from .rules import Who
from .world import World, build_world

Stage = tuple[World, dict[Who, HttpClient]]
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The re-authentication done when the world is built holds for the whole module.
LONG_REAUTH = override_settings(ACCOUNT_REAUTHENTICATION_TIMEOUT=6 * 3600)
QUIET = ("django.request", "django.security.csrf", "kindred")


@pytest.fixture(scope="module")
def stage(django_db_setup: None, django_db_blocker: Any) -> Iterator[Stage]:
    """The world, and one signed-in client per person, for the whole module."""
    levels = {name: logging.getLogger(name).level for name in QUIET}
    for name in QUIET:  # thousands of expected 403/404s: keep the log readable and cheap
        logging.getLogger(name).setLevel(logging.ERROR)
    LONG_REAUTH.enable()
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with override_settings(PASSWORD_HASHERS=FAST_HASHER):
                world = build_world()
                clients = {who: world.http(who) for who in Who}
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            LONG_REAUTH.disable()
            raise
    try:
        yield world, clients
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
        LONG_REAUTH.disable()
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
