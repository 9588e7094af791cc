"""The outbox worker: claims due texts one by one, sends them, retries, and recovers from crashes.

Each message is claimed in its own committed transaction (status "sending", attempt counted)
before the provider is called, so a worker killed at any point leaves either a pending message
(sent later) or a sending one. A sending message older than the lease is checked with the
provider: marked sent if the provider has it, queued again if not. Nothing is lost or sent twice.
When the provider cannot be asked (SMS_LOOKUP_MAX_ATTEMPTS leases in a row) the message is left
"needs checking" for a coordinator, who can look at the provider's console and send it again.

Recurring work needs no cron: the task schedules its own next run (`run_after`) for the next due
message or lease expiry, and each claim also schedules a run at its lease's end in the same
transaction, so a worker dying mid-batch leaves a task behind that recovers its message; while
more texts are due, the claim also leaves a run ready now, which an idle worker takes at once.
"""

import logging
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Min, Q, When
from django.tasks import task
from django.utils import timezone

from config.tasks import schedule_once
from notifications.backends import (
    Accepted,
    BaseSmsBackend,
    PermanentSmsError,
    RecipientOptedOut,
    TransientSmsError,
    UncertainSmsError,
    get_backend,
)
from notifications.models import OutboundMessage
from notifications.planners import queue_planned_reminders
from notifications.quiet_hours import (
    ASKED_FOR_PURPOSES,
    earliest_send_time,
    end_of_quiet_hours,
    in_quiet_hours,
)
from notifications.services import OPT_OUT_EXEMPT_PURPOSES, is_opted_out, opt_out

logger = logging.getLogger(__name__)

Status = OutboundMessage.Status

BATCH_LIMIT = 200  # messages per run; the run then schedules the next one at once
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)


@task()
def send_due_sms() -> dict:
    """Recover stalled messages, send those due, and schedule the next run."""
    try:
        return run_outbox()
    finally:
        schedule_next_run()  # even after an error: the chain of runs must not break


def run_outbox(backend: BaseSmsBackend | None = None, *, limit: int = BATCH_LIMIT) -> dict:
    backend = backend or get_backend()
    reconciled = reconcile_stuck(backend)
    sent = send_due_messages(backend, limit=limit)
    return {"reconciled": reconciled, "sent": sent}


def send_due_messages(backend: BaseSmsBackend, *, limit: int = BATCH_LIMIT) -> int:
    """Send due messages until none is left or `limit` were tried; returns how many went out."""
    handled = sent = 0
    while handled < limit:
        message = claim_next()
        if message is None:
            break
        handled += 1
        if message.status == Status.SENDING and deliver(message, backend):
            sent += 1
    return sent


def claim_next() -> OutboundMessage | None:
    """Take the next due message for this worker, committed before anything is sent.

    PostgreSQL skips rows another worker has locked; SQLite runs this in an IMMEDIATE
    transaction (settings), one writer at a time. The conditional update is the claim itself.
    """
    now = timezone.now()
    with transaction.atomic():
        # Texts someone is waiting for (a sign-in code, a reply) pass a broadcast's hundreds.
        asked_first = Case(When(purpose__in=ASKED_FOR_PURPOSES, then=0), default=1)
        due = OutboundMessage.objects.sendable(now).order_by(asked_first, "send_after", "pk")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        # The next one too: whether more are waiting, at no extra query.
        candidates = list(due[:2])
        if not candidates:
            return None
        message, more = candidates[0], len(candidates) > 1
        if message.purpose not in OPT_OUT_EXEMPT_PURPOSES and is_opted_out(message.to):
            # Opted out after the text was queued.
            _finish(message, status=Status.CANCELLED, last_error="opted out")
            message.status = Status.CANCELLED
            return message
        claimed = OutboundMessage.objects.filter(pk=message.pk, status=Status.PENDING).update(
            status=Status.SENDING, attempts=F("attempts") + 1, failed_lookups=0, updated_at=now
        )
        if not claimed:
            message.status = Status.PENDING  # another worker won; move on
            return message
        # If this worker dies before recording the outcome, this run recovers the message.
        schedule_run(now + lease())
        if more:
            keep_a_run_waiting()
    message.status = Status.SENDING
    message.attempts += 1
    message.updated_at = now
    return message


