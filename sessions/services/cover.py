"""Cover requests (issue 13): a supporter who cannot make a shift asks someone to take it.

The shift stays theirs until someone does. Eligible supporters (free at that time, level and
insurance valid, active, taking texts, not on the session) are asked by text, ranked as the
group-visit suggestions are, a round of COVER_ROUND_SIZE at a time: the next round when all of
one said no, or COVER_ROUND_HOURS after it. The first to take it (the link, or reply 1) gets a
shift of their own and the requester's is cancelled, in one transaction; the requester is told
they are free, the others asked that it is taken. Nobody by the deadline (COVER_DEADLINE_HOURS
before the start): the coordinators are told, and the requester asked whether they can still
come (a reminder their 1 or 2 answers).

Lock order, as everywhere: the session's row first, then the request's, its offers, the shift
and the supporter.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.errors import ServiceError
from notifications.models import OutboundMessage
from notifications.quiet_hours import earliest_send_time
from notifications.services import (
    Sms,
    absolute_url,
    cancel_pending,
    opted_out_among,
    queue_sms_many,
)
from sessions.models import CoverOffer, CoverRequest, Session, Shift
from sessions.services.rules import (
    ShiftError,
    active_shift,
    bump_calendar_sequence,
    check_may_act_for,
    confirm_by_sms,
    coordinators_to_text,
    lock_session,
    lock_supporter,
    refusal_for,
)
from sessions.services.suggestions import rank_supporters
from sessions.texts import render_sms
from supporters.phones import is_landline

logger = logging.getLogger(__name__)

Outcome = CoverOffer.Outcome
Status = CoverRequest.Status
Purpose = OutboundMessage.Purpose

# The least time between the first texts and the deadline, when the request comes late.
MIN_WINDOW = timedelta(minutes=30)


class CoverError(ServiceError):
    """A cover step the rules refuse. `code`: forbidden, not_signed_up, session_cancelled,
    started, too_late, not_open, taken, not_asked, already."""

    MESSAGES = {
        "forbidden": _("You are not allowed to change this shift."),
        "not_signed_up": _("Cover can be asked only for a place you hold."),
        "session_cancelled": _("This session has been cancelled."),
        "started": _("This session has already started."),
        "too_late": _(
            "It is too close to the start to find cover by text. Please call the office."
        ),
        "not_open": _("This cover request is closed."),
        "taken": _("Thank you. Sorry, another supporter has already taken this shift."),
        "not_asked": _("This shift was not offered to you."),
        "already": _("You are already on this session."),
    }


def cover_url(offer: CoverOffer) -> str:
    """The offer's page, as linked from its text: a full address."""
    return absolute_url(reverse("helpdesk_sessions:cover", args=[offer.token]))


def cover_deadline(session, now=None):
    """Until when cover is looked for, asked now; None when it is too late to ask by text.

    COVER_DEADLINE_HOURS before the start; asked later than that (the evening reminder's 3),
    half the time left, counted from when texts can go out (08:00 after a night), at least
    MIN_WINDOW.
    """
    sent_at = earliest_send_time(now or timezone.now(), Purpose.INVITATION)
    deadline = session.starts_at - timedelta(hours=settings.COVER_DEADLINE_HOURS)
    if deadline >= sent_at + MIN_WINDOW:
        return deadline
    half = (session.starts_at - sent_at) / 2
    if half < MIN_WINDOW:
        return None
    return sent_at + half


def lock_cover_request(pk) -> CoverRequest:
    """The request's row, locked after its session's (with its shift's supporter)."""
    return (
        CoverRequest.objects.select_for_update(of=("self",))
        .select_related("shift__supporter__user")
        .get(pk=pk)
    )


