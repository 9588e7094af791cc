"""What the API shows of sessions: public information only, never a resident's details."""

from datetime import date, datetime, time
from typing import Annotated, Literal

from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from config.inputs import Id, IsoDate
from config.schemas import LocalDateTime
from sessions.models import DispatchRequest, Session
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
    # No resolvers: `sessions.api.shifts.board_items` hands over every value ready (issue 9).
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


class CertificateFilters(Schema):
    fiscal_year: int | None = Field(
        None,
        ge=2019,
        le=2998,
        description="The fiscal year by its starting year (2025 = April 2025 to March 2026); "
        "this one when left out.",
    )


class CertificateRowOut(Schema):
    kind: Session.Kind
    label: str = Field(description="The kind of session, in the request's language.")
    shifts: int
    hours: float = Field(description="Hours served, to one decimal.")


class CertificateOut(Schema):
    fiscal_year: int = Field(description="The fiscal year by its starting year: 2025 = FY2025.")
    label: str = Field(description="e.g. “FY2025 (Reiwa 7)”, in the request's language.")
    supporter: int = Field(description="The supporter's id.")
    name: str = Field(description="The supporter's full name.")
    by_kind: list[CertificateRowOut] = Field(
        description="Help desk, group visit and smartphone class, each listed, 0 included."
    )
    total_shifts: int
    total_hours: float = Field(description="The year's hours, as My shifts shows them.")
    issued_on: date = Field(description="Today, Japan time.")
    issued_by: str = Field(description="The programme and the city, in the request's language.")

    @staticmethod
    def of(certificate) -> dict:
        year = certificate.fiscal_year
        return {
            "fiscal_year": year.start_year,
            "label": year.label,
            "supporter": certificate.supporter.pk,
            "name": certificate.supporter.full_name,
            "by_kind": [{**row, "label": str(row["label"])} for row in certificate.rows],
            "total_shifts": certificate.total_shifts,
            "total_hours": certificate.total_hours,
            "issued_on": certificate.issued_on,
            "issued_by": certificate.issuer,
        }


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


# Group visits: the coordinators' triage (issue 10) -------------------------------------------

RequestStatus = Literal["received", "accepted", "scheduled", "done", "declined", "cancelled"]
Channel = Literal["web", "phone", "paper"]
Month = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-07"])]


def tokyo_time(value: datetime) -> datetime:
    """A moment sent without an offset is Japan time."""
    return timezone.make_aware(value) if timezone.is_naive(value) else value


AwareDateTime = Annotated[datetime, AfterValidator(tokyo_time)]


class RequestFilters(Schema):
    status: RequestStatus | Literal["open", "all"] | None = Field(
        None,
        description="`open` (the default): received, accepted and scheduled; `all`: every one.",
    )
    district: Id | None = Field(None, description="Only requests in the district with this id.")
    channel: Channel | None = None
    month: Month | None = Field(
        None,
        description="`YYYY-MM`: visits in that month (the visit's date, else the first "
        "date asked for).",
    )


class RequestDistrictOut(Schema):
    id: int
    code: str
    name: str


class RequestSessionOut(Schema):
    id: int
    starts_at: LocalDateTime
    ends_at: LocalDateTime
    status: Status
    supporters_needed: int
    staffed: int = Field(description="Supporters holding a place.")


class RequestEventOut(Schema):
    kind: str
    label: str
    by: str | None
    note: str
    at: LocalDateTime


class RequestTopicOut(Schema):
    id: int
    name: str


class RequestSummaryOut(Schema):
    id: int
    reference: str
    status: RequestStatus
    status_label: str
    channel: Channel
    group_name: str
    residents_count: int
    district: RequestDistrictOut | None
    preferred_dates: list[date]
    preferred_time: Literal["morning", "afternoon", "either"]
    days_waiting: int | None = Field(description="Days since it arrived, while still open.")
    needs_call_back: bool = Field(description="A landline's representative waits for a call.")
    session: RequestSessionOut | None
    created_at: LocalDateTime


