"""A member's check-ins: what is waiting, answering on a phone, review, and the thank-you
(with crisis resources at once when the answers raised a safety flag).

Each view: authorize (measures/administrations.py: a member's own administration, else
404) → check the shape (forms.py) → call one service (measures/answering.py) → render.
Answers are saved per item as they are given (htmx posts each answer); without
JavaScript the whole page is sent with "Review my answers". Staff have no member pages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kindred.core.errors import InvalidState, KindredError, ValidationFailed
from kindred.measures import administrations as admins
from kindred.measures.answering import administration_submit, answer_save, answers_save
from kindred.measures.models import Administration, AdministrationStatus
from kindred.scheduling.member import safe_zone, zone_name
from kindred.web.member.views import member_page
from kindred.web.questionnaires.forms import posted_answers

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _progress_url() -> str:
    """The member's own progress page (the outcomes section), if it is there."""
    try:
        return reverse("web:member_progress")
    except NoReverseMatch:
        return ""


@member_page
@require_safe
def questionnaire_list(request: HttpRequest, client: Client) -> HttpResponse:
    now = timezone.now()
    zone = safe_zone(client.timezone)
    waiting = admins.member_waiting(client, now=now)
    done = admins.recently_done_for_member(client)
    return _no_store(
        render(
            request,
            "web/questionnaires/list.html",
            {
                "section": "questionnaires",
                "client": client,
                "waiting": waiting,
                "done": [
                    (a, admins.member_title(a.instrument), admins.present_for_member(a, zone=zone))
                    for a in done
                ],
                "zone": zone_name(client.timezone),
                "progress_url": _progress_url(),
            },
        )
    )


def _own(request: HttpRequest, administration_id: int) -> Administration:
    return admins.get_own_administration(_actor(request), administration_id)


def _page_context(
    client: Client,
    administration: Administration,
    *,
    answers: dict[str, int],
    errors: dict[str, list[str]] | None = None,
    non_field: list[str] | None = None,
) -> dict[str, Any]:
    zone = safe_zone(client.timezone)
    definition = admins.definition_for(administration)
    questions = admins.questions(administration, answers=answers, errors=errors)
    first_open = next((q for q in questions if q.answer is None and q.item.scored), None)
    return {
        "section": "questionnaires",
        "client": client,
        "administration": administration,
        "item": admins.present_for_member(administration, zone=zone, answered=len(answers)),
        "instructions": definition.instructions,
        "questions": questions,
        "answered": len(answers),
        "total": len(questions),
        "resume": first_open if answers and first_open is not None else None,
        "non_field_errors": non_field or [],
        "zone": zone_name(client.timezone),
    }


def _closed_page(
    request: HttpRequest, client: Client, administration: Administration
) -> HttpResponse:
    now = timezone.now()
    if administration.status == AdministrationStatus.CANCELLED:
        state = "cancelled"
    elif administration.available_from > now and not admins.is_closed(administration, now):
        state = "not_open"
    else:
        state = "closed"
    return _no_store(
        render(
            request,
            "web/questionnaires/closed.html",
            {
                "section": "questionnaires",
                "administration": administration,
                "title": admins.member_title(administration.instrument),
                "state": state,
            },
            status=200 if request.method in ("GET", "HEAD") else 409,
        )
    )


def _not_answerable(administration: Administration) -> bool:
    return administration.status != AdministrationStatus.COMPLETED and (
        admins.is_closed(administration, timezone.now())
        or administration.available_from > timezone.now()
    )


@member_page
@require_http_methods(["GET", "HEAD", "POST"])
def questionnaire_answer(
    request: HttpRequest, client: Client, administration_id: int
) -> HttpResponse:
    """The questions, one fieldset each. POST (without JavaScript): save every answer
    given, then the review."""
    administration = _own(request, administration_id)
    if administration.status == AdministrationStatus.COMPLETED:
        return redirect("web:member_questionnaire_done", administration_id=administration.pk)
    if _not_answerable(administration):
        return _closed_page(request, client, administration)
    stored = admins.stored_answers(administration)
    if request.method == "POST":
        definition = admins.definition_for(administration)
        posted = posted_answers(request.POST, (i.key for i in definition.items))
        try:
            answers_save(
                actor=_actor(request),
                administration=administration,
                answers=posted,
                version=request.POST.get("version", ""),
            )
        except ValidationFailed as exc:
            shown = {**stored, **{k: int(v) for k, v in posted.items() if v.lstrip("-").isdigit()}}
            context = _page_context(
                client,
                administration,
                answers=shown,
                errors=exc.errors,
                non_field=exc.errors.get("version", []) + exc.errors.get("__all__", []),
            )
            context["failed"] = True
            return _no_store(render(request, "web/questionnaires/answer.html", context, status=400))
        except InvalidState:
            return _closed_page(request, client, administration)
        return redirect("web:member_questionnaire_review", administration_id=administration.pk)
    return _no_store(
        render(
            request,
            "web/questionnaires/answer.html",
            _page_context(client, administration, answers=stored),
        )
    )


