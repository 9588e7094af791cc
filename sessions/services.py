"""Rules for sessions and their shifts. The shift board, the API and SMS replies all call these.

One lock order everywhere, so two transactions never wait on each other: the session's row
first, then its shifts and supporters.
"""

import logging
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from config.errors import ServiceError
from notifications.models import OutboundMessage
from notifications.quiet_hours import earliest_send_time
from notifications.services import (
    cancel_pending,
    queue_sms,
    reschedule_for_session,
    schedule_shift_reminders,
)
from notifications.texts import render_sms
from sessions.models import ClassRegistration, DispatchRequest, Session, Shift
from supporters.models import COORDINATE_PERMISSION, Supporter
from venues.models import Venue

logger = logging.getLogger(__name__)


class ShiftError(ServiceError):
    """A shift change the rules refuse: a `code` for programs and a translated `message`.

    Codes: full, overlap, level, insurance, inactive, already, not_full, session_cancelled,
    started, not_signed_up, not_offered, offer_expired, not_on_roster, too_early, forbidden,
    invalid.
    """

    MESSAGES = {
        "full": _("All places on this session are taken. You can join the waiting list."),
        "overlap": _("You already have a shift at that time."),
        "level": _("This session needs a higher training level."),
        "insurance": _("Your volunteer insurance does not cover the day of this session."),
        "inactive": _("Your supporter registration is not active. Please call the office."),
        "already": _("You are already on this session."),
        "not_full": _("This session still has places open: sign up instead."),
        "session_cancelled": _("This session has been cancelled."),
        "started": _("This session has already started."),
        "not_signed_up": _("You have no place on this session to change."),
        "not_offered": _("This place is not offered to you any more."),
        "offer_expired": _("Sorry, the time to take this place has passed."),
        "not_on_roster": _("This supporter is not on this session."),
        "too_early": _("Attendance can be marked from 30 minutes before the start."),
        "forbidden": _("You are not allowed to change this shift."),
        "invalid": _("Choose “attended” or “did not come”."),
    }


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
        session = _lock_session(shift.session_id)
        shift = (
            Shift.objects.select_for_update(of=("self",))
            .select_related("supporter__user")
            .get(pk=shift.pk)
        )
        shift.session = session
        _check_may_act_for(shift.supporter, by)
        if shift.status not in CANCELLABLE:
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


# Shift board: signing up, the waiting list and its offers, the roster (issue 5) ---------------

# What a supporter can give up before the session: a place, an offered place, a place in line.
CANCELLABLE = (Shift.Status.SIGNED_UP, Shift.Status.OFFERED, Shift.Status.WAITLISTED)
ATTENDANCE = (Shift.Status.ATTENDED, Shift.Status.NO_SHOW)
# Attendance can be marked from when check-in opens.
ATTENDANCE_OPENS_BEFORE = timedelta(minutes=30)


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
    _check_may_act_for(supporter, by)
    with transaction.atomic():
        # The session's row lock serialises everyone counting its places: without it two
        # supporters could both see the last place free and both insert (PostgreSQL's default
        # READ COMMITTED does not stop that; SQLite's IMMEDIATE transactions do the same job).
        session = _lock_session(session.pk)
        supporter = _lock_supporter(supporter.pk)
        current = _active_shift(session, supporter)
        if current is not None and current.status == Shift.Status.OFFERED:
            return accept_offer(current, by=by)
        if current is not None and current.status != Shift.Status.WAITLISTED:
            raise ShiftError("already")
        _check_can_take(supporter, session, started_ok=at_check_in)
        if _places_left(session) <= 0:
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
        _confirm_by_sms(shift)
    return shift


def join_waitlist(supporter, session, *, by=None) -> Shift:
    """Put `supporter` at the end of the line for a full session (same rules as signing up)."""
    _check_may_act_for(supporter, by)
    with transaction.atomic():
        session = _lock_session(session.pk)
        supporter = _lock_supporter(supporter.pk)
        if _active_shift(session, supporter) is not None:
            raise ShiftError("already")
        _check_can_take(supporter, session)
        if _places_left(session) > 0:
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


