"""A member's record for a date range, as JSON and as a PDF (issue 7, records requests).

What it holds: demographics, places in groups, attendance, signed notes as this
member's chart receives them (the group note and their own member note, with addenda,
other members' names and contact details removed by ``notes.redaction``), completed
questionnaires with totals and bands, and group agreement signatures. What it never
holds: psychotherapy notes (kept apart by law; this module does not import them), draft
notes, other members' data.

Who: ``EXPORT_RECORDS`` (practice admins). Every export is one audit event in the
export category with the range, format and purpose. The record loads in a constant
number of queries however long it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kindred.audit.models import Category
from kindred.audit.services import audit_record
from kindred.core.errors import ValidationFailed
from kindred.core.pdf import html_to_pdf
from kindred.groups.models import Enrollment
from kindred.intake.models import AgreementSignature
from kindred.measures.models import Administration, AdministrationStatus
from kindred.notes import redaction
from kindred.notes.models import GROUP_PARTS, Addendum, GroupNote, MemberNote, NoteStatus
from kindred.practice import roles
from kindred.practice.roles import Capability
from kindred.practice.settings import practice_settings
from kindred.scheduling.member import safe_zone
from kindred.scheduling.models import ATTENDED_STATUSES, Attendance

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from kindred.accounts.models import User
    from kindred.clients.models import Client

FORMATS = ("json", "pdf")
PURPOSES: list[tuple[str, Any]] = [
    ("member_request", gettext_lazy("The member asked for their record")),
    ("authorized_disclosure", gettext_lazy("Disclosure the member authorized in writing")),
    ("transfer_of_care", gettext_lazy("Transfer of care to another provider")),
    ("legal", gettext_lazy("A legal request (subpoena, court order)")),
    ("other", gettext_lazy("Another reason the practice's policy allows")),
]
PURPOSE_KEYS = {key for key, _label in PURPOSES}
#: The longest range one export covers (ten years).
MAX_DAYS = 3660


@dataclass(frozen=True)
class Range:
    start: date
    end: date

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The range as [start 00:00, day after end 00:00) in ``zone``."""
        lo = datetime.combine(self.start, time.min, tzinfo=zone)
        hi = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone)
        return lo, hi


def check_range(start: date | None, end: date | None) -> Range:
    errors: dict[str, list[str]] = {}
    if start is None:
        errors["start"] = [_("Give the first day of the range.")]
    if end is None:
        errors["end"] = [_("Give the last day of the range.")]
    if start and end and end < start:
        errors["end"] = [_("The last day must be on or after the first day.")]
    if start and end and (end - start).days > MAX_DAYS:
        errors["end"] = [_("Export at most ten years at a time.")]
    if errors or start is None or end is None:
        raise ValidationFailed(errors=errors)
    return Range(start, end)


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _signer(user: Any) -> str:
    return user.full_name if user is not None else ""


def _note_meta(note: GroupNote | MemberNote) -> dict[str, Any]:
    return {
        "status": note.status,
        "author": _signer(note.author),
        "signed_at": _iso(note.signed_at),
        "signed_by": _signer(note.signed_by),
        "late_entry": note.late_entry,
        "cosigned_at": _iso(note.cosigned_at),
        "cosigned_by": _signer(note.cosigned_by),
        "text_sha256": note.text_sha256,
    }


def _addenda(rows: list[Addendum], clean: Any) -> list[dict[str, Any]]:
    return [
        {
            "created_at": _iso(a.created_at),
            "author": _signer(a.author),
            "reason": clean(a.reason),
            "text": clean(a.text),
        }
        for a in rows
    ]


