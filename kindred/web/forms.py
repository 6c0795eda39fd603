"""Form plumbing shared by every page: accessible rendering and domain errors."""

from __future__ import annotations

from django import forms
from django.forms.renderers import TemplatesSetting

from kindred.core.errors import KindredError, ValidationFailed


class KindredFormRenderer(TemplatesSetting):
    """Renders each field with its label, help text and errors tied together
    (``aria-describedby``, ``aria-invalid``) by web/forms/field.html."""

    form_template_name = "web/forms/form.html"
    field_template_name = "web/forms/field.html"


def apply_error(form: forms.BaseForm, exc: KindredError) -> None:
    """Show a service's error on the form: beside the field it names, else on top."""
    if isinstance(exc, ValidationFailed):
        for field, messages in exc.errors.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
        return
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
