"""People's names: the one rule every form and API serializer that takes a person's name
uses (staff full names, clients' legal and preferred names, referrals and their
referrers, emergency contacts, space display names, the name typed to sign an
agreement, the public join request).

A name is one line. A line break (``\\r``, ``\\n``, U+0085, U+2028, U+2029) or another
control character (a tab, NUL, DEL, the C1 controls) is refused with a field error, so
nothing is saved; a name with one would break e-mail headers, CSV and PDF lines, and
the printed record. Format characters (a zero-width joiner, which some scripts need in
names) are allowed.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
LINE_BREAK_MESSAGE = _("A name cannot contain line breaks.")
CONTROL_MESSAGE = _("A name cannot contain tabs or other control characters.")


def name_problem(value: str) -> tuple[str, str] | None:
    """The message and code of what is wrong with ``value`` as a name, or None."""
    if any(c in LINE_BREAKS for c in value):
        return str(LINE_BREAK_MESSAGE), "name_line_break"
    if any(unicodedata.category(c) == "Cc" for c in value):
        return str(CONTROL_MESSAGE), "name_control_character"
    return None


def validate_person_name(value: object) -> None:
    """A field validator (Django forms and DRF serializers alike)."""
    if not isinstance(value, str):
        return  # the field's own type check answers
    problem = name_problem(value)
    if problem is not None:
        message, code = problem
        raise ValidationError(message, code=code)
