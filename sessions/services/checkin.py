"""Check-in by QR code: a supporter at the session scans it and is marked attended."""

import logging
from typing import NamedTuple

from django.core import signing
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from config.errors import ServiceError
from notifications.models import OutboundMessage
from notifications.services import (
    cancel_pending,
)
from sessions.models import Session, Shift
from sessions.services.rules import ATTENDANCE_OPENS_BEFORE, count_places_left
from sessions.services.shifts import sign_up
from venues.models import Venue

logger = logging.getLogger(__name__)


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
    places_left = count_places_left(session)
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
