"""Kindred group pulse — a short after-session check-in. **Not a validated instrument.**

Kindred's own five original items (../shared/design/CLINICAL.md "Do not ship": the
licensed group measures — Group Session Rating Scale, Group Questionnaire, GCQ-S, TFI —
are not shipped; this pulse is written from scratch instead) on belonging, safety,
usefulness, engagement and conflict. It gives facilitators a quick sense of how a
session felt; it has no norms, cut-offs or reliability data, and must not be read as a
clinical measure.

Scoring: each item 0–4. The total (0–20, higher is better) reverses the conflict item.
Each item is also its own subscale so the group dashboard can trend engagement, safety
and conflict; the conflict subscale is **not** reversed (higher = more conflict).
Flags (not safety alerts): ``pulse.low_safety`` when the member felt little or no safety
(0–1), ``pulse.conflict`` when conflict got in the way quite a lot (3–4).
"""

from __future__ import annotations

from typing import Any

from kindred.measures.definitions import FORMAT

DEFINITION: dict[str, Any] = {
    "format": FORMAT,
    "code": "pulse",
    "name": "Kindred group pulse",
    "short_name": "Pulse",
    "version": "1",
    "language": "en",
    "validated": False,
    "source": "Kindred (original items). Not a validated instrument.",
    "licence": "Part of Kindred (AGPL-3.0-or-later); free to use.",
    "instructions": "Thinking about today's group session:",
    "option_sets": {
        "agree": [
            {"value": 0, "label": "Not at all"},
            {"value": 1, "label": "A little"},
            {"value": 2, "label": "Somewhat"},
            {"value": 3, "label": "Mostly"},
            {"value": 4, "label": "Completely"},
        ]
    },
    "items": [
        {"key": "belonging", "text": "I felt I belonged in the group.", "options": "agree"},
        {"key": "safety", "text": "I felt safe to say what was on my mind.", "options": "agree"},
        {"key": "usefulness", "text": "The session was useful to me.", "options": "agree"},
        {"key": "engagement", "text": "I was involved in what happened.", "options": "agree"},
        {
            "key": "conflict",
            "text": "Tension or conflict in the group got in the way for me.",
            "options": "agree",
        },
    ],
    "scoring": {"method": "sum", "reverse": ["conflict"]},
    "subscales": [
        {"key": "belonging", "label": "Belonging", "items": ["belonging"]},
        {"key": "safety", "label": "Safety", "items": ["safety"]},
        {"key": "usefulness", "label": "Usefulness", "items": ["usefulness"]},
        {"key": "engagement", "label": "Engagement", "items": ["engagement"]},
        {
            "key": "conflict",
            "label": "Conflict",
            "items": ["conflict"],
            "apply_reverse": False,
        },
    ],
    "flags": [
        {
            "code": "pulse.low_safety",
            "label": "Felt little or no safety to speak",
            "on": "item",
            "item": "safety",
            "op": "<=",
            "value": 1,
        },
        {
            "code": "pulse.conflict",
            "label": "Conflict got in the way",
            "on": "item",
            "item": "conflict",
            "op": ">=",
            "value": 3,
        },
    ],
    "higher_is_better": True,
    "notes": "Not a validated instrument: Kindred's own items, for a quick sense of how a "
    "session felt. No norms, cut-offs or reliability data.",
}
