"""`GET /api/board` is a public contract: however it is computed, its JSON stays the same to
the byte (issue 9 made it cheaper). The reference below is the board as first built, model
objects prefetched and turned into JSON by per-field resolvers, kept here to compare with."""

import json
from datetime import date, timedelta

import pytest
from ninja import Schema
from ninja.responses import NinjaJSONEncoder

from config.schemas import LocalDateTime
from sessions.models import Session, Shift
from sessions.schemas import BoardSessionOut
from sessions.services import join_waitlist, sign_up
from tests import factories
from tests.clock import JUNE_MONDAY_10AM as MONDAY_10AM
from tests.clock import JUNE_THURSDAY_10AM as THURSDAY_10AM
from tests.test_shift_api import bearer
from venues.schemas import DistrictRef

pytestmark = pytest.mark.usefixtures("monday_morning")


@pytest.fixture
def monday_10am():
    return MONDAY_10AM


# The reference: the schema and the queryset `GET /api/board` used before issue 9 ------------


class ReferenceVenue(Schema):
    id: int
    name: str


class ReferenceBoardSession(Schema):
    id: int
    kind: str
    title: str
    status: str
    starts_at: LocalDateTime
    ends_at: LocalDateTime
    venue: ReferenceVenue | None
    place_name: str
    address: str | None
    district: DistrictRef | None
    supporters_needed: int
    places_left: int
    capacity: int | None
    seats_left: int | None
    min_level: int
    staffed: int
    supporters: list[str]
    waiting: int
    my_status: str | None
    my_waiting_rank: int | None
    my_offer_expires_at: LocalDateTime | None

    @staticmethod
    def resolve_address(session):
        if session.kind == Session.Kind.DISPATCH:
            return None
        return session.address or (session.venue.address if session.venue else "")

    @staticmethod
    def resolve_district(session):
        return session.district or (session.venue.district if session.venue else None)

    @staticmethod
    def resolve_places_left(session):
        return session.places_left()

    @staticmethod
    def resolve_seats_left(session):
        return session.seats_left()

    @staticmethod
    def resolve_supporters(session):
        return [shift.supporter.short_name for shift in session.team]

    @staticmethod
    def resolve_waiting(session):
        return len(session.waiting_list)

    @staticmethod
    def resolve_my_status(session):
        shift = session.viewer_shift
        return shift.status if shift else None

    @staticmethod
    def resolve_my_waiting_rank(session):
        return session.viewer_waiting_rank

    @staticmethod
    def resolve_my_offer_expires_at(session):
        shift = session.viewer_shift
        if shift is None or shift.status != "offered":
            return None
        return shift.offer_expires_at


def reference_board(supporter, page=1, page_size=50, **filters) -> bytes:
    sessions = Session.objects.board(
        supporter,
        kind=filters.get("kind"),
        venue=filters.get("venue"),
        district=filters.get("district"),
        first=filters.get("date_from"),
        last=filters.get("date_to"),
        needed=filters.get("needed", False),
    ).with_seats_taken()
    offset = (page - 1) * page_size
    items = [
        ReferenceBoardSession.from_orm(session).model_dump()
        for session in sessions[offset : offset + page_size]
    ]
    body = {"items": items, "count": sessions.count()}
    return json.dumps(body, cls=NinjaJSONEncoder, ensure_ascii=False).encode()


# The board the tests compare ----------------------------------------------------------------