def offer_next_place(session) -> list[Shift]:
    """Offer each open place to the next supporter in line who can still take it, by SMS.

    The offer holds the place until `offer_expires_at` (see `offer_deadline`); returns the
    shifts offered. Supporters who could no longer take it (level, insurance, another shift at
    that time) keep their place in line and are passed over.
    """
    with transaction.atomic():
        session = _lock_session(session.pk)
        now = timezone.now()
        if session.is_cancelled or session.starts_at <= now:
            return []
        expires_at = offer_deadline(session, now)
        open_places = _places_left(session)
        if expires_at is None or open_places <= 0:
            return []
        offers = []
        waiting = Shift.objects.filter(session=session).waiting().select_related("supporter__user")
        for shift in waiting:
            if len(offers) == open_places:
                break
            if _refusal(shift.supporter, session) is not None:
                continue
            shift.status = Shift.Status.OFFERED
            shift.waitlist_position = None
            shift.offer_expires_at = expires_at
            shift.save(
                update_fields=["status", "waitlist_position", "offer_expires_at", "updated_at"]
            )
            bump_calendar_sequence(shift)
            shift.session = session
            _send_offer(shift)
            logger.info("Shift %s: place offered until %s", shift.pk, expires_at)
            offers.append(shift)
        if offers:
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
        session = _lock_session(shift.session_id)
        shift = (
            Shift.objects.select_for_update(of=("self",))
            .select_related("supporter__user")
            .get(pk=shift.pk)
        )
        shift.session = session
        _check_may_act_for(shift.supporter, by)
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
            _confirm_by_sms(shift)
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
            session = _lock_session(session_id)
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


def add_to_roster(session, supporter, *, by, role: str = Shift.Role.HELPER) -> Shift:
    """A coordinator puts a supporter on a session: the same rules as signing up."""
    _check_is_coordinator(by)
    return sign_up(supporter, session, by=by, role=role)


def remove_from_roster(session, supporter, *, by) -> Shift:
    """A coordinator takes a supporter off a session (or its waiting list); the place is offered
    to the next in line and the supporter is texted."""
    _check_is_coordinator(by)
    shift = _active_shift(session, supporter)
    if shift is None:
        raise ShiftError("not_on_roster")
    return cancel_shift(shift, by=by)


def mark_roster_attendance(session, supporter, status: str, *, by) -> Shift:
    """Attendance as the roster and the API give it: by session and supporter."""
    shift = _active_shift(session, supporter)
    if shift is None:
        raise ShiftError("not_on_roster")
    return mark_attendance(shift, status, by=by)


def mark_attendance(shift: Shift, status: str, *, by) -> Shift:
    """A coordinator records that a supporter came (`attended`) or not (`no_show`)."""
    _check_is_coordinator(by)
    if status not in ATTENDANCE:
        raise ShiftError("invalid")
    with transaction.atomic():
        shift = (
            Shift.objects.select_for_update(of=("self",)).select_related("session").get(pk=shift.pk)
        )
        if shift.status not in (Shift.Status.SIGNED_UP, *ATTENDANCE):
            raise ShiftError("not_on_roster")
        if shift.session.is_cancelled:
            raise ShiftError("session_cancelled")
        if timezone.now() < shift.session.starts_at - ATTENDANCE_OPENS_BEFORE:
            raise ShiftError("too_early")
        if shift.status != status:
            shift.status = status
            if status == Shift.Status.NO_SHOW:
                shift.checked_in_at = None  # only attended shifts carry a check-in time
            shift.save(update_fields=["status", "checked_in_at", "updated_at"])
            logger.info("Shift %s marked %s by user %s", shift.pk, status, by.pk)
    return shift


def is_late_to_cancel(session, now=None) -> bool:
    """Within SHIFT_LATE_CANCEL_HOURS of the start: cancelling texts the coordinators."""
    hours = timedelta(hours=settings.SHIFT_LATE_CANCEL_HOURS)
    return session.starts_at - (now or timezone.now()) < hours