class RequestDetailOut(RequestSummaryOut):
    representative_name: str
    representative_kana: str
    representative_phone: str
    representative_email: str
    takes_texts: bool = Field(description="False for a landline: phone the representative.")
    place_name: str
    address: str
    topics: list[RequestTopicOut]
    devices: list[str]
    wifi: str
    preferred_language: str
    message: str
    decline_reason: str
    call_back: str = Field(description="What to tell the representative by phone.")
    purged_at: LocalDateTime | None
    events: list[RequestEventOut]


class ReasonIn(Schema):
    reason: str = Field("", max_length=200, description="Told to the group.")


class QuestionIn(Schema):
    question: str = Field(min_length=1, max_length=200, description="Texted to the group.")


class ScheduleIn(Schema):
    starts_at: AwareDateTime = Field(description="ISO 8601; without an offset, Japan time.")
    ends_at: AwareDateTime
    supporters_needed: int | None = Field(
        None, ge=1, le=20, description="Default: one per four residents, at least two."
    )
    place_name: str = Field("", max_length=100, description="Default: the place asked for.")
    address: str = Field("", max_length=200, description="Default: the address asked for.")
    district: Id | None = Field(None, description="Default: the district asked for.")


class RescheduleIn(Schema):
    starts_at: AwareDateTime
    ends_at: AwareDateTime


# Group visits (issue 10): invitations ----------------------------------------------------------

InvitationOutcome = Literal["open", "taken", "filled", "declined", "withdrawn"]


class SupporterRef(Schema):
    id: int
    name: str = Field(description="The supporter's full name.")

    @staticmethod
    def resolve_name(supporter) -> str:
        return supporter.full_name


class InvitationOut(Schema):
    id: int
    supporter: SupporterRef
    outcome: InvitationOutcome = Field(
        description="`open` until answered; `taken` (a place), `filled` (every place was "
        "taken first), `declined`, or `withdrawn` (the visit was cancelled)."
    )
    created_at: LocalDateTime
    answered_at: LocalDateTime | None = Field(
        description="When the supporter answered; null while open, or filled or withdrawn "
        "without an answer."
    )


class InvitationsIn(Schema):
    supporters: list[Id] = Field(
        min_length=1, max_length=100, description="The ids of the supporters to invite."
    )


# Group-visit requests (issue 10): the public request and its status page.


class DispatchRequestIn(Schema):
    group_name: str = ""
    representative_name: str = ""
    representative_kana: str = ""
    representative_phone: str = Field(
        "", description="A mobile or a landline, as people write it (090-1234-5678, +81…)."
    )
    representative_email: str = ""
    residents_count: int | None = Field(
        None, description=f"At least {DispatchRequest.MIN_RESIDENTS}."
    )
    preferred_dates: list[IsoDate] = Field(
        default_factory=list,
        description="1 to 3 dates, each far enough ahead and not a day the public halls close.",
    )
    preferred_time: Literal["morning", "afternoon", "either"] = "either"
    place_name: str = ""
    address: str = ""
    district: Id | None = Field(None, description="A district's id (`GET /api/districts`).")
    topics: list[Id] = Field(default_factory=list, description="Ids of consultation topics.")
    devices: list[Literal["iphone", "android", "rakuraku", "tablet", "none"]] = Field(
        default_factory=list
    )
    wifi: Literal["yes", "no", "unknown"] = "unknown"
    preferred_language: str = Field("", description="A language code of the site (`ja`, `en`…).")
    message: str = ""
    consent: bool = Field(
        False, description="The representative agrees to the handling of their details."
    )


class DispatchRequestCreatedOut(Schema):
    reference: str = Field(description="The code to quote when calling about the request.")
    status: str
    status_url: str = Field(description="The secret status page (absolute), as texted.")


