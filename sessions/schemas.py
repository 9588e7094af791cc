"""What the API shows of sessions: public information only, never a resident's details."""

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from config.inputs import Id, IsoDate
from config.schemas import LocalDateTime
from sessions.models import Session
from venues.schemas import DistrictRef

Kind = Literal["helpdesk", "dispatch", "class"]
Status = Literal["scheduled", "cancelled", "held"]


class VenueRef(Schema):
    id: int
    name: str


class SessionFilters(Schema):
    kind: Kind | None = Field(None, description="Only sessions of this kind.")
    venue: Id | None = Field(None, description="Only sessions at the venue with this id.")
    district: str | None = Field(None, description="Only sessions in the district with this code.")
    date_from: IsoDate | None = Field(
        None,
        description="Only sessions starting on or after this date (Japan time). "
        "Without it, only sessions that have not ended yet are listed.",
    )
    date_to: IsoDate | None = Field(
        None, description="Only sessions starting on or before this date (Japan time)."
    )
    status: Status | None = Field(
        None, description="Only sessions with this status; without it, cancelled ones are left out."
    )


# What every session in the API shows: `SessionOut` reads it from a model object through its
# resolvers, `BoardSessionOut` is handed plain values (issue 9). No docstrings: they would
# become the schemas' descriptions in the OpenAPI document.
class SessionFields(Schema):
    id: int
    kind: Kind
    title: str
    status: Status
    starts_at: LocalDateTime = Field(description="ISO 8601, Japan time (+09:00).")
    ends_at: LocalDateTime = Field(description="ISO 8601, Japan time (+09:00).")
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


class SessionOut(SessionFields):
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


class CheckInIn(Schema):
    token: str = Field(
        min_length=1,
        max_length=200,
        description="The signed value from a check-in QR code: the last part of its "
        "`/checkin/<token>/` URL.",
    )
    join: bool = Field(
        False,
        description="Without a place on the session: take one if open (the shift board's "
        "rules apply), then check in.",
    )


class CheckInOut(Schema):
    session_id: int
    shift_id: int
    status: str = Field(description="The shift's status: `attended`.")
    checked_in_at: LocalDateTime
    already_checked_in: bool = Field(description="Scanned before: nothing was changed.")


class NoShiftOut(Schema):
    code: str = Field(description="`no_shift`")
    message: str
    session_id: int
    places_left: int = Field(description="Open places: send `join: true` to take one.")


# Shift board, my shifts and rosters (issue 5) ----------------------------------------------

ShiftStatus = Literal["signed_up", "waitlisted", "offered", "cancelled", "attended", "no_show"]
Role = Literal["lead", "helper"]


class BoardFilters(Schema):
    kind: Kind | None = Field(None, description="Only sessions of this kind.")
    venue: Id | None = Field(None, description="Only sessions at the venue with this id.")
    district: str | None = Field(None, description="Only sessions in the district with this code.")
    date_from: IsoDate | None = Field(
        None, description="Only sessions starting on or after this date (Japan time)."
    )
    date_to: IsoDate | None = Field(
        None, description="Only sessions starting on or before this date (Japan time)."
    )
    needed: bool = Field(
        False,
        description="Only sessions with a place open that the caller could take (their "
        "level, and not on it already): “only where I'm needed”.",
    )


class BoardSessionOut(SessionFields):
    # No resolvers: `sessions.api.board_items` hands over every value ready (issue 9).
    staffed: int = Field(description="Places taken (an offered place counts as taken).")
    supporters: list[str] = Field(
        description="Given names of the supporters holding a place, leads first."
    )
    waiting: int = Field(description="Supporters on the waiting list.")
    my_status: ShiftStatus | None = Field(
        description="The caller's shift on the session, if any: `signed_up`, `waitlisted` or "
        "`offered` (see `my_offer_expires_at`)."
    )
    my_waiting_rank: int | None = Field(description="The caller's place in line, from 1.")
    my_offer_expires_at: LocalDateTime | None = Field(
        description="Until when the place offered to the caller is kept."
    )


class ShiftOut(Schema):
    id: int
    session: SessionOut
    role: Role
    status: ShiftStatus
    waitlist_position: int | None = Field(
        description="Order on the waiting list (lower comes first); null unless waiting."
    )
    offer_expires_at: LocalDateTime | None = Field(
        description="For an offered place: until when it is kept for the supporter."
    )
    checked_in_at: LocalDateTime | None

    @staticmethod
    def resolve_offer_expires_at(shift) -> datetime | None:
        if shift.status != "offered":
            return None
        return shift.offer_expires_at


class MyShiftFilters(Schema):
    when: Literal["upcoming", "past"] = Field(
        "upcoming",
        description="`upcoming`: shifts on sessions not over yet (places, offers, places in "
        "line), soonest first; `past`: shifts served or missed, latest first.",
    )


class HoursOut(Schema):
    fiscal_year: int = Field(description="The fiscal year by its starting year: 2025 = FY2025.")
    label: str = Field(description="e.g. “FY2025 (Reiwa 7)”, in the request's language.")
    hours: float
    shifts: int


class RosterEntryOut(Schema):
    supporter: int | None = Field(description="The supporter's id (coordinators only).")
    name: str = Field(description="Full name for coordinators; the given name for supporters.")
    name_kana: str | None = Field(description="Coordinators only.")
    phone: str | None = Field(description="E.164; coordinators only.")
    role: Role
    status: ShiftStatus
    waitlist_position: int | None
    offer_expires_at: LocalDateTime | None
    checked_in_at: LocalDateTime | None


class RosterOut(Schema):
    session_id: int
    supporters_needed: int
    places_left: int
    shifts: list[RosterEntryOut] = Field(
        description="Coordinators: everyone holding a place, offered one, or waiting. "
        "Supporters on the session: those holding a place, by given name only."
    )


class RosterChangeIn(Schema):
    supporter: Id = Field(description="The supporter's id.")
    role: Role = "helper"


class AttendanceIn(Schema):
    supporter: Id = Field(description="The supporter's id.")
    status: Literal["attended", "no_show"]


# Suggestions (issue 10): supporters ranked for a scheduled group visit, for coordinators.


class SuggestedSupporterOut(Schema):
    id: int
    name: str = Field(description="Family and given name.")
    training_level: int = Field(description="1–5, the city's course (入門編 … 活用編).")
    district: DistrictRef | None = Field(description="Where the supporter lives, if known.")

    @staticmethod
    def resolve_name(supporter) -> str:
        return supporter.full_name


class SuggestionOut(Schema):
    supporter: SuggestedSupporterOut
    score: int = Field(description="Higher first; the reasons say what it adds up.")
    reasons: list[str] = Field(description="Why, in short phrases in the caller's language.")
    is_free: bool = Field(description="False: another shift at that time (listed after).")
    on_roster: bool = Field(description="Already on this visit (listed last).")
    shifts_this_year: int = Field(description="Places held this fiscal year (April–March).")
