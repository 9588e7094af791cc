"""The annual report's figures, each aggregated in the database (issue 12): a fixed number of
queries whatever the number of records, and no Python loop over consultations or sessions.

Every figure starts from the same few definitions, so the headline, the breakdowns, the trend
and the exports cannot disagree:

- a session counts when it took place (`took_place`: held, or still scheduled after it ended;
  never cancelled) and started in the fiscal year, Tokyo time;
- a consultation counts when it is not undone and its help desk counts;
- a class's attendance is a registration marked attended; its distinct people are distinct
  participant keys (the keyed hash of the phone number, kept after the personal data goes);
- a supporter is active on a day when registered by then and neither paused nor withdrawn.
"""

from datetime import date, timedelta

from django.db.models import Case, Count, DurationField, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear

from config.fiscal import TOKYO, FiscalYear
from consultations.models import Consultation, Feedback, SessionReport
from sessions.models import ClassRegistration, Session, Shift
from sessions.models.sessions import took_place
from supporters.models import Supporter

HEADLINE_KEYS = (
    "help_desk_sessions",
    "consultations",
    "dispatches",
    "dispatch_participants",
    "active_supporters",
    "serving_supporters",
    "classes",
    "class_participants",
    "class_distinct_participants",
)

# Shifts a supporter served in the year, in the bands the distribution shows.
SHIFT_BANDS = ((0, 0), (1, 1), (2, 4), (5, 9), (10, 19), (20, None))


def _fiscal_year_of(path: str):
    """The fiscal year (its starting year) of the datetime at `path`, Tokyo time."""
    year = ExtractYear(path, tzinfo=TOKYO)
    month = ExtractMonth(path, tzinfo=TOKYO)
    return Case(When(Q(_month__lt=4), then=F("_year") - 1), default=F("_year")), year, month


def _by_fiscal_year(queryset, path: str):
    expression, year, month = _fiscal_year_of(path)
    return queryset.annotate(_year=year, _month=month).annotate(fy=expression)


def _starting_in(first: FiscalYear, last: FiscalYear, prefix: str = "") -> Q:
    return Q(
        **{
            f"{prefix}starts_at__gte": first.starts_at,
            f"{prefix}starts_at__lt": last.ends_before,
        }
    )


def held_sessions(first: FiscalYear, last: FiscalYear | None = None, *, now=None):
    """Sessions that took place in the fiscal years `first` to `last` (both included)."""
    return Session.objects.filter(_starting_in(first, last or first), took_place(now=now))


def counted_consultations(first: FiscalYear, last: FiscalYear | None = None, *, now=None):
    """The help desks' consultations the figures count (相談受付件数)."""
    return Consultation.objects.counted().filter(
        _starting_in(first, last or first, "session__"),
        took_place("session__", now=now),
        session__kind=Session.Kind.HELPDESK,
    )


def class_attendances(first: FiscalYear, last: FiscalYear | None = None, *, now=None):
    """Registrations marked attended at classes that took place (延べ)."""
    return ClassRegistration.objects.filter(
        _starting_in(first, last or first, "session__"),
        took_place("session__", now=now),
        session__kind=Session.Kind.CLASS,
        status=ClassRegistration.Status.ATTENDED,
    )


def served_shifts(first: FiscalYear, last: FiscalYear | None = None, *, now=None):
    return Shift.objects.served(now=now).filter(_starting_in(first, last or first, "session__"))


def as_of(fiscal_year: FiscalYear, today: date) -> date:
    """The day a year's standing figures are counted on: its last day, or today for the
    current year (year to date)."""
    return min(fiscal_year.last_day, today)


