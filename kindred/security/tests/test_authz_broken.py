"""The matrix can fail: deliberately broken views and a deliberately wrong table, run
through the same machinery as the real URLs, must be reported, each with the finding
that names what is wrong. A correct view under the same rule yields no finding (so the
findings come from the breakage, not from the machinery)."""

from __future__ import annotations

import pytest
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.test.utils import override_settings
from django.urls import include, path

from kindred.groups.access import get_group_for
from kindred.groups.models import TherapyGroup
from kindred.notifications.models import Notification
from kindred.practice.roles import Capability
from kindred.security.authz.matrix import Finding, Pattern, coverage, run_row, url_patterns
from kindred.security.authz.rules import ANY_STAFF, CLINICIANS, PUBLIC, cap, row, rule
from kindred.security.authz.stage import Stage, stage
from kindred.security.authz.table import ROWS
from kindred.web.pages import actor_of

__all__ = ["stage"]  # the fixture, imported for pytest

GROUP_RULE = rule(CLINICIANS, cap(Capability.VIEW_ALL_GROUPS))


def staff_group(request: HttpRequest, group_id: int) -> TherapyGroup:
    """The check the group pages make: staff only, then the group as they may see it."""
    if not getattr(request.user, "is_staff_member", False):
        raise Http404
    return get_group_for(request.user, group_id)  # type: ignore[arg-type]


@login_required
def proper(request: HttpRequest, group_id: int) -> HttpResponse:
    return HttpResponse(staff_group(request, group_id).name)


@login_required
def leaky(request: HttpRequest, group_id: int) -> HttpResponse:
    """Broken: any signed-in person reads any group (the access check is missing)."""
    group = TherapyGroup.objects.filter(pk=group_id).first()
    if group is None:
        raise Http404
    return HttpResponse(group.name)


@login_required
def forbidden(request: HttpRequest, group_id: int) -> HttpResponse:
    """Broken: someone else's group answers 403, telling that it exists."""
    if not TherapyGroup.objects.filter(pk=group_id).exists():
        raise Http404
    try:
        group = staff_group(request, group_id)
    except Http404:
        return HttpResponse(status=403)
    return HttpResponse(group.name)


@login_required
def writes_first(request: HttpRequest, group_id: int) -> HttpResponse:
    """Broken: a POST writes before the access check, then denies."""
    if request.method == "POST":
        Notification.objects.create(user=actor_of(request), kind="x", title="written")
    return HttpResponse(staff_group(request, group_id).name)


@login_required
def crashes(request: HttpRequest, group_id: int) -> HttpResponse:
    """Broken: a missing group is a server error, not a 404."""
    if group_id > 10**8:
        raise RuntimeError("no such group")
    return HttpResponse(staff_group(request, group_id).name)


urlpatterns = [
    path("authz-test/proper/<int:group_id>/", proper, name="authz_proper"),
    path("authz-test/leaky/<int:group_id>/", leaky, name="authz_leaky"),
    path("authz-test/forbidden/<int:group_id>/", forbidden, name="authz_forbidden"),
    path("authz-test/writes/<int:group_id>/", writes_first, name="authz_writes"),
    path("authz-test/crashes/<int:group_id>/", crashes, name="authz_crashes"),
    path("", include("kindred.urls")),
]


def _run(name: str, stage: Stage, r: object = GROUP_RULE) -> list[Finding]:
    world, clients = stage
    the_row = row(r, {"group_id": "group"})  # type: ignore[arg-type]
    pattern = Pattern(key=name, route=f"authz-test/{name}/<int:group_id>/", name=name)
    with override_settings(ROOT_URLCONF=__name__):
        return run_row(pattern, the_row, world, clients, full=True).findings


def _cells(findings: list[Finding]) -> set[tuple[str, str, str]]:
    return {(f.who, f.cell, f.method) for f in findings}


@pytest.mark.django_db
def test_a_correct_view_has_no_finding(stage: Stage) -> None:
    assert _run("authz_proper", stage) == []


@pytest.mark.django_db
def test_a_missing_access_check_is_caught(stage: Stage) -> None:
    found = _cells(_run("authz_leaky", stage))
    # Members read group A and B, the other facilitator reads group A, billing both.
    for who in ("member", "member_b", "outsider", "billing"):
        assert (who, "A", "GET") in found
        assert (who, "B", "GET") in found
    assert ("facilitator_b", "A", "GET") in found
    assert ("facilitator", "B", "GET") in found
    # ... and nobody allowed is reported.
    assert not any(who in ("admin", "coordinator") for who, _, _ in found)


@pytest.mark.django_db
def test_403_for_someone_elses_object_is_caught(stage: Stage) -> None:
    findings = _run("authz_forbidden", stage)
    other = [f for f in findings if (f.who, f.cell) == ("facilitator_b", "A")]
    assert other
    assert all(f.expected == "404 (not yours)" for f in other)
    assert all(f.got == "denied" for f in other)


@pytest.mark.django_db
def test_a_denied_write_that_changes_data_is_caught(stage: Stage) -> None:
    findings = _run("authz_writes", stage)
    changed = {(f.who, f.cell) for f in findings if f.got == "changed"}
    assert ("facilitator_b", "A") in changed
    assert ("member", "B") in changed
    assert all(f.method != "GET" for f in findings)


@pytest.mark.django_db
def test_a_server_error_on_a_missing_object_is_caught(stage: Stage) -> None:
    findings = _run("authz_crashes", stage)
    assert {(f.cell, f.got) for f in findings} == {("missing", "error")}


@pytest.mark.django_db
def test_a_wrong_table_row_is_caught(stage: Stage) -> None:
    """The table, not the view, is wrong: a staff page declared public is reported for
    every person the page (rightly) refuses."""
    wrong = _cells(_run("authz_proper", stage, rule(PUBLIC)))
    assert ("anonymous", "A", "GET") in wrong
    assert ("member", "B", "GET") in wrong
    too_broad = _cells(_run("authz_proper", stage, rule(ANY_STAFF)))
    # The row says "any staff"; the view (rightly) refuses billing and the other facilitator.
    assert ("billing", "A", "GET") in too_broad
    assert ("facilitator_b", "A", "GET") in too_broad
    assert not any(who in ("admin", "coordinator") for who, _, _ in too_broad)


def test_a_url_without_a_row_is_caught() -> None:
    patterns = [*url_patterns(), Pattern(key="web:brand_new", route="new/", name="web:new")]
    rows = dict(ROWS)
    rows["web:gone"] = rows[next(iter(rows))]
    missing, stale = coverage(patterns, rows)
    assert "web:brand_new" in missing
    assert "web:gone" in stale
