"""The annual activity report (issue 12): the city's headline table for a fiscal year with each
figure's definition, its breakdowns, the previous year and the trend, and, once a coordinator
has closed the year, the published figures with any later correction beside them.

One builder for the page, the print, the exports and the API: they render `AnnualReport`.
"""

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, JSONField, Value, When
from django.utils import dates, timezone
from django.utils.translation import get_language_info, gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from config.errors import ServiceError
from config.fiscal import FiscalYear
from consultations.models import AgeBand, Device, Feedback, PublishedReport, Topic
from consultations.statistics import figures as db
from consultations.statistics.tables import Column, Row, Table, share
from sessions.models import Session
from venues.models import District, Venue

HEADLINE = {
    "help_desk_sessions": (
        _("Help-desk sessions held (開催回数)"),
        _(
            "Help-desk sittings that took place in the fiscal year: marked held, or still "
            "scheduled after they ended. A cancelled sitting never counts."
        ),
    ),
    "consultations": (
        _("Consultations received (相談受付件数)"),
        _(
            "Consultations the supporters recorded at those help-desk sittings, less the ones "
            "they undid or a coordinator removed."
        ),
    ),
    "dispatches": (
        _("Group visits (出張件数)"),
        _("Group visits (学び合い出張サポート) that took place in the fiscal year."),
    ),
    "dispatch_participants": (
        _("Residents at group visits (講習参加人数)"),
        _("The residents the visits' reports counted, added up over the year's visits."),
    ),
    "active_supporters": (
        _("Supporters (サポーター数)"),
        _(
            "Supporters registered and neither paused nor withdrawn on the last day of the "
            "fiscal year (today, for the current year)."
        ),
    ),
    "serving_supporters": (
        _("Supporters who served"),
        _(
            "Supporters who served at least one shift (attended, or signed up for a session "
            "that took place) in the fiscal year."
        ),
    ),
    "classes": (
        _("Smartphone classes held"),
        _("Smartphone classes that took place in the fiscal year."),
    ),
    "class_participants": (
        _("Class attendances (延べ)"),
        _("Places marked attended at those classes: a resident at three classes counts three."),
    ),
    "class_distinct_participants": (
        _("Distinct class participants (実人員)"),
        _(
            "The different people among those attendances, told apart by a keyed hash of their "
            "phone number that outlives their personal data: a resident at three classes "
            "counts once."
        ),
    ),
}

SHIFT_BAND_LABELS = (
    _("none"),
    _("1 shift"),
    _("2–4 shifts"),
    _("5–9 shifts"),
    _("10–19 shifts"),
    _("20 shifts or more"),
)
FEEDBACK_COLUMNS = [
    Column(Feedback.Answer.GOOD.value, pgettext_lazy("feedback face", "Went well")),
    Column(Feedback.Answer.OK.value, pgettext_lazy("feedback face", "All right")),
    Column(Feedback.Answer.LOST.value, pgettext_lazy("feedback face", "Did not understand")),
]
# April first: the fiscal year's order.
FISCAL_MONTHS = (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)


class ReportError(ServiceError):
    """`code`: forbidden, not_over, already_closed."""

    MESSAGES = {
        "forbidden": _("Only a coordinator can close a fiscal year."),
        "not_over": _("A fiscal year can be closed once it has ended."),
        "already_closed": _("This fiscal year is already closed: its figures are published."),
    }


@dataclass
class Figure:
    key: str
    label: str
    definition: str
    value: int
    previous: int | None = None
    now: int | None = None  # the records' value today, where it differs from the published one

    @property
    def change(self) -> int | None:
        return None if self.previous is None else self.value - self.previous

    @property
    def change_share(self) -> float | None:
        return share(self.change, self.previous) if self.previous else None


@dataclass
class Section:
    key: str
    title: str
    tables: list[Table]


