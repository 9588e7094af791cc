"""What the API shows of the outbox and incoming texts: coordinators only."""

from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from config.inputs import IsoDate
from config.schemas import LocalDateTime
from notifications.models import OutboundMessage

Status = Literal[tuple(OutboundMessage.Status.values)]
Purpose = Literal[tuple(OutboundMessage.Purpose.values)]

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
    send_after: LocalDateTime = Field(description="When it is (or was) due, Japan time.")
    sent_at: LocalDateTime | None = Field(description="When the provider took it, Japan time.")
    created_at: LocalDateTime = Field(description="When it was queued, Japan time.")
    can_retry: bool = Field(description="Failed, and may be sent again (never a sign-in code).")

    @staticmethod
    def resolve_text(message) -> str:
        return message.display_body

    @staticmethod
    def resolve_can_retry(message) -> bool:
        return message.is_retryable


class InboundFilters(Schema):
    unread: bool | None = Field(None, description="true: only texts still to read; false: read.")


class InboundMessageOut(Schema):
    id: int
    from_number: str = Field(description="The sender's number, E.164.")
    sender_name: str | None = Field(
        None, description="The supporter with this number; null for anyone else."
    )
    text: str
    action: str = Field(
        description="What the app did with it, a code set by the handler that answered it: "
        "`none` (for people to read), `opt_out`, `opt_in`, `confirmed`, `cancelled` or "
        "`accepted_offer` (a shift), more as journeys are added."
    )
    action_label: str = Field(description="The same, as coordinators read it.")
    is_read: bool
    received_at: LocalDateTime = Field(description="Japan time.")

    @staticmethod
    def resolve_text(message) -> str:
        return message.body


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
