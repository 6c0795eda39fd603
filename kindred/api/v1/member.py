"""API v1 for members and the public: a member's own upcoming sessions, absence notices,
calendar feed addresses, and the public group directory.

Member endpoints answer a signed-in browser session only: they declare no token scope, so
API tokens are refused (members do not use tokens). The directory needs no sign-in and is
read-only. The same access functions and services as the web pages decide everything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from kindred.api.actors import actor_of
from kindred.api.pagination import Pagination
from kindred.core.errors import NotFound
from kindred.groups import directory
from kindred.groups.models import GroupModality, TherapyGroup
from kindred.scheduling import calendar_feeds
from kindred.scheduling import member as member_sessions
from kindred.scheduling.access import get_session_for
from kindred.scheduling.member_home import join_states_for
from kindred.scheduling.models import AbsenceNotice, CalendarFeed, GroupSession

if TYPE_CHECKING:
    from kindred.clients.models import Client


def _member_client(request: Request) -> Client:
    """Members' own resources do not exist for anyone else: 404."""
    client = member_sessions.member_client(actor_of(request))
    if client is None:
        raise NotFound("Not found.")
    return client


# --- Serializers ---------------------------------------------------------------------------


class PlaceSerializer(serializers.Serializer[member_sessions.Place]):
    name = serializers.CharField()
    room = serializers.CharField()
    lines = serializers.ListField(child=serializers.CharField())
    directions = serializers.CharField()


class NoticeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    note = serializers.CharField(allow_blank=True)


class JoinSerializer(serializers.Serializer[Any]):
    status = serializers.CharField(
        help_text="in_person, cancelled, no_seat, not_yet, ended, "
        "needs_attestation, blocked or open"
    )
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()


class MemberSessionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    group_id = serializers.IntegerField()
    group_name = serializers.CharField()
    starts_at = serializers.DateTimeField(help_text="In the member's own time zone.")
    ends_at = serializers.DateTimeField()
    time_zone = serializers.CharField(help_text="The member's time zone, named.")
    cancelled = serializers.BooleanField()
    cancel_reason = serializers.CharField(
        allow_blank=True, help_text="Why it was cancelled, in the practice's words."
    )
    modality = serializers.ChoiceField(choices=GroupModality.choices)
    online = serializers.BooleanField()
    place = PlaceSerializer(allow_null=True)
    absence_notice = NoticeSerializer(allow_null=True)
    can_notify_absence = serializers.BooleanField()
    join = JoinSerializer(allow_null=True)


def _session_data(item: member_sessions.MemberSession, join: Any) -> dict[str, Any]:
    session = item.session
    return {
        "id": session.pk,
        "group_id": session.group_id,
        "group_name": session.group.name,
        "starts_at": item.starts,
        "ends_at": item.ends,
        "time_zone": item.zone,
        "cancelled": item.cancelled,
        "cancel_reason": item.cancel_reason,
        "modality": session.modality,
        "online": item.online,
        "place": None
        if item.place is None
        else {
            "name": item.place.name,
            "room": item.place.room,
            "lines": item.place.lines,
            "directions": item.place.directions,
        },
        "absence_notice": None
        if item.notice_id is None
        else {"id": item.notice_id, "note": item.notice_note},
        "can_notify_absence": item.can_notify_absence,
        "join": None
        if join is None
        else {"status": str(join.status), "opens_at": join.opens_at, "closes_at": join.closes_at},
    }


class AbsenceInputSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        trim_whitespace=False,
        help_text="Anything the facilitator should know (optional; only facilitators see it).",
    )


class AbsenceSerializer(serializers.ModelSerializer[AbsenceNotice]):
    class Meta:
        model = AbsenceNotice
        fields = ("id", "session", "note", "created_at")
        read_only_fields = fields


class FeedSerializer(serializers.Serializer[Any]):
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField(allow_null=True)
    last_fetched_at = serializers.DateTimeField(allow_null=True)


class NewFeedSerializer(serializers.Serializer[Any]):
    url = serializers.CharField(help_text="The feed address. Shown once; keep it private.")
    webcal_url = serializers.CharField()
    created_at = serializers.DateTimeField()


# --- A member's sessions -------------------------------------------------------------------


class MemberSessionListView(GenericAPIView[GroupSession]):
    serializer_class = MemberSessionSerializer

    def get_queryset(self) -> QuerySet[GroupSession]:
        return GroupSession.objects.none()  # the list comes from scheduling/member.py

    @extend_schema(
        responses=MemberSessionSerializer(many=True),
        summary="Your upcoming sessions (members; signed-in session only)",
    )
    def get(self, request: Request) -> Response:
        client = _member_client(request)
        now = timezone.now()
        page = self.paginate_queryset(member_sessions.upcoming_sessions(client, now=now))
        sessions = list(page or [])
        joins = join_states_for(sessions, client, now)
        data = [
            _session_data(member_sessions.present(s, client, now=now), joins.get(s.pk))
            for s in sessions
        ]
        return self.get_paginated_response(MemberSessionSerializer(data, many=True).data)


