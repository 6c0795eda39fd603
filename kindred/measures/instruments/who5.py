"""WHO-5 — World Health Organization Five Well-Being Index (1998 version).

Source: Topp CW, Østergaard SD, Søndergaard S, Bech P. The WHO-5 Well-Being Index: a
systematic review of the literature. Psychother Psychosom 2015;84:167–176. Free to use;
cite the source (../shared/design/CLINICAL.md). Item wording follows the published index.

Scoring (CLINICAL.md): 5 items, each 0–5; the raw score 0–25 is multiplied by 4 to give
0–100, higher meaning better well-being. A raw score below 13 indicates poor well-being
and is an indication to screen for depression (flag ``who5.poor_wellbeing``, evaluated on
the raw score, not on the 0–100 score). A change of 10 points on the 0–100 scale is
meaningful. CLINICAL.md gives no severity bands, so none are defined.
"""

from __future__ import annotations

from typing import Any

from kindred.measures.definitions import FORMAT

ITEMS = [
    "I have felt cheerful and in good spirits",
    "I have felt calm and relaxed",
    "I have felt active and vigorous",
    "I woke up feeling fresh and rested",
    "My daily life has been filled with things that interest me",
]

DEFINITION: dict[str, Any] = {
    "format": FORMAT,
    "code": "who5",
    "name": "WHO-5 Well-Being Index",
    "short_name": "WHO-5",
    "version": "1",
    "language": "en",
    "validated": True,
    "source": "Topp CW, Østergaard SD, Søndergaard S, Bech P. The WHO-5 Well-Being Index: a "
    "systematic review of the literature. Psychother Psychosom 2015;84:167–176.",
    "licence": "Free to use with attribution (WHO Collaborating Centre in Mental Health, "
    "Psychiatric Centre North Zealand). Cite the source.",
    "instructions": "Please indicate for each of the five statements which is closest to how "
    "you have been feeling over the last two weeks.",
    "option_sets": {
        "time": [
            {"value": 5, "label": "All of the time"},
            {"value": 4, "label": "Most of the time"},
            {"value": 3, "label": "More than half of the time"},
            {"value": 2, "label": "Less than half of the time"},
            {"value": 1, "label": "Some of the time"},
            {"value": 0, "label": "At no time"},
        ]
    },
    "items": [
        {"key": f"item{n}", "text": text, "options": "time"}
        for n, text in enumerate(ITEMS, start=1)
    ],
    "scoring": {"method": "sum", "multiplier": 4},
    "flags": [
        {
            "code": "who5.poor_wellbeing",
            "label": "Raw score below 13: poor well-being (screen for depression)",
            "on": "raw_total",
            "op": "<",
            "value": 13,
        }
    ],
    "higher_is_better": True,
    "change_criteria": {
        "meaningful_change": 10,
        "source": "Topp et al. 2015: a 10-point change on the 0–100 scale is meaningful.",
    },
}
