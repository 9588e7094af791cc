"""Coordinators read, download and close a fiscal year's activity report through the API
(issue 12): the demo's FY2024 is the city's own figures, the JSON is the report the page renders,
refusals come in the one error shape."""

import csv
import io
import json
from datetime import date, datetime, time, timedelta
from io import StringIO

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from config.fiscal import TOKYO, FiscalYear
from consultations.statistics.report import build_annual_report, close_fiscal_year
from sessions.models import Session
from supporters.services import create_api_token
from tests import factories

TODAY = date(2026, 11, 23)
NOW = datetime.combine(TODAY, time(10), tzinfo=TOKYO)
FY2024 = FiscalYear(2024)
URL = "/api/stats/annual"
HEADLINE_KEYS = {
    "help_desk_sessions",
    "consultations",
    "dispatches",
    "dispatch_participants",
    "active_supporters",
    "classes",
    "class_participants",
    "class_distinct_participants",
}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo data, made once for the module and rolled back after its tests."""
    with factories.made_once(
        django_db_blocker, "seed_demo", now=NOW, debug=False, stdout=StringIO()
    ):
        yield


@pytest.fixture
def demo(seeded, db, time_machine):
    """Each test in its own savepoint on top of the demo, on the day it was seeded."""
    time_machine.move_to(NOW, tick=False)


def bearer(user, language=None):
    _token, key = create_api_token(user, "test")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    if language:
        headers["HTTP_ACCEPT_LANGUAGE"] = language
    return headers


@pytest.fixture
def as_coordinator(coordinator):
    return bearer(coordinator)


def report_json(fiscal_year=FY2024, language="ja") -> dict:
    """The report object the page renders, as the API would send it."""
    with translation.override(language):
        return json.loads(json.dumps(build_annual_report(fiscal_year).as_dict()))


# The figures ------------------------------------------------------------------------------------


def test_the_demos_fy2024_headline_is_the_citys_own_figures(client, demo, as_coordinator):
    response = client.get(URL, {"fiscal_year": 2024}, **as_coordinator)

    assert response.status_code == 200
    body = response.json()
    assert set(body["headline"]) >= HEADLINE_KEYS
    headline = body["headline"]
    assert headline["help_desk_sessions"] == 175
    assert headline["consultations"] == 1523
    assert headline["dispatches"] == 72
    assert headline["dispatch_participants"] == 658
    assert headline["active_supporters"] == 132
    assert headline["classes"] > 0
    assert headline["class_distinct_participants"] <= headline["class_participants"]
    assert body["fiscal_year"] == 2024
    assert body["label"] == "2024年度（令和6年度）"
    assert body["as_of"] == "2025-03-31"
    assert body["year_to_date"] is False
    assert body["closed"] is False


def test_the_json_is_the_report_the_page_renders(client, demo, as_coordinator):
    body = client.get(URL, {"fiscal_year": 2024}, **as_coordinator).json()

    expected = report_json()
    assert body == expected
    assert [table["key"] for table in body["tables"]][-1] == "trend"
    assert {f["key"]: f["value"] for f in body["figures"]} == expected["headline"]
    topics = next(t for t in body["tables"] if t["key"] == "consultations_by_topic")
    assert topics["total"]["values"]["consultations"] == 1523
    assert isinstance(topics["total"]["values"]["share"], float)


def test_the_report_follows_the_requests_language(client, demo, coordinator):
    body = client.get(URL, {"fiscal_year": 2024}, **bearer(coordinator, "en")).json()

    assert body == report_json(language="en")
    assert body["label"] == "FY2024 (Reiwa 6)"


def test_without_a_fiscal_year_the_current_one_is_reported_to_date(client, demo, as_coordinator):
    body = client.get(URL, **as_coordinator).json()

    assert body["fiscal_year"] == 2026
    assert body["year_to_date"] is True
    assert body["as_of"] == "2026-11-23"
    previous = {f["key"]: f["previous"] for f in body["figures"]}
    assert (
        previous["help_desk_sessions"]
        == report_json(FiscalYear(2025))["headline"]["help_desk_sessions"]
    )


def test_the_openapi_document_describes_the_report(client, db):
    schema = client.get("/api/openapi.json").json()

    headline = schema["components"]["schemas"]["HeadlineOut"]["properties"]
    assert set(headline) >= HEADLINE_KEYS
    report = schema["components"]["schemas"]["AnnualReportOut"]["properties"]
    assert {"headline", "figures", "tables", "differences", "closed", "as_of"} <= set(report)
    export = schema["paths"]["/api/stats/annual/export"]["get"]
    assert "text/csv" in export["responses"]["200"]["content"]
    assert export["security"] == [{"CoordinatorBearerToken": []}, {"CoordinatorSession": []}]
    parameters = {p["name"] for p in export["parameters"]}
    assert parameters == {"fiscal_year", "format"}


# Who may read it, and bad input -----------------------------------------------------------------

ENDPOINTS = [
    ("get", URL),
    ("get", f"{URL}/export"),
    ("post", f"{URL}/close"),
]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_nobody_signed_in_is_refused_with_401(client, db, method, url):
    response = getattr(client, method)(f"{url}?fiscal_year=2024")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert set(response.json()) == {"code", "message"}


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
@pytest.mark.parametrize("persona", ["supporter", "stranger"])
def test_anyone_but_a_coordinator_is_refused_with_403(client, request, persona, method, url):
    user = request.getfixturevalue(persona)
    headers = bearer(getattr(user, "user", user))

    response = getattr(client, method)(f"{url}?fiscal_year=2024", **headers)

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert set(response.json()) == {"code", "message"}


def test_a_supporter_signed_in_on_the_site_is_refused_too(supporter_client):
    response = supporter_client.get(URL)

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


@pytest.mark.parametrize("fiscal_year", ["abc", "24", "20245", "2024.5", "", "2027"])
@pytest.mark.parametrize("url", [URL, f"{URL}/export"])
def test_a_bad_fiscal_year_is_refused_with_the_field_named(
    client, db, as_coordinator, monday_morning, url, fiscal_year
):
    monday_morning.move_to(NOW)  # FY2026: 2027 has not begun

    response = client.get(url, {"fiscal_year": fiscal_year}, **as_coordinator)

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert [detail["field"] for detail in body["details"]] == ["fiscal_year"]


@pytest.mark.parametrize("file_format", ["pdf", "XLSX", ""])
def test_an_unknown_format_is_refused_with_the_field_named(client, db, as_coordinator, file_format):
    response = client.get(
        f"{URL}/export", {"fiscal_year": 2024, "format": file_format}, **as_coordinator
    )

    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert [detail["field"] for detail in response.json()["details"]] == ["format"]


def test_closing_needs_the_fiscal_year(client, db, as_coordinator):
    response = client.post(f"{URL}/close", **as_coordinator)

    assert response.status_code == 422
    assert [detail["field"] for detail in response.json()["details"]] == ["fiscal_year"]


# The exports ------------------------------------------------------------------------------------


def test_the_excel_export_is_a_japanese_workbook_named_for_the_year(client, demo, as_coordinator):
    response = client.get(
        f"{URL}/export", {"fiscal_year": 2024, "format": "xlsx"}, **as_coordinator
    )

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == 'attachment; filename="digisapo-annual-FY2024.xlsx"'
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    summary = workbook.worksheets[0]
    assert summary["A1"].value == "2024年度（令和6年度） 活動実績報告"
    assert summary.cell(6, 2).value == 175
    by_venue = workbook.worksheets[1]
    assert [c.value for c in by_venue[3]][:3] == ["会場", "4月", "5月"]


def test_the_excel_export_speaks_english_when_asked(client, demo, coordinator):
    response = client.get(f"{URL}/export", {"fiscal_year": 2024}, **bearer(coordinator, "en"))

    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert "FY2024 (Reiwa 6)" in workbook.worksheets[0]["A1"].value
    assert [c.value for c in workbook.worksheets[1][3]][:2] == ["venue", "April"]


def test_the_csv_export_is_utf8_with_a_bom_named_for_the_year(client, demo, as_coordinator):
    response = client.get(f"{URL}/export", {"fiscal_year": 2024, "format": "csv"}, **as_coordinator)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="digisapo-annual-FY2024.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[rows.index([report_json()["tables"][0]["title"]]) + 1][:3] == ["会場", "4月", "5月"]


# Closing a year ---------------------------------------------------------------------------------


def test_a_correction_after_closing_shows_as_a_difference(client, demo, as_coordinator):
    closed = client.post(f"{URL}/close?fiscal_year=2024", **as_coordinator)
    assert closed.status_code == 200
    assert closed.json()["closed"] is True
    assert closed.json()["closed_at"].endswith("+09:00")
    assert closed.json()["differences"] == []
    held = (
        Session.objects.in_fiscal_year(FY2024)
        .took_place()
        .of_kind(Session.Kind.HELPDESK)
        .order_by("starts_at")
        .first()
    )

    factories.consultation(session=held)  # a consultation entered late
    body = client.get(URL, {"fiscal_year": 2024}, **as_coordinator).json()

    assert body["headline"]["consultations"] == 1523  # as published
    consultations = next(f for f in body["figures"] if f["key"] == "consultations")
    assert (consultations["value"], consultations["now"]) == (1523, 1524)
    assert {"published": 1523, "now": 1524} in [
        {"published": d["published"], "now": d["now"]} for d in body["differences"]
    ]
    by_month = next(t for t in body["tables"] if t["key"] == "consultations_by_venue_month")
    assert by_month["total"]["values"]["total"] == 1523


def test_closing_a_year_twice_or_before_it_ends_is_refused_with_its_code(
    client, demo, as_coordinator
):
    client.post(f"{URL}/close?fiscal_year=2024", **as_coordinator)

    again = client.post(f"{URL}/close?fiscal_year=2024", **as_coordinator)
    current = client.post(f"{URL}/close?fiscal_year=2026", **as_coordinator)

    assert (again.status_code, again.json()["code"]) == (409, "already_closed")
    assert (current.status_code, current.json()["code"]) == (409, "not_over")
    assert set(current.json()) == {"code", "message"}


# Speed -----------------------------------------------------------------------------------------


def a_year_of_records(fiscal_year: FiscalYear, *, venues: int, sessions: int):
    """Help desks with consultations, a group visit, a class with attendances, supporters."""
    district = factories.district()
    topics = [factories.topic(code=f"t{fiscal_year.start_year}-{n}") for n in range(3)]
    day = datetime.combine(fiscal_year.first_day + timedelta(days=30), time(10), tzinfo=TOKYO)
    for v in range(venues):
        venue = factories.venue(district=district)
        for s in range(sessions):
            desk = factories.session(
                venue=venue,
                kind=Session.Kind.HELPDESK,
                status=Session.Status.HELD,
                starts_at=day + timedelta(days=7 * s + v),
            )
            for topic in topics:
                factories.consultation(session=desk, topic=topic)
            factories.shift(session=desk)
    visit = factories.session(
        kind=Session.Kind.DISPATCH,
        status=Session.Status.HELD,
        starts_at=day,
        address="前橋市大手町1-1-1",
    )
    factories.session_report(session=visit, participants=sessions)
    lesson = factories.session(
        kind=Session.Kind.CLASS, status=Session.Status.HELD, starts_at=day, capacity=20
    )
    for _ in range(sessions):
        factories.class_registration(session=lesson, status="attended")
    factories.supporter(user_kwargs={"password": None}, joined_on=fiscal_year.first_day)


def test_the_report_takes_the_same_queries_whatever_the_number_of_records(
    coordinator_client, monday_morning, coordinator, django_assert_max_num_queries
):
    monday_morning.move_to(NOW)
    a_year_of_records(FY2024, venues=1, sessions=1)
    with CaptureQueriesContext(connection) as few:
        assert coordinator_client.get(URL, {"fiscal_year": 2024}).status_code == 200

    for year in (2021, 2022, 2023, 2024):  # more years in the trend, more of everything
        a_year_of_records(FiscalYear(year), venues=3, sessions=4)
    close_fiscal_year(FiscalYear(2022), by=coordinator)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = coordinator_client.get(URL, {"fiscal_year": 2024})

    assert response.status_code == 200
    assert response.json()["headline"]["help_desk_sessions"] >= 13
