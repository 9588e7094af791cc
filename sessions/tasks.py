"""Background work: waiting-list offers left unanswered pass to the next in line (supporters'
shifts and residents' class seats alike), cover requests ask on and close at their deadline,
and personal data is removed when due.

Like the SMS outbox (notifications.tasks) this needs no cron: each offer schedules a run of
`expire_due_offers` at its deadline (`run_after`), and each run schedules the next one for the
earliest offer still open, so a lost run is made up by the next offer's.
"""

import logging
from datetime import datetime

from django.db.models import Min
from django.tasks import task

from config.tasks import schedule_once
from sessions.models import Shift
from sessions.services import (
    advance_cover_rounds,
    expire_class_offers,
    expire_due_cover_requests,
    expire_offers,
)
from sessions.services.cover import next_cover_run_at
from sessions.services.registrations import (
    next_class_offer_deadline,
    next_registration_purge_at,
    purge_registrations_due,
)
from sessions.services.requests import next_purge_at, purge_due

logger = logging.getLogger(__name__)


@task()
def expire_due_offers() -> int:
    """Pass lapsed offers on (shifts, then class seats), then schedule the next run for the
    next deadline."""
    try:
        return expire_offers() + expire_class_offers()
    finally:
        schedule_offer_expiry(next_offer_deadline())


def next_offer_deadline() -> datetime | None:
    shifts = Shift.objects.open_offers().aggregate(first=Min("offer_expires_at"))["first"]
    return _earliest(shifts, next_class_offer_deadline())


def _earliest(*moments) -> datetime | None:
    known = [moment for moment in moments if moment is not None]
    return min(known) if known else None


def schedule_offer_expiry(at: datetime | None):
    """Make sure a worker runs `expire_due_offers` at `at` (database backend only)."""
    if at is None or not expire_due_offers.get_backend().supports_defer:
        return None  # e.g. the immediate backend in tests, which call expire_offers() directly
    return schedule_once(expire_due_offers, at)


@task()
def purge_personal_data() -> int:
    """Remove representatives' and class registrants' details that are due, then schedule the
    next run for when the next falls due (`purge_due`, `purge_registrations_due`)."""
    try:
        return purge_due() + purge_registrations_due()
    finally:
        schedule_purge(next_personal_data_purge_at())


def next_personal_data_purge_at() -> datetime | None:
    return _earliest(next_purge_at(), next_registration_purge_at())


def schedule_purge(at: datetime | None):
    """Make sure a worker runs `purge_personal_data` at `at` (database backend only)."""
    if at is None or not purge_personal_data.get_backend().supports_defer:
        return None
    return schedule_once(purge_personal_data, at)


@task()
def run_cover_requests() -> int:
    """Cover requests (issue 13): close those past their deadline, ask the next round where
    nobody answered in time; then schedule the next run for the next deadline or round."""
    try:
        return expire_due_cover_requests() + advance_cover_rounds()
    finally:
        schedule_cover_run(next_cover_run_at())


def schedule_cover_run(at: datetime | None):
    """Make sure a worker runs `run_cover_requests` at `at` (database backend only)."""
    if at is None or not run_cover_requests.get_backend().supports_defer:
        return None  # the immediate backend in tests, which call the services directly
    return schedule_once(run_cover_requests, at)
