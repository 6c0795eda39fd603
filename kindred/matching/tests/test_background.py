"""Matching runs in the background for the page and the API (a task through Django's
Tasks API), and synchronously for the command: the run is claimed at once ("running",
"Waiting to start"), the task solves it once (safe to run twice), the run's page shows
its progress and checks again by itself (htmx, with a plain link), the API answers 202
with the run's url; a failed run says why."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from kindred.accounts.scopes import Scope
from kindred.accounts.token_services import api_token_create
from kindred.core.errors import Conflict
from kindred.core.testing import Cast, signed_in
from kindred.groups.models import TherapyGroup
from kindred.matching import services
from kindred.matching.models import MatchRun, ProposalLine, RunStatus
from kindred.matching.tasks import run_matching
from kindred.matching.tests.support import waiting

pytestmark = pytest.mark.django_db
RUNS = "/api/v1/matching/runs/"


def _queued(cast: Cast, django_capture_on_commit_callbacks: Any) -> tuple[MatchRun, list[Any]]:
    """A run started from the page whose task has not run yet (its callbacks held)."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = services.match_run_enqueue(actor=cast.coordinator)
    return run, callbacks


def test_enqueue_claims_the_run_and_the_task_solves_it_once(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    waiting(cast)
    waiting(cast)
    run, callbacks = _queued(cast, django_capture_on_commit_callbacks)
    run.refresh_from_db()
    assert (run.status, run.progress) == (RunStatus.RUNNING, "Waiting to start")
    assert len(callbacks) == 1
    assert not ProposalLine.objects.exists()
    # A second start while it waits is refused.
    with pytest.raises(Conflict):
        services.match_run_enqueue(actor=cast.coordinator)
    callbacks[0]()  # the task is queued; the immediate backend runs it now
    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED
    assert run.progress == ""
    assert run.placed_count == 2
    assert ProposalLine.objects.filter(run=run).count() == 2
    # Delivered again (a worker retry): nothing more happens.
    assert run_matching.call(run.pk) == {"run": run.pk, "status": "finished"}
    assert ProposalLine.objects.filter(run=run).count() == 2


def test_the_run_uses_the_weights_it_was_started_with(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    waiting(cast)
    run, callbacks = _queued(cast, django_capture_on_commit_callbacks)
    services.matching_settings_update(actor=cast.coordinator, concern_overlap=9)
    callbacks[0]()
    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED
    assert run.weights["concern_overlap"] == 2.0


def test_a_run_that_finds_nothing_to_do_when_it_starts_fails_with_the_reason(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    waiting(cast)
    run, callbacks = _queued(cast, django_capture_on_commit_callbacks)
    TherapyGroup.objects.update(max_size=1, min_size=1)  # every seat taken meanwhile
    callbacks[0]()
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "No groups have open seats" in run.error
    page = signed_in(cast.coordinator).get(f"/matching/runs/{run.pk}/").content.decode()
    assert "Matching did not finish" in page
    assert "No groups have open seats" in page


def test_the_command_path_stays_synchronous(cast: Cast) -> None:
    waiting(cast)
    said: list[str] = []
    run = services.match_run_start(actor=None, progress=said.append)
    assert run.status == RunStatus.FINISHED
    assert said[0] == "Reading the waitlist and the groups with open seats"
    assert "Saving the proposal" in said


# --- The page -------------------------------------------------------------------------------


def test_the_page_shows_a_running_run_and_checks_again_by_itself(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    waiting(cast, first="Ursula")
    http = signed_in(cast.coordinator)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = http.post("/matching/", {})
    run = MatchRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/matching/runs/{run.pk}/"
    page = http.get(response["Location"], follow=True).content.decode()
    assert "Matching has started" in page
    assert "Matching is running" in page
    assert "Waiting to start" in page
    status_url = f"/matching/runs/{run.pk}/status/"
    assert f'hx-get="{status_url}"' in page
    assert 'hx-trigger="every 3s"' in page
    assert 'role="status"' in page
    assert f'href="/matching/runs/{run.pk}/">Check again' in page
    assert "Ursula" not in page
    # The past runs list links to it while it runs.
    assert f'href="/matching/runs/{run.pk}/"' in http.get("/matching/").content.decode()

    # Polling while it runs: the progress alone.
    poll = http.get(status_url, headers={"HX-Request": "true"})
    assert poll.status_code == 200
    assert "Waiting to start" in poll.content.decode()
    assert "<html" not in poll.content.decode()
    assert "HX-Redirect" not in poll
    # Without htmx the status address is the run's page.
    assert http.get(status_url)["Location"] == f"/matching/runs/{run.pk}/"

    callbacks[0]()
    done = http.get(status_url, headers={"HX-Request": "true"})
    assert done["HX-Redirect"] == f"/matching/runs/{run.pk}/"
    assert "Ursula" in http.get(f"/matching/runs/{run.pk}/").content.decode()


def test_the_running_page_takes_few_queries(
    cast: Cast, django_capture_on_commit_callbacks: Any, django_assert_max_num_queries: Any
) -> None:
    for _n in range(5):
        waiting(cast)
    run, _callbacks = _queued(cast, django_capture_on_commit_callbacks)
    http = signed_in(cast.coordinator)
    http.get(f"/matching/runs/{run.pk}/")
    with django_assert_max_num_queries(10):
        http.get(f"/matching/runs/{run.pk}/status/", headers={"HX-Request": "true"})
    with django_assert_max_num_queries(12):
        http.get(f"/matching/runs/{run.pk}/")


def test_only_coordinators_and_admins_see_the_status(cast: Cast) -> None:
    run = MatchRun.objects.create(started_at=timezone.now(), progress="Waiting to start")
    url = f"/matching/runs/{run.pk}/status/"
    hx = {"HX-Request": "true"}
    assert signed_in(cast.admin).get(url, headers=hx).status_code == 200
    assert signed_in(cast.facilitator).get(url, headers=hx).status_code == 403
    assert signed_in(cast.member).get(url, headers=hx).status_code == 404
    assert signed_in(cast.coordinator).get("/matching/runs/999999/status/").status_code == 404


# --- The API --------------------------------------------------------------------------------


def test_the_api_answers_202_with_the_run_s_url(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    waiting(cast)
    raw, _token = api_token_create(
        actor=cast.coordinator,
        name="Scheduler",
        scopes=[Scope.MATCHING_READ, Scope.MATCHING_WRITE],
    )
    api = HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api.post(RUNS, {}, content_type="application/json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "running"
    assert body["progress"] == "Waiting to start"
    assert body["url"] == f"http://testserver{RUNS}{body['id']}/"
    assert response["Location"] == body["url"]
    assert api.get(body["url"]).json()["status"] == "running"
    busy = api.post(RUNS, {}, content_type="application/json")
    assert busy.status_code == 409
    callbacks[0]()
    read = api.get(body["url"]).json()
    assert read["status"] == "finished"
    assert read["progress"] == ""
    assert len(read["lines"]) == 1
