"""Forms for group agreements, signatures and preparation. They check the shape of the
input only; every rule (names on record, the version in force, the text's hash) lives in
kindred/intake/agreements.py, agreement_signatures.py and preparation.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kindred.accounts.names import validate_person_name
from kindred.groups.models import TherapyGroup
from kindred.intake.models import PostsWhenLeaving
from kindred.web.widgets import FastRadios, FastSelect


class TemplateCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        help_text=_("For example “Group agreement” or “Agreement for online groups”."),
    )


class DraftForm(forms.Form):
    body = forms.CharField(
        label=_("Agreement text"),
        max_length=20000,
        required=False,
        strip=False,  # the text is signed byte for byte: nothing is trimmed
        widget=forms.Textarea({"rows": 24, "spellcheck": "true"}),
        help_text=_(
            "Plain words for members. Markdown works: # for a heading, - for a list, "
            "**bold**. Members see it exactly as published."
        ),
    )
    summary_of_changes = forms.CharField(
        label=_("What changed"),
        max_length=500,
        required=False,
        widget=forms.Textarea({"rows": 2}),
        help_text=_(
            "One or two sentences members read before signing a new version, e.g. “We "
            "added a section on recording sessions.”"
        ),
    )
    posts_when_leaving = forms.ChoiceField(
        label=_("When a member closes their account, their posts in the group space"),
        choices=PostsWhenLeaving.choices,
        required=False,  # left out (an older form): unchanged
        widget=FastRadios,
        help_text=_(
            "Their posts always stay, so other members' conversations still make sense. "
            "Members read this with the agreement before they sign it."
        ),
    )


class ConfirmForm(forms.Form):
    """A confirmation; what is confirmed is in the address."""


class SignForm(forms.Form):
    """The member's signature. ``version`` and ``text_sha256`` come back from the page
    exactly as they were sent, so the service can check what was read."""

    version = forms.CharField(widget=forms.HiddenInput, max_length=20)
    text_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
    typed_name = forms.CharField(
        validators=[validate_person_name],
        label=_("Type your full name"),
        max_length=200,
        strip=False,
        widget=forms.TextInput({"autocomplete": "name", "autocapitalize": "words"}),
        help_text=_("Your first and last name, as the practice has them."),
    )
    agreed = forms.BooleanField(
        label=_("I have read this agreement and I agree to keep it."),
        required=False,  # the service says what is missing, beside the box
    )


class PreparationItemForm(forms.Form):
    # Required in the service (preparation.py), which names every missing part at once.
    title = forms.CharField(
        label=_("Title"),
        max_length=150,
        required=False,
        help_text=_("Short and plain, such as “What to expect” or “How to join online”."),
    )
    body = forms.CharField(
        label=_("Text"),
        max_length=10000,
        required=False,
        strip=False,
        widget=forms.Textarea({"rows": 10}),
        help_text=_("Markdown works: # for a heading, - for a list, **bold**."),
    )


class CopyForm(forms.Form):
    from_group = forms.ModelChoiceField(
        label=_("Copy from"),
        queryset=TherapyGroup.objects.none(),
        empty_label=_("Choose a group"),
        widget=FastSelect,
        help_text=_("Its items are added after this group's own; edit them afterwards."),
    )

    def __init__(self, *args: Any, groups: QuerySet[TherapyGroup], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["from_group"].queryset = groups  # type: ignore[attr-defined]