def offer_url(shift: Shift) -> str:
    """The page to take an offered place, as linked from the offer SMS."""
    path = reverse("helpdesk_sessions:offer", args=[shift.pk])
    return f"{settings.PUBLIC_URL}{path}"


def _lock_session(session_id) -> Session:
    return (
        Session.objects.select_for_update(of=("self",)).select_related("venue").get(pk=session_id)
    )


def _lock_supporter(supporter_id) -> Supporter:
    # After the session: one lock order everywhere. Serialises one supporter's own sign-ups, so
    # two overlapping sessions cannot both be taken at once.
    return (
        Supporter.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=supporter_id)
    )


def _active_shift(session, supporter) -> Shift | None:
    return Shift.objects.active().filter(session=session, supporter=supporter).first()


def _places_left(session) -> int:
    # Counted fresh under the session's lock (the race tests slow this down to widen the window).
    return session.places_left()


def _check_may_act_for(supporter, by) -> None:
    """The supporter themselves, a coordinator, or the system (None)."""
    if by is not None and by.pk != supporter.user_id and not by.is_coordinator:
        raise ShiftError("forbidden")


def _check_is_coordinator(by) -> None:
    if by is None or not by.is_coordinator:
        raise ShiftError("forbidden")


def _refusal(supporter, session, *, started_ok: bool = False) -> ShiftError | None:
    """Why `supporter` cannot take a place on `session`, or None."""
    if session.is_cancelled:
        return ShiftError("session_cancelled")
    if session.starts_at <= timezone.now() and not started_ok:
        return ShiftError("started")
    if supporter.status != Supporter.Status.ACTIVE:
        return ShiftError("inactive")
    if supporter.training_level < session.min_level:
        return ShiftError(
            "level",
            gettext("This session needs training level %(needed)s or above; yours is %(yours)s.")
            % {"needed": session.min_level, "yours": supporter.training_level},
        )
    day = timezone.localdate(session.starts_at)
    if not supporter.is_insured_on(day):
        return ShiftError(
            "insurance",
            gettext(
                "Your volunteer insurance is not valid on %(day)s. Please ask the office to "
                "renew it."
            )
            % {"day": date_format(day, "DATE_FORMAT")},
        )
    if Shift.objects.filter(supporter=supporter).overlapping(session).exists():
        return ShiftError("overlap")
    return None


def _check_can_take(supporter, session, *, started_ok: bool = False) -> None:
    refusal = _refusal(supporter, session, started_ok=started_ok)
    if refusal is not None:
        raise refusal


def _expire_offer(shift: Shift, now) -> None:
    # The shift keeps `offer_expires_at`: the roster shows the offer as lapsed.
    shift.status = Shift.Status.CANCELLED
    shift.cancelled_at = now
    shift.save(update_fields=["status", "cancelled_at", "updated_at"])
    bump_calendar_sequence(shift)
    cancel_pending(shift, purpose=OutboundMessage.Purpose.WAITLIST_OFFER)
    logger.info("Shift %s: offer lapsed", shift.pk)


def _confirm_by_sms(shift: Shift) -> None:
    """The sign-up confirmation now, and the reminders before the shift."""
    user = shift.supporter.user
    if user.phone:
        queue_sms(
            user.phone,
            render_sms(
                "shift_confirmation",
                user.language,
                moment=shift.session.starts_at,
                place=shift.session.place_label,
            ),
            purpose=OutboundMessage.Purpose.CONFIRMATION,
            key=f"confirmation:shift:{shift.pk}",
            related=shift,
            language=user.language,
        )
    schedule_shift_reminders(shift)


def _send_offer(shift: Shift) -> None:
    user = shift.supporter.user
    if not user.phone:
        return
    body = render_sms(
        "waitlist_offer",
        user.language,
        moment=shift.session.starts_at,
        place=shift.session.place_label,
        deadline=shift.offer_expires_at,
    )
    stamp = timezone.localtime(shift.offer_expires_at).strftime("%Y-%m-%dT%H:%M")
    queue_sms(
        user.phone,
        # The link on a line of its own: phones make it tappable.
        f"{body}\n{offer_url(shift)}",
        purpose=OutboundMessage.Purpose.WAITLIST_OFFER,
        key=f"waitlist-offer:shift:{shift.pk}@{stamp}",
        related=shift,
        language=user.language,
    )


