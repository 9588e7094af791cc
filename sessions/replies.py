"""Answers by text, registered with the outbox's reply handlers in `SessionsConfig.ready()`.

Supporters: 1 takes an offered place, else a shift they were asked to cover, else a place on
the group visit they were last invited to, else confirms the reminded shift; 2 cancels the
reminded shift; 3 asks for cover for it (issue 13). A class registrant offered
a freed seat: 1 takes it (asked after the supporters' handler, so a supporter's 1 stays theirs).
A group's representative: any text is noted on their request for the coordinators.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from notifications.models import OutboundMessage
from notifications.replies import NO_ACTION, Claim
from sessions.models import (
    ClassRegistration,
    CoverOffer,
    CoverRequest,
    DispatchInvitation,
    DispatchRequest,
    RequestEvent,
    Session,
    Shift,
)
from sessions.services import (
    CoverError,
    InvitationError,
    RegistrationError,
    ShiftError,
    accept_class_offer,
    cancel_shift,
    confirm_shift,
    request_cover,
    take_cover,
    take_invitation,
)
from sessions.services.requests import record
from sessions.texts import render_sms
from supporters.models import Supporter

CONFIRM, CANCEL, COVER = "1", "2", "3"
OPEN_OR_SCHEDULED = (
    DispatchRequest.Status.RECEIVED,
    DispatchRequest.Status.ACCEPTED,
    DispatchRequest.Status.SCHEDULED,
)

# The actions stored on the incoming text, as coordinators read them.
CONFIRMED = "confirmed"
CANCELLED = "cancelled"
ACCEPTED_OFFER = "accepted_offer"
TOOK_VISIT = "took_visit"
REQUEST_REPLY = "request_reply"
TOOK_CLASS_SEAT = "took_class_seat"
TOOK_COVER = "took_cover"
ASKED_FOR_COVER = "asked_for_cover"
ACTIONS = {
    CONFIRMED: _("Confirmed a shift"),
    CANCELLED: _("Cancelled a shift"),
    ACCEPTED_OFFER: _("Took an offered place"),
    TOOK_VISIT: _("Took a place on a group visit"),
}
REQUEST_ACTIONS = {
    REQUEST_REPLY: _("Noted on the group visit request"),
}
CLASS_ACTIONS = {
    TOOK_CLASS_SEAT: _("Took an offered class seat"),
}
COVER_ACTIONS = {
    TOOK_COVER: _("Took a shift to cover"),
    ASKED_FOR_COVER: _("Asked for cover"),
}


def answer_shift_reply(message) -> Claim | None:
    """1 or 2 from a supporter's number; anything else, or anyone else, is not ours."""
    if message.keyword not in (CONFIRM, CANCEL) or not message.from_number:
        return None
    supporter = (
        Supporter.objects.filter(user__phone=message.from_number).select_related("user").first()
    )
    if supporter is None:
        return None
    action, reply = answer_reminder(supporter, message.keyword)
    return Claim(action, reply, supporter.user.language)


def next_reminded_shift(supporter: Supporter) -> Shift | None:
    """The supporter's soonest coming shift that a reminder was sent for: what 1 or 2 answers."""
    reminded = OutboundMessage.objects.handed_over().filter(
        purpose=OutboundMessage.Purpose.REMINDER,
        content_type=ContentType.objects.get_for_model(Shift),
        object_id=OuterRef("pk"),
    )
    return (
        Shift.objects.filter(
            supporter=supporter,
            status=Shift.Status.SIGNED_UP,
            session__starts_at__gt=timezone.now(),
        )
        .exclude(session__status=Session.Status.CANCELLED)
        .filter(Exists(reminded))
        .select_related("session__venue", "supporter__user")
        .order_by("session__starts_at", "pk")
        .first()
    )


def open_offer(supporter: Supporter) -> Shift | None:
    """A place offered to the supporter from a waiting list: "1" takes it before anything else."""
    return (
        Shift.objects.open_offers()
        .filter(supporter=supporter)
        .select_related("session__venue", "supporter__user")
        .order_by("offer_expires_at", "pk")
        .first()
    )


def latest_invitation(supporter: Supporter, outcome: str) -> DispatchInvitation | None:
    """The group visit still to come the supporter was last invited to, with `outcome`."""
    return (
        DispatchInvitation.objects.filter(
            supporter=supporter, outcome=outcome, session__starts_at__gt=timezone.now()
        )
        .exclude(session__status=Session.Status.CANCELLED)
        .select_related("session__venue")
        .order_by("-created_at", "-pk")
        .first()
    )


def answer_invitation(invitation: DispatchInvitation, language: str) -> tuple[str, str]:
    """Take a place on the invited visit for "1": the reply says it is theirs, or filled, or
    why the shift rules refuse."""
    session = invitation.session
    when = {"moment": session.starts_at, "place": session.place_label}
    try:
        take_invitation(invitation, by=None)
    except InvitationError as error:
        if error.code == "filled":
            return NO_ACTION, render_sms("reply_visit_filled", language, **when)
        return NO_ACTION, render_sms("reply_cannot_change", language)
    except ShiftError as error:
        with translation.override(language):
            reason = str(error.message)
        return NO_ACTION, render_sms("reply_visit_refused", language, reason=reason, **when)
    return TOOK_VISIT, render_sms("reply_visit_taken", language, **when)


