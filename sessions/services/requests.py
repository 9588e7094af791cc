"""Group-visit requests (学び合い出張サポート): triaged, scheduled, staffed and closed.

One service per transition (received → accepted → scheduled → done, or declined / cancelled),
called by the request pages, the coordinators' pages, the API, SMS replies and the admin alike.
Each refuses an impossible transition with a coded `RequestError`, records who and when
(`RequestEvent`) and tells the people concerned: the representative by text in their language,
or, for a landline, a call-back task on the request for a coordinator (`tell_representative`).

Lock order, as for shifts: the session's row first, then the request's.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.errors import ServiceError
from notifications.models import OutboundMessage
from notifications.services import Sms, cancel_pending, queue_sms_many
from sessions.models import (
    ContactAccess,
    DispatchInvitation,
    DispatchRequest,
    RequestEvent,
    Session,
    Shift,
)
from sessions.reminders import refresh_reminders
from sessions.services.lifecycle import cancel_session, move_session
from sessions.services.rules import lock_session
from sessions.texts import render_sms

logger = logging.getLogger(__name__)

Status = DispatchRequest.Status
Event = RequestEvent.Kind
OPEN = (Status.RECEIVED, Status.ACCEPTED)


class RequestError(ServiceError):
    """A step the rules refuse. `code`: not_open, not_scheduled, not_over, started, invalid,
    forbidden, purged."""

    MESSAGES = {
        "not_open": _("This request has already been scheduled, declined or cancelled."),
        "not_scheduled": _("Only a scheduled visit can be moved, reported or cancelled."),
        "not_over": _("A visit's report can be filed once it has started."),
        "started": _("This visit has already started."),
        "invalid": _("Check the date and time: the visit must end after it starts."),
        "forbidden": _("Only a coordinator or the visit's lead supporter can do this."),
        "purged": _("This request's personal data has been removed."),
    }


def lock_request(request) -> DispatchRequest:
    """The request's row, locked (after its session's, when it has one: the lock order)."""
    return DispatchRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)


def record(request, kind: str, *, by=None, note: str = "") -> RequestEvent:
    """Note a step in the request's history; the request's handler is the last coordinator."""
    by_user = by if getattr(by, "is_authenticated", False) else None
    logger.info("Request %s: %s by user %s", request.pk, kind, getattr(by_user, "pk", None))
    return RequestEvent.objects.create(request=request, kind=kind, by=by_user, note=note[:300])


def tell_representative(
    request,
    template: str,
    *,
    key: str,
    purpose=OutboundMessage.Purpose.CONFIRMATION,
    link: str = "",
    **context,
) -> None:
    """Text the representative `template` in their language, and `link` on a line of its own
    (phones make it tappable); a landline gets a call-back task with the same words instead (a
    coordinator phones them and marks it done)."""
    if request.is_purged:
        return
    body = render_sms(template, request.preferred_language, **context)
    if request.takes_texts:
        queue_sms_many(
            [
                Sms(
                    request.representative_phone,
                    f"{body}\n{link}" if link else body,
                    purpose,
                    key,
                    related=request,
                    language=request.preferred_language,
                )
            ]
        )
        return
    with transaction.atomic():
        # Several things to say before the call: the coordinator reads them all.
        said = f"{request.call_back}\n{body}" if request.call_back else body
        request.call_back = said[-300:]
        request.call_back_since = request.call_back_since or timezone.now()
        DispatchRequest.objects.filter(pk=request.pk).update(
            call_back=request.call_back, call_back_since=request.call_back_since
        )


CLOSED = (Status.DONE, Status.DECLINED, Status.CANCELLED)


def note_contact_seen(request, user, *, where: str) -> None:
    """Record that `user` was shown the representative's contact details (privacy)."""
    if request.is_purged:
        return
    ContactAccess.objects.create(request=request, user=user, where=where)


def _save(request, by, *fields) -> DispatchRequest:
    if getattr(by, "is_authenticated", False) and by.is_coordinator:
        request.handled_by = by
    request.save(update_fields=["status", "handled_by", "updated_at", *fields])
    if request.status in CLOSED:
        # Its personal data now has a date to go: make sure a worker runs then.
        transaction.on_commit(_schedule_purge)
    return request


def _schedule_purge() -> None:
    from sessions.tasks import schedule_purge  # the task module imports this one

    schedule_purge(next_purge_at())


def accept_request(request, *, by) -> DispatchRequest:
    """A coordinator takes a received request on, to find a date with the group."""
    with transaction.atomic():
        request = lock_request(request)
        if request.status == Status.ACCEPTED:
            return request
        if request.status != Status.RECEIVED:
            raise RequestError("not_open")
        request.status = Status.ACCEPTED
        _save(request, by)
        record(request, Event.ACCEPTED, by=by)
        tell_representative(
            request,
            "request_accepted",
            key=f"request:{request.pk}:accepted",
            reference=request.reference,
        )
    return request


