"""Bad input is refused with a 4xx in the API's one error format, and nothing is written.

Each case was a 500 under a test with bad input (issue 8): offsets past a bigint, a day after
the calendar's last, NUL characters PostgreSQL refuses, a body too large to read. The suite
runs on SQLite and PostgreSQL, where NUL and bigint overflows fail differently.
"""

import json
from datetime import datetime, time

import pytest
from django.urls import reverse

from notifications.models import OutboundMessage
from sessions.models import Shift
from supporters.models import ApiToken, Invitation
from supporters.services import create_api_token
from tests import factories

BIGINT = "9223372036854775807"
LISTS = [
    "/api/sessions",
    "/api/board",
    "/api/me/shifts",
    "/api/notifications/outbox",
    "/api/notifications/inbound",
    "/api/invitations",
]


@pytest.fixture
def as_supporter(supporter):
    return {"HTTP_AUTHORIZATION": f"Bearer {create_api_token(supporter.user, 'test')[1]}"}


@pytest.fixture
def as_coordinator(coordinator):
    return {"HTTP_AUTHORIZATION": f"Bearer {create_api_token(coordinator, 'test')[1]}"}


@pytest.fixture
def headers(as_supporter, as_coordinator):
    """A supporter's for their own shifts, a coordinator's for everything else."""
    return lambda url: as_supporter if url.startswith("/api/me/shifts") else as_coordinator


def written() -> tuple:
    return (
        ApiToken.objects.count(),
        Invitation.objects.count(),
        Shift.objects.count(),
        OutboundMessage.objects.count(),
    )


def refused(response, status: int, code: str, field: str | None = None) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert body["message"]
    if field is not None:
        assert [detail["field"] for detail in body["details"]] == [field]


# Query strings -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", LISTS)
def test_a_page_past_any_offset_the_database_takes_is_invalid(client, headers, url):
    response = client.get(f"{url}?page={BIGINT}", **headers(url))

    refused(response, 422, "invalid", "page")


@pytest.mark.parametrize("url", LISTS)
def test_the_last_page_allowed_is_an_empty_page(client, headers, url):
    response = client.get(f"{url}?page=100000", **headers(url))

    assert response.status_code == 200
    assert response.json()["items"] == []


@pytest.mark.parametrize("url", ["/api/sessions", "/api/board", "/api/notifications/outbox"])
@pytest.mark.parametrize(
    "query",
    [
        "date_to=9999-12-31",  # a day later is past the calendar's end
        "date_from=0001-01-01",  # in UTC, a day before its start
        "date_to=0",  # a Unix time to pydantic: 1970-01-01
        "date_from=1700000000",
        "date_to=2026-4-1",
    ],
)
def test_a_date_filter_must_be_an_iso_date_within_the_calendar(client, headers, url, query):
    response = client.get(f"{url}?{query}", **headers(url))

    refused(response, 422, "invalid", query.split("=")[0])


def test_an_iso_date_filter_still_filters(client, db):
    session = factories.session(starts_at=datetime.fromisoformat("2026-04-14T10:00+09:00"))

    response = client.get("/api/sessions?date_from=2026-04-14&date_to=2026-04-14")

    assert [item["id"] for item in response.json()["items"]] == [session.pk]


@pytest.mark.parametrize(
    "url",
    [
        "/api/sessions?district=%00",
        "/api/venues?district=ab%00c",
        "/api/board?district=%00",
        "/api/notifications/inbound?unread=true&x=%00",
    ],
)
def test_a_nul_character_in_a_query_string_is_invalid(client, headers, url):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en", **headers(url))

    refused(response, 422, "invalid")
    assert response.json()["details"][0]["message"] == (
        "This text holds a NUL character (U+0000), which cannot be stored."
    )


@pytest.mark.parametrize("url", ["/api/sessions", "/api/board"])
def test_an_id_filter_past_a_bigint_is_invalid(client, headers, url):
    response = client.get(f"{url}?venue={BIGINT}0", **headers(url))

    refused(response, 422, "invalid", "venue")


# Bodies --------------------------------------------------------------------------------------

INVITATION = {"family_name": "赤城", "given_name": "次郎", "phone": "090-8765-4321"}


@pytest.mark.parametrize(
    ("url", "payload", "field"),
    [
        ("/api/me/tokens", {"name": "laptop\x00"}, "name"),
        ("/api/me/tokens", {"name": "laptop", "n\x00": "x"}, "n\x00"),
        ("/api/invitations", {**INVITATION, "family_name": "赤\x00城"}, "family_name"),
        ("/api/notifications/broadcasts", {"text": "明日\x00", "everyone": True}, "text"),
    ],
)
def test_a_nul_character_in_a_json_string_is_invalid_and_nothing_is_written(
    client, as_coordinator, url, payload, field
):
    before = written()

    response = client.post(url, json.dumps(payload), "application/json", **as_coordinator)

    refused(response, 422, "invalid", field)
    assert written() == before


@pytest.mark.parametrize(
    ("url", "payload", "field"),
    [
        ("/api/sessions/{session}/roster", {"supporter": 10**20}, "supporter"),
        ("/api/sessions/{session}/attendance", {"supporter": 10**20, "status": "attended"}, None),
        ("/api/notifications/broadcasts", {"text": "明日", "supporters": [10**20]}, None),
        ("/api/notifications/broadcasts", {"text": "明日", "session": 10**20}, "session"),
    ],
)
def test_an_id_past_a_bigint_in_a_body_is_invalid_and_nothing_is_written(
    client, as_coordinator, url, payload, field
):
    url = url.format(session=factories.session().pk)
    before = written()

    response = client.post(url, json.dumps(payload), "application/json", **as_coordinator)

    refused(response, 422, "invalid", field)
    assert written() == before


