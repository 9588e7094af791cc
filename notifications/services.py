"""The outbox: every text the app sends is queued here, in the transaction that caused it."""

import logging
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.errors import ServiceError
from notifications import signals
from notifications.models import OptOut, OutboundMessage
from notifications.quiet_hours import earliest_send_time
from notifications.recipients import blocked_numbers
from notifications.replies import E164
from notifications.segments import count_segments, estimate_cost
from supporters.phones import is_landline

logger = logging.getLogger(__name__)

Purpose = OutboundMessage.Purpose
Status = OutboundMessage.Status

# Texts that reach even a number that opted out: the sign-in code someone just asked for, and
# the answer to a text they just sent (STOP itself is answered with a confirmation).
OPT_OUT_EXEMPT_PURPOSES = (Purpose.SIGN_IN_CODE, Purpose.REPLY)

# A path without the site's address ("/offers/1958/"), which a phone cannot open: every link in
# a text is absolute (`absolute_url`). Not a date's slash (3/10) nor one inside a full URL.
RELATIVE_LINK = re.compile(r"(?<![\w/:.])/[\w-]+/")


class Sms(NamedTuple):
    """One text to queue with `queue_sms_many`; the fields are `queue_sms`'s arguments."""

    to: str
    body: str
    purpose: str
    key: str
    related: Any = None
    send_after: datetime | None = None
    language: str = "ja"


def absolute_url(path: str) -> str:
    """The link to `path` ("/offers/12/") that a phone can open: the site's public address."""
    return f"{settings.PUBLIC_URL}{path}"


def opted_out_among(phones: Iterable[str]) -> set[str]:
    """The numbers among `phones` that replied STOP, or whose owner turned texts off (the apps'
    recipient filters): one query, and one per filter."""
    phones = set(phones)
    if not phones:
        return set()
    stopped = set(OptOut.objects.filter(phone__in=phones).values_list("phone", flat=True))
    return stopped | blocked_numbers(phones - stopped)


def is_opted_out(phone: str) -> bool:
    """True if the number replied STOP, or its owner turned texts off."""
    return phone in opted_out_among([phone])


def has_relative_link(text: str) -> bool:
    """Whether `text` holds a link without the site's address ("/offers/12/")."""
    return bool(RELATIVE_LINK.search(text))


def _check_text(to: str, body: str) -> None:
    if not E164.fullmatch(to):
        raise ValueError(f"Not a phone number in E.164 form: {to!r}")
    if has_relative_link(body):
        raise ValueError(f"A text with a relative link, which phones cannot open: {body!r}")


def queue_sms(
    to: str,
    body: str,
    *,
    purpose: str,
    key: str,
    related=None,
    send_after: datetime | None = None,
    language: str = "ja",
) -> OutboundMessage | None:
    """Put one text in the outbox in the caller's transaction; the same `key` makes one message.

    Returns None, and queues nothing, for a landline or a number that opted out (except
    sign-in codes and replies). A text due in quiet hours waits for their end. The worker is
    nudged after commit. Refuses (ValueError) a number not in E.164 or a relative link.
    """
    queued = queue_sms_many([Sms(to, body, purpose, key, related, send_after, language)])
    return queued[0] if queued else None


