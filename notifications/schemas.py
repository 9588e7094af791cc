"""What the API shows of the outbox, incoming texts and broadcasts: coordinators only."""

from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.utils import timezone
from ninja import Field, Schema

from config.inputs import Id, IsoDate
from notifications.models import InboundMessage, OutboundMessage
from notifications.services import BROADCAST_MAX_LENGTH

Status = Literal[tuple(OutboundMessage.Status.values)]
Purpose = Literal[tuple(OutboundMessage.Purpose.values)]
Action = Literal[tuple(InboundMessage.Action.values)]

COST = "Estimated cost in yen, a decimal string, at the configured price per part."


class OutboxFilters(Schema):
    status: Status | None = Field(None, description="Only texts with this status.")
    purpose: Purpose | None = Field(None, description="Only texts sent for this purpose.")
    date_from: IsoDate | None = Field(
        None, description="Only texts queued on or after this date (Japan time)."
    )
    date_to: IsoDate | None = Field(
        None, description="Only texts queued on or before this date (Japan time)."
    )


class OutboxMessageOut(Schema):
    id: int
    to: str = Field(description="The recipient's number, E.164.")
    recipient_name: str | None = Field(
        None, description="The supporter with this number; null for anyone else."
    )
    purpose: Purpose
    status: Status
    text: str = Field(description="The text sent; a sign-in code's is never shown.")
    language: str
    segments: int = Field(description="Billed parts: 70 Japanese characters make one.")
    attempts: int
    error_code: str = Field(description="The provider's error code, e.g. 21610; else empty.")
    last_error: str
    send_after: datetime = Field(description="When it is (or was) due, Japan time.")
    sent_at: datetime | None = Field(description="When the provider took it, Japan time.")
    created_at: datetime = Field(description="When it was queued, Japan time.")
    can_retry: bool = Field(description="Failed, and may be sent again (never a sign-in code).")

    @staticmethod
    def resolve_text(message) -> str:
        return message.display_body

    @staticmethod
    def resolve_can_retry(message) -> bool:
        return message.is_retryable

    @staticmethod
    def resolve_send_after(message) -> datetime:
        return timezone.localtime(message.send_after)

    @staticmethod
    def resolve_sent_at(message) -> datetime | None:
        return timezone.localtime(message.sent_at) if message.sent_at else None

    @staticmethod
    def resolve_created_at(message) -> datetime:
        return timezone.localtime(message.created_at)


class InboundFilters(Schema):
    unread: bool | None = Field(None, description="true: only texts still to read; false: read.")


class InboundMessageOut(Schema):
    id: int
    from_number: str = Field(description="The sender's number, E.164.")
    sender_name: str | None = Field(
        None, description="The supporter with this number; null for anyone else."
    )
    text: str
    action: Action = Field(description="What the app did with it; `none`: for people to read.")
    is_read: bool
    received_at: datetime = Field(description="Japan time.")

    @staticmethod
    def resolve_text(message) -> str:
        return message.body

    @staticmethod
    def resolve_received_at(message) -> datetime:
        return timezone.localtime(message.received_at)


class BroadcastIn(Schema):
    """Who gets the text: each way of choosing adds people, and everyone gets it once."""

    text: str = Field(
        min_length=1,
        max_length=BROADCAST_MAX_LENGTH,
        description="The coordinator's message, sent as written and signed by the office.",
    )
    everyone: bool = Field(False, description="Every active supporter.")
    districts: list[str] = Field(
        [], description="Codes of districts: their active supporters (with `skills`, both)."
    )
    skills: list[str] = Field([], description="Codes of skills: active supporters with any.")
    session: Id | None = Field(
        None,
        description="A session not ended yet, within 90 days: everyone on its roster, "
        "waiting list included.",
    )
    supporters: list[Id] = Field([], description="Supporters by id.")
    key: str | None = Field(
        None,
        max_length=40,
        pattern=r"^[A-Za-z0-9-]+$",
        description="Sending: the same key sends each text once, so a retry is safe. "
        "Without one, each request is a new broadcast.",
    )


class BroadcastTextOut(Schema):
    language: str
    text: str = Field(description="What the supporters reading this language get.")
    segments: int = Field(description="Parts per text.")
    recipients: int


class BroadcastPreviewOut(Schema):
    recipients: int = Field(description="Supporters who would get the text.")
    skipped: int = Field(description="Supporters chosen who would not: no phone, or opted out.")
    segments: int = Field(description="Parts in all.")
    cost: Decimal = Field(description=COST)
    texts: list[BroadcastTextOut]


class BroadcastOut(Schema):
    key: str = Field(description="Send it again with this key: nothing is sent twice.")
    recipients: int = Field(description="Texts queued.")
    skipped: int = Field(description="Supporters chosen who get nothing: no phone, or opted out.")
    segments: int
    cost: Decimal = Field(description=COST)


class QueueOut(Schema):
    due: int = Field(description="Texts due now.")
    waiting: int = Field(description="Texts waiting: due later, or after quiet hours.")
    sending: int
    stuck: int = Field(description="Sending for longer than the lease: is a worker running?")
    failed: int
    unknown: int = Field(
        description="Texts needing a check (status `unknown`): the provider could not be asked "
        "whether it has them. They are not sent again unless a coordinator retries them."
    )
    oldest_due_seconds: int | None = Field(description="How long the oldest due text waited.")


class MonthOut(Schema):
    month: str = Field(description="YYYY-MM, Japan time, by when the texts were sent.")
    messages: int
    segments: int
    cost: Decimal = Field(description=COST)

    @staticmethod
    def resolve_month(row) -> str:
        return row["month"].strftime("%Y-%m")


class SummaryOut(Schema):
    queue: QueueOut
    months: list[MonthOut] = Field(description="The last 12 months with texts, newest first.")
    price_per_segment: Decimal