def test_a_body_too_large_to_read_is_refused_as_too_large(client, as_coordinator, settings):
    before = written()
    body = json.dumps({"name": "x" * 3_000_000})

    response = client.post("/api/me/tokens", body, "application/json", **as_coordinator)

    refused(response, 413, "too_large")
    assert written() == before


@pytest.mark.parametrize("body", ["{bad", '{"name": "laptop"', "\xff"])
def test_a_body_that_is_not_json_is_invalid(client, as_coordinator, body):
    before = written()

    response = client.post("/api/me/tokens", body, "application/json", **as_coordinator)

    refused(response, 400, "invalid")
    assert written() == before


# Path ids ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/sessions/abc/signup"),
        ("post", "/api/sessions/1.5/waitlist"),
        ("get", "/api/sessions/abc"),
        ("get", "/api/venues/%00"),
        ("delete", "/api/me/tokens/abc"),
        ("post", "/api/invitations/abc/revoke"),
        ("post", "/api/notifications/outbox/abc/retry"),
    ],
)
def test_a_path_id_that_is_not_a_whole_number_is_not_found(client, headers, method, url):
    before = written()

    response = getattr(client, method)(url, **headers(url))

    refused(response, 404, "not_found")
    assert written() == before


def test_a_path_id_past_a_bigint_is_not_found(client, as_supporter):
    response = client.post(f"/api/sessions/{BIGINT}0/signup", **as_supporter)

    refused(response, 404, "not_found")


# What the OpenAPI document promises ----------------------------------------------------------


@pytest.fixture
def openapi(client, db):
    return client.get("/api/openapi.json").json()


def operations(openapi):
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_openapi_documents_the_refusals_of_bad_input_on_every_operation(openapi):
    missing = []
    for name, operation in operations(openapi):
        places = {parameter["in"] for parameter in operation.get("parameters", [])}
        expected = set()
        if "path" in places:
            expected |= {"404"}
        if "query" in places:
            expected |= {"422"}
        if "requestBody" in operation:
            expected |= {"400", "413", "422"}
        missing += [f"{name} {status}" for status in expected - operation["responses"].keys()]
    assert missing == []
    refusal = openapi["paths"]["/api/me/tokens"]["post"]["responses"]["413"]
    assert refusal["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorOut"
    }


def test_openapi_bounds_pages_and_dates(openapi):
    parameters = {
        parameter["name"]: parameter
        for parameter in openapi["paths"]["/api/sessions"]["get"]["parameters"]
    }
    assert parameters["page"]["schema"]["maximum"] == 100000
    assert parameters["date_to"]["schema"]["anyOf"][0] == {
        "type": "string",
        "format": "date",
        "pattern": r"^\d{4}-\d{2}-\d{2}$",
    }


def test_a_date_past_the_calendar_says_which_is_the_last(client):
    response = client.get("/api/sessions?date_to=9999-12-31", HTTP_ACCEPT_LANGUAGE="en")

    assert response.json()["details"] == [
        {
            "field": "date_to",
            "message": "Ensure this value is less than or equal to 2999-12-31.",
        }
    ]


def matches_formats(value, schema: dict, openapi: dict, where: str = "") -> list[str]:
    """Where `value` breaks the string formats its schema declares (date, time, date-time)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return matches_formats(value, openapi["components"]["schemas"][name], openapi, where)
    if "anyOf" in schema:
        if value is None:
            return []
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return [e for s in options for e in matches_formats(value, s, openapi, where)]
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        return [
            error
            for key, item in value.items()
            if key in properties
            for error in matches_formats(item, properties[key], openapi, f"{where}.{key}")
        ]
    if isinstance(value, list):
        items = schema.get("items", {})
        return [e for item in value for e in matches_formats(item, items, openapi, where)]
    kind = schema.get("format")
    try:
        if kind == "time" and time.fromisoformat(value).tzinfo is None:
            return [f"{where}: {value} has no offset"]
        if kind == "date-time" and datetime.fromisoformat(value).tzinfo is None:
            return [f"{where}: {value} has no offset"]
    except ValueError:
        return [f"{where}: {value} is not a {kind}"]
    return []


def test_times_are_sent_as_the_openapi_document_declares_them(client, openapi):
    venue = factories.venue(is_helpdesk=True)
    factories.schedule(venue=venue, start_time=time(10), end_time=time(12))

    response = client.get(f"/api/venues/{venue.pk}")

    schema = openapi["paths"]["/api/venues/{venue_id}"]["get"]["responses"]["200"]
    schema = schema["content"]["application/json"]["schema"]
    assert response.json()["schedules"][0]["start_time"] == "10:00:00+09:00"
    assert matches_formats(response.json(), schema, openapi) == []


# Pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/calendar/ab%00c.ics", "/board/?district=%00", "/classes/?district=%00"]
)
def test_a_nul_character_in_a_page_address_is_a_bad_request(supporter_client, url):
    response = supporter_client.get(url)

    assert response.status_code == 400


def test_a_nul_character_in_a_form_post_is_a_bad_request_and_writes_nothing(supporter_client):
    before = written()

    response = supporter_client.post(reverse("supporters:tokens"), {"name": "laptop\x00"})

    assert response.status_code == 400
    assert written() == before


@pytest.mark.parametrize("query", ["date_to=9999-12-31", "date_from=9999-12-31"])
def test_the_board_page_ignores_a_date_past_the_calendar(supporter_client, query):
    response = supporter_client.get(f"{reverse('helpdesk_sessions:board')}?{query}")

    assert response.status_code == 200


def test_the_outbox_page_ignores_a_date_past_the_calendar(coordinator_client):
    response = coordinator_client.get(f"{reverse('notifications:outbox')}?date_to=9999-12-31")

    assert response.status_code == 200
