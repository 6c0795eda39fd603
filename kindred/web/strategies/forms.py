from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kindred.clients.models import ConcernTag
from kindred.strategies.models import TITLE_MAX, WHAT_MAX, WHEN_MAX

# No max_length on the text fields: the service gives the specific message (how long,
# how much is allowed) and the form keeps what was typed.


class CardForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        help_text=_("A few words, e.g. “The 5-4-3-2-1 grounding game”. Up to %(max)d characters.")
        % {"max": TITLE_MAX},
    )
    what_it_is = forms.CharField(
        label=_("What it is"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "What you do, so someone else could try it. Up to %(max)s characters; simple "
            "formatting such as **bold** and lists with - works."
        )
        % {"max": f"{WHAT_MAX:,}"},
    )
    when_it_helps = forms.CharField(
        label=_("When it helps"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example “when worries start at night”. Up to %(max)s characters.")
        % {"max": f"{WHEN_MAX:,}"},
    )
    concerns = forms.TypedMultipleChoiceField(
        label=_("What it can help with (optional)"),
        coerce=int,
        required=False,
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("So others can find it. Choose up to five."),
    )

    def __init__(self, *args: Any, concerns: list[ConcernTag], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["concerns"].choices = [(c.pk, c.name) for c in concerns]  # type: ignore[attr-defined]


class PromoteForm(CardForm):
    confirmed_anonymous = forms.BooleanField(
        label=_("I removed anything that could identify someone"),
        required=False,
        help_text=_(
            "Names, places, dates, workplaces, family details: the card will be read by "
            "members of every group, with no name on it."
        ),
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it not shared? The member who wrote it reads this."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
