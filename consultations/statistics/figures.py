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
    Max,
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


def _grouping_sets(rows, keys: tuple[str, ...], sets, sums: dict[str, str]) -> list:
    """[(set index, {key: value}, {sum: value})]: `rows` (a queryset's `.values()` with a
    column for each of `keys` and whatever `sums` read) aggregated by each of `sets` (tuples
    of keys; `()` for the whole) in one query over one pass of the rows: GROUPING SETS on
    PostgreSQL, a UNION ALL of one GROUP BY per set elsewhere (SQLite). `sums` are SQL
    aggregates over the rows' columns, e.g. {"n": "COUNT(*)"}."""
    inner, params = rows.order_by().query.sql_with_params()
    connection = connections[rows.db]
    aggregates = ", ".join(f"{sql} AS {name}" for name, sql in sums.items())
    names = ", ".join(keys)
    if connection.vendor == "postgresql":
        # GROUPING(every key): a bit set, first key highest, for each key a set leaves out.
        masks = {
            sum(1 << (len(keys) - 1 - k) for k, key in enumerate(keys) if key not in group): n
            for n, group in enumerate(sets)
        }
        grouping = ", ".join(f"({', '.join(group)})" for group in sets)
        sql = (
            f"SELECT GROUPING({names}), {names}, {aggregates} FROM ({inner}) AS grouped "
            f"GROUP BY GROUPING SETS ({grouping})"
        )
        query_params = params
    else:
        masks = {n: n for n in range(len(sets))}
        sql = " UNION ALL ".join(
            f"SELECT {n}, "
            + ", ".join(key if key in group else "NULL" for key in keys)
            + f", {aggregates} FROM ({inner}) AS grouped"
            + (f" GROUP BY {', '.join(group)}" if group else "")
            for n, group in enumerate(sets)
        )
        query_params = params * len(sets)
    with connection.cursor() as cursor:
        cursor.execute(sql, query_params)
        results = cursor.fetchall()
    found = []
    for mask, *values in results:
        n = masks[mask]
        group = {key: value for key, value in zip(keys, values, strict=False) if key in sets[n]}
        found.append((n, group, dict(zip(sums, values[len(keys) :], strict=True))))
    return found


def as_of(fiscal_year: FiscalYear, today: date) -> date:
    """The day a year's standing figures are counted on: its last day, or today for the
    current year (year to date)."""
    return min(fiscal_year.last_day, today)


# The headline figures the report's own queries of the viewed year give (`headline_by_year`'s
# `given`): its consultations, class attendances and distinct people, supporters who served.
GIVEN_KEYS = (
    "consultations",
    "class_participants",
    "class_distinct_participants",
    "serving_supporters",
)


def headline_by_year(
    first: FiscalYear,
    last: FiscalYear,
    today: date,
    now=None,
    given: tuple[FiscalYear, dict] | None = None,
) -> dict:
    """{start year: {headline key: value}} for every fiscal year from `first` to `last`: the
    city's table (four queries whatever the number of years or records).

    `given`: (a year, its GIVEN_KEYS figures) already counted elsewhere (the report's
    consultation, class and shift figures of the viewed year), left out of these queries."""
    years = [FiscalYear(y) for y in range(first.start_year, last.start_year + 1)]
    figures = {fy.start_year: dict.fromkeys(HEADLINE_KEYS, 0) for fy in years}
    kind = Session.Kind
    skip, known = given if given is not None else (None, {})
    others = [fy for fy in years if fy != skip]
    not_given = ~_starting_in(skip, skip) if skip is not None else Q()  # its consultations
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
                Sum(_consultations_per_session(), filter=Q(kind=kind.HELPDESK) & not_given), 0
            ),
        )
    )
    # The years not given: their attendances and the supporters who served. With none, the
    # queries are still asked, over an empty span that the index answers at once, so that the
    # report's number of queries stays the same.
    if others:
        span = _starting_in(others[0], others[-1], "session__")
        if skip is not None:
            span &= ~_starting_in(skip, skip, "session__")
    else:
        span = Q(session__starts_at__gte=first.starts_at, session__starts_at__lt=first.starts_at)
    attendances = (
        _by_fiscal_year(class_attendances(first, last, now=now), "session__starts_at", first, last)
        .filter(span)
        .order_by()
        .values("fy")
        .annotate(
            class_participants=Count("id"),
            class_distinct_participants=Count("participant_key", distinct=True),
        )
    )
    serving = (
        _by_fiscal_year(served_shifts(first, last, now=now), "session__starts_at", first, last)
        .filter(span)
        .order_by()
        .values("fy")
        .annotate(serving_supporters=Count("supporter", distinct=True))
    )
    queries = [sessions, attendances, serving]
    for rows in queries:
        for row in rows:
            figures[row.pop("fy")].update(row)
    if skip is not None:
        figures[skip.start_year].update({key: known[key] for key in GIVEN_KEYS})
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


