"""The annual report's definitions on hand-built data at the fiscal year's edges (issue 12):
what counts in which year, and what a closed year keeps."""

from datetime import date, datetime, timedelta

import pytest
import time_machine

from config.fiscal import TOKYO, FiscalYear
from consultations.models import Feedback, PublishedReport
from consultations.statistics.report import ReportError, build_annual_report, close_fiscal_year
from sessions.models import ClassRegistration, ClassSeries, Session, Shift
from sessions.services.registrations import purge_registrations_due
from tests import factories

FY2024, FY2025 = FiscalYear(2024), FiscalYear(2025)
HELD, CANCELLED = Session.Status.HELD, Session.Status.CANCELLED
TODAY = date(2025, 6, 1)  # FY2024 is over; FY2025 runs


def tokyo(*args) -> datetime:
    return datetime(*args, tzinfo=TOKYO)


def helpdesk(starts_at, *, consultations=0, status=HELD, venue=None, **kwargs):
    fields = {"venue": venue} if venue else {}
    session = factories.session(
        kind=Session.Kind.HELPDESK,
        status=status,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=20),
        **fields,
    )
    for _ in range(consultations):
        factories.consultation(session=session, **kwargs)
    return session


def a_class(starts_at, *, people=(), status=HELD, **kwargs):
    """A class that took place, with a registration marked attended for each phone in
    `people`."""
    session = factories.session(
        kind=Session.Kind.CLASS,
        status=status,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=20),
        capacity=10,
        **kwargs,
    )
    for phone in people:
        factories.class_registration(session=session, phone=phone, status="attended")
    return session


def report(fiscal_year=FY2024, today=TODAY):
    with time_machine.travel(tokyo(today.year, today.month, today.day, 12), tick=False):
        return build_annual_report(fiscal_year, today=today)


def supporter(phone=None, **kwargs):
    user = {"password": None, **({"phone": phone} if phone else {})}
    return factories.supporter(user_kwargs=user, **kwargs)


def test_31_march_23_59_is_the_old_year_and_1_april_00_00_the_new_one(db):
    helpdesk(tokyo(2025, 3, 31, 23, 39), consultations=2)  # ends 23:59, FY2024
    helpdesk(tokyo(2025, 4, 1, 0, 0), consultations=5)  # FY2025's first minute

    assert (
        report(FY2024).headline["help_desk_sessions"],
        report(FY2024).headline["consultations"],
    ) == (1, 2)
    assert report(FY2025).headline["help_desk_sessions"] == 1
    assert report(FY2025).headline["consultations"] == 5


def test_a_cancelled_session_and_its_records_never_count(db):
    helpdesk(tokyo(2024, 6, 11, 10), consultations=3)
    helpdesk(tokyo(2024, 6, 25, 10), consultations=4, status=CANCELLED)
    a_class(tokyo(2024, 7, 1, 10), people=["+819011110001"], status=CANCELLED)

    headline = report().headline

    assert (headline["help_desk_sessions"], headline["consultations"]) == (1, 3)
    assert (headline["classes"], headline["class_participants"]) == (0, 0)
    month = report().table("consultations_by_venue_month").total.values
    assert (month["m06"], month["m07"], month["total"]) == (3, 0, 3)


def test_supporters_count_when_registered_and_neither_paused_nor_withdrawn_on_the_last_day(db):
    supporter(joined_on=date(2023, 5, 1))
    supporter(joined_on=date(2025, 3, 31))  # joined on the last day
    supporter(joined_on=date(2025, 4, 1))  # next year's
    supporter(joined_on=date(2023, 5, 1), status="withdrawn", withdrawn_on=date(2025, 3, 31))
    supporter(joined_on=date(2023, 5, 1), status="withdrawn", withdrawn_on=date(2025, 4, 1))
    supporter(joined_on=date(2023, 5, 1), status="paused", paused_on=date(2025, 2, 1))

    fy2024 = report()
    year = {row.key: row.values["value"] for row in fy2024.table("supporters_year").rows}

    assert fy2024.headline["active_supporters"] == 3
    assert (year["joined"], year["withdrew"], year["active_at_start"]) == (1, 1, 4)
    # The current year counts as of today: the one who withdrew on 1 April has gone.
    assert report(FY2025).headline["active_supporters"] == 3


