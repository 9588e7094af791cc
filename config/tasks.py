"""Recurring background work without cron: a task schedules its own next run.

The database task backend has no periodic tasks; the outbox and the waiting-list offers each
enqueue a run at the moment their next piece of work falls due (`run_after`).
"""

from datetime import datetime

from django.db.models import Q
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