def _tell_coordinators_of_late_cancellation(shift: Shift) -> None:
    coordinators = (
        get_user_model()
        .objects.with_perm(
            COORDINATE_PERMISSION,
            include_superusers=False,
            backend="django.contrib.auth.backends.ModelBackend",
        )
        .exclude(phone="")
        .order_by("pk")
    )
    for coordinator in coordinators:
        queue_sms(
            coordinator.phone,
            render_sms(
                "late_cancellation",
                coordinator.language,
                name=str(shift.supporter),
                moment=shift.session.starts_at,
                place=shift.session.place_label,
            ),
            purpose=OutboundMessage.Purpose.CANCELLATION,
            key=f"late-cancellation:shift:{shift.pk}:to:{coordinator.pk}",
            related=shift,
            language=coordinator.language,
        )


def _schedule_offer_expiry(at) -> None:
    from sessions.tasks import schedule_offer_expiry  # the task module imports this one

    schedule_offer_expiry(at)


# Calendar feeds (issue 5) ------------------------------------------------------------------------


def bump_calendar_sequence(shifts_or_session) -> int:
    """Tell calendar apps an event changed: SEQUENCE + 1 on a shift, a queryset of shifts, or
    every shift of a session (or a queryset of sessions). Returns the number of shifts bumped."""
    target = shifts_or_session
    if isinstance(target, Shift):
        shifts = Shift.objects.filter(pk=target.pk)
    elif isinstance(target, Session):
        shifts = Shift.objects.filter(session=target)
    elif target.model is Session:
        shifts = Shift.objects.filter(session__in=target)
    else:
        shifts = target
    # One UPDATE with F(): two changes at once both count, whatever each one had read.
    return shifts.update(sequence=F("sequence") + 1, updated_at=timezone.now())


# Check-in by QR (issue 5) ------------------------------------------------------------------------

CHECK_IN_SALT = "digisapo.checkin"


class CheckInError(ServiceError):
    """A scan the rules refuse. `code`: invalid_token, outside_window, session_cancelled,
    no_shift, full. `session` is the session scanned for when known, so pages can show it
    and offer to join it (`places_left`)."""

    def __init__(self, code: str, message=None, *, session=None, places_left=None):
        super().__init__(code, message)
        self.session = session
        self.places_left = places_left


class CheckIn(NamedTuple):
    shift: Shift
    already: bool  # scanned before: nothing was changed


def check_in_token(session_or_venue) -> str:
    """The signed value in a check-in QR code: a session's (shown on the lead's phone) or a
    venue's (the printed poster, good for whichever session runs there at the time)."""
    kind = "v" if isinstance(session_or_venue, Venue) else "s"
    return signing.Signer(salt=CHECK_IN_SALT).sign(f"{kind}{session_or_venue.pk}")


def check_in(supporter, token_or_session, *, now=None, join: bool = False) -> CheckIn:
    """Mark `supporter` attended on the session a scanned QR code stands for, with the time.

    Open from 30 minutes before the start to the end; scanning again changes nothing. Without
    a place on the session the scan is refused (`no_shift`) unless `join`: then the supporter
    signs up like on the shift board, if a place is left, and is checked in.
    """
    now = now or timezone.now()
    session = _session_to_check_in(token_or_session, supporter, now)
    with transaction.atomic():
        # Session first, then shift, as sign-ups lock them: joining must not take a place twice.
        session = Session.objects.select_for_update(of=("self",)).get(pk=session.pk)
        shift = (
            Shift.objects.select_for_update(of=("self",))
            .filter(session=session, supporter=supporter)
            .exclude(status=Shift.Status.CANCELLED)
            .first()
        )
        if shift is None or shift.status == Shift.Status.WAITLISTED:
            shift = _join_to_check_in(supporter, session, join=join)
        if shift.status == Shift.Status.ATTENDED and shift.checked_in_at:
            return CheckIn(shift, already=True)
        # An offer taken on the spot, a no-show marked too soon, attendance marked by a
        # coordinator without a time: being there settles each.
        if shift.status == Shift.Status.OFFERED:
            cancel_pending(shift, purpose=OutboundMessage.Purpose.WAITLIST_OFFER)
        shift.status = Shift.Status.ATTENDED
        shift.checked_in_at = now
        shift.save(update_fields=["status", "checked_in_at", "updated_at"])
        logger.info("Shift %s checked in", shift.pk)
    return CheckIn(shift, already=False)


