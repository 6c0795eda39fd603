"""PCL-5 — PTSD Checklist for DSM-5 (past-month version, without the criterion A part).

Sources: Weathers FW, Litz BT, Keane TM, Palmieri PA, Marx BP, Schnurr PP. The PTSD
Checklist for DSM-5 (PCL-5). National Center for PTSD, 2013. Blevins CA, Weathers FW,
Davis MT, Witte TK, Domino JL. The Posttraumatic Stress Disorder Checklist for DSM-5
(PCL-5): development and initial psychometric evaluation. J Trauma Stress
2015;28:489–498. A work of the US government, in the public domain
(../shared/design/CLINICAL.md). Item wording follows the published checklist.

Scoring (CLINICAL.md): 20 items, each 0–4, total 0–80. **No severity bands.** A
provisional PTSD diagnosis is suggested at a total between 31 and 33 in the literature;
the cut-off is configurable (``provisional_ptsd``, default 33) and the flag
``pcl5.provisional_ptsd`` fires at or above it. Subscales are the DSM-5 symptom
clusters: B intrusion (items 1–5), C avoidance (6–7), D negative alterations in
cognition and mood (8–14), E alterations in arousal and reactivity (15–20).
Reliability for the Reliable Change Index: Cronbach's α = 0.94 (Blevins et al. 2015).
"""

from __future__ import annotations

from typing import Any

from kindred.measures.definitions import FORMAT

ITEMS = [
    "Repeated, disturbing, and unwanted memories of the stressful experience?",
    "Repeated, disturbing dreams of the stressful experience?",
    (
        "Suddenly feeling or acting as if the stressful experience were actually happening "
        "again (as if you were actually back there reliving it)?"
    ),
    "Feeling very upset when something reminded you of the stressful experience?",
    (
        "Having strong physical reactions when something reminded you of the stressful "
        "experience (for example, heart pounding, trouble breathing, sweating)?"
    ),
    "Avoiding memories, thoughts, or feelings related to the stressful experience?",
    (
        "Avoiding external reminders of the stressful experience (for example, people, places, "
        "conversations, activities, objects, or situations)?"
    ),
    "Trouble remembering important parts of the stressful experience?",
    (
        "Having strong negative beliefs about yourself, other people, or the world (for "
        "example, having thoughts such as: I am bad, there is something seriously wrong with "
        "me, no one can be trusted, the world is completely dangerous)?"
    ),
    "Blaming yourself or someone else for the stressful experience or what happened after it?",
    "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
    "Loss of interest in activities that you used to enjoy?",
    "Feeling distant or cut off from other people?",
    (
        "Trouble experiencing positive feelings (for example, being unable to feel happiness "
        "or have loving feelings for people close to you)?"
    ),
    "Irritable behavior, angry outbursts, or acting aggressively?",
    "Taking too many risks or doing things that could cause you harm?",
    'Being "superalert" or watchful or on guard?',
    "Feeling jumpy or easily startled?",
    "Having difficulty concentrating?",
    "Trouble falling or staying asleep?",
]


def _keys(first: int, last: int) -> list[str]:
    return [f"item{n}" for n in range(first, last + 1)]


DEFINITION: dict[str, Any] = {
    "format": FORMAT,
    "code": "pcl5",
    "name": "PTSD Checklist for DSM-5 (PCL-5)",
    "short_name": "PCL-5",
    "version": "1",
    "language": "en",
    "validated": True,
    "source": "Weathers FW, Litz BT, Keane TM, Palmieri PA, Marx BP, Schnurr PP. The PTSD "
    "Checklist for DSM-5 (PCL-5). National Center for PTSD, 2013. Blevins CA et al. J Trauma "
    "Stress 2015;28:489–498.",
    "licence": "Public domain: a work of the US Department of Veterans Affairs (National "
    "Center for PTSD).",
    "instructions": "Below is a list of problems that people sometimes have in response to a "
    "very stressful experience. Please read each problem carefully and then choose how much "
    "you have been bothered by that problem in the past month. In the past month, how much "
    "were you bothered by:",
    "option_sets": {
        "bother": [
            {"value": 0, "label": "Not at all"},
            {"value": 1, "label": "A little bit"},
            {"value": 2, "label": "Moderately"},
            {"value": 3, "label": "Quite a bit"},
            {"value": 4, "label": "Extremely"},
        ]
    },
    "items": [
        {"key": f"item{n}", "text": text, "options": "bother"}
        for n, text in enumerate(ITEMS, start=1)
    ],
    "scoring": {"method": "sum"},
    "subscales": [
        {"key": "intrusion", "label": "Intrusion (cluster B)", "items": _keys(1, 5)},
        {"key": "avoidance", "label": "Avoidance (cluster C)", "items": _keys(6, 7)},
        {
            "key": "cognition_mood",
            "label": "Negative alterations in cognition and mood (cluster D)",
            "items": _keys(8, 14),
        },
        {
            "key": "arousal",
            "label": "Alterations in arousal and reactivity (cluster E)",
            "items": _keys(15, 20),
        },
    ],
    "cutoffs": [
        {
            "key": "provisional_ptsd",
            "label": "Provisional PTSD cut-off",
            "default": 33,
            "min": 1,
            "max": 80,
            "note": "The literature suggests 31–33 (Blevins et al. 2015; National Center for "
            "PTSD). Kindred uses 33 unless the practice sets another value.",
        }
    ],
    "flags": [
        {
            "code": "pcl5.provisional_ptsd",
            "label": "Total at or above the provisional PTSD cut-off",
            "on": "total",
            "op": ">=",
            "cutoff": "provisional_ptsd",
        }
    ],
    "higher_is_better": False,
    "reliable_change": {
        "sd": None,
        "reliability": 0.94,
        "source": "r: Cronbach's α = 0.94 (Blevins et al. 2015). s1: enter the standard "
        "deviation of intake scores in your service or in a clinical sample you trust "
        "(Jacobson & Truax 1991 use the pre-treatment SD).",
    },
}