def headline_by_year(first: FiscalYear, last: FiscalYear, today: date, now=None) -> dict:
    """{start year: {headline key: value}} for every fiscal year from `first` to `last`: the
    city's table (six queries whatever the number of years or records)."""
    years = [FiscalYear(y) for y in range(first.start_year, last.start_year + 1)]
    figures = {fy.start_year: dict.fromkeys(HEADLINE_KEYS, 0) for fy in years}
    kind = Session.Kind
    sessions = (
        _by_fiscal_year(held_sessions(first, last, now=now), "starts_at")
        .order_by()
        .values("fy")
        .annotate(
            help_desk_sessions=Count("id", filter=Q(kind=kind.HELPDESK)),
            dispatches=Count("id", filter=Q(kind=kind.DISPATCH)),
            classes=Count("id", filter=Q(kind=kind.CLASS)),
        )
    )
    participants = (
        _by_fiscal_year(
            SessionReport.objects.filter(
                _starting_in(first, last, "session__"),
                took_place("session__", now=now),
                session__kind=kind.DISPATCH,
            ),
            "session__starts_at",
        )
        .order_by()
        .values("fy")
        .annotate(dispatch_participants=Coalesce(Sum("participants"), 0))
    )
    consultations = (
        _by_fiscal_year(counted_consultations(first, last, now=now), "session__starts_at")
        .order_by()
        .values("fy")
        .annotate(consultations=Count("id"))
    )
    attendances = (
        _by_fiscal_year(class_attendances(first, last, now=now), "session__starts_at")
        .order_by()
        .values("fy")
        .annotate(
            class_participants=Count("id"),
            class_distinct_participants=Count("participant_key", distinct=True),
        )
    )
    serving = (
        _by_fiscal_year(served_shifts(first, last, now=now), "session__starts_at")
        .order_by()
        .values("fy")
        .annotate(serving_supporters=Count("supporter", distinct=True))
    )
    for rows in (sessions, participants, consultations, attendances, serving):
        for row in rows:
            figures[row.pop("fy")].update(row)
    active = Supporter.objects.aggregate(
        **{str(fy.start_year): _active_on(as_of(fy, today)) for fy in years}
    )
    for year, count in active.items():
        figures[int(year)]["active_supporters"] = count
    return figures


def _active_on(day: date):
    return Count(
        "id",
        filter=Q(joined_on__lte=day)
        & (Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=day))
        & (Q(paused_on__isnull=True) | Q(paused_on__gt=day)),
    )


