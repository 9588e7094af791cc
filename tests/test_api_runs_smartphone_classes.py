"""Coordinators run smartphone classes through the API (issue 11), as on the class desk: the
same services, refusals with a code, residents' details for coordinators only."""

import json
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sessions.models import ClassRegistration, ClassSeries, Session
from supporters.services import create_api_token
from tests import factories

pytestmark = pytest.mark.usefixtures("monday_morning")

URL = "/api/class-desk"
Status = ClassRegistration.Status
NEXT_TUESDAY = date(2026, 3, 17)


def bearer(user, language="en"):
    _token, key = create_api_token(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_ACCEPT_LANGUAGE": language}


def send(client, method, url, data=None, **headers):
    return getattr(client, method)(
        url, json.dumps(data or {}), content_type="application/json", **headers
    )


@pytest.fixture
def as_coordinator(coordinator):
    return bearer(coordinator)


@pytest.fixture
def hall(db):
    return factories.venue(name="南橘公民館", is_helpdesk=False)


def a_class(hall, **changes) -> dict:
    return {
        "title": "LINE入門",
        "class_level": 1,
        "organiser": "kominkan",
        "venue": hall.pk,
        "capacity": 2,
        "starts_at": "2026-03-17T10:00:00+09:00",
        "ends_at": "2026-03-17T12:00:00+09:00",
        **changes,
    }


@pytest.fixture
def full_class(client, as_coordinator, hall):
    made = send(client, "post", URL, a_class(hall), **as_coordinator).json()
    session = Session.objects.get(pk=made["id"])
    for _ in range(2):
        factories.class_registration(session=session)
    for position in (1, 2):
        factories.class_registration(
            session=session,
            name=f"待ち {position}",
            phone="+81272241111" if position == 1 else factories.phone_number(),
            status=Status.WAITLISTED,
            waitlist_position=position,
        )
    return session


def test_a_coordinator_makes_a_class(client, as_coordinator, hall):
    response = send(
        client,
        "post",
        URL,
        a_class(hall, loaner_devices=True, new_series="月例LINE"),
        **as_coordinator,
    )

    assert response.status_code == 201
    body = response.json()
    assert body["class_level"] == 1
    assert body["class_level_label"].startswith("Level 1")
    assert (body["organiser"], body["loaner_devices"], body["capacity"]) == ("kominkan", True, 2)
    assert body["series"]["title"] == "月例LINE"
    assert body["starts_at"] == "2026-03-17T10:00:00+09:00"
    assert (body["seats_taken"], body["waiting"], body["attended"]) == (0, 0, 0)


def test_bad_input_is_refused_with_a_code(client, as_coordinator, hall):
    no_level = a_class(hall)
    del no_level["class_level"]
    missing = send(client, "post", URL, no_level, **as_coordinator)
    no_venue = send(client, "post", URL, a_class(hall, venue=999999), **as_coordinator)
    holiday = send(
        client, "post", URL,
        a_class(hall, starts_at="2026-03-20T10:00:00+09:00", ends_at="2026-03-20T12:00:00+09:00"),
        **as_coordinator,
    )  # fmt: skip
    backwards = send(
        client, "post", URL, a_class(hall, ends_at="2026-03-17T09:00:00+09:00"), **as_coordinator
    )

    assert (missing.status_code, missing.json()["code"]) == (422, "invalid")
    assert (no_venue.status_code, no_venue.json()["details"][0]["field"]) == (422, "venue")
    assert (holiday.status_code, holiday.json()["code"]) == (409, "closed")
    assert (backwards.status_code, backwards.json()["code"]) == (422, "invalid")
    assert not Session.objects.exists()


def test_changing_the_places_follows_the_seats_taken(client, as_coordinator, full_class):
    url = f"{URL}/{full_class.pk}"

    fewer = send(client, "patch", url, {"capacity": 1}, **as_coordinator)
    more = send(client, "patch", url, {"capacity": 3}, **as_coordinator)

    assert (fewer.status_code, fewer.json()["code"]) == (409, "capacity_below_taken")
    assert more.status_code == 200
    assert (more.json()["capacity"], more.json()["seats_taken"], more.json()["waiting"]) == (
        3,
        3,
        1,
    )
    first = full_class.registrations.get(name="待ち 1")
    assert first.status == Status.OFFERED  # the new seat is offered: theirs once they say yes


def test_new_times_move_the_class(client, as_coordinator, full_class):
    changed = send(
        client, "patch", f"{URL}/{full_class.pk}",
        {"starts_at": "2026-03-17T13:00:00+09:00", "ends_at": "2026-03-17T15:00:00+09:00"},
        **as_coordinator,
    ).json()  # fmt: skip

    assert changed["starts_at"] == "2026-03-17T13:00:00+09:00"
    assert changed["title"] == "LINE入門"


def test_a_series_by_rule_skips_a_holiday_and_a_dry_run_makes_nothing(client, as_coordinator, hall):
    series = {
        **a_class(hall, capacity=15),
        "title": "月例LINE教室",
        "starts": "13:30",
        "ends": "15:00",
        "rule": {"first": "2026-07-01", "count": 2, "weekday": 1, "week_of_month": 2},
    }
    del series["starts_at"], series["ends_at"]

    dry = send(client, "post", f"{URL}/series", {**series, "dry_run": True}, **as_coordinator)
    assert dry.status_code == 200
    assert dry.json()["dates"] == ["2026-07-14", "2026-09-08"]
    assert dry.json()["skipped"][0]["date"] == "2026-08-11"
    assert dry.json()["series"] is None
    assert not Session.objects.exists()

    made = send(client, "post", f"{URL}/series", series, **as_coordinator)
    assert made.status_code == 201
    assert [c["starts_at"] for c in made.json()["classes"]] == [
        "2026-07-14T13:30:00+09:00",
        "2026-09-08T13:30:00+09:00",
    ]
    assert ClassSeries.objects.get().classes.count() == 2


def test_a_series_needs_either_dates_or_a_rule(client, as_coordinator, hall):
    series = {**a_class(hall), "starts": "10:00", "ends": "12:00"}
    del series["starts_at"], series["ends_at"]

    neither = send(client, "post", f"{URL}/series", series, **as_coordinator)
    closed = send(
        client, "post", f"{URL}/series",
        {**series, "dates": ["2026-03-17", "2026-03-20"], "skip_closed": False},
        **as_coordinator,
    )  # fmt: skip

    assert (neither.status_code, neither.json()["code"]) == (422, "invalid")
    assert (closed.status_code, closed.json()["code"]) == (409, "closed")


def test_the_roster_lists_seats_and_the_waiting_list_in_order(client, as_coordinator, full_class):
    factories.class_registration(session=full_class, status=Status.CANCELLED)

    roster = client.get(f"{URL}/{full_class.pk}/roster", **as_coordinator).json()

    assert roster["session"]["id"] == full_class.pk
    assert len(roster["registered"]) == 2
    assert [r["name"] for r in roster["waiting"]] == ["待ち 1", "待ち 2"]
    assert roster["waiting"][0]["is_landline"] is True
    assert roster["waiting"][0]["phone_national"].startswith("027-224-1111")
    assert roster["cancelled"] == 1


def test_attendance_is_marked_from_half_an_hour_before(
    client, as_coordinator, full_class, monday_morning
):
    seated = full_class.registrations.filter(status=Status.REGISTERED).first()
    waiting = full_class.registrations.filter(status=Status.WAITLISTED).first()
    url = f"{URL}/{full_class.pk}/attendance"

    early = send(
        client, "post", url, {"registration": seated.pk, "attended": True}, **as_coordinator
    )
    monday_morning.move_to(full_class.starts_at - timedelta(minutes=10), tick=False)
    marked = send(
        client, "post", url, {"registration": seated.pk, "attended": True}, **as_coordinator
    )
    line = send(
        client, "post", url, {"registration": waiting.pk, "attended": True}, **as_coordinator
    )
    other = factories.class_registration()
    elsewhere = send(
        client, "post", url, {"registration": other.pk, "attended": True}, **as_coordinator
    )
    bad = send(client, "post", url, {"registration": "x"}, **as_coordinator)

    assert (early.status_code, early.json()["code"]) == (409, "too_early")
    assert (marked.status_code, marked.json()["status"]) == (200, "attended")
    assert (line.status_code, line.json()["code"]) == (409, "not_registered")
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (404, "not_found")
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid")
    undone = send(
        client, "post", url, {"registration": seated.pk, "attended": False}, **as_coordinator
    )
    assert undone.json()["status"] == "registered"


def test_the_class_desk_api_is_for_coordinators_only(client, supporter, full_class):
    as_supporter = bearer(supporter.user)
    seated = full_class.registrations.first()

    assert client.get(f"{URL}/{full_class.pk}/roster").status_code == 401
    refused = client.get(f"{URL}/{full_class.pk}/roster", **as_supporter)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    attendance = send(
        client, "post", f"{URL}/{full_class.pk}/attendance",
        {"registration": seated.pk, "attended": True}, **as_supporter,
    )  # fmt: skip
    assert attendance.status_code == 403
    assert send(client, "post", URL, {}, **as_supporter).status_code == 403
    assert send(client, "patch", f"{URL}/{full_class.pk}", {}, **as_supporter).status_code == 403
    assert send(client, "post", f"{URL}/series", {}, **as_supporter).status_code == 403


def test_a_help_desk_is_not_a_class_here(client, as_coordinator):
    helpdesk = factories.session()

    response = client.get(f"{URL}/{helpdesk.pk}/roster", **as_coordinator)

    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_the_roster_costs_the_same_queries_whatever_the_registrations(
    client, as_coordinator, full_class
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as run:
            assert client.get(f"{URL}/{full_class.pk}/roster", **as_coordinator).status_code == 200
        return len(run)

    few = queries()
    for _ in range(15):
        factories.class_registration(session=full_class, status=Status.CANCELLED)
        factories.class_registration(session=full_class)

    assert queries() == few
