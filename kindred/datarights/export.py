"""A member's own data, for them to download (issue 9, data rights).

Different from the staff-side record (kindred/records/export.py): this is what the
member gave and did, in their own words. It holds their profile, places in groups,
attendance, the group-space posts and direct messages *they wrote* (text as written),
their goals and check-ins, their journal (decrypted: it is theirs), the coping-strategy
cards they wrote, the milestones they shared, their questionnaire answers and scores,
and the agreements they signed.

It never holds: psychotherapy notes or any session note (this module imports neither),
other members' posts, messages, names or display names (not even who a reply or a
message went to), thread titles other people wrote, risk flags or the practice's
moderation notes. Only the signed-in member can download it, for themselves; every
download is one audit event (export category). It loads in a fixed number of queries
however much the member has written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from kindred.audit.models import Category
from kindred.audit.services import audit_record
from kindred.core.errors import NotFound, ValidationFailed
from kindred.core.pdf import html_to_pdf
from kindred.goals.models import CheckIn, Goal
from kindred.groups.models import Enrollment
from kindred.intake.models import AgreementSignature
from kindred.journal.models import JournalEntry
from kindred.measures.models import Administration, AdministrationStatus, Response
from kindred.milestones.models import Milestone
from kindred.practice.settings import practice_settings
from kindred.scheduling.member import member_client, safe_zone
from kindred.scheduling.models import Attendance
from kindred.space.models import DirectMessage, Post
from kindred.strategies.models import Strategy

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client

FORMATS = ("json", "pdf")
EXCLUDED = (
    "Psychotherapy notes and session notes, other members' posts, messages and names, "
    "risk flags and the practice's moderation notes are not part of this download."
)


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def own_client(actor: User | None) -> Client:
    """The signed-in member's client record; anyone else (staff included) is refused."""
    client = member_client(actor)
    if client is None:
        raise NotFound("Not found.")
    return client


