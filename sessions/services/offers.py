"""The waiting list's offers: a freed place goes to the first in line by SMS, for a while."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutboundMessage
from notifications.quiet_hours import earliest_send_time
from notifications.services import Sms, absolute_url, cancel_pending, queue_sms_many
from sessions.models import Session, Shift
from sessions.services.rules import (
    ShiftError,
    bump_calendar_sequence,
    busy_supporters,
    confirm_by_sms,
    count_places_left,
    lock_session,
    lock_shift,
    refusal_for,
)
from sessions.texts import render_sms

logger = logging.getLogger(__name__)


def offer_next_place(session) -> list[Shift]:
    """Offer each open place to the next supporter in line who can still take it, by SMS.

    The offer holds the place until `offer_expires_at` (see `offer_deadline`); returns the
    shifts offered. Supporters who could no longer take it (level, insurance, another shift at
    that time) keep their place in line and are passed over.
    """
    with transaction.atomic():
        session = lock_session(session.pk)
        now = timezone.now()
        if session.is_cancelled or session.starts_at <= now:
            return []
        expires_at = offer_deadline(session, now)
        open_places = count_places_left(session)
        if expires_at is None or open_places <= 0:
            return []
        # A fixed number of queries however many wait or are offered: who is busy at that time
        # in one query, the offers in one update, their texts in one insert.
        waiting = list(
            Shift.objects.filter(session=session).waiting().select_related("supporter__user")
        )
        busy = busy_supporters([shift.supporter_id for shift in waiting], session)
        offers = []
        for shift in waiting:
            if len(offers) == open_places:
                break
            if refusal_for(shift.supporter, session, busy=shift.supporter_id in busy) is None:
                offers.append(shift)
        if not offers:
            return []
        offered = Shift.objects.filter(pk__in=[shift.pk for shift in offers])
        offered.update(
            status=Shift.Status.OFFERED,
            waitlist_position=None,
            offer_expires_at=expires_at,
            updated_at=now,
        )
        bump_calendar_sequence(offered)
        for shift in offers:
            shift.status, shift.waitlist_position = Shift.Status.OFFERED, None
            shift.offer_expires_at, shift.session = expires_at, session
            logger.info("Shift %s: place offered until %s", shift.pk, expires_at)
        queue_sms_many(_offer_text(shift) for shift in offers if shift.supporter.user.phone)
        transaction.on_commit(lambda: _schedule_offer_expiry(expires_at))
    return offers


def offer_deadline(session, now=None):
    """When an offer made now must be answered by, or None when it is too late to offer.

    SHIFT_OFFER_HOURS (12), or SHIFT_OFFER_SHARE_OF_TIME_LEFT (half) of the time left before
    the session when that is shorter, never less than SHIFT_OFFER_MIN_MINUTES (30). The time
    counts from when the text can go out: an offer made at night starts at 08:00.
    """
    sent_at = earliest_send_time(now or timezone.now(), OutboundMessage.Purpose.WAITLIST_OFFER)
    time_left = session.starts_at - sent_at
    window = min(
        timedelta(hours=settings.SHIFT_OFFER_HOURS),
        time_left * settings.SHIFT_OFFER_SHARE_OF_TIME_LEFT,
    )
    window = max(window, timedelta(minutes=settings.SHIFT_OFFER_MIN_MINUTES))
    if sent_at + window > session.starts_at:
        return None
    return sent_at + window


def accept_offer(shift: Shift, *, by=None) -> Shift:
    """Take an offered place (the offer page, or "1" by SMS); refused once the offer lapsed."""
    expired = False
    with transaction.atomic():
        shift = lock_shift(shift, by=by)
        session = shift.session
        now = timezone.now()
        if shift.status != Shift.Status.OFFERED:
            raise ShiftError("not_offered")
        if session.is_cancelled:
            raise ShiftError("session_cancelled")
        if session.starts_at <= now:
            raise ShiftError("started")
        if shift.offer_expires_at <= now:
            # Not passed on yet by the worker: pass it on now, then refuse.
            _expire_offer(shift, now)
            offer_next_place(session)
            expired = True
        else:
            if Shift.objects.filter(supporter=shift.supporter).overlapping(session).exists():
                raise ShiftError("overlap")
            shift.status = Shift.Status.SIGNED_UP
            shift.save(update_fields=["status", "updated_at"])
            bump_calendar_sequence(shift)
            cancel_pending(shift, purpose=OutboundMessage.Purpose.WAITLIST_OFFER)
            logger.info("Shift %s: offer taken", shift.pk)
            confirm_by_sms(shift)
    if expired:
        raise ShiftError("offer_expired")
    return shift


def expire_offers(now=None) -> int:
    """Pass each offer unanswered in time to the next in line; returns how many lapsed.

    Then offers any place open while supporters wait (e.g. a coordinator needs more people).
    The worker runs this at each offer's deadline (sessions.tasks).
    """
    now = now or timezone.now()
    lapsed = 0
    for shift_id, session_id in Shift.objects.expired_offers(now).values_list("pk", "session_id"):
        with transaction.atomic():
            session = lock_session(session_id)
            shift = Shift.objects.select_for_update(of=("self",)).get(pk=shift_id)
            if shift.status == Shift.Status.OFFERED and shift.offer_expires_at <= now:
                _expire_offer(shift, now)
                offer_next_place(session)
                lapsed += 1
    waiting = Shift.objects.filter(session=OuterRef("pk"), status=Shift.Status.WAITLISTED)
    open_with_a_line = (
        Session.objects.open_for_shifts()
        .with_staffing()
        .filter(Exists(waiting), staffed__lt=F("supporters_needed"))
    )
    for session in open_with_a_line:
        offer_next_place(session)
    return lapsed


def offer_url(shift: Shift) -> str:
    """The page to take an offered place, as linked from the offer SMS: a full address."""
    return absolute_url(reverse("helpdesk_sessions:offer", args=[shift.pk]))


def _expire_offer(shift: Shift, now) -> None:
    # The shift keeps `offer_expires_at`: the roster shows the offer as lapsed.
    shift.status = Shift.Status.CANCELLED
    shift.cancelled_at = now
    shift.save(update_fields=["status", "cancelled_at", "updated_at"])
    bump_calendar_sequence(shift)
    cancel_pending(shift, purpose=OutboundMessage.Purpose.WAITLIST_OFFER)
    logger.info("Shift %s: offer lapsed", shift.pk)


def _offer_text(shift: Shift) -> Sms:
    user = shift.supporter.user
    body = render_sms(
        "waitlist_offer",
        user.language,
        moment=shift.session.starts_at,
        place=shift.session.place_label,
        deadline=shift.offer_expires_at,
    )
    stamp = timezone.localtime(shift.offer_expires_at).strftime("%Y-%m-%dT%H:%M")
    return Sms(
        user.phone,
        # The link on a line of its own: phones make it tappable.
        f"{body}\n{offer_url(shift)}",
        OutboundMessage.Purpose.WAITLIST_OFFER,
        f"waitlist-offer:shift:{shift.pk}@{stamp}",
        related=shift,
        language=user.language,
    )


def _schedule_offer_expiry(at) -> None:
    from sessions.tasks import schedule_offer_expiry  # the task module imports this one

    schedule_offer_expiry(at)
