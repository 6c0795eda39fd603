"""Background work for data rights: a member's own-data PDF, asked for on the "Your data"
page or the API, is prepared here so a large one never has to fit in a web request. The
task takes the job's id and calls a function that is safe to run twice
(``selfexport.selfexport_run``)."""

from __future__ import annotations

from django.tasks import task

from kindred.datarights.selfexport import selfexport_run


@task(queue_name="default")
def build_self_export(job_id: int) -> dict[str, object]:
    """Prepare the member's file for job ``job_id`` and keep it encrypted; returns its
    status (never any of its content)."""
    job = selfexport_run(job_id)
    return {"job": job_id, "status": job.status if job is not None else "missing"}