def ask_back(request, question: str, *, by) -> DispatchRequest:
    """A coordinator needs something from the group (a date, the place): the representative is
    texted the question, or phoned; the request stays where it is."""
    question = question.strip()
    if not question:
        raise RequestError("invalid", _("Write the question to ask the group."))
    with transaction.atomic():
        request = lock_request(request)
        if request.status not in OPEN:
            raise RequestError("not_open")
        event = record(request, Event.ASKED, by=by, note=question)
        tell_representative(
            request,
            "request_question",
            key=f"request:{request.pk}:asked:{event.pk}",
            reference=request.reference,
            question=question,
        )
    return request


def decline_request(request, *, by, reason: str = "") -> DispatchRequest:
    """A coordinator turns a request down; the representative is told why."""
    with transaction.atomic():
        request = lock_request(request)
        if request.status not in OPEN:
            raise RequestError("not_open")
        request.status = Status.DECLINED
        request.decline_reason = (reason or request.decline_reason).strip()
        _save(request, by, "decline_reason")
        record(request, Event.DECLINED, by=by, note=request.decline_reason)
        tell_representative(
            request,
            "request_declined" if request.decline_reason else "request_declined_no_reason",
            key=f"request:{request.pk}:declined",
            purpose=OutboundMessage.Purpose.CANCELLATION,
            reference=request.reference,
            reason=request.decline_reason,
        )
    return request


def schedule_request(
    request,
    *,
    starts_at: datetime,
    ends_at: datetime,
    supporters_needed: int,
    place_name: str = "",
    address: str = "",
    district=None,
    min_level: int = 1,
    by,
) -> DispatchRequest:
    """Give an open request its visit: the dispatch session is made here, at the group's place,
    and goes on the supporters' board. A request has one session, made for it alone."""
    if ends_at <= starts_at:
        raise RequestError("invalid")
    if starts_at <= timezone.now():
        raise RequestError("started")
    with transaction.atomic():
        request = lock_request(request)
        if request.status not in OPEN:
            raise RequestError("not_open")
        if request.is_purged:
            raise RequestError("purged")
        session = Session.objects.create(
            kind=Session.Kind.DISPATCH,
            title=request.group_name,
            place_name=place_name or request.place_name,
            address=address or request.address,
            district=district if district is not None else request.district,
            starts_at=starts_at,
            ends_at=ends_at,
            supporters_needed=max(1, supporters_needed),
            min_level=min_level,
            language=request.preferred_language,
        )
        request.status, request.session = Status.SCHEDULED, session
        _save(request, by, "session")
        record(request, Event.SCHEDULED, by=by)
        refresh_reminders(request)
        tell_representative(
            request,
            "request_scheduled",
            key=f"request:{request.pk}:scheduled@{session.starts_at:%Y-%m-%dT%H:%M}",
            moment=session.starts_at,
            place=session.place_label,
            reference=request.reference,
        )
    return request


def reschedule_request(request, *, starts_at: datetime, ends_at: datetime, by) -> DispatchRequest:
    """Move a scheduled visit: the session's supporters get new reminders and a new calendar
    revision (`move_session`), and the representative is told the new time."""
    if starts_at <= timezone.now():
        raise RequestError("started")
    with transaction.atomic():
        if request.session_id:
            lock_session(request.session_id)
        request = lock_request(request)
        if request.status != Status.SCHEDULED:
            raise RequestError("not_scheduled")
        session = request.session
        if session.has_started:
            raise RequestError("started")
        if ends_at <= starts_at:
            raise RequestError("invalid")
        move_session(session, starts_at, ends_at, by=by)
        session.refresh_from_db()
        record(request, Event.RESCHEDULED, by=by)
        _tell_team_of_move(session)
        tell_representative(
            request,
            "request_moved",
            key=f"request:{request.pk}:moved@{session.starts_at:%Y-%m-%dT%H:%M}",
            moment=session.starts_at,
            place=session.place_label,
            reference=request.reference,
        )
    return request


def _tell_team_of_move(session) -> None:
    """Text the new time to the visit's supporters, and to those invited who have not answered
    yet (their invitation's page shows it too), each in their language."""
    team = Shift.objects.filter(session=session).holding_place().select_related("supporter__user")
    invited = DispatchInvitation.objects.filter(
        session=session, outcome=DispatchInvitation.Outcome.OPEN
    ).select_related("supporter__user")
    stamp = f"{session.starts_at:%Y-%m-%dT%H:%M}"

    def text(related, user) -> Sms:
        body = render_sms(
            "visit_moved", user.language, moment=session.starts_at, place=session.place_label
        )
        kind = related._meta.model_name
        key = f"visit-moved:{kind}:{related.pk}@{stamp}"
        purpose = OutboundMessage.Purpose.CONFIRMATION
        return Sms(user.phone, body, purpose, key, related=related, language=user.language)

    texts = [text(shift, shift.supporter.user) for shift in team]
    texts += [text(invitation, invitation.supporter.user) for invitation in invited]
    queue_sms_many(sms for sms in texts if sms.to)


