from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kindred.milestones.models import MESSAGE_MAX, REASON_MAX


class ShareForm(forms.Form):
    # No max_length here: the service gives the specific message and keeps the text.
    message = forms.CharField(
        label=_("A few words for the group (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MESSAGE_MAX}),
        help_text=_(
            "Up to %(max)d characters, in your own words. Only what you write here is "
            "shared, with the milestone."
        )
        % {"max": MESSAGE_MAX},
    )


class HideForm(forms.Form):
    reason = forms.CharField(
        label=_("Why hide it?"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The member sees this reason; the group does not."),
    )
