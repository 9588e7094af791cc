"""The sessions app's models, in three modules: sessions and shifts; residents' requests;
supporters' cover requests."""

from sessions.models.cover import CoverOffer, CoverRequest, CoverRequestQuerySet
from sessions.models.requests import (
    REFERENCE_ALPHABET,
    ClassRegistration,
    ContactAccess,
    DispatchInvitation,
    DispatchRequest,
    DispatchRequestQuerySet,
    RequestEvent,
    new_reference,
)
from sessions.models.sessions import (
    ClassSeries,
    Session,
    SessionQuerySet,
    Shift,
    ShiftQuerySet,
    prefetch_next_helpdesk_dates,
)

__all__ = [
    "REFERENCE_ALPHABET",
    "ClassRegistration",
    "ClassSeries",
    "ContactAccess",
    "CoverOffer",
    "CoverRequest",
    "CoverRequestQuerySet",
    "DispatchInvitation",
    "DispatchRequest",
    "DispatchRequestQuerySet",
    "RequestEvent",
    "Session",
    "SessionQuerySet",
    "Shift",
    "ShiftQuerySet",
    "new_reference",
    "prefetch_next_helpdesk_dates",
]