def first_year_with_data() -> FiscalYear | None:
    first = (
        Session.objects.filter(took_place())
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    return FiscalYear.of(first.astimezone(TOKYO).date()) if first else None


def _month_of(path: str):
    return ExtractMonth(path, tzinfo=TOKYO)


def helpdesk_by_venue_month(fiscal_year: FiscalYear, now=None) -> tuple[list, list]:
    """[(venue id, month, sessions)], [(venue id, month, consultations)]."""
    sessions = (
        held_sessions(fiscal_year, now=now)
        .filter(kind=Session.Kind.HELPDESK)
        .annotate(month=_month_of("starts_at"))
        .order_by()
        .values_list("venue_id", "month")
        .annotate(n=Count("id"))
    )
    consultations = (
        counted_consultations(fiscal_year, now=now)
        .annotate(month=_month_of("session__starts_at"))
        .order_by()
        .values_list("session__venue_id", "month")
        .annotate(n=Count("id"))
    )
    return list(sessions), list(consultations)


def consultations_by(fiscal_year: FiscalYear, field: str, now=None) -> list[tuple]:
    """[(value of `field`, consultations, resolved, minutes)] for the year's consultations."""
    return list(
        counted_consultations(fiscal_year, now=now)
        .order_by()
        .values_list(field)
        .annotate(
            n=Count("id"),
            resolved=Count("id", filter=Q(is_resolved=True)),
            minutes=Coalesce(Sum("minutes"), 0),
        )
    )


def feedback_by_activity_and_venue(fiscal_year: FiscalYear, now=None) -> list[tuple]:
    """[(session kind, venue id or None, answer, answers)] for sessions that took place."""
    return list(
        Feedback.objects.filter(
            _starting_in(fiscal_year, fiscal_year, "session__"), took_place("session__", now=now)
        )
        .order_by()
        .values_list("session__kind", "session__venue_id", "answer")
        .annotate(n=Count("id"))
    )


def dispatches_by_district(fiscal_year: FiscalYear, now=None) -> list[tuple]:
    """[(district id, dispatches, participants)]: the visit's own district, else its venue's."""
    return list(
        held_sessions(fiscal_year, now=now)
        .filter(kind=Session.Kind.DISPATCH)
        .annotate(where=Coalesce("district_id", "venue__district_id"))
        .order_by()
        .values_list("where")
        .annotate(n=Count("id"), participants=Coalesce(Sum("report__participants"), 0))
    )


def classes_by(fiscal_year: FiscalYear, field: str, now=None) -> tuple[list, list]:
    """[(value, classes, capacity)], [(value, attendances, distinct people)] grouped by the
    class's `field` (level, organiser, devices lent): two queries, since seats and people
    cannot share one join without multiplying the seats."""
    classes = (
        held_sessions(fiscal_year, now=now)
        .filter(kind=Session.Kind.CLASS)
        .order_by()
        .values_list(field)
        .annotate(n=Count("id"), capacity=Coalesce(Sum("capacity"), 0))
    )
    people = (
        class_attendances(fiscal_year, now=now)
        .order_by()
        .values_list(f"session__{field}")
        .annotate(n=Count("id"), distinct=Count("participant_key", distinct=True))
    )
    return list(classes), list(people)


def supporters_year(fiscal_year: FiscalYear, today: date, now=None) -> dict:
    """Shifts served and their hours, supporters who served, joined and withdrew."""
    served = served_shifts(fiscal_year, now=now).aggregate(
        shifts=Count("id"),
        duration=Sum(F("session__ends_at") - F("session__starts_at"), output_field=DurationField()),
    )
    last = as_of(fiscal_year, today)
    tenure = Supporter.objects.aggregate(
        joined=Count("id", filter=Q(joined_on__gte=fiscal_year.first_day, joined_on__lte=last)),
        withdrew=Count(
            "id", filter=Q(withdrawn_on__gte=fiscal_year.first_day, withdrawn_on__lte=last)
        ),
        active_at_start=_active_on(fiscal_year.first_day - timedelta(days=1)),
    )
    duration = served["duration"] or timedelta()
    return {
        "shifts": served["shifts"],
        "hours": round(duration.total_seconds() / 3600, 1),
        **tenure,
    }


def shifts_per_supporter(fiscal_year: FiscalYear, today: date, now=None) -> list[tuple]:
    """[(band index, supporters)]: how many shifts each supporter registered at some point in
    the year served, in SHIFT_BANDS, banded and counted by the database."""
    last = as_of(fiscal_year, today)
    served = (
        served_shifts(fiscal_year, now=now)
        .filter(supporter=OuterRef("pk"))
        .order_by()
        .values("supporter")
        .annotate(n=Count("pk"))
        .values("n")
    )
    bands = [
        When(
            Q(served__gte=low, served__lte=high) if high is not None else Q(served__gte=low),
            then=Value(n),
        )
        for n, (low, high) in enumerate(SHIFT_BANDS)
    ]
    in_the_year = Supporter.objects.filter(
        Q(joined_on__lte=last),
        Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=fiscal_year.first_day),
    )
    return list(
        in_the_year.order_by()
        .annotate(served=Coalesce(Subquery(served), 0))
        .annotate(band=Case(*bands))
        .values_list("band")
        .annotate(n=Count("id"))
    )


def course_to_supporter(fiscal_year: FiscalYear, today: date, now=None) -> dict:
    """The year's distinct class participants, and how many of them registered as supporters
    in the year or after (the city counted 113 → 26 for FY2021's course)."""
    keys = class_attendances(fiscal_year, now=now).values("participant_key")
    people = class_attendances(fiscal_year, now=now).aggregate(
        n=Count("participant_key", distinct=True)
    )["n"]
    became = Supporter.objects.filter(
        user__participant_key__in=keys,
        joined_on__gte=fiscal_year.first_day,
        joined_on__lte=today,
    ).count()
    return {"participants": people, "became_supporters": became}