def member_record(*, client: Client, span: Range) -> dict[str, Any]:
    """The record of ``client`` over ``span`` (authorization is the caller's:
    ``record_export``). A fixed number of queries (none per session or note)."""
    practice = practice_settings()
    zone = safe_zone(practice.timezone)
    lo, hi = span.bounds(zone)

    enrollments = list(
        Enrollment.objects.filter(client=client, invited_at__lt=hi)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=lo))
        .select_related("group")
        .order_by("invited_at", "pk")
    )
    attendance = list(
        Attendance.objects.filter(
            client=client, session__starts_at__gte=lo, session__starts_at__lt=hi
        )
        .select_related("session__group")
        .order_by("session__starts_at", "session_id")
    )
    attended_ids = [a.session_id for a in attendance if a.status in ATTENDED_STATUSES]
    group_notes = {
        n.session_id: n
        for n in GroupNote.objects.filter(session_id__in=attended_ids)
        .exclude(status=NoteStatus.DRAFT)
        .select_related("author", "signed_by", "cosigned_by")
    }
    member_notes = {
        n.session_id: n
        for n in MemberNote.objects.filter(
            client=client, session__starts_at__gte=lo, session__starts_at__lt=hi
        )
        .exclude(status=NoteStatus.DRAFT)
        .select_related("author", "signed_by", "cosigned_by")
    }
    addenda: dict[tuple[str, int], list[Addendum]] = {}
    if group_notes or member_notes:
        for add in Addendum.objects.filter(
            Q(group_note_id__in=[n.pk for n in group_notes.values()])
            | Q(member_note_id__in=[n.pk for n in member_notes.values()])
        ).select_related("author"):
            key = (
                ("group", add.group_note_id)
                if add.group_note_id
                else ("member", add.member_note_id)
            )
            addenda.setdefault((key[0], key[1] or 0), []).append(add)
    people_by_group: dict[int, list[redaction.Person]] = {}
    if group_notes or member_notes:
        from kindred.clients.models import Client as ClientModel

        group_ids = {
            a.session.group_id
            for a in attendance
            if a.session_id in group_notes or a.session_id in member_notes
        }
        for other in (
            ClientModel.objects.filter(enrollments__group_id__in=group_ids)
            .exclude(pk=client.pk)
            .values(
                "pk",
                "legal_first_name",
                "legal_last_name",
                "preferred_name",
                "email",
                "phone",
                "enrollments__group_id",
            )
        ):
            people_by_group.setdefault(other["enrollments__group_id"], []).append(
                redaction.person(
                    other["pk"],
                    legal_first_name=other["legal_first_name"],
                    legal_last_name=other["legal_last_name"],
                    preferred_name=other["preferred_name"],
                    email=other["email"],
                    phone=other["phone"],
                )
            )
    own = redaction.person_of(client)
    administrations = list(
        Administration.objects.filter(
            client=client,
            status=AdministrationStatus.COMPLETED,
            completed_at__gte=lo,
            completed_at__lt=hi,
        )
        .select_related("instrument")
        .order_by("completed_at", "pk")
    )
    signatures = list(
        AgreementSignature.objects.filter(client=client, signed_at__gte=lo, signed_at__lt=hi)
        .select_related("version__template", "group")
        .order_by("signed_at", "pk")
    )

    sessions = []
    for row in attendance:
        session = row.session
        gnote = group_notes.get(session.pk)
        mnote = member_notes.get(session.pk)
        entry: dict[str, Any] = {
            "session_id": session.pk,
            "group": session.group.name,
            "starts_at": _iso(timezone.localtime(session.starts_at, zone)),
            "attendance": row.status,
            "attendance_label": str(row.get_status_display()),
            "joined_at": _iso(row.joined_at),
            "left_at": _iso(row.left_at),
            "group_note": None,
            "member_note": None,
        }
        others = people_by_group.get(session.group_id, [])

        def clean(text: str, others: list[redaction.Person] = others) -> str:
            return redaction.redact(text, own=own, others=others)

        if gnote is not None:
            template = gnote.template or {}
            entry["group_note"] = {
                **_note_meta(gnote),
                "parts": [
                    {
                        "key": part,
                        "heading": template.get(part, {}).get("heading", part.title()),
                        "text": clean(getattr(gnote, part)),
                    }
                    for part in GROUP_PARTS
                ],
                "addenda": _addenda(addenda.get(("group", gnote.pk), []), clean),
                "redacted": True,
            }
        if mnote is not None:
            entry["member_note"] = {
                **_note_meta(mnote),
                "format": mnote.format,
                "sections": {k: clean(str(v)) for k, v in (mnote.sections or {}).items()},
                "risk": clean(mnote.risk),
                "plan": clean(mnote.plan),
                "addenda": _addenda(addenda.get(("member", mnote.pk), []), clean),
                "redacted": True,
            }
        sessions.append(entry)

    return {
        "kind": "kindred.member_record",
        "practice": practice.name,
        "range": {"from": span.start.isoformat(), "to": span.end.isoformat()},
        "time_zone": zone.key,
        "excluded": (
            "Psychotherapy notes, unsigned drafts and other members' information are not "
            "part of this record."
        ),
        "member": {
            "id": client.pk,
            "legal_first_name": client.legal_first_name,
            "legal_last_name": client.legal_last_name,
            "preferred_name": client.preferred_name,
            "pronouns": client.pronouns,
            "date_of_birth": _iso(client.date_of_birth),
            "email": client.email,
            "phone": client.phone,
            "address": {
                "line1": client.address_line1,
                "line2": client.address_line2,
                "city": client.city,
                "state": client.state_of_residence,
                "postal_code": client.postal_code,
            },
            "state_of_residence": client.state_of_residence,
            "time_zone": client.timezone,
            "language": client.language,
            "emergency_contact": {
                "name": client.emergency_contact_name,
                "relationship": client.emergency_contact_relationship,
                "phone": client.emergency_contact_phone,
            },
            "status": client.status,
        },
        "enrollments": [
            {
                "group": e.group.name,
                "status": e.status,
                "invited_at": _iso(e.invited_at),
                "activated_at": _iso(e.activated_at),
                "ended_at": _iso(e.ended_at),
                "end_reason": e.end_reason,
            }
            for e in enrollments
        ],
        "sessions": sessions,
        "questionnaires": [
            {
                "instrument": a.instrument.code,
                "name": a.instrument.name,
                "version": a.instrument_version,
                "completed_at": _iso(a.completed_at),
                "total": a.total,
                "band": a.band,
                "complete": a.is_complete,
            }
            for a in administrations
        ],
        "agreement_signatures": [
            {
                "group": s.group.name,
                "agreement": s.version.template.name,
                "version": s.version.number,
                "typed_name": s.typed_name,
                "signed_at": _iso(s.signed_at),
                "text_sha256": s.text_sha256,
            }
            for s in signatures
        ],
    }


