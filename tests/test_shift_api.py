"""The shift board through the API: the same rules, refusals as 409 or 403 with a code and a
translated message, and rosters shown to each person as much as they may see."""

import json
from datetime import date, timedelta

import pytest
from django.test import Client

from config.public_pages import bump_public_version
from sessions.models import Session, Shift
from sessions.services import cancel_shift, join_waitlist, sign_up
from supporters.services import create_api_token
from tests import factories
from tests.clock import JUNE_MONDAY_10AM as MONDAY_10AM
from tests.clock import JUNE_THURSDAY_10AM as THURSDAY_10AM
from tests.versions import settle_public_version

pytestmark = pytest.mark.usefixtures("monday_morning")


@pytest.fixture
def monday_10am():
    return MONDAY_10AM


def bearer(user, language="en"):
    _token, key = create_api_token(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_ACCEPT_LANGUAGE": language}


def post(client, url, data=None, **headers):
    return client.post(url, json.dumps(data or {}), content_type="application/json", **headers)


# The board ----------------------------------------------------------------------------------


def test_the_board_lists_sessions_with_team_and_my_status(client, supporter, session):
    hanako = factories.supporter(given_name="花子")
    factories.shift(session=session, supporter=hanako)
    sign_up(supporter, session, by=supporter.user)
    full = factories.session(starts_at=THURSDAY_10AM + timedelta(days=1), supporters_needed=1)
    factories.shift(session=full)
    join_waitlist(supporter, full)
    factories.session(starts_at=THURSDAY_10AM, status=Session.Status.CANCELLED)

    response = client.get("/api/board", **bearer(supporter.user))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    first, second = body["items"]
    assert first["id"] == session.pk
    assert first["staffed"] == 2
    assert first["places_left"] == 0
    assert sorted(first["supporters"]) == sorted(["花子", supporter.short_name])
    assert first["my_status"] == "signed_up"
    assert first["starts_at"] == "2026-06-04T10:00:00+09:00"
    assert (second["my_status"], second["my_waiting_rank"], second["waiting"]) == (
        "waitlisted",
        1,
        1,
    )


def test_the_board_filters_like_the_page(client, supporter, session):
    a_class = factories.session(kind=Session.Kind.CLASS, starts_at=THURSDAY_10AM)
    later = factories.session(starts_at=THURSDAY_10AM + timedelta(days=40), min_level=5)
    headers = bearer(supporter.user)

    def ids(**query):
        response = client.get("/api/board", query, **headers)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [session.pk, a_class.pk, later.pk]
    assert ids(kind="class") == [a_class.pk]
    assert ids(venue=session.venue_id) == [session.pk]
    assert ids(district="honcho") == [session.pk, a_class.pk, later.pk]
    assert ids(date_from="2026-07-01") == [later.pk]
    assert ids(date_to="2026-06-30") == [session.pk, a_class.pk]
    assert ids(needed="true") == [session.pk, a_class.pk]  # level 5 is above theirs
    assert client.get("/api/board", {"kind": "party"}, **headers).status_code == 422


def test_the_board_is_paged(client, supporter):
    for n in range(55):
        factories.session(starts_at=THURSDAY_10AM + timedelta(hours=3 * n))
    headers = bearer(supporter.user)
    page_two = client.get("/api/board", {"page": 2}, **headers).json()
    assert page_two["count"] == 55
    assert len(page_two["items"]) == 5


def test_the_board_is_for_supporters_and_coordinators(client, db, coordinator):
    assert client.get("/api/board").status_code == 401
    assert client.get("/api/board", **bearer(factories.user())).json()["code"] == "forbidden"
    assert client.get("/api/board", **bearer(coordinator)).status_code == 200


def test_the_board_runs_the_same_queries_for_5_or_100_sessions(
    client, supporter, django_assert_max_num_queries
):
    headers = bearer(supporter.user)

    def fill(count):
        for n in range(count):
            start = THURSDAY_10AM + timedelta(hours=3 * n)
            session = factories.session(starts_at=start, kind=Session.Kind.CLASS)
            factories.shift(session=session)
            factories.class_registration(session=session)

    fill(5)
    client.get("/api/board", **headers)
    # The queries of a page after a write: the board kept for everyone is stale, and in a test
    # case the public content version is made anew (five of the queries).
    bump_public_version()
    with django_assert_max_num_queries(10) as few:
        client.get("/api/board", **headers)
    fill(95)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/board", **headers).json()["items"]) == 50


def test_the_board_asked_for_again_in_the_minute_costs_two_queries(
    client, supporter, session, django_assert_max_num_queries
):
    headers = bearer(supporter.user)
    client.get("/api/board", **headers)
    # The token with its user, their supporter and roles (one join); the public content version.
    with django_assert_max_num_queries(2):
        assert client.get("/api/board", **headers).json()["items"][0]["id"] == session.pk


def test_the_board_shows_a_sign_up_at_once(client, supporter, session):
    """The page kept for everyone is dropped by any write: no stale place count, and each
    viewer sees their own status on it."""
    headers = bearer(supporter.user)
    other = factories.supporter()
    assert client.get("/api/board", **headers).json()["items"][0]["places_left"] == 2
    sign_up(other, session, by=other.user)
    mine = client.get("/api/board", **headers).json()["items"][0]
    assert (mine["places_left"], mine["my_status"]) == (1, None)
    theirs = client.get("/api/board", **bearer(other.user)).json()["items"][0]
    assert (theirs["places_left"], theirs["my_status"]) == (1, "signed_up")
    cancel_shift(Shift.objects.get(supporter=other), by=other.user)
    assert client.get("/api/board", **headers).json()["items"][0]["places_left"] == 2


# Signing up, the waiting list, cancelling ----------------------------------------------------


def test_signing_up_answers_201_with_the_shift(client, supporter, session):
    response = post(client, f"/api/sessions/{session.pk}/signup", **bearer(supporter.user))
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["role"], body["session"]["id"]) == (
        "signed_up",
        "helper",
        session.pk,
    )
    assert body["session"]["places_left"] == 1


