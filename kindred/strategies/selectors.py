"""Reading coping-strategy cards in a fixed number of queries, whatever their number.

Lists pick the page of card ids first (the filters, an index walk), then load those
cards with their mark counts, the viewer's own marks, their concerns and how their
authors are named: five queries per page at any size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from kindred.audit.services import audit_access
from kindred.clients.models import ConcernTag
from kindred.core.markdown import render_markdown
from kindred.groups.access import clinician_of
from kindred.groups.models import EnrollmentStatus, TherapyGroup
from kindred.space.access import member_client
from kindred.space.models import DisplayName
from kindred.strategies.access import (
    LibraryAccess,
    cards_for,
    is_admin,
    library_cards,
)
from kindred.strategies.models import (
    TITLE_MAX,
    MarkKind,
    Strategy,
    StrategyMark,
    StrategyStatus,
)

if TYPE_CHECKING:
    from kindred.accounts.models import User

PAGE_SIZE = 20
#: Longest search text taken (longer input is cut, never an error).
SEARCH_MAX = TITLE_MAX


@dataclass
class CardRow:
    card: Strategy
    author: str  # how the viewer sees the author: "You", a display name, "A group member"
    real_name: str  # facilitators and admins only
    tried: int
    helped: int
    my_try: bool
    my_helped: bool
    concerns: list[ConcernTag] = field(default_factory=list)

    @property
    def what_html(self) -> SafeString:
        return render_markdown(self.card.what_it_is, heading_offset=2)

    @property
    def when_html(self) -> SafeString:
        return render_markdown(self.card.when_it_helps, heading_offset=2)

    @property
    def is_mine(self) -> bool:
        return self.author == _("You")


@dataclass
class Filters:
    q: str = ""
    concern: int | None = None

    @classmethod
    def from_params(cls, params: Any) -> Filters:
        q = " ".join(str(params.get("q", "") or "").split())[:SEARCH_MAX]
        try:
            concern: int | None = int(str(params.get("concern", "")))
        except (TypeError, ValueError):
            concern = None
        if concern is not None and not 0 < concern < 2**63:
            concern = None
        return cls(q=q, concern=concern)

    def apply(self, cards: QuerySet[Strategy]) -> QuerySet[Strategy]:
        if self.q:
            cards = cards.filter(
                Q(title__icontains=self.q)
                | Q(what_it_is__icontains=self.q)
                | Q(when_it_helps__icontains=self.q)
            )
        if self.concern is not None:
            cards = cards.filter(concerns=self.concern)
        return cards


def concern_choices() -> list[ConcernTag]:
    return list(ConcernTag.objects.filter(is_active=True).order_by("name", "pk"))


def rows_for(
    ids: list[int], actor: User, access: LibraryAccess | None, *, real_names: bool = False
) -> list[CardRow]:
    """Cards ``ids`` (in that order) with counts, the viewer's marks, concerns and
    author labels. Three queries (none for no ids)."""
    if not ids:
        return []
    mine = StrategyMark.objects.filter(strategy=OuterRef("pk"), user=actor)
    cards = (
        Strategy.objects.filter(pk__in=ids)
        .annotate(
            n_try=Count("marks", filter=Q(marks__kind=MarkKind.TRY)),
            n_helped=Count("marks", filter=Q(marks__kind=MarkKind.HELPED)),
            my_try=Exists(mine.filter(kind=MarkKind.TRY)),
            my_helped=Exists(mine.filter(kind=MarkKind.HELPED)),
        )
        .prefetch_related("concerns")
    )
    by_id = {c.pk: c for c in cards}
    ordered = [by_id[pk] for pk in ids if pk in by_id]
    labels = author_labels(ordered, actor, access, real_names=real_names)
    rows = []
    for card in ordered:
        label, real = labels.get(card.pk, ("", ""))
        rows.append(
            CardRow(
                card=card,
                author=label,
                real_name=real,
                tried=card.n_try,
                helped=card.n_helped,
                my_try=card.my_try,
                my_helped=card.my_helped,
                concerns=list(card.concerns.all()),
            )
        )
    return rows


def author_labels(
    cards: Sequence[Strategy], actor: User, access: LibraryAccess | None, *, real_names: bool
) -> dict[int, tuple[str, str]]:
    """How each card's author is named to the viewer: "You" for their own, the author's
    display name in the group's space, else "A group member"; library cards name
    nobody. Facilitators and admins (``real_names``) also get who it is. One or two
    queries."""
    from kindred.accounts.models import User as UserModel

    found: dict[int, tuple[str, str]] = {}
    authors = {c.author_id for c in cards if c.author_id is not None}
    names: dict[tuple[int, int], str] = {}
    if authors:
        rows = DisplayName.objects.filter(user_id__in=authors).filter(
            space__group_id__in={c.group_id for c in cards if c.group_id is not None}
        )
        names = {(g, u): n for g, u, n in rows.values_list("space__group_id", "user_id", "name")}
    people: dict[int, str] = {}
    if real_names and authors:
        people = dict(UserModel.objects.filter(pk__in=authors).values_list("pk", "full_name"))
    for card in cards:
        if card.group_id is None:  # the practice library names nobody
            found[card.pk] = ("", "")
            continue
        if card.author_id is None:  # a group card whose author is not on record
            found[card.pk] = (_("A group member"), "")
            continue
        if card.author_id == actor.pk:
            label = _("You")
        else:
            label = names.get((card.group_id, card.author_id)) or _("A group member")
        found[card.pk] = (label, people.get(card.author_id, ""))
    return found


def _page(ids: QuerySet[Any], number: object, per_page: int) -> Page[Any]:
    return Paginator(ids, per_page).get_page(number if isinstance(number, (int, str)) else None)


@dataclass
class CardPage:
    rows: list[CardRow]
    page: Page[Any]


def group_cards(
    access: LibraryAccess,
    actor: User,
    filters: Filters,
    *,
    page: object = 1,
    status: str = StrategyStatus.APPROVED,
    per_page: int = PAGE_SIZE,
) -> CardPage:
    """A page of the group's cards the viewer may see, newest first: members see shared
    cards (``status`` approved) or their own; facilitators and admins any ``status``
    ("" for all). Five queries."""
    cards = cards_for(access, actor)
    if status:
        cards = cards.filter(status=status)
    ids = filters.apply(cards).order_by("-created_at", "-id").values_list("pk", flat=True)
    found = _page(ids, page, per_page)
    rows = rows_for(list(found.object_list), actor, access, real_names=access.sees_everything)
    return CardPage(rows=rows, page=found)


def library_page(
    actor: User, filters: Filters, *, page: object = 1, per_page: int = PAGE_SIZE
) -> CardPage:
    """A page of the practice library. Five queries."""
    ids = (
        filters.apply(library_cards(actor))
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
    )
    found = _page(ids, page, per_page)
    return CardPage(rows=rows_for(list(found.object_list), actor, None), page=found)


def my_cards(actor: User, *, page: object = 1, per_page: int = PAGE_SIZE) -> CardPage:
    """The cards ``actor`` shared, in every group, with their counts (newest first)."""
    ids = (
        Strategy.objects.filter(author=actor, group__isnull=False)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
    )
    found = _page(ids, page, per_page)
    rows = rows_for(list(found.object_list), actor, None)
    groups = dict(
        TherapyGroup.objects.filter(pk__in={r.card.group_id for r in rows}).values_list(
            "pk", "name"
        )
    )
    for row in rows:
        row.card.group_name = groups.get(row.card.group_id or 0, "")  # type: ignore[attr-defined]
    return CardPage(rows=rows, page=found)


def approval_queue(
    access: LibraryAccess, actor: User, *, page: object = 1, per_page: int = PAGE_SIZE
) -> CardPage:
    """The group's cards waiting for approval, oldest first, with who wrote them; an
    access audit event (it says who is who). Six queries."""
    audit_access(actor=actor, action="strategies.queue.viewed", obj=access.group)
    ids = (
        Strategy.objects.filter(group=access.group, status=StrategyStatus.PENDING)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)
    )
    found = _page(ids, page, per_page)
    rows = rows_for(list(found.object_list), actor, access, real_names=True)
    return CardPage(rows=rows, page=found)


def card_row(card: Strategy, actor: User, access: LibraryAccess | None) -> CardRow:
    """One card as ``actor`` sees it. A facilitator or admin opening a member's card
    writes an access event (they see who wrote it)."""
    real = access is not None and access.sees_everything
    if real and card.author_id is not None:
        audit_access(actor=actor, action="strategies.card.viewed", obj=card)
    return rows_for([card.pk], actor, access, real_names=real)[0]


# --- the index and the home panels -----------------------------------------------------


@dataclass
class GroupLine:
    group_id: int
    name: str
    shared: int
    pending: int


def member_groups(actor: User) -> list[GroupLine]:
    """A member's active groups with how many cards each shares. One query."""
    client = member_client(actor)
    if client is None:
        return []
    groups = (
        TherapyGroup.objects.filter(
            enrollments__client=client, enrollments__status=EnrollmentStatus.ACTIVE
        )
        .annotate(
            n_shared=Count(
                "strategies", filter=Q(strategies__status=StrategyStatus.APPROVED), distinct=True
            )
        )
        .order_by("name", "pk")
    )
    return [GroupLine(g.pk, g.name, g.n_shared, 0) for g in groups]