@dataclass
class AnnualReport:
    fiscal_year: FiscalYear
    as_of: date
    is_year_to_date: bool
    figures: list[Figure]
    sections: list[Section]
    trend: Table
    published: PublishedReport | None = None
    differences: list[tuple] = field(default_factory=list)

    @property
    def previous_year(self) -> FiscalYear:
        return FiscalYear(self.fiscal_year.start_year - 1)

    @property
    def can_be_closed(self) -> bool:
        """Whether a coordinator may close the year now: it has ended and is not closed yet."""
        return not self.is_year_to_date and self.published is None

    @property
    def corrections(self) -> list[tuple[Table, Row, Column, object, object]]:
        """The year's cells corrected since it was closed, for a page to format by column:
        (table, row, column, published, now). A share that moved less than the page shows
        (22.41 % → 22.44 %) is left out."""
        return [
            (table, row, column, value, now)
            for table in [self.headline_table, *(t for s in self.sections for t in s.tables)]
            for row in table.all_rows
            for column, value, now in table.cells(row)
            if now is not None
            and not (column.kind == "percent" and value is not None and round(now - value, 3) == 0)
        ]

    @property
    def headline(self) -> dict:
        return {figure.key: figure.value for figure in self.figures}

    @property
    def tables(self) -> list[Table]:
        return [self.headline_table, *(t for s in self.sections for t in s.tables), self.trend]

    def table(self, key: str) -> Table:
        return next(table for table in self.tables if table.key == key)

    @property
    def headline_table(self) -> Table:
        rows = [
            Row(
                f.key,
                f.label,
                {"value": f.value, "previous": f.previous, "change": f.change},
            )
            for f in self.figures
        ]
        corrected = {(f.key, "value"): f.now for f in self.figures if f.now is not None}
        return Table(
            "headline",
            gettext("The year's figures"),
            [
                Column("figure", _("figure"), "label"),
                Column("value", self.fiscal_year.label),
                Column("previous", FiscalYear(self.fiscal_year.start_year - 1).label),
                Column("change", _("change")),
            ],
            rows,
            corrected=corrected,
        )

    def snapshot(self) -> dict:
        """What closing the year keeps: every figure and table cell, by stable keys."""
        return {
            "headline": self.headline,
            "tables": {
                table.key: {
                    row.key: {"label": str(row.label), "values": row.values}
                    for row in table.all_rows
                }
                for section in self.sections
                for table in section.tables
            },
        }

    def as_dict(self) -> dict:
        return {
            "fiscal_year": self.fiscal_year.start_year,
            "label": str(self.fiscal_year.label),
            "as_of": self.as_of.isoformat(),
            "year_to_date": self.is_year_to_date,
            "closed": self.published is not None,
            "closed_at": self.published.closed_at.isoformat() if self.published else None,
            "headline": self.headline,
            "figures": [
                {
                    "key": f.key,
                    "label": str(f.label),
                    "definition": str(f.definition),
                    "value": f.value,
                    "previous": f.previous,
                    "change": f.change,
                    "now": f.now,
                }
                for f in self.figures
            ],
            "tables": [table.as_dict() for table in self.tables if table.key != "headline"],
            "differences": [
                {"table": str(t), "row": str(r), "column": str(c), "published": p, "now": n}
                for t, r, c, p, n in self.differences
            ],
        }


def build_annual_report(fiscal_year: FiscalYear, *, today: date | None = None) -> AnnualReport:
    """The report for `fiscal_year` (year to date for the current one), in a fixed number of
    queries whatever the number of records."""
    today = today or timezone.localdate()
    now = timezone.now()
    published = _published(fiscal_year)
    first = db.first_year_with_data() or fiscal_year
    first = min(first, fiscal_year)
    years = [FiscalYear(y) for y in range(first.start_year, fiscal_year.start_year + 1)]
    previous = FiscalYear(fiscal_year.start_year - 1)
    # Closed years show as published, in the trend and as the previous year the headline
    # compares with (the council compares with what it was told; a correction since shows on
    # that year's own report); the year itself (its corrections since closing) and open years
    # are counted from the records.
    live = {fiscal_year} | {y for y in years if y.start_year not in published}
    # The viewed year's big tables, each read once: its consultations, its classes'
    # attendances and its served shifts give the headline's figures of them too.
    year = YearFigures(
        consultations=db.consultation_figures(fiscal_year, now=now),
        classes=db.class_figures(fiscal_year, now=now),
        supporters=db.supporters_year(fiscal_year, today, now=now),
    )
    given = {
        "consultations": year.consultations["total"],
        "class_participants": year.classes["attendances"],
        "class_distinct_participants": year.classes["distinct"],
        "serving_supporters": year.supporters["serving_supporters"],
    }
    counted = db.headline_by_year(min(live), max(live), today, now=now, given=(fiscal_year, given))
    this_year = published.get(fiscal_year.start_year)
    kept_before = published.get(previous.start_year)
    figures = []
    for key, (label, definition) in HEADLINE.items():
        value = counted[fiscal_year.start_year][key]
        if previous < first:
            before = None
        elif kept_before is not None:
            before = kept_before.headline.get(key, 0)
        else:
            before = counted[previous.start_year][key]
        figure = Figure(key, label, definition, value, previous=before)
        if this_year is not None:
            kept = this_year.headline.get(key, 0)
            figure.value, figure.now = kept, (value if value != kept else None)
        figures.append(figure)
    report = AnnualReport(
        fiscal_year=fiscal_year,
        as_of=db.as_of(fiscal_year, today),
        is_year_to_date=today <= fiscal_year.last_day,
        figures=figures,
        sections=_sections(fiscal_year, today, now, year, figures),
        trend=_trend(years, counted, published),
        published=this_year,
    )
    if this_year is not None:
        report.differences = _overlay(report, this_year.figures)
    return report