def keep_a_run_waiting() -> None:
    """While texts are due, keep a run of the task ready for any idle worker.

    A worker killed mid-batch leaves no run behind but the one at its lease's end: without
    this, the texts after the one in flight (sign-in codes too) would wait up to a lease,
    however many workers stood idle. Two runs side by side are safe: each claim is its own.
    The immediate backend would run it inside this one: there whoever queues a text runs it.
    """
    if send_due_sms.get_backend().supports_defer:
        schedule_run()


def deliver(message: OutboundMessage, backend: BaseSmsBackend) -> bool:
    """Hand a claimed message to the provider and record what happened; True if it took it."""
    try:
        accepted = backend.send(message)
    except RecipientOptedOut as exc:
        logger.info("SMS %s: %s unsubscribed at the carrier", message.pk, message.to)
        with transaction.atomic():
            _finish(message, status=Status.FAILED, error_code=exc.code, last_error=str(exc))
            # As a STOP sent to us: later texts to the number are neither queued nor sent.
            opt_out(message.to, source="carrier")
    except PermanentSmsError as exc:
        logger.warning("SMS %s failed for good: %s", message.pk, exc)
        _finish(message, status=Status.FAILED, error_code=exc.code, last_error=str(exc))
    except TransientSmsError as exc:
        retry_later(message, exc)
    except UncertainSmsError as exc:
        # Maybe sent: left claimed, so the lease check asks the provider before sending again.
        logger.warning("SMS %s may or may not have gone: %s", message.pk, exc)
        OutboundMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
            error_code=exc.code, last_error=str(exc)
        )
    except Exception as exc:
        logger.exception("SMS %s: the backend broke; checked again after the lease", message.pk)
        OutboundMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
            last_error=repr(exc)
        )
    else:
        record_accepted(message, accepted)
        return True
    return False


def record_accepted(message: OutboundMessage, accepted: Accepted) -> None:
    now = timezone.now()
    fields = {"provider_id": accepted.provider_id, "sent_at": now, "updated_at": now}
    if accepted.segments:
        fields["segments"] = accepted.segments
    updated = OutboundMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=accepted.status, error_code="", last_error="", **fields
    )
    if not updated:
        # A status callback got here first and already moved the message on.
        OutboundMessage.objects.filter(pk=message.pk, provider_id__isnull=True).update(**fields)


def retry_later(message: OutboundMessage, exc: TransientSmsError) -> None:
    """Back off 1, 2, 4… minutes (capped at an hour), or fail after the last attempt."""
    if message.attempts >= settings.SMS_MAX_ATTEMPTS:
        logger.warning("SMS %s failed after %s attempts: %s", message.pk, message.attempts, exc)
        _finish(message, status=Status.FAILED, error_code=exc.code, last_error=str(exc))
        return
    delay = min(BACKOFF_BASE * 2 ** max(message.attempts - 1, 0), BACKOFF_CAP)
    next_at = earliest_send_time(timezone.now() + delay, message.purpose)
    OutboundMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=Status.PENDING,
        send_after=next_at,
        error_code=exc.code,
        last_error=str(exc),
        updated_at=timezone.now(),
    )


def _finish(message: OutboundMessage, *, status: str, error_code: str = "", last_error: str = ""):
    OutboundMessage.objects.filter(
        pk=message.pk, status__in=[Status.PENDING, Status.SENDING]
    ).update(status=status, error_code=error_code, last_error=last_error, updated_at=timezone.now())


def lease() -> timedelta:
    return timedelta(seconds=settings.SMS_SENDING_LEASE_SECONDS)


def reconcile_stuck(backend: BaseSmsBackend, *, limit: int = BATCH_LIMIT) -> int:
    """Settle messages claimed by a worker that never came back; returns how many."""
    settled = 0
    # Oldest claim first, so identical texts to one number match Twilio's records in order.
    for message in OutboundMessage.objects.stuck_sending().order_by("updated_at", "pk")[:limit]:
        claimed_at = message.updated_at
        # Take the message over by renewing its lease (compare-and-set on the claim time), so
        # two recovering workers never both resend it, without holding a lock over the lookup.
        now = timezone.now()
        mine = OutboundMessage.objects.filter(
            pk=message.pk, status=Status.SENDING, updated_at=claimed_at
        ).update(updated_at=now)
        if not mine:
            continue
        still_mine = OutboundMessage.objects.filter(
            pk=message.pk, status=Status.SENDING, updated_at=now
        )
        try:
            found = backend.find(message, claimed_at=claimed_at)
        except TransientSmsError as exc:
            logger.warning("SMS %s: cannot ask the provider yet: %s", message.pk, exc)
            settled += lookup_failed(message, still_mine, exc)
            continue
        except Exception as exc:
            logger.exception("SMS %s: the backend broke looking it up", message.pk)
            settled += lookup_failed(message, still_mine, exc)
            continue
        if found:
            logger.info("SMS %s had reached the provider as %s", message.pk, found.provider_id)
            record_accepted(message, found)
        elif message.attempts >= settings.SMS_MAX_ATTEMPTS:
            still_mine.update(
                status=Status.FAILED,
                error_code="lost",
                last_error="The worker stopped while sending, too many times.",
                updated_at=now,
            )
        else:
            logger.info("SMS %s never reached the provider: sending it again", message.pk)
            still_mine.update(status=Status.PENDING, send_after=now, updated_at=now)
        settled += 1
    return settled


