"""The outbox: every text the app sends is queued here, in the transaction that caused it."""

import logging
import re
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.errors import ServiceError
from notifications.models import OptOut, OutboundMessage
from notifications.quiet_hours import earliest_send_time
from notifications.segments import count_segments, estimate_cost
from notifications.texts import render_sms
from sessions.models import ClassRegistration, DispatchRequest, Session, Shift
from supporters.models import Supporter, User

logger = logging.getLogger(__name__)

Purpose = OutboundMessage.Purpose
Status = OutboundMessage.Status

# Texts that reach even a number that opted out: the sign-in code someone just asked for, and
# the answer to a text they just sent (STOP itself is answered with a confirmation).
OPT_OUT_EXEMPT_PURPOSES = (Purpose.SIGN_IN_CODE, Purpose.REPLY)

# The provider judges whether a number can take texts (Twilio error 21211 fails the message).
E164 = re.compile(r"\+[1-9]\d{6,14}")

# When reminders go out, Tokyo time: the evening before, and the morning of a shift.
EVENING_BEFORE = time(18, 0)
MORNING_OF = time(8, 0)


def is_opted_out(phone: str) -> bool:
    """True if the number replied STOP, or belongs to a supporter who turned texts off."""
    return (
        OptOut.objects.filter(phone=phone).exists()
        or User.objects.filter(phone=phone, supporter__sms_opt_in=False).exists()
    )


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

    Returns None, and queues nothing, for a number that opted out (except sign-in codes and
    replies). A text due in quiet hours waits for their end. The worker is nudged after commit.
    """
    if not E164.fullmatch(to):
        raise ValueError(f"Not a phone number in E.164 form: {to!r}")
    if purpose not in OPT_OUT_EXEMPT_PURPOSES and is_opted_out(to):
        logger.info("Not queueing %s to %s: the number opted out", key, to)
        return None
    fields = _outbox_fields(to, body, purpose, related, send_after, language)
    message, created = OutboundMessage.objects.get_or_create(idempotency_key=key, defaults=fields)
    if not created and message.status == Status.CANCELLED and message.sent_at is None:
        # Scheduled again after being called off (a session moved back): never sent, so reviving
        # it cannot send anything twice.
        for name, value in fields.items():
            setattr(message, name, value)
        message.status = Status.PENDING
        message.attempts = 0
        message.error_code = message.last_error = ""
        message.save()
    elif not created:
        return message
    when = message.send_after
    transaction.on_commit(lambda: _nudge_worker(when))
    return message


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


def _local_at(day, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=timezone.get_current_timezone())


def schedule_shift_reminders(shift: Shift) -> list[OutboundMessage]:
    """Queue a supporter's reminders: 18:00 the evening before and the morning of the shift."""
    session = shift.session
    phone = shift.supporter.user.phone
    if shift.status != Shift.Status.SIGNED_UP or session.is_cancelled or not phone:
        return []
    day = timezone.localdate(session.starts_at)
    stamp = _stamp(session)
    plan = [
        ("day-before", "shift_evening_before", _local_at(day - timedelta(days=1), EVENING_BEFORE)),
        ("morning-of", "shift_morning_of", _local_at(day, MORNING_OF)),
    ]
    queued = []
    for kind, template, send_at in plan:
        if send_at <= timezone.now() or send_at >= session.starts_at:
            continue  # too late for this one: the sign-up confirmation told them
        body = render_sms(
            template,
            shift.supporter.user.language,
            moment=session.starts_at,
            place=session.place_label,
        )
        message = queue_sms(
            phone,
            body,
            purpose=Purpose.REMINDER,
            key=f"reminder:shift:{shift.pk}:{kind}@{stamp}",
            related=shift,
            send_after=send_at,
            language=shift.supporter.user.language,
        )
        if message:
            queued.append(message)
    return queued


def schedule_registration_reminder(registration: ClassRegistration) -> OutboundMessage | None:
    """Queue a class registrant's reminder for 18:00 the day before the class."""
    session = registration.session
    if registration.status != ClassRegistration.Status.REGISTERED or session.is_cancelled:
        return None
    send_at = _local_at(timezone.localdate(session.starts_at) - timedelta(days=1), EVENING_BEFORE)
    if send_at <= timezone.now():
        return None
    body = render_sms(
        "registration_day_before",
        registration.language,
        moment=session.starts_at,
        place=session.place_label,
        title=session.title or session.get_kind_display(),
        reference=registration.reference,
    )
    return queue_sms(
        registration.phone,
        body,
        purpose=Purpose.REMINDER,
        key=f"reminder:registration:{registration.pk}:day-before@{_stamp(session)}",
        related=registration,
        send_after=send_at,
        language=registration.language,
    )