@pytest.mark.parametrize(
    ("setup", "status", "code", "english"),
    [
        ("full", 409, "full", "All places on this session are taken."),
        ("overlap", 409, "overlap", "You already have a shift at that time."),
        ("level", 403, "level", "This session needs training level 5 or above; yours is 3."),
        ("insurance", 403, "insurance", "Your volunteer insurance is not valid on"),
    ],
)
def test_a_refused_sign_up_answers_with_its_code_and_translated_message(
    client, supporter, session, setup, status, code, english
):
    if setup == "full":
        factories.shift(session=session)
        factories.shift(session=session)
    elif setup == "overlap":
        factories.shift(supporter=supporter, session=factories.session(starts_at=THURSDAY_10AM))
    elif setup == "level":
        session.min_level = 5
        session.save()
    else:
        supporter.insurance_valid_until = date(2026, 6, 3)
        supporter.save()
    url = f"/api/sessions/{session.pk}/signup"

    response = post(client, url, **bearer(supporter.user))

    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["message"].startswith(english)
    japanese = post(client, url, **bearer(supporter.user, language="ja")).json()["message"]
    assert japanese  # in Japanese once translated; never empty
    assert not Shift.objects.filter(session=session, supporter=supporter).exists()


def test_a_non_supporter_cannot_sign_up(client, coordinator, session):
    response = post(client, f"/api/sessions/{session.pk}/signup", **bearer(coordinator))
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert (
        post(
            client, "/api/sessions/999999/signup", **bearer(factories.supporter().user)
        ).status_code
        == 404
    )


def test_a_signed_in_browser_needs_the_csrf_token(supporter, session):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(supporter.user)
    response = post(browser, f"/api/sessions/{session.pk}/signup")
    assert response.status_code == 403
    assert not Shift.objects.exists()


def test_joining_the_waiting_list_and_cancelling(client, supporter, session):
    factories.shift(session=session)
    factories.shift(session=session)
    headers = bearer(supporter.user)

    joined = post(client, f"/api/sessions/{session.pk}/waitlist", **headers)
    assert joined.status_code == 201
    assert (joined.json()["status"], joined.json()["waitlist_position"]) == ("waitlisted", 1)
    again = post(client, f"/api/sessions/{session.pk}/waitlist", **headers)
    assert (again.status_code, again.json()["code"]) == (409, "already")

    left = post(client, f"/api/sessions/{session.pk}/cancel", **headers)
    assert (left.status_code, left.json()["status"]) == (200, "cancelled")
    nothing = post(client, f"/api/sessions/{session.pk}/cancel", **headers)
    assert nothing.status_code == 404


