"""Group-visit requests (学び合い出張サポート): received, triaged, scheduled and reported.

The residents' journey that fills this module comes next; its rules belong here, called by the
request form, the coordinators' pages, the API, SMS replies and the admin alike. For now: a
coordinator's triage (accept, decline, schedule on a visit session, cancel, done).

Lock order, as for shifts: the session's row first, then the request's.
"""

import logging

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from config.errors import ServiceError
from notifications.models import OutboundMessage
from notifications.services import cancel_pending
from sessions.models import DispatchRequest, Session
from sessions.reminders import refresh_reminders
from sessions.services.lifecycle import cancel_session
from sessions.services.rules import lock_session

logger = logging.getLogger(__name__)

Status = DispatchRequest.Status
OPEN = (Status.RECEIVED, Status.ACCEPTED)


class RequestError(ServiceError):
    """A triage step the rules refuse. `code`: not_open, not_a_visit, session_taken,
    session_cancelled, started, not_scheduled, not_over."""

    MESSAGES = {
        "not_open": _("This request has already been scheduled, declined or cancelled."),
        "not_a_visit": _("Choose a group-visit session."),
        "session_taken": _("This session is already another group's visit."),
        "session_cancelled": _("This session has been cancelled."),
        "started": _("This session has already started."),
        "not_scheduled": _("Only a scheduled visit can be marked done or cancelled."),
        "not_over": _("A visit is done once it has taken place."),
    }


def _lock(request) -> DispatchRequest:
    return DispatchRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)


def _save(request, by, *fields) -> DispatchRequest:
    if by is not None:
        request.handled_by = by
    request.save(update_fields=["status", "handled_by", "updated_at", *fields])
    logger.info("Request %s %s by user %s", request.pk, request.status, getattr(by, "pk", None))
    return request


def accept_request(request, *, by) -> DispatchRequest:
    """A coordinator takes a received request on, to find a date with the group."""
    with transaction.atomic():
        request = _lock(request)
        if request.status == Status.ACCEPTED:
            return request
        if request.status != Status.RECEIVED:
            raise RequestError("not_open")
        request.status = Status.ACCEPTED
        return _save(request, by)


def decline_request(request, *, by, reason: str = "") -> DispatchRequest:
    """A coordinator turns a request down (kept, with the reason, for the record)."""
    with transaction.atomic():
        request = _lock(request)
        if request.status not in OPEN:
            raise RequestError("not_open")
        request.status = Status.DECLINED
        request.decline_reason = reason or request.decline_reason
        return _save(request, by, "decline_reason")


def schedule_request(request, session, *, by) -> DispatchRequest:
    """Give an open request its visit session; the representative is reminded the day before."""
    with transaction.atomic():
        session = lock_session(session.pk)
        request = _lock(request)
        if request.status not in OPEN:
            raise RequestError("not_open")
        if session.kind != Session.Kind.DISPATCH:
            raise RequestError("not_a_visit")
        if session.is_cancelled:
            raise RequestError("session_cancelled")
        if session.has_started:
            raise RequestError("started")
        if DispatchRequest.objects.filter(session=session).exclude(pk=request.pk).exists():
            raise RequestError("session_taken")
        request.status, request.session = Status.SCHEDULED, session
        _save(request, by, "session")
        refresh_reminders(request)
    return request


def cancel_request(request, *, by) -> DispatchRequest:
    """The group calls its request off; a scheduled visit's session is cancelled with it, which
    texts its supporters and the representative (`cancel_session`)."""
    with transaction.atomic():
        if request.session_id:
            lock_session(request.session_id)
        request = _lock(request)
        if request.status not in (*OPEN, Status.SCHEDULED):
            raise RequestError("not_open")
        if request.status == Status.SCHEDULED and not request.session.is_cancelled:
            if request.session.has_started:
                raise RequestError("started")
            cancel_session(request.session, by=by)
        request.status = Status.CANCELLED
        _save(request, by)
        cancel_pending(request, purpose=OutboundMessage.Purpose.REMINDER)
    return request


def complete_request(request, *, by) -> DispatchRequest:
    """A scheduled visit that took place is done."""
    with transaction.atomic():
        if request.session_id:
            lock_session(request.session_id)
        request = _lock(request)
        if request.status == Status.DONE:
            return request
        if request.status != Status.SCHEDULED:
            raise RequestError("not_scheduled")
        if not Session.objects.filter(pk=request.session_id).took_place().exists():
            raise RequestError("not_over")
        request.status = Status.DONE
        return _save(request, by)
