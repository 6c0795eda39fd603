"""API v1: your own notifications (list, unread count, mark read), and the inbound
text-message webhook (replies such as STOP).

The email digest preference (GET/PUT ``notifications/preferences/``) is a person's own
too, likewise session only.

Notification endpoints answer a signed-in browser session only: they declare no token
scope, so API tokens are refused (notifications are a person's own, not an
integration's). Only the owner sees or changes a notification; anyone else's is a 404.

The webhook needs no sign-in: the provider signs each request (X-Twilio-Signature,
HMAC-SHA1 with the account's auth token over the URL and the sorted form fields), and
an unsigned or wrongly signed request is refused with 403 and recorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpResponse, QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kindred.api.actors import actor_of
from kindred.audit.services import audit_denied
from kindred.notifications.access import get_notification_for
from kindred.notifications.models import DigestFrequency, Notification
from kindred.notifications.preferences import preference_of, preference_set, time_zone_of
from kindred.notifications.selectors import notification_list, unread_count
from kindred.notifications.services import notification_mark_read, notifications_mark_all_read
from kindred.scheduling.sms.inbound import sms_inbound
from kindred.scheduling.sms.signature import signature_is_valid

if TYPE_CHECKING:
    pass

SIGNATURE_HEADER = "HTTP_X_TWILIO_SIGNATURE"


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ("id", "kind", "title", "body", "url", "created_at", "read_at", "read")
        read_only_fields = fields

    def get_read(self, note: Notification) -> bool:
        return note.read_at is not None


class UnreadSerializer(serializers.Serializer[Any]):
    unread = serializers.IntegerField()


class MarkedSerializer(serializers.Serializer[Any]):
    marked = serializers.IntegerField(help_text="How many notifications were marked read.")


class NotificationListView(GenericAPIView[Notification]):
    serializer_class = NotificationSerializer

    def get_queryset(self) -> QuerySet[Notification]:
        unread = self.request.query_params.get("unread", "").lower() in {"1", "true", "yes"}
        return notification_list(actor=actor_of(self.request), unread_only=unread)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "unread", OpenApiTypes.BOOL, description="Only the unread ones.", required=False
            )
        ],
        responses=NotificationSerializer(many=True),
        summary="Your notifications, newest first (signed-in session only)",
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(NotificationSerializer(page, many=True).data)


class UnreadCountView(APIView):
    @extend_schema(responses=UnreadSerializer, summary="How many of your notifications are unread")
    def get(self, request: Request) -> Response:
        return Response({"unread": unread_count(actor=actor_of(request))})


class NotificationReadView(GenericAPIView[Notification]):
    serializer_class = NotificationSerializer

    @extend_schema(
        request=None,
        responses={200: NotificationSerializer, 404: OpenApiResponse(description="Not yours")},
        summary="Mark one of your notifications read",
    )
    def post(self, request: Request, notification_id: int) -> Response:
        actor = actor_of(request)
        note = notification_mark_read(
            actor=actor, notification=get_notification_for(actor, notification_id)
        )
        return Response(NotificationSerializer(note).data)


class NotificationReadAllView(APIView):
    @extend_schema(request=None, responses=MarkedSerializer, summary="Mark all yours read")
    def post(self, request: Request) -> Response:
        return Response({"marked": notifications_mark_all_read(actor=actor_of(request))})


# --- The email digest preference ---------------------------------------------------------


class NotificationPreferenceSerializer(serializers.Serializer[Any]):
    digest = serializers.ChoiceField(
        choices=DigestFrequency.choices,
        help_text="The email summary: off (the default) or daily.",
    )
    digest_hour = serializers.IntegerField(
        min_value=0, max_value=23, help_text="The local hour (0-23) the daily summary is sent."
    )
    time_zone = serializers.CharField(
        read_only=True, help_text="The time zone the hour is read in (your own)."
    )


class NotificationPreferenceView(GenericAPIView[Any]):
    serializer_class = NotificationPreferenceSerializer
    pagination_class = None

    def _answer(self, request: Request) -> Response:
        actor = actor_of(request)
        pref = preference_of(actor)
        return Response(
            NotificationPreferenceSerializer(
                {
                    "digest": pref.digest,
                    "digest_hour": pref.digest_hour,
                    "time_zone": time_zone_of(actor),
                }
            ).data
        )

    @extend_schema(
        responses=NotificationPreferenceSerializer,
        summary="Your email summary setting (signed-in session only)",
    )
    def get(self, request: Request) -> Response:
        return self._answer(request)

    @extend_schema(
        request=NotificationPreferenceSerializer,
        responses=NotificationPreferenceSerializer,
        summary="Change your email summary setting",
    )
    def put(self, request: Request) -> Response:
        serializer = NotificationPreferenceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        preference_set(
            actor=actor_of(request),
            digest=serializer.validated_data["digest"],
            digest_hour=serializer.validated_data["digest_hour"],
        )
        return self._answer(request)


# --- Inbound text messages ------------------------------------------------------------------


class InboundSmsSerializer(serializers.Serializer[Any]):
    From = serializers.CharField(help_text="The sender's number (E.164).")
    Body = serializers.CharField(allow_blank=True, help_text="The message text.")


def _twiml(message: str) -> HttpResponse:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Response><Message>{escape(message)}</Message></Response>"
    )
    return HttpResponse(body, content_type="text/xml; charset=utf-8")


class SmsInboundView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    parser_classes = (FormParser,)

    @extend_schema(
        request={"application/x-www-form-urlencoded": InboundSmsSerializer},
        responses={
            (200, "text/xml"): OpenApiResponse(
                OpenApiTypes.STR, description="TwiML with the reply to send back."
            ),
            403: OpenApiResponse(description="Missing or wrong X-Twilio-Signature."),
        },
        auth=[],
        summary="Webhook for replies to our text messages (STOP, START, HELP)",
    )
    def post(self, request: Request) -> HttpResponse:
        # The address the provider was given: this deployment's public URL, as behind a
        # TLS-terminating proxy the request itself may say http://127.0.0.1.
        url = settings.SITE_URL.rstrip("/") + request.get_full_path()
        form = request.data
        if not isinstance(form, QueryDict):
            return HttpResponse(status=400)
        params = [(name, value) for name, values in form.lists() for value in values]
        signature = request.META.get(SIGNATURE_HEADER, "")
        if not signature_is_valid(url, params, settings.KINDRED_SMS_AUTH_TOKEN, signature):
            audit_denied(
                actor=None,
                action="scheduling.sms_inbound.denied",
                object_type="sms_inbound",
                object_id="",
            )
            return HttpResponse(status=403)
        result = sms_inbound(from_number=str(form.get("From", "")), body=str(form.get("Body", "")))
        return _twiml(result.reply)