def queue_sms_many(messages: Iterable[Sms]) -> list[OutboundMessage]:
    """Queue many texts at once, as `queue_sms` does one, in a fixed number of queries.

    One opt-out lookup, one insert (a key already in the outbox adds nothing), one read back,
    one update reviving those called off before they were sent, one nudge of the worker.
    Landlines and numbers that opted out are skipped. Returns the texts that may go out, as
    stored (an existing key's message as it is, like `queue_sms`).
    """
    messages = list(messages)
    for sms in messages:
        _check_text(sms.to, sms.body)
    landlines = {sms.to for sms in messages if is_landline(sms.to)}
    for sms in messages:
        if sms.to in landlines:
            logger.info("Not queueing %s to %s: a landline takes no texts", sms.key, sms.to)
    opted_out = opted_out_among(
        sms.to
        for sms in messages
        if sms.to not in landlines and sms.purpose not in OPT_OUT_EXEMPT_PURPOSES
    )
    rows = {}
    for sms in messages:
        if sms.to in landlines or sms.key in rows:
            continue
        if sms.purpose not in OPT_OUT_EXEMPT_PURPOSES and sms.to in opted_out:
            logger.info("Not queueing %s to %s: the number opted out", sms.key, sms.to)
            continue
        fields = _outbox_fields(
            sms.to, sms.body, sms.purpose, sms.related, sms.send_after, sms.language
        )
        rows[sms.key] = OutboundMessage(idempotency_key=sms.key, **fields)
    if not rows:
        return []
    # The same key again (a form sent twice, a task run again) adds nothing: the key is unique.
    OutboundMessage.objects.bulk_create(rows.values(), ignore_conflicts=True)
    stored = {
        message.idempotency_key: message
        for message in OutboundMessage.objects.filter(idempotency_key__in=list(rows))
    }
    _revive_cancelled(stored, rows)
    first = min(row.send_after for row in rows.values())
    transaction.on_commit(lambda: _nudge_worker(first))
    return [stored[key] for key in rows if key in stored]


REVIVED_FIELDS = [
    *("to", "body", "purpose", "language", "segments", "send_after", "content_type"),
    *("object_id", "status", "attempts", "error_code", "last_error", "updated_at"),
]


def _revive_cancelled(stored: dict, rows: dict) -> None:
    """As `queue_sms`: a text called off and never sent (a session moved back) is scheduled
    again, in one update; reviving it cannot send anything twice."""
    now = timezone.now()
    revived = []
    for key, message in stored.items():
        if message.status != Status.CANCELLED or message.sent_at is not None:
            continue
        for name in REVIVED_FIELDS:
            setattr(message, name, getattr(rows[key], name))
        message.status, message.attempts = Status.PENDING, 0
        message.error_code = message.last_error = ""
        message.updated_at = now
        revived.append(message)
    if revived:
        OutboundMessage.objects.bulk_update(revived, REVIVED_FIELDS)


def _outbox_fields(to, body, purpose, related, send_after, language) -> dict:
    """An outbox row's fields: its parts counted, its time moved out of the quiet hours."""
    now = timezone.now()
    return {
        "to": to,
        "body": body,
        "purpose": purpose,
        "language": language,
        "segments": count_segments(body),
        "send_after": earliest_send_time(max(send_after or now, now), purpose),
        "content_type": ContentType.objects.get_for_model(related) if related else None,
        "object_id": related.pk if related else None,
    }


def _nudge_worker(when: datetime) -> None:
    from notifications.tasks import schedule_run  # the task module imports this one

    schedule_run(when)


def cancel_pending(related, purpose: str | None = None) -> int:
    """Call off the texts about `related` (an object or a queryset) still waiting; how many."""
    pending = OutboundMessage.objects.about(related)
    if purpose:
        pending = pending.filter(purpose=purpose)
    return pending.cancel()


# The coordinators' outbox ------------------------------------------------------------------


def retry_failed(messages) -> int:
    """Put failed or unchecked messages back in the queue, due now (a coordinator's retry);
    returns how many.

    Sign-in codes are not retried (see `OutboundMessage.is_retryable`). Opt-outs are checked
    again when each is sent.
    """
    now = timezone.now()
    count = messages.retryable().update(
        status=Status.PENDING,
        send_after=now,
        attempts=0,
        error_code="",
        last_error="",
        updated_at=now,
    )
    if count:
        transaction.on_commit(lambda: _nudge_worker(now))
    return count


class OutboxError(ServiceError):
    """A change to the outbox the rules refuse. `code`: not_retryable."""

    MESSAGES = {
        "not_retryable": _(
            "Only a failed text, or one that needs checking, can be sent again, and never a "
            "sign-in code."
        ),
    }

    def __init__(self, code: str, message=None):
        super().__init__(code, message or self.MESSAGES.get(code))


