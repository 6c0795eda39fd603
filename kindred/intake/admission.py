"""The admission rule: when a place in a group becomes active.

A person's place (an ``Enrollment``) goes through these steps (CLINICAL.md, "Running a
group"; AGPA 2007: screen, agree in writing, prepare):

1. **Screening done**: their latest decided screening for the group admits them.
2. **Agreement signed**: they signed the group's *current* agreement version. A group
   without an agreement version does not require this step.
3. **Preparation read**: informational; it never holds anyone back.
4. **First session**: they attended a session of the group; informational.

A place becomes active only when steps 1 and 2 are complete. ``groups.services.
enrollment_activate`` refuses otherwise (``require_ready``), and ``maybe_activate``
activates a place by itself as soon as its last required step completes: screening
calls it after an admit, the agreements code after a signature.

Everything is read with annotations on the enrollment query, so the status of one place
or of a whole roster costs one query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, F, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kindred.core.errors import InvalidState
from kindred.groups.models import Enrollment, EnrollmentStatus
from kindred.intake.models import (
    AgreementSignature,
    PreparationItem,
    PreparationRead,
    Screening,
    ScreeningDecision,
)
from kindred.scheduling.models import ATTENDED_STATUSES, Attendance

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from kindred.accounts.models import User


class StepState:
    DONE = "done"
    TODO = "todo"
    NOT_REQUIRED = "not_required"


@dataclass(frozen=True)
class Step:
    code: str
    label: _StrPromise
    state: str
    required: bool
    note: str = ""

    @property
    def done(self) -> bool:
        return self.state in (StepState.DONE, StepState.NOT_REQUIRED)


@dataclass(frozen=True)
class AdmissionStatus:
    enrollment_id: int
    #: The decision of the latest decided screening for this client and group ("" if none).
    decision: str
    #: A screening for this client and group is in progress (a draft).
    screening_in_progress: bool
    #: The group's current agreement version (None: the group asks for no agreement).
    agreement_version_id: int | None
    agreement_signed: bool
    preparation_total: int
    preparation_read: int
    attended: bool

    @property
    def screened(self) -> bool:
        return self.decision == ScreeningDecision.ADMIT

    @property
    def agreement_required(self) -> bool:
        return self.agreement_version_id is not None

    @property
    def agreement_done(self) -> bool:
        return self.agreement_signed or not self.agreement_required

    @property
    def preparation_done(self) -> bool:
        return self.preparation_read >= self.preparation_total

    @property
    def ready(self) -> bool:
        """Both required steps are complete: the place may be (or is) active."""
        return self.screened and self.agreement_done

    def _screening_note(self) -> str:
        if self.screened:
            return ""
        if self.decision == ScreeningDecision.DEFER:
            return _("their screening deferred them")
        if self.decision == ScreeningDecision.REFER_INDIVIDUAL:
            return _("their screening referred them to individual care")
        if self.screening_in_progress:
            return _("their screening is not decided yet")
        return _("no screening has admitted them")

    def _preparation_note(self) -> str:
        if not self.preparation_total:
            return ""
        return _("%(read)d of %(total)d read") % {
            "read": min(self.preparation_read, self.preparation_total),
            "total": self.preparation_total,
        }

    def missing(self) -> list[str]:
        """What still stands between the place and becoming active, in words."""
        missing = []
        if not self.screened:
            missing.append(self._screening_note())
        if not self.agreement_done:
            missing.append(_("they have not signed the group's current agreement"))
        return missing

    @property
    def steps(self) -> list[Step]:
        """The four steps, for pages and the API."""
        if self.preparation_total == 0:
            preparation = StepState.NOT_REQUIRED
        else:
            preparation = StepState.DONE if self.preparation_done else StepState.TODO
        return [
            Step(
                "screening",
                gettext_lazy("Screening"),
                StepState.DONE if self.screened else StepState.TODO,
                required=True,
                note=self._screening_note(),
            ),
            Step(
                "agreement",
                gettext_lazy("Group agreement"),
                StepState.NOT_REQUIRED
                if not self.agreement_required
                else (StepState.DONE if self.agreement_signed else StepState.TODO),
                required=self.agreement_required,
            ),
            Step(
                "preparation",
                gettext_lazy("Preparation"),
                preparation,
                required=False,
                note=self._preparation_note(),
            ),
            Step(
                "first_session",
                gettext_lazy("First session"),
                StepState.DONE if self.attended else StepState.TODO,
                required=False,
            ),
        ]


def with_admission(qs: QuerySet[Enrollment]) -> QuerySet[Enrollment]:
    """Annotate enrollments with what their admission status is made of (no extra
    queries: every step is a subquery of the same SELECT)."""
    client, group = OuterRef("client_id"), OuterRef("group_id")
    latest = Screening.objects.filter(client=client, group=group, decided_at__isnull=False)
    prep_total = (
        PreparationItem.objects.filter(group=group)
        .order_by()
        .values("group")
        .annotate(n=Count("pk"))
        .values("n")
    )
    prep_read = (
        PreparationRead.objects.filter(client=client, item__group=group)
        .order_by()
        .values("client")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return qs.annotate(
        adm_decision=Subquery(latest.order_by("-decided_at", "-id").values("decision")[:1]),
        adm_draft=Exists(
            Screening.objects.filter(client=client, group=group, decided_at__isnull=True)
        ),
        adm_version=F("group__agreement_version_id"),
        adm_signed=Exists(
            AgreementSignature.objects.filter(
                client=client, group=group, version_id=OuterRef("group__agreement_version_id")
            )
        ),
        adm_prep_total=Coalesce(Subquery(prep_total, output_field=IntegerField()), 0),
        adm_prep_read=Coalesce(Subquery(prep_read, output_field=IntegerField()), 0),
        adm_attended=Exists(
            Attendance.objects.filter(
                client=client, session__group=group, status__in=ATTENDED_STATUSES
            )
        ),
    )


def _status_of(row: Enrollment) -> AdmissionStatus:
    return AdmissionStatus(
        enrollment_id=row.pk,
        decision=row.adm_decision or "",  # type: ignore[attr-defined]
        screening_in_progress=bool(row.adm_draft),  # type: ignore[attr-defined]
        agreement_version_id=row.adm_version,  # type: ignore[attr-defined]
        agreement_signed=bool(row.adm_signed),  # type: ignore[attr-defined]
        preparation_total=int(row.adm_prep_total),  # type: ignore[attr-defined]
        preparation_read=int(row.adm_prep_read),  # type: ignore[attr-defined]
        attended=bool(row.adm_attended),  # type: ignore[attr-defined]
    )


def admission_status(enrollment: Enrollment) -> AdmissionStatus:
    """Where one place stands (one query)."""
    row = with_admission(Enrollment.objects.filter(pk=enrollment.pk)).get()
    return _status_of(row)


def roster_admission(enrollments: Iterable[Enrollment]) -> dict[int, AdmissionStatus]:
    """The admission status of each place, by enrollment id, in one query however many
    there are. The caller has already decided the actor may see these places (the
    roster is for the group's facilitators and those who manage groups)."""
    ids = [e.pk for e in enrollments]
    if not ids:
        return {}
    rows = with_admission(Enrollment.objects.filter(pk__in=ids).order_by())
    return {row.pk: _status_of(row) for row in rows}


def annotate_roster(enrollments: list[Enrollment]) -> list[Enrollment]:
    """Set ``admission`` on each enrollment of a roster already read (one query)."""
    statuses = roster_admission(enrollments)
    for enrollment in enrollments:
        enrollment.admission = statuses.get(enrollment.pk)  # type: ignore[attr-defined]
    return enrollments


def require_ready(enrollment: Enrollment) -> None:
    """Raise ``InvalidState`` naming what is missing unless the place may become active.
    Called by ``groups.services.enrollment_activate`` inside its transaction."""
    missing = admission_status(enrollment).missing()
    if missing:
        raise InvalidState(
            _("%(name)s cannot join the group yet: %(missing)s.")
            % {"name": enrollment.client.display_name, "missing": "; ".join(missing)},
            field="status",
            code="admission_incomplete",
        )


def maybe_activate(enrollment: Enrollment, *, actor: User | None = None) -> bool:
    """Activate an offered place whose last required step has just completed (an admit,
    or a signature of the current agreement); ``actor`` is who completed it. Returns
    whether the place became active. Safe to call at any time: a place that is not
    offered, or not ready, is left as it is."""
    from kindred.groups.services import enrollment_activate

    current = Enrollment.objects.filter(pk=enrollment.pk).values_list("status", flat=True).first()
    if current != EnrollmentStatus.INVITED or not admission_status(enrollment).ready:
        return False
    enrollment_activate(actor=actor, enrollment=enrollment, automatic=True)
    return True