def request_cover(shift: Shift, *, by) -> CoverRequest:
    """The supporter needs cover for `shift` (My shifts, the API, or reply 3: `by` None).

    The shift stays theirs. Asking again while a request is open gives that request back (a
    tap twice, a text replayed). The first round of supporters is asked at once.
    """
    with transaction.atomic():
        session = lock_session(shift.session_id)
        shift = (
            Shift.objects.select_for_update(of=("self",))
            .select_related("supporter__user")
            .get(pk=shift.pk)
        )
        shift.session = session
        try:
            check_may_act_for(shift.supporter, by)
        except ShiftError:
            raise CoverError("forbidden") from None
        existing = CoverRequest.objects.open().filter(shift=shift).first()
        if existing is not None:
            return existing
        _check_can_ask(shift, session)
        now = timezone.now()
        deadline = cover_deadline(session, now)
        if deadline is None:
            raise CoverError("too_late")
        request = CoverRequest.objects.create(
            shift=shift, deadline=deadline, requested_by=by, last_round_at=now
        )
        request.shift = shift
        logger.info("Shift %s: cover asked until %s", shift.pk, deadline)
        offer_cover_round(request)
        transaction.on_commit(lambda: _schedule_cover_run(deadline))
    return request


def cancel_cover(request: CoverRequest, *, by) -> CoverRequest:
    """The supporter can come after all: the request is closed, those asked are told nothing
    more (their texts still held back are called off), and the offers are withdrawn."""
    with transaction.atomic():
        lock_session(request.shift.session_id)
        request = lock_cover_request(request.pk)
        try:
            check_may_act_for(request.shift.supporter, by)
        except ShiftError:
            raise CoverError("forbidden") from None
        if not request.is_open:
            raise CoverError("not_open")
        _close(request, Status.CANCELLED)
        logger.info("Cover request %s called off by user %s", request.pk, getattr(by, "pk", None))
    return request


def offer_cover_round(request: CoverRequest) -> list[CoverOffer]:
    """Ask the next COVER_ROUND_SIZE eligible supporters not asked yet, by text in their
    language with the offer's link; returns the offers made (none when nobody is left).

    Eligible: what `rank_supporters` lists, free at that time and not on the session, with a
    mobile that takes texts (a landline or a number that opted out is passed over).
    """
    with transaction.atomic():
        session = lock_session(request.shift.session_id)
        request = lock_cover_request(request.pk)
        if not request.is_open or session.is_cancelled or session.has_started:
            return []
        asked = set(request.offers.values_list("supporter_id", flat=True))
        asked.add(request.shift.supporter_id)
        ranked = [
            suggestion.supporter
            for suggestion in rank_supporters(session)
            if suggestion.can_be_invited and suggestion.supporter.pk not in asked
        ]
        users = {supporter.pk: supporter.user for supporter in _with_users(ranked)}
        phones = {pk: user.phone for pk, user in users.items() if user.phone}
        blocked = opted_out_among(phones.values())
        reachable = [
            supporter
            for supporter in ranked
            if supporter.pk in phones
            and phones[supporter.pk] not in blocked
            and not is_landline(phones[supporter.pk])
        ][: settings.COVER_ROUND_SIZE]
        now = timezone.now()
        request.last_round_at = now
        request.save(update_fields=["last_round_at"])
        if not reachable:
            logger.info("Cover request %s: nobody left to ask", request.pk)
            return []
        made = CoverOffer.objects.bulk_create(
            CoverOffer(request=request, supporter=supporter) for supporter in reachable
        )
        for offer in made:
            offer.request, offer.supporter.user = request, users[offer.supporter_id]
        queue_sms_many(_offer_text(offer, session) for offer in made)
        logger.info("Cover request %s: %s supporters asked", request.pk, len(made))
        transaction.on_commit(
            lambda: _schedule_cover_run(now + timedelta(hours=settings.COVER_ROUND_HOURS))
        )
    return made


