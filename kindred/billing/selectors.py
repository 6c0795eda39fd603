"""Reading billing records: a member's ledger and balance, a session's charges, the
superbill and statement contents, and lists for the billing pages. Each loads in a
constant number of queries however many rows there are."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet, Sum

from kindred.billing.models import (
    Charge,
    ChargeKind,
    ChargeStatus,
    Diagnosis,
    FeeOverride,
    Payment,
    PlaceOfService,
)
from kindred.billing.services import billing_settings
from kindred.practice.models import ClinicianProfile, CredentialStatus, License
from kindred.scheduling.models import GroupSession, StateAttestation

if TYPE_CHECKING:
    from kindred.clients.models import Client
    from kindred.groups.models import Enrollment


# --- Ledger ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerLine:
    day: date
    kind: str  # "charge" or "payment"
    label: str
    detail: str
    amount_cents: int  # charges positive (credits negative), payments negative
    balance_cents: int
    charge: Charge | None = None
    payment: Payment | None = None


@dataclass
class Ledger:
    client: Client
    lines: list[LedgerLine]
    drafts: list[Charge]
    charged_cents: int
    paid_cents: int

    @property
    def balance_cents(self) -> int:
        return self.charged_cents - self.paid_cents


def ledger(client: Client, *, start: date | None = None, end: date | None = None) -> Ledger:
    """Posted charges and payments, oldest first, with the running balance; draft charges
    apart (they do not count yet). With ``start``/``end``, the lines of that period; the
    running balance starts from what was owed before it. Four queries."""
    charges = list(
        Charge.objects.filter(client=client)
        .select_related("session__group")
        .order_by("service_date", "id")
    )
    payments = list(Payment.objects.filter(client=client).order_by("received_on", "id"))
    posted = [c for c in charges if c.status == ChargeStatus.POSTED]
    drafts = [c for c in charges if c.status == ChargeStatus.DRAFT]
    events: list[tuple[date, int, int, Charge | None, Payment | None]] = []
    events += [(c.service_date, 0, c.pk, c, None) for c in posted]
    events += [(p.received_on, 1, p.pk, None, p) for p in payments]
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    balance = 0
    lines: list[LedgerLine] = []
    for day, _order, _pk, charge, payment in events:
        if charge is not None:
            balance += charge.amount_cents
            line = LedgerLine(
                day=day,
                kind="charge",
                label=str(charge.get_kind_display()),
                detail=charge.session.group.name,
                amount_cents=charge.amount_cents,
                balance_cents=balance,
                charge=charge,
            )
        else:
            assert payment is not None  # noqa: S101 - one of the two is set
            balance -= payment.amount_cents
            line = LedgerLine(
                day=day,
                kind="payment",
                label=str(payment.get_method_display()),
                detail=payment.reference,
                amount_cents=-payment.amount_cents,
                balance_cents=balance,
                payment=payment,
            )
        if (start is None or day >= start) and (end is None or day <= end):
            lines.append(line)
    return Ledger(
        client=client,
        lines=lines,
        drafts=drafts,
        charged_cents=sum(c.amount_cents for c in posted),
        paid_cents=sum(p.amount_cents for p in payments),
    )


def opening_balance(ledger_: Ledger) -> int:
    if not ledger_.lines:
        return ledger_.balance_cents
    first = ledger_.lines[0]
    return first.balance_cents - first.amount_cents


def session_charges(session: GroupSession) -> list[Charge]:
    return list(
        Charge.objects.filter(session=session)
        .select_related("client", "corrects")
        .order_by("client__legal_last_name", "client__legal_first_name", "client_id", "id")
    )


def recent_sessions(*, limit: int = 60) -> list[GroupSession]:
    """Sessions whose attendance was taken, newest first, with their charge counts."""
    return list(
        GroupSession.objects.filter(attendance_taken_at__isnull=False)
        .select_related("group")
        .annotate(
            drafts=Count("charges", filter=Q(charges__status=ChargeStatus.DRAFT)),
            posted=Count("charges", filter=Q(charges__status=ChargeStatus.POSTED)),
        )
        .order_by("-starts_at", "-id")[:limit]
    )


def clients_with_balances(*, limit: int = 200) -> QuerySet[Client]:
    """Members with any posted charge or payment, with what they were charged and
    paid (two subquery sums)."""
    from django.db.models import OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    from kindred.clients.models import Client

    charged = (
        Charge.objects.filter(client=OuterRef("pk"), status=ChargeStatus.POSTED)
        .values("client")
        .annotate(s=Sum("amount_cents"))
        .values("s")
    )
    paid = (
        Payment.objects.filter(client=OuterRef("pk"))
        .values("client")
        .annotate(s=Sum("amount_cents"))
        .values("s")
    )
    return (
        Client.objects.filter(
            Q(pk__in=Charge.objects.values("client_id"))
            | Q(pk__in=Payment.objects.values("client_id"))
        )
        .annotate(
            charged_cents=Coalesce(Subquery(charged), Value(0)),
            paid_cents=Coalesce(Subquery(paid), Value(0)),
        )
        .order_by("legal_last_name", "legal_first_name", "id")[:limit]
    )


def places_with_overrides(client: Client) -> list[tuple[Enrollment, list[FeeOverride]]]:
    from kindred.groups.models import Enrollment

    enrollments = list(
        Enrollment.objects.filter(client=client).select_related("group").order_by("-invited_at")
    )
    by_enrollment: dict[int, list[FeeOverride]] = defaultdict(list)
    for override in FeeOverride.objects.filter(enrollment__client=client).order_by("starts_on"):
        by_enrollment[override.enrollment_id].append(override)
    return [(e, by_enrollment.get(e.pk, [])) for e in enrollments]


def diagnoses_of(client: Client) -> list[Diagnosis]:
    return list(Diagnosis.objects.filter(client=client).order_by("-is_primary", "starts_on", "id"))


# --- Superbill ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Provider:
    name: str
    credentials: str
    npi: str
    license_label: str  # "LCPC IL 180.000002", or a plain "no license on record for IL"


@dataclass(frozen=True)
class SuperbillLine:
    day: date
    group_name: str
    cpt: str
    modifier: str
    place_of_service: str
    place_assumed: bool
    fee_cents: int
    paid_cents: int
    providers: tuple[Provider, ...]
    state: str


@dataclass
class Superbill:
    client: Client
    start: date
    end: date
    lines: list[SuperbillLine]
    diagnoses: list[Diagnosis]
    practice_name: str
    payer_note: str
    notes: list[str] = field(default_factory=list)

    @property
    def total_fee_cents(self) -> int:
        return sum(line.fee_cents for line in self.lines)

    @property
    def total_paid_cents(self) -> int:
        return sum(line.paid_cents for line in self.lines)


def _paid_by_charge(client: Client) -> dict[int, int]:
    """Payments applied to posted charges oldest first (a member's payments are not
    tied to sessions; this is how statements and superbills show "paid")."""
    posted = list(
        Charge.objects.filter(client=client, status=ChargeStatus.POSTED)
        .order_by("service_date", "id")
        .values_list("pk", "amount_cents", "corrects_id")
    )
    # Corrections reduce (or raise) the charge they correct.
    net: dict[int, int] = {}
    for pk, amount, corrects in posted:
        key = corrects or pk
        net[key] = net.get(key, 0) + amount
    available = Payment.objects.filter(client=client).aggregate(s=Sum("amount_cents"))["s"] or 0
    paid: dict[int, int] = {}
    for pk, amount in net.items():
        applied = max(0, min(amount, available))
        paid[pk] = applied
        available -= applied
    return paid


def _license_label(licenses: list[License], state: str, on: date, *, none_label: str) -> str:
    for item in licenses:
        if (
            item.state == state
            and item.issued_on <= on <= item.expires_on
            and item.status == CredentialStatus.ACTIVE
        ):
            return f"{item.license_type} {item.state} {item.number}"
    return none_label


def superbill(client: Client, *, start: date, end: date) -> Superbill:
    """The sessions (posted group-session charges) of ``start``..``end`` with the
    provider(s), their NPI and the license valid on each date in the state where the
    member was, CPT 90853, place of service, modifier 95 when the practice asks for it,
    the fee and what was paid. A constant number of queries."""
    from django.utils.translation import gettext as _

    from kindred.practice.settings import practice_settings

    rules = billing_settings()
    charges = list(
        Charge.objects.filter(
            client=client,
            status=ChargeStatus.POSTED,
            kind=ChargeKind.SESSION,
            service_date__gte=start,
            service_date__lte=end,
        )
        .select_related(
            "session__group__lead_facilitator__user",
            "session__substitute_facilitator__user",
            "session__location",
        )
        .prefetch_related("session__group__co_facilitators__user", "adjustments")
        .order_by("service_date", "id")
    )
    paid = _paid_by_charge(client)
    session_ids = [c.session_id for c in charges]
    attested = dict(
        StateAttestation.objects.filter(client=client, session_id__in=session_ids).values_list(
            "session_id", "state"
        )
    )
    clinicians: set[int] = set()
    for charge in charges:
        clinicians |= {p.pk for p in _providers_of(charge.session)}
    licenses: dict[int, list[License]] = defaultdict(list)
    for item in License.objects.filter(clinician_id__in=clinicians).order_by("-expires_on"):
        licenses[item.clinician_id].append(item)
    lines: list[SuperbillLine] = []
    assumed = False
    for charge in charges:
        session = charge.session
        if charge.place_of_service == PlaceOfService.OFFICE and session.location is not None:
            state = session.location.state
        else:
            state = attested.get(session.pk, client.state_of_residence)
        none_label = _("no license on record for %(state)s on this date") % {"state": state}
        providers = tuple(
            Provider(
                name=p.user.full_name,
                credentials=p.credentials,
                npi=p.npi,
                license_label=_license_label(
                    licenses.get(p.pk, []), state, charge.service_date, none_label=none_label
                ),
            )
            for p in _providers_of(session)
        )
        virtual = charge.place_of_service in (
            PlaceOfService.TELEHEALTH_HOME,
            PlaceOfService.TELEHEALTH_NOT_HOME,
        )
        fee = charge.amount_cents + sum(
            a.amount_cents for a in charge.adjustments.all() if a.status == ChargeStatus.POSTED
        )
        assumed = assumed or charge.place_assumed
        lines.append(
            SuperbillLine(
                day=charge.service_date,
                group_name=session.group.name,
                cpt=charge.cpt_code,
                modifier="95" if virtual and rules.modifier_95_for_virtual else "",
                place_of_service=charge.place_of_service,
                place_assumed=charge.place_assumed,
                fee_cents=fee,
                paid_cents=paid.get(charge.pk, 0),
                providers=providers,
                state=state,
            )
        )
    diagnoses = [
        d
        for d in Diagnosis.objects.filter(client=client).order_by("-is_primary", "starts_on", "id")
        if d.starts_on <= end and (d.ends_on is None or d.ends_on >= start)
    ]
    notes: list[str] = []
    if assumed:
        notes.append(
            "* "
            + _(
                "Place of service 10 (telehealth in the patient's home) is used for virtual "
                "sessions: the practice does not record whether the patient joined from "
                "home."
            )
        )
    notes.append(
        _("Paid amounts apply the patient's payments to sessions in date order, oldest first.")
    )
    return Superbill(
        client=client,
        start=start,
        end=end,
        lines=lines,
        diagnoses=diagnoses,
        practice_name=practice_settings().name,
        payer_note=rules.payer_note,
        notes=notes,
    )


def _providers_of(session: GroupSession) -> list[ClinicianProfile]:
    """Who delivered the session: the substitute if one covered it, else the lead;
    then the co-facilitators (prefetched)."""
    group = session.group
    first = session.substitute_facilitator or group.lead_facilitator
    others = [c for c in group.co_facilitators.all() if c.pk != first.pk]
    return [first, *others]
