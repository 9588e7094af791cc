from datetime import datetime

from django.utils import timezone
from ninja import Field, Schema

from supporters.services import TOKEN_NAME_MAX_LENGTH


def local_or_none(moment: datetime | None) -> datetime | None:
    return timezone.localtime(moment) if moment else None


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
    created_at: datetime
    last_used_at: datetime | None = Field(description="Recorded at most once a minute.")
    revoked_at: datetime | None

    @staticmethod
    def resolve_created_at(token) -> datetime:
        return timezone.localtime(token.created_at)

    @staticmethod
    def resolve_last_used_at(token) -> datetime | None:
        return local_or_none(token.last_used_at)

    @staticmethod
    def resolve_revoked_at(token) -> datetime | None:
        return local_or_none(token.revoked_at)


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=TOKEN_NAME_MAX_LENGTH)


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret: shown this once, never again.")