def own_data(*, user: User, client: Client) -> dict[str, Any]:
    """Everything listed in the module docstring. Twelve queries whatever the size."""
    zone = safe_zone(client.timezone or practice_settings().timezone)
    enrollments = list(
        Enrollment.objects.filter(client=client).select_related("group").order_by("invited_at")
    )
    attendance = list(
        Attendance.objects.filter(client=client)
        .select_related("session__group")
        .order_by("session__starts_at", "session_id")
    )
    posts = list(
        Post.objects.filter(author=user)
        .select_related("thread", "space__group")
        .order_by("created_at", "id")
    )
    messages = list(
        DirectMessage.objects.filter(sender=user)
        .select_related("conversation__space__group")
        .order_by("created_at", "id")
    )
    goals = list(Goal.objects.filter(user=user).select_related("group").order_by("created_at"))
    checkins: dict[int, list[CheckIn]] = {}
    for c in CheckIn.objects.filter(goal__user=user).order_by("week_of", "id"):
        checkins.setdefault(c.goal_id, []).append(c)
    journal = list(JournalEntry.objects.filter(user=user).order_by("created_at", "id"))
    cards = list(
        Strategy.objects.filter(author=user).select_related("group").order_by("created_at", "id")
    )
    milestones = list(
        Milestone.objects.filter(user=user, shared_at__isnull=False)
        .select_related("group")
        .order_by("shared_at", "id")
    )
    administrations = list(
        Administration.objects.filter(client=client, status=AdministrationStatus.COMPLETED)
        .select_related("instrument")
        .order_by("completed_at", "pk")
    )
    answers: dict[int, list[Response]] = {}
    for r in Response.objects.filter(administration__in=[a.pk for a in administrations]):
        answers.setdefault(r.administration_id, []).append(r)
    signatures = list(
        AgreementSignature.objects.filter(client=client)
        .select_related("version__template", "group")
        .order_by("signed_at", "pk")
    )

    def local(value: datetime | None) -> str | None:
        return _iso(timezone.localtime(value, zone)) if value is not None else None

    return {
        "kind": "kindred.own_data",
        "practice": practice_settings().name,
        "time_zone": zone.key,
        "excluded": EXCLUDED,
        "profile": {
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
            "time_zone": client.timezone,
            "language": client.language,
            "emergency_contact": {
                "name": client.emergency_contact_name,
                "relationship": client.emergency_contact_relationship,
                "phone": client.emergency_contact_phone,
            },
            "sign_in_email": user.email,
        },
        "enrollments": [
            {
                "group": e.group.name,
                "status": e.status,
                "invited_at": local(e.invited_at),
                "activated_at": local(e.activated_at),
                "ended_at": local(e.ended_at),
            }
            for e in enrollments
        ],
        "attendance": [
            {
                "group": a.session.group.name,
                "session_starts_at": local(a.session.starts_at),
                "status": a.status,
                "status_label": str(a.get_status_display()),
                "joined_at": local(a.joined_at),
                "left_at": local(a.left_at),
            }
            for a in attendance
        ],
        "group_space_posts": [
            {
                "group": p.space.group.name,
                "thread_id": p.thread_id,
                # A title is the member's own words only when they opened the thread.
                "thread_title": p.thread.title if p.thread.created_by_id == user.pk else None,
                "written_at": local(p.created_at),
                "text": p.body,
                "hidden_by_facilitator": p.status != "visible",
            }
            for p in posts
        ],
        "direct_messages_sent": [
            {
                "group": m.conversation.space.group.name,
                "conversation_id": m.conversation_id,
                "written_at": local(m.created_at),
                "text": m.body,
                "hidden_by_facilitator": m.status != "visible",
            }
            for m in messages
        ],
        "goals": [
            {
                "what": g.what,
                "why": g.why,
                "by_when": _iso(g.by_when),
                "next_step": g.next_step,
                "group": g.group.name if g.group is not None else None,
                "shared_with_group": g.shared_with_group,
                "status": g.status,
                "created_at": local(g.created_at),
                "reached_at": local(g.reached_at),
                "check_ins": [
                    {"week_of": _iso(c.week_of), "progress": c.progress, "note": c.note}
                    for c in checkins.get(g.pk, [])
                ],
            }
            for g in goals
        ],
        "journal": [
            {
                "title": j.title,
                "text": j.body,
                "written_at": local(j.created_at),
                "updated_at": local(j.updated_at),
                "shared_with_facilitator": j.shared_with_facilitator,
            }
            for j in journal
        ],
        "coping_strategy_cards": [
            {
                "group": s.group.name if s.group is not None else None,
                "title": s.title,
                "what_it_is": s.what_it_is,
                "when_it_helps": s.when_it_helps,
                "status": s.status,
                "written_at": local(s.created_at),
            }
            for s in cards
        ],
        "milestones_shared": [
            {
                "group": m.group.name if m.group is not None else None,
                "kind": m.kind,
                "kind_label": str(m.get_kind_display()),
                "happened_at": local(m.happened_at),
                "shared_at": local(m.shared_at),
                "message": m.message,
            }
            for m in milestones
        ],
        "questionnaires": [
            {
                "instrument": a.instrument.code,
                "name": a.instrument.name,
                "version": a.instrument_version,
                "completed_at": local(a.completed_at),
                "total": a.total,
                "band": a.band,
                "subscales": a.subscales,
                "answers": [{"item": r.item, "value": r.value} for r in answers.get(a.pk, [])],
            }
            for a in administrations
        ],
        "agreements_signed": [
            {
                "group": s.group.name if s.group is not None else None,
                "agreement": s.version.template.name,
                "version": s.version.number,
                "typed_name": s.typed_name,
                "signed_at": local(s.signed_at),
                "text_sha256": s.text_sha256,
            }
            for s in signatures
        ],
    }


@dataclass
class Download:
    filename: str
    content_type: str
    content: bytes
    data: dict[str, Any]


def own_export(*, actor: User, fmt: str) -> Download:
    """The member's own data as JSON or PDF, with one audit event in the same
    transaction (a download without its event cannot happen)."""
    client = own_client(actor)
    if fmt not in FORMATS:
        raise ValidationFailed("Choose PDF or JSON.", field="format")
    with transaction.atomic():
        data = own_data(user=actor, client=client)
        data["downloaded_at"] = timezone.now().isoformat()
        audit_record(
            actor=actor,
            action="datarights.own_data.downloaded",
            category=Category.EXPORT,
            obj=client,
            client_id=client.pk,
            detail={
                "format": fmt,
                "posts": len(data["group_space_posts"]),
                "messages": len(data["direct_messages_sent"]),
                "journal": len(data["journal"]),
            },
        )
    stem = f"kindred-my-data-{timezone.localdate().isoformat()}"
    if fmt == "json":
        content = json.dumps(data, indent=2, ensure_ascii=False).encode()
        return Download(f"{stem}.json", "application/json", content, data)
    return Download(f"{stem}.pdf", "application/pdf", html_to_pdf(pdf_html(data)), data)


def pdf_html(data: dict[str, Any]) -> str:
    """The HTML the PDF is drawn from (here and in the background copy, selfexport.py)."""
    return render_to_string("web/datarights/own_data_pdf.html", {"data": data})