def _published(fiscal_year: FiscalYear) -> dict[int, PublishedReport]:
    """{start year: its PublishedReport} for the closed years up to `fiscal_year`, each with
    `headline`, its published headline; only `fiscal_year`'s own has its whole snapshot in
    `figures` (the others' tables, every venue by month, are not read: a tenth of a second
    at a hundred times Maebashi)."""
    kept = (
        PublishedReport.objects.filter(fiscal_year__lte=fiscal_year.start_year)
        .defer("figures")
        .annotate(
            headline=F("figures__headline"),
            snapshot=Case(
                When(fiscal_year=fiscal_year.start_year, then=F("figures")),
                default=Value(None),
                output_field=JSONField(),
            ),
        )
    )
    published = {}
    for report in kept:
        if report.fiscal_year == fiscal_year.start_year:
            report.figures = report.snapshot
        published[report.fiscal_year] = report
    return published


def close_fiscal_year(fiscal_year: FiscalYear, *, by, today: date | None = None):
    """Publish a fiscal year's report: its figures are kept as they are now, and later
    corrections to its records show beside them rather than change them."""
    today = today or timezone.localdate()
    if not getattr(by, "is_coordinator", False):
        raise ReportError("forbidden")
    if today <= fiscal_year.last_day:
        raise ReportError("not_over")
    report = build_annual_report(fiscal_year, today=today)
    if report.published is not None:
        raise ReportError("already_closed")
    try:
        with transaction.atomic():
            return PublishedReport.objects.create(
                fiscal_year=fiscal_year.start_year,
                figures=report.snapshot(),
                closed_by=by,
                closed_at=timezone.now(),
            )
    except IntegrityError:  # closed by someone else a moment ago
        raise ReportError("already_closed") from None


def _overlay(report: AnnualReport, kept: dict) -> list[tuple]:
    """Show the published values in the report's tables, each correction since beside them;
    answer the differences as (table, row, column, published, now) labels and values."""
    differences = [
        (gettext("The year's figures"), f.label, f.label, f.value, f.now)
        for f in report.figures
        if f.now is not None
    ]
    for section in report.sections:
        for table in section.tables:
            kept_rows = kept["tables"].get(table.key, {})
            rows = {row.key: row for row in table.all_rows}
            for key, kept_row in kept_rows.items():
                if key not in rows:  # a row the records no longer have (a venue removed)
                    row = Row(key, kept_row["label"], dict.fromkeys(kept_row["values"], 0))
                    table.rows.append(row)
                    rows[key] = row
            for key, row in rows.items():
                kept_values = kept_rows.get(key, {}).get("values", {})
                for column in table.value_columns:
                    now, was = row.values.get(column.key), kept_values.get(column.key)
                    if now != was and not (column.kind == "percent" and was is None):
                        table.corrected[(key, column.key)] = now
                        differences.append((table.title, row.label, column.label, was, now))
                    row.values[column.key] = was if column.key in kept_values else now
    return differences


def _trend(years, counted, published) -> Table:
    columns = [Column("fiscal_year", _("fiscal year"), "label")]
    columns += [Column(key, label) for key, (label, _d) in HEADLINE.items()]
    rows, corrected = [], {}
    for year in years:
        values = dict(counted.get(year.start_year) or published[year.start_year].headline)
        kept = published.get(year.start_year)
        if kept is not None:
            for key, value in list(values.items()):
                was = kept.headline.get(key, 0)
                if value != was:
                    corrected[(str(year.start_year), key)] = value
                values[key] = was
        rows.append(Row(str(year.start_year), year.label, values))
    return Table(
        "trend",
        gettext("Since the first year with records"),
        columns,
        rows,
        definition=gettext(
            "Each year's headline figures; a closed year shows the figures it was published with."
        ),
        chart="line",
        corrected=corrected,
    )