@member_page
@require_POST
def questionnaire_answer_one(
    request: HttpRequest, client: Client, administration_id: int
) -> HttpResponse:
    """Save one answer as it is given. With htmx: the item's "saved" line (or its error);
    without: back to the page."""
    administration = _own(request, administration_id)
    key = request.POST.get("item", "")
    definition = admins.definition_for(administration)
    value = posted_answers(request.POST, [key]).get(key) if key in definition.items_by_key else None
    status = 200
    try:
        result = answer_save(
            actor=_actor(request),
            administration=administration,
            item=key,
            value=value,
            version=request.POST.get("version", ""),
        )
    except ValidationFailed as exc:
        status = 400
        message = " ".join(m for ms in exc.errors.values() for m in ms) or exc.message
    except KindredError as exc:
        status = 409
        message = exc.message
    else:
        message = _("Saved · %(answered)d of %(total)d answered") % {
            "answered": result.answered,
            "total": result.questions,
        }
    if not request.headers.get("HX-Request"):
        if status != 200:
            messages.error(request, message)
        return redirect(
            reverse("web:member_questionnaire", kwargs={"administration_id": administration.pk})
            + (f"#q-{key}" if key in definition.items_by_key else "")
        )
    return _no_store(
        render(
            request,
            "web/questionnaires/_saved.html",
            {"message": message, "error": status != 200},
            status=status,
        )
    )


@member_page
@require_http_methods(["GET", "HEAD", "POST"])
def questionnaire_review(
    request: HttpRequest, client: Client, administration_id: int
) -> HttpResponse:
    """Every answer at a glance, with "change" links, then "Send my answers"."""
    administration = _own(request, administration_id)
    if administration.status == AdministrationStatus.COMPLETED:
        return redirect("web:member_questionnaire_done", administration_id=administration.pk)
    if _not_answerable(administration):
        return _closed_page(request, client, administration)
    errors: dict[str, list[str]] = {}
    non_field: list[str] = []
    status = 200
    if request.method == "POST":
        try:
            result = administration_submit(
                actor=_actor(request),
                administration=administration,
                version=request.POST.get("version", ""),
            )
        except ValidationFailed as exc:
            errors = exc.errors
            non_field = exc.errors.get("version", []) + exc.errors.get("__all__", [])
            status = 400
        except InvalidState:
            return _closed_page(request, client, administration)
        else:
            if result.already_received:
                messages.info(request, _("We already had your answers. Thank you."))
            return redirect("web:member_questionnaire_done", administration_id=administration.pk)
    stored = admins.stored_answers(administration)
    context = _page_context(
        client, administration, answers=stored, errors=errors, non_field=non_field
    )
    context["missing"] = [q for q in context["questions"] if q.answer is None and q.item.scored]
    return _no_store(render(request, "web/questionnaires/review.html", context, status=status))


@member_page
@require_safe
def questionnaire_done(
    request: HttpRequest, client: Client, administration_id: int
) -> HttpResponse:
    """Thank you — and, when the answers raised a safety flag, help right now: 988, 911
    and the practice's own words, before anything else. Never a score."""
    administration = _own(request, administration_id)
    if administration.status != AdministrationStatus.COMPLETED:
        raise Http404
    return _no_store(
        render(
            request,
            "web/questionnaires/done.html",
            {
                "section": "questionnaires",
                "administration": administration,
                "title": admins.member_title(administration.instrument),
                "crisis": admins.has_safety_flag(administration),
                "more_waiting": admins.open_for_member(client).exists(),
                "progress_url": _progress_url(),
            },
        )
    )
