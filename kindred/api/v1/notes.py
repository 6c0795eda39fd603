"""API v1 for session notes: a session's notes (read, save drafts, sign all), a member's
notes as their chart holds them (other members' names removed), the unsigned list, the
co-sign queue and co-signing, addenda.

Same four steps as the web pages: authorize with notes/access.py, check the shape with
a serializer, call the services (notes/services.py), respond. Tokens need
``notes:read`` / ``notes:write`` (clinicians; admins read); members never see notes.
Psychotherapy notes (process notes) are not part of this API.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from kindred.accounts.scopes import Scope
from kindred.api.actors import require_staff
from kindred.clients.access import get_client_for
from kindred.core.errors import NotFound, ValidationFailed
from kindred.notes import selectors, services
from kindred.notes.access import get_note_for, get_session_for_notes
from kindred.notes.models import GROUP_PARTS, Addendum, GroupNote, MemberNote, NoteStatus

NOTE_SCOPES = {"read": Scope.NOTES_READ, "write": Scope.NOTES_WRITE}
KINDS = ("group", "member")
KIND_CHOICES = [("group", "Group note"), ("member", "Member note")]
SCOPE_CHOICES = [("mine", "Mine"), ("supervisees", "Mine and my supervisees'"), ("all", "All")]


# --- Serializers ---------------------------------------------------------------------------


class NoteAddendumSerializer(serializers.Serializer[Addendum]):
    id = serializers.IntegerField()
    author = serializers.CharField(source="author.full_name")
    reason = serializers.CharField()
    text = serializers.CharField()
    created_at = serializers.DateTimeField()


class _NoteFields(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=NoteStatus.choices)
    author = serializers.CharField(source="author.full_name")
    signed_at = serializers.DateTimeField(allow_null=True)
    late_entry = serializers.BooleanField()
    needs_cosign = serializers.BooleanField()
    cosigned_at = serializers.DateTimeField(allow_null=True)
    text_sha256 = serializers.CharField(allow_blank=True)


class GroupNoteSerializer(_NoteFields):
    themes = serializers.CharField(allow_blank=True)
    interventions = serializers.CharField(allow_blank=True)
    process = serializers.CharField(allow_blank=True)
    headings = serializers.SerializerMethodField()

    def get_headings(self, note: GroupNote) -> dict[str, str]:
        return {p: (note.template or {}).get(p, {}).get("heading", p) for p in GROUP_PARTS}


class MemberNoteSerializer(_NoteFields):
    client_id = serializers.IntegerField()
    format = serializers.CharField()
    sections = serializers.DictField(child=serializers.CharField(allow_blank=True))
    risk = serializers.CharField(allow_blank=True)
    plan = serializers.CharField(allow_blank=True)


FACTS = serializers.DictField(
    help_text="Attendance, join/leave times, latest scores, pulse, open alerts (a snapshot "
    "once the note is signed)."
)


class NoteMemberRowSerializer(serializers.Serializer[selectors.MemberRow]):
    client_id = serializers.IntegerField(source="client.pk")
    name = serializers.CharField(source="client.display_name")
    facts = serializers.DictField()
    note = MemberNoteSerializer(allow_null=True)
    addenda = NoteAddendumSerializer(many=True)
    can_write = serializers.BooleanField()


class NoteAbsentRowSerializer(serializers.Serializer[selectors.AbsentRow]):
    client_id = serializers.IntegerField(source="client.pk")
    name = serializers.CharField(source="client.display_name")
    attendance = serializers.CharField(source="status", allow_blank=True)
    entry_recorded = serializers.SerializerMethodField()

    def get_entry_recorded(self, row: selectors.AbsentRow) -> bool:
        return row.entry is not None


class SessionNotesSerializer(serializers.Serializer[selectors.NotesSheet]):
    session_id = serializers.IntegerField(source="session.pk")
    group_name = serializers.CharField(source="session.group.name")
    starts_at = serializers.DateTimeField(source="session.starts_at")
    ends_at = serializers.DateTimeField(source="session.ends_at")
    member_note_format = serializers.CharField(source="note_format")
    group_note = GroupNoteSerializer(allow_null=True)
    group_addenda = NoteAddendumSerializer(many=True)
    members = NoteMemberRowSerializer(many=True)
    absent = NoteAbsentRowSerializer(many=True)
    can_write = serializers.BooleanField()
    names_named = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Members the draft group note names (shown before signing).",
    )


class NoteGroupInputSerializer(serializers.Serializer[Any]):
    themes = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    interventions = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    process = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class NoteMemberInputSerializer(serializers.Serializer[Any]):
    client_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    sections = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False), required=False
    )
    risk = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    plan = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class NoteDraftInputSerializer(serializers.Serializer[Any]):
    group = NoteGroupInputSerializer(required=False, help_text="Parts left out stay as they are.")
    members = NoteMemberInputSerializer(many=True, required=False)


class NoteSignInputSerializer(serializers.Serializer[Any]):
    confirm_names = serializers.BooleanField(
        default=False, help_text="Sign even though the notes name members."
    )


SIGN_RESPONSE = inline_serializer(
    "NotesSigned",
    {
        "group_note": serializers.IntegerField(allow_null=True),
        "member_notes": serializers.ListField(child=serializers.IntegerField()),
    },
)


class NoteChartAddendumSerializer(serializers.Serializer[selectors.ChartAddendum]):
    reason = serializers.CharField()
    text = serializers.CharField()
    author = serializers.CharField()
    created_at = serializers.DateTimeField()


class NoteChartEntrySerializer(serializers.Serializer[selectors.ChartEntry]):
    session_id = serializers.IntegerField(source="session.pk")
    group_name = serializers.CharField(source="session.group.name")
    starts_at = serializers.DateTimeField(source="session.starts_at")
    attendance = serializers.CharField(source="attendance_label")
    attended = serializers.BooleanField()
    group_note = serializers.SerializerMethodField(
        help_text="Signed group note as this member's chart holds it (others' names removed)."
    )
    member_note = serializers.SerializerMethodField(
        help_text="The member's own note; other members' names removed."
    )
    addenda = NoteChartAddendumSerializer(many=True)

    def get_member_note(self, entry: selectors.ChartEntry) -> dict[str, Any] | None:
        note = entry.member_note
        if note is None:
            return None
        return {
            "id": note.pk,
            "status": note.status,
            "signed_at": note.signed_at,
            "format": note.format,
            "parts": {p.key: p.text for p in entry.member_sections},
            "headings": {p.key: p.heading for p in entry.member_sections},
        }

    def get_group_note(self, entry: selectors.ChartEntry) -> dict[str, Any] | None:
        if entry.group_note is None:
            return None
        return {
            "id": entry.group_note.pk,
            "status": entry.group_note.status,
            "signed_at": entry.group_note.signed_at,
            "parts": {p.key: p.text for p in entry.group_parts},
            "headings": {p.key: p.heading for p in entry.group_parts},
        }


class NoteUnsignedRowSerializer(serializers.Serializer[selectors.UnsignedRow]):
    session_id = serializers.IntegerField(source="session.pk")
    group_name = serializers.CharField(source="session.group.name")
    ends_at = serializers.DateTimeField(source="session.ends_at")
    group_note_status = serializers.CharField(source="group_status", allow_blank=True)
    group_note_author = serializers.CharField(source="group_author", allow_blank=True)
    member_drafts = serializers.IntegerField()
    attended = serializers.IntegerField()
    no_one_attended = serializers.BooleanField(
        help_text="Attendance taken, nobody attended, nothing written: close it with "
        "POST sessions/{id}/notes/no-attendance/."
    )


class UnsignedNotesSerializer(serializers.Serializer[selectors.UnsignedDashboard]):
    scope = serializers.ChoiceField(choices=SCOPE_CHOICES)
    counts = serializers.DictField(child=serializers.IntegerField())
    rows = serializers.DictField(child=NoteUnsignedRowSerializer(many=True))


class CosignQueueItemSerializer(serializers.Serializer[selectors.QueueItem]):
    kind = serializers.ChoiceField(choices=KIND_CHOICES)
    id = serializers.IntegerField(source="note.pk")
    session_id = serializers.IntegerField(source="note.session_id")
    group_name = serializers.CharField(source="note.session.group.name")
    author = serializers.CharField(source="note.author.full_name")
    signed_at = serializers.DateTimeField(source="note.signed_at")
    client_id = serializers.IntegerField(source="note.client_id", default=None, allow_null=True)


class NoteAddendumInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=300)
    text = serializers.CharField(max_length=10000)


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound("Not found.")
    return kind


def _note_data(note: GroupNote | MemberNote) -> dict[str, Any]:
    if isinstance(note, GroupNote):
        return dict(GroupNoteSerializer(note).data)
    return dict(MemberNoteSerializer(note).data)


# --- Views ---------------------------------------------------------------------------------


class SessionNotesView(GenericAPIView[Any]):
    required_scopes = NOTE_SCOPES
    serializer_class = SessionNotesSerializer
    pagination_class = None

    @extend_schema(
        responses=SessionNotesSerializer,
        summary="A session's notes: the group note, each attending member's note beside their "
        "facts, the absent (audited)",
    )
    def get(self, request: Request, session_id: int) -> Response:
        actor = require_staff(request)
        session = get_session_for_notes(actor, session_id)
        return Response(
            SessionNotesSerializer(selectors.notes_sheet(actor=actor, session=session)).data
        )

    @extend_schema(
        request=NoteDraftInputSerializer,
        responses=SessionNotesSerializer,
        summary="Save drafts: the group note and any member notes (the session's facilitators)",
    )
    def put(self, request: Request, session_id: int) -> Response:
        actor = require_staff(request)
        session = get_session_for_notes(actor, session_id, write=True)
        serializer = NoteDraftInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        errors: dict[str, Any] = {}
        if "group" in data:
            try:
                services.group_note_save(actor=actor, session=session, **data["group"])
            except ValidationFailed as exc:
                errors["group"] = exc.errors
        member_errors: list[dict[str, list[str]]] = []
        for row in data.get("members", []):
            try:
                services.member_note_save(
                    actor=actor,
                    session=session,
                    client_id=row["client_id"],
                    sections=row.get("sections"),
                    risk=row.get("risk"),
                    plan=row.get("plan"),
                )
                member_errors.append({})
            except ValidationFailed as exc:
                member_errors.append(exc.errors)
        if any(member_errors):
            errors["members"] = member_errors
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        return Response(
            SessionNotesSerializer(selectors.notes_sheet(actor=actor, session=session)).data
        )


class SessionNotesSignView(GenericAPIView[Any]):
    required_scopes = NOTE_SCOPES
    serializer_class = NoteSignInputSerializer
    pagination_class = None

    @extend_schema(
        request=NoteSignInputSerializer,
        responses=SIGN_RESPONSE,
        summary="Sign the group note and every member note you wrote for this session",
    )
    def post(self, request: Request, session_id: int) -> Response:
        actor = require_staff(request)
        session = get_session_for_notes(actor, session_id, write=True)
        serializer = NoteSignInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            result = services.notes_sign_all(
                actor=actor,
                session=session,
                names_confirmed=serializer.validated_data["confirm_names"],
            )
        except services.NamesMentioned as exc:
            return Response(
                {"confirm_names": [exc.message], "named": exc.by_note},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(
            {
                "group_note": result.group_note.pk if result.group_note else None,
                "member_notes": [n.pk for n in result.member_notes],
            }
        )


class SessionNotesNoAttendanceView(GenericAPIView[Any]):
    required_scopes = NOTE_SCOPES
    pagination_class = None

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "NoAttendanceClosed",
                {"group_note": serializers.IntegerField(), "absences": serializers.IntegerField()},
            )
        },
        summary="Close a session nobody attended: record each absence and sign a short "
        "group note (409 when anyone attended, attendance is not taken, the session has "
        "not ended or a note is started)",
    )
    def post(self, request: Request, session_id: int) -> Response:
        actor = require_staff(request)
        session = get_session_for_notes(actor, session_id, write=True)
        note = services.notes_close_unattended(actor=actor, session=session)
        return Response({"group_note": note.pk, "absences": note.absences.count()})


class ClientNotesView(GenericAPIView[Any]):
    required_scopes = NOTE_SCOPES
    serializer_class = NoteChartEntrySerializer
    pagination_class = None

    @extend_schema(
        responses=NoteChartEntrySerializer(many=True),
        summary="A member's notes, newest first: group notes with other members' names "
        "removed, and their own notes (audited)",
    )
    def get(self, request: Request, client_id: int) -> Response:
        actor = require_staff(request)
        client = get_client_for(actor, client_id)
        entries: Any = selectors.client_notes(actor=actor, client=client)
        return Response(NoteChartEntrySerializer(entries, many=True).data)


class UnsignedNotesView(GenericAPIView[Any]):
    required_scopes = NOTE_SCOPES
    serializer_class = UnsignedNotesSerializer
    pagination_class = None

    @extend_schema(
        responses=UnsignedNotesSerializer,
        summary="Sessions with unsigned notes by age (today, 1–3, 4–7 days, older)",
    )
    def get(self, request: Request) -> Response:
        actor = require_staff(request)
        board = selectors.unsigned_dashboard(actor=actor, now=timezone.now())
        return Response(UnsignedNotesSerializer(board).data)


class CosignQueueView(GenericAPIView[Any]):
    required_scopes = NOTE_SCOPES
    serializer_class = CosignQueueItemSerializer
    pagination_class = None

    @extend_schema(
        responses=CosignQueueItemSerializer(many=True),
        summary="Your supervisees' signed notes waiting for your co-signature",
    )
    def get(self, request: Request) -> Response:
        actor = require_staff(request)
        items: Any = selectors.cosign_queue(actor=actor)
        return Response(CosignQueueItemSerializer(items, many=True).data)


class NoteCosignView(GenericAPIView[Any]):
    required_scopes = NOTE_SCOPES
    serializer_class = MemberNoteSerializer
    pagination_class = None

    @extend_schema(
        request=None,
        responses=inline_serializer("CosignedNote", {"status": serializers.CharField()}),
        summary="Co-sign a supervisee's signed note (their clinical supervisor only)",
    )
    def post(self, request: Request, kind: str, note_id: int) -> Response:
        actor = require_staff(request)
        note = get_note_for(actor, _kind(kind), note_id)
        note = services.note_cosign(actor=actor, note=note)
        return Response({"status": note.status})


class NoteAddendaView(GenericAPIView[Any]):
    required_scopes = NOTE_SCOPES
    serializer_class = NoteAddendumInputSerializer
    pagination_class = None

    @extend_schema(responses=NoteAddendumSerializer(many=True), summary="A note's addenda")
    def get(self, request: Request, kind: str, note_id: int) -> Response:
        actor = require_staff(request)
        note = get_note_for(actor, _kind(kind), note_id)
        addenda: Any = note.addenda.select_related("author").order_by("created_at", "pk")
        return Response(NoteAddendumSerializer(addenda, many=True).data)

    @extend_schema(
        request=NoteAddendumInputSerializer,
        responses={201: NoteAddendumSerializer},
        summary="Add to a signed note: a reason and the text",
    )
    def post(self, request: Request, kind: str, note_id: int) -> Response:
        actor = require_staff(request)
        note = get_note_for(actor, _kind(kind), note_id)
        serializer = NoteAddendumInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        addendum = services.addendum_add(actor=actor, note=note, **serializer.validated_data)
        return Response(NoteAddendumSerializer(addendum).data, status=status.HTTP_201_CREATED)
