"""The coordinators' roster: putting supporters on and off a session, and attendance."""

import logging

from django.db import transaction
from django.utils import timezone

from sessions.models import Shift
from sessions.services.missed import tell_of_no_show
from sessions.services.rules import (
    ATTENDANCE,
    ATTENDANCE_OPENS_BEFORE,
    ShiftError,
    active_shift,
    check_is_coordinator,
    is_lead_of,
)
from sessions.services.shifts import cancel_shift, sign_up

logger = logging.getLogger(__name__)


def add_to_roster(session, supporter, *, by, role: str = Shift.Role.HELPER) -> Shift:
    """A coordinator puts a supporter on a session: the same rules as signing up."""
    check_is_coordinator(by)
    return sign_up(supporter, session, by=by, role=role)


def remove_from_roster(session, supporter, *, by) -> Shift:
    """A coordinator takes a supporter off a session (or its waiting list); the place is offered
    to the next in line and the supporter is texted."""
    check_is_coordinator(by)
    shift = active_shift(session, supporter)
    if shift is None:
        raise ShiftError("not_on_roster")
    return cancel_shift(shift, by=by)


def mark_roster_attendance(session, supporter, status: str, *, by) -> Shift:
    """Attendance as the roster and the API give it: by session and supporter."""
    shift = active_shift(session, supporter)
    if shift is None:
        raise ShiftError("not_on_roster")
    return mark_attendance(shift, status, by=by)


def mark_attendance(shift: Shift, status: str, *, by) -> Shift:
    """A coordinator, or the session's lead filing a visit's report, records that a supporter
    came (`attended`) or not (`no_show`)."""
    if not is_lead_of(by, shift.session):
        check_is_coordinator(by)
    if status not in ATTENDANCE:
        raise ShiftError("invalid")
    with transaction.atomic():
        shift = (
            Shift.objects.select_for_update(of=("self",))
            .select_related("session__venue", "supporter__user")
            .get(pk=shift.pk)
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
            if status == Shift.Status.NO_SHOW:
                # A kind word, never a penalty: the hours are simply not counted (issue 13).
                tell_of_no_show(shift)
    return shift
