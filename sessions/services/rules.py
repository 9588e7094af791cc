"""What every shift rule shares: the refusal codes, the locks and the checks.

One lock order everywhere, so two transactions never wait on each other: the session's row
first, then its shifts and supporters.
"""

import logging
from datetime import timedelta

from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.errors import ServiceError
from notifications.models import OutboundMessage
from notifications.services import Sms, queue_sms_many
from sessions.models import Session, Shift
from sessions.reminders import shift_reminders
from sessions.texts import render_sms
from supporters.models import Supporter
from supporters.roles import coordinators_to_text  # noqa: F401 (the shift rules' callers' too)

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


ATTENDANCE = (Shift.Status.ATTENDED, Shift.Status.NO_SHOW)
# Attendance can be marked from when check-in opens.
ATTENDANCE_OPENS_BEFORE = timedelta(minutes=30)


def lock_session(session_id) -> Session:
    return (
        Session.objects.select_for_update(of=("self",)).select_related("venue").get(pk=session_id)
    )


def lock_supporter(supporter_id) -> Supporter:
    # After the session: one lock order everywhere. Serialises one supporter's own sign-ups, so
    # two overlapping sessions cannot both be taken at once.
    return (
        Supporter.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=supporter_id)
    )


def lock_shift(shift: Shift, *, by) -> Shift:
    """Lock a shift's session, then the shift (the one lock order), and check that `by` may act
    for its supporter. Returns the shift read fresh, holding the locked session."""
    session = lock_session(shift.session_id)
    shift = (
        Shift.objects.select_for_update(of=("self",))
        .select_related("supporter__user")
        .get(pk=shift.pk)
    )
    shift.session = session
    check_may_act_for(shift.supporter, by)
    return shift


def active_shift(session, supporter) -> Shift | None:
    return Shift.objects.active().filter(session=session, supporter=supporter).first()


def count_places_left(session) -> int:
    # Counted fresh under the session's lock (the race tests slow this down to widen the window).
    return session.places_left()


def check_may_act_for(supporter, by) -> None:
    """The supporter themselves, a coordinator, or the system (None)."""
    if by is not None and by.pk != supporter.user_id and not by.is_coordinator:
        raise ShiftError("forbidden")


def check_is_coordinator(by) -> None:
    if by is None or not by.is_coordinator:
        raise ShiftError("forbidden")


def is_lead_of(user, session) -> bool:
    """The user is the supporter leading `session` (on its team with the lead's role)."""
    supporter = getattr(user, "supporter_or_none", None) if user is not None else None
    if supporter is None:
        return False
    return Shift.objects.filter(
        session=session,
        supporter=supporter,
        role=Shift.Role.LEAD,
        status__in=Shift.TEAM_STATUSES,
    ).exists()


def refusal_for(
    supporter, session, *, started_ok: bool = False, busy: bool | None = None
) -> ShiftError | None:
    """Why `supporter` cannot take a place on `session`, or None.

    `busy`: whether the supporter has another shift at that time, when the caller looked it
    up for many supporters at once (`busy_supporters`); None looks it up.
    """
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
    if busy is None:
        busy = Shift.objects.filter(supporter=supporter).overlapping(session).exists()
    if busy:
        return ShiftError("overlap")
    return None


def busy_supporters(supporter_ids, session) -> set:
    """Those of `supporter_ids` holding a place on another session at `session`'s time: one
    query, however many."""
    overlapping = Shift.objects.filter(supporter__in=supporter_ids).overlapping(session)
    return set(overlapping.values_list("supporter_id", flat=True))


def check_can_take(supporter, session, *, started_ok: bool = False) -> None:
    refusal = refusal_for(supporter, session, started_ok=started_ok)
    if refusal is not None:
        raise refusal


def confirm_by_sms(shift: Shift) -> None:
    """The sign-up confirmation now, and the reminders before the shift, queued at once."""
    user = shift.supporter.user
    if not user.phone:
        return
    body = render_sms(
        "shift_confirmation",
        user.language,
        moment=shift.session.starts_at,
        place=shift.session.place_label,
    )
    confirmation = Sms(
        user.phone,
        body,
        OutboundMessage.Purpose.CONFIRMATION,
        f"confirmation:shift:{shift.pk}",
        related=shift,
        language=user.language,
    )
    queue_sms_many([confirmation, *shift_reminders(shift)])


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