def helpdesk_sessions_by_venue_month(fiscal_year: FiscalYear, now=None) -> list[tuple]:
    """[(venue id, month, sessions)]: the year's help desks held (the consultations by venue
    and month come with the other consultation figures, `consultation_figures`)."""
    return list(
        held_sessions(fiscal_year, now=now)
        .filter(kind=Session.Kind.HELPDESK)
        .annotate(month=_month_of("starts_at"))
        .order_by()
        .values_list("venue_id", "month")
        .annotate(n=Count("id"))
    )


# What the year's consultations are broken down by (`consultation_figures`).
BREAKDOWNS = ("topic", "device", "age_band", "language", "is_resolved")


def consultation_figures(fiscal_year: FiscalYear, now=None) -> dict:
    """Every figure of the year's consultations in one query over one pass of them:

    - "total": the consultations counted (the headline's 相談受付件数);
    - "by_venue_month": [(venue id, month, consultations)];
    - "breakdowns": {field: [(value, consultations, resolved, minutes)]} for each of
      BREAKDOWNS, in the values' order (ties in a count read the same each time).

    The rows (`counted_consultations`, read from `consultation_counted_idx` and the sessions'
    index) are grouped by each set at once (`_grouping_sets`)."""
    keys = [f"k{n}" for n in range(len(BREAKDOWNS))]
    rows = counted_consultations(fiscal_year, now=now).values(
        venue=F("session__venue_id"),
        month=_month_of("session__starts_at"),
        spent=F("minutes"),
        **{key: F(field) for key, field in zip(keys, BREAKDOWNS, strict=True)},
    )
    resolved = keys[BREAKDOWNS.index("is_resolved")]
    sets = [("venue", "month"), *((key,) for key in keys), ()]
    results = _grouping_sets(
        rows,
        ("venue", "month", *keys),
        sets,
        {
            # COUNT(*): every column read is in the indexes, the consultation's id is not.
            "n": "COUNT(*)",
            "resolved": f"SUM(CASE WHEN {resolved} THEN 1 ELSE 0 END)",
            "minutes": "SUM(spent)",
        },
    )
    found = {"total": 0, "by_venue_month": [], "breakdowns": {name: [] for name in BREAKDOWNS}}
    for which, group, sums in results:
        n, solved, minutes = (int(sums[k] or 0) for k in ("n", "resolved", "minutes"))
        if which == 0:
            found["by_venue_month"].append((group["venue"], int(group["month"]), n))
        elif which == len(sets) - 1:
            found["total"] = n
        else:
            name = BREAKDOWNS[which - 1]
            value = group[keys[which - 1]]
            value = bool(value) if name == "is_resolved" else value
            found["breakdowns"][name].append((value, n, solved, minutes))
    for breakdown in found["breakdowns"].values():
        breakdown.sort(key=lambda row: row[0])
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


# What the year's classes are broken down by: the class's field, and its column's name here.
CLASS_FIELDS = {"class_level": "c_level", "organiser": "c_organiser", "loaner_devices": "c_lent"}


def class_figures(fiscal_year: FiscalYear, now=None) -> dict:
    """The year's classes in two queries, one over the classes held and one over their
    attendances (seats and people cannot share one join without multiplying the seats):

    - "attendances", "distinct": the year's attendances (延べ) and distinct people (実人員);
    - "by": {field: ([(value, classes, capacity)], [(value, attendances, distinct people)])}
      for each of CLASS_FIELDS (level, organiser, devices lent).

    Each query groups its rows by each field and by none at once (`_grouping_sets`)."""
    keys = tuple(CLASS_FIELDS.values())
    sets = [*((key,) for key in keys), ()]
    classes = _grouping_sets(
        held_sessions(fiscal_year, now=now)
        .filter(kind=Session.Kind.CLASS)
        .values(seats=F("capacity"), **{key: F(field) for field, key in CLASS_FIELDS.items()}),
        keys,
        sets[:-1],
        {"n": "COUNT(*)", "capacity": "SUM(seats)"},
    )
    people = _grouping_sets(
        class_attendances(fiscal_year, now=now).values(
            person=F("participant_key"),
            **{key: F(f"session__{field}") for field, key in CLASS_FIELDS.items()},
        ),
        keys,
        sets,
        {"n": "COUNT(*)", "d": "COUNT(DISTINCT person)"},
    )
    fields = list(CLASS_FIELDS)
    found = {"attendances": 0, "distinct": 0, "by": {field: ([], []) for field in fields}}
    for which, group, sums in classes:
        value = group[keys[which]]
        found["by"][fields[which]][0].append((value, sums["n"], int(sums["capacity"] or 0)))
    for which, group, sums in people:
        if which == len(keys):
            found["attendances"], found["distinct"] = sums["n"], sums["d"]
        else:
            value = group[keys[which]]
            found["by"][fields[which]][1].append((value, sums["n"], sums["d"]))
    return found


