"""Goal forms. Lengths and ranges are checked by the services (one message for the page
and the API, and the text stays in the box); the forms only collect the input."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kindred.clients.models import Weekday
from kindred.goals.models import (
    NEXT_STEP_MAX,
    NOTE_MAX,
    REASON_MAX,
    REPLY_MAX,
    WHAT_MAX,
    WHY_MAX,
)


def _limit(n: int) -> str:
    return str(_("Up to %(max)s characters.") % {"max": f"{n:,}"})


class GoalForm(forms.Form):
    what = forms.CharField(
        label=_("What is your goal?"),
        help_text=_("In your own words, e.g. “Walk for 20 minutes three times a week”. ")
        + _limit(WHAT_MAX),
    )
    why = forms.CharField(
        label=_("Why does it matter to you? (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only you and your facilitators see this. ") + _limit(WHY_MAX),
    )
    by_when = forms.CharField(
        label=_("By when? (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    next_step = forms.CharField(
        label=_("A small next step (optional)"),
        required=False,
        help_text=_("Something you could do this week, however small. ") + _limit(NEXT_STEP_MAX),
    )
    group_id = forms.TypedChoiceField(
        label=_("Which group is this goal part of?"), coerce=int, required=False, choices=()
    )
    shared_with_group = forms.BooleanField(
        label=_("My group can see this goal"),
        required=False,
        help_text=_(
            "Other members see the goal, its next step and your progress under your name "
            "in the group's space — never your real name or why it matters to you."
        ),
    )
    nudges = forms.BooleanField(
        label=_("Send me a gentle reminder if I haven't checked in that week"), required=False
    )
    nudge_day = forms.TypedChoiceField(
        label=_("Remind me from"), coerce=int, choices=Weekday.choices, initial=Weekday.THURSDAY
    )

    def __init__(self, *args: object, groups: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if len(groups) > 1:
            self.fields["group_id"].choices = [("", _("Choose a group")), *groups]  # type: ignore[attr-defined]
        else:
            del self.fields["group_id"]
            if not groups:
                del self.fields["shared_with_group"]


class CheckInForm(forms.Form):
    progress = forms.CharField(
        label=_("Where are you with this goal this week? (0 to 10)"),
        help_text=_("0 means not started, 10 means done. Any number is fine."),
        widget=forms.NumberInput(attrs={"min": 0, "max": 10, "step": 1, "inputmode": "numeric"}),
    )
    note = forms.CharField(
        label=_("A sentence about your week (optional)"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_limit(NOTE_MAX),
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Send some support"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("A few kind words. ") + _limit(REPLY_MAX),
    )


class HideForm(forms.Form):
    reason = forms.CharField(label=_("Why hide this reply?"), max_length=REASON_MAX * 2)
