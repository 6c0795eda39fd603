from __future__ import annotations

import pytest

from kindred.notes.testing import take_attendance, upcoming


@pytest.fixture
def session(cast):
    """Group A's session in about a week, attendance taken: the cast's two members there."""
    s = upcoming(cast.group_a)
    take_attendance(s, cast.facilitator)
    s.refresh_from_db()
    return s
