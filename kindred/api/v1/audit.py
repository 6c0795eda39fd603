"""API: the audit log, read-only (VIEW_AUDIT and the audit:read scope)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from kindred.accounts.models import User
from kindred.accounts.scopes import Scope
from kindred.audit.models import AuditEvent, Category
from kindred.audit.selectors import AuditFilters, audit_event_get, audit_event_list


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    actor = serializers.IntegerField(source="actor_id", allow_null=True, read_only=True)
    client = serializers.IntegerField(source="client_id", allow_null=True, read_only=True)
    detail = serializers.DictField(
        read_only=True, help_text="Names, codes and reasons; never clinical content."
    )

    class Meta:
        model = AuditEvent
        fields = [
            "id", "occurred_at", "actor", "actor_label", "category", "action", "client",
            "object_type", "object_id", "ip", "request_id", "via", "detail",
        ]  # fmt: skip
        read_only_fields = fields


class AuditFilterSerializer(serializers.Serializer[Any]):
    actor = serializers.IntegerField(
        required=False, min_value=1, help_text="Only events by this user id."
    )
    action = serializers.CharField(
        required=False,
        max_length=80,
        help_text="Only actions starting with this code, e.g. `clients.client` or "
        "`accounts.session.`.",
    )
    category = serializers.ChoiceField(required=False, choices=Category.choices)
    client = serializers.IntegerField(
        required=False, min_value=1, help_text="Only events about this client id."
    )
    date_from = serializers.DateField(
        required=False, help_text="From this day (practice time zone), inclusive."
    )
    date_to = serializers.DateField(
        required=False, help_text="To this day (practice time zone), inclusive."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start and end and end < start:
            raise serializers.ValidationError(
                {"date_to": [_("The end date is before the start date.")]}
            )
        return attrs

    def filters(self) -> AuditFilters:
        data = self.validated_data
        return AuditFilters(
            actor_id=data.get("actor"),
            action_prefix=data.get("action", ""),
            category=Category(data["category"]) if data.get("category") else None,
            client_id=data.get("client"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


class AuditEventListView(generics.ListAPIView[AuditEvent]):
    """The audit log, newest first. It cannot be changed or deleted."""

    serializer_class = AuditEventSerializer
    required_scopes = {"read": Scope.AUDIT_READ}

    def get_queryset(self) -> QuerySet[AuditEvent]:
        params = AuditFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        user = self.request.user
        assert isinstance(user, User)  # noqa: S101 - HasTokenScope requires a signed-in user
        return audit_event_list(actor=user, filters=params.filters())

    @extend_schema(
        operation_id="audit_events_list",
        parameters=[AuditFilterSerializer],
        summary="The audit log, newest first (admins; scope audit:read). Read-only.",
    )
    def get(self, *args: Any, **kwargs: Any) -> Any:
        return super().get(*args, **kwargs)


class AuditEventDetailView(generics.RetrieveAPIView[AuditEvent]):
    serializer_class = AuditEventSerializer
    required_scopes = {"read": Scope.AUDIT_READ}

    def get_object(self) -> AuditEvent:
        user = self.request.user
        assert isinstance(user, User)  # noqa: S101 - HasTokenScope requires a signed-in user
        return audit_event_get(actor=user, event_id=int(self.kwargs["event_id"]))

    @extend_schema(operation_id="audit_events_retrieve", summary="One audit event")
    def get(self, *args: Any, **kwargs: Any) -> Any:
        return super().get(*args, **kwargs)
