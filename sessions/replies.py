"""Supporters' answers by text: 1 confirms the reminded shift (or takes an offered place),
2 cancels it. Registered with the outbox's reply handlers in `SessionsConfig.ready()`."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.models import OutboundMessage
from notifications.replies import NO_ACTION, Claim
from sessions.models import Session, Shift
from sessions.services import ShiftError, cancel_shift, confirm_shift
from sessions.texts import render_sms
from supporters.models import Supporter

CONFIRM, CANCEL = "1", "2"

# The actions stored on the incoming text, as coordinators read them.
CONFIRMED = "confirmed"
CANCELLED = "cancelled"
ACCEPTED_OFFER = "accepted_offer"
ACTIONS = {
    CONFIRMED: _("Confirmed a shift"),
    CANCELLED: _("Cancelled a shift"),
    ACCEPTED_OFFER: _("Took an offered place"),
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


def answer_reminder(supporter: Supporter, word: str) -> tuple[str, str]:
    """Confirm (1) or cancel (2) the reminded shift, or take an offered place (1); returns the
    action and the reply text."""
    language = supporter.user.language
    offer = open_offer(supporter) if word == CONFIRM else None
    shift = offer or next_reminded_shift(supporter)
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
