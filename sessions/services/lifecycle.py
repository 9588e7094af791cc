"""A session's life: cancelled or moved by a coordinator, and held once it took place."""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.errors import ServiceError
from notifications.models import OutboundMessage
from notifications.services import Sms, cancel_pending, queue_sms_many
from sessions.models import (
    ClassRegistration,
    DispatchInvitation,
    DispatchRequest,
    Session,
    Shift,
)
from sessions.reminders import reschedule_for_session
from sessions.services.rules import bump_calendar_sequence, lock_session
from sessions.texts import render_sms

logger = logging.getLogger(__name__)


class SessionError(ServiceError):
    """A change to a session the rules refuse. `code`: not_scheduled, cancelled, invalid,
    not_started, held_cancelled, not_cancelled, started."""

    MESSAGES = {
        "not_scheduled": _("Only a scheduled session can be cancelled."),
        "cancelled": _("A cancelled session cannot be moved."),
        "invalid": _("A session must end after it starts."),
        "not_started": _("A session can be marked as held only once it has started."),
        "held_cancelled": _("A cancelled session cannot be marked as held."),
        "not_cancelled": _("Only a cancelled session can be reinstated."),
        "started": _("A session that has started cannot be reinstated."),
    }


def mark_held(session, *, by) -> Session:
    """Record that a session took place: the one way a session becomes "held".

    Refused for a session that has not started (the annual figures count held sessions) or
    that was cancelled; marking a held session again changes nothing.
    """
    with transaction.atomic():
        session = lock_session(session.pk)
        if session.is_cancelled:
            raise SessionError("held_cancelled")
        if not session.has_started:
            raise SessionError("not_started")
        if session.status != Session.Status.HELD:
            session.status = Session.Status.HELD
            session.save(update_fields=["status", "updated_at"])
            logger.info("Session %s marked held by user %s", session.pk, getattr(by, "pk", None))
    return session


def mark_all_held(sessions, *, by) -> int:
    """`mark_held` for many sessions in one UPDATE (the demo's history); returns how many
    became held. Those that have not started or were cancelled are left as they are."""
    now = timezone.now()
    done = (
        Session.objects.filter(pk__in=sessions.values("pk"), starts_at__lte=now)
        .exclude(status=Session.Status.CANCELLED)
        .exclude(status=Session.Status.HELD)
        .update(status=Session.Status.HELD, updated_at=now)
    )
    logger.info("%s sessions marked held by user %s", done, getattr(by, "pk", None))
    return done


def cancel_session(session, *, by, reason: str = "") -> Session:
    """Call off a scheduled session: its pending reminders and offers are cancelled, calendars
    get a new revision, and everyone taking part is texted (supporters on the roster or the
    waiting list, class registrants, the group's representative).

    Shifts keep their status: a calendar shows them cancelled with their session.
    """
    with transaction.atomic():
        session = lock_session(session.pk)
        if session.status != Session.Status.SCHEDULED:
            raise SessionError("not_scheduled")
        session.status = Session.Status.CANCELLED
        session.cancellation_reason = reason
        session.save(update_fields=["status", "cancellation_reason", "updated_at"])
        bump_calendar_sequence(session)
        reschedule_for_session(session)
        _tell_of_cancellation(session)
        _withdraw_invitations(session)
        _cover().withdraw_cover_requests(session=session)
        logger.info("Session %s cancelled by user %s", session.pk, getattr(by, "pk", None))
    return session


def reinstate_session(session, *, by) -> Session:
    """Put a session cancelled by mistake back on before it starts: its shifts and
    registrations are as they were, calendars get a new revision and reminders are queued
    again. Nobody is texted now: the reminders tell them."""
    with transaction.atomic():
        session = lock_session(session.pk)
        if not session.is_cancelled:
            raise SessionError("not_cancelled")
        if session.has_started:
            raise SessionError("started")
        session.status = Session.Status.SCHEDULED
        session.save(update_fields=["status", "updated_at"])
        bump_calendar_sequence(session)
        reschedule_for_session(session)
        logger.info("Session %s reinstated by user %s", session.pk, getattr(by, "pk", None))
    return session


def move_session(session, starts_at, ends_at, *, by) -> Session:
    """Give a session new times: calendars get a new revision, and its pending reminders are
    replaced by reminders for the new time."""
    if ends_at <= starts_at:
        raise SessionError("invalid")
    with transaction.atomic():
        session = lock_session(session.pk)
        if session.is_cancelled:
            raise SessionError("cancelled")
        if (session.starts_at, session.ends_at) == (starts_at, ends_at):
            return session
        session.starts_at, session.ends_at = starts_at, ends_at
        session.save(update_fields=["starts_at", "ends_at", "updated_at"])
        bump_calendar_sequence(session)
        reschedule_for_session(session)
        _cover().move_cover_deadlines(session)
        logger.info("Session %s moved by user %s", session.pk, getattr(by, "pk", None))
    return session


def _cover():
    """The cover requests' rules (issue 13), which reach this module through the suggestions."""
    from sessions.services import cover

    return cover


def _withdraw_invitations(session: Session) -> None:
    """A group visit called off: invitations nobody answered yet are withdrawn (their page says
    so, "1" no longer finds them) and their texts still held back are called off."""
    still_open = DispatchInvitation.objects.filter(
        session=session, outcome=DispatchInvitation.Outcome.OPEN
    )
    cancel_pending(still_open, purpose=OutboundMessage.Purpose.INVITATION)
    still_open.update(outcome=DispatchInvitation.Outcome.WITHDRAWN)


def _tell_of_cancellation(session: Session) -> None:
    """Text each person taking part in a cancelled session, in their language, all at once."""
    stamp = timezone.localtime(session.starts_at).strftime("%Y-%m-%dT%H:%M")

    def text(phone, language, related) -> Sms:
        body = render_sms(
            "session_cancelled", language, moment=session.starts_at, place=session.place_label
        )
        kind = related._meta.model_name
        return Sms(
            phone,
            body,
            OutboundMessage.Purpose.CANCELLATION,
            f"cancellation:session:{session.pk}:{kind}:{related.pk}@{stamp}",
            related=related,
            language=language,
        )

    active = Shift.objects.filter(session=session).active()
    # An offer still waiting to go out would invite them to a session that is off.
    cancel_pending(active, purpose=OutboundMessage.Purpose.WAITLIST_OFFER)
    texts = [
        text(shift.supporter.user.phone, shift.supporter.user.language, shift)
        for shift in active.select_related("supporter__user")
    ]
    registrations = ClassRegistration.objects.filter(session=session).taking_part()
    cancel_pending(registrations, purpose=OutboundMessage.Purpose.WAITLIST_OFFER)
    registrations = list(registrations)
    texts += [text(r.phone, r.language, r) for r in registrations]
    # A landline takes no text: a coordinator phones them (`ClassRegistration.objects.to_call()`).
    landlines = [r.pk for r in registrations if r.phone and not r.takes_texts]
    ClassRegistration.objects.filter(pk__in=landlines).update(call_back_since=timezone.now())
    scheduled = DispatchRequest.objects.filter(
        session=session, status=DispatchRequest.Status.SCHEDULED
    )
    texts += [text(r.representative_phone, r.preferred_language, r) for r in scheduled]
    queue_sms_many(sms for sms in texts if sms.to)