def _join_to_check_in(supporter, session, *, join: bool) -> Shift:
    """A supporter at the session without a place (or only in line) joins it if one is open:
    the shift board's sign-up with all its rules, except that the session may have started."""
    places_left = _places_left(session)
    if not join:
        if places_left:
            message = ngettext(
                "You have no place on this session. %(places)d place is still open: join it "
                "to check in.",
                "You have no place on this session. %(places)d places are still open: join "
                "one to check in.",
                places_left,
            ) % {"places": places_left}
        else:
            message = gettext(
                "You have no place on this session, and it has all the supporters it needs."
            )
        raise CheckInError("no_shift", message, session=session, places_left=places_left)
    if not places_left:
        # Not the board's `full`: a waiting list is no use once the session is on.
        raise CheckInError(
            "full",
            gettext("This session has all the supporters it needs. Thank you for coming!"),
            session=session,
            places_left=0,
        )
    return sign_up(supporter, session, by=supporter.user, at_check_in=True)


def _session_to_check_in(token_or_session, supporter, now) -> Session:
    if isinstance(token_or_session, Session):
        session = token_or_session
    else:
        kind, pk = _read_check_in_token(token_or_session)
        if kind == "v":
            return _venue_session_now(pk, supporter, now)
        session = Session.objects.select_related("venue").filter(pk=pk).first()
        if session is None:
            raise _invalid_token()
    if session.is_cancelled:
        raise CheckInError(
            "session_cancelled", gettext("This session was cancelled."), session=session
        )
    opens_at = session.starts_at - ATTENDANCE_OPENS_BEFORE
    if now < opens_at:
        raise CheckInError(
            "outside_window",
            gettext("Check-in opens at %(time)s, 30 minutes before the start.")
            % {"time": _local(opens_at)},
            session=session,
        )
    if now > session.ends_at:
        raise CheckInError(
            "outside_window",
            gettext("This session ended at %(time)s: check-in is closed.")
            % {"time": _local(session.ends_at)},
            session=session,
        )
    return session


def _read_check_in_token(token: str) -> tuple[str, int]:
    try:
        value = signing.Signer(salt=CHECK_IN_SALT).unsign(str(token))
    except signing.BadSignature:
        raise _invalid_token() from None
    kind, pk = value[:1], value[1:]
    if kind not in {"s", "v"} or not pk.isdigit():
        raise _invalid_token()
    return kind, int(pk)


def _invalid_token() -> CheckInError:
    return CheckInError(
        "invalid_token",
        gettext("This check-in code is not valid. Scan the code at the session again."),
    )


def _venue_session_now(venue_pk: int, supporter, now) -> Session:
    """The session running at the venue now (check-in open), the supporter's own first."""
    sessions = (
        Session.objects.at(venue_pk)
        .exclude(status=Session.Status.CANCELLED)
        .select_related("venue")
    )
    mine = Shift.objects.filter(session=OuterRef("pk"), supporter=supporter).exclude(
        status=Shift.Status.CANCELLED
    )
    running = (
        sessions.filter(starts_at__lte=now + ATTENDANCE_OPENS_BEFORE, ends_at__gte=now)
        .annotate(is_mine=Exists(mine))
        .order_by("-is_mine", "starts_at", "pk")
        .first()
    )
    if running is not None:
        return running
    venue = Venue.objects.filter(pk=venue_pk).first()
    if venue is None:
        raise _invalid_token()
    following = sessions.filter(starts_at__gt=now).order_by("starts_at", "pk").first()
    if following is None:
        message = gettext("No session is running at %(venue)s now.") % {"venue": venue.name}
    else:
        message = gettext(
            "No session is running at %(venue)s now. The next one starts at %(time)s; "
            "check-in opens 30 minutes before."
        ) % {"venue": venue.name, "time": _local(following.starts_at)}
    raise CheckInError("outside_window", message)


