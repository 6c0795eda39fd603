"""Delete API idempotency keys older than their 24 hours (docs/api-idempotency.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kindred.api.idempotency import purge_expired


class Command(BaseCommand):
    help = "Delete expired API idempotency keys (kept 24 hours)."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = purge_expired()
        self.stdout.write(f"Deleted {deleted} expired idempotency key(s).")