@dataclass
class YearFigures:
    """The viewed year's figures from its big tables, each read once (figures.py)."""

    consultations: dict
    classes: dict
    supporters: dict


def _sections(fiscal_year, today, now, year: YearFigures, figures) -> list[Section]:
    venues = dict(Venue.objects.values_list("id", "name"))
    # The headline as shown (as published, for a closed year): the tables repeat it.
    headline = {f.key: f.value for f in figures}
    return [
        Section(
            "help_desks",
            gettext("Help desks"),
            _help_desk_tables(fiscal_year, now, venues, year.consultations["by_venue_month"]),
        ),
        Section(
            "consultations",
            gettext("What residents asked"),
            _consultation_tables(year.consultations["breakdowns"]),
        ),
        Section(
            "feedback",
            gettext("How it went, in residents' words"),
            [_feedback_table(fiscal_year, now, venues)],
        ),
        Section("dispatches", gettext("Group visits"), [_dispatch_table(fiscal_year, now)]),
        Section(
            "classes",
            gettext("Smartphone classes"),
            _class_tables(fiscal_year, today, now, year.classes, headline),
        ),
        Section(
            "supporters",
            gettext("Supporters"),
            _supporter_tables(year.supporters, headline),
        ),
    ]


def _month_columns() -> list[Column]:
    return [
        Column("venue", _("venue"), "label"),
        *[Column(f"m{m:02d}", dates.MONTHS[m]) for m in FISCAL_MONTHS],
        Column("total", _("total")),
    ]


def _venue_by_month(key, title, definition, counts, venues) -> Table:
    grid: dict = {}
    for venue_id, month, n in counts:
        grid.setdefault(venue_id, {})[f"m{month:02d}"] = n
    columns = _month_columns()
    months = [c.key for c in columns[1:-1]]
    rows = []
    for venue_id in sorted(grid, key=lambda pk: venues.get(pk, "")):
        values = {m: grid[venue_id].get(m, 0) for m in months}
        values["total"] = sum(values.values())
        rows.append(Row(str(venue_id), venues.get(venue_id, "—"), values))
    totals = {m: sum(row.values[m] for row in rows) for m in [*months, "total"]}
    return Table(
        key, title, columns, rows, definition, Row("total", gettext("total"), totals), "stacked"
    )


def _help_desk_tables(fiscal_year, now, venues, consultations) -> list[Table]:
    sessions = db.helpdesk_sessions_by_venue_month(fiscal_year, now=now)
    return [
        _venue_by_month(
            "help_desk_sessions_by_venue_month",
            gettext("Help-desk sessions held, by venue and month"),
            HEADLINE["help_desk_sessions"][1],
            sessions,
            venues,
        ),
        _venue_by_month(
            "consultations_by_venue_month",
            gettext("Consultations, by venue and month"),
            HEADLINE["consultations"][1],
            consultations,
            venues,
        ),
    ]


def _counted_table(key, title, label_column, rows_in, labels, *, resolved=False, order=None):
    """A breakdown of the year's consultations by one field: count, share (and resolved)."""
    total = sum(n for _value, n, _r, _m in rows_in)
    columns = [
        Column(label_column[0], label_column[1], "label"),
        Column("consultations", _("consultations")),
        Column("share", _("share"), "percent"),
    ]
    if resolved:
        columns += [
            Column("resolved", _("resolved")),
            Column("resolved_rate", _("resolved rate"), "percent"),
        ]
    by_value = {value: (n, r) for value, n, r, _m in rows_in}
    keys = order if order is not None else sorted(by_value, key=lambda v: -by_value[v][0])
    rows = []
    for value in keys:
        if value not in by_value:
            continue
        n, r = by_value[value]
        values = {"consultations": n, "share": share(n, total)}
        if resolved:
            values |= {"resolved": r, "resolved_rate": share(r, n)}
        rows.append(Row(str(value), labels.get(value, str(value)), values))
    total_values = {"consultations": total, "share": 1.0 if total else None}
    if resolved:
        r_total = sum(r for _v, _n, r, _m in rows_in)
        total_values |= {"resolved": r_total, "resolved_rate": share(r_total, total)}
    return Table(
        key, title, columns, rows, total=Row("total", gettext("total"), total_values), chart="bars"
    )


def _language_label(code: str) -> str:
    try:
        return get_language_info(code)["name_local"]
    except KeyError:
        return dict(settings.LANGUAGES).get(code, code)


