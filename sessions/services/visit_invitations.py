"""Supporters invited by text to staff a scheduled group visit (issue 10).

A coordinator invites the supporters they ticked; each gets a text with a link to the
invitation's page and "reply 1". The first to answer fill the places, through the shift rules
(`sign_up`: level, insurance, another shift at that time); once the last place is taken the
others still to answer are told it is filled, and the group's representative gets one text
naming the lead supporter.

Lock order, as everywhere: the session's row first, then the invitation's.
"""

import logging

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.errors import ServiceError
from notifications.models import OutboundMessage
from notifications.services import Sms, absolute_url, cancel_pending, queue_sms_many
from sessions.models import DispatchInvitation, DispatchRequest, RequestEvent, Shift
from sessions.services.requests import record, tell_representative
from sessions.services.rules import (
    check_is_coordinator,
    count_places_left,
    lock_session,
)
from sessions.services.shifts import sign_up
from sessions.texts import render_sms
from supporters.models import Supporter

logger = logging.getLogger(__name__)

Outcome = DispatchInvitation.Outcome
Event = RequestEvent.Kind


class InvitationError(ServiceError):
    """An invitation step the rules refuse. `code`: forbidden, not_scheduled, session_cancelled,
    started, filled, not_open."""

    MESSAGES = {
        "forbidden": _("Only coordinators can invite supporters to a group visit."),
        "not_scheduled": _("Supporters can be invited only to a scheduled group visit."),
        "session_cancelled": _("This group visit has been cancelled."),
        "started": _("This group visit has already started."),
        "filled": _(
            "Sorry, every place on this group visit has been taken. Thank you for answering."
        ),
        "not_open": _("This invitation has already been answered."),
    }

    # Why an invitation no longer open cannot be answered, by its outcome.
    NOT_OPEN = {
        Outcome.TAKEN: _("You have already taken a place on this group visit."),
        Outcome.DECLINED: _("You have already said you cannot go."),
        Outcome.WITHDRAWN: _("This invitation was withdrawn: the group visit was cancelled."),
    }

    @classmethod
    def answered(cls, invitation) -> "InvitationError":
        if invitation.outcome == Outcome.FILLED:
            return cls("filled")
        return cls("not_open", cls.NOT_OPEN.get(invitation.outcome))


def invitation_url(invitation) -> str:
    """The invitation's page, as linked from its text: a full address."""
    return absolute_url(reverse("helpdesk_sessions:visit_invitation", args=[invitation.pk]))


def invite_supporters(request, supporters, *, by) -> list[DispatchInvitation]:
    """Invite `supporters` to staff the scheduled visit `request`, each by text in their
    language with a link to the invitation; returns the invitations made.

    A supporter invited before is left as they are (no second invitation, no second text); one
    without a phone is invited all the same and sees it on their pages. A fixed number of
    queries however many are invited.
    """
    check_is_coordinator(by)
    ids = {supporter.pk for supporter in supporters}
    with transaction.atomic():
        if request.session_id is None or request.status != DispatchRequest.Status.SCHEDULED:
            raise InvitationError("not_scheduled")
        # Serialises with the answers counting the places (and with a second invite).
        session = lock_session(request.session_id)
        _check_open(session)
        if count_places_left(session) <= 0:
            raise InvitationError("filled")
        invited = set(
            DispatchInvitation.objects.filter(session=session, supporter__in=ids).values_list(
                "supporter_id", flat=True
            )
        )
        new = Supporter.objects.filter(pk__in=ids - invited).select_related("user").order_by("pk")
        made = DispatchInvitation.objects.bulk_create(
            DispatchInvitation(session=session, supporter=supporter, invited_by=by)
            for supporter in new
        )
        if not made:
            return []
        for invitation in made:
            invitation.session = session
        queue_sms_many(_invitation_text(invitation) for invitation in made if _phone(invitation))
        names = ", ".join(invitation.supporter.full_name for invitation in made)
        record(request, Event.INVITED, by=by, note=names)
        logger.info("Session %s: %s supporters invited", session.pk, len(made))
    return made


def take_invitation(invitation, *, by) -> Shift:
    """Take a place on the visit (the invitation's page, or "1" by SMS: `by` None).

    The shift rules decide (`sign_up`); the first supporter on the visit leads it. With no
    place left the invitation is filled and refused (`filled`). The take that fills the last
    place tells the others still to answer, and the representative once.
    """
    filled = False
    with transaction.atomic():
        session = lock_session(invitation.session_id)
        invitation = _lock_invitation(invitation, by=by)
        if not invitation.is_open:
            raise InvitationError.answered(invitation)
        _check_open(session)
        if count_places_left(session) <= 0:
            _answer(invitation, Outcome.FILLED)
            filled = True
        else:
            has_lead = (
                Shift.objects.filter(session=session, role=Shift.Role.LEAD).holding_place().exists()
            )
            role = Shift.Role.HELPER if has_lead else Shift.Role.LEAD
            # Answered first: the sign-up that fills the last place tells the invitations still
            # open, and this one is not among them (a refusal rolls both back).
            _answer(invitation, Outcome.TAKEN)
            shift = sign_up(invitation.supporter, session, by=by, role=role)
            logger.info("Invitation %s: place taken (%s)", invitation.pk, role)
    if filled:
        raise InvitationError("filled")
    return shift