def staff_groups(actor: User, *, limit: int = 50) -> list[GroupLine]:
    """The groups a facilitator runs (an admin: the groups with cards waiting, first),
    with shared and waiting counts. Two queries."""
    clinician = clinician_of(actor)
    groups: QuerySet[TherapyGroup]
    if clinician is not None:
        groups = TherapyGroup.objects.filter(
            pk__in=TherapyGroup.objects.filter(
                Q(lead_facilitator=clinician) | Q(co_facilitators=clinician)
            ).values("pk")
        )
    elif is_admin(actor):
        groups = TherapyGroup.objects.filter(
            pk__in=Strategy.objects.filter(group__isnull=False).values("group_id")
        )
    else:
        return []
    ids = list(groups.values_list("pk", flat=True)[: limit * 4])
    counted = (
        TherapyGroup.objects.filter(pk__in=ids)
        .annotate(
            n_shared=Count("strategies", filter=Q(strategies__status=StrategyStatus.APPROVED)),
            n_pending=Count("strategies", filter=Q(strategies__status=StrategyStatus.PENDING)),
        )
        .order_by("name", "pk")
    )
    lines = [GroupLine(g.pk, g.name, g.n_shared, g.n_pending) for g in counted]
    lines.sort(key=lambda line: (line.pending == 0, line.name))
    return lines[:limit]


