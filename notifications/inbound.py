"""What Twilio tells us: delivery reports on our texts, and texts people send us."""

import logging
import unicodedata

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from notifications.backends import TWILIO_STATUSES
from notifications.models import InboundMessage, OutboundMessage
from notifications.services import E164, opt_in, opt_out, queue_sms
from notifications.texts import render_sms
from sessions.models import Session, Shift
from sessions.services import ShiftError, cancel_shift, confirm_shift
from supporters.models import Supporter

logger = logging.getLogger(__name__)

Status = OutboundMessage.Status
Action = InboundMessage.Action

# Twilio's own opt-out and opt-in keywords (it blocks or unblocks the number itself, so we must
# agree with it), and their Japanese equivalents.
STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
    | {"停止", "ストップ", "配信停止"}
)
START_WORDS = frozenset({"START", "YES", "UNSTOP", "再開", "開始"})
CONFIRM, CANCEL = "1", "2"

# Status order: a late or replayed report never moves a message backwards.
RANK = {
    Status.PENDING: 0,
    Status.SENDING: 1,
    Status.UNKNOWN: 1,  # the provider's report settles what the lookup could not
    Status.QUEUED: 2,
    Status.SENT: 3,
    Status.DELIVERED: 4,
    Status.UNDELIVERED: 4,
    Status.FAILED: 4,
    Status.CANCELLED: 4,
}
HANDED_OVER = (Status.QUEUED, Status.SENT, Status.DELIVERED)


def keyword(body: str) -> str:
    """The reply reduced to a keyword: full-width and half-width forms folded, case ignored."""
    return unicodedata.normalize("NFKC", body).strip().strip(".。!！、,").strip().upper()


def record_delivery_status(*, message_id, sid: str, status: str, error_code: str = ""):
    """Apply a status callback; returns the message, or None when it is not ours."""
    new_status = TWILIO_STATUSES.get(status)
    if new_status is None or not sid:
        return None
    with transaction.atomic():
        messages = OutboundMessage.objects.select_for_update()
        message = messages.filter(pk=message_id).first() if message_id else None
        if message is None or message.provider_id not in (None, sid):
            message = messages.filter(provider_id=sid).first()
        if message is None:
            logger.info("Status %s for unknown message %s", status, sid)
            return None
        if RANK[new_status] <= RANK[message.status]:
            return message
        message.status = new_status
        message.provider_id = sid
        message.error_code = error_code or message.error_code
        message.sent_at = message.sent_at or timezone.now()
        message.save(update_fields=["status", "provider_id", "error_code", "sent_at", "updated_at"])
    return message


def receive_sms(*, sid: str, from_number: str, to_number: str, body: str) -> InboundMessage:
    """Store a text once per provider id and act on it: STOP, START, or 1/2 to a reminder."""
    with transaction.atomic():
        inbound, created = InboundMessage.objects.get_or_create(
            provider_id=sid,
            defaults={"from_number": from_number, "to_number": to_number, "body": body},
        )
        if not created:
            return inbound  # a replay: acted on the first time
        supporter = Supporter.objects.filter(user__phone=from_number).select_related("user").first()
        language = supporter.user.language if supporter else "ja"
        word = keyword(body)
        reply = None
        if word in STOP_WORDS:
            opt_out(from_number)
            inbound.action, reply = Action.OPT_OUT, render_sms("reply_opted_out", language)
        elif word in START_WORDS:
            opt_in(from_number)
            inbound.action, reply = Action.OPT_IN, render_sms("reply_opted_in", language)
        elif word in (CONFIRM, CANCEL) and supporter:
            inbound.action, reply = answer_reminder(supporter, word)
        if inbound.action != Action.NONE:
            inbound.is_read = True  # handled: coordinators read only what needs a person
            inbound.save(update_fields=["action", "is_read"])
        if reply and E164.fullmatch(from_number):  # not to short codes or sender names
            queue_sms(
                from_number,
                reply,
                purpose=OutboundMessage.Purpose.REPLY,
                key=f"reply:{sid}",
                related=inbound,
                language=language,
            )
    return inbound


def next_reminded_shift(supporter: Supporter) -> Shift | None:
    """The supporter's soonest coming shift that a reminder was sent for: what 1 or 2 answers."""
    reminded = OutboundMessage.objects.filter(
        purpose=OutboundMessage.Purpose.REMINDER,
        content_type=ContentType.objects.get_for_model(Shift),
        object_id=OuterRef("pk"),
        status__in=HANDED_OVER,
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
        return Action.NONE, render_sms("reply_no_shift", language)
    when = {"moment": shift.session.starts_at, "place": shift.session.place_label}
    try:
        if word == CONFIRM:
            confirm_shift(shift)  # on an offered place, the shift rules take the offer
            action = Action.ACCEPTED_OFFER if offer else Action.CONFIRMED
            return action, render_sms("reply_confirmed", language, **when)
        cancel_shift(shift, by=supporter.user, notify=False)
        return Action.CANCELLED, render_sms("reply_cancelled", language, **when)
    except ShiftError:
        return Action.NONE, render_sms("reply_cannot_change", language)
