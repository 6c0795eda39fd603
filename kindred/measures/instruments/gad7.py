"""GAD-7 — Generalized Anxiety Disorder 7-item scale.

Source: Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing
generalized anxiety disorder: the GAD-7. Arch Intern Med 2006;166:1092–1097. Developed
with an educational grant from Pfizer Inc.; no permission is required to reproduce,
translate, display or distribute it (public domain per ../shared/design/CLINICAL.md).
Item wording follows the published questionnaire.

Scoring (CLINICAL.md): 7 items, each 0–3, total 0–21; bands 0–4 minimal, 5–9 mild,
10–14 moderate, 15–21 severe; a total of 10 or more warrants further evaluation (flag
``gad7.further_evaluation``, not a safety alert).

Change (CLINICAL.md): NHS Talking Therapies caseness ≥ 8 and reliable change of 4 points
(Gyani et al. 2013, Behav Res Ther 51:597–606). Reliability for the Reliable Change
Index: Cronbach's α = 0.92 (Spitzer et al. 2006).
"""

from __future__ import annotations

from typing import Any

from kindred.measures.definitions import FORMAT

ITEMS = [
    "Feeling nervous, anxious, or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid, as if something awful might happen",
]

DEFINITION: dict[str, Any] = {
    "format": FORMAT,
    "code": "gad7",
    "name": "Generalized Anxiety Disorder scale (GAD-7)",
    "short_name": "GAD-7",
    "version": "1",
    "language": "en",
    "validated": True,
    "source": "Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing "
    "generalized anxiety disorder: the GAD-7. Arch Intern Med 2006;166:1092–1097.",
    "licence": "Public domain: developed by Drs Robert L. Spitzer, Janet B.W. Williams, Kurt "
    "Kroenke and colleagues with an educational grant from Pfizer Inc. No permission "
    "required to reproduce, translate, display or distribute.",
    "instructions": "Over the last 2 weeks, how often have you been bothered by the following "
    "problems?",
    "option_sets": {
        "frequency": [
            {"value": 0, "label": "Not at all"},
            {"value": 1, "label": "Several days"},
            {"value": 2, "label": "More than half the days"},
            {"value": 3, "label": "Nearly every day"},
        ]
    },
    "items": [
        {"key": f"item{n}", "text": text, "options": "frequency"}
        for n, text in enumerate(ITEMS, start=1)
    ],
    "scoring": {"method": "sum"},
    "bands": {
        "cover_range": True,
        "ranges": [
            {"code": "minimal", "label": "Minimal", "min": 0, "max": 4},
            {"code": "mild", "label": "Mild", "min": 5, "max": 9},
            {"code": "moderate", "label": "Moderate", "min": 10, "max": 14},
            {"code": "severe", "label": "Severe", "min": 15, "max": 21},
        ],
    },
    "flags": [
        {
            "code": "gad7.further_evaluation",
            "label": "Total of 10 or more: warrants further evaluation",
            "on": "total",
            "op": ">=",
            "value": 10,
        }
    ],
    "higher_is_better": False,
    "reliable_change": {
        "sd": None,
        "reliability": 0.92,
        "source": "r: Cronbach's α = 0.92 (Spitzer et al. 2006). s1: not published with the "
        "instrument — enter the standard deviation of intake scores in your service or in a "
        "clinical sample you trust (Jacobson & Truax 1991 use the pre-treatment SD).",
    },
    "change_criteria": {
        "caseness": 8,
        "reliable_change": 4,
        "source": "NHS Talking Therapies (IAPT): Gyani A, Shafran R, Layard R, Clark DM. "
        "Enhancing recovery rates: lessons from year one of IAPT. Behav Res Ther "
        "2013;51:597–606.",
    },
}
