"""Background work for shifts: waiting-list offers left unanswered pass to the next in line.

Like the SMS outbox (notifications.tasks) this needs no cron: each offer schedules a run of
`expire_due_offers` at its deadline (`run_after`), and each run schedules the next one for the
earliest offer still open, so a lost run is made up by the next offer's.
"""

import logging
from datetime import datetime

from django.db.models import Min, Q
from django.tasks import task
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from sessions.models import Shift
from sessions.services import expire_offers

logger = logging.getLogger(__name__)


@task()
def expire_due_offers() -> int:
    """Pass lapsed offers on, then schedule the next run for the next deadline."""
    try:
        return expire_offers()
    finally:
        schedule_offer_expiry(next_offer_deadline())


def next_offer_deadline() -> datetime | None:
    return Shift.objects.open_offers().aggregate(first=Min("offer_expires_at"))["first"]


def schedule_offer_expiry(at: datetime | None):
    """Make sure a worker runs `expire_due_offers` at `at` (database backend only)."""
    if at is None:
        return None
    backend = expire_due_offers.get_backend()
    if not backend.supports_defer:
        return None  # e.g. the immediate backend in tests, which call expire_offers() directly
    if at <= timezone.now():
        at = None
    if _already_scheduled(backend, at or timezone.now()):
        return None
    return (expire_due_offers.using(run_after=at) if at else expire_due_offers).enqueue()


def _already_scheduled(backend, at: datetime) -> bool:
    """A run waiting to start by `at` passes on everything lapsed by then, and reschedules."""
    if not isinstance(backend, DatabaseBackend):
        return False
    return (
        DBTaskResult.objects.filter(
            status="READY", task_path=expire_due_offers.module_path, backend_name=backend.alias
        )
        .filter(Q(run_after=get_date_max()) | Q(run_after__lte=at))
        .exists()
    )
