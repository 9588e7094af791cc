"""A supporter's certificate of hours for a fiscal year (issue 13): served shifts by kind, the
same hours as My shifts for that year (the one definition of a session that took place), for the
supporter themselves and for coordinators, on the page to print and in the API."""

from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse

from config.fiscal import TOKYO, FiscalYear
from sessions.certificates import certificate_of_hours
from sessions.models import Session, Shift
from supporters.services import create_api_token
from tests import factories
from tests.clock import JUNE_MONDAY_10AM
from tests.versions import settle_public_version

pytestmark = pytest.mark.usefixtures("monday_morning")

MY_CERTIFICATE = reverse("helpdesk_sessions:my_certificate")
MY_SHIFTS = reverse("helpdesk_sessions:my_shifts")
FY2025 = FiscalYear(2025)


@pytest.fixture
def monday_10am():
    return JUNE_MONDAY_10AM  # 1 June 2026: all of FY2025 is over


def bearer(user, language="en"):
    _token, key = create_api_token(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_ACCEPT_LANGUAGE": language}


def served(supporter, start, hours, *, kind=Session.Kind.HELPDESK, **fields):
    session_status = fields.pop("session_status", Session.Status.HELD)
    session = factories.session(
        kind=kind, starts_at=start, ends_at=start + timedelta(hours=hours), status=session_status
    )
    return factories.shift(session=session, supporter=supporter, **fields)


def fill_a_year(supporter):
    """FY2025 by hand: 2 + 1.5 (help desk, the second on 31 March at 23:30), 3 (a group visit
    only signed up for and never marked held), 1.5 (a class); and what does not count."""
    attended = Shift.Status.ATTENDED
    served(supporter, datetime(2025, 4, 1, 10, 0, tzinfo=TOKYO), 2, status=attended)
    served(supporter, datetime(2026, 3, 31, 23, 30, tzinfo=TOKYO), 1.5, status=attended)
    served(
        supporter,
        datetime(2025, 7, 8, 13, 0, tzinfo=TOKYO),
        3,
        kind=Session.Kind.DISPATCH,
        session_status=Session.Status.SCHEDULED,
    )
    served(supporter, datetime(2025, 9, 9, 10, 0, tzinfo=TOKYO), 1.5, kind=Session.Kind.CLASS)
    # Not counted: a session called off, a no-show, a cancelled shift.
    served(
        supporter,
        datetime(2025, 10, 1, 10, 0, tzinfo=TOKYO),
        2,
        session_status=Session.Status.CANCELLED,
    )
    served(supporter, datetime(2025, 11, 4, 10, 0, tzinfo=TOKYO), 2, status=Shift.Status.NO_SHOW)
    served(supporter, datetime(2025, 12, 2, 10, 0, tzinfo=TOKYO), 2, status=Shift.Status.CANCELLED)
    # FY2026, from its first minute: 1 April 00:00.
    served(supporter, datetime(2026, 4, 1, 0, 0, tzinfo=TOKYO), 4, status=attended)


def test_the_certificate_counts_served_shifts_by_kind_as_my_shifts_counts_the_year(
    supporter_client, supporter
):
    fill_a_year(supporter)
    factories.shift(supporter=factories.supporter())  # someone else's

    certificate = certificate_of_hours(supporter, FY2025)

    rows = [(row["kind"], row["shifts"], row["hours"]) for row in certificate.rows]
    assert rows == [("helpdesk", 2, 3.5), ("dispatch", 1, 3.0), ("class", 1, 1.5)]
    assert (certificate.total_shifts, certificate.total_hours) == (4, 8.0)
    my_shifts = supporter_client.get(MY_SHIFTS).context["hours"]
    by_year = {row["fiscal_year"]: (row["shifts"], row["hours"]) for row in my_shifts}
    assert by_year == {2026: (1, 4.0), 2025: (4, 8.0)}
    assert certificate_of_hours(supporter, FiscalYear(2026)).total_hours == 4.0
    assert certificate_of_hours(supporter, FiscalYear(2024)).rows[0]["shifts"] == 0


def test_the_certificate_page_shows_the_name_the_year_the_hours_and_the_issuer(
    supporter_client, supporter
):
    fill_a_year(supporter)

    response = supporter_client.get(MY_CERTIFICATE, {"fiscal_year": 2025})

    assert response.status_code == 200
    html = response.content.decode()
    assert supporter.full_name in html
    assert "2025年度（令和7年度）" in html
    assert "まえばしデジタルサポーター" in html
    assert "前橋市 デジタルサポート事務局" in html
    assert 'class="certificate__total-hours">8.0<' in html
    assert "site-header" not in html  # nothing of the site's navigation on the paper
    assert "@page" not in html  # the A4 page is the stylesheet's
    english = supporter_client.get(
        MY_CERTIFICATE, {"fiscal_year": 2025}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Certificate of volunteer activity" in english
    assert "Issued on June 1, 2026" in english


def test_the_certificate_is_for_this_fiscal_year_unless_asked(supporter_client, supporter):
    served(supporter, datetime(2026, 5, 12, 10, 0, tzinfo=TOKYO), 2.5)

    response = supporter_client.get(MY_CERTIFICATE)

    assert response.context["certificate"].fiscal_year == FiscalYear(2026)
    assert response.context["certificate"].total_hours == 2.5
    assert response.context["next_year"] is None  # no certificate for a year to come


@pytest.mark.parametrize("year", ["1900", "abc", "3000"])
def test_a_year_out_of_range_is_not_found(supporter_client, year):
    assert supporter_client.get(MY_CERTIFICATE, {"fiscal_year": year}).status_code == 404


def test_my_shifts_links_each_years_certificate(supporter_client, supporter):
    served(supporter, datetime(2025, 6, 3, 10, 0, tzinfo=TOKYO), 2)

    html = supporter_client.get(MY_SHIFTS).content.decode()

    assert f'href="{MY_CERTIFICATE}?fiscal_year=2025"' in html


def test_coordinators_print_any_supporters_certificate_and_others_are_refused(
    client, supporter, coordinator
):
    fill_a_year(supporter)
    supporter.status, supporter.withdrawn_on = "withdrawn", date(2026, 5, 1)
    supporter.save()
    url = reverse("helpdesk_sessions:supporter_certificate", args=[supporter.pk])

    client.force_login(coordinator)
    response = client.get(url, {"fiscal_year": 2025})
    assert response.status_code == 200
    assert response.context["certificate"].total_hours == 8.0
    assert client.get(MY_CERTIFICATE).status_code == 403  # a coordinator has no certificate

    client.force_login(factories.supporter().user)
    assert client.get(url).status_code == 403  # not another supporter's
    client.force_login(factories.user())
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302


def test_the_api_gives_the_certificates_figures(client, supporter, coordinator):
    fill_a_year(supporter)

    mine = client.get("/api/me/certificate", {"fiscal_year": 2025}, **bearer(supporter.user))

    assert mine.status_code == 200
    assert mine.json() == {
        "fiscal_year": 2025,
        "label": "FY2025 (Reiwa 7)",
        "supporter": supporter.pk,
        "name": supporter.full_name,
        "by_kind": [
            {"kind": "helpdesk", "label": "Help desk", "shifts": 2, "hours": 3.5},
            {"kind": "dispatch", "label": "Group visit", "shifts": 1, "hours": 3.0},
            {"kind": "class", "label": "Smartphone class", "shifts": 1, "hours": 1.5},
        ],
        "total_shifts": 4,
        "total_hours": 8.0,
        "issued_on": "2026-06-01",
        "issued_by": "Maebashi Digital Supporters, Maebashi City digital support office",
    }
    hours = client.get("/api/me/hours", **bearer(supporter.user)).json()
    assert {row["fiscal_year"]: row["hours"] for row in hours}[2025] == 8.0
    theirs = f"/api/supporters/{supporter.pk}/certificate"
    assert client.get(theirs, {"fiscal_year": 2025}, **bearer(coordinator)).json() == mine.json()


def test_the_api_refuses_others_and_bad_years(client, supporter, coordinator):
    theirs = f"/api/supporters/{supporter.pk}/certificate"
    assert client.get(theirs, **bearer(factories.supporter().user)).status_code == 403
    assert client.get(theirs).status_code == 401
    assert client.get("/api/supporters/999999/certificate", **bearer(coordinator)).status_code == (
        404
    )
    assert client.get("/api/me/certificate", **bearer(coordinator)).status_code == 403
    bad = client.get("/api/me/certificate", {"fiscal_year": "1900"}, **bearer(supporter.user))
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid")


PAGE_QUERIES = 4
API_QUERIES = 2  # the kept token and version, the shifts summed


def test_the_certificate_takes_the_same_queries_for_one_shift_or_forty(
    client, supporter, django_assert_num_queries
):
    client.force_login(supporter.user)
    served(supporter, datetime(2025, 5, 1, 10, 0, tzinfo=TOKYO), 2)
    settle_public_version()
    # The kept version, the session and the kept user, the shifts summed.
    with django_assert_num_queries(PAGE_QUERIES):
        client.get(MY_CERTIFICATE, {"fiscal_year": 2025})
    for n in range(40):
        kind = [Session.Kind.HELPDESK, Session.Kind.CLASS][n % 2]
        start = datetime(2025, 6, 1, 10, 0, tzinfo=TOKYO) + timedelta(days=n)
        served(supporter, start, 2, kind=kind)
    settle_public_version()
    with django_assert_num_queries(PAGE_QUERIES):
        page = client.get(MY_CERTIFICATE, {"fiscal_year": 2025})
    assert page.context["certificate"].total_hours == 82.0
    headers = bearer(supporter.user)
    client.get("/api/me/certificate", **headers)
    with django_assert_num_queries(API_QUERIES):
        client.get("/api/me/certificate", {"fiscal_year": 2025}, **headers)