class DispatchRequestStatusOut(Schema):
    reference: str
    status: Literal["received", "accepted", "scheduled", "done", "declined", "cancelled"]
    status_label: str = Field(description="The status in words (`Accept-Language`).")
    preferred_dates: list[date]
    preferred_time: str
    starts_at: LocalDateTime | None = Field(description="Once scheduled: the visit's start.")
    ends_at: LocalDateTime | None = Field(description="Once scheduled: the visit's end.")
    place: str | None = Field(description="Once scheduled: where the visit is.")
    can_cancel: bool


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


# Smartphone classes: coordinators (issue 11) ---------------------------------------------------

ClassLevel = Annotated[int, Field(ge=1, le=5, description="1 入門編 … 5 活用編.")]
Organiser = Literal["city", "kominkan", "company", "national"]


class ClassFieldsIn(Schema):
    description: str = Field("", max_length=5000)
    class_level: ClassLevel
    organiser: Organiser = Field(
        description="`city`, `kominkan` (a 公民館), `company` (a carrier or company), `national`."
    )
    loaner_devices: bool = Field(False, description="Devices lent to residents without one.")
    venue: Id = Field(description="A venue's id (`GET /api/venues`).")
    capacity: int = Field(ge=1, le=200, description="Places for residents.")
    supporters_needed: int = Field(3, ge=0, le=20)
    language: str = Field("ja", max_length=10, description="A language code of the site.")


class ClassIn(ClassFieldsIn):
    title: str = Field(min_length=1, max_length=100)
    starts_at: AwareDateTime
    ends_at: AwareDateTime
    series: Id | None = Field(None, description="An existing series' id.")
    new_series: str = Field("", max_length=100, description="The title of a new series.")


class ClassChangeIn(Schema):
    """Only the fields sent change."""

    title: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=5000)
    class_level: ClassLevel | None = None
    organiser: Organiser | None = None
    loaner_devices: bool | None = None
    venue: Id | None = None
    capacity: int | None = Field(
        None, ge=1, le=200, description="Never below the seats taken (`capacity_below_taken`)."
    )
    supporters_needed: int | None = Field(None, ge=0, le=20)
    language: str | None = Field(None, max_length=10)
    starts_at: AwareDateTime | None = None
    ends_at: AwareDateTime | None = None
    series: Id | None = None
    new_series: str | None = Field(None, max_length=100)


class SeriesRuleIn(Schema):
    first: IsoDate = Field(description="The first day the rule may take.")
    count: int = Field(ge=1, le=24, description="How many classes.")
    weekday: int = Field(ge=0, le=6, description="0 Monday … 6 Sunday.")
    week_of_month: int | None = Field(
        None, ge=1, le=5, description="The Nth weekday of each month; null: every week."
    )
    every_weeks: int = Field(1, ge=1, le=8, description="Weekly: every how many weeks.")


class SeriesIn(ClassFieldsIn):
    title: str = Field(
        min_length=1, max_length=100, description="The series' and each class's title."
    )
    series_description: str = Field("", max_length=5000)
    starts: time = Field(description="Each class's start, Japan time (`10:00`).")
    ends: time = Field(description="Each class's end, Japan time.")
    dates: list[IsoDate] | None = Field(None, max_length=24, description="The dates, or a `rule`.")
    rule: SeriesRuleIn | None = None
    skip_closed: bool = Field(
        True, description="Skip closed days (false: a list with one is refused, `closed`)."
    )
    dry_run: bool = Field(False, description="Answer the dates without making anything.")


class ClassSeriesRef(Schema):
    id: int
    title: str


class ClassDeskOut(Schema):
    id: int
    title: str
    description: str
    status: Status
    class_level: int | None
    class_level_label: str
    organiser: str
    organiser_label: str
    loaner_devices: bool
    venue: VenueRef | None
    starts_at: LocalDateTime
    ends_at: LocalDateTime
    capacity: int
    supporters_needed: int
    language: str
    series: ClassSeriesRef | None
    seats_taken: int
    waiting: int
    attended: int

    @staticmethod
    def resolve_class_level_label(session) -> str:
        return session.get_class_level_display() if session.class_level else ""

    @staticmethod
    def resolve_organiser_label(session) -> str:
        return session.get_organiser_display()


