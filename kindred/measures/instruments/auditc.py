"""AUDIT-C — the three alcohol-consumption questions of the AUDIT.

Source: Bush K, Kivlahan DR, McDonell MB, Fihn SD, Bradley KA. The AUDIT alcohol
consumption questions (AUDIT-C): an effective brief screening test for problem drinking.
Arch Intern Med 1998;158:1789–1795. Public domain (../shared/design/CLINICAL.md). Only
these three consumption questions are shipped: the full AUDIT is not (CLINICAL.md "Do not
ship"). Item wording follows the published questions.

Scoring (CLINICAL.md): 3 items, each 0–4, total 0–12. Commonly positive at 4 or more for
men and 3 or more for women. Kindred does not record sex, so the cut-off is one
configurable value (``positive``) with a **sex-neutral default of 3** — the lower of the
two published cut-offs, so that no one who would screen positive under either is missed.
A practice may set 4 (for example for a men's group). No severity bands.
"""

from __future__ import annotations

from typing import Any

from kindred.measures.definitions import FORMAT

DEFINITION: dict[str, Any] = {
    "format": FORMAT,
    "code": "auditc",
    "name": "Alcohol Use Disorders Identification Test – Consumption (AUDIT-C)",
    "short_name": "AUDIT-C",
    "version": "1",
    "language": "en",
    "validated": True,
    "source": "Bush K, Kivlahan DR, McDonell MB, Fihn SD, Bradley KA. The AUDIT alcohol "
    "consumption questions (AUDIT-C). Arch Intern Med 1998;158:1789–1795.",
    "licence": "Public domain (the three consumption questions only; the full AUDIT is not "
    "shipped).",
    "instructions": "These questions are about drinks containing alcohol over the past year.",
    "items": [
        {
            "key": "item1",
            "text": "How often do you have a drink containing alcohol?",
            "options": [
                {"value": 0, "label": "Never"},
                {"value": 1, "label": "Monthly or less"},
                {"value": 2, "label": "2–4 times a month"},
                {"value": 3, "label": "2–3 times a week"},
                {"value": 4, "label": "4 or more times a week"},
            ],
        },
        {
            "key": "item2",
            "text": "How many standard drinks containing alcohol do you have on a typical day?",
            "options": [
                {"value": 0, "label": "1 or 2"},
                {"value": 1, "label": "3 or 4"},
                {"value": 2, "label": "5 or 6"},
                {"value": 3, "label": "7 to 9"},
                {"value": 4, "label": "10 or more"},
            ],
        },
        {
            "key": "item3",
            "text": "How often do you have six or more drinks on one occasion?",
            "options": [
                {"value": 0, "label": "Never"},
                {"value": 1, "label": "Less than monthly"},
                {"value": 2, "label": "Monthly"},
                {"value": 3, "label": "Weekly"},
                {"value": 4, "label": "Daily or almost daily"},
            ],
        },
    ],
    "scoring": {"method": "sum"},
    "cutoffs": [
        {
            "key": "positive",
            "label": "Positive screen at",
            "default": 3,
            "min": 1,
            "max": 12,
            "note": "Commonly 4 or more for men and 3 or more for women (Bush et al. 1998). "
            "Kindred's sex-neutral default is 3, the lower of the two.",
        }
    ],
    "flags": [
        {
            "code": "auditc.positive",
            "label": "Positive AUDIT-C screen",
            "on": "total",
            "op": ">=",
            "cutoff": "positive",
        }
    ],
    "higher_is_better": False,
}
