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

from django.db import connections
from django.db.models import (
    Case,
    Count,
    DurationField,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractMonth

from config.fiscal import TOKYO, FiscalYear
from consultations.models import Consultation, Feedback
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


def _by_fiscal_year(queryset, path: str, first: FiscalYear, last: FiscalYear):
    """`queryset` (limited to the years `first` to `last`) annotated with `fy`, the fiscal year
    (its starting year) of the datetime at `path`: compared with each year's first instant,
    Tokyo time, rather than a year and a month extracted in Tokyo time from every row."""
    years = range(first.start_year, last.start_year + 1)
    return queryset.annotate(
        fy=Case(
            *(
                When(**{f"{path}__lt": FiscalYear(year).ends_before}, then=Value(year))
                for year in years
            ),
            default=Value(last.start_year),
            output_field=IntegerField(),
        )
    )


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


def _consultations_per_session():
    """The counted consultations of the outer query's session, counted in the index."""
    return Subquery(
        Consultation.objects.counted()
        .filter(session=OuterRef("pk"))
        .order_by()
        .values("session")
        .annotate(n=Count("*"))  # COUNT(*), not of the id the index does not hold
        .values("n"),
        output_field=IntegerField(),
    )


def as_of(fiscal_year: FiscalYear, today: date) -> date:
    """The day a year's standing figures are counted on: its last day, or today for the
    current year (year to date)."""
    return min(fiscal_year.last_day, today)


def headline_by_year(first: FiscalYear, last: FiscalYear, today: date, now=None) -> dict:
    """{start year: {headline key: value}} for every fiscal year from `first` to `last`: the
    city's table (four queries whatever the number of years or records)."""
    years = [FiscalYear(y) for y in range(first.start_year, last.start_year + 1)]
    figures = {fy.start_year: dict.fromkeys(HEADLINE_KEYS, 0) for fy in years}
    kind = Session.Kind
    # The sessions, their reports' participants and their consultations in one query: each
    # help desk's consultations counted in the index (`consultation_counted_idx`), rather than
    # every consultation joined and grouped by year.
    sessions = (
        _by_fiscal_year(held_sessions(first, last, now=now), "starts_at", first, last)
        .order_by()
        .values("fy")
        .annotate(
            help_desk_sessions=Count("id", filter=Q(kind=kind.HELPDESK)),
            dispatches=Count("id", filter=Q(kind=kind.DISPATCH)),
            classes=Count("id", filter=Q(kind=kind.CLASS)),
            dispatch_participants=Coalesce(
                Sum("report__participants", filter=Q(kind=kind.DISPATCH)), 0
            ),
            consultations=Coalesce(
                Sum(_consultations_per_session(), filter=Q(kind=kind.HELPDESK)), 0
            ),
        )
    )
    attendances = (
        _by_fiscal_year(class_attendances(first, last, now=now), "session__starts_at", first, last)
        .order_by()
        .values("fy")
        .annotate(
            class_participants=Count("id"),
            class_distinct_participants=Count("participant_key", distinct=True),
        )
    )
    serving = (
        _by_fiscal_year(served_shifts(first, last, now=now), "session__starts_at", first, last)
        .order_by()
        .values("fy")
        .annotate(serving_supporters=Count("supporter", distinct=True))
    )
    for rows in (sessions, attendances, serving):
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
    """[(venue id, month, sessions)], [(venue id, month, consultations)], in one query: each
    session's consultations counted in the index."""
    rows = (
        held_sessions(fiscal_year, now=now)
        .filter(kind=Session.Kind.HELPDESK)
        .annotate(month=_month_of("starts_at"))
        .order_by()
        .values_list("venue_id", "month")
        .annotate(n=Count("id"), consultations=Sum(_consultations_per_session()))
    )
    sessions, consultations = [], []
    for venue_id, month, n, counted in rows:
        sessions.append((venue_id, month, n))
        if counted:
            consultations.append((venue_id, month, counted))
    return sessions, consultations


# What the year's consultations are broken down by (`consultation_breakdowns`).
BREAKDOWNS = ("topic", "device", "age_band", "language", "is_resolved")


def consultation_breakdowns(fiscal_year: FiscalYear, now=None) -> dict[str, list[tuple]]:
    """{field: [(value, consultations, resolved, minutes)]} for each of BREAKDOWNS, in one
    query over one pass of the year's consultations.

    The rows (`counted_consultations`, as the ORM writes them) are grouped by all five fields
    at once, a thousand-odd groups the database may aggregate in parallel, from the index
    alone (`consultation_counted_idx`); those groups are
    then summed by each field: GROUPING SETS on PostgreSQL, a UNION ALL of one GROUP BY per
    field elsewhere (SQLite)."""
    combinations = (
        counted_consultations(fiscal_year, now=now)
        .order_by()
        .values(**{f"k{n}": F(field) for n, field in enumerate(BREAKDOWNS)})
        # COUNT(*): every column read is in `consultation_counted_idx`, the id is not.
        .annotate(n=Count("*"), minutes=Coalesce(Sum("minutes"), 0))
    )
    inner, params = combinations.query.sql_with_params()
    connection = connections[combinations.db]
    names = ", ".join(f"k{n}" for n in range(len(BREAKDOWNS)))
    resolved = f"k{BREAKDOWNS.index('is_resolved')}"
    sums = f"SUM(n), SUM(CASE WHEN {resolved} THEN n ELSE 0 END), SUM(minutes)"
    if connection.vendor == "postgresql":
        which = " ".join(f"WHEN GROUPING(k{n}) = 0 THEN {n}" for n in range(len(BREAKDOWNS)))
        sets = ", ".join(f"(k{n})" for n in range(len(BREAKDOWNS)))
        sql = (
            f"SELECT CASE {which} END, {names}, {sums} FROM ({inner}) AS counted "
            f"GROUP BY GROUPING SETS ({sets})"
        )
        query_params = params
    else:
        branches = [
            f"SELECT {n}, "
            + ", ".join(f"k{k}" if k == n else "NULL" for k in range(len(BREAKDOWNS)))
            + f", {sums} FROM ({inner}) AS counted GROUP BY k{n}"
            for n in range(len(BREAKDOWNS))
        ]
        sql = " UNION ALL ".join(branches)
        query_params = params * len(BREAKDOWNS)
    with connection.cursor() as cursor:
        cursor.execute(sql, query_params)
        results = cursor.fetchall()
    found = {name: [] for name in BREAKDOWNS}
    for which, *values in results:
        name = BREAKDOWNS[which]
        value = values[which]
        n, resolved, minutes = (int(v) for v in values[len(BREAKDOWNS) :])
        found[name].append((bool(value) if name == "is_resolved" else value, n, resolved, minutes))
    for rows in found.values():  # in the values' order: ties in a count read the same each time
        rows.sort(key=lambda row: row[0])
    return found


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


def _in_the_year(fiscal_year: FiscalYear, last: date, prefix: str = "") -> Q:
    """Supporters registered at some time in the year: joined by its last day (or today), not
    withdrawn before it began."""
    return Q(**{f"{prefix}joined_on__lte": last}) & (
        Q(**{f"{prefix}withdrawn_on__isnull": True})
        | Q(**{f"{prefix}withdrawn_on__gte": fiscal_year.first_day})
    )


def shifts_per_supporter(fiscal_year: FiscalYear, today: date, now=None) -> list[tuple]:
    """[(band index, supporters)]: how many shifts each supporter registered at some point in
    the year served, in SHIFT_BANDS, counted by the database in two queries: the year's served
    shifts grouped by supporter and banded over those groups (a subquery), and the supporters
    of the year, whom the bands leave out when they served none. (A correlated count per
    supporter, banded with CASE, repeated the count in every WHEN: a second at 13,000
    supporters.)"""
    last = as_of(fiscal_year, today)
    per_supporter = (
        served_shifts(fiscal_year, now=now)
        .filter(_in_the_year(fiscal_year, last, "supporter__"))
        .order_by()
        .values("supporter")
        .annotate(n=Count("pk"))
    )
    serving = {
        f"band{n}": Count(
            "supporter", filter=Q(n__gte=low) & (Q(n__lte=high) if high is not None else Q())
        )
        for n, (low, high) in enumerate(SHIFT_BANDS)
        if low > 0
    }
    bands = per_supporter.aggregate(**serving)
    everyone = Supporter.objects.filter(_in_the_year(fiscal_year, last)).count()
    counted = [(int(key.removeprefix("band")), n) for key, n in bands.items()]
    rows = [(0, everyone - sum(n for _band, n in counted)), *counted]
    return [(band, n) for band, n in rows if n]


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