def take_cover(offer_or_request, supporter=None, *, by=None) -> Shift:
    """Take the shift a cover request is for (the offer's page, the API, or reply 1).

    `offer_or_request`: the supporter's `CoverOffer`, or the `CoverRequest` and the
    `supporter` asked. The shift rules decide (level, insurance, another shift at that time);
    the taker gets a shift of their own with the requester's role, the requester's is
    cancelled, in one transaction. Returns the taker's shift.
    """
    if isinstance(offer_or_request, CoverRequest):
        request = offer_or_request
        offer = CoverOffer.objects.filter(request=request, supporter=supporter).first()
        if offer is None:
            raise CoverError("not_asked")
    else:
        offer = offer_or_request
        request = offer.request
    session_id = Shift.objects.filter(pk=request.shift_id).values_list("session_id", flat=True)
    with transaction.atomic():
        session = lock_session(session_id.get())
        request = lock_cover_request(request.pk)
        offer = CoverOffer.objects.select_for_update(of=("self",)).get(pk=offer.pk)
        if by is not None and by.pk != offer.supporter.user_id:
            raise CoverError("not_asked")
        if request.status == Status.TAKEN:
            raise CoverError("taken")
        if not request.is_open or offer.outcome not in (Outcome.OPEN, Outcome.DECLINED):
            raise CoverError("not_open")
        # Not locked itself: every change to a shift holds its session's lock first.
        shift = Shift.objects.select_related("supporter__user").get(pk=request.shift_id)
        shift.session = session
        # The requester cancelled meanwhile, or the session was called off: closed for good
        # (kept when this refusal is raised, after the transaction).
        stale = shift.status != Shift.Status.SIGNED_UP or session.is_cancelled
        if stale:
            _close(request, Status.CANCELLED)
        else:
            taken = _transfer(request, offer, shift, session)
    if stale:
        raise CoverError("not_open")
    return taken


def _transfer(request, offer, shift, session) -> Shift:
    """The taker's shift made and the requester's cancelled, under the locks `take_cover`
    holds; the requester, the taker and the others asked told."""
    if session.has_started:
        raise CoverError("started")
    taker = lock_supporter(offer.supporter_id)
    refusal = refusal_for(taker, session)
    if refusal is not None:
        raise refusal
    taken = _place_for(taker, session, role=shift.role)
    _release(shift)
    now = timezone.now()
    request.status, request.taken_by, request.taken_shift = Status.TAKEN, taker, taken
    request.resolved_at = now
    request.save(update_fields=["status", "taken_by", "taken_shift", "resolved_at"])
    offer.outcome, offer.answered_at = Outcome.TAKEN, now
    offer.save(update_fields=["outcome", "answered_at"])
    _tell_the_others(request, session, except_offer=offer)
    confirm_by_sms(taken)
    _tell_requester_covered(shift, taker)
    logger.info("Cover request %s: taken by supporter %s", request.pk, taker.pk)
    return taken


def decline_cover(offer: CoverOffer, *, by=None) -> CoverOffer:
    """The supporter asked cannot: once everyone of the round has said so, the next round."""
    with transaction.atomic():
        session = lock_session(offer.request.shift.session_id)
        request = lock_cover_request(offer.request_id)
        offer = CoverOffer.objects.select_for_update(of=("self",)).get(pk=offer.pk)
        if by is not None and by.pk != offer.supporter.user_id:
            raise CoverError("not_asked")
        if not request.is_open:
            raise CoverError("taken" if request.status == Status.TAKEN else "not_open")
        if offer.outcome != Outcome.OPEN:
            return offer
        offer.outcome, offer.answered_at = Outcome.DECLINED, timezone.now()
        offer.save(update_fields=["outcome", "answered_at"])
        cancel_pending(offer, purpose=Purpose.INVITATION)
        if not request.offers.filter(outcome=Outcome.OPEN).exists() and not session.has_started:
            offer_cover_round(request)
    return offer


def advance_cover_rounds(now=None) -> int:
    """Ask the next round for each open request whose last round had no taker for
    COVER_ROUND_HOURS; returns how many requests asked more."""
    now = now or timezone.now()
    stale = CoverRequest.objects.open().filter(
        deadline__gt=now, last_round_at__lte=now - timedelta(hours=settings.COVER_ROUND_HOURS)
    )
    advanced = 0
    for request in stale.select_related("shift"):
        advanced += bool(offer_cover_round(request))
    return advanced


