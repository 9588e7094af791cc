from datetime import date, datetime, timedelta

import pytest

from config.fiscal import TOKYO, FiscalYear
from consultations.services import AnnualFigures, annual_figures
from sessions.models import Session, Shift
from tests import factories

HELD, CANCELLED = Session.Status.HELD, Session.Status.CANCELLED


def tokyo(*args) -> datetime:
    return datetime(*args, tzinfo=TOKYO)


def helpdesk(starts_at, status=HELD, consultations=0):
    session = factories.session(kind=Session.Kind.HELPDESK, status=status, starts_at=starts_at)
    for _ in range(consultations):
        factories.consultation(session=session)
    return session


def visit(starts_at, participants, status=HELD, kind=Session.Kind.DISPATCH):
    session = factories.session(
        kind=kind, status=status, starts_at=starts_at, address="前橋市大手町1-1-1"
    )
    factories.session_report(session=session, participants=participants)
    if kind == Session.Kind.CLASS:  # a class counts the places marked attended at the door
        for _ in range(participants):
            factories.class_registration(session=session, status="attended")
    return session


def supporter(**kwargs):
    # No password: hashing six of them would be most of the test's time.
    return factories.supporter(user_kwargs={"password": None}, **kwargs)


@pytest.fixture
def two_years(db):
    """Sessions on both sides of FY2024's edges, some of them cancelled or not held yet."""
    helpdesk(tokyo(2024, 3, 31, 23, 30), consultations=4)  # FY2023's last evening
    helpdesk(tokyo(2024, 4, 1, 0, 30), consultations=2)  # FY2024's first morning
    helpdesk(tokyo(2024, 6, 11, 10), consultations=9)
    helpdesk(tokyo(2024, 6, 25, 10), status=CANCELLED, consultations=3)
    # Over, never cancelled and not marked held: it took place all the same.
    helpdesk(tokyo(2025, 3, 20, 10), status=Session.Status.SCHEDULED, consultations=1)
    helpdesk(tokyo(2025, 3, 31, 23, 30), consultations=1)
    helpdesk(tokyo(2025, 4, 1, 0, 30), consultations=5)  # 2025-03-31 15:30 UTC: FY2025

    visit(tokyo(2024, 4, 1, 13, 30), participants=8)
    visit(tokyo(2024, 10, 2, 13, 30), participants=6, status=CANCELLED)
    visit(tokyo(2025, 3, 31, 23, 0), participants=4)
    visit(tokyo(2025, 4, 1, 0, 30), participants=11)
    visit(tokyo(2024, 9, 4, 10), participants=12, kind=Session.Kind.CLASS)
    visit(tokyo(2024, 9, 18, 10), participants=7, kind=Session.Kind.CLASS, status=CANCELLED)

    supporter(joined_on=date(2023, 5, 1))
    supporter(joined_on=date(2025, 3, 31))  # joined on the last day: counts
    supporter(joined_on=date(2025, 4, 1))  # FY2025's
    supporter(joined_on=date(2023, 5, 1), status="withdrawn", withdrawn_on=date(2025, 3, 31))
    supporter(joined_on=date(2023, 5, 1), status="withdrawn", withdrawn_on=date(2025, 4, 1))
    supporter(joined_on=date(2023, 5, 1), status="paused", paused_on=date(2025, 2, 1))


def test_fy2024_counts_sessions_that_took_place_from_1_april_to_31_march_tokyo_time(two_years):
    assert annual_figures(FiscalYear(2024)) == AnnualFigures(
        fiscal_year=FiscalYear(2024),
        helpdesk_sessions_held=4,
        consultations=2 + 9 + 1 + 1,
        dispatches_held=2,
        dispatch_participants=8 + 4,
        active_supporters=3,
        classes_held=1,
        class_participants=12,
        class_distinct_participants=12,
        serving_supporters=0,
    )


def test_fy2025_starts_at_midnight_on_1_april_tokyo_time(two_years):
    figures = annual_figures(FiscalYear(2025))

    assert figures.helpdesk_sessions_held == 1
    assert figures.consultations == 5
    assert figures.dispatches_held == 1
    assert figures.dispatch_participants == 11
    assert figures.active_supporters == 3  # the one who withdrew on 1 April 2025 is gone
    assert figures.classes_held == figures.class_participants == 0


def test_an_empty_year_is_all_zeros(db):
    figures = annual_figures(FiscalYear(2030))

    assert (figures.helpdesk_sessions_held, figures.consultations) == (0, 0)
    assert (figures.dispatch_participants, figures.class_participants) == (0, 0)


def test_the_figures_take_four_queries_whatever_the_data(two_years, django_assert_num_queries):
    with django_assert_num_queries(4):
        annual_figures(FiscalYear(2024))


def counts_in_figures_and_hours(session, supporter) -> tuple[bool, bool]:
    """Whether `session` counts in its fiscal year's figures, and in the supporter's hours."""
    figures = annual_figures(session.fiscal_year)
    hours = Shift.objects.filter(supporter=supporter).hours_served()
    return figures.helpdesk_sessions_held == 1, [row["shifts"] for row in hours] == [1]


@pytest.mark.parametrize(
    ("status", "starts", "counts"),
    [
        ("held", "over", True),
        ("scheduled", "over", True),  # nobody marked it held: it still took place
        ("scheduled", "running", False),
        ("held", "running", True),  # marked held once it started
        ("scheduled", "coming", False),
        ("cancelled", "over", False),
    ],
)
def test_a_session_counts_in_both_the_figures_and_the_hours_or_in_neither(
    db, time_machine, status, starts, counts
):
    now = tokyo(2026, 6, 10, 12)
    time_machine.move_to(now, tick=False)
    offset = {"over": -timedelta(days=2), "running": -timedelta(hours=1), "coming": timedelta(1)}
    session = factories.session(status=status, starts_at=now + offset[starts])
    helper = supporter()
    factories.shift(session=session, supporter=helper, status=Shift.Status.SIGNED_UP)

    assert counts_in_figures_and_hours(session, helper) == (counts, counts)