@pytest.fixture
def busy_board(supporter):
    """Sessions with a venue and with an address only, a class with registrations, and the
    viewer signed up, waiting (second in line), offered a place and on nothing."""
    nishi = factories.district(code="nishi", name="西地区")
    mine = factories.session(starts_at=THURSDAY_10AM, supporters_needed=3)
    factories.shift(session=mine, supporter=factories.supporter(given_name="太郎"), role="lead")
    sign_up(supporter, mine, by=supporter.user)
    factories.shift(session=mine, supporter=factories.supporter(given_name="次郎"))

    full = factories.session(starts_at=THURSDAY_10AM + timedelta(days=1), supporters_needed=1)
    factories.shift(session=full, supporter=factories.supporter(given_name="三郎"))
    join_waitlist(factories.supporter(given_name="四郎"), full)
    join_waitlist(supporter, full)

    offered = factories.session(starts_at=THURSDAY_10AM + timedelta(days=2), supporters_needed=2)
    factories.shift(session=offered, supporter=factories.supporter(given_name="五郎"))
    factories.shift(
        session=offered,
        supporter=supporter,
        status=Shift.Status.OFFERED,
        offer_expires_at=MONDAY_10AM + timedelta(hours=12, microseconds=123456),
    )
    factories.shift(session=offered, supporter=factories.supporter(), status=Shift.Status.CANCELLED)

    factories.session(
        kind=Session.Kind.DISPATCH,
        starts_at=THURSDAY_10AM + timedelta(days=3, minutes=30),
        venue=None,
        place_name="グループホームあかぎ",
        address="前橋市西片貝町1-1",
        district=nishi,
    )
    factories.session(
        starts_at=THURSDAY_10AM + timedelta(days=4),
        venue=None,
        address="前橋市本町1-2-3",
        district=nishi,
        min_level=5,
    )
    a_class = factories.session(
        kind=Session.Kind.CLASS, starts_at=THURSDAY_10AM + timedelta(days=5), capacity=3
    )
    factories.class_registration(session=a_class)
    factories.session(starts_at=THURSDAY_10AM + timedelta(days=6), district=nishi)
    factories.session(starts_at=THURSDAY_10AM, status=Session.Status.CANCELLED)
    factories.session(starts_at=THURSDAY_10AM + timedelta(days=7), supporters_needed=0)
    return {"venue": mine.venue_id}


QUERIES = [
    {},
    {"page_size": 3},
    {"page_size": 3, "page": 2},
    {"page_size": 3, "page": 3},
    {"page": 9},
    {"kind": "dispatch"},
    {"district": "nishi"},
    {"needed": True},
    {"date_from": "2026-06-06", "date_to": "2026-06-08"},
]


@pytest.mark.parametrize("query", QUERIES)
def test_the_board_api_answers_the_same_json_as_the_first_board(
    client, supporter, busy_board, query
):
    response = client.get("/api/board", query, **bearer(supporter.user))

    assert response.status_code == 200
    assert response.content == reference_board(supporter, **{**query, **dates_of(query)})


def dates_of(query) -> dict:
    return {key: date.fromisoformat(query[key]) for key in ("date_from", "date_to") if key in query}


def test_the_board_api_answers_the_same_json_for_a_venue_and_for_a_coordinator(
    client, supporter, coordinator, busy_board
):
    headers = bearer(supporter.user)
    venue = busy_board["venue"]
    response = client.get("/api/board", {"venue": venue}, **headers)
    assert response.content == reference_board(supporter, venue=venue)
    response = client.get("/api/board", **bearer(coordinator))
    assert response.content == reference_board(None)


def test_the_reference_shows_each_of_the_viewers_states(client, supporter, busy_board):
    """The comparison above would pass on an empty board: this pins what it covers."""
    items = json.loads(reference_board(supporter))["items"]
    mine, full, offered, dispatch, by_address, a_class, nishi = items
    assert mine["my_status"] == "signed_up"
    assert mine["supporters"] == ["太郎", supporter.given_name, "次郎"]  # the lead first
    assert (full["my_status"], full["my_waiting_rank"], full["waiting"]) == ("waitlisted", 2, 2)
    assert offered["my_status"] == "offered"
    assert offered["my_offer_expires_at"] == "2026-06-01T22:00:00.123+09:00"
    assert (offered["staffed"], offered["places_left"]) == (2, 0)
    assert (dispatch["venue"], dispatch["address"]) == (None, None)
    assert dispatch["district"] == {"code": "nishi", "name": "西地区"}
    assert (by_address["venue"], by_address["address"]) == (None, "前橋市本町1-2-3")
    assert (a_class["capacity"], a_class["seats_left"]) == (3, 2)
    assert nishi["district"]["code"] == "nishi"
    assert nishi["venue"] is not None


def test_the_board_api_answers_what_its_schema_documents(client, supporter, busy_board):
    """The board's values are rendered without the schema's validation (issue 9): each item
    still has the documented fields, in order, and passes it."""
    items = client.get("/api/board", **bearer(supporter.user)).json()["items"]
    assert len(items) == 7
    for item in items:
        assert list(item) == list(BoardSessionOut.model_fields)
        BoardSessionOut.model_validate(item)