def expire_due_cover_requests(now=None) -> int:
    """Close each open request whose deadline passed with nobody taking the shift: the
    coordinators are told, the requester asked whether they can still come (1 or 2, as a
    reminder is answered). Returns how many expired."""
    now = now or timezone.now()
    expired = 0
    for pk, session_id in CoverRequest.objects.due(now).values_list("pk", "shift__session_id"):
        with transaction.atomic():
            session = lock_session(session_id)
            request = lock_cover_request(pk)
            if not request.is_open or request.deadline > now:
                continue
            _close(request, Status.EXPIRED)
            shift = request.shift
            shift.session = session
            if shift.status == Shift.Status.SIGNED_UP and not session.is_cancelled:
                _tell_of_no_cover(request, shift)
            expired += 1
            logger.info("Cover request %s: nobody found in time", request.pk)
    return expired


def withdraw_cover_requests(*, shift=None, session=None) -> int:
    """A shift cancelled or a session called off: its open requests close (called in the
    caller's transaction, under the session's lock)."""
    requests = CoverRequest.objects.open()
    requests = requests.filter(shift=shift) if shift is not None else requests
    requests = requests.filter(shift__session=session) if session is not None else requests
    closed = 0
    for request in requests.select_for_update(of=("self",)):
        _close(request, Status.CANCELLED)
        closed += 1
    return closed


def move_cover_deadlines(session) -> int:
    """A session moved: its open requests' deadlines follow the new start."""
    changed = 0
    for request in CoverRequest.objects.open().filter(shift__session=session):
        deadline = cover_deadline(session) or session.starts_at
        if deadline != request.deadline:
            request.deadline = deadline
            request.save(update_fields=["deadline"])
            changed += 1
            transaction.on_commit(lambda at=deadline: _schedule_cover_run(at))
    return changed


def next_cover_run_at():
    """When the cover worker should next run: the soonest deadline or next round."""
    moments = []
    for deadline, last_round_at in CoverRequest.objects.open().values_list(
        "deadline", "last_round_at"
    ):
        moments.append(deadline)
        if last_round_at is not None:
            moments.append(last_round_at + timedelta(hours=settings.COVER_ROUND_HOURS))
    return min(moments) if moments else None


# Steps -------------------------------------------------------------------------------------


def _check_can_ask(shift: Shift, session: Session) -> None:
    if shift.status != Shift.Status.SIGNED_UP:
        raise CoverError("not_signed_up")
    if session.is_cancelled:
        raise CoverError("session_cancelled")
    if session.has_started:
        raise CoverError("started")


def _with_users(supporters):
    from supporters.models import Supporter

    return Supporter.objects.filter(pk__in=[s.pk for s in supporters]).select_related("user")


def _place_for(taker, session, *, role) -> Shift:
    """The taker's shift: a new place, or their place in line (or lapsed offer) made one."""
    current = active_shift(session, taker)
    if current is not None and current.status != Shift.Status.WAITLISTED:
        raise CoverError("already")
    if current is None:
        taken = Shift.objects.create(
            session=session, supporter=taker, role=role, status=Shift.Status.SIGNED_UP
        )
    else:
        taken = current
        taken.status, taken.waitlist_position, taken.role = Shift.Status.SIGNED_UP, None, role
        taken.save(update_fields=["status", "waitlist_position", "role", "updated_at"])
        bump_calendar_sequence(taken)
    taken.session, taken.supporter = session, taker
    return taken


def _release(shift: Shift) -> None:
    """The requester's shift is cancelled: their calendar shows it so, their reminders stop.
    No place frees: the taker holds it, so nobody in line is offered it."""
    shift.status, shift.cancelled_at = Shift.Status.CANCELLED, timezone.now()
    shift.save(update_fields=["status", "cancelled_at", "updated_at"])
    bump_calendar_sequence(shift)
    cancel_pending(shift, purpose=Purpose.REMINDER)


def _close(request: CoverRequest, status: str) -> None:
    """Close `request` with `status`; the offers still open are withdrawn, their texts held
    back called off."""
    request.status, request.resolved_at = status, timezone.now()
    request.save(update_fields=["status", "resolved_at"])
    still_open = CoverOffer.objects.filter(request=request, outcome=Outcome.OPEN)
    cancel_pending(still_open, purpose=Purpose.INVITATION)
    still_open.update(outcome=Outcome.WITHDRAWN)


