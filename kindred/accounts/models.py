"""People who sign in: staff (with roles) and members (clients with portal access)."""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kindred.practice.roles import Role


class UserKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    MEMBER = "member", _("Member")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        """Used by ``manage.py createsuperuser``: a staff account holding the admin role."""
        extra.setdefault("full_name", email.split("@", maxsplit=1)[0])
        user = self.create_user(email, password, kind=UserKind.STAFF, **extra)
        RoleGrant.objects.create(user=user, role=Role.ADMIN)
        return user


class User(AbstractBaseUser):
    email = models.EmailField(_("email address"), max_length=254, unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    kind = models.CharField(max_length=10, choices=UserKind.choices, default=UserKind.STAFF)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]
        ordering = ["full_name", "id"]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def is_staff_member(self) -> bool:
        return self.kind == UserKind.STAFF

    @property
    def is_member(self) -> bool:
        return self.kind == UserKind.MEMBER

    # Django's admin is not installed; these keep third-party code that asks happy.
    @property
    def is_staff(self) -> bool:
        return False

    @property
    def is_superuser(self) -> bool:
        return False

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return False

    def has_module_perms(self, app_label: str) -> bool:
        return False

    @cached_property
    def roles(self) -> frozenset[Role]:
        if self.pk is None or self.kind != UserKind.STAFF:
            return frozenset()
        return frozenset(Role(r) for r in self.role_grants.values_list("role", flat=True))

    def forget_roles(self) -> None:
        """Drop the cached role set after a change to the user's grants."""
        self.__dict__.pop("roles", None)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class RoleGrant(models.Model):
    """One staff role held by one person."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=20, choices=[(r.value, r.label) for r in Role])
    granted_at = models.DateTimeField(default=timezone.now)
    granted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="accounts_rolegrant_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.role}"


class ApiToken(models.Model):
    """A bearer token for integrations. Shown once at creation; only its hash is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    # The first characters after "kdt_", stored in clear so a token can be found and
    # recognised in lists without revealing it.
    prefix = models.CharField(max_length=12, unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} (kdt_{self.prefix}…)"
