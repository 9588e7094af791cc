from datetime import date, datetime, time
from datetime import timezone as dt_timezone

from django.utils import timezone
from ninja import Field, Schema

from config.schemas import LocalDateTime

# Dates listed for a venue: about three months at the usual twice-a-month rhythm.
NEXT_HELPDESK_DATES = 6


class DistrictOut(Schema):
    code: str
    name: str
    name_kana: str
    population: int | None


class DistrictRef(Schema):
    code: str
    name: str


class VenueOut(Schema):
    id: int
    name: str
    name_kana: str
    address: str
    district: DistrictRef
    latitude: float | None
    longitude: float | None
    access_notes: str
    accessibility_notes: str
    has_wifi: bool
    is_helpdesk: bool


def with_offset(moment: time) -> time:
    """A wall-clock time in Japan, with today's offset: OpenAPI's `format: time` needs one."""
    today = timezone.make_aware(datetime.combine(timezone.localdate(), moment))
    return moment.replace(tzinfo=dt_timezone(today.utcoffset()))


class ScheduleOut(Schema):
    weekday: int = Field(description="0 = Monday … 6 = Sunday.")
    weekday_name: str = Field(description="The weekday's name in the request's language.")
    weeks_of_month: list[int] = Field(description="Which of the month's weekdays, e.g. [2, 4].")
    # Strings: Django's JSON encoder refuses times with an offset, which `format: time` needs.
    start_time: str = Field(
        description="Japan time, with its offset: `10:00:00+09:00`.",
        json_schema_extra={"format": "time"},
    )
    end_time: str = Field(
        description="Japan time, with its offset: `16:00:00+09:00`.",
        json_schema_extra={"format": "time"},
    )
    valid_from: date
    valid_until: date | None

    @staticmethod
    def resolve_start_time(schedule) -> str:
        return with_offset(schedule.start_time).isoformat()

    @staticmethod
    def resolve_end_time(schedule) -> str:
        return with_offset(schedule.end_time).isoformat()

    @staticmethod
    def resolve_weekday_name(schedule) -> str:
        return str(schedule.get_weekday_display())

    @staticmethod
    def resolve_weeks_of_month(schedule) -> list[int]:
        return schedule.week_ordinals


class HelpdeskDateOut(Schema):
    date: date
    starts_at: LocalDateTime
    ends_at: LocalDateTime
    status: str = Field(description="`scheduled`, `cancelled` or `held`.")
    is_cancelled: bool = Field(description="The sitting was called off (中止): do not come.")

    @staticmethod
    def resolve_date(session) -> date:
        return timezone.localdate(session.starts_at)


class VenueDetailOut(VenueOut):
    schedules: list[ScheduleOut] = Field(
        description="Help-desk schedules in force now or later (empty for other venues)."
    )
    next_helpdesk_dates: list[HelpdeskDateOut] = Field(
        description="The next help-desk sittings planned at this venue, soonest first: the same "
        "dates as the home page. A cancelled one stays listed, with `is_cancelled`, until its "
        "day has passed. `GET /api/sessions?venue=` lists every sitting."
    )

    @staticmethod
    def resolve_next_helpdesk_dates(venue) -> list:
        return venue.next_sessions