def test_a_visit_and_a_class_on_the_same_day_count_each_in_its_own_figure(db):
    day = tokyo(2024, 9, 4, 10)
    visit = factories.session(
        kind=Session.Kind.DISPATCH, status=HELD, starts_at=day, address="前橋市大手町1-1-1"
    )
    factories.session_report(session=visit, participants=9)
    a_class(day, people=["+819011110001", "+819011110002"])

    headline = report().headline

    assert (headline["dispatches"], headline["dispatch_participants"]) == (1, 9)
    assert (headline["classes"], headline["class_participants"]) == (1, 2)


def test_a_series_across_two_years_counts_each_class_in_its_own_year(db):
    series = ClassSeries.objects.create(title="LINE教室（毎月）")
    same = "+819011110001"
    a_class(tokyo(2025, 3, 10, 10), people=[same, "+819011110002"], series=series)
    a_class(tokyo(2025, 4, 14, 10), people=[same], series=series)
    a_class(tokyo(2025, 5, 12, 10), people=[same], series=series)

    fy2024, fy2025 = report(FY2024).headline, report(FY2025).headline

    assert (fy2024["classes"], fy2024["class_participants"]) == (1, 2)
    assert fy2024["class_distinct_participants"] == 2
    # Two attendances, one person, in FY2025.
    assert (fy2025["classes"], fy2025["class_participants"]) == (2, 2)
    assert fy2025["class_distinct_participants"] == 1


def test_a_purged_registration_still_counts_once(db, settings):
    same = "+819011110001"
    a_class(tokyo(2024, 5, 10, 10), people=[same, "+819011110002"])
    a_class(tokyo(2024, 6, 10, 10), people=[same])
    before = report().headline

    purged = purge_registrations_due(now=tokyo(2025, 5, 1))

    after = report().headline
    assert purged == 3
    assert ClassRegistration.objects.filter(phone="").count() == 3
    assert (before["class_participants"], before["class_distinct_participants"]) == (3, 2)
    assert (after["class_participants"], after["class_distinct_participants"]) == (3, 2)


def test_class_participants_who_became_supporters_are_matched_without_their_number(db):
    came = "+819011110001"
    a_class(tokyo(2024, 5, 10, 10), people=[came, "+819011110002", "+819011110003"])
    supporter(joined_on=date(2024, 9, 1), phone=came)
    supporter(joined_on=date(2024, 9, 1))  # never took a class

    rows = {row.key: row.values for row in report().table("course_to_supporter").rows}

    assert rows["participants"]["people"] == 3
    assert (rows["became_supporters"]["people"], rows["became_supporters"]["share"]) == (
        1,
        pytest.approx(1 / 3, abs=1e-4),
    )


def test_the_breakdowns_add_up_to_the_headline(db):
    venue = factories.venue(name="城南公民館")
    line, photos = factories.topic("line"), factories.topic("photos")
    helpdesk(tokyo(2024, 4, 9, 10), consultations=3, venue=venue, topic=line, age_band="70s")
    helpdesk(tokyo(2025, 1, 14, 10), consultations=2, venue=venue, topic=photos, is_resolved=False)
    fy = report()

    assert fy.table("consultations_by_topic").total.values["consultations"] == 5
    topics = {row.key: row.values for row in fy.table("consultations_by_topic").rows}
    assert (topics[str(line.pk)]["consultations"], topics[str(photos.pk)]["resolved"]) == (3, 0)
    assert fy.table("consultations_resolved").total.values["consultations"] == 5
    venue_row = fy.table("consultations_by_venue_month").rows[0].values
    assert (venue_row["m04"], venue_row["m01"], venue_row["total"]) == (3, 2, 5)
    sessions_row = fy.table("help_desk_sessions_by_venue_month").rows[0].values
    assert sessions_row["total"] == fy.headline["help_desk_sessions"] == 2


