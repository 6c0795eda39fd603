"""Writes for accounts: staff accounts, roles, deactivation, API tokens."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.accounts.models import RoleGrant, User, UserKind
from kindred.accounts.names import name_problem
from kindred.audit.services import audit_change
from kindred.core.errors import Conflict, InvalidState, ValidationFailed
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability, Role


def _clean_email(email: str, *, field: str = "email") -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationFailed(_("Enter a valid email address."), field=field) from exc
    return email


def _clean_name(full_name: str) -> str:
    name = (full_name or "").strip()
    if not name:
        raise ValidationFailed(_("Enter the person's name."), field="full_name")
    if len(name) > 150:
        raise ValidationFailed(_("Use at most 150 characters."), field="full_name")
    problem = name_problem(name)  # the forms and serializers say so first; commands too
    if problem is not None:
        raise ValidationFailed(problem[0], field="full_name")
    return name


def _ensure_email_free(email: str, *, exclude_pk: int | None = None) -> None:
    qs = User.objects.filter(email__iexact=email)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise Conflict(_("An account with this email address already exists."), field="email")


def staff_create(
    *,
    actor: User | None,
    email: str,
    full_name: str,
    roles: Iterable[Role],
    password: str | None = None,
) -> User:
    """Create a staff account. ``actor`` None means a system command (seed, set-up)."""
    if actor is not None:
        role_checks.require(actor, Capability.MANAGE_STAFF)
    email = _clean_email(email)
    full_name = _clean_name(full_name)
    role_set = {Role(r) for r in roles}
    if not role_set:
        raise ValidationFailed(_("Choose at least one role."), field="roles")
    if password is not None:
        try:
            validate_password(password, User(email=email, full_name=full_name))
        except ValidationError as exc:
            raise ValidationFailed(errors={"password": list(exc.messages)}) from exc
    _ensure_email_free(email)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email, password, full_name=full_name, kind=UserKind.STAFF
            )
            RoleGrant.objects.bulk_create(
                [RoleGrant(user=user, role=r, granted_by=actor) for r in sorted(role_set)]
            )
            audit_change(
                actor=actor,
                action="accounts.user.created",
                obj=user,
                detail={"kind": "staff", "roles": sorted(role_set)},
            )
    except IntegrityError as exc:  # a concurrent create with the same email
        raise Conflict(
            _("An account with this email address already exists."), field="email"
        ) from exc
    return user


def staff_update(*, actor: User, user: User, email: str, full_name: str) -> User:
    role_checks.require(actor, Capability.MANAGE_STAFF)
    if not user.is_staff_member:
        raise InvalidState(_("This is not a staff account."))
    email = _clean_email(email)
    full_name = _clean_name(full_name)
    changed = [f for f, v in (("email", email), ("full_name", full_name)) if getattr(user, f) != v]
    if not changed:
        return user
    if "email" in changed:
        _ensure_email_free(email, exclude_pk=user.pk)
    with transaction.atomic():
        user.email = email
        user.full_name = full_name
        user.save(update_fields=changed)
        if "email" in changed:
            from allauth.account.models import EmailAddress

            EmailAddress.objects.filter(user=user).delete()
        audit_change(actor=actor, action="accounts.user.updated", obj=user, changed=changed)
    return user


def _admin_count() -> int:
    return RoleGrant.objects.filter(role=Role.ADMIN, user__is_active=True).count()


def staff_set_roles(*, actor: User, user: User, roles: Iterable[Role]) -> User:
    role_checks.require(actor, Capability.MANAGE_STAFF)
    if not user.is_staff_member:
        raise InvalidState(_("Members cannot hold staff roles."))
    wanted = {Role(r) for r in roles}
    if not wanted:
        raise ValidationFailed(_("Choose at least one role."), field="roles")
    with transaction.atomic():
        # Lock the grants of every admin so two admins cannot demote each other at once.
        current = {
            Role(r)
            for r in RoleGrant.objects.select_for_update()
            .filter(user=user)
            .values_list("role", flat=True)
        }
        removed, added = current - wanted, wanted - current
        if Role.ADMIN in removed:
            admins = list(
                RoleGrant.objects.select_for_update()
                .filter(role=Role.ADMIN, user__is_active=True)
                .values_list("user_id", flat=True)
            )
            if len(admins) <= 1:
                raise Conflict(
                    _("This is the last admin. Make someone else an admin first."), field="roles"
                )
        RoleGrant.objects.filter(user=user, role__in=removed).delete()
        RoleGrant.objects.bulk_create(
            [RoleGrant(user=user, role=r, granted_by=actor) for r in sorted(added)]
        )
        if removed or added:
            audit_change(
                actor=actor,
                action="accounts.user.roles_changed",
                obj=user,
                detail={"added": sorted(added), "removed": sorted(removed)},
            )
    user.forget_roles()
    return user


def _end_sessions_and_tokens(user: User, actor: User) -> None:
    from kindred.accounts.revocation import revoke_everything

    revoke_everything(user=user, actor=actor, reason="deactivated")


def user_deactivate(*, actor: User, user: User, reason: str) -> User:
    """Switch an account off: its sessions end and its API tokens stop working at once."""
    role_checks.require(actor, Capability.MANAGE_STAFF)
    if user.pk == actor.pk:
        raise InvalidState(_("You cannot deactivate your own account."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why the account is being deactivated."), field="reason")
    if not user.is_active:
        return user
    with transaction.atomic():
        if Role.ADMIN in user.roles and _admin_count() <= 1:
            raise Conflict(_("This is the last admin. Make someone else an admin first."))
        user.is_active = False
        user.deactivated_at = timezone.now()
        user.save(update_fields=["is_active", "deactivated_at"])
        _end_sessions_and_tokens(user, actor)
        audit_change(
            actor=actor,
            action="accounts.user.deactivated",
            obj=user,
            detail={"reason": reason[:500]},
        )
    return user


def user_reactivate(*, actor: User, user: User) -> User:
    role_checks.require(actor, Capability.MANAGE_STAFF)
    if user.is_active:
        return user
    with transaction.atomic():
        user.is_active = True
        user.deactivated_at = None
        user.save(update_fields=["is_active", "deactivated_at"])
        audit_change(actor=actor, action="accounts.user.reactivated", obj=user)
    return user


# --- Staff invitations (a link to choose a password) ----------------------------------


def staff_password_link(user: User) -> str:
    """An absolute link where ``user`` chooses a password: allauth's password-reset
    page with a token from its generator (valid PASSWORD_RESET_TIMEOUT seconds; it stops
    working once the password changes). Nobody is signed in by it, and two-step
    verification is still set up at the first sign-in."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str
    from django.conf import settings
    from django.urls import reverse

    path = reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )
    return settings.SITE_URL.rstrip("/") + path


