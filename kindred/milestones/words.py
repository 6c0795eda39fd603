"""What a milestone says, to whom.

- ``shared_label``: what the group reads beside the member's name, for each kind. Neutral
  on purpose: a reliable improvement is shared only as "marked a milestone", so nobody
  learns that it came from questionnaire answers, let alone a score.
- ``private_reason``: what the member alone reads about why it was suggested.
- ``title``: a short heading for the member's own list.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from kindred.milestones.models import MilestoneKind

#: Shown for a member who has not chosen a name in the group's space.
ANONYMOUS = "A group member"


def shared_label(kind: str) -> str:
    labels = {
        MilestoneKind.FIRST_SESSION: _("came to their first session"),
        MilestoneKind.FOURTH_SESSION: _("has come to four sessions"),
        MilestoneKind.RELIABLE_IMPROVEMENT: _("marked a milestone"),
        MilestoneKind.GOAL_REACHED: _("reached a goal"),
        MilestoneKind.GRADUATION: _("is graduating from the group"),
    }
    return labels.get(MilestoneKind(kind), _("marked a milestone"))


def title(kind: str) -> str:
    titles = {
        MilestoneKind.FIRST_SESSION: _("Your first session"),
        MilestoneKind.FOURTH_SESSION: _("Four sessions"),
        MilestoneKind.RELIABLE_IMPROVEMENT: _("A real improvement"),
        MilestoneKind.GOAL_REACHED: _("A goal reached"),
        MilestoneKind.GRADUATION: _("Graduating"),
    }
    return titles.get(MilestoneKind(kind), _("A milestone"))


def private_reason(kind: str) -> str:
    reasons = {
        MilestoneKind.FIRST_SESSION: _(
            "You came to your first session with the group. Showing up the first time "
            "is often the hardest part."
        ),
        MilestoneKind.FOURTH_SESSION: _(
            "You have now come to four sessions. Coming back week after week is how groups help."
        ),
        MilestoneKind.RELIABLE_IMPROVEMENT: _(
            "Your answers show a real improvement since you joined — bigger than the "
            "everyday ups and downs. If you share it, the group sees only that you marked "
            "a milestone, never your answers."
        ),
        MilestoneKind.GOAL_REACHED: _("You reached one of your goals."),
        MilestoneKind.GRADUATION: _("You are graduating from the group. Well done."),
    }
    return reasons.get(MilestoneKind(kind), "")