def test_shifts_per_supporter_are_banded_by_the_database(db):
    busy, idle = supporter(joined_on=date(2023, 5, 1)), supporter(joined_on=date(2023, 5, 1))
    for day in (9, 16, 23):
        session = helpdesk(tokyo(2024, 4, day, 10))
        factories.shift(session=session, supporter=busy, status=Shift.Status.ATTENDED)

    bands = {
        row.key: row.values["supporters"] for row in report().table("shifts_per_supporter").rows
    }

    assert (bands["0"], bands["2"]) == (1, 1)  # `idle` served none, `busy` 2–4
    assert report().headline["serving_supporters"] == 1
    assert idle.pk != busy.pk


def test_residents_answers_count_by_activity_and_venue(db):
    session = helpdesk(tokyo(2024, 4, 9, 10))
    for n, answer in enumerate(["good", "good", "lost"]):
        Feedback.objects.create(session=session, answer=answer, device=f"device-{n}")

    table = report().table("feedback")

    assert table.total.values == {
        "good": 2,
        "ok": 0,
        "lost": 1,
        "answers": 3,
        "good_share": pytest.approx(0.6667),
    }


def test_the_previous_year_and_the_change_stand_beside_each_figure(db):
    helpdesk(tokyo(2024, 6, 11, 10), consultations=2)
    helpdesk(tokyo(2025, 5, 13, 10), consultations=5)
    helpdesk(tokyo(2025, 5, 20, 10), consultations=1)

    figures = {f.key: f for f in report(FY2025).figures}

    assert (figures["consultations"].value, figures["consultations"].previous) == (6, 2)
    assert (figures["consultations"].change, figures["consultations"].change_share) == (4, 2.0)
    # FY2024 is the first year with records: there is no year before it to compare with.
    assert {f.key: f.previous for f in report(FY2024).figures}["consultations"] is None
    assert [row.key for row in report(FY2025).trend.rows] == ["2024", "2025"]


def test_a_closed_year_keeps_its_published_figures_and_shows_a_later_correction(db):
    session = helpdesk(tokyo(2024, 6, 11, 10), consultations=3)
    coordinator = factories.coordinator()
    with time_machine.travel(tokyo(2025, 5, 1, 12), tick=False):
        published = close_fiscal_year(FY2024, by=coordinator, today=date(2025, 5, 1))
    assert published.figures["headline"]["consultations"] == 3

    factories.consultation(session=session)  # a correction after the year was closed

    fy = report()
    figure = {f.key: f for f in fy.figures}["consultations"]
    assert (figure.value, figure.now) == (3, 4)
    table = fy.table("consultations_by_venue_month")
    assert table.total.values["total"] == 3
    assert table.corrected[("total", "total")] == 4
    # Listed too, cell by cell: (table, row, column, published, now).
    assert (str(figure.label), 3, 4) in [(str(d[1]), d[3], d[4]) for d in fy.differences]
    # The year after compares with the published figure, not the records as they are now:
    # the council compares with what it was told last year, and the correction shows on that
    # year's own report (above).
    assert {f.key: f.previous for f in report(FY2025).figures}["consultations"] == 3


def test_a_year_can_be_closed_once_after_it_ends_and_only_by_a_coordinator(db):
    coordinator = factories.coordinator()
    with pytest.raises(ReportError) as running:
        close_fiscal_year(FY2025, by=coordinator, today=TODAY)
    with pytest.raises(ReportError) as not_a_coordinator:
        close_fiscal_year(FY2024, by=supporter().user, today=TODAY)
    close_fiscal_year(FY2024, by=coordinator, today=TODAY)
    with pytest.raises(ReportError) as again:
        close_fiscal_year(FY2024, by=coordinator, today=TODAY)

    assert (running.value.code, not_a_coordinator.value.code) == ("not_over", "forbidden")
    assert again.value.code == "already_closed"
    assert PublishedReport.objects.count() == 1


def test_the_report_takes_the_same_queries_for_a_little_data_and_for_more(
    db, django_assert_max_num_queries
):
    def add(n):
        for day in range(n):
            session = helpdesk(tokyo(2024, 5, 1 + day, 10), consultations=2)
            factories.shift(session=session, status=Shift.Status.ATTENDED)
            a_class(tokyo(2024, 6, 1 + day, 10), people=[factories.phone_number()])

    add(1)
    with django_assert_max_num_queries(40) as few:
        report()
    add(6)
    with django_assert_max_num_queries(len(few)):
        report()
