"""Recurring background work without cron: a task schedules its own next run.

The database task backend has no periodic tasks; the outbox and the waiting-list offers each
enqueue a run at the moment their next piece of work falls due (`run_after`).
"""

from datetime import datetime, timedelta

from django.db.models import Count, Min, Q
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max


def schedule_once(task, at: datetime | None = None):
    """Make sure a worker runs `task` at `at` (now if None or past); one waiting run suffices."""
    backend = task.get_backend()
    now = timezone.now()
    if at is not None and at <= now:
        at = None
    if at is not None and not backend.supports_defer:
        return None
    if already_scheduled(task, backend, at or now):
        return None
    return (task.using(run_after=at) if at else task).enqueue()


def already_scheduled(task, backend, at: datetime) -> bool:
    """A run waiting to start by `at` will see everything committed before it starts."""
    if not isinstance(backend, DatabaseBackend):
        return False
    return (
        DBTaskResult.objects.filter(
            status="READY", task_path=task.module_path, backend_name=backend.alias
        )
        .filter(Q(run_after=get_date_max()) | Q(run_after__lte=at))
        .exists()
    )


class WorkerLost(Exception):
    """The worker running a task stopped without saying how it ended (killed, or its machine)."""


def running_runs() -> dict:
    """Task runs marked running: `count`, and `oldest`, when the oldest started (or None).

    A worker killed with SIGKILL never marks its run finished, so old ones are most likely dead.
    """
    return DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).aggregate(
        count=Count("pk"), oldest=Min("started_at")
    )


def fail_stale_runs(older_than: timedelta, now: datetime | None = None) -> int:
    """Mark runs started longer than `older_than` ago and still "running" as failed; how many.

    Their work is safe either way (the outbox recovers claimed texts by itself): this only
    tidies the task table so that what is running can be told from what died.
    """
    now = now or timezone.now()
    error = WorkerLost(f"Still running after {older_than}: its worker is taken to have died.")
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=now - older_than
    ).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        return_value=None,
        exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
        traceback=f"{WorkerLost.__qualname__}: {error}",
    )