class SkippedDateOut(Schema):
    """A date left out because the venue is closed (`venues.closures.ClosedDay`): a class
    series' and a help-desk generation's alike."""

    date: date
    reason: Literal["holiday", "new_year", "closure"]
    detail: str = Field(description="The holiday's name, or the closure's reason.")


class SeriesOut(Schema):
    series: ClassSeriesRef | None = Field(description="Null on a dry run.")
    dates: list[date] = Field(description="The dates made (or, on a dry run, to make).")
    skipped: list[SkippedDateOut] = Field(description="Days the venue is closed, with why.")
    classes: list[ClassDeskOut]


class ClassRosterEntryOut(Schema):
    id: int
    reference: str
    name: str
    name_kana: str
    phone: str = Field(description="E.164.")
    phone_national: str = Field(description="As read out, saying when it is a landline.")
    is_landline: bool = Field(description="A landline takes no texts: call instead.")
    language: str
    needs_device: bool = Field(description="Needs a phone lent (no phone of their own).")
    status: Literal["registered", "waitlisted", "cancelled", "attended"]
    waitlist_position: int | None
    created_at: LocalDateTime


class ClassRosterOut(Schema):
    session: ClassDeskOut = Field(description="The class.")
    registered: list[ClassRosterEntryOut] = Field(description="Seats: registered or attended.")
    waiting: list[ClassRosterEntryOut] = Field(description="The waiting list, first first.")
    cancelled: int = Field(description="How many cancelled.")


class ClassAttendanceIn(Schema):
    registration: Id
    attended: bool


# Help-desk schedules (issue 11) ---------------------------------------------------------------

Week = Annotated[int, Field(ge=1, le=5)]


def wall_clock(value: time) -> time:
    """A time of day in Japan, `HH:MM`: an offset would be stored nowhere (TimeField)."""
    if value.tzinfo is not None:
        raise PydanticCustomError("time_parsing", "Give a time of day without an offset")
    return value


WallClock = Annotated[time, AfterValidator(wall_clock)]


class HelpdeskScheduleOut(Schema):
    id: int
    venue: VenueRef
    weekday: int = Field(description="0 = Monday … 6 = Sunday.")
    weekday_name: str = Field(description="The weekday's name in the request's language.")
    weeks_of_month: list[int] = Field(description="Which of the month's weekdays, e.g. [2, 4].")
    start_time: str = Field(description="Japan time, `HH:MM`.")
    end_time: str = Field(description="Japan time, `HH:MM`.")
    supporters_needed: int
    valid_from: date
    valid_until: date | None
    in_words: str = Field(description="The rule in plain words: `第2・第4火曜日 10:00–12:00`.")
    venue_is_helpdesk: bool = Field(
        description="The venue is an active help desk: residents see its dates."
    )

    @staticmethod
    def resolve_weekday_name(schedule) -> str:
        return str(schedule.get_weekday_display())

    @staticmethod
    def resolve_weeks_of_month(schedule) -> list[int]:
        return schedule.week_ordinals

    @staticmethod
    def resolve_start_time(schedule) -> str:
        return schedule.start_time.isoformat(timespec="minutes")

    @staticmethod
    def resolve_end_time(schedule) -> str:
        return schedule.end_time.isoformat(timespec="minutes")

    @staticmethod
    def resolve_venue_is_helpdesk(schedule) -> bool:
        return schedule.venue.is_shown_as_helpdesk