def schedule_dispatch_reminder(request: DispatchRequest) -> OutboundMessage | None:
    """Queue a group representative's reminder for 18:00 the day before the visit."""
    session = request.session
    if request.status != DispatchRequest.Status.SCHEDULED or not session or session.is_cancelled:
        return None
    send_at = _local_at(timezone.localdate(session.starts_at) - timedelta(days=1), EVENING_BEFORE)
    if send_at <= timezone.now():
        return None
    body = render_sms(
        "dispatch_day_before",
        request.preferred_language,
        moment=session.starts_at,
        place=request.place_name,
        reference=request.reference,
    )
    return queue_sms(
        request.representative_phone,
        body,
        purpose=Purpose.REMINDER,
        key=f"reminder:dispatch:{request.pk}:day-before@{_stamp(session)}",
        related=request,
        send_after=send_at,
        language=request.preferred_language,
    )


def _stamp(session: Session) -> str:
    # Part of each reminder's key: the same reminder for the same start is one message, and a
    # session moved to another time gets reminders of its own.
    return timezone.localtime(session.starts_at).strftime("%Y-%m-%dT%H:%M")


def reschedule_for_session(session: Session) -> int:
    """After a session is cancelled or moved: call off its pending reminders, and for a moved
    session queue them again for the new time. Returns how many are now pending."""
    shifts = list(
        Shift.objects.filter(session=session, status=Shift.Status.SIGNED_UP).select_related(
            "supporter__user"
        )
    )
    registrations = list(
        ClassRegistration.objects.filter(
            session=session, status=ClassRegistration.Status.REGISTERED
        )
    )
    requests = list(DispatchRequest.objects.filter(session=session))
    for related in (
        Shift.objects.filter(session=session),
        ClassRegistration.objects.filter(session=session),
        DispatchRequest.objects.filter(session=session),
    ):
        cancel_pending(related, purpose=Purpose.REMINDER)
    if session.is_cancelled:
        return 0
    messages = []
    for shift in shifts:
        shift.session = session
        messages += schedule_shift_reminders(shift)
    for registration in registrations:
        registration.session = session
        messages.append(schedule_registration_reminder(registration))
    for request in requests:
        request.session = session
        messages.append(schedule_dispatch_reminder(request))
    return sum(1 for message in messages if message and message.status == Status.PENDING)


def refresh_reminders(obj: ClassRegistration | DispatchRequest) -> OutboundMessage | None:
    """Bring one registration's or request's pending reminder in line with it after an edit."""
    cancel_pending(obj, purpose=Purpose.REMINDER)
    if isinstance(obj, ClassRegistration):
        return schedule_registration_reminder(obj)
    return schedule_dispatch_reminder(obj)


# Coordinators' broadcasts --------------------------------------------------------------------

# What a coordinator may type: with the office's signature, at most 7 parts in Japanese.
BROADCAST_MAX_LENGTH = 400


class BroadcastError(ServiceError):
    """A broadcast the rules refuse. `code`: no_recipients."""

    MESSAGES = {
        "no_recipients": _("None of the chosen supporters can get texts: nothing was sent."),
    }

    def __init__(self, code: str, message=None):
        super().__init__(code, message or self.MESSAGES.get(code))


def broadcast_recipients(
    *, everyone: bool = False, districts=(), skills=(), session=None, supporters=()
):
    """The supporters a broadcast is for, each once, whoever picked them several ways.

    Every active supporter (`everyone`), or the active ones in any of `districts` with any of
    `skills`; plus everyone on `session`'s roster, waiting list included; plus `supporters`.
    """
    chosen = Q(pk__in=[getattr(supporter, "pk", supporter) for supporter in supporters])
    active = Supporter.objects.active()
    if everyone:
        chosen |= Q(pk__in=active.values("pk"))
    elif districts or skills:
        matching = active
        if districts:
            matching = matching.filter(district__in=districts)
        if skills:
            matching = matching.filter(skills__in=skills)
        chosen |= Q(pk__in=matching.values("pk"))
    if session is not None:
        roster = Shift.objects.filter(session=session).active()
        chosen |= Q(pk__in=roster.values("supporter_id"))
    return Supporter.objects.filter(chosen).select_related("user")