def _in_the_year(fiscal_year: FiscalYear, last: date, prefix: str = "") -> Q:
    """Supporters registered at some time in the year: joined by its last day (or today), not
    withdrawn before it began."""
    return Q(**{f"{prefix}joined_on__lte": last}) & (
        Q(**{f"{prefix}withdrawn_on__isnull": True})
        | Q(**{f"{prefix}withdrawn_on__gte": fiscal_year.first_day})
    )


def supporters_year(fiscal_year: FiscalYear, today: date, now=None) -> dict:
    """The supporters' year in two queries: one pass over the year's served shifts, grouped by
    supporter and then summed, and one over the supporters.

    - "serving_supporters", "shifts", "hours": who served, the shifts and their hours;
    - "bands": [(band index, supporters)] in SHIFT_BANDS, of the supporters registered at some
      time in the year (`_in_the_year`), those who served none included; empty bands left out;
    - "joined", "withdrew", "active_at_start".

    (A correlated count per supporter, banded with CASE, repeated the count in every WHEN: a
    second at 13,000 supporters.)"""
    last = as_of(fiscal_year, today)
    per_supporter = (
        served_shifts(fiscal_year, now=now)
        .order_by()
        .values("supporter")
        .annotate(
            n=Count("pk"),
            spent=Sum(
                F("session__ends_at") - F("session__starts_at"), output_field=DurationField()
            ),
            # The supporter's own, the same for every one of their shifts.
            in_year=Max(
                Case(
                    When(_in_the_year(fiscal_year, last, "supporter__"), then=Value(1)),
                    default=Value(0),
                    output_field=IntegerField(),
                )
            ),
        )
    )
    bands = {
        f"band{n}": Count(
            "supporter",
            filter=Q(in_year=1, n__gte=low) & (Q(n__lte=high) if high is not None else Q()),
        )
        for n, (low, high) in enumerate(SHIFT_BANDS)
        if low > 0
    }
    served = per_supporter.aggregate(
        serving_supporters=Count("supporter"),
        shifts=Coalesce(Sum("n"), 0),
        duration=Sum("spent", output_field=DurationField()),
        **bands,
    )
    tenure = Supporter.objects.aggregate(
        joined=Count("id", filter=Q(joined_on__gte=fiscal_year.first_day, joined_on__lte=last)),
        withdrew=Count(
            "id", filter=Q(withdrawn_on__gte=fiscal_year.first_day, withdrawn_on__lte=last)
        ),
        active_at_start=_active_on(fiscal_year.first_day - timedelta(days=1)),
        everyone=Count("id", filter=_in_the_year(fiscal_year, last)),
    )
    counted = [(n, served[f"band{n}"]) for n, (low, _high) in enumerate(SHIFT_BANDS) if low > 0]
    everyone = tenure.pop("everyone")
    rows = [(0, everyone - sum(n for _band, n in counted)), *counted]
    duration = served["duration"] or timedelta()
    return {
        "serving_supporters": served["serving_supporters"],
        "shifts": served["shifts"],
        "hours": round(duration.total_seconds() / 3600, 1),
        "bands": [(band, n) for band, n in rows if n],
        **tenure,
    }


def shifts_per_supporter(fiscal_year: FiscalYear, today: date, now=None) -> list[tuple]:
    """[(band index, supporters)]: how many shifts each supporter registered at some point in
    the year served, in SHIFT_BANDS (`supporters_year`)."""
    return supporters_year(fiscal_year, today, now=now)["bands"]


def course_to_supporter(
    fiscal_year: FiscalYear, today: date, now=None, participants: int | None = None
) -> dict:
    """The year's distinct class participants (`participants`, when already counted:
    `class_figures`), and how many of them registered as supporters in the year or after (the
    city counted 113 → 26 for FY2021's course)."""
    keys = class_attendances(fiscal_year, now=now).values("participant_key")
    people = participants
    if people is None:
        people = class_attendances(fiscal_year, now=now).aggregate(
            n=Count("participant_key", distinct=True)
        )["n"]
    became = Supporter.objects.filter(
        user__participant_key__in=keys,
        joined_on__gte=fiscal_year.first_day,
        joined_on__lte=today,
    ).count()
    return {"participants": people, "became_supporters": became}
