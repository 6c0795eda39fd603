"""API v1: the private journal (issue 8).

Members use their signed-in browser session for their own entries: list, write, read,
change, delete, share and stop sharing. Facilitators read the entries shared with a
group they lead or co-facilitate. No endpoint declares a token scope, so every API
token is refused (deny by default in ``HasTokenScope``): a private entry is never
readable with a staff token, and shared entries are read in a signed-in session, each
read audited like the page.

Whoever is not the writer of an entry gets 404 and a denied audit event, as on the
pages. Sharing an entry with risk language answers with ``crisis``: show it at once.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from kindred.api.actors import actor_of
from kindred.api.v1.space import CRISIS
from kindred.core.markdown import render_markdown
from kindred.journal import selectors, services
from kindred.journal.access import (
    get_facilitated_group,
    get_journal_client,
    get_own_entry,
    shared_with_group,
)
from kindred.journal.models import BODY_MAX, TITLE_MAX, JournalEntry
from kindred.scheduling.models import GroupSession

# --- serializers ----------------------------------------------------------------------------


class JournalSessionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    group_id = serializers.IntegerField()
    group_name = serializers.CharField()
    starts_at = serializers.DateTimeField()


class JournalEntrySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField(allow_blank=True)
    body = serializers.CharField(help_text="Markdown as written.")
    body_html = serializers.CharField(help_text="Sanitised HTML.")
    session = JournalSessionSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    shared_with_facilitator = serializers.BooleanField()
    shared_at = serializers.DateTimeField(allow_null=True)


class JournalCrisisSerializer(serializers.Serializer[Any]):
    message = serializers.CharField()
    call = serializers.CharField()
    text = serializers.CharField()
    emergency = serializers.CharField()


class JournalEntryAnswerSerializer(JournalEntrySerializer):
    crisis = JournalCrisisSerializer(
        allow_null=True,
        help_text="Set when a shared entry held risk language: show it to the member at once.",
    )


class SharedJournalEntrySerializer(JournalEntrySerializer):
    client_id = serializers.IntegerField()
    member_name = serializers.CharField()
    risk_categories = serializers.ListField(child=serializers.CharField())


class JournalEntryInputSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, help_text=f"≤{TITLE_MAX}"
    )
    body = serializers.CharField(trim_whitespace=False, help_text=f"≤{BODY_MAX} characters")
    session_id = serializers.IntegerField(
        required=False, allow_null=True, help_text="One of your own group's sessions, up to today."
    )


def _session(session: GroupSession | None) -> dict[str, Any] | None:
    if session is None:
        return None
    return {
        "id": session.pk,
        "group_id": session.group_id,
        "group_name": session.group.name,
        "starts_at": session.starts_at,
    }


def _entry(entry: JournalEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "title": entry.title,
        "body": entry.body,
        "body_html": str(render_markdown(entry.body, heading_offset=2)),
        "session": _session(entry.session),
        "created_at": entry.created_at,
        "updated_at": entry.updated_at,
        "shared_with_facilitator": entry.shared_with_facilitator,
        "shared_at": entry.shared_at,
    }


def _answer(entry: JournalEntry, code: int = status.HTTP_200_OK) -> Response:
    data = {**_entry(entry), "crisis": CRISIS if entry.risk_flagged else None}
    return Response(JournalEntryAnswerSerializer(data).data, status=code)


def _input_session(data: dict[str, Any]) -> GroupSession | None:
    pk = data.get("session_id")
    if pk is None:
        return None
    # The service refuses anything but the member's own sessions, with its message.
    return GroupSession.objects.filter(pk=pk).select_related("group").first() or GroupSession(pk=pk)


# --- member ------------------------------------------------------------------------------


class JournalEntryListView(GenericAPIView[Any]):
    serializer_class = JournalEntrySerializer

    @extend_schema(
        responses=JournalEntrySerializer(many=True),
        summary="Your journal entries, newest first (members; signed-in session only)",
    )
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        get_journal_client(actor)
        page = self.paginate_queryset(selectors.entry_list(actor))
        assert page is not None  # noqa: S101 - the API always paginates
        return self.get_paginated_response(
            JournalEntrySerializer([_entry(e) for e in page], many=True).data
        )

    @extend_schema(
        request=JournalEntryInputSerializer,
        responses={201: JournalEntryAnswerSerializer},
        summary="Write a journal entry (private)",
    )
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        client = get_journal_client(actor)
        serializer = JournalEntryInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entry = services.entry_create(
            actor=actor,
            client=client,
            title=data.get("title", ""),
            body=data["body"],
            session=_input_session(data),
        )
        return _answer(entry, status.HTTP_201_CREATED)


class JournalEntryDetailView(GenericAPIView[Any]):
    serializer_class = JournalEntryAnswerSerializer

    @extend_schema(
        responses={
            200: JournalEntryAnswerSerializer,
            404: OpenApiResponse(description="Not yours"),
        },
        summary="One of your journal entries",
    )
    def get(self, request: Request, entry_id: int) -> Response:
        return _answer(get_own_entry(actor_of(request), entry_id))

    @extend_schema(
        request=JournalEntryInputSerializer,
        responses=JournalEntryAnswerSerializer,
        summary="Change one of your entries (a shared one is screened again)",
    )
    def put(self, request: Request, entry_id: int) -> Response:
        actor = actor_of(request)
        entry = get_own_entry(actor, entry_id)
        serializer = JournalEntryInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.entry_update(
            actor=actor,
            entry=entry,
            title=data.get("title", ""),
            body=data["body"],
            session=_input_session(data),
        )
        return _answer(entry)

    @extend_schema(responses={204: None}, summary="Delete one of your entries for good")
    def delete(self, request: Request, entry_id: int) -> Response:
        actor = actor_of(request)
        services.entry_delete(actor=actor, entry=get_own_entry(actor, entry_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class JournalShareView(GenericAPIView[Any]):
    serializer_class = JournalEntryAnswerSerializer

    @extend_schema(
        request=None,
        responses=JournalEntryAnswerSerializer,
        summary="Share an entry with your group's facilitators (screened for risk language)",
    )
    def post(self, request: Request, entry_id: int) -> Response:
        actor = actor_of(request)
        entry = services.entry_share(actor=actor, entry=get_own_entry(actor, entry_id))
        return _answer(entry)

    @extend_schema(
        request=None,
        responses=JournalEntryAnswerSerializer,
        summary="Stop sharing an entry (earlier reads stay in the audit log)",
    )
    def delete(self, request: Request, entry_id: int) -> Response:
        actor = actor_of(request)
        entry = services.entry_unshare(actor=actor, entry=get_own_entry(actor, entry_id))
        return _answer(entry)


class JournalSessionChoicesView(GenericAPIView[Any]):
    serializer_class = JournalSessionSerializer
    pagination_class = None

    @extend_schema(
        responses=JournalSessionSerializer(many=True),
        summary="Your recent sessions an entry may be about (newest first)",
    )
    def get(self, request: Request) -> Response:
        client = get_journal_client(actor_of(request))
        data = [_session(s) for s in selectors.session_choices(client)]
        return Response(JournalSessionSerializer(data, many=True).data)


# --- facilitators ----------------------------------------------------------------------------


class GroupSharedEntriesView(GenericAPIView[Any]):
    serializer_class = SharedJournalEntrySerializer

    @extend_schema(
        responses={
            200: SharedJournalEntrySerializer(many=True),
            404: OpenApiResponse(description="Not a group you facilitate"),
        },
        summary="Entries members shared with a group you facilitate (each read is audited)",
    )
    def get(self, request: Request, group_id: int) -> Response:
        actor = actor_of(request)
        group = get_facilitated_group(actor, group_id)
        entries = (
            shared_with_group(group)
            .select_related("client", "session__group")
            .order_by("-shared_at", "-id")
        )
        page = self.paginate_queryset(entries)
        assert page is not None  # noqa: S101 - the API always paginates
        selectors.record_reads(actor, page, group)
        data = [
            {
                **_entry(e),
                "client_id": e.client_id,
                "member_name": e.client.display_name,
                "risk_categories": e.risk_categories,
            }
            for e in page
        ]
        return self.get_paginated_response(SharedJournalEntrySerializer(data, many=True).data)
