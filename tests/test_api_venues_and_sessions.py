"""Public reads: districts, venues with their help-desk days, and the sessions list."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.fiscal import TOKYO
from sessions.models import ClassRegistration, Session, Shift
from tests import factories
from venues.models import District

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=TOKYO)  # a Wednesday

SESSION_KEYS = {
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


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), TOKYO)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


# Districts and venues


def test_districts_lists_all_sixteen_with_populations(client, db):
    response = client.get("/api/districts")
    assert response.status_code == 200
    districts = response.json()
    assert len(districts) == 16
    assert districts[0] == {
        "code": "honcho",
        "name": "本庁管内",
        "name_kana": "ほんちょうかんない",
        "population": 56011,
    }
    assert sum(d["population"] for d in districts) == 327_896


def test_venues_lists_active_venues_with_their_district(client, db):
    azuma = District.objects.get(code="azuma")
    hall = factories.venue(
        name="東公民館",
        district=azuma,
        latitude=Decimal("36.389000"),
        longitude=Decimal("139.096000"),
        has_wifi=True,
        access_notes="バス停「東公民館前」すぐ",
    )
    factories.venue(name="閉館した公民館", is_active=False)
    response = client.get("/api/venues")
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": hall.pk,
            "name": "東公民館",
            "name_kana": hall.name_kana,
            "address": hall.address,
            "district": {"code": "azuma", "name": "東"},
            "latitude": 36.389,
            "longitude": 139.096,
            "access_notes": "バス停「東公民館前」すぐ",
            "accessibility_notes": "",
            "has_wifi": True,
            "is_helpdesk": True,
        }
    ]


def test_venues_filter_by_helpdesk_and_district(client, db):
    desk = factories.venue(district=District.objects.get(code="jonan"))
    hall = factories.venue(is_helpdesk=False, district=District.objects.get(code="jonan"))
    other = factories.venue(district=District.objects.get(code="fujimi"))

    def listed(query):
        response = client.get(f"/api/venues{query}")
        assert response.status_code == 200
        return {venue["id"] for venue in response.json()}

    assert listed("?helpdesk=true") == {desk.pk, other.pk}
    assert listed("?helpdesk=false") == {hall.pk}
    assert listed("?district=jonan") == {desk.pk, hall.pk}
    assert listed("?helpdesk=true&district=jonan") == {desk.pk}
    assert listed("?district=nowhere") == set()


def test_venue_shows_its_schedules_and_next_helpdesk_dates(client, db):
    hall = factories.venue()
    factories.schedule(venue=hall)  # 2nd and 4th Tuesday, 10:00–12:00
    factories.schedule(
        venue=hall,
        weekday=0,
        weeks_of_month="2",
        start_time=time(13, 30),
        end_time=time(15, 0),
        valid_from=date(2025, 4, 1),
        valid_until=date(2026, 6, 30),
    )
    factories.schedule(venue=hall, valid_from=date(2024, 4, 1), valid_until=date(2025, 3, 31))
    response = client.get(f"/api/venues/{hall.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == hall.name
    assert body["schedules"] == [
        {
            "weekday": 0,
            "weekday_name": "月曜日",
            "weeks_of_month": [2],
            "start_time": "13:30:00+09:00",
            "end_time": "15:00:00+09:00",
            "valid_from": "2025-04-01",
            "valid_until": "2026-06-30",
        },
        {
            "weekday": 1,
            "weekday_name": "火曜日",
            "weeks_of_month": [2, 4],
            "start_time": "10:00:00+09:00",
            "end_time": "12:00:00+09:00",
            "valid_from": "2024-04-01",
            "valid_until": None,
        },
    ]


def tokyo(day: date, start: time) -> datetime:
    return datetime.combine(day, start, tzinfo=TOKYO)


def test_venue_lists_the_help_desk_sittings_planned_not_the_schedule(client, db):
    hall = factories.venue()
    factories.schedule(venue=hall)  # would meet on 2026-04-14 and 2026-04-28
    for day in (date(2026, 4, 21), date(2026, 4, 7), date(2026, 6, 2)):
        factories.session(venue=hall, starts_at=tokyo(day, time(13, 30)))
    factories.session(venue=hall, starts_at=tokyo(date(2026, 3, 31), time(10)))  # over
    lesson = tokyo(date(2026, 4, 8), time(10))
    factories.session(venue=hall, kind=Session.Kind.CLASS, starts_at=lesson)
    factories.session(starts_at=tokyo(date(2026, 4, 9), time(10)))  # another venue's

    body = client.get(f"/api/venues/{hall.pk}").json()

    assert body["next_helpdesk_dates"] == [
        {
            "date": day,
            "starts_at": f"{day}T13:30:00+09:00",
            "ends_at": f"{day}T15:30:00+09:00",
            "status": "scheduled",
            "is_cancelled": False,
        }
        for day in ("2026-04-07", "2026-04-21", "2026-06-02")
    ]


def test_a_cancelled_date_is_listed_as_cancelled_until_it_has_passed(client, db):
    hall = factories.venue()
    called_off = factories.session(venue=hall, starts_at=tokyo(date(2026, 4, 7), time(10)))
    factories.session(venue=hall, starts_at=tokyo(date(2026, 4, 21), time(10)))
    called_off.status = Session.Status.CANCELLED
    called_off.save()

    def listed():
        dates = client.get(f"/api/venues/{hall.pk}").json()["next_helpdesk_dates"]
        return [(d["date"], d["status"], d["is_cancelled"]) for d in dates]

    assert listed() == [
        ("2026-04-07", "cancelled", True),
        ("2026-04-21", "scheduled", False),
    ]
    with time_machine.travel(datetime(2026, 4, 8, 9, 0, tzinfo=TOKYO), tick=False):
        assert listed() == [("2026-04-21", "scheduled", False)]


def test_the_home_page_and_the_api_list_the_same_dates(client, db):
    hall = factories.venue()
    for days in (1, 8, 15):
        factories.session(venue=hall, starts_at=NOW + timedelta(days=days))
    Session.objects.filter(starts_at=NOW + timedelta(days=8)).update(
        status=Session.Status.CANCELLED
    )

    api = client.get(f"/api/venues/{hall.pk}").json()["next_helpdesk_dates"]
    home = client.get("/").context["helpdesk_venues"][0].next_sessions

    assert [(d["starts_at"], d["is_cancelled"]) for d in api] == [
        (timezone.localtime(s.starts_at).isoformat(), s.is_cancelled) for s in home
    ]
    assert [d["is_cancelled"] for d in api] == [False, True, False]


def test_inactive_or_missing_venue_is_404(client, db):
    closed = factories.venue(is_active=False)
    for venue_id in (closed.pk, 999999):
        response = client.get(f"/api/venues/{venue_id}")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


# Sessions: what a row shows


def test_session_row_shows_public_information_in_japan_time(client, db):
    hall = factories.venue(district=District.objects.get(code="nankitsu"))
    session = factories.session(
        kind=Session.Kind.CLASS,
        venue=hall,
        title="LINE入門",
        starts_at=at(date(2026, 4, 10), 10),
        ends_at=at(date(2026, 4, 10), 12),
        supporters_needed=3,
        capacity=10,
        min_level=2,
    )
    factories.shift(session=session)
    factories.shift(session=session)
    factories.shift(session=session, status=Shift.Status.CANCELLED, cancelled_at=NOW)
    for _ in range(3):
        factories.class_registration(session=session)
    factories.class_registration(session=session, status=ClassRegistration.Status.CANCELLED)

    response = client.get("/api/sessions")
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "id": session.pk,
                "kind": "class",
                "title": "LINE入門",
                "status": "scheduled",
                "starts_at": "2026-04-10T10:00:00+09:00",
                "ends_at": "2026-04-10T12:00:00+09:00",
                "venue": {"id": hall.pk, "name": hall.name},
                "place_name": "",
                "address": hall.address,
                "district": {"code": "nankitsu", "name": "南橘"},
                "supporters_needed": 3,
                "places_left": 1,  # two shifts and three seats counted apart, not multiplied
                "capacity": 10,
                "seats_left": 7,
                "min_level": 2,
            }
        ],
        "count": 1,
    }


def test_dispatch_shows_only_district_and_place_name(client, db):
    session = factories.session(
        kind=Session.Kind.DISPATCH,
        venue=None,
        place_name="大手町自治会館",
        address="前橋市大手町1-1-1",
        district=District.objects.get(code="honcho"),
    )
    factories.dispatch_request(
        session=session,
        status="scheduled",
        representative_name="群馬 太郎",
        representative_phone="+819012345678",
    )
    response = client.get(f"/api/sessions/{session.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["venue"] is None
    assert body["place_name"] == "大手町自治会館"
    assert body["address"] is None
    assert body["district"] == {"code": "honcho", "name": "本庁管内"}
    assert body["seats_left"] is None
    listing = client.get("/api/sessions").content.decode()
    for private in ("群馬 太郎", "+819012345678", "大手町1-1-1", "representative"):
        assert private not in listing
        assert private not in response.content.decode()


def test_session_detail_adds_description_and_includes_cancelled_ones(client, db):
    session = factories.session(
        status=Session.Status.CANCELLED, description="台風のため中止", loaner_devices=False
    )
    response = client.get(f"/api/sessions/{session.pk}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == SESSION_KEYS | {"description", "language", "loaner_devices"}
    assert body["status"] == "cancelled"
    assert body["description"] == "台風のため中止"
    assert body["language"] == "ja"
    assert body["loaner_devices"] is False


def test_missing_session_is_404(client, db):
    response = client.get("/api/sessions/424242")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# Sessions: which ones are listed


def test_sessions_are_upcoming_by_default(client, db):
    factories.session(starts_at=NOW - timedelta(days=1))  # over
    ongoing = factories.session(
        starts_at=NOW - timedelta(hours=1), ends_at=NOW + timedelta(hours=1)
    )
    later = factories.session(starts_at=NOW + timedelta(days=3))
    soon = factories.session(starts_at=NOW + timedelta(days=1))
    factories.session(starts_at=NOW + timedelta(days=2), status=Session.Status.CANCELLED)
    assert ids(client.get("/api/sessions")) == [ongoing.pk, soon.pk, later.pk]


def test_status_filter_can_ask_for_cancelled_sessions(client, db):
    factories.session(starts_at=NOW + timedelta(days=1))
    cancelled = factories.session(
        starts_at=NOW + timedelta(days=2), status=Session.Status.CANCELLED
    )
    assert ids(client.get("/api/sessions?status=cancelled")) == [cancelled.pk]


def test_date_from_lists_past_sessions_too(client, db):
    held = factories.session(starts_at=NOW - timedelta(days=10), status=Session.Status.HELD)
    factories.session(starts_at=NOW - timedelta(days=40), status=Session.Status.HELD)
    upcoming = factories.session(starts_at=NOW + timedelta(days=1))
    since = (NOW - timedelta(days=20)).date().isoformat()
    assert ids(client.get(f"/api/sessions?date_from={since}")) == [held.pk, upcoming.pk]
    assert ids(client.get(f"/api/sessions?date_from={since}&status=held")) == [held.pk]


def test_date_range_is_inclusive_in_tokyo_time_at_midnight(client, db):
    day = date(2026, 4, 10)
    factories.session(starts_at=at(day - timedelta(days=1), 23, 59))
    first = factories.session(starts_at=at(day, 0, 0))  # 2026-04-09 15:00 UTC
    last = factories.session(starts_at=at(day, 23, 59))  # 2026-04-10 14:59 UTC
    factories.session(starts_at=at(day + timedelta(days=1), 0, 0))
    response = client.get("/api/sessions?date_from=2026-04-10&date_to=2026-04-10")
    assert ids(response) == [first.pk, last.pk]
    assert response.json()["items"][0]["starts_at"] == "2026-04-10T00:00:00+09:00"


def test_date_to_alone_keeps_the_upcoming_default(client, db):
    factories.session(starts_at=NOW - timedelta(days=1))
    tomorrow = factories.session(starts_at=NOW + timedelta(days=1))
    factories.session(starts_at=NOW + timedelta(days=5))
    until = (NOW + timedelta(days=2)).date().isoformat()
    assert ids(client.get(f"/api/sessions?date_to={until}")) == [tomorrow.pk]


def test_sessions_filter_by_kind_venue_and_district(client, db):
    jonan, fujimi = District.objects.get(code="jonan"), District.objects.get(code="fujimi")
    jonan_hall = factories.venue(district=jonan)
    desk = factories.session(venue=jonan_hall)
    klass = factories.session(kind=Session.Kind.CLASS, venue=factories.venue(district=fujimi))
    visit = factories.session(
        kind=Session.Kind.DISPATCH, venue=None, address="富士見町1", district=fujimi
    )
    assert ids(client.get("/api/sessions?kind=class")) == [klass.pk]
    assert ids(client.get("/api/sessions?kind=dispatch")) == [visit.pk]
    assert ids(client.get(f"/api/sessions?venue={jonan_hall.pk}")) == [desk.pk]
    assert ids(client.get("/api/sessions?district=jonan")) == [desk.pk]
    assert set(ids(client.get("/api/sessions?district=fujimi"))) == {klass.pk, visit.pk}
    assert ids(client.get("/api/sessions?district=fujimi&kind=dispatch")) == [visit.pk]


@pytest.mark.parametrize(
    "query", ["kind=party", "status=open", "venue=first", "date_to=2026-02-30", "page=0"]
)
def test_bad_filters_are_422(client, db, query):
    response = client.get(f"/api/sessions?{query}")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


# Sessions: pages and queries


def make_sessions(count: int) -> None:
    venues = [factories.venue() for _ in range(3)]
    helper = factories.supporter()  # one supporter on every session: users are slow to make
    for n in range(count):
        kind = [Session.Kind.HELPDESK, Session.Kind.CLASS, Session.Kind.DISPATCH][n % 3]
        extra = {"venue": venues[n % 3]}
        if kind == Session.Kind.DISPATCH:
            extra = {"venue": None, "address": "前橋市", "district": venues[0].district}
        session = factories.session(kind=kind, starts_at=NOW + timedelta(hours=n + 1), **extra)
        factories.shift(session=session, supporter=helper)
        if kind == Session.Kind.CLASS:
            factories.class_registration(session=session)


def test_sessions_are_paged_by_fifty_at_most(client, db):
    make_sessions(60)
    first = client.get("/api/sessions").json()
    assert set(first) == {"items", "count"}
    assert first["count"] == 60
    assert len(first["items"]) == 50
    second = client.get("/api/sessions?page=2").json()
    assert [len(second["items"]), second["count"]] == [10, 60]
    assert first["items"][-1]["starts_at"] < second["items"][0]["starts_at"]
    assert len(client.get("/api/sessions?page_size=10").json()["items"]) == 10
    assert len(client.get("/api/sessions?page_size=500").json()["items"]) == 50
    assert client.get("/api/sessions?page=9").json() == {"items": [], "count": 60}


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/api/sessions", "/api/sessions?page=1&district=honcho"])
def test_sessions_list_runs_the_same_queries_for_5_or_60_sessions(
    client, db, django_assert_max_num_queries, url
):
    make_sessions(5)
    few = count_queries(client, url)
    make_sessions(55)
    with django_assert_max_num_queries(few):
        response = client.get(url)
    assert len(response.json()["items"]) == 50
    assert few <= 2  # the count and the page


def test_venue_detail_runs_a_fixed_number_of_queries(client, db, django_assert_max_num_queries):
    hall = factories.venue()
    for weekday in range(5):
        factories.schedule(venue=hall, weekday=weekday)
    for week in range(10):
        factories.session(venue=hall, starts_at=NOW + timedelta(weeks=week, days=1))
    # The venue with its district, its schedules, its next sittings.
    with django_assert_max_num_queries(3):
        dates = client.get(f"/api/venues/{hall.pk}").json()["next_helpdesk_dates"]
    assert len(dates) == 6


def test_venues_list_runs_one_query(client, db, django_assert_max_num_queries):
    for _ in range(10):
        factories.venue()
    with django_assert_max_num_queries(1):
        assert len(client.get("/api/venues").json()) == 10
