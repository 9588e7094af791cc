"""The /api/ base: its OpenAPI document, its error format and language, and who may call it."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from config.api import (
    ApiError,
    ServiceError,
    on_api_error,
    on_service_error,
    on_unexpected_error,
    status_message,
)
from supporters.models import ApiToken
from supporters.services import create_api_token, revoke_api_token
from tests import factories

PATHS = [
    "/api/districts",
    "/api/venues",
    "/api/venues/{venue_id}",
    "/api/sessions",
    "/api/sessions/{session_id}",
    "/api/me",
    "/api/me/tokens",
    "/api/me/tokens/{token_id}",
    # Shift board, sign-ups and rosters (issue 5).
    "/api/board",
    "/api/sessions/{session_id}/signup",
    "/api/sessions/{session_id}/waitlist",
    "/api/sessions/{session_id}/cancel",
    "/api/sessions/{session_id}/accept",
    "/api/sessions/{session_id}/roster",
    "/api/sessions/{session_id}/roster/{supporter_id}",
    "/api/sessions/{session_id}/attendance",
    "/api/me/shifts",
    "/api/me/hours",
    # Invitations (issue 5).
    "/api/invitations",
    "/api/invitations/{invitation_id}/revoke",
    # Calendar feed and check-in by QR (issue 5).
    "/api/me/calendar",
    "/api/me/calendar/regenerate",
    "/api/checkin",
    # The coordinators' SMS outbox, incoming texts and broadcasts (issue 4).
    "/api/notifications/outbox",
    "/api/notifications/outbox/{message_id}/retry",
    "/api/notifications/inbound",
    "/api/notifications/inbound/{message_id}/read",
    "/api/notifications/broadcasts/preview",
    "/api/notifications/broadcasts",
    "/api/notifications/summary",
    # Group visits: the coordinators' triage and the report (issue 10).
    "/api/dispatch-requests",
    "/api/class-desk",
    "/api/class-desk/series",
    "/api/class-desk/{session_id}",
    "/api/class-desk/{session_id}/roster",
    "/api/class-desk/{session_id}/attendance",
    "/api/dispatch-requests/{request_id}",
    "/api/dispatch-requests/{request_id}/accept",
    "/api/dispatch-requests/{request_id}/decline",
    "/api/dispatch-requests/{request_id}/ask",
    "/api/dispatch-requests/{request_id}/schedule",
    "/api/dispatch-requests/{request_id}/reschedule",
    "/api/dispatch-requests/{request_id}/cancel",
    "/api/dispatch-requests/{request_id}/called-back",
    "/api/dispatch-requests/{request_id}/report",
    # The consultation tally (issue 11).
    "/api/sessions/{session_id}/consultations",
    "/api/sessions/{session_id}/consultations/{consultation_id}",
    "/api/sessions/{session_id}/consultations/{consultation_id}/undo",
    "/api/sessions/{session_id}/consultations/{consultation_id}/remove",
    "/api/sessions/{session_id}/consultations/{consultation_id}/restore",
    "/api/sessions/{session_id}/consultations/{consultation_id}/history",
    "/api/sessions/{session_id}/consultations/confirm",
    # Group visits: invitations (issue 10).
    "/api/dispatch-requests/{request_id}/invitations",
    "/api/dispatch-requests/{request_id}/invitations/take",
    "/api/dispatch-requests/{request_id}/invitations/decline",
    "/api/dispatch-requests/status/{token}",
    "/api/dispatch-requests/status/{token}/cancel",
    # Group visits (issue 10): supporters' usual availability, suggestions for a visit.
    "/api/me/availability",
    "/api/dispatch-requests/{request_id}/suggestions",
    # Help-desk schedules (issue 11).
    "/api/schedules",
    "/api/schedules/{schedule_id}",
    "/api/schedules/{schedule_id}/generate",
    "/api/sessions/{session_id}/call-off",
    # Smartphone classes: residents (issue 11).
    "/api/classes",
    "/api/classes/{class_id}",
    "/api/classes/{class_id}/registrations",
    "/api/classes/registrations/{token}",
    "/api/classes/registrations/{token}/cancel",
    "/api/classes/registrations/{token}/accept",
    # The annual activity report and its exports (issue 12).
    "/api/stats/annual",
    "/api/stats/annual/export",
    "/api/stats/annual/close",
    # A supporter's year (issue 13): the certificate of hours.
    "/api/me/certificate",
    "/api/supporters/{supporter_id}/certificate",
    # Cover requests (issue 13).
    "/api/shifts/{shift_id}/cover",
    "/api/shifts/{shift_id}/cover/cancel",
    "/api/cover-requests",
    "/api/cover-requests/{request_id}/take",
]


def bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def post_json(client, url, data, **headers):
    return client.post(url, json.dumps(data), content_type="application/json", **headers)


def in_language(language, function, *args):
    with translation.override(language):
        return function(*args)


@pytest.fixture
def openapi(client, db):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


# The OpenAPI document and the docs


def test_openapi_document_lists_every_path(openapi):
    assert openapi["info"]["title"] == "digisapo API"
    assert sorted(openapi["paths"]) == sorted(PATHS)
    assert set(openapi["paths"]["/api/me/tokens"]) == {"get", "post"}
    assert set(openapi["paths"]["/api/me/tokens/{token_id}"]) == {"delete"}
    assert set(openapi["paths"]["/api/me/availability"]) == {"get", "put"}


def test_openapi_schemas_carry_the_documented_keys(openapi):
    schemas = openapi["components"]["schemas"]
    assert set(schemas["PagedSessionOut"]["properties"]) == {"items", "count"}
    assert set(schemas["SessionOut"]["properties"]) == {
        "id",
        "kind",
        "title",
        "status",
        "starts_at",
        "ends_at",
        "venue",
        "place_name",
        "address",
        "district",
        "supporters_needed",
        "places_left",
        "capacity",
        "seats_left",
        "min_level",
    }
    assert set(schemas["VenueOut"]["properties"]) == {
        "id",
        "name",
        "name_kana",
        "address",
        "district",
        "latitude",
        "longitude",
        "access_notes",
        "accessibility_notes",
        "has_wifi",
        "is_helpdesk",
    }
    assert set(schemas["DistrictOut"]["properties"]) == {"code", "name", "name_kana", "population"}
    assert set(schemas["MeOut"]["properties"]) == {
        "username",
        "display_name",
        "is_coordinator",
        "is_supporter",
        "language",
    }
    assert "token" not in schemas["TokenOut"]["properties"]
    assert "token" in schemas["TokenCreatedOut"]["properties"]
    assert set(schemas["ErrorOut"]["properties"]) == {"code", "message", "details"}


def test_openapi_marks_public_endpoints_open_and_personal_ones_locked(openapi):
    paths = openapi["paths"]
    for public in ["/api/districts", "/api/venues", "/api/sessions", "/api/sessions/{session_id}"]:
        assert "security" not in paths[public]["get"]
        assert "Public" in paths[public]["get"]["description"]
    for public, method in [
        ("/api/dispatch-requests", "post"),
        ("/api/dispatch-requests/status/{token}", "get"),
        ("/api/dispatch-requests/status/{token}/cancel", "post"),
        ("/api/classes", "get"),
        ("/api/classes/{class_id}", "get"),
        ("/api/classes/{class_id}/registrations", "post"),
        ("/api/classes/registrations/{token}", "get"),
        ("/api/classes/registrations/{token}/cancel", "post"),
        ("/api/classes/registrations/{token}/accept", "post"),
    ]:
        assert "security" not in paths[public][method]
        assert "Public" in paths[public][method]["description"]
    schemes = openapi["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["BearerToken"].items()
    assert schemes["SignedInSession"]["in"] == "cookie"
    assert paths["/api/me"]["get"]["security"] == [{"BearerToken": []}, {"SignedInSession": []}]


def test_openapi_session_filters_are_documented(openapi):
    parameters = {p["name"] for p in openapi["paths"]["/api/sessions"]["get"]["parameters"]}
    assert parameters == {
        "kind",
        "venue",
        "district",
        "date_from",
        "date_to",
        "status",
        "page",
        "page_size",
    }


def test_docs_page_is_served(client, db):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert b"/api/openapi.json" in response.content


# Error shapes and their language


def test_unauthenticated_call_is_401_with_code_and_japanese_message(client, db):
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.json() == {
        "code": "unauthenticated",
        "message": in_language("ja", status_message, 401),
    }
    assert response["Content-Language"] == "ja"


def test_unauthenticated_call_answers_in_english_when_asked(client, db):
    response = client.get("/api/me", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json()["message"] == in_language("en", status_message, 401)
    assert response["Content-Language"] == "en"


def test_missing_object_is_404_not_found(client, db):
    response = client.get("/api/sessions/999999")
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": in_language("ja", status_message, 404),
    }


def test_invalid_query_is_422_with_field_details_in_japanese(client, db):
    response = client.get("/api/sessions?date_from=someday&kind=party")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert body["message"]
    assert {detail["field"] for detail in body["details"]} == {"date_from", "kind"}
    by_field = {detail["field"]: detail["message"] for detail in body["details"]}
    with translation.override("ja"):
        expected = translation.gettext("Enter a valid date.")
    assert expected != "Enter a valid date."  # a real Japanese text, not the source
    assert by_field["date_from"] == expected


def test_invalid_query_details_follow_accept_language(client, db):
    response = client.get("/api/sessions?date_from=someday", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert response.json()["details"] == [{"field": "date_from", "message": "Enter a valid date."}]
    assert response["Content-Language"] == "en"


def test_invalid_body_names_the_field_without_the_parameter(client, supporter):
    _token, key = create_api_token(supporter.user, "script")
    response = post_json(client, "/api/me/tokens", {}, **bearer(key))
    assert response.status_code == 422
    with translation.override("ja"):
        required = translation.gettext("This field is required.")
    assert response.json()["details"] == [{"field": "name", "message": required}]
    assert required != "This field is required."


def test_api_error_becomes_its_status_code_and_message():
    request = RequestFactory().get("/api/sessions/1")
    response = on_api_error(request, ApiError(409, "full", "The session is full."))
    assert response.status_code == 409
    assert json.loads(response.content) == {"code": "full", "message": "The session is full."}


@pytest.mark.parametrize(
    ("code", "status"), [("full", 409), ("not_found", 404), ("forbidden", 403), ("invalid", 422)]
)
def test_service_error_codes_map_to_statuses(code, status):
    request = RequestFactory().post("/api/sessions/1")
    response = on_service_error(request, ServiceError(code, "Refused."))
    assert response.status_code == status
    assert json.loads(response.content) == {"code": code, "message": "Refused."}


def test_unexpected_error_is_a_json_500_and_is_logged(caplog):
    request = RequestFactory().get("/api/sessions")
    response = on_unexpected_error(request, RuntimeError("boom"))
    assert response.status_code == 500
    assert json.loads(response.content)["code"] == "server_error"
    assert "Internal Server Error: /api/sessions" in caplog.text


# Bearer tokens


def test_bearer_token_authenticates_its_user(client, supporter):
    _token, key = create_api_token(supporter.user, "script")
    response = client.get("/api/me", **bearer(key))
    assert response.status_code == 200
    assert response.json()["username"] == "sapo"


@pytest.mark.parametrize("key", ["dgs_wrong", "", "dgs_"])
def test_wrong_bearer_token_is_401(client, supporter, key):
    create_api_token(supporter.user, "script")
    response = client.get("/api/me", **bearer(key))
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_wrong_bearer_token_on_post_is_401_not_a_csrf_refusal(client, db):
    response = post_json(client, "/api/me/tokens", {"name": "x"}, **bearer("dgs_wrong"))
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_revoked_bearer_token_is_401(client, supporter):
    token, key = create_api_token(supporter.user, "script")
    revoke_api_token(supporter.user, token.pk)
    response = client.get("/api/me", **bearer(key))
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_token_of_a_deactivated_user_is_401(client, supporter):
    _token, key = create_api_token(supporter.user, "script")
    supporter.user.is_active = False
    supporter.user.save()
    assert client.get("/api/me", **bearer(key)).status_code == 401


def test_token_use_is_recorded_at_most_once_a_minute(client, supporter):
    token, key = create_api_token(supporter.user, "script")
    start = datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        assert client.get("/api/me", **bearer(key)).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == start

    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/me", **bearer(key)).status_code == 200
        assert not [q for q in queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    token.refresh_from_db()
    assert token.last_used_at == start

    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        assert client.get("/api/me", **bearer(key)).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == start + timedelta(minutes=1)


def test_bearer_token_is_not_needed_for_public_endpoints(client, db):
    assert client.get("/api/sessions").status_code == 200
    assert client.get("/api/districts", **bearer("dgs_wrong")).status_code == 200


# Session authentication and CSRF


@pytest.fixture
def csrf_client(supporter):
    client = Client(enforce_csrf_checks=True)
    client.force_login(supporter.user)
    return client


def csrf_token(client):
    client.get(reverse("supporters:tokens"))
    return client.cookies["csrftoken"].value


def test_signed_in_session_reads_without_csrf_token(csrf_client):
    response = csrf_client.get("/api/me")
    assert response.status_code == 200
    assert response.json()["username"] == "sapo"


def test_signed_in_session_post_without_csrf_token_is_refused(csrf_client):
    csrf_token(csrf_client)  # the cookie alone is not enough: the header must repeat it
    response = post_json(csrf_client, "/api/me/tokens", {"name": "browser"})
    assert response.status_code == 403
    assert response.json() == {
        "code": "forbidden",
        "message": in_language(
            "ja", translation.gettext, "CSRF verification failed. Request aborted."
        ),
    }
    assert not ApiToken.objects.exists()


def test_signed_in_session_post_with_csrf_token_is_accepted(csrf_client):
    token = csrf_token(csrf_client)
    response = post_json(csrf_client, "/api/me/tokens", {"name": "browser"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201
    assert ApiToken.objects.get().name == "browser"


def test_anonymous_post_is_401_not_a_csrf_refusal(db):
    client = Client(enforce_csrf_checks=True)
    response = post_json(client, "/api/me/tokens", {"name": "x"})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_bearer_token_post_needs_no_csrf_token(supporter):
    client = Client(enforce_csrf_checks=True)
    _token, key = create_api_token(supporter.user, "script")
    response = post_json(client, "/api/me/tokens", {"name": "second"}, **bearer(key))
    assert response.status_code == 201


def test_me_describes_a_coordinator(client, coordinator):
    client.force_login(coordinator)
    assert client.get("/api/me").json() == {
        "username": "kanri",
        "display_name": "Kei",
        "is_coordinator": True,
        "is_supporter": False,
        "language": "ja",
    }


def test_me_describes_a_supporter_by_name(supporter_client, supporter):
    body = supporter_client.get("/api/me").json()
    assert body["display_name"] == f"前橋 {supporter.given_name}"
    assert body["is_supporter"] is True
    assert body["is_coordinator"] is False


def test_non_ascii_text_is_sent_as_utf8(client, db):
    factories.district()
    assert "本庁管内".encode() in client.get("/api/districts").content
