"""Proposal lines keep why someone was left out as counts per rule with a few example
groups (``services.blocked_json``) instead of every group's id: rewrite the lines stored
the old way ({"schedule,licensure": [group ids], ...})."""

from django.db import migrations

EXAMPLES = 20
RULE_ORDER = (
    "no_seats", "modality", "schedule", "licensure", "location", "age", "gender",
    "language", "exclusion", "overlap", "screening", "other_group",
)  # fmt: skip


def compact(old):
    """The new form of an old ``blocked`` (None when it is already new or empty)."""
    if not old or "rules" in old:
        return None
    rules_of = {}
    for key, group_ids in old.items():
        rules = [r for r in key.split(",") if r]
        for group_id in group_ids:
            rules_of[group_id] = rules
    counts = {}
    for group_id, rules in sorted(rules_of.items(), key=lambda kv: (len(kv[1]), kv[0])):
        for rule in rules:
            counts.setdefault(rule, []).append(group_id)
    return {
        "groups": len(rules_of),
        "rules": [
            {"rule": rule, "groups": len(counts[rule]), "examples": counts[rule][:EXAMPLES]}
            for rule in RULE_ORDER
            if rule in counts
        ],
        "fitted": 0,
        "fitted_examples": [],
        "placed_elsewhere": False,
    }


def forwards(apps, schema_editor):
    line_model = apps.get_model("matching", "ProposalLine")
    lines = line_model.objects.filter(group__isnull=True).exclude(blocked={})
    for line in lines.only("id", "blocked").iterator(chunk_size=500):
        new = compact(line.blocked)
        if new is not None:
            line_model.objects.filter(pk=line.pk).update(blocked=new)


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0003_fair_default_weights"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
