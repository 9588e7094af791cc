"""A supporter's own shift: signing up, joining the line, confirming and cancelling."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from notifications.models import OutboundMessage
from notifications.services import Sms, cancel_pending, queue_sms, queue_sms_many
from sessions.models import Shift
from sessions.services.offers import accept_offer, offer_next_place
from sessions.services.rules import (
    ShiftError,
    active_shift,
    bump_calendar_sequence,
    check_can_take,
    check_may_act_for,
    confirm_by_sms,
    coordinators_to_text,
    count_places_left,
    lock_session,
    lock_shift,
    lock_supporter,
)
from sessions.texts import render_sms

logger = logging.getLogger(__name__)


def _check_still_open(shift: Shift) -> None:
    if shift.status != Shift.Status.SIGNED_UP:
        raise ShiftError("not_signed_up")
    if shift.session.is_cancelled:
        raise ShiftError("session_cancelled")
    if shift.session.starts_at <= timezone.now():
        raise ShiftError("started")


def confirm_shift(shift: Shift) -> Shift:
    """A supporter says they are coming (SMS "1"); on an offered place that takes the offer.

    Refused for a shift that is over or off.
    """
    if shift.status == Shift.Status.OFFERED:
        return accept_offer(shift)
    _check_still_open(shift)
    return shift


def cancel_shift(shift: Shift, *, by, notify: bool = True) -> Shift:
    """Give up a place, an offered place or a place in line, before the session starts.

    `by` is the user cancelling (the supporter, or a coordinator for them; None for the
    system). With `notify` the supporter is texted; SMS replies pass False and answer with their
    own reply instead. Cancelling a place within SHIFT_LATE_CANCEL_HOURS of the start is allowed,
    but the coordinators are texted. A freed place is offered to the first supporter waiting.
    """
    with transaction.atomic():
        shift = lock_shift(shift, by=by)
        session = shift.session
        if shift.status not in Shift.CANCELLABLE_STATUSES:
            raise ShiftError("not_signed_up")
        if session.is_cancelled:
            raise ShiftError("session_cancelled")
        now = timezone.now()
        if session.starts_at <= now:
            raise ShiftError("started")
        was = shift.status
        shift.status = Shift.Status.CANCELLED
        shift.cancelled_at = now
        shift.waitlist_position = None
        shift.save(update_fields=["status", "cancelled_at", "waitlist_position", "updated_at"])
        bump_calendar_sequence(shift)
        cancel_pending(shift, purpose=OutboundMessage.Purpose.REMINDER)
        cancel_pending(shift, purpose=OutboundMessage.Purpose.WAITLIST_OFFER)
        from sessions.services.cover import withdraw_cover_requests  # it imports the rules

        withdraw_cover_requests(shift=shift)  # nobody needs to cover a shift given up
        logger.info("Shift %s (%s) cancelled by user %s", shift.pk, was, getattr(by, "pk", None))
        # An offer declined or a place in line given up needs no text to anyone.
        user = shift.supporter.user
        if was == Shift.Status.SIGNED_UP and notify and user.phone:
            queue_sms(
                user.phone,
                render_sms(
                    "shift_cancelled",
                    user.language,
                    moment=session.starts_at,
                    place=session.place_label,
                ),
                purpose=OutboundMessage.Purpose.CANCELLATION,
                key=f"cancellation:shift:{shift.pk}",
                related=shift,
                language=user.language,
            )
        by_coordinator = by is not None and by.is_coordinator
        if was == Shift.Status.SIGNED_UP and is_late_to_cancel(session, now) and not by_coordinator:
            _tell_coordinators_of_late_cancellation(shift)
        if was in Shift.PLACE_HOLDING_STATUSES:
            offer_next_place(session)
    return shift


def sign_up(
    supporter, session, *, by, role: str = Shift.Role.HELPER, at_check_in: bool = False
) -> Shift:
    """Give `supporter` a place on `session`, or refuse with the one rule that stops it.

    Rules: the session is scheduled and not started; the supporter is active, has the
    session's minimum level and insurance valid on its day, and no other shift at that time;
    a place is left (else `full`: the waiting list is the way). A supporter waiting in line
    takes a place that is open; one with an offered place takes the offer. `at_check_in`: a
    supporter who scanned the session's check-in code may join it until it ends (`check_in`).
    """
    check_may_act_for(supporter, by)
    with transaction.atomic():
        # The session's row lock serialises everyone counting its places: without it two
        # supporters could both see the last place free and both insert (PostgreSQL's default
        # READ COMMITTED does not stop that; SQLite's IMMEDIATE transactions do the same job).
        session = lock_session(session.pk)
        supporter = lock_supporter(supporter.pk)
        current = active_shift(session, supporter)
        if current is not None and current.status == Shift.Status.OFFERED:
            return accept_offer(current, by=by)
        if current is not None and current.status != Shift.Status.WAITLISTED:
            raise ShiftError("already")
        check_can_take(supporter, session, started_ok=at_check_in)
        if count_places_left(session) <= 0:
            raise ShiftError("full")
        if current is None:
            shift = Shift.objects.create(
                session=session, supporter=supporter, role=role, status=Shift.Status.SIGNED_UP
            )
        else:
            shift = current
            shift.status = Shift.Status.SIGNED_UP
            shift.waitlist_position = None
            shift.role = role
            shift.save(update_fields=["status", "waitlist_position", "role", "updated_at"])
            bump_calendar_sequence(shift)
        shift.session, shift.supporter = session, supporter
        logger.info(
            "Shift %s: supporter %s signed up by user %s",
            shift.pk,
            supporter.pk,
            getattr(by, "pk", None),
        )
        confirm_by_sms(shift)
        if session.kind == session.Kind.DISPATCH and count_places_left(session) <= 0:
            from sessions.services.visit_invitations import when_staffed  # it imports this

            when_staffed(session)
    return shift


def join_waitlist(supporter, session, *, by=None) -> Shift:
    """Put `supporter` at the end of the line for a full session (same rules as signing up)."""
    check_may_act_for(supporter, by)
    with transaction.atomic():
        session = lock_session(session.pk)
        supporter = lock_supporter(supporter.pk)
        if active_shift(session, supporter) is not None:
            raise ShiftError("already")
        check_can_take(supporter, session)
        if count_places_left(session) > 0:
            raise ShiftError("not_full")
        last = Shift.objects.filter(session=session).aggregate(last=Max("waitlist_position"))
        shift = Shift.objects.create(
            session=session,
            supporter=supporter,
            status=Shift.Status.WAITLISTED,
            waitlist_position=(last["last"] or 0) + 1,
        )
        shift.session, shift.supporter = session, supporter
    return shift


def is_late_to_cancel(session, now=None) -> bool:
    """Within SHIFT_LATE_CANCEL_HOURS of the start: cancelling texts the coordinators."""
    hours = timedelta(hours=settings.SHIFT_LATE_CANCEL_HOURS)
    return session.starts_at - (now or timezone.now()) < hours


def _tell_coordinators_of_late_cancellation(shift: Shift) -> None:
    coordinators = coordinators_to_text()
    queue_sms_many(
        Sms(
            coordinator.phone,
            render_sms(
                "late_cancellation",
                coordinator.language,
                name=str(shift.supporter),
                moment=shift.session.starts_at,
                place=shift.session.place_label,
            ),
            OutboundMessage.Purpose.CANCELLATION,
            f"late-cancellation:shift:{shift.pk}:to:{coordinator.pk}",
            related=shift,
            language=coordinator.language,
        )
        for coordinator in coordinators
    )
