"""What the API shows of sessions: public information only, never a resident's details."""

from datetime import date, datetime
from typing import Literal

from django.utils import timezone
from ninja import Field, Schema

from sessions.models import Session
from venues.schemas import DistrictRef

Kind = Literal["helpdesk", "dispatch", "class"]
Status = Literal["scheduled", "cancelled", "held"]


class VenueRef(Schema):
    id: int
    name: str


class SessionFilters(Schema):
    kind: Kind | None = Field(None, description="Only sessions of this kind.")
    venue: int | None = Field(None, description="Only sessions at the venue with this id.")
    district: str | None = Field(None, description="Only sessions in the district with this code.")
    date_from: date | None = Field(
        None,
        description="Only sessions starting on or after this date (Japan time). "
        "Without it, only sessions that have not ended yet are listed.",
    )
    date_to: date | None = Field(
        None, description="Only sessions starting on or before this date (Japan time)."
    )
    status: Status | None = Field(
        None, description="Only sessions with this status; without it, cancelled ones are left out."
    )


class SessionOut(Schema):
    id: int
    kind: Kind
    title: str
    status: Status
    starts_at: datetime = Field(description="ISO 8601, Japan time (+09:00).")
    ends_at: datetime = Field(description="ISO 8601, Japan time (+09:00).")
    venue: VenueRef | None
    place_name: str
    address: str | None = Field(
        description="The venue's or the session's address; null for a group visit, whose "
        "place is shown only by `place_name` and `district`."
    )
    district: DistrictRef | None
    supporters_needed: int
    places_left: int = Field(description="Supporter places still open.")
    capacity: int | None = Field(description="Resident places in a class; null otherwise.")
    seats_left: int | None = Field(description="Resident places still open in a class.")
    min_level: int = Field(description="Minimum training level of the supporters (1–5).")

    @staticmethod
    def resolve_starts_at(session) -> datetime:
        return timezone.localtime(session.starts_at)

    @staticmethod
    def resolve_ends_at(session) -> datetime:
        return timezone.localtime(session.ends_at)

    @staticmethod
    def resolve_address(session) -> str | None:
        if session.kind == Session.Kind.DISPATCH:
            return None
        return session.address or (session.venue.address if session.venue else "")

    @staticmethod
    def resolve_district(session):
        return session.district or (session.venue.district if session.venue else None)

    @staticmethod
    def resolve_places_left(session) -> int:
        return session.places_left()

    @staticmethod
    def resolve_seats_left(session) -> int | None:
        return session.seats_left()


class SessionDetailOut(SessionOut):
    description: str
    language: str = Field(description="The language the session is held in.")
    loaner_devices: bool = Field(description="A class where a carrier lends smartphones.")
