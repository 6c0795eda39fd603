"""Task rows a killed worker left RUNNING are marked FAILED after the limit, with the
reason (scheduling/stale_tasks.py), by ``send_due_reminders``; nothing else changes."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kindred.scheduling.stale_tasks import RUNNING_LIMIT, fail_stale_tasks

pytestmark = pytest.mark.django_db


def row(status: str, started_ago: timedelta | None) -> DBTaskResult[Any, Any]:
    now = timezone.now()
    return DBTaskResult.objects.create(
        status=status,
        started_at=None if started_ago is None else now - started_ago,
        args_kwargs={"args": [[1, 2]], "kwargs": {}},
        task_path="kindred.scheduling.tasks.send_reminders",
        backend_name="default",
        run_after=now - timedelta(days=1),
        worker_ids=["killed-worker"] if started_ago is not None else [],
    )


def test_rows_running_past_the_limit_are_marked_failed_with_the_reason(settings: Any) -> None:
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}
    }
    lost = row(TaskResultStatus.RUNNING, RUNNING_LIMIT + timedelta(minutes=1))
    busy = row(TaskResultStatus.RUNNING, RUNNING_LIMIT - timedelta(minutes=1))
    waiting = row(TaskResultStatus.READY, None)
    done = row(TaskResultStatus.SUCCESSFUL, timedelta(days=2))
    assert fail_stale_tasks() == 1
    lost.refresh_from_db()
    assert lost.status == TaskResultStatus.FAILED
    assert lost.finished_at is not None
    assert lost.exception_class_path == "kindred.scheduling.stale_tasks.WorkerLost"
    assert "still RUNNING 1 h after it started" in lost.traceback
    assert lost.task_result.status == TaskResultStatus.FAILED  # django.tasks reads it
    for other, status in ((busy, "RUNNING"), (waiting, "READY"), (done, "SUCCESSFUL")):
        other.refresh_from_db()
        assert other.status == status
    assert fail_stale_tasks() == 0  # nothing left to do: safe to run again


def test_send_due_reminders_does_it_every_run() -> None:
    lost = row(TaskResultStatus.RUNNING, timedelta(hours=3))
    out = io.StringIO()
    call_command("send_due_reminders", "--no-plan", stdout=out)
    assert "marked failed: 1." in out.getvalue()
    lost.refresh_from_db()
    assert lost.status == TaskResultStatus.FAILED