class HelpdeskScheduleFields(Schema):
    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday.")
    weeks_of_month: list[Week] = Field(
        min_length=1, max_length=5, description="Which of the month's weekdays, e.g. [2, 4]."
    )
    start_time: WallClock = Field(description="Japan time, `HH:MM`.")
    end_time: WallClock = Field(description="Japan time, `HH:MM`; after the start.")
    supporters_needed: int = Field(2, ge=1, le=20)
    valid_from: IsoDate
    valid_until: IsoDate | None = None


class HelpdeskScheduleIn(HelpdeskScheduleFields):
    venue: Id = Field(description="An active help-desk venue (else `not_helpdesk`, 409).")


class HelpdeskSchedulePatch(Schema):
    weekday: int | None = Field(None, ge=0, le=6)
    weeks_of_month: list[Week] | None = Field(None, min_length=1, max_length=5)
    start_time: WallClock | None = None
    end_time: WallClock | None = None
    supporters_needed: int | None = Field(None, ge=1, le=20)
    valid_from: IsoDate | None = None
    valid_until: IsoDate | None = Field(None, description="`null` for no end.")


class ChangedSessionOut(Schema):
    id: int
    date: date
    starts_at: LocalDateTime
    ends_at: LocalDateTime
    status: Status
    supporters_needed: int

    @staticmethod
    def resolve_date(session) -> date:
        return timezone.localdate(session.starts_at)


class RemovedSessionOut(ChangedSessionOut):
    deleted: bool = Field(
        description="Deleted; false when the session had history (a cancelled shift) and was "
        "cancelled instead."
    )

    @staticmethod
    def resolve_deleted(session) -> bool:
        return getattr(session, "was_deleted", False)


class ScheduleChangeOut(Schema):
    schedule: HelpdeskScheduleOut
    changed: list[str] = Field(description="The fields whose value changed.")
    updated: list[ChangedSessionOut] = Field(
        description="Sessions to come with nobody on them, given the new times or supporters."
    )
    removed: list[RemovedSessionOut] = Field(
        description="Sessions to come with nobody on them whose date no longer fits the rule."
    )
    added: list[ChangedSessionOut] = Field(
        description="Dates the new rule needs, up to the last date generated before."
    )
    left_alone: list[ChangedSessionOut] = Field(
        description="Sessions to come with supporters signed up that the rule would change: "
        "left as they were, for a coordinator to deal with (roster, call-off)."
    )


class GenerateIn(Schema):
    first: IsoDate | None = Field(
        None, alias="from", description="Default: today, in the current fiscal year."
    )
    last: IsoDate | None = Field(
        None, alias="to", description="Default: 31 March ending the current fiscal year."
    )
    dry_run: bool = Field(False, description="Only say what would be created.")


class GenerateOut(Schema):
    dry_run: bool
    first: date = Field(alias="from")
    last: date = Field(alias="to")
    created: list[date] = Field(description="Dates created, or that would be with `dry_run`.")
    existing: list[date] = Field(description="Dates the schedule already has a session on.")
    skipped: list[SkippedDateOut]


class CallOffIn(Schema):
    reason: str = Field(
        min_length=1, max_length=200, description="Texted to the supporters; shown as 中止."
    )


# Smartphone classes: residents (issue 11) -----------------------------------------------------


class ClassFilters(Schema):
    level: int | None = Field(None, ge=1, le=5, description="Only classes of this level (1–5).")
    loaner_devices: bool | None = Field(
        None, description="true: only classes where phones are lent; false: only the others."
    )


