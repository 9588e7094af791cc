"""Rules for sessions and their shifts, by journey. The shift board, the roster, the API, SMS
replies and the admin all call these; import them from here.

One lock order everywhere, so two transactions never wait on each other: the session's row
first, then its shifts and supporters (see `rules.lock_session`).
"""

from sessions.services.checkin import CheckIn, CheckInError, check_in, check_in_token
from sessions.services.lifecycle import (
    SessionError,
    cancel_session,
    mark_all_held,
    mark_held,
    move_session,
)
from sessions.services.offers import (
    accept_offer,
    expire_offers,
    offer_deadline,
    offer_next_place,
    offer_url,
)
from sessions.services.roster import (
    add_to_roster,
    mark_attendance,
    mark_roster_attendance,
    remove_from_roster,
)
from sessions.services.rules import (
    ATTENDANCE,
    ATTENDANCE_OPENS_BEFORE,
    CANCELLABLE,
    ShiftError,
    bump_calendar_sequence,
)
from sessions.services.shifts import (
    cancel_shift,
    confirm_shift,
    is_late_to_cancel,
    join_waitlist,
    sign_up,
)

__all__ = [
    "ATTENDANCE",
    "ATTENDANCE_OPENS_BEFORE",
    "CANCELLABLE",
    "CheckIn",
    "CheckInError",
    "SessionError",
    "ShiftError",
    "accept_offer",
    "add_to_roster",
    "bump_calendar_sequence",
    "cancel_session",
    "cancel_shift",
    "check_in",
    "check_in_token",
    "confirm_shift",
    "expire_offers",
    "is_late_to_cancel",
    "join_waitlist",
    "mark_all_held",
    "mark_attendance",
    "mark_held",
    "mark_roster_attendance",
    "move_session",
    "offer_deadline",
    "offer_next_place",
    "offer_url",
    "remove_from_roster",
    "sign_up",
]
