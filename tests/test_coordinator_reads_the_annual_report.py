"""A coordinator reads a fiscal year's activity report (issue 12): the city's headline table with
its definitions and the year before, the breakdowns and charts, the print view; closes a year
that has ended, and later corrections show as published → now. Coordinators only."""

import re
from datetime import date, datetime
from html import unescape
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from config.fiscal import TOKYO, FiscalYear
from consultations.models import PublishedReport
from sessions.models import Session
from tests import factories

HELD = Session.Status.HELD
URL = reverse("consultations:annual_report")
PRINT_URL = reverse("consultations:annual_report_print")


def tokyo(*args) -> datetime:
    return datetime(*args, tzinfo=TOKYO)


@pytest.fixture
def monday_10am():
    """A Monday in June 2025: FY2024 has ended, FY2025 is the current year."""
    return tokyo(2025, 6, 2, 10)


def helpdesk(starts_at, venue, consultations=0, status=HELD):
    session = factories.session(starts_at=starts_at, venue=venue, status=status)
    for _ in range(consultations):
        factories.consultation(session=session)
    return session


def a_year(first_year: int, venues, per_session: int, sessions: int = 2):
    """`sessions` help desks at each venue in fiscal year `first_year`, and one group visit."""
    for venue in venues:
        for month in range(4, 4 + sessions):
            helpdesk(tokyo(first_year, month, 10, 10), venue, consultations=per_session)
    visit = factories.session(
        kind=Session.Kind.DISPATCH, status=HELD, starts_at=tokyo(first_year, 9, 4, 13, 30),
        address="前橋市大手町1-1-1",
    )  # fmt: skip
    factories.session_report(session=visit, participants=8)


@pytest.fixture
def two_years(db, monday_morning):
    """FY2023 and FY2024 at two halls: 4 desks and 4 × 3 consultations in FY2023, 4 desks and
    4 × 5 in FY2024 (one more cancelled), a group visit of 8 each year, two supporters."""
    halls = [factories.venue(name="東公民館"), factories.venue(name="南橘公民館")]
    factories.topic()  # LINE, shared by every consultation
    a_year(2023, halls, per_session=3)
    a_year(2024, halls, per_session=5)
    helpdesk(tokyo(2024, 7, 9, 10), halls[0], consultations=4, status=Session.Status.CANCELLED)
    for joined in (date(2023, 5, 1), date(2024, 5, 1)):
        factories.supporter(user_kwargs={"password": None}, joined_on=joined)
    return halls


def cells(html: str, row_id: str) -> list[str]:
    """The text of each cell of the row `row_id` (its header first)."""
    row = re.search(rf'<tr id="{row_id}">(.*?)</tr>', html, re.S).group(1)
    found = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split()) for cell in found]


def table(html: str, key: str) -> str:
    return re.search(rf'id="caption-{key}">(.*?)</table>', html, re.S).group(1)


def test_the_report_shows_the_years_headline_against_the_year_before_with_definitions(
    coordinator_client, in_english, two_years
):
    response = coordinator_client.get(URL, {"fiscal_year": 2024})

    assert response.status_code == 200
    html = response.content.decode()
    assert "FY2024 (Reiwa 6)" in html
    assert cells(html, "figure-help_desk_sessions")[1:] == ["4", "4", "0", "0.0%"]
    assert cells(html, "figure-consultations")[1:] == ["20", "12", "+8", "+66.7%"]
    assert cells(html, "figure-dispatch_participants")[1:] == ["8", "8", "0", "0.0%"]
    assert cells(html, "figure-active_supporters")[1:3] == ["2", "1"]
    # Each figure's definition, on the page.
    assert "A cancelled sitting never counts." in html
    assert '<dl class="definitions">' in html
    # The breakdowns, their charts, and the way to print and export.
    assert "東公民館" in table(html, "consultations_by_venue_month")
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') >= 5
    assert f"{PRINT_URL}?fiscal_year=2024" in html
    assert "/api/stats/annual/export?fiscal_year=2024&amp;format=xlsx" in html
    assert "/api/stats/annual/export?fiscal_year=2024&amp;format=csv" in html
    # The year has ended and is not closed: the coordinator may close it.
    assert 'name="confirm"' in html


def test_the_current_year_is_shown_by_default_year_to_date_and_cannot_be_closed_there(
    coordinator_client, in_english, two_years
):
    html = coordinator_client.get(URL).content.decode()

    assert "Annual activity report, FY2025 (Reiwa 7)" in html
    assert "Year to date" in html
    assert 'name="confirm"' not in html
    # The year picker lists the years with records up to this one.
    picker = re.search(r'<select name="fiscal_year".*?</select>', html, re.S).group(0)
    assert re.findall(r'value="(\d+)"', picker) == ["2025", "2024", "2023"]


def test_the_print_view_has_a_cover_line_the_headline_and_the_charts_but_no_menu(
    coordinator_client, in_english, two_years
):
    response = coordinator_client.get(PRINT_URL, {"fiscal_year": 2024})

    html = response.content.decode()
    assert "Issued on June 2, 2025" in html
    assert "Annual activity report, FY2024 (Reiwa 6)" in html
    assert cells(html, "figure-consultations")[1] == "20"
    assert "<svg" in html
    assert 'class="site-header"' not in html
    assert 'class="site-footer"' not in html