def test_the_waiting_list_refuses_while_places_are_open(client, supporter, session):
    response = post(client, f"/api/sessions/{session.pk}/waitlist", **bearer(supporter.user))
    assert (response.status_code, response.json()["code"]) == (409, "not_full")


def test_cancelling_after_the_start_answers_409(client, supporter, session, monday_morning):
    sign_up(supporter, session, by=supporter.user)
    monday_morning.move_to(THURSDAY_10AM, tick=False)
    response = post(client, f"/api/sessions/{session.pk}/cancel", **bearer(supporter.user))
    assert (response.status_code, response.json()["code"]) == (409, "started")


def test_taking_an_offered_place(client, session):
    factories.shift(session=session)
    leaving = factories.shift(session=session)
    waiting = join_waitlist(factories.supporter(), session)
    post(client, f"/api/sessions/{session.pk}/cancel", **bearer(leaving.supporter.user))
    headers = bearer(waiting.supporter.user)

    board = client.get("/api/board", **headers).json()["items"][0]
    assert board["my_status"] == "offered"
    assert board["my_offer_expires_at"] == "2026-06-01T22:00:00+09:00"
    response = post(client, f"/api/sessions/{session.pk}/accept", **headers)
    assert (response.status_code, response.json()["status"]) == (200, "signed_up")
    again = post(client, f"/api/sessions/{session.pk}/accept", **headers)
    assert (again.status_code, again.json()["code"]) == (409, "not_offered")


# My shifts ----------------------------------------------------------------------------------


def test_my_shifts_lists_upcoming_and_past_and_hours(client, supporter, session):
    sign_up(supporter, session, by=supporter.user)
    held = factories.session(
        starts_at=MONDAY_10AM - timedelta(days=3),
        ends_at=MONDAY_10AM - timedelta(days=3) + timedelta(hours=2, minutes=30),
        status=Session.Status.HELD,
    )
    factories.shift(session=held, supporter=supporter, status=Shift.Status.ATTENDED)
    headers = bearer(supporter.user)

    upcoming = client.get("/api/me/shifts", **headers).json()
    assert [item["session"]["id"] for item in upcoming["items"]] == [session.pk]
    past = client.get("/api/me/shifts", {"when": "past"}, **headers).json()
    assert [(i["session"]["id"], i["status"]) for i in past["items"]] == [(held.pk, "attended")]
    hours = client.get("/api/me/hours", **headers).json()
    assert hours == [{"fiscal_year": 2026, "label": "FY2026 (Reiwa 8)", "hours": 2.5, "shifts": 1}]
    assert client.get("/api/me/shifts", **bearer(factories.user())).status_code == 403


def test_my_shifts_runs_the_same_queries_for_5_or_50_shifts(
    client, supporter, django_assert_max_num_queries
):
    headers = bearer(supporter.user)

    def fill(count, offset):
        for n in range(count):
            start = THURSDAY_10AM + timedelta(days=offset + n)
            session = factories.session(starts_at=start, kind=Session.Kind.CLASS)
            factories.shift(session=session, supporter=supporter)

    fill(5, 0)
    client.get("/api/me/shifts", **headers)
    settle_public_version()
    with django_assert_max_num_queries(10) as few:
        client.get("/api/me/shifts", **headers)
    afresh = len(few.captured_queries)
    fill(45, 5)
    settle_public_version()
    with django_assert_max_num_queries(afresh):
        assert len(client.get("/api/me/shifts", **headers).json()["items"]) == 50


# Rosters and attendance ----------------------------------------------------------------------


