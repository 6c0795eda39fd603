"""Billing pages: the billing home (recent sessions and members' balances), a session's
charges (make them from attendance, post them), a member's ledger (charges, payments,
balance, fee overrides on their places, statement and superbill downloads), payments,
fee overrides, the settings, the affordability report (page and CSV), diagnoses on the
client record, and the member portal's Billing page.

Each view authorizes (kindred/billing/access.py), checks the shape (forms.py), calls
the services (kindred/billing/services.py) and renders. Every export is audited.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kindred.accounts.reauth import sensitive
from kindred.audit.services import audit_access
from kindred.billing import pdf, report, selectors, services
from kindred.billing.access import (
    get_billing_client_for,
    get_diagnosis_client_for,
    may_edit_diagnoses,
    may_manage_billing,
    own_client,
)
from kindred.billing.models import ChargeStatus, Diagnosis, FeeOverrideKind
from kindred.clients.models import Client
from kindred.core.access import deny
from kindred.core.errors import KindredError
from kindred.practice.settings import practice_today
from kindred.scheduling.models import GroupSession
from kindred.web.billing.forms import (
    DiagnosisForm,
    FeeOverrideForm,
    PaymentForm,
    PeriodForm,
    SettingsForm,
    from_cents,
    to_cents,
)
from kindred.web.forms import apply_error
from kindred.web.pages import actor_of, staff_page_for

if TYPE_CHECKING:
    from kindred.accounts.models import User

SECTION = "billing"
client_page = staff_page_for(Client, "client_id")
session_page = staff_page_for(GroupSession, "session_id")
billing_page = staff_page_for(Client, "client_id")


def _require_billing_page(actor: User) -> None:
    """Billing pages do not exist for other staff (404), as for anyone else."""
    if not may_manage_billing(actor):
        raise Http404


def _default_period() -> tuple[date, date]:
    today = practice_today()
    return date(today.year, 1, 1), today


def _period(request: HttpRequest) -> tuple[PeriodForm, date, date]:
    start, end = _default_period()
    form = PeriodForm(request.GET or None, initial={"start": start, "end": end})
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        if end < start:
            form.add_error("end", _("The last date is before the first."))
            start, end = _default_period()
    return form, start, end


# --- Billing home ----------------------------------------------------------------------------


@billing_page
@require_safe
def billing_home(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    _require_billing_page(actor)
    return render(
        request,
        "web/billing/home.html",
        {
            "section": SECTION,
            "sessions": selectors.recent_sessions(),
            "clients": selectors.clients_with_balances(),
        },
    )


# --- A session's charges ---------------------------------------------------------------------


@session_page
@require_http_methods(["GET", "HEAD", "POST"])
def session_charges(request: HttpRequest, session_id: int) -> HttpResponse:
    actor = actor_of(request)
    if not may_manage_billing(actor):
        deny(actor, GroupSession, session_id)
    session = GroupSession.objects.select_related("group").filter(pk=session_id).first()
    if session is None:
        deny(actor, GroupSession, session_id)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "create":
                run = services.charges_create_for_session(actor=actor, session=session)
                if run.changed:
                    messages.success(
                        request,
                        _(
                            "Charges are up to date: %(created)d new, %(updated)d changed, "
                            "%(removed)d removed, %(adjusted)d corrections."
                        )
                        % {
                            "created": len(run.created),
                            "updated": len(run.updated),
                            "removed": run.removed,
                            "adjusted": len(run.adjustments),
                        },
                    )
                else:
                    messages.info(request, _("The charges already match the attendance."))
            elif action == "post":
                drafts = [c for c in selectors.session_charges(session) if not c.is_posted]
                posted = services.charges_post(actor=actor, charges=drafts)
                messages.success(request, _("%(n)d charges posted.") % {"n": len(posted)})
            else:
                raise Http404
        except KindredError as exc:
            messages.error(request, exc.message)
        return redirect("web:billing_session", session_id=session.pk)
    charges = selectors.session_charges(session)
    return render(
        request,
        "web/billing/session.html",
        {
            "section": SECTION,
            "session": session,
            "charges": charges,
            "has_drafts": any(c.status == ChargeStatus.DRAFT for c in charges),
        },
    )


# --- A member's ledger -----------------------------------------------------------------------


@billing_page
@require_safe
def ledger(request: HttpRequest, client_id: int) -> HttpResponse:
    actor = actor_of(request)
    client = get_billing_client_for(actor, client_id)
    audit_access(actor=actor, action="billing.ledger.viewed", obj=client, client_id=client.pk)
    start, end = _default_period()
    return render(
        request,
        "web/billing/ledger.html",
        {
            "section": SECTION,
            "client": client,
            "ledger": selectors.ledger(client),
            "places": selectors.places_with_overrides(client),
            "period_form": PeriodForm(initial={"start": start, "end": end}),
        },
    )


@billing_page
@require_http_methods(["GET", "HEAD", "POST"])
def payment_new(request: HttpRequest, client_id: int) -> HttpResponse:
    actor = actor_of(request)
    client = get_billing_client_for(actor, client_id)
    form = PaymentForm(request.POST or None, initial={"received_on": practice_today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.payment_record(
                actor=actor,
                client=client,
                amount_cents=to_cents(data["amount_cents"]) or 0,
                method=data["method"],
                received_on=data["received_on"],
                reference=data["reference"],
                note=data["note"],
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("The payment is recorded."))
            return redirect("web:billing_ledger", client_id=client.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "web/practice/form_page.html",
        {
            "section": SECTION,
            "form": form,
            "title": _("Record a payment from %(name)s") % {"name": client.display_name},
            "submit_label": _("Record the payment"),
            "back_url": reverse("web:billing_ledger", kwargs={"client_id": client.pk}),
            "back_label": _("Ledger of %(name)s") % {"name": client.display_name},
        },
        status=status,
    )


@billing_page
@require_http_methods(["GET", "HEAD", "POST"])
def fee_override_new(request: HttpRequest, client_id: int) -> HttpResponse:
    actor = actor_of(request)
    client = get_billing_client_for(actor, client_id)
    enrollments = {e.pk: e for e, _o in selectors.places_with_overrides(client)}
    places = [(e.pk, f"{e.group.name} ({e.get_status_display()})") for e in enrollments.values()]
    form = FeeOverrideForm(
        request.POST or None,
        places=places,
        initial={"starts_on": practice_today(), "kind": FeeOverrideKind.SLIDING_SCALE},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.fee_override_create(
                actor=actor,
                enrollment=enrollments[data["enrollment"]],
                kind=data["kind"],
                fee_cents=to_cents(data["fee_cents"]),
                reason=data["reason"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("The member's own fee is saved."))
            return redirect("web:billing_ledger", client_id=client.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "web/practice/form_page.html",
        {
            "section": SECTION,
            "form": form,
            "title": _("Own fee for %(name)s") % {"name": client.display_name},
            "intro": _(
                "A sliding-scale fee or a scholarship for one place, from a date. Charges "
                "already posted keep their amount."
            ),
            "submit_label": _("Save the fee"),
            "back_url": reverse("web:billing_ledger", kwargs={"client_id": client.pk}),
            "back_label": _("Ledger of %(name)s") % {"name": client.display_name},
        },
        status=status,
    )


def _client_pdf(request: HttpRequest, client: Client, kind: str, back: str) -> HttpResponse:
    actor = actor_of(request)
    form = PeriodForm(request.GET)
    if not form.is_valid():
        messages.error(request, _("Choose the first and the last date of the period."))
        return redirect(back)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    export = pdf.superbill_export if kind == "superbill" else pdf.statement_export
    try:
        content = export(actor=actor, client=client, start=start, end=end)
    except KindredError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    response = HttpResponse(content, content_type="application/pdf")
    name = pdf.pdf_filename(kind, start, end)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def _staff_pdf(request: HttpRequest, client_id: int, kind: str) -> HttpResponse:
    client = get_billing_client_for(actor_of(request), client_id)
    back = reverse("web:billing_ledger", kwargs={"client_id": client.pk})
    return _client_pdf(request, client, kind, back)


# Staff download another person's billing record: a recent sign-in is asked for first.
_staff_pdf_reauth = sensitive(_staff_pdf)


@billing_page
@require_safe
def client_pdf(request: HttpRequest, client_id: int, kind: str) -> HttpResponse:
    if kind not in ("superbill", "statement"):
        raise Http404
    get_billing_client_for(actor_of(request), client_id)  # not theirs: 404 before a prompt
    return _staff_pdf_reauth(request, client_id, kind)


# --- Settings and report ---------------------------------------------------------------------


@billing_page
@require_http_methods(["GET", "HEAD", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    _require_billing_page(actor)
    rules = services.billing_settings()
    initial: dict[str, Any] = {
        "no_show_fee_cents": from_cents(rules.no_show_fee_cents),
        "late_cancel_fee_cents": from_cents(rules.late_cancel_fee_cents),
        "late_cancel_hours": rules.late_cancel_hours,
        "individual_fee_cents": from_cents(rules.individual_fee_cents),
        "modifier_95_for_virtual": rules.modifier_95_for_virtual,
        "payer_note": rules.payer_note,
    }
    form = SettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.billing_settings_update(
                actor=actor,
                no_show_fee_cents=to_cents(data["no_show_fee_cents"]),
                late_cancel_fee_cents=to_cents(data["late_cancel_fee_cents"]),
                late_cancel_hours=data["late_cancel_hours"],
                individual_fee_cents=to_cents(data["individual_fee_cents"]),
                modifier_95_for_virtual=data["modifier_95_for_virtual"],
                payer_note=data["payer_note"],
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("The billing settings are saved."))
            return redirect("web:billing_settings")
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "web/practice/form_page.html",
        {
            "section": SECTION,
            "form": form,
            "title": _("Billing settings"),
            "intro": _(
                "Fees for missed sessions, how much notice members must give, the "
                "individual fee for the affordability report, and what superbills show."
            ),
            "submit_label": _("Save the billing settings"),
            "back_url": reverse("web:billing_home"),
            "back_label": _("Billing"),
        },
        status=status,
    )


@billing_page
@require_safe
def report_page(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    _require_billing_page(actor)
    form, start, end = _period(request)
    result = report.affordability_report(actor=actor, start=start, end=end)
    return render(
        request,
        "web/billing/report.html",
        {
            "section": SECTION,
            "form": form,
            "report": result,
            "query": f"start={start.isoformat()}&end={end.isoformat()}",
        },
    )


@billing_page
@require_safe
def report_csv(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    _require_billing_page(actor)
    _form, start, end = _period(request)
    result = report.affordability_report(actor=actor, start=start, end=end)
    response = HttpResponse(report.report_csv(result), content_type="text/csv; charset=utf-8")
    name = f"kindred-affordability-{start.isoformat()}-to-{end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- Diagnoses on the client record ----------------------------------------------------------


@client_page
@require_http_methods(["GET", "HEAD", "POST"])
def client_diagnoses(request: HttpRequest, client_id: int) -> HttpResponse:
    actor = actor_of(request)
    writing = request.method == "POST"
    client = get_diagnosis_client_for(actor, client_id, write=writing)
    form = DiagnosisForm(request.POST or None, initial={"starts_on": practice_today()})
    if writing and form.is_valid():
        data = form.cleaned_data
        try:
            services.diagnosis_add(actor=actor, client=client, **data)
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("The diagnosis is added."))
            return redirect("web:client_diagnoses", client_id=client.pk)
    else:
        audit_access(
            actor=actor, action="billing.diagnoses.viewed", obj=client, client_id=client.pk
        )
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "web/billing/diagnoses.html",
        {
            "section": "clients",
            "client": client,
            "diagnoses": selectors.diagnoses_of(client),
            "form": form,
            "can_edit": may_edit_diagnoses(actor, client),
        },
        status=status,
    )


@client_page
@require_http_methods(["GET", "HEAD", "POST"])
def diagnosis_edit(request: HttpRequest, client_id: int, diagnosis_id: int) -> HttpResponse:
    actor = actor_of(request)
    client = get_diagnosis_client_for(actor, client_id, write=True)
    diagnosis = Diagnosis.objects.filter(pk=diagnosis_id, client=client).first()
    if diagnosis is None:
        deny(actor, Diagnosis, diagnosis_id)
    initial = {
        "code": diagnosis.code,
        "description": diagnosis.description,
        "is_primary": diagnosis.is_primary,
        "starts_on": diagnosis.starts_on,
        "ends_on": diagnosis.ends_on,
    }
    form = DiagnosisForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.diagnosis_update(actor=actor, diagnosis=diagnosis, **form.cleaned_data)
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("The diagnosis is saved."))
            return redirect("web:client_diagnoses", client_id=client.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "web/practice/form_page.html",
        {
            "section": "clients",
            "form": form,
            "title": _("Change %(code)s for %(name)s")
            % {"code": diagnosis.code, "name": client.display_name},
            "submit_label": _("Save the diagnosis"),
            "back_url": reverse("web:client_diagnoses", kwargs={"client_id": client.pk}),
            "back_label": _("Diagnoses of %(name)s") % {"name": client.display_name},
        },
        status=status,
    )


# --- The member portal -----------------------------------------------------------------------


def _member_client(request: HttpRequest) -> Client:
    client = own_client(actor_of(request)) if request.user.is_authenticated else None
    if client is None:
        raise Http404
    return client


@login_required
@require_safe
def member_billing(request: HttpRequest) -> HttpResponse:
    client = _member_client(request)
    actor = actor_of(request)
    audit_access(actor=actor, action="billing.ledger.viewed", obj=client, client_id=client.pk)
    start, end = _default_period()
    return render(
        request,
        "web/billing/member.html",
        {
            "section": "billing",
            "client": client,
            "ledger": selectors.ledger(client),
            "period_form": PeriodForm(initial={"start": start, "end": end}),
        },
    )


@login_required
@require_safe
def member_pdf(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in ("superbill", "statement"):
        raise Http404
    return _client_pdf(request, _member_client(request), kind, reverse("web:member_billing"))


@billing_page
@require_POST
def charge_discard(request: HttpRequest, charge_id: int) -> HttpResponse:
    from kindred.billing.access import get_charge_for

    actor = actor_of(request)
    _require_billing_page(actor)
    charge = get_charge_for(actor, charge_id)
    try:
        services.charge_discard(actor=actor, charge=charge)
    except KindredError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The draft charge is thrown away."))
    return redirect("web:billing_session", session_id=charge.session_id)
