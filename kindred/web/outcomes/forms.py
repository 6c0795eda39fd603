"""Forms of the outcomes section: shape only (the rules are in the services)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kindred.accounts.models import User
from kindred.measures.models import AlertAction, AlertStatus
from kindred.measures.safety import ACTION_NOTE_MAX


class AcknowledgeForm(forms.Form):
    action = forms.ChoiceField(
        label=_("What did you do?"),
        choices=AlertAction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the action you took.")},
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        strip=False,
        max_length=ACTION_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Required when you choose “Other”. Kept with the alert; it cannot be changed later."
        ),
    )


class AlertFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("", _("Open and acknowledged")), *AlertStatus.choices],
    )


def _full_name(user: User) -> str:
    return user.full_name


class OutcomeSettingsForm(forms.Form):
    escalate_after_minutes = forms.IntegerField(
        label=_("Escalate an unacknowledged alert after (minutes)"),
        min_value=15,
        max_value=10080,
        help_text=_(
            "If nobody of the member's group acknowledges a safety alert within this time, "
            "it is passed to the clinical lead. 240 minutes (4 hours) is the default; "
            "between 15 minutes and a week."
        ),
    )
    clinical_lead: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label=_("Clinical lead"),
        queryset=User.objects.none(),  # set in __init__
        required=False,
        empty_label=_("No one named: tell every practice admin"),
        help_text=_(
            "Receives escalated alerts (in the app and by an email that says only that an "
            "alert is waiting) and can open and acknowledge them."
        ),
    )
    not_on_track_after_sessions = forms.IntegerField(
        label=_("“Not on track” after this many sessions without reliable improvement"),
        min_value=1,
        max_value=52,
        help_text=_(
            "A member who started at or above the caseness threshold, has attended this "
            "many sessions since their first questionnaire and has answered again, but has "
            "not reliably improved, is shown as not on track. Group members trip this more "
            "often than individual clients, so a higher number means fewer flags."
        ),
    )
    flag_reliable_deterioration = forms.BooleanField(
        label=_("Show a member as not on track when their scores reliably get worse"),
        required=False,
        help_text=_(
            "Reliably worse: a rise of at least the reliable-change size (PHQ-9: 6 points, "
            "GAD-7: 4 points, NHS Talking Therapies), or a Reliable Change Index beyond 1.96."
        ),
    )
    alert_on_reliable_deterioration = forms.BooleanField(
        label=_("Also raise a safety alert when scores reliably get worse"),
        required=False,
        help_text=_(
            "The member's facilitators are told at once and must acknowledge it, like any "
            "other safety alert."
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        from kindred.measures.outcome_settings import clinical_lead_choices

        field = self.fields["clinical_lead"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - narrows the type
        field.queryset = clinical_lead_choices()
        field.label_from_instance = _full_name  # type: ignore[method-assign,assignment]