def retry_message(message: OutboundMessage) -> OutboundMessage:
    """Queue one failed text again (the outbox page and the API), or refuse."""
    if not retry_failed(OutboundMessage.objects.filter(pk=message.pk)):
        raise OutboxError("not_retryable")
    message.refresh_from_db()
    return message


def mark_read(messages) -> int:
    """Mark incoming texts as read by a coordinator; returns how many were unread."""
    return messages.filter(is_read=False).update(is_read=True)


def usage_by_month(months: int = 12) -> list[dict]:
    """Per month sent (Tokyo time), newest first: `month` (its first day), `messages`,
    `segments` and the estimated `cost`. Summed in the database: one query."""
    return [
        {
            "month": row["month"].date(),
            "messages": row["messages"],
            "segments": row["segments"],
            "cost": estimate_cost(row["segments"]),
        }
        for row in OutboundMessage.objects.usage_by_month()[:months]
    ]


def opt_out(phone: str, *, source: str = "sms") -> None:
    """Stop all texts to `phone` but sign-in codes and replies, including those already queued.

    Apps that know the number's owner hear of it (`signals.opted_out`).
    """
    OptOut.objects.get_or_create(phone=phone, defaults={"source": source})
    signals.opted_out.send(sender=OptOut, phone=phone, source=source)
    OutboundMessage.objects.filter(to=phone, status=Status.PENDING).exclude(
        purpose__in=OPT_OUT_EXEMPT_PURPOSES
    ).update(status=Status.CANCELLED, last_error="opted out", updated_at=timezone.now())


def opt_in(phone: str, *, source: str = "sms") -> None:
    """Resume texts to `phone` (START); apps that know its owner hear of it (`signals.opted_in`)."""
    OptOut.objects.filter(phone=phone).delete()
    signals.opted_in.send(sender=OptOut, phone=phone, source=source)


def outbox_summary(now: datetime | None = None) -> dict:
    """The queue at a glance: due now, waiting, sending (and stuck), failed, needing a check
    (`unknown`), and the oldest due age."""
    now = now or timezone.now()
    messages = OutboundMessage.objects
    oldest_due = messages.sendable(now).aggregate(first=Min("send_after"))["first"]
    counts = messages.aggregate(
        waiting=Count("pk", filter=Q(status=Status.PENDING)),
        sending=Count("pk", filter=Q(status=Status.SENDING)),
        failed=Count("pk", filter=Q(status=Status.FAILED)),
        unknown=Count("pk", filter=Q(status=Status.UNKNOWN)),
    )
    return {
        "due": messages.sendable(now).count(),
        **counts,
        "stuck": messages.stuck_sending(now).count(),
        "oldest_due_age": now - oldest_due if oldest_due else None,
    }


def outbox_problem(now: datetime | None = None) -> str | None:
    """Why the outbox looks stalled (for /healthz), or None when it is moving.

    Health checks poll this often: two indexed lookups, never a count over the whole outbox.
    """
    now = now or timezone.now()
    limit = timedelta(minutes=settings.SMS_STALLED_AFTER_MINUTES)
    oldest_due = OutboundMessage.objects.sendable(now).aggregate(first=Min("send_after"))["first"]
    if oldest_due is not None and now - oldest_due > limit:
        minutes = int((now - oldest_due).total_seconds() // 60)
        return f"SMS outbox stalled: a due message has waited {minutes} min (is a worker running?)"
    stuck = OutboundMessage.objects.stuck_sending(now - limit).count()
    if stuck:
        return f"SMS outbox stalled: {stuck} message(s) stuck in sending (is a worker running?)"
    return None


def outbox_warning() -> str | None:
    """Texts left for a coordinator to check (for /healthz: worth a look, but nothing is down)."""
    unknown = OutboundMessage.objects.filter(status=Status.UNKNOWN).count()
    if unknown:
        return (
            f"SMS outbox: {unknown} message(s) need checking: the provider could not say "
            "whether they were sent (see the outbox page)"
        )
    return None
