"""Rules for sessions and their shifts, by journey. The shift board, the roster, the API, SMS
replies and the admin all call these; import them from here.

One lock order everywhere, so two transactions never wait on each other: the session's row
first, then its shifts and supporters (see `rules.lock_session`).
"""

from sessions.services.checkin import CheckIn, CheckInError, check_in, check_in_token
from sessions.services.intake import IntakeError, submit_request
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
    accept_class_offer,
    add_registration,
    cancel_registration,
    expire_class_offers,
    mark_class_attendance,
    mark_registrant_called,
    offer_freed_seats,
    purge_registrations_due,
    record_call_answer,
    register_for_class,
    registration_url,
)
from sessions.services.requests import (
    RequestError,
    accept_request,
    ask_back,
    cancel_request,
    complete_request,
    decline_request,
    mark_called_back,
    note_contact_seen,
    purge_due,
    reschedule_request,
    schedule_request,
    tell_representative,
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
from sessions.services.visit_invitations import (
    InvitationError,
    decline_invitation,
    invitation_url,
    invite_supporters,
    take_invitation,
)

__all__ = [
    "ATTENDANCE",
    "ATTENDANCE_OPENS_BEFORE",
    "CheckIn",
    "CheckInError",
    "IntakeError",
    "InvitationError",
    "RegistrationError",
    "RequestError",
    "SessionError",
    "ShiftError",
    "Suggestion",
    "accept_class_offer",
    "accept_offer",
    "accept_request",
    "add_registration",
    "add_to_roster",
    "ask_back",
    "bump_calendar_sequence",
    "cancel_registration",
    "cancel_request",
    "cancel_session",
    "cancel_shift",
    "check_in",
    "check_in_token",
    "complete_request",
    "confirm_shift",
    "decline_invitation",
    "decline_request",
    "expire_class_offers",
    "expire_offers",
    "generate_helpdesk_sessions",
    "invitation_url",
    "invite_supporters",
    "is_late_to_cancel",
    "join_waitlist",
    "mark_all_held",
    "mark_attendance",
    "mark_called_back",
    "mark_class_attendance",
    "mark_held",
    "mark_registrant_called",
    "mark_roster_attendance",
    "move_session",
    "note_contact_seen",
    "offer_deadline",
    "offer_freed_seats",
    "offer_next_place",
    "offer_url",
    "purge_due",
    "purge_registrations_due",
    "record_call_answer",
    "register_for_class",
    "registration_url",
    "reinstate_session",
    "remove_from_roster",
    "reschedule_request",
    "schedule_request",
    "sign_up",
    "submit_request",
    "suggest_supporters",
    "take_invitation",
    "tell_representative",
]