class ClassOut(Schema):
    id: int
    title: str
    description: str
    status: Status
    starts_at: LocalDateTime = Field(description="ISO 8601, Japan time (+09:00).")
    ends_at: LocalDateTime = Field(description="ISO 8601, Japan time (+09:00).")
    venue: VenueRef | None
    place_name: str = Field(description="Where the class is held: the venue's name.")
    address: str
    map_url: str = Field(description="The venue on openstreetmap.org; empty when unknown.")
    level: int | None = Field(description="The city's course level, 1 (入門編) to 5 (活用編).")
    level_label: str = Field(description="The level in words (`Accept-Language`).")
    loaner_devices: bool = Field(description="Phones are lent at the class.")
    organiser: str = Field(description="`city`, `kominkan`, `company`, `national` or empty.")
    series: ClassSeriesRef | None
    capacity: int
    seats_left: int = Field(description="Seats still open; 0 when full.")
    waiting: int = Field(description="Residents on the waiting list.")

    @staticmethod
    def resolve_place_name(session) -> str:
        return session.place_label

    @staticmethod
    def resolve_address(session) -> str:
        return session.address or (session.venue.address if session.venue else "")

    @staticmethod
    def resolve_map_url(session) -> str:
        return session.venue.openstreetmap_url if session.venue else ""

    @staticmethod
    def resolve_level(session) -> int | None:
        return session.class_level

    @staticmethod
    def resolve_level_label(session) -> str:
        return str(session.get_class_level_display() or "")

    @staticmethod
    def resolve_seats_left(session) -> int:
        return session.seats_left()


class ClassRegistrationIn(Schema):
    name: str = Field("", description="The resident's name.")
    kana: str = Field("", description="The name in hiragana or katakana (optional).")
    phone: str = Field(
        "", description="A mobile or a landline, as people write it (090-1234-5678, +81…)."
    )
    language: str = Field("", description="A language code of the site (`ja`, `en`…).")
    own_phone: bool | None = Field(
        None, description="Brings their own smartphone (false: needs one lent)."
    )
    consent: bool = Field(False, description="Agrees to the handling of their details.")
    series: bool = Field(
        False, description="Register for every coming date of the class's series, all or none."
    )


class ClassRegistrationOut(Schema):
    status: Literal["registered", "offered", "waitlisted", "cancelled", "attended"]
    status_label: str = Field(description="The status in words (`Accept-Language`).")
    position: int | None = Field(description="The place in line from 1; null unless waiting.")
    reference: str = Field(description="The code to quote when calling about the place.")
    status_url: str | None = Field(description="The secret status page (absolute), as texted.")
    class_id: int
    starts_at: LocalDateTime
    ends_at: LocalDateTime
    place: str
    offer_expires_at: LocalDateTime | None = Field(
        description="A seat offered by text: take it by then (`accept`)."
    )
    can_cancel: bool


class ClassRegistrationCreatedOut(ClassRegistrationOut):
    series: list[ClassRegistrationOut] = Field(
        description="With `series`: the registration for each date, the asked one first."
    )


# Cover requests (issue 13) ------------------------------------------------------------------

CoverStatus = Literal["open", "taken", "cancelled", "expired"]


class CoverSessionRef(Schema):
    id: int
    kind: Kind
    title: str
    starts_at: LocalDateTime
    ends_at: LocalDateTime
    place: str = Field(description="The venue's name, or the place of a group visit.")

    @staticmethod
    def resolve_place(session) -> str:
        return session.place_label


class CoverSupporterRef(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_name(supporter) -> str:
        return supporter.full_name


class CoverRequestOut(Schema):
    id: int
    shift_id: int = Field(
        description="The shift cover is asked for: it stays the supporter's until someone takes it."
    )
    session: CoverSessionRef
    status: CoverStatus
    deadline: LocalDateTime = Field(
        description="Nobody found by then: the coordinators are told, and the supporter "
        "asked whether they can still come."
    )
    created_at: LocalDateTime
    resolved_at: LocalDateTime | None
    asked: int = Field(description="Supporters asked by text so far.")

    @staticmethod
    def resolve_session(request):
        return request.shift.session

    @staticmethod
    def resolve_asked(request) -> int:
        asked = getattr(request, "asked", None)
        return request.offers.count() if asked is None else asked


class CoverRequestListOut(CoverRequestOut):
    supporter: CoverSupporterRef = Field(description="Who asks for cover.")
    declined: int = Field(description="Supporters asked who said they cannot.")

    @staticmethod
    def resolve_supporter(request):
        return request.shift.supporter