def _consultation_tables(by) -> list[Table]:
    topics = {t.pk: t.name for t in Topic.objects.all()}
    minutes = sum(m for _v, _n, _r, m in by["topic"])
    total = sum(n for _v, n, _r, _m in by["topic"])
    resolved = _counted_table(
        "consultations_resolved",
        gettext("Resolved on the spot"),
        ("resolved", _("resolved")),
        by["is_resolved"],
        {True: gettext("resolved"), False: gettext("not resolved")},
        order=[True, False],
    )
    resolved.chart = ""
    resolved.definition = gettext(
        "Whether the resident's trouble was solved at the desk. About %(minutes)s minutes per "
        "consultation on average."
    ) % {"minutes": round(minutes / total) if total else 0}
    return [
        _counted_table(
            "consultations_by_topic",
            gettext("Consultations, by topic"),
            ("topic", _("topic")),
            by["topic"],
            topics,
            resolved=True,
        ),
        _counted_table(
            "consultations_by_device",
            gettext("Consultations, by device"),
            ("device", _("device")),
            by["device"],
            dict(Device.choices),
            order=Device.values,
        ),
        _counted_table(
            "consultations_by_age_band",
            gettext("Consultations, by age"),
            ("age_band", _("age")),
            by["age_band"],
            dict(AgeBand.choices),
            order=AgeBand.values,
        ),
        _counted_table(
            "consultations_by_language",
            gettext("Consultations, by language"),
            ("language", _("language")),
            by["language"],
            {c: _language_label(c) for c, _n, _r, _m in by["language"]},
        ),
        resolved,
    ]


def _feedback_table(fiscal_year, now, venues) -> Table:
    kinds = dict(Session.Kind.choices)
    grid: dict = {}
    for kind, venue_id, answer, n in db.feedback_by_activity_and_venue(fiscal_year, now=now):
        grid.setdefault((kind, venue_id), {})[answer] = n
    answers = [c.key for c in FEEDBACK_COLUMNS]
    rows = []
    for kind, venue_id in sorted(
        grid, key=lambda k: (Session.Kind.values.index(k[0]), venues.get(k[1], ""))
    ):
        values = {a: grid[(kind, venue_id)].get(a, 0) for a in answers}
        values["answers"] = sum(values.values())
        values["good_share"] = share(values[Feedback.Answer.GOOD], values["answers"])
        where = venues.get(venue_id) if venue_id else gettext("elsewhere")
        label = gettext("%(activity)s · %(venue)s") % {"activity": kinds[kind], "venue": where}
        rows.append(Row(f"{kind}-{venue_id or 0}", label, values))
    totals = {a: sum(r.values[a] for r in rows) for a in [*answers, "answers"]}
    totals["good_share"] = share(totals[Feedback.Answer.GOOD], totals["answers"])
    return Table(
        "feedback",
        gettext("Residents' answers, by activity and venue"),
        [
            Column("activity", _("activity and venue"), "label"),
            *FEEDBACK_COLUMNS,
            Column("answers", _("answers")),
            Column("good_share", _("went well"), "percent"),
        ],
        rows,
        gettext("One anonymous answer per device and session, from the QR card on the desk."),
        Row("total", gettext("total"), totals),
        "stacked",
    )


def _dispatch_table(fiscal_year, now) -> Table:
    counts = {d: (n, p) for d, n, p in db.dispatches_by_district(fiscal_year, now=now)}
    rows = []
    for district in District.objects.all():
        n, p = counts.pop(district.pk, (0, 0))
        rows.append(Row(district.code, district.name, {"dispatches": n, "participants": p}))
    if counts:  # visits with no district recorded
        n, p = (sum(v) for v in zip(*counts.values(), strict=True))
        rows.append(
            Row("unknown", gettext("district not recorded"), {"dispatches": n, "participants": p})
        )
    totals = {k: sum(r.values[k] for r in rows) for k in ("dispatches", "participants")}
    return Table(
        "dispatches_by_district",
        gettext("Group visits, by district"),
        [
            Column("district", _("district"), "label"),
            Column("dispatches", _("visits")),
            Column("participants", _("residents")),
        ],
        rows,
        gettext("The visit's own district, else its venue's."),
        Row("total", gettext("total"), totals),
        "bars",
    )


