"""Synthetic data for demos and benchmarks.

Everything here is invented: names are random pairings from generic lists, emails use the
reserved ``example.test`` domain, phone numbers the fictional 555-01xx range, NPIs a
prefix the NPI registry never issues, and IP addresses the documentation ranges.

- ``names``: deterministic names, emails, phones and identifiers from a seeded ``Random``.
- ``reference``: facts shared by both data sets (concern tags, compacts, license types).
- ``demo``: the small "Prairie & Gulf Counseling Collective" practice (``seed_demo``).
- ``scale``: the large proportional data set of PERFORMANCE.md (``seed_scale``).
"""

from __future__ import annotations


def database_has_data() -> bool:
    """True when the database holds people or places (not only what migrations create)."""
    from kindred.accounts.models import User
    from kindred.clients.models import Client
    from kindred.practice.models import Location

    return User.objects.exists() or Client.objects.exists() or Location.objects.exists()
