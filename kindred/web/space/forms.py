from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kindred.accounts.names import validate_person_name
from kindred.space.models import (
    DISPLAY_NAME_MAX,
    POST_MAX,
    REASON_MAX,
    RULES_MAX,
    TITLE_MAX,
    ModerationMode,
    ReportReason,
)
from kindred.space.services import MUTE_MAX_DAYS


class DisplayNameForm(forms.Form):
    name = forms.CharField(
        validators=[validate_person_name],
        label=_("Your name in this group's space"),
        max_length=DISPLAY_NAME_MAX,
        help_text=_(
            "Other members see this name, not your real one. Choose something you are "
            "comfortable with; it need not be your name. Your facilitators always know "
            "who you are."
        ),
    )


def _body_field(label: str) -> forms.CharField:
    # No max_length here: the service gives the specific message and keeps the text.
    return forms.CharField(
        label=label,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Up to %(max)s characters. You can use simple formatting: **bold**, *italic*, "
            "lists with - at the start of a line."
        )
        % {"max": f"{POST_MAX:,}"},
    )


class ThreadForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX * 2)
    body = _body_field(str(_("What would you like to share?")))


class ReplyForm(forms.Form):
    body = _body_field(str(_("Your reply")))


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why are you reporting this post?"),
        choices=ReportReason.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Anything else the facilitator should know (optional)"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Why? (members see only that a post was hidden)"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PauseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the space paused? Members see this."),
        max_length=300,
    )


class MuteForm(forms.Form):
    user = forms.TypedChoiceField(label=_("Member"), coerce=int, choices=())
    days = forms.IntegerField(label=_("For how many days"), min_value=1, max_value=MUTE_MAX_DAYS)
    reason = forms.CharField(label=_("Reason (the member sees it)"), max_length=REASON_MAX)


class ResolveForm(forms.Form):
    resolution = forms.CharField(label=_("What did you do?"), max_length=REASON_MAX)


class SettingsForm(forms.Form):
    moderation = forms.ChoiceField(
        label=_("Moderation"), choices=ModerationMode.choices, widget=forms.RadioSelect
    )
    direct_messages_allowed = forms.BooleanField(
        label=_("Members may message each other directly"),
        required=False,
        help_text=_("Off unless you turn it on (CLINICAL.md: contact between members)."),
    )
    office_hours = forms.CharField(
        label=_("Office hours"),
        max_length=300,
        required=False,
        help_text=_("When you read the space, e.g. “Weekdays, 9 am to 5 pm”."),
    )
    rules = forms.CharField(
        label=_("Rules for the space"),
        max_length=RULES_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Shown at the top of the space with a link to the group agreement."),
    )


class StartConversationForm(forms.Form):
    member = forms.TypedChoiceField(
        label=_("Who would you like to write to?"), coerce=int, choices=()
    )


class MessageForm(forms.Form):
    body = _body_field(str(_("Your message")))


class MessageReportForm(ReportForm):
    reason = forms.ChoiceField(
        label=_("Why are you reporting this message?"),
        choices=ReportReason.choices,
        widget=forms.RadioSelect,
    )