def _class_table(key, title, label, field, labels, by, distinct_total) -> Table:
    classes, people = by[field]
    by_class = {v: (n, c) for v, n, c in classes}
    by_people = {v: (n, d) for v, n, d in people}
    rows = []
    for value, value_label in labels:
        n, capacity = by_class.get(value, (0, 0))
        attended, distinct = by_people.get(value, (0, 0))
        if not n and not attended:
            continue
        rows.append(
            Row(
                str(value),
                value_label,
                {
                    "classes": n,
                    "capacity": capacity,
                    "attendances": attended,
                    "distinct": distinct,
                    "fill_rate": share(attended, capacity),
                },
            )
        )
    totals = {k: sum(r.values[k] for r in rows) for k in ("classes", "capacity", "attendances")}
    totals["distinct"] = distinct_total
    totals["fill_rate"] = share(totals["attendances"], totals["capacity"])
    return Table(
        key,
        title,
        [
            Column(field, label, "label"),
            Column("classes", _("classes")),
            Column("capacity", _("seats")),
            Column("attendances", _("attendances")),
            Column("distinct", _("distinct people")),
            Column("fill_rate", _("fill rate"), "percent"),
        ],
        rows,
        gettext(
            "Fill rate: attendances over the seats offered. A person counts once per row, and "
            "once in the total."
        ),
        Row("total", gettext("total"), totals),
        "bars",
    )


def _class_tables(fiscal_year, today, now, figures, headline) -> list[Table]:
    distinct = headline["class_distinct_participants"]
    course = db.course_to_supporter(fiscal_year, today, now=now, participants=figures["distinct"])
    conversion = Table(
        "course_to_supporter",
        gettext("From class participant to supporter"),
        [
            Column("step", _("step"), "label"),
            Column("people", _("people")),
            Column("share", _("share"), "percent"),
        ],
        [
            Row(
                "participants",
                gettext("Distinct class participants"),
                {
                    "people": course["participants"],
                    "share": 1.0 if course["participants"] else None,
                },
            ),
            Row(
                "became_supporters",
                gettext("Of them, registered as supporters in the year or since"),
                {
                    "people": course["became_supporters"],
                    "share": share(course["became_supporters"], course["participants"]),
                },
            ),
        ],
        gettext(
            "Matched by the keyed hash of the phone number, never by the number itself "
            "(FY2021: 113 → 26)."
        ),
    )
    return [
        _class_table(
            "classes_by_level",
            gettext("Classes, by level"),
            _("level"),
            "class_level",
            [(v, str(lbl)) for v, lbl in Session.Level.choices] + [(None, gettext("no level"))],
            figures["by"],
            distinct,
        ),
        _class_table(
            "classes_by_organiser",
            gettext("Classes, by organiser"),
            _("organiser"),
            "organiser",
            [(v, str(lbl)) for v, lbl in Session.Organiser.choices]
            + [("", gettext("not recorded"))],
            figures["by"],
            distinct,
        ),
        _class_table(
            "classes_by_devices",
            gettext("Classes, own phones or phones lent"),
            _("phones"),
            "loaner_devices",
            [(False, gettext("residents' own phones")), (True, gettext("phones lent"))],
            figures["by"],
            distinct,
        ),
        conversion,
    ]


def _supporter_tables(year, headline) -> list[Table]:
    value = [Column("measure", _("measure"), "label"), Column("value", _("value"), "number")]
    summary = Table(
        "supporters_year",
        gettext("The supporters' year"),
        value,
        [
            Row(
                "active_at_start",
                gettext("Supporters at the start of the year"),
                {"value": year["active_at_start"]},
            ),
            Row("joined", gettext("New supporters"), {"value": year["joined"]}),
            Row("withdrew", gettext("Supporters who withdrew"), {"value": year["withdrew"]}),
            Row(
                "active",
                gettext("Supporters at the end of the year (today, year to date)"),
                {"value": headline["active_supporters"]},
            ),
            Row(
                "served",
                gettext("Supporters who served at least once"),
                {"value": headline["serving_supporters"]},
            ),
            Row("shifts", gettext("Shifts served"), {"value": year["shifts"]}),
            Row("hours", gettext("Hours served"), {"value": year["hours"]}),
        ],
        gettext(
            "A shift counts when the supporter attended, or signed up for a session that took "
            "place; its hours are the session's."
        ),
    )
    bands = dict(year["bands"])
    distribution = Table(
        "shifts_per_supporter",
        gettext("Shifts per supporter"),
        [Column("shifts", _("shifts served"), "label"), Column("supporters", _("supporters"))],
        [
            Row(str(n), str(label), {"supporters": bands.get(n, 0)})
            for n, label in enumerate(SHIFT_BAND_LABELS)
        ],
        gettext(
            "Every supporter registered at some time in the year, by the shifts they served in it."
        ),
        chart="bars",
    )
    return [summary, distribution]