def _tell_the_others(request, session, *, except_offer) -> None:
    """Those asked who had not answered are told the shift is taken; a text still held back
    by the quiet hours is called off instead."""
    others = list(
        CoverOffer.objects.filter(request=request, outcome=Outcome.OPEN)
        .exclude(pk=except_offer.pk)
        .select_related("supporter__user")
    )
    unsent = set(
        OutboundMessage.objects.filter(
            purpose=Purpose.INVITATION,
            status=OutboundMessage.Status.PENDING,
            content_type=ContentType.objects.get_for_model(CoverOffer),
            object_id__in=[offer.pk for offer in others],
        ).values_list("object_id", flat=True)
    )
    still_open = CoverOffer.objects.filter(pk__in=[offer.pk for offer in others])
    cancel_pending(still_open, purpose=Purpose.INVITATION)
    still_open.update(outcome=Outcome.FILLED)
    queue_sms_many(
        _taken_text(offer, session)
        for offer in others
        if offer.pk not in unsent and offer.supporter.user.phone
    )


def _tell_requester_covered(shift: Shift, taker) -> None:
    user = shift.supporter.user
    if not user.phone:
        return
    session = shift.session
    body = render_sms(
        "cover_found",
        user.language,
        name=taker.short_name,
        moment=session.starts_at,
        place=session.place_label,
    )
    queue_sms_many(
        [
            Sms(
                user.phone,
                body,
                Purpose.CONFIRMATION,
                f"cover-found:shift:{shift.pk}",
                related=shift,
                language=user.language,
            )
        ]
    )


def _tell_of_no_cover(request: CoverRequest, shift: Shift) -> None:
    """The coordinators (those with a phone) and the requester, whose text is a reminder of the
    shift: their 1 or 2 answers it as a reminder's does."""
    session = shift.session
    supporter = shift.supporter
    when = {"moment": session.starts_at, "place": session.place_label}
    texts = [
        Sms(
            coordinator.phone,
            render_sms("cover_not_found", coordinator.language, name=str(supporter), **when),
            Purpose.CANCELLATION,
            f"cover-not-found:{request.pk}:to:{coordinator.pk}",
            related=request,
            language=coordinator.language,
        )
        for coordinator in coordinators_to_text()
    ]
    user = supporter.user
    if user.phone:
        texts.insert(
            0,
            Sms(
                user.phone,
                render_sms("cover_can_you_come", user.language, **when),
                Purpose.REMINDER,
                f"cover-can-you-come:{request.pk}",
                related=shift,
                language=user.language,
            ),
        )
    queue_sms_many(texts)


def _offer_text(offer: CoverOffer, session) -> Sms:
    user = offer.supporter.user
    body = render_sms(
        "cover_offer",
        user.language,
        moment=session.starts_at,
        place=session.place_label,
        deadline=offer.request.deadline,
    )
    return Sms(
        user.phone,
        # The link on a line of its own: phones make it tappable.
        f"{body}\n{cover_url(offer)}",
        Purpose.INVITATION,
        f"cover-offer:{offer.pk}",
        related=offer,
        language=user.language,
    )


def _taken_text(offer: CoverOffer, session) -> Sms:
    user = offer.supporter.user
    return Sms(
        user.phone,
        render_sms(
            "cover_taken", user.language, moment=session.starts_at, place=session.place_label
        ),
        Purpose.INVITATION,
        f"cover-taken:{offer.pk}",
        related=offer,
        language=user.language,
    )


def _schedule_cover_run(at) -> None:
    from sessions.tasks import schedule_cover_run  # the task module imports this one

    schedule_cover_run(at)


__all__ = [
    "CoverError",
    "advance_cover_rounds",
    "cancel_cover",
    "cover_deadline",
    "cover_url",
    "decline_cover",
    "expire_due_cover_requests",
    "lock_cover_request",
    "move_cover_deadlines",
    "next_cover_run_at",
    "offer_cover_round",
    "request_cover",
    "take_cover",
    "withdraw_cover_requests",
]