def answer_reminder(supporter: Supporter, word: str) -> tuple[str, str]:
    """Confirm (1) or cancel (2) the reminded shift, or take an offered place or a place on a
    group visit the supporter was invited to (1); returns the action and the reply text."""
    language = supporter.user.language
    offer = open_offer(supporter) if word == CONFIRM else None
    if word == CONFIRM and offer is None:
        cover = open_cover_offer(supporter)
        if cover is not None:
            return answer_cover_offer(cover, language)
        invitation = latest_invitation(supporter, DispatchInvitation.Outcome.OPEN)
        if invitation is not None:
            return answer_invitation(invitation, language)
    shift = offer or next_reminded_shift(supporter)
    if shift is None and word == CONFIRM:
        # Answering a cover text after another supporter took the shift.
        covered = latest_cover_offer(supporter, CoverOffer.Outcome.FILLED)
        if covered is not None:
            return answer_cover_offer(covered, language)
        # Answering an invitation after the text that the places were filled.
        filled = latest_invitation(supporter, DispatchInvitation.Outcome.FILLED)
        if filled is not None:
            return answer_invitation(filled, language)
    if shift is None:
        return NO_ACTION, render_sms("reply_no_shift", language)
    when = {"moment": shift.session.starts_at, "place": shift.session.place_label}
    try:
        if word == CONFIRM:
            confirm_shift(shift)  # on an offered place, the shift rules take the offer
            action = ACCEPTED_OFFER if offer else CONFIRMED
            return action, render_sms("reply_confirmed", language, **when)
        cancel_shift(shift, by=supporter.user, notify=False)
        return CANCELLED, render_sms("reply_cancelled", language, **when)
    except ShiftError:
        return NO_ACTION, render_sms("reply_cannot_change", language)


def open_cover_offer(supporter: Supporter) -> CoverOffer | None:
    """The latest shift the supporter was asked to cover that is still looking for someone."""
    offer = latest_cover_offer(supporter, CoverOffer.Outcome.OPEN)
    return offer if offer and offer.request.status == CoverRequest.Status.OPEN else None


def latest_cover_offer(supporter: Supporter, outcome: str) -> CoverOffer | None:
    """The shift still to come the supporter was last asked to cover, with `outcome`."""
    return (
        CoverOffer.objects.filter(
            supporter=supporter,
            outcome=outcome,
            request__shift__session__starts_at__gt=timezone.now(),
        )
        .select_related("request__shift__session__venue")
        .order_by("-created_at", "-pk")
        .first()
    )


def answer_cover_offer(offer: CoverOffer, language: str) -> tuple[str, str | None]:
    """Take the shift for "1": the confirmation text says it is theirs (no reply on top), or
    the reply says it was covered first, or why the shift rules refuse."""
    session = offer.request.shift.session
    when = {"moment": session.starts_at, "place": session.place_label}
    try:
        take_cover(offer, by=None)
    except (CoverError, ShiftError) as error:
        if error.code == "taken":
            return NO_ACTION, render_sms("reply_cover_gone", language, **when)
        with translation.override(language):
            reason = str(error.message)
        return NO_ACTION, render_sms("reply_cover_refused", language, reason=reason, **when)
    return TOOK_COVER, None


def answer_cover_reply(message) -> Claim | None:
    """3 from a supporter's number: ask for cover for the reminded shift. Not ours otherwise."""
    if message.keyword != COVER or not message.from_number:
        return None
    supporter = (
        Supporter.objects.filter(user__phone=message.from_number).select_related("user").first()
    )
    if supporter is None:
        return None
    language = supporter.user.language
    shift = next_reminded_shift(supporter)
    if shift is None:
        return Claim(NO_ACTION, render_sms("reply_no_shift", language), language)
    when = {"moment": shift.session.starts_at, "place": shift.session.place_label}
    try:
        request_cover(shift, by=None)
    except CoverError as error:
        with translation.override(language):
            reason = str(error.message)
        reply = render_sms("reply_cover_refused", language, reason=reason, **when)
        return Claim(NO_ACTION, reply, language)
    return Claim(ASKED_FOR_COVER, render_sms("reply_cover_asked", language, **when), language)


def answer_representative(message) -> Claim | None:
    """Any text from the number of a group's representative whose request is open or
    scheduled (and not a supporter's number): noted on the request, and thanked."""
    if not message.from_number:
        return None
    if Supporter.objects.filter(user__phone=message.from_number).exists():
        return None
    request = (
        DispatchRequest.objects.filter(
            representative_phone=message.from_number,
            status__in=OPEN_OR_SCHEDULED,
            purged_at__isnull=True,
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if request is None:
        return None
    record(request, RequestEvent.Kind.REPLY, note=message.body)
    language = request.preferred_language
    reply = render_sms("reply_request_noted", language, reference=request.reference)
    return Claim(REQUEST_REPLY, reply, language)


def answer_class_offer(message) -> Claim | None:
    """1 from a number a class seat was offered to by text (the offer still open, or lapsed
    before the answer came): the seat is taken through the registration rules, or the reply
    says why not. Anything else, or any other number, is not ours."""
    if message.keyword != CONFIRM or not message.from_number:
        return None
    registration = (
        ClassRegistration.objects.filter(
            phone=message.from_number,
            offer_expires_at__isnull=False,
            status__in=[ClassRegistration.Status.OFFERED, ClassRegistration.Status.CANCELLED],
            session__starts_at__gt=timezone.now(),
            purged_at__isnull=True,
        )
        .select_related("session__venue")
        # An open offer first, else the latest that lapsed.
        .order_by("-status", "offer_expires_at", "pk")
        .first()
    )
    if registration is None:
        return None
    language = registration.language
    try:
        accept_class_offer(registration, by=None)
    except RegistrationError as error:
        template = (
            "reply_class_offer_lapsed"
            if error.code == "offer_expired"
            else "reply_class_offer_refused"
        )
        reply = render_sms(template, language, reference=registration.reference)
        return Claim(NO_ACTION, reply, language)
    # The confirmation text goes out with the seat (`accept_class_offer`): no second reply.
    return Claim(TOOK_CLASS_SEAT, None, language)
