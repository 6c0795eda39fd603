from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kindred.datarights.closure import REASON_MAX
from kindred.datarights.models import PostsChoice


class ClosureRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Anything you want the practice to know (optional)"),
        required=False,
        strip=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=_("I understand I will no longer be able to sign in once the practice closes it."),
        required=True,
        error_messages={"required": _("Tick the box to confirm you want your account closed.")},
    )


class ClosureConfirmForm(forms.Form):
    posts = forms.ChoiceField(
        label=_("Their group-space posts (follow the group agreement)"),
        choices=PostsChoice.choices,
        widget=forms.RadioSelect,
    )