def cancel_request(request, *, by, reason: str = "") -> DispatchRequest:
    """The group calls its request off (the status page, a coordinator for them). A scheduled
    visit's session is cancelled with it, which texts its supporters and the representative
    (`cancel_session`); an open request's representative is told it is cancelled."""
    with transaction.atomic():
        if request.session_id:
            lock_session(request.session_id)
        request = lock_request(request)
        if request.status == Status.CANCELLED:
            return request
        if request.status not in (*OPEN, Status.SCHEDULED):
            raise RequestError("not_open")
        was = request.status
        if was == Status.SCHEDULED and not request.session.is_cancelled:
            if request.session.has_started:
                raise RequestError("started")
            cancel_session(request.session, by=by, reason=reason)
        request.status = Status.CANCELLED
        _save(request, by)
        record(request, Event.CANCELLED, by=by, note=reason)
        cancel_pending(request, purpose=OutboundMessage.Purpose.REMINDER)
        if was != Status.SCHEDULED:
            tell_representative(
                request,
                "request_cancelled",
                key=f"request:{request.pk}:cancelled",
                purpose=OutboundMessage.Purpose.CANCELLATION,
                reference=request.reference,
            )
    return request


def complete_request(request, *, by) -> DispatchRequest:
    """A scheduled visit whose report is filed is done (`consultations.services.file_report`)."""
    with transaction.atomic():
        if request.session_id:
            lock_session(request.session_id)
        request = lock_request(request)
        if request.status == Status.DONE:
            return request
        if request.status != Status.SCHEDULED:
            raise RequestError("not_scheduled")
        if not request.session.has_started:
            raise RequestError("not_over")
        request.status = Status.DONE
        _save(request, by)
        record(request, Event.DONE, by=by)
    return request


def mark_called_back(request, *, by) -> DispatchRequest:
    """The coordinator phoned the representative and told them what was waiting."""
    with transaction.atomic():
        request = lock_request(request)
        if not request.call_back:
            return request
        record(request, Event.CALLED, by=by, note=request.call_back)
        request.call_back, request.call_back_since = "", None
        request.save(update_fields=["call_back", "call_back_since", "updated_at"])
    return request


def purge_due(now=None) -> int:
    """Remove representatives' personal data DISPATCH_PURGE_DAYS after the visit (or after a
    request was declined or cancelled), keeping the reference and the anonymous counts: the
    number of residents, the dates, the district, the topics and devices. Returns how many."""
    now = now or timezone.now()
    before = now - timedelta(days=settings.DISPATCH_PURGE_DAYS)
    due = list(DispatchRequest.objects.to_purge(before).values_list("pk", flat=True))
    for pk in due:
        with transaction.atomic():
            request = DispatchRequest.objects.select_for_update().get(pk=pk)
            if request.is_purged:
                continue
            for field in PERSONAL_FIELDS:
                setattr(request, field, "")
            request.call_back_since = None
            request.purged_at = now
            request.save(update_fields=[*PERSONAL_FIELDS, "call_back_since", "purged_at"])
            # The history's notes may quote the group (a question, a reply): they go too.
            request.events.update(note="")
            record(request, Event.PURGED)
    if due:
        logger.info("Personal data removed from %s group-visit requests", len(due))
    return len(due)


# What a purge blanks: everything that names or reaches a person, or could.
PERSONAL_FIELDS = (
    "group_name",
    "representative_name",
    "representative_kana",
    "representative_phone",
    "representative_email",
    "place_name",
    "address",
    "message",
    "coordinator_notes",
    "decline_reason",
    "call_back",
)


def next_purge_at():
    """When the next request falls due for its purge, or None."""
    Status = DispatchRequest.Status
    open_ = DispatchRequest.objects.filter(purged_at__isnull=True)
    firsts = [
        open_.filter(status=Status.DONE).aggregate(at=Min("session__ends_at"))["at"],
        open_.filter(status__in=[Status.DECLINED, Status.CANCELLED]).aggregate(
            at=Min("updated_at")
        )["at"],
    ]
    firsts = [at for at in firsts if at is not None]
    if not firsts:
        return None
    return min(firsts) + timedelta(days=settings.DISPATCH_PURGE_DAYS)
