"""The annual report asks the database a fixed number of questions (issue 12): the same for
a year of three help desks as for a year of many, with every kind of record in it."""

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.fiscal import TOKYO, FiscalYear
from consultations.models import AgeBand, Device, Feedback, PublishedReport
from consultations.statistics import figures
from consultations.statistics.report import build_annual_report
from sessions.models import ClassRegistration, Session, Shift
from tests import factories

FY2024 = FiscalYear(2024)
TODAY = date(2025, 6, 1)
HELD = Session.Status.HELD


def a_year_of(n: int):
    """`n` of each: help desks with consultations and answers, group visits with reports,
    classes with attendances, supporters on shifts; and FY2023 closed."""
    topics = [factories.topic(code=f"topic-{k}") for k in range(3)]
    supporters = [
        factories.supporter(user_kwargs={"password": None}, joined_on=date(2023, 5, 1))
        for _ in range(n)
    ]
    venues = [factories.venue() for _ in range(n)]
    for k in range(n):
        starts_at = datetime(2024, 4 + k % 9, 1 + k % 27, 10, tzinfo=TOKYO)
        desk = factories.session(starts_at=starts_at, status=HELD, venue=venues[k])
        for j in range(3):
            factories.consultation(
                session=desk,
                topic=topics[j],
                device=Device.values[j],
                age_band=AgeBand.AGE_70S,
                is_resolved=j != 1,
            )
        Feedback.objects.create(session=desk, answer="good", device=f"device-{k}")
        factories.shift(session=desk, supporter=supporters[k], status=Shift.Status.ATTENDED)
        visit = factories.session(
            kind=Session.Kind.DISPATCH,
            starts_at=starts_at + timedelta(days=1),
            status=HELD,
            address="前橋市大手町1-1-1",
            district=factories.district(),
        )
        factories.session_report(session=visit, participants=5 + k)
        lesson = factories.session(
            kind=Session.Kind.CLASS,
            starts_at=starts_at + timedelta(days=2),
            status=HELD,
            class_level=1 + k % 5,
            organiser="city",
        )
        factories.class_registration(session=lesson, status=ClassRegistration.Status.ATTENDED)
    PublishedReport.objects.get_or_create(
        fiscal_year=2023,
        defaults={"figures": {"headline": {}, "tables": {}}, "closed_at": datetime.now(TOKYO)},
    )


def queries_of_the_report() -> int:
    with CaptureQueriesContext(connection) as queries:
        build_annual_report(FY2024, today=TODAY)
    return len(queries)


@pytest.mark.django_db
def test_the_annual_report_asks_as_many_queries_for_a_large_year_as_for_a_small_one(
    django_assert_max_num_queries,
):
    a_year_of(2)
    small = queries_of_the_report()
    assert small <= 18
    a_year_of(12)
    with django_assert_max_num_queries(small):
        report = build_annual_report(FY2024, today=TODAY)
    assert report.headline["help_desk_sessions"] == 14
    assert report.headline["consultations"] == 14 * 3


@pytest.mark.django_db
def test_every_figure_of_the_consultations_comes_from_one_query():
    a_year_of(3)
    with CaptureQueriesContext(connection) as queries:
        found = figures.consultation_figures(FY2024)
    assert len(queries) == 1
    by = found["breakdowns"]
    assert found["total"] == 9
    assert sorted(n for _venue, _month, n in found["by_venue_month"]) == [3, 3, 3]
    ids = [factories.topic(code=f"topic-{k}").pk for k in range(3)]
    assert by["topic"] == [(ids[0], 3, 3, 45), (ids[1], 3, 0, 45), (ids[2], 3, 3, 45)]
    assert by["is_resolved"] == [(False, 3, 0, 45), (True, 6, 6, 90)]
    assert by["age_band"] == [(AgeBand.AGE_70S, 9, 6, 135)]
    assert [device for device, *_rest in by["device"]] == sorted(Device.values[:3])


@pytest.mark.django_db
def test_the_shifts_per_supporter_count_those_who_served_none():
    a_year_of(2)
    factories.supporter(user_kwargs={"password": None}, joined_on=date(2024, 5, 1))
    assert dict(figures.shifts_per_supporter(FY2024, TODAY)) == {0: 1, 1: 2}
