"""How Kindred talks to its database."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="JIT is a PostgreSQL setting; SQLite has none (CI runs this on PostgreSQL)",
)
@pytest.mark.django_db
def test_postgresql_never_spends_a_second_compiling_a_short_query():
    # settings.py turns JIT off: it cost ~1 s per facilitator home page on the
    # 20,000-client data set for a query that runs in 30 ms.
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