def lookup_failed(message: OutboundMessage, still_mine, exc: Exception) -> int:
    """Count a failed check with the provider (tried again after another lease); after the
    last one, leave the message to a coordinator: it may have been delivered. 1 if it was."""
    failures = message.failed_lookups + 1
    if failures < settings.SMS_LOOKUP_MAX_ATTEMPTS:
        still_mine.update(failed_lookups=failures)
        return 0
    logger.warning("SMS %s: the provider could not be asked %s times", message.pk, failures)
    still_mine.update(
        status=Status.UNKNOWN,
        failed_lookups=failures,
        error_code=getattr(exc, "code", "lookup"),
        last_error=f"Could not ask the provider whether it has the text ({failures} tries): {exc}",
        updated_at=timezone.now(),
    )
    return 1


def next_run_at(now: datetime | None = None) -> datetime | None:
    """When the outbox next has work: a message due (after quiet hours) or a lease ending."""
    now = now or timezone.now()
    pending = OutboundMessage.objects.filter(status=Status.PENDING)
    times = pending.aggregate(
        asked=Min("send_after", filter=Q(purpose__in=ASKED_FOR_PURPOSES)),
        other=Min("send_after", filter=~Q(purpose__in=ASKED_FOR_PURPOSES)),
    )
    candidates = []
    if times["asked"]:
        candidates.append(times["asked"])
    if times["other"]:
        other = max(times["other"], now)
        candidates.append(end_of_quiet_hours(other) if in_quiet_hours(other) else other)
    claimed = OutboundMessage.objects.filter(status=Status.SENDING).aggregate(
        first=Min("updated_at")
    )["first"]
    if claimed:
        candidates.append(claimed + lease())
    return min(candidates) if candidates else None


def schedule_next_run() -> None:
    """Queue the task again for when there is next work (database backend only)."""
    if not send_due_sms.get_backend().supports_defer:
        return  # e.g. the immediate backend in tests: whoever queues a message runs it
    at = next_run_at()
    if at is not None:
        schedule_run(max(at, timezone.now() + timedelta(seconds=1)))


def schedule_run(at: datetime | None = None):
    """Make sure a worker runs the outbox at `at` (now if None or past); one run per moment."""
    return schedule_once(send_due_sms, at)


# Reminders planned by the day (notifications.planners) ------------------------------------------

# Once a day, in the morning after the quiet hours: when the office is open to take the call a
# reminder asks for.
DAILY_REMINDERS_AT = time(9, 0)


@task()
def send_due_reminders() -> int:
    """Queue the texts the registered planners want by today, then schedule tomorrow's run."""
    try:
        return queue_planned_reminders()
    finally:
        schedule_daily_reminders()  # even after an error: the chain of runs must not break


def next_daily_run_at(now: datetime | None = None) -> datetime:
    """Today's DAILY_REMINDERS_AT (Tokyo) if still to come, else tomorrow's."""
    local = timezone.localtime(now or timezone.now())
    at = datetime.combine(local.date(), DAILY_REMINDERS_AT, tzinfo=local.tzinfo)
    return at if at > local else at + timedelta(days=1)


def schedule_daily_reminders():
    """Make sure a worker runs `send_due_reminders` at the next DAILY_REMINDERS_AT (database
    backend only); a run already waiting is enough. Each run schedules the next, and an edit that
    plans a reminder (an insurance date) calls this too, so a lost run is made up."""
    if not send_due_reminders.get_backend().supports_defer:
        return None  # the immediate backend in tests, which call queue_planned_reminders()
    return schedule_once(send_due_reminders, next_daily_run_at())
