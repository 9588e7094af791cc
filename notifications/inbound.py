"""What Twilio tells us: delivery reports on our texts, and texts people send us."""

import logging

from django.db import transaction
from django.utils import timezone

from notifications.backends import TWILIO_STATUSES
from notifications.models import InboundMessage, OutboundMessage
from notifications.replies import E164, NO_ACTION, claim
from notifications.services import queue_sms

logger = logging.getLogger(__name__)

Status = OutboundMessage.Status

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
    """Store a text once per provider id and let the first reply handler that claims it act.

    STOP and START are handled here; the domain apps register the rest (`notifications.replies`).
    A message nobody claims, or claimed with no action, stays unread for coordinators.
    """
    with transaction.atomic():
        inbound, created = InboundMessage.objects.get_or_create(
            provider_id=sid,
            defaults={"from_number": from_number, "to_number": to_number, "body": body},
        )
        if not created:
            return inbound  # a replay: acted on the first time
        answer = claim(inbound)
        if answer is None:
            return inbound
        if answer.action != NO_ACTION:
            inbound.action = answer.action
            inbound.is_read = True  # handled: coordinators read only what needs a person
            inbound.save(update_fields=["action", "is_read"])
        if answer.reply and E164.fullmatch(from_number):  # not to short codes or sender names
            language = answer.language or inbound.sender_language
            queue_sms(
                from_number,
                answer.reply,
                purpose=OutboundMessage.Purpose.REPLY,
                key=f"reply:{sid}",
                related=inbound,
                language=language,
            )
    return inbound
