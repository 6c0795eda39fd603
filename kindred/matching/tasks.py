"""Background work for matching: a run claimed by the page or the API is solved here, so
a run over a long waitlist never has to fit in a web request. The task takes the run's id
and calls a function that is safe to run twice (``services.match_run_execute``)."""

from __future__ import annotations

from django.tasks import task

from kindred.matching.services import match_run_execute


@task(queue_name="default")
def run_matching(run_id: int) -> dict[str, object]:
    """Solve the claimed run ``run_id`` and store its proposal; returns its status."""
    run = match_run_execute(run_id)
    return {"run": run_id, "status": run.status if run is not None else "missing"}
