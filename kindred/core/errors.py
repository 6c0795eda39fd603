"""Domain errors. Services raise these; the web and API layers turn them into form
errors, 404, 409 or 422 responses. A rule is never re-checked in a view."""

from __future__ import annotations

from django.http import Http404


class KindredError(Exception):
    """Base of every error a service raises on purpose.

    ``field`` names the input the message is about, when there is one, so a form or a
    serializer can show the message beside that field.
    """

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code or type(self).__name__.lower()


class NotPermitted(KindredError):
    """The actor may not do this (they can see the object, but not change it)."""


class NotFound(KindredError, Http404):
    """The object does not exist, or the actor may not know that it exists.

    Also an ``Http404``, so a view that lets it escape answers 404 without extra code.
    """


class Conflict(KindredError):
    """The request clashes with the current state (a duplicate, a full group)."""


class InvalidState(KindredError):
    """The object is not in a state that allows this (e.g. editing a signed note)."""


class ValidationFailed(KindredError):
    """Input that has the right shape but breaks a domain rule."""

    def __init__(
        self,
        message: str = "",
        *,
        field: str | None = None,
        errors: dict[str, list[str]] | None = None,
    ):
        errors = dict(errors or {})
        if message:
            errors.setdefault(field or "__all__", []).append(message)
        first = message or next((m for ms in errors.values() for m in ms), "Invalid input.")
        super().__init__(first, field=field)
        self.errors = errors


def validation_failed_from(exc: object) -> ValidationFailed:
    """Turn a Django ``ValidationError`` (from ``full_clean``) into ``ValidationFailed``
    keeping the per-field messages."""
    from django.core.exceptions import ValidationError

    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return ValidationFailed(errors={k: list(v) for k, v in exc.message_dict.items()})
    if isinstance(exc, ValidationError):
        return ValidationFailed(errors={"__all__": list(exc.messages)})
    return ValidationFailed(str(exc))


def full_clean_or_fail(instance: object, *, exclude: list[str] | None = None) -> None:
    """Run the model's field and constraint validation; raise ``ValidationFailed``."""
    from django.core.exceptions import ValidationError

    try:
        instance.full_clean(exclude=exclude)  # type: ignore[attr-defined]
    except ValidationError as exc:
        raise validation_failed_from(exc) from exc