class AbsenceView(GenericAPIView[AbsenceNotice]):
    serializer_class = AbsenceSerializer

    @extend_schema(
        request=AbsenceInputSerializer,
        responses={201: AbsenceSerializer, 409: OpenApiTypes.OBJECT},
        summary="Tell the group you can't make a session (or change your note)",
    )
    def post(self, request: Request, session_id: int) -> Response:
        _member_client(request)
        actor = actor_of(request)
        session = get_session_for(actor, session_id)
        serializer = AbsenceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notice = member_sessions.absence_notice_give(
            actor=actor, session=session, note=serializer.validated_data.get("note", "")
        )
        return Response(AbsenceSerializer(notice).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={204: None, 409: OpenApiTypes.OBJECT},
        summary="Withdraw your absence notice (until the session starts)",
    )
    def delete(self, request: Request, session_id: int) -> Response:
        client = _member_client(request)
        actor = actor_of(request)
        session = get_session_for(actor, session_id)
        notice = member_sessions.own_notice_for(client, session)
        if notice is None:
            raise NotFound("Not found.")
        member_sessions.absence_notice_withdraw(actor=actor, notice=notice)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Calendar feed -------------------------------------------------------------------------


class CalendarFeedView(GenericAPIView[CalendarFeed]):
    serializer_class = FeedSerializer

    @extend_schema(responses=FeedSerializer, summary="Whether you have a calendar feed address")
    def get(self, request: Request) -> Response:
        feed = calendar_feeds.active_feed(actor=actor_of(request))
        return Response(
            FeedSerializer(
                {
                    "active": feed is not None,
                    "created_at": feed.created_at if feed else None,
                    "last_fetched_at": feed.last_fetched_at if feed else None,
                }
            ).data
        )

    @extend_schema(
        request=None,
        responses={201: NewFeedSerializer},
        summary="Make a new calendar feed address (the old one stops working); shown once",
    )
    def post(self, request: Request) -> Response:
        token, feed = calendar_feeds.calendar_feed_create(actor=actor_of(request))
        response = Response(
            NewFeedSerializer(
                {
                    "url": calendar_feeds.feed_url(token),
                    "webcal_url": calendar_feeds.webcal_url(token),
                    "created_at": feed.created_at,
                }
            ).data,
            status=status.HTTP_201_CREATED,
        )
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(responses={204: None}, summary="Turn off your calendar feed address")
    def delete(self, request: Request) -> Response:
        calendar_feeds.calendar_feed_revoke(actor=actor_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Public directory ----------------------------------------------------------------------


class SlotSerializer(serializers.Serializer[directory.Slot]):
    at = serializers.DateTimeField(help_text="The next meeting at this day and time (UTC).")
    text = serializers.CharField(help_text="The day and time in the group's zone.")


class ScheduleSerializer(serializers.Serializer[directory.Schedule]):
    frequency = serializers.CharField()
    slots = SlotSerializer(many=True)
    minutes = serializers.IntegerField()
    starts_on = serializers.DateField(allow_null=True)
    timezone = serializers.CharField()
    sessions_count = serializers.IntegerField(allow_null=True)


class DirectoryGroupSerializer(serializers.Serializer[directory.DirectoryEntry]):
    slug = serializers.CharField(source="group.slug")
    name = serializers.CharField(source="group.name")
    description = serializers.CharField(source="group.description")
    focus = serializers.ListField(child=serializers.CharField(), source="concerns")
    format = serializers.CharField(source="group.format")
    modality = serializers.CharField(source="group.modality")
    city = serializers.SerializerMethodField()
    state = serializers.SerializerMethodField()
    schedule = ScheduleSerializer()
    serves_states = serializers.ListField(
        child=serializers.CharField(),
        source="states",
        help_text="For online groups: states where every facilitator may practise today.",
    )
    eligibility = serializers.ListField(child=serializers.CharField())
    fee = serializers.CharField()
    sliding_scale = serializers.BooleanField(source="group.sliding_scale")
    fee_note = serializers.CharField(source="group.fee_note")
    seats_open = serializers.BooleanField()

    def get_city(self, entry: directory.DirectoryEntry) -> str | None:
        location = entry.group.location if entry.is_in_person else None
        return location.city if location is not None else None

    def get_state(self, entry: directory.DirectoryEntry) -> str | None:
        location = entry.group.location if entry.is_in_person else None
        return location.state if location is not None else None


class DirectoryPagination(Pagination):
    # The same page size as the directory page: each group's schedule and states are
    # worked out per request.
    page_size = 20
    max_page_size = 50


class PublicView(GenericAPIView[Any]):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    serializer_class = DirectoryGroupSerializer
    pagination_class = DirectoryPagination

    def get_queryset(self) -> QuerySet[Any]:
        return TherapyGroup.objects.none()  # lists come from groups/directory.py


class DirectoryListView(PublicView):
    @extend_schema(
        auth=[],
        parameters=[
            OpenApiParameter("concern", int, description="A focus tag id"),
            OpenApiParameter(
                "modality", str, enum=list(GroupModality.values), description="How it meets"
            ),
        ],
        responses=DirectoryGroupSerializer(many=True),
        summary="The public group directory (no sign-in)",
    )
    def get(self, request: Request) -> Response:
        concern = request.query_params.get("concern", "")
        filters = directory.DirectoryFilters(
            concern=int(concern) if concern.isdigit() and 0 < int(concern) < 2**63 else None,
            modality=request.query_params.get("modality", ""),
        )
        page = self.paginate_queryset(directory.directory_groups(filters))
        entries: Any = directory.directory_entries(page or [])
        response = self.get_paginated_response(DirectoryGroupSerializer(entries, many=True).data)
        response["Cache-Control"] = "public, max-age=300"
        return response


class DirectoryDetailView(PublicView):
    @extend_schema(
        auth=[], responses=DirectoryGroupSerializer, summary="One group in the directory"
    )
    def get(self, request: Request, slug: str) -> Response:
        [entry] = directory.directory_entries([directory.directory_group(slug)])
        response = Response(DirectoryGroupSerializer(entry).data)
        response["Cache-Control"] = "public, max-age=300"
        return response