def _local(moment) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


# Cancelling and moving a session (issue 4) -------------------------------------------------------


class SessionError(ServiceError):
    """A change to a session the rules refuse. `code`: not_scheduled, cancelled, invalid."""

    MESSAGES = {
        "not_scheduled": _("Only a scheduled session can be cancelled."),
        "cancelled": _("A cancelled session cannot be moved."),
        "invalid": _("A session must end after it starts."),
    }


def cancel_session(session, *, by, reason: str = "") -> Session:
    """Call off a scheduled session: its pending reminders and offers are cancelled, calendars
    get a new revision, and everyone taking part is texted (supporters on the roster or the
    waiting list, class registrants, the group's representative).

    Shifts keep their status: a calendar shows them cancelled with their session.
    """
    with transaction.atomic():
        session = _lock_session(session.pk)
        if session.status != Session.Status.SCHEDULED:
            raise SessionError("not_scheduled")
        session.status = Session.Status.CANCELLED
        session.cancellation_reason = reason
        session.save(update_fields=["status", "cancellation_reason", "updated_at"])
        bump_calendar_sequence(session)
        reschedule_for_session(session)
        _tell_of_cancellation(session)
        logger.info("Session %s cancelled by user %s", session.pk, getattr(by, "pk", None))
    return session


def move_session(session, starts_at, ends_at, *, by) -> Session:
    """Give a session new times: calendars get a new revision, and its pending reminders are
    replaced by reminders for the new time."""
    if ends_at <= starts_at:
        raise SessionError("invalid")
    with transaction.atomic():
        session = _lock_session(session.pk)
        if session.is_cancelled:
            raise SessionError("cancelled")
        if (session.starts_at, session.ends_at) == (starts_at, ends_at):
            return session
        session.starts_at, session.ends_at = starts_at, ends_at
        session.save(update_fields=["starts_at", "ends_at", "updated_at"])
        bump_calendar_sequence(session)
        reschedule_for_session(session)
        logger.info("Session %s moved by user %s", session.pk, getattr(by, "pk", None))
    return session


def _tell_of_cancellation(session: Session) -> None:
    """Text each person taking part in a cancelled session, in their language."""
    stamp = timezone.localtime(session.starts_at).strftime("%Y-%m-%dT%H:%M")

    def tell(phone, language, related):
        if not phone:
            return
        queue_sms(
            phone,
            render_sms(
                "session_cancelled", language, moment=session.starts_at, place=session.place_label
            ),
            purpose=OutboundMessage.Purpose.CANCELLATION,
            key=f"cancellation:session:{session.pk}:{related._meta.model_name}:{related.pk}@{stamp}",
            related=related,
            language=language,
        )

    active = Shift.objects.filter(session=session).active()
    # An offer still waiting to go out would invite them to a session that is off.
    cancel_pending(active, purpose=OutboundMessage.Purpose.WAITLIST_OFFER)
    for shift in active.select_related("supporter__user"):
        tell(shift.supporter.user.phone, shift.supporter.user.language, shift)
    taking_part = [ClassRegistration.Status.REGISTERED, ClassRegistration.Status.WAITLISTED]
    for registration in ClassRegistration.objects.filter(session=session, status__in=taking_part):
        tell(registration.phone, registration.language, registration)
    scheduled = DispatchRequest.objects.filter(
        session=session, status=DispatchRequest.Status.SCHEDULED
    )
    for request in scheduled:
        tell(request.representative_phone, request.preferred_language, request)
