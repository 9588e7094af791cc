"""The sessions app's models, in two modules: sessions and shifts; residents' requests."""

from sessions.models.requests import (
    REFERENCE_ALPHABET,
    ClassRegistration,
    DispatchRequest,
    DispatchRequestQuerySet,
    new_reference,
)
from sessions.models.sessions import (
    Session,
    SessionQuerySet,
    Shift,
    ShiftQuerySet,
    prefetch_next_helpdesk_dates,
)

__all__ = [
    "REFERENCE_ALPHABET",
    "ClassRegistration",
    "DispatchRequest",
    "DispatchRequestQuerySet",
    "Session",
    "SessionQuerySet",
    "Shift",
    "ShiftQuerySet",
    "new_reference",
    "prefetch_next_helpdesk_dates",
]