def test_coordinators_see_the_whole_roster_with_phones(client, coordinator, session):
    on_it = factories.shift(session=session, role=Shift.Role.LEAD).supporter
    factories.shift(session=session)
    waiting = join_waitlist(factories.supporter(), session)

    response = client.get(f"/api/sessions/{session.pk}/roster", **bearer(coordinator))

    assert response.status_code == 200
    body = response.json()
    assert (body["supporters_needed"], body["places_left"]) == (2, 0)
    entries = {entry["supporter"]: entry for entry in body["shifts"]}
    assert entries[on_it.pk]["phone"] == on_it.phone
    assert entries[on_it.pk]["name"] == on_it.full_name
    assert entries[on_it.pk]["role"] == "lead"
    assert entries[waiting.supporter_id]["status"] == "waitlisted"
    assert entries[waiting.supporter_id]["waitlist_position"] == 1


def test_the_roster_gives_its_moments_in_japan_time(client, coordinator, session):
    attended = factories.shift(
        session=session, status=Shift.Status.ATTENDED, checked_in_at=THURSDAY_10AM
    )
    offered = factories.shift(
        session=session,
        status=Shift.Status.OFFERED,
        offer_expires_at=MONDAY_10AM + timedelta(hours=12),
    )

    response = client.get(f"/api/sessions/{session.pk}/roster", **bearer(coordinator))

    entries = {entry["supporter"]: entry for entry in response.json()["shifts"]}
    assert entries[attended.supporter_id]["checked_in_at"] == "2026-06-04T10:00:00+09:00"
    assert entries[attended.supporter_id]["offer_expires_at"] is None
    assert entries[offered.supporter_id]["offer_expires_at"] == "2026-06-01T22:00:00+09:00"
    assert entries[offered.supporter_id]["checked_in_at"] is None


def test_supporters_on_the_session_see_given_names_only_and_others_nothing(client, session):
    mine = factories.shift(session=session).supporter
    other = factories.shift(session=session).supporter
    join_waitlist(factories.supporter(), session)

    response = client.get(f"/api/sessions/{session.pk}/roster", **bearer(mine.user))

    assert response.status_code == 200
    entries = response.json()["shifts"]
    assert sorted(e["name"] for e in entries) == sorted([mine.given_name, other.given_name])
    assert {e["phone"] for e in entries} == {None}
    assert {e["supporter"] for e in entries} == {None}
    outsider = factories.supporter()
    refused = client.get(f"/api/sessions/{session.pk}/roster", **bearer(outsider.user))
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")


def test_coordinators_add_and_remove_supporters(client, coordinator, session):
    supporter = factories.supporter()
    headers = bearer(coordinator)
    url = f"/api/sessions/{session.pk}/roster"

    added = post(client, url, {"supporter": supporter.pk, "role": "lead"}, **headers)
    assert (added.status_code, added.json()["role"]) == (201, "lead")
    removed = client.delete(f"{url}/{supporter.pk}", **headers)
    assert (removed.status_code, removed.json()["status"]) == (200, "cancelled")
    gone = client.delete(f"{url}/{supporter.pk}", **headers)
    assert (gone.status_code, gone.json()["code"]) == (409, "not_on_roster")
    by_supporter = post(client, url, {"supporter": supporter.pk}, **bearer(supporter.user))
    assert by_supporter.status_code == 403


def test_coordinators_mark_attendance(client, coordinator, session, monday_morning):
    supporter = factories.shift(session=session).supporter
    url = f"/api/sessions/{session.pk}/attendance"
    headers = bearer(coordinator)

    early = post(client, url, {"supporter": supporter.pk, "status": "attended"}, **headers)
    assert (early.status_code, early.json()["code"]) == (409, "too_early")
    monday_morning.move_to(THURSDAY_10AM + timedelta(minutes=10), tick=False)
    marked = post(client, url, {"supporter": supporter.pk, "status": "no_show"}, **headers)
    assert (marked.status_code, marked.json()["status"]) == (200, "no_show")
    wrong = post(client, url, {"supporter": supporter.pk, "status": "maybe"}, **headers)
    assert wrong.status_code == 422
    stranger = factories.supporter()
    absent = post(client, url, {"supporter": stranger.pk, "status": "attended"}, **headers)
    assert (absent.status_code, absent.json()["code"]) == (409, "not_on_roster")
    itself = post(
        client, url, {"supporter": supporter.pk, "status": "attended"}, **bearer(supporter.user)
    )
    assert itself.status_code == 403