def decline_invitation(invitation, *, by) -> DispatchInvitation:
    """The supporter cannot go: the invitation is closed, nobody is texted."""
    with transaction.atomic():
        lock_session(invitation.session_id)
        invitation = _lock_invitation(invitation, by=by)
        if not invitation.is_open:
            raise InvitationError.answered(invitation)
        _answer(invitation, Outcome.DECLINED)
        cancel_pending(invitation, purpose=OutboundMessage.Purpose.INVITATION)
    return invitation


def _check_open(session) -> None:
    if session.is_cancelled:
        raise InvitationError("session_cancelled")
    if session.has_started:
        raise InvitationError("started")


def _lock_invitation(invitation, *, by) -> DispatchInvitation:
    """The invitation's row, locked after its session's; only its supporter answers it (or the
    system, for their text)."""
    invitation = (
        DispatchInvitation.objects.select_for_update(of=("self",))
        .select_related("supporter__user")
        .get(pk=invitation.pk)
    )
    if by is not None and by.pk != invitation.supporter.user_id:
        raise InvitationError("forbidden", _("This invitation is for another supporter."))
    return invitation


def _answer(invitation, outcome) -> None:
    invitation.outcome = outcome
    invitation.answered_at = timezone.now()
    invitation.save(update_fields=["outcome", "answered_at"])


def when_staffed(session) -> None:
    """Every place on a group visit is taken, however (an invitation, the board, the roster):
    those still to answer are told, and the representative once. Called by `sign_up`."""
    still_open = DispatchInvitation.objects.filter(session=session, outcome=Outcome.OPEN)
    waiting = list(still_open.select_related("supporter__user"))
    # An invitation still held back by the quiet hours is called off rather than followed by
    # "filled" for a text never received.
    unsent = set(
        OutboundMessage.objects.filter(
            purpose=OutboundMessage.Purpose.INVITATION,
            status=OutboundMessage.Status.PENDING,
            content_type=ContentType.objects.get_for_model(DispatchInvitation),
            object_id__in=[invitation.pk for invitation in waiting],
        ).values_list("object_id", flat=True)
    )
    cancel_pending(still_open, purpose=OutboundMessage.Purpose.INVITATION)
    still_open.update(outcome=Outcome.FILLED)  # not an answer: `answered_at` stays empty
    queue_sms_many(
        _filled_text(invitation, session)
        for invitation in waiting
        if invitation.pk not in unsent and _phone(invitation)
    )
    request = DispatchRequest.objects.filter(session=session).first()
    if request is None:  # a visit session made without a request (the admin)
        return
    # A place freed and taken again later tells the representative nothing new: once per
    # date and time, whatever the number of takes.
    last = request.events.filter(
        kind__in=[Event.SCHEDULED, Event.RESCHEDULED, Event.STAFFED]
    ).last()
    if last is not None and last.kind == Event.STAFFED:
        return
    team = Shift.objects.filter(session=session).holding_place().select_related("supporter")
    team = team.order_by("created_at", "pk")
    lead = team.filter(role=Shift.Role.LEAD).first() or team.first()
    record(request, Event.STAFFED, note=lead.supporter.short_name)
    stamp = timezone.localtime(session.starts_at).strftime("%Y-%m-%dT%H:%M")
    tell_representative(
        request,
        "request_staffed",
        key=f"request:{request.pk}:staffed@{stamp}",
        moment=session.starts_at,
        lead=lead.supporter.short_name,
        reference=request.reference,
    )


def _phone(invitation) -> str:
    return invitation.supporter.user.phone


def _invitation_text(invitation) -> Sms:
    user = invitation.supporter.user
    session = invitation.session
    body = render_sms(
        "visit_invitation", user.language, moment=session.starts_at, place=session.place_label
    )
    return Sms(
        user.phone,
        # The link on a line of its own: phones make it tappable.
        f"{body}\n{invitation_url(invitation)}",
        OutboundMessage.Purpose.INVITATION,
        f"visit-invitation:{invitation.pk}",
        related=invitation,
        language=user.language,
    )


def _filled_text(invitation, session) -> Sms:
    user = invitation.supporter.user
    return Sms(
        user.phone,
        render_sms(
            "visit_filled", user.language, moment=session.starts_at, place=session.place_label
        ),
        OutboundMessage.Purpose.INVITATION,
        f"visit-filled:{invitation.pk}",
        related=invitation,
        language=user.language,
    )
