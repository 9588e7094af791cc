from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from config.inputs import Id
from config.schemas import LocalDateTime
from supporters.broadcasts import BROADCAST_MAX_LENGTH
from supporters.services import TOKEN_NAME_MAX_LENGTH

COST = "Estimated cost in yen, a decimal string, at the configured price per part."


class MeOut(Schema):
    username: str
    display_name: str = Field(description="The supporter's name, else the account's full name.")
    is_coordinator: bool
    is_supporter: bool
    language: str = Field(description="The person's language for messages and SMS.")

    @staticmethod
    def resolve_display_name(user) -> str:
        supporter = user.supporter_or_none
        return str(supporter) if supporter else str(user)

    @staticmethod
    def resolve_is_supporter(user) -> bool:
        return user.supporter_or_none is not None


class TokenOut(Schema):
    id: int
    name: str
    hint: str = Field(description="The token's first characters, to tell tokens apart.")
    created_at: LocalDateTime
    last_used_at: LocalDateTime | None = Field(description="Recorded at most once a minute.")
    revoked_at: LocalDateTime | None


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=TOKEN_NAME_MAX_LENGTH)


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret: shown this once, never again.")


class AvailabilitySlot(Schema):
    weekday: int = Field(ge=0, le=6, description="0 Monday … 6 Sunday.")
    part: Literal["morning", "afternoon"] = Field(description="Before noon, or from noon.")


class AvailabilityIn(Schema):
    slots: list[AvailabilitySlot] = Field(
        max_length=14, description="Every time the supporter is usually free; [] clears them."
    )


class AvailabilityOut(Schema):
    slots: list[AvailabilitySlot] = Field(description="Monday morning first.")


class CalendarOut(Schema):
    webcal_url: str = Field(description="Subscribes in calendar apps (`webcal://`).")
    https_url: str = Field(description="The same feed over the web, e.g. for Google Calendar.")


# Invitations (issue 5), for coordinators.


class InvitationIn(Schema):
    family_name: str = Field(min_length=1, max_length=50)
    given_name: str = Field(min_length=1, max_length=50)
    phone: str = Field(
        "",
        max_length=32,
        description="Mobile number as written (090-1234-5678) or E.164: the invitation goes "
        "there by SMS.",
    )
    email: str = Field(
        "", max_length=254, description="Without a phone, the invitation goes here by email."
    )
    training_level: int = Field(1, ge=1, le=5, description="The city's course level, 1 to 5.")
    language: str = Field("ja", description="Language of the messages: `ja` or `en`.")


class InvitationOut(Schema):
    id: int
    family_name: str
    given_name: str
    phone: str = Field(description="E.164, or empty.")
    email: str
    training_level: int
    language: str
    state: str = Field(description="`open`, `accepted`, `revoked` or `expired`.")
    invited_by: str | None = Field(description="The coordinator who sent it.")
    supporter_id: int | None = Field(description="The supporter it made, once accepted.")
    created_at: LocalDateTime
    expires_at: LocalDateTime
    accepted_at: LocalDateTime | None
    revoked_at: LocalDateTime | None
    emailed_at: LocalDateTime | None = Field(
        description="When the invitation's email was handed to the mail server; null for a "
        "text (see the outbox) and while the email waits to be sent."
    )
    email_error: str = Field(
        description="Why the email could not be sent, else empty: check the address or the "
        "mail server, then invite again."
    )

    @staticmethod
    def resolve_invited_by(invitation) -> str | None:
        return str(invitation.invited_by) if invitation.invited_by else None


class InvitationCreatedOut(InvitationOut):
    link: str = Field(description="The sign-up link, also sent to the person; shown this once.")


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
