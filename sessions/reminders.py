"""Reminders before a session: for supporters on its roster, class registrants and a group's
representative, queued through the outbox in one go (`queue_sms_many`).

They go out at fixed Tokyo times: 18:00 the evening before, and 08:00 the morning of a shift.
"""

from datetime import datetime, time, timedelta

from django.utils import timezone

from notifications.models import OutboundMessage
from notifications.services import Sms, cancel_pending, queue_sms_many
from sessions.models import ClassRegistration, DispatchRequest, Session, Shift
from sessions.texts import render_registration_sms, render_sms

REMINDER = OutboundMessage.Purpose.REMINDER

EVENING_BEFORE = time(18, 0)
MORNING_OF = time(8, 0)


def _local_at(day, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=timezone.get_current_timezone())


def _stamp(session: Session) -> str:
    # Part of each reminder's key: the same reminder for the same start is one message, and a
    # session moved to another time gets reminders of its own.
    return timezone.localtime(session.starts_at).strftime("%Y-%m-%dT%H:%M")


def _evening_before(session: Session) -> datetime:
    return _local_at(timezone.localdate(session.starts_at) - timedelta(days=1), EVENING_BEFORE)


def shift_reminders(shift: Shift) -> list[Sms]:
    """A supporter's reminders still to come: 18:00 the evening before and the morning of."""
    session = shift.session
    user = shift.supporter.user
    if shift.status != Shift.Status.SIGNED_UP or session.is_cancelled or not user.phone:
        return []
    day = timezone.localdate(session.starts_at)
    plan = [
        ("day-before", "shift_evening_before", _evening_before(session)),
        ("morning-of", "shift_morning_of", _local_at(day, MORNING_OF)),
    ]
    return [
        Sms(
            user.phone,
            render_sms(
                template, user.language, moment=session.starts_at, place=session.place_label
            ),
            REMINDER,
            f"reminder:shift:{shift.pk}:{kind}@{_stamp(session)}",
            related=shift,
            send_after=send_at,
            language=user.language,
        )
        for kind, template, send_at in plan
        # Too late for one: the sign-up confirmation told them.
        if timezone.now() < send_at < session.starts_at
    ]


def registration_reminders(registration: ClassRegistration) -> list[Sms]:
    """A class registrant's reminder for 18:00 the day before the class, if still to come."""
    session = registration.session
    send_at = _evening_before(session)
    if (
        registration.status != ClassRegistration.Status.REGISTERED
        or session.is_cancelled
        or send_at <= timezone.now()
    ):
        return []
    body = render_registration_sms("registration_day_before", registration)
    key = f"reminder:registration:{registration.pk}:day-before@{_stamp(session)}"
    return [
        Sms(registration.phone, body, REMINDER, key, registration, send_at, registration.language)
    ]


def dispatch_reminders(request: DispatchRequest) -> list[Sms]:
    """A group representative's reminder for 18:00 the day before the visit, if still to come."""
    session = request.session
    if request.status != DispatchRequest.Status.SCHEDULED or not session or session.is_cancelled:
        return []
    send_at = _evening_before(session)
    if send_at <= timezone.now():
        return []
    body = render_sms(
        "dispatch_day_before",
        request.preferred_language,
        moment=session.starts_at,
        place=request.place_name,
        reference=request.reference,
    )
    key = f"reminder:dispatch:{request.pk}:day-before@{_stamp(session)}"
    language = request.preferred_language
    return [Sms(request.representative_phone, body, REMINDER, key, request, send_at, language)]


def schedule_shift_reminders(shift: Shift) -> list[OutboundMessage]:
    """Queue a supporter's reminders: 18:00 the evening before and the morning of the shift."""
    return queue_sms_many(shift_reminders(shift))


def schedule_registration_reminder(registration: ClassRegistration) -> OutboundMessage | None:
    """Queue a class registrant's reminder for 18:00 the day before the class."""
    return next(iter(queue_sms_many(registration_reminders(registration))), None)


def schedule_dispatch_reminder(request: DispatchRequest) -> OutboundMessage | None:
    """Queue a group representative's reminder for 18:00 the day before the visit."""
    return next(iter(queue_sms_many(dispatch_reminders(request))), None)


def reschedule_for_session(session: Session) -> int:
    """After a session is cancelled or moved: call off its pending reminders, and for a moved
    session queue them again for the new time, all at once. Returns how many are now pending."""
    for related in (
        Shift.objects.filter(session=session),
        ClassRegistration.objects.filter(session=session),
        DispatchRequest.objects.filter(session=session),
    ):
        cancel_pending(related, purpose=REMINDER)
    if session.is_cancelled:
        return 0
    texts = []
    shifts = Shift.objects.filter(session=session, status=Shift.Status.SIGNED_UP)
    for shift in shifts.select_related("supporter__user"):
        shift.session = session
        texts += shift_reminders(shift)
    registrations = ClassRegistration.objects.filter(
        session=session, status=ClassRegistration.Status.REGISTERED
    )
    for registration in registrations:
        registration.session = session
        texts += registration_reminders(registration)
    for request in DispatchRequest.objects.filter(session=session):
        request.session = session
        texts += dispatch_reminders(request)
    queued = queue_sms_many(texts)
    return sum(1 for message in queued if message.status == OutboundMessage.Status.PENDING)


def refresh_reminders(obj: ClassRegistration | DispatchRequest) -> OutboundMessage | None:
    """Bring one registration's or request's pending reminder in line with it after an edit."""
    cancel_pending(obj, purpose=REMINDER)
    if isinstance(obj, ClassRegistration):
        return schedule_registration_reminder(obj)
    return schedule_dispatch_reminder(obj)