@pytest.mark.parametrize("url", [URL, PRINT_URL])
def test_supporters_are_refused_and_visitors_sent_to_sign_in(client, supporter, url):
    assert client.get(url).status_code == 302
    assert reverse("account_login") in client.get(url)["Location"]
    client.force_login(supporter.user)
    assert client.get(url).status_code == 403
    assert client.post(url, {"fiscal_year": 2024, "confirm": "on"}).status_code == 403


def test_a_supporter_cannot_close_a_year(client, supporter, two_years):
    client.force_login(supporter.user)
    client.post(f"{URL}?fiscal_year=2024", {"fiscal_year": 2024, "confirm": "on"})

    assert not PublishedReport.objects.exists()


def test_closing_a_year_keeps_its_figures_and_a_later_correction_shows_beside_them(
    coordinator_client, in_english, coordinator, two_years
):
    response = coordinator_client.post(
        f"{URL}?fiscal_year=2024", {"fiscal_year": 2024, "confirm": "on"}, follow=True
    )

    html = response.content.decode()
    assert "FY2024 (Reiwa 6) is closed: its figures are published." in html
    assert "its figures were published on June 2, 2025 by" in html
    assert str(coordinator) in html
    assert 'name="confirm"' not in html  # closed once, never again
    published = PublishedReport.objects.get()
    assert published.figures["headline"]["consultations"] == 20

    # A consultation forgotten at a FY2024 help desk is entered after the year was closed.
    held = Session.objects.filter(venue=two_years[0], starts_at__year=2024, status=HELD).first()
    factories.consultation(session=held)

    html = coordinator_client.get(URL, {"fiscal_year": 2024}).content.decode()
    assert cells(html, "figure-consultations")[1] == "published 20 → now 21"
    # Listed at the top, each cell it changed: the headline, the venue's month and total, ...
    differences = re.search(r'id="differences-heading">(.*?)</section>', html, re.S).group(1)
    assert "17 corrections since the year was closed" in differences
    assert "FY2024 (Reiwa 6): published 20 → now 21" in differences
    venue_month = "Consultations, by venue and month · 東公民館 · April: published 5 → now 6"
    assert venue_month in differences
    venues = " ".join(re.sub(r"<[^>]+>", " ", table(html, "consultations_by_venue_month")).split())
    assert "published 10 → now 11" in venues  # 東公民館's total
    assert "now 21" in venues  # the total's
    assert PublishedReport.objects.get().figures == published.figures


def test_closing_a_year_needs_the_box_ticked(coordinator_client, in_english, two_years):
    response = coordinator_client.post(f"{URL}?fiscal_year=2024", {"fiscal_year": 2024})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not PublishedReport.objects.exists()


def test_closing_the_current_year_is_refused_with_the_reason(
    coordinator_client, in_english, two_years
):
    response = coordinator_client.post(URL, {"fiscal_year": 2025, "confirm": "on"})

    assert response.status_code == 200
    assert "A fiscal year can be closed once it has ended." in response.content.decode()
    assert not PublishedReport.objects.exists()


def test_closing_a_year_twice_is_refused(coordinator_client, in_english, coordinator, two_years):
    from consultations.statistics.report import close_fiscal_year

    close_fiscal_year(FiscalYear(2024), by=coordinator)
    response = coordinator_client.post(
        f"{URL}?fiscal_year=2024", {"fiscal_year": 2024, "confirm": "on"}
    )

    assert "This fiscal year is already closed" in response.content.decode()
    assert PublishedReport.objects.count() == 1


def test_an_unknown_year_shows_the_current_one(coordinator_client, in_english, two_years):
    html = coordinator_client.get(URL, {"fiscal_year": "1999"}).content.decode()

    assert "Annual activity report, FY2025 (Reiwa 7)" in html


QUERIES = 40  # the report's own, the session's and the header's, whatever the number of records


@pytest.mark.parametrize("url", [URL, PRINT_URL])
def test_the_report_takes_the_same_queries_for_a_few_records_or_many(
    coordinator_client, two_years, django_assert_max_num_queries, url
):
    with django_assert_max_num_queries(QUERIES):
        small = coordinator_client.get(url, {"fiscal_year": 2024})
    more = [factories.venue(name=f"第{n}コミュニティセンター") for n in range(1, 4)]
    a_year(2024, [*two_years, *more], per_session=7, sessions=6)
    a_year(2022, more, per_session=2)
    with django_assert_max_num_queries(QUERIES):
        large = coordinator_client.get(url, {"fiscal_year": 2024})

    assert small.status_code == large.status_code == 200
    assert "第3コミュニティセンター" in large.content.decode()


def test_the_demo_fy2024_report_shows_the_citys_own_figures(
    coordinator_client, in_english, time_machine, settings
):
    settings.DEBUG = False  # no demo logins
    time_machine.move_to(tokyo(2026, 11, 23, 10), tick=False)
    call_command("seed_demo", stdout=StringIO())

    html = coordinator_client.get(URL, {"fiscal_year": 2024}).content.decode()

    headline = {
        key: cells(html, f"figure-{key}")[1]
        for key in (
            "help_desk_sessions",
            "consultations",
            "dispatches",
            "dispatch_participants",
            "active_supporters",
        )
    }
    assert headline == {
        "help_desk_sessions": "175",
        "consultations": "1,523",
        "dispatches": "72",
        "dispatch_participants": "658",
        "active_supporters": "132",
    }
    # Every breakdown has something to show: no table is left empty.
    assert html.count("<caption") >= 15
    assert 'class="corrected"' not in html
