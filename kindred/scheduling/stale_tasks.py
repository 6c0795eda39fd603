"""Task rows a stopped worker left RUNNING in django-tasks-db.

A ``db_worker`` killed mid-task (SIGKILL, out of memory, a host restart) never records
the outcome, so its ``django_tasks_db_dbtaskresult`` row stays RUNNING forever.
Nothing is lost by that: the tasks are written to be run again (reminders are claimed
row by row and ``reminders_reap`` resolves the half-sent ones), but the rows pile up
and make "running" meaningless. django-tasks-db itself offers no such clean-up (its
``prune_db_task_results`` deletes finished rows only), so ``send_due_reminders``, which
runs every minute, calls ``fail_stale_tasks``: rows RUNNING for longer than
``RUNNING_LIMIT`` are marked FAILED with ``WorkerLost`` and the reason as traceback,
which ``prune_db_task_results`` then removes like any other failed row.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

#: No task of Kindred's runs this long (a matching run, the longest, takes seconds to a
#: few minutes); a row RUNNING for longer belongs to a worker that is gone.
RUNNING_LIMIT = timedelta(hours=1)

REASON = (
    "Marked failed by kindred's send_due_reminders: still RUNNING {limit} after it "
    "started, so the worker that ran it was stopped before recording the outcome. The "
    "task's own work is resolved elsewhere (reminders: reminders_reap)."
)


class WorkerLost(Exception):
    """What a task row left RUNNING by a stopped worker is marked failed with."""


def fail_stale_tasks(*, now: datetime | None = None, limit: timedelta = RUNNING_LIMIT) -> int:
    """Mark task rows RUNNING for longer than ``limit`` as FAILED, with the reason.
    Returns how many. A conditional UPDATE: safe to run twice or alongside workers."""
    now = now or timezone.now()
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=now - limit
    ).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
        traceback=REASON.format(limit=_duration(limit)),
    )


def _duration(limit: timedelta) -> str:
    minutes = int(limit.total_seconds() // 60)
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"
