"""The public classes API (issue 11): the list with seats left, a class, registering (bad
input, a double post, a full class, a series), and a registration's status, cancel and accept
by its secret token."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from config.fiscal import TOKYO
from notifications.models import OutboundMessage
from sessions.models import ClassRegistration, ClassSeries, Session
from sessions.services import cancel_registration, register_for_class
from tests import factories

NOW = datetime(2026, 5, 12, 9, 0, tzinfo=TOKYO)
Status = ClassRegistration.Status

pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def a_class(days=9, capacity=10, **kwargs):
    return factories.session(
        kind=Session.Kind.CLASS,
        starts_at=NOW + timedelta(days=days, hours=1),
        capacity=capacity,
        class_level=kwargs.pop("class_level", Session.Level.BASICS),
        **kwargs,
    )


def payload(**changes):
    body = {
        "name": "赤城 花子",
        "kana": "アカギ ハナコ",
        "phone": "090-1234-5678",
        "language": "ja",
        "own_phone": True,
        "consent": True,
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def post(client, session, body):
    url = f"/api/classes/{session.pk}/registrations"
    return client.post(url, body, content_type="application/json")


def taken(session, phone, name="先客"):
    made, _created = register_for_class(
        {"name": name, "phone": phone, "own_phone": True, "consent": True}, session
    )
    return made[0]


def test_the_list_is_public_paged_and_shows_seats_left_and_the_waiting_list(client, db):
    roomy = a_class(days=3, title="LINE入門")
    full = a_class(days=5, capacity=1, loaner_devices=True)
    taken(full, "090-1000-0001")
    taken(full, "090-1000-0002")
    a_class(days=-1)
    a_class(days=4, status=Session.Status.CANCELLED)

    body = client.get("/api/classes").json()

    assert body["count"] == 2
    first, second = body["items"]
    assert (first["id"], first["seats_left"], first["waiting"]) == (roomy.pk, 10, 0)
    assert first["level"] == 2
    assert first["level_label"] == "Level 2: basics (基礎編)"
    assert first["starts_at"] == "2026-05-15T10:00:00+09:00"
    assert (second["id"], second["seats_left"], second["waiting"]) == (full.pk, 0, 1)
    assert second["loaner_devices"] is True
    assert "phone" not in str(body)


def test_the_list_filters_by_level_and_phones_lent(client, db):
    lent = a_class(days=3, loaner_devices=True, class_level=Session.Level.INTRODUCTION)
    a_class(days=4, class_level=Session.Level.INTRODUCTION)
    a_class(days=5, loaner_devices=True, class_level=Session.Level.APPS)

    body = client.get("/api/classes", {"level": 1, "loaner_devices": "true"}).json()
    refused = client.get("/api/classes", {"level": 6})

    assert [item["id"] for item in body["items"]] == [lent.pk]
    assert refused.status_code == 422
    assert refused.json()["details"][0]["field"] == "level"


def test_the_list_reads_a_fixed_number_of_queries(client, db, django_assert_max_num_queries):
    for n in range(8):
        taken(a_class(days=n + 2), f"090-1000-{n:04}")

    with django_assert_max_num_queries(2):  # the count and the page
        response = client.get("/api/classes")

    assert response.json()["count"] == 8


def test_a_class_is_shown_and_an_unknown_one_is_a_404(client, db):
    session = a_class()

    assert client.get(f"/api/classes/{session.pk}").json()["capacity"] == 10
    assert client.get("/api/classes/999999").json()["code"] == "not_found"
    assert client.get("/api/classes/abc").status_code == 404


def test_registering_answers_201_registered_then_the_same_post_200_with_the_same_place(client, db):
    session = a_class()

    first = post(client, session, payload())
    again = post(client, session, payload())

    assert first.status_code == 201
    body = first.json()
    registration = ClassRegistration.objects.get()
    assert body["status"] == "registered"
    assert body["position"] is None
    assert body["reference"] == registration.reference
    assert body["status_url"] == (
        f"http://testserver/classes/registrations/{registration.status_token}/"
    )
    assert again.status_code == 200
    assert again.json()["reference"] == body["reference"]
    assert OutboundMessage.objects.filter(purpose="confirmation").count() == 1


def test_a_full_class_answers_waitlisted_with_the_position(client, db):
    session = a_class(capacity=1)
    taken(session, "090-1000-0001")
    taken(session, "090-1000-0002")

    body = post(client, session, payload()).json()

    assert body["status"] == "waitlisted"
    assert body["position"] == 2


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"name": "", "phone": ""}, {"name", "phone"}),
        ({"phone": "0120"}, {"phone"}),
        ({"kana": "akagi"}, {"kana"}),
        ({"language": "xx"}, {"language"}),
        ({"own_phone": None}, {"own_phone"}),
        ({"consent": False}, {"consent"}),
        ({"series": True}, {"series"}),  # the class is in no series
    ],
)
def test_bad_input_is_422_naming_each_field_and_nothing_is_written(client, db, changes, fields):
    session = a_class()

    response = post(client, session, payload(**changes))

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert body["message"] == "Please check the answers marked below."
    assert {detail["field"] for detail in body["details"]} == fields
    assert ClassRegistration.objects.count() == 0
    assert OutboundMessage.objects.count() == 0


def test_a_bad_type_is_422_with_details(client, db):
    response = post(client, a_class(), payload(own_phone=[1]))

    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "own_phone"


def test_messages_follow_the_language_asked(client, db):
    response = client.post(
        f"/api/classes/{a_class().pk}/registrations",
        payload(consent=False),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="ja",
    )

    assert response.json()["message"] == "下の印のついた項目をご確認ください。"


def test_a_class_that_started_or_was_cancelled_is_a_409(client, db):
    off = a_class(status=Session.Status.CANCELLED)

    response = post(client, off, payload())

    assert response.status_code == 409
    assert response.json()["code"] == "session_cancelled"
    assert post(client, factories.session(), payload()).status_code == 404  # not a class


def test_a_series_registers_every_coming_date(client, db):
    series = ClassSeries.objects.create(title="5回講座")
    first = a_class(days=3, series=series)
    second = a_class(days=10, series=series, capacity=1)
    taken(second, "090-1000-0001")

    body = post(client, first, payload(series=True)).json()

    assert [(r["class_id"], r["status"]) for r in body["series"]] == [
        (first.pk, "registered"),
        (second.pk, "waitlisted"),
    ]


def test_the_api_is_rate_limited_per_network(client, db, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "class_registration": "1/h/ip"}
    session = a_class()
    post(client, session, payload())

    response = post(client, session, payload(phone="090-9999-0000"))

    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"


def test_the_status_cancel_and_accept_by_token(client, db):
    session = a_class(capacity=1)
    seated = taken(session, "090-1000-0001")
    waiting = taken(session, "090-1000-0002", name="待つ人")
    base = "/api/classes/registrations"

    status = client.get(f"{base}/{waiting.status_token}").json()
    assert (status["status"], status["position"]) == ("waitlisted", 1)
    refused = client.post(f"{base}/{waiting.status_token}/accept")
    assert (refused.status_code, refused.json()["code"]) == (409, "not_offered")

    cancelled = client.post(f"{base}/{seated.status_token}/cancel")
    twice = client.post(f"{base}/{seated.status_token}/cancel")
    offered = client.get(f"{base}/{waiting.status_token}").json()
    accepted = client.post(f"{base}/{waiting.status_token}/accept")

    assert cancelled.json()["status"] == "cancelled"
    assert twice.status_code == 200
    assert offered["status"] == "offered"
    assert offered["offer_expires_at"] == "2026-05-13T09:00:00+09:00"
    assert accepted.json()["status"] == "registered"
    assert client.get(f"{base}/no-such-token").status_code == 404


def test_an_offer_accepted_too_late_is_a_409(client, db, clock):
    session = a_class(capacity=1)
    seated = taken(session, "090-1000-0001")
    waiting = taken(session, "090-1000-0002", name="待つ人")
    cancel_registration(seated, by=None)
    clock.move_to(NOW + timedelta(days=2))

    response = client.post(f"/api/classes/registrations/{waiting.status_token}/accept")

    assert response.status_code == 409
    assert response.json()["code"] == "offer_expired"


def test_the_routes_are_in_the_openapi_document(client, db):
    paths = client.get(reverse("api:openapi-json")).json()["paths"]

    assert {
        "/api/classes",
        "/api/classes/{class_id}",
        "/api/classes/{class_id}/registrations",
        "/api/classes/registrations/{token}",
        "/api/classes/registrations/{token}/cancel",
        "/api/classes/registrations/{token}/accept",
    } <= set(paths)
