"""PHQ-9 — Patient Health Questionnaire, depression module.

Source: Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression
severity measure. J Gen Intern Med 2001;16:606–613. Developed by Drs Spitzer, Williams,
Kroenke and colleagues with an educational grant from Pfizer Inc.; no permission is
required to reproduce, translate, display or distribute it (public domain per
../shared/design/CLINICAL.md). Item wording follows the published questionnaire.

Scoring (CLINICAL.md): 9 items, each 0–3, total 0–27; bands 0–4 minimal, 5–9 mild,
10–14 moderate, 15–19 moderately severe, 20–27 severe. The 10th "difficulty" question is
asked but not scored. Item 9 above 0 raises the safety flag ``phq9.item9`` whatever the
total.

Change (CLINICAL.md "Change over time"): NHS Talking Therapies caseness ≥ 10 and reliable
change of 6 points (Gyani, Shafran, Layard & Clark 2013, Behav Res Ther 51:597–606).
Reliability for the Reliable Change Index: Cronbach's α = 0.89 (Kroenke et al. 2001).
"""

from __future__ import annotations

from typing import Any

from kindred.measures.definitions import FORMAT

FREQUENCY = [
    {"value": 0, "label": "Not at all"},
    {"value": 1, "label": "Several days"},
    {"value": 2, "label": "More than half the days"},
    {"value": 3, "label": "Nearly every day"},
]

ITEMS = [
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    (
        "Feeling bad about yourself — or that you are a failure or have let yourself or your "
        "family down"
    ),
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    (
        "Moving or speaking so slowly that other people could have noticed? Or the opposite — "
        "being so fidgety or restless that you have been moving around a lot more than usual"
    ),
    "Thoughts that you would be better off dead or of hurting yourself in some way",
]

DIFFICULTY = {
    "key": "difficulty",
    "text": "If you checked off any problems, how difficult have these problems made it for "
    "you to do your work, take care of things at home, or get along with other people?",
    "scored": False,
    "options": [
        {"value": 0, "label": "Not difficult at all"},
        {"value": 1, "label": "Somewhat difficult"},
        {"value": 2, "label": "Very difficult"},
        {"value": 3, "label": "Extremely difficult"},
    ],
}

DEFINITION: dict[str, Any] = {
    "format": FORMAT,
    "code": "phq9",
    "name": "Patient Health Questionnaire (PHQ-9)",
    "short_name": "PHQ-9",
    "version": "1",
    "language": "en",
    "validated": True,
    "source": "Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression "
    "severity measure. J Gen Intern Med 2001;16:606–613.",
    "licence": "Public domain: developed by Drs Robert L. Spitzer, Janet B.W. Williams, Kurt "
    "Kroenke and colleagues with an educational grant from Pfizer Inc. No permission "
    "required to reproduce, translate, display or distribute.",
    "instructions": "Over the last 2 weeks, how often have you been bothered by any of the "
    "following problems?",
    "option_sets": {"frequency": FREQUENCY},
    "items": [
        *(
            {"key": f"item{n}", "text": text, "options": "frequency"}
            for n, text in enumerate(ITEMS, start=1)
        ),
        DIFFICULTY,
    ],
    "scoring": {"method": "sum"},
    "bands": {
        "cover_range": True,
        "ranges": [
            {"code": "minimal", "label": "Minimal", "min": 0, "max": 4},
            {"code": "mild", "label": "Mild", "min": 5, "max": 9},
            {"code": "moderate", "label": "Moderate", "min": 10, "max": 14},
            {"code": "moderately_severe", "label": "Moderately severe", "min": 15, "max": 19},
            {"code": "severe", "label": "Severe", "min": 20, "max": 27},
        ],
    },
    "flags": [
        {
            "code": "phq9.item9",
            "label": "Thoughts of being better off dead or of self-harm (item 9 above 0)",
            "on": "item",
            "item": "item9",
            "op": ">",
            "value": 0,
            "safety": True,
        }
    ],
    "higher_is_better": False,
    "reliable_change": {
        "sd": None,
        "reliability": 0.89,
        "source": "r: Cronbach's α = 0.89 (Kroenke et al. 2001). s1: not published with the "
        "instrument — enter the standard deviation of intake scores in your service or in a "
        "clinical sample you trust (Jacobson & Truax 1991 use the pre-treatment SD).",
    },
    "change_criteria": {
        "caseness": 10,
        "reliable_change": 6,
        "source": "NHS Talking Therapies (IAPT): Gyani A, Shafran R, Layard R, Clark DM. "
        "Enhancing recovery rates: lessons from year one of IAPT. Behav Res Ther "
        "2013;51:597–606.",
    },
}