def member_panel(actor: User) -> dict[str, Any] | None:
    """Member home: the cards shared in their groups and the library, and the
    encouragement their own cards earned. Three queries; nothing for someone without
    an active place in a group."""
    client = member_client(actor)
    if client is None:
        return None
    active = list(
        TherapyGroup.objects.filter(
            enrollments__client=client, enrollments__status=EnrollmentStatus.ACTIVE
        ).values_list("pk", flat=True)
    )
    if not active:
        return None
    shared = Strategy.objects.filter(
        Q(group__in=active) | Q(group__isnull=True), status=StrategyStatus.APPROVED
    ).count()
    helped = StrategyMark.objects.filter(strategy__author=actor, kind=MarkKind.HELPED).count()
    return {"strategies_shared": shared, "strategies_helped": helped}


def facilitator_panel(actor: User) -> dict[str, Any] | None:
    """Facilitator home: cards waiting for approval in the groups they run, by group.
    One query; nothing when none wait."""
    clinician = clinician_of(actor)
    if clinician is None:
        return None
    waiting = list(
        TherapyGroup.objects.filter(
            pk__in=TherapyGroup.objects.filter(
                Q(lead_facilitator=clinician) | Q(co_facilitators=clinician)
            ).values("pk")
        )
        .annotate(
            n_pending=Count("strategies", filter=Q(strategies__status=StrategyStatus.PENDING))
        )
        .filter(n_pending__gt=0)
        .order_by("name", "pk")
        .values("pk", "name", "n_pending")[:20]
    )
    if not waiting:
        return None
    return {
        "strategy_queues": waiting,
        "strategies_waiting": sum(int(w["n_pending"]) for w in waiting),
    }
