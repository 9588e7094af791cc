"""Coordinators triage group-visit requests through the API, as on their pages: the same
services, refusals with a code, and a record of every view of the contact details."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.models import OutboundMessage
from sessions.models import ContactAccess, DispatchRequest, Session
from supporters.services import create_api_token
from tests import factories
from tests.clock import JUNE_MONDAY_10AM as MONDAY_10AM

pytestmark = pytest.mark.usefixtures("monday_morning")

URL = "/api/dispatch-requests"


@pytest.fixture
def monday_10am():
    return MONDAY_10AM


def bearer(user, language="en"):
    _token, key = create_api_token(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_ACCEPT_LANGUAGE": language}


def post(client, url, data=None, **headers):
    return client.post(url, json.dumps(data or {}), content_type="application/json", **headers)


@pytest.fixture
def as_coordinator(coordinator):
    return bearer(coordinator)


def test_triage_is_for_coordinators_only(client, supporter):
    request = factories.dispatch_request()

    assert client.get(URL).status_code == 401
    assert client.get(URL, **bearer(supporter.user)).status_code == 403
    refused = post(client, f"{URL}/{request.pk}/accept", **bearer(supporter.user))
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert client.get(f"{URL}/{request.pk}", **bearer(supporter.user)).status_code == 403
    assert not ContactAccess.objects.exists()


def test_the_list_filters_and_pages_requests(client, as_coordinator):
    east = factories.district(code="azuma")
    phoned = factories.dispatch_request(district=east, channel="phone")
    factories.dispatch_request()
    declined = factories.dispatch_request()
    DispatchRequest.objects.filter(pk=declined.pk).update(status="declined")

    listed = client.get(URL, **as_coordinator).json()
    by_district = client.get(URL, {"district": east.pk}, **as_coordinator).json()
    by_status = client.get(URL, {"status": "declined"}, **as_coordinator).json()
    bad = client.get(URL, {"month": "2026-13"}, **as_coordinator)

    assert listed["count"] == 2
    assert [item["id"] for item in by_district["items"]] == [phoned.pk]
    assert [item["id"] for item in by_status["items"]] == [declined.pk]
    item = by_district["items"][0]
    assert item["reference"] == phoned.reference
    assert (item["status"], item["channel"], item["days_waiting"]) == ("received", "phone", 0)
    assert item["district"]["id"] == east.pk
    assert item["session"] is None
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid")


def test_the_list_runs_the_same_queries_for_few_or_many(client, as_coordinator):
    def queries_for(count):
        for _ in range(count):
            factories.scheduled_visit()
        client.get(URL, **as_coordinator)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, **as_coordinator).status_code == 200
        return len(captured)

    assert queries_for(2) == queries_for(20)


def test_showing_a_request_records_the_view_of_its_contact(client, coordinator, as_coordinator):
    request = factories.dispatch_request(representative_phone="+81272241111")

    response = client.get(f"{URL}/{request.pk}", **as_coordinator)

    body = response.json()
    assert response.status_code == 200
    assert body["representative_phone"] == "+81272241111"
    assert body["takes_texts"] is False
    assert ContactAccess.objects.get().where == "api"
    assert ContactAccess.objects.get().user == coordinator


def test_a_request_goes_from_received_to_scheduled_through_the_api(client, as_coordinator):
    request = factories.dispatch_request(residents_count=10)
    starts_at = timezone.localtime(timezone.now() + timedelta(days=20)).replace(
        hour=13, minute=30, second=0, microsecond=0
    )

    accepted = post(client, f"{URL}/{request.pk}/accept", **as_coordinator)
    asked = post(client, f"{URL}/{request.pk}/ask", {"question": "駐車場は？"}, **as_coordinator)
    scheduled = post(
        client,
        f"{URL}/{request.pk}/schedule",
        {
            "starts_at": starts_at.replace(tzinfo=None).isoformat(),
            "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
        },
        **as_coordinator,
    )
    again = post(
        client,
        f"{URL}/{request.pk}/schedule",
        {"starts_at": starts_at.isoformat(), "ends_at": starts_at.isoformat()},
        **as_coordinator,
    )

    assert accepted.json()["status"] == "accepted"
    assert asked.json()["status"] == "accepted"
    assert scheduled.status_code == 200
    session = scheduled.json()["session"]
    assert session["starts_at"] == starts_at.isoformat()
    assert (session["supporters_needed"], session["staffed"]) == (3, 0)
    assert Session.objects.get().kind == "dispatch"
    assert (again.status_code, again.json()["code"]) == (422, "invalid")
    texts = OutboundMessage.objects.filter(to=request.representative_phone).exclude(
        purpose=OutboundMessage.Purpose.REMINDER
    )
    assert texts.count() == 3  # accepted, the question, the date


def test_declining_twice_is_a_conflict_with_a_code(client, as_coordinator):
    request = factories.dispatch_request()

    first = post(client, f"{URL}/{request.pk}/decline", {"reason": "市外"}, **as_coordinator)
    second = post(client, f"{URL}/{request.pk}/decline", {"reason": "市外"}, **as_coordinator)
    missing = post(client, f"{URL}/999999/decline", **as_coordinator)

    assert first.json()["status"] == "declined"
    assert (second.status_code, second.json()["code"]) == (409, "not_open")
    assert second.json()["message"].startswith("This request has already")
    assert missing.status_code == 404


def test_a_scheduled_visit_moves_and_is_cancelled_through_the_api(client, as_coordinator):
    request = factories.scheduled_visit()
    new_start = request.session.starts_at + timedelta(days=2)

    moved = post(
        client,
        f"{URL}/{request.pk}/reschedule",
        {
            "starts_at": new_start.isoformat(),
            "ends_at": (new_start + timedelta(hours=1)).isoformat(),
        },
        **as_coordinator,
    )
    cancelled = post(client, f"{URL}/{request.pk}/cancel", {"reason": "雪"}, **as_coordinator)

    assert moved.status_code == 200
    assert moved.json()["session"]["starts_at"] == timezone.localtime(new_start).isoformat()
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["session"]["status"] == "cancelled"


def test_a_landline_call_back_is_marked_done_through_the_api(client, as_coordinator):
    request = factories.dispatch_request(representative_phone="+81272241111")
    post(client, f"{URL}/{request.pk}/accept", **as_coordinator)
    assert client.get(URL, **as_coordinator).json()["items"][0]["needs_call_back"] is True

    done = post(client, f"{URL}/{request.pk}/called-back", **as_coordinator)

    assert done.json()["needs_call_back"] is False


def test_the_whole_journey_through_the_api(client, coordinator, as_coordinator, time_machine):
    """A group asks, a coordinator schedules and invites the top suggestion, the supporter takes
    the place, leads the visit and files its report; the group's status link follows along."""
    from config.fiscal import FiscalYear
    from consultations.services import annual_figures

    line = factories.topic(code="line", name="LINE")
    supporter = factories.supporter(training_level=4)
    day = timezone.localdate() + timedelta(days=20)
    asked = post(
        client,
        URL,
        {
            "group_name": "岩神サロン",
            "representative_name": "赤城 花子",
            "representative_kana": "あかぎ はなこ",
            "representative_phone": "090-1111-2222",
            "representative_email": "",
            "residents_count": 6,
            "preferred_dates": [day.isoformat()],
            "preferred_time": "afternoon",
            "place_name": "岩神公民館",
            "address": "前橋市岩神町1-1",
            "district": factories.district(code="azuma").pk,
            "topics": [line.pk],
            "devices": ["iphone"],
            "wifi": "yes",
            "preferred_language": "ja",
            "message": "",
            "consent": True,
        },
    )
    assert asked.status_code == 201
    token = asked.json()["status_url"].rstrip("/").split("/")[-1]
    [listed] = client.get(URL, **as_coordinator).json()["items"]
    request_id = listed["id"]

    post(client, f"{URL}/{request_id}/accept", **as_coordinator)
    starts_at = timezone.localtime().replace(
        year=day.year, month=day.month, day=day.day, hour=13, minute=30, second=0, microsecond=0
    )
    scheduled = post(
        client,
        f"{URL}/{request_id}/schedule",
        {
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
            "supporters_needed": 1,
        },
        **as_coordinator,
    )
    assert scheduled.json()["status"] == "scheduled"
    suggestions = client.get(f"{URL}/{request_id}/suggestions", **as_coordinator).json()
    top = suggestions[0]["supporter"]["id"]
    assert top == supporter.pk
    invited = post(
        client, f"{URL}/{request_id}/invitations", {"supporters": [top]}, **as_coordinator
    )
    assert invited.status_code == 201
    as_supporter = bearer(supporter.user)
    taken = post(client, f"{URL}/{request_id}/invitations/take", **as_supporter)
    assert taken.status_code == 200
    assert client.get(f"{URL}/status/{token}").json()["starts_at"] == starts_at.isoformat()

    time_machine.move_to(starts_at + timedelta(hours=3), tick=False)
    as_supporter = bearer(supporter.user)  # a new token: the first one's session has moved on
    reported = post(
        client,
        f"{URL}/{request_id}/report",
        {"participants": 7, "topics": [line.pk], "devices": ["iphone"], "attended": [supporter.pk]},
        **as_supporter,
    )

    assert reported.status_code == 200
    assert client.get(f"{URL}/status/{token}").json()["status"] == "done"
    figures = annual_figures(FiscalYear.of(day))
    assert (figures.dispatches_held, figures.dispatch_participants) == (1, 7)
    texts = OutboundMessage.objects.filter(to="+819011112222").exclude(
        purpose=OutboundMessage.Purpose.REMINDER
    )
    # Received (with the link), accepted, the date, who leads.
    assert texts.count() == 4
