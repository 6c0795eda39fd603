"""The built-in instruments, each a definition document in Kindred's one format
(measures/definitions.py), scored by the one engine (measures/scoring.py).

Only instruments that may be shipped are here (../shared/design/CLINICAL.md): the PHQ-9,
GAD-7, WHO-5, PCL-5 and AUDIT-C (public domain or free with attribution) and Kindred's
own group pulse (not a validated instrument). Licensed instruments are loaded by a
practice that holds the licence, from a definition file.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from kindred.measures.definitions import Definition, parse_definition
from kindred.measures.instruments import auditc, gad7, pcl5, phq9, pulse, who5

BUILTIN_DOCUMENTS: dict[str, dict[str, Any]] = {
    module.DEFINITION["code"]: module.DEFINITION
    for module in (phq9, gad7, who5, pcl5, auditc, pulse)
}

PHQ9, GAD7, WHO5, PCL5, AUDITC, PULSE = "phq9", "gad7", "who5", "pcl5", "auditc", "pulse"


@cache
def builtin(code: str) -> Definition:
    """The parsed, validated built-in definition for ``code`` (KeyError if unknown)."""
    return parse_definition(BUILTIN_DOCUMENTS[code])


def builtins() -> list[Definition]:
    return [builtin(code) for code in BUILTIN_DOCUMENTS]
