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
    reinstate_session,
)
from sessions.services.offers import (
    accept_offer,
    expire_offers,
    offer_deadline,
    offer_next_place,
    offer_url,
)
from sessions.services.registrations import (
    RegistrationError,
    add_registration,
    cancel_registration,
)
from sessions.services.requests import (
    RequestError,
    accept_request,
    cancel_request,
    complete_request,
    decline_request,
    schedule_request,
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
    ShiftError,
    bump_calendar_sequence,
)
from sessions.services.schedules import generate_helpdesk_sessions
from sessions.services.shifts import (
    cancel_shift,
    confirm_shift,
    is_late_to_cancel,
    join_waitlist,
    sign_up,
)
from sessions.services.suggestions import Suggestion, suggest_supporters

__all__ = [
    "ATTENDANCE",
    "ATTENDANCE_OPENS_BEFORE",
    "CheckIn",
    "CheckInError",
    "RegistrationError",
    "RequestError",
    "SessionError",
    "ShiftError",
    "Suggestion",
    "accept_offer",
    "accept_request",
    "add_registration",
    "add_to_roster",
    "bump_calendar_sequence",
    "cancel_registration",
    "cancel_request",
    "cancel_session",
    "cancel_shift",
    "check_in",
    "check_in_token",
    "complete_request",
    "confirm_shift",
    "decline_request",
    "expire_offers",
    "generate_helpdesk_sessions",
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
    "reinstate_session",
    "remove_from_roster",
    "schedule_request",
    "sign_up",
    "suggest_supporters",
]