def send_staff_welcome(user_id: int) -> None:
    """Email a staff member the link to choose their password. Runs after commit; the
    body names the practice and the next step only (no clinical content)."""
    from django.conf import settings
    from django.core.mail import EmailMessage

    from kindred.practice.settings import practice_settings

    user = User.objects.filter(pk=user_id, is_active=True, kind=UserKind.STAFF).first()
    if user is None:
        return
    practice = practice_settings().name
    days = max(1, settings.PASSWORD_RESET_TIMEOUT // (24 * 60 * 60))
    # A name with a line break would make the header invalid and the mail undeliverable.
    subject = " ".join((_("Your staff account at %(practice)s") % {"practice": practice}).split())
    body = _(
        "Hello %(name)s,\n\n"
        "%(practice)s has made a staff account for you on Kindred, with the sign-in "
        "email %(email)s.\n\n"
        "Choose your password here (the link works for %(days)d days, once):\n"
        "%(link)s\n\n"
        "When you first sign in you will also set up two-step verification with an "
        "authenticator app.\n\n"
        "If you were not expecting this email, you can ignore it."
    ) % {
        "name": user.full_name,
        "practice": practice,
        "email": user.email,
        "days": days,
        "link": staff_password_link(user),
    }
    EmailMessage(subject=subject, body=body, to=[user.email]).send()


def staff_invite(*, actor: User | None, email: str, full_name: str, roles: Iterable[Role]) -> User:
    """Create a staff account without a password and email its owner a link to choose
    one (after commit)."""
    with transaction.atomic():
        user = staff_create(actor=actor, email=email, full_name=full_name, roles=roles)
        audit_change(actor=actor, action="accounts.user.invited", obj=user)
        user_id = user.pk
        transaction.on_commit(lambda: send_staff_welcome(user_id), robust=True)
    return user


def staff_resend_welcome(*, actor: User, user: User) -> User:
    """Send the choose-a-password link again (the first one expired or went astray)."""
    role_checks.require(actor, Capability.MANAGE_STAFF)
    if not user.is_staff_member:
        raise InvalidState(_("This is not a staff account."))
    if not user.is_active:
        raise InvalidState(_("Reactivate the account first."))
    with transaction.atomic():
        audit_change(actor=actor, action="accounts.user.invited", obj=user, detail={"again": True})
        user_id = user.pk
        transaction.on_commit(lambda: send_staff_welcome(user_id), robust=True)
    return user