@dataclass
class Export:
    filename: str
    content_type: str
    content: bytes
    data: dict[str, Any]


def record_export(
    *,
    actor: User,
    client: Client,
    start: date | None,
    end: date | None,
    fmt: str,
    purpose: str,
) -> Export:
    """The export itself: capability, range, purpose, the record, one audit event (in the
    same transaction, so an export without its event cannot happen)."""
    roles.require(actor, Capability.EXPORT_RECORDS)
    errors: dict[str, list[str]] = {}
    if fmt not in FORMATS:
        errors["format"] = [_("Choose PDF or JSON.")]
    if purpose not in PURPOSE_KEYS:
        errors["purpose"] = [_("Choose why the record is exported.")]
    try:
        span = check_range(start, end)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        data = member_record(client=client, span=span)
        data["exported_at"] = timezone.now().isoformat()
        data["exported_by"] = actor.full_name
        data["purpose"] = purpose
        audit_record(
            actor=actor,
            action="records.member_record.exported",
            category=Category.EXPORT,
            obj=client,
            client_id=client.pk,
            detail={
                "from": span.start.isoformat(),
                "to": span.end.isoformat(),
                "format": fmt,
                "purpose": purpose,
                "sessions": len(data["sessions"]),
            },
        )
        stem = f"kindred-record-{client.pk}-{span.start.isoformat()}-to-{span.end.isoformat()}"
        if fmt == "json":
            content = json.dumps(data, indent=2, ensure_ascii=False).encode()
            return Export(f"{stem}.json", "application/json", content, data)
        html = render_to_string("web/records/record_pdf.html", {"record": data})
        return Export(f"{stem}.pdf", "application/pdf", html_to_pdf(html), data)