def _reachable(supporters) -> tuple[list[Supporter], int]:
    """The supporters who take texts, and how many others were left out, in two queries.

    The same rule as `is_opted_out`, for many supporters at once.
    """
    if isinstance(supporters, QuerySet):
        supporters = supporters.select_related("user")
    chosen = list(supporters)
    phones = [supporter.user.phone for supporter in chosen if supporter.user.phone]
    opted_out = set(OptOut.objects.filter(phone__in=phones).values_list("phone", flat=True))
    reachable = [
        supporter
        for supporter in chosen
        if supporter.user.phone and supporter.sms_opt_in and supporter.user.phone not in opted_out
    ]
    return reachable, len(chosen) - len(reachable)


def queue_broadcast(supporters, message: str, *, key: str) -> list[OutboundMessage]:
    """Queue a coordinator's message to each chosen supporter who takes texts.

    A fixed number of queries however many are chosen: one insert for all, one nudge.
    """
    reachable, _skipped = _reachable(supporters)
    queued = [
        OutboundMessage(
            idempotency_key=f"broadcast:{key}:supporter:{supporter.pk}",
            **_outbox_fields(
                supporter.user.phone,
                render_sms("broadcast", supporter.user.language, message=message),
                Purpose.BROADCAST,
                supporter,
                None,
                supporter.user.language,
            ),
        )
        for supporter in reachable
    ]
    # The same key again (a form sent twice) adds nothing: the idempotency key is unique.
    OutboundMessage.objects.bulk_create(queued, ignore_conflicts=True)
    if queued:
        first = min(sms.send_after for sms in queued)
        transaction.on_commit(lambda: _nudge_worker(first))
    return queued


def preview_broadcast(supporters, message: str) -> dict:
    """What a broadcast would send, before it is sent, in a fixed number of queries.

    `recipients` and `skipped` (no phone, or texts turned off), `segments` in all and the
    estimated `cost`; `texts`: each recipients' language with its text, its parts per message
    and how many get it, the most common first.
    """
    reachable, skipped = _reachable(supporters)
    texts = {}
    for supporter in reachable:
        language = supporter.user.language
        if language not in texts:
            body = render_sms("broadcast", language, message=message)
            texts[language] = {
                "language": language,
                "text": body,
                "segments": count_segments(body),
                "recipients": 0,
            }
        texts[language]["recipients"] += 1
    segments = sum(text["segments"] * text["recipients"] for text in texts.values())
    return {
        "recipients": len(reachable),
        "skipped": skipped,
        "segments": segments,
        "cost": estimate_cost(segments),
        "texts": sorted(texts.values(), key=lambda text: (-text["recipients"], text["language"])),
    }


def send_broadcast(supporters, message: str, *, key: str, by=None) -> dict:
    """Queue a coordinator's broadcast to the chosen supporters who take texts.

    The same `key` queues it once, however often it is submitted. Returns `recipients`,
    `skipped`, `segments` and `cost` of what was queued.
    """
    reachable, skipped = _reachable(supporters)
    if not reachable:
        raise BroadcastError("no_recipients")
    with transaction.atomic():
        queued = queue_broadcast(reachable, message, key=key)
    segments = sum(sms.segments for sms in queued)
    logger.info(
        "Broadcast %s: %s texts queued by user %s", key, len(queued), getattr(by, "pk", None)
    )
    return {
        "recipients": len(queued),
        "skipped": skipped + len(reachable) - len(queued),
        "segments": segments,
        "cost": estimate_cost(segments),
    }


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
    """Stop all texts to `phone` but sign-in codes and replies, including those already queued."""
    OptOut.objects.get_or_create(phone=phone, defaults={"source": source})
    Supporter.objects.filter(user__phone=phone, sms_opt_in=True).update(
        sms_opt_in=False, updated_at=timezone.now()
    )
    OutboundMessage.objects.filter(to=phone, status=Status.PENDING).exclude(
        purpose__in=OPT_OUT_EXEMPT_PURPOSES
    ).update(status=Status.CANCELLED, last_error="opted out", updated_at=timezone.now())


def opt_in(phone: str) -> None:
    """Resume texts to `phone` (START)."""
    OptOut.objects.filter(phone=phone).delete()
    Supporter.objects.filter(user__phone=phone, sms_opt_in=False).update(
        sms_opt_in=True, updated_at=timezone.now()
    )


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
