"""The coordinators' SMS API: the outbox and incoming texts, retry and read, broadcasts with a
preview, and the queue's summary; coordinators only, in a fixed number of queries."""

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.fiscal import TOKYO
from notifications.models import OptOut, OutboundMessage
from supporters.services import create_api_token
from tests import factories
from tests.clock import MONDAY_10AM

pytestmark = pytest.mark.usefixtures("monday_morning")

Status = OutboundMessage.Status
Purpose = OutboundMessage.Purpose

BASE = "/api/notifications"
TEXT = "火曜日の東公民館のよろず相談所は中止です。"


@pytest.fixture
def azuma(db):
    return factories.district(code="azuma", name="東")


def post(client, path, body=None, **extra):
    return client.post(f"{BASE}{path}", json.dumps(body or {}), "application/json", **extra)


def broadcasts():
    return OutboundMessage.objects.filter(purpose=Purpose.BROADCAST)


# --- Who may ---------------------------------------------------------------------------------

ENDPOINTS = [
    ("get", "/outbox"),
    ("post", "/outbox/1/retry"),
    ("get", "/inbound"),
    ("post", "/inbound/1/read"),
    ("post", "/broadcasts/preview"),
    ("post", "/broadcasts"),
    ("get", "/summary"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_supporters_are_refused_with_403_and_strangers_to_the_api_with_401(
    client, supporter, method, path
):
    failed = factories.outbound_message(status=Status.FAILED)
    path = path.replace("/1/", f"/{failed.pk}/")
    anonymous = getattr(client, method)(f"{BASE}{path}")
    assert anonymous.status_code == 401

    client.force_login(supporter.user)
    by_session = getattr(client, method)(f"{BASE}{path}")
    client.logout()
    _token, key = create_api_token(supporter.user, "script")
    by_token = getattr(client, method)(f"{BASE}{path}", HTTP_AUTHORIZATION=f"Bearer {key}")

    for response in (by_session, by_token):
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    failed.refresh_from_db()
    assert failed.status == Status.FAILED


def test_a_coordinators_token_works(client, coordinator):
    _token, key = create_api_token(coordinator, "report")
    response = client.get(f"{BASE}/summary", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200


# --- The outbox ------------------------------------------------------------------------------


def test_the_outbox_is_paged_and_filtered(coordinator_client):
    supporter = factories.supporter(family_name="赤城", given_name="花子")
    failed = factories.outbound_message(
        to=supporter.phone,
        status=Status.FAILED,
        error_code="21610",
        created_at=datetime(2026, 3, 5, 23, 30, tzinfo=TOKYO),
    )
    factories.outbound_message(status=Status.DELIVERED, sent_at=MONDAY_10AM)
    factories.outbound_message(purpose=Purpose.BROADCAST, status=Status.FAILED)

    everything = coordinator_client.get(f"{BASE}/outbox").json()
    found = coordinator_client.get(
        f"{BASE}/outbox",
        {
            "status": "failed",
            "purpose": "reminder",
            "date_from": "2026-03-05",
            "date_to": "2026-03-05",
        },
    ).json()

    assert everything["count"] == 3
    assert found["count"] == 1
    [item] = found["items"]
    assert item == {
        "id": failed.pk,
        "to": supporter.phone,
        "recipient_name": "赤城 花子",
        "purpose": "reminder",
        "status": "failed",
        "text": failed.body,
        "language": "ja",
        "segments": 1,
        "attempts": 0,
        "error_code": "21610",
        "last_error": "",
        "send_after": item["send_after"],
        "sent_at": None,
        "created_at": "2026-03-05T23:30:00+09:00",
        "can_retry": True,
    }


def test_the_outbox_never_shows_a_sign_in_code(coordinator_client):
    factories.outbound_message(purpose=Purpose.SIGN_IN_CODE, body="確認コード 482913")

    response = coordinator_client.get(f"{BASE}/outbox", HTTP_ACCEPT_LANGUAGE="en")

    assert "482913" not in response.content.decode()
    assert response.json()["items"][0]["text"] == "(sign-in code, not shown)"
    assert response.json()["items"][0]["can_retry"] is False


def test_a_bad_filter_is_refused(coordinator_client):
    response = coordinator_client.get(f"{BASE}/outbox", {"status": "lost"})
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "status"


def test_the_outbox_runs_as_many_queries_for_60_texts_as_for_5(
    coordinator_client, django_assert_max_num_queries
):
    def make(count):
        for _ in range(count):
            factories.outbound_message(to=factories.supporter().phone)

    make(5)
    with CaptureQueriesContext(connection) as few:
        coordinator_client.get(f"{BASE}/outbox")
    make(55)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = coordinator_client.get(f"{BASE}/outbox")
    assert len(response.json()["items"]) == 50
    assert response.json()["count"] == 60


def test_a_failed_text_is_sent_again(coordinator_client):
    failed = factories.outbound_message(status=Status.FAILED, attempts=6, error_code="20429")

    response = post(coordinator_client, f"/outbox/{failed.pk}/retry")

    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    assert response.json()["can_retry"] is False
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.error_code) == ("pending", 0, "")


@pytest.mark.parametrize(
    ("status", "purpose"),
    [(Status.DELIVERED, Purpose.REMINDER), (Status.FAILED, Purpose.SIGN_IN_CODE)],
)
def test_only_a_failed_text_that_is_not_a_sign_in_code_is_sent_again(
    coordinator_client, status, purpose
):
    message = factories.outbound_message(status=status, purpose=purpose)

    response = post(coordinator_client, f"/outbox/{message.pk}/retry")

    assert response.status_code == 409
    assert response.json()["code"] == "not_retryable"
    assert post(coordinator_client, "/outbox/999999/retry").status_code == 404


def test_a_text_needing_a_check_is_listed_counted_and_can_be_sent_again(coordinator_client):
    unknown = factories.outbound_message(
        status=Status.UNKNOWN, attempts=1, error_code="lookup", last_error="20403: Forbidden"
    )
    factories.outbound_message(status=Status.FAILED)

    listing = coordinator_client.get(f"{BASE}/outbox", {"status": "unknown"}).json()
    summary = coordinator_client.get(f"{BASE}/summary").json()

    assert [item["id"] for item in listing["items"]] == [unknown.pk]
    assert listing["items"][0]["can_retry"] is True
    assert summary["queue"]["unknown"] == 1
    response = post(coordinator_client, f"/outbox/{unknown.pk}/retry")
    assert response.status_code == 200
    assert response.json()["status"] == "pending"


# --- Incoming texts --------------------------------------------------------------------------


def test_incoming_texts_come_unread_first_and_can_be_marked_read(coordinator_client):
    supporter = factories.supporter(family_name="前橋", given_name="一郎")
    read = factories.inbound_message(is_read=True, received_at=MONDAY_10AM)
    unread = factories.inbound_message(
        from_number=supporter.phone, body="遅れます", received_at=MONDAY_10AM - timedelta(days=1)
    )

    listing = coordinator_client.get(f"{BASE}/inbound").json()
    assert [item["id"] for item in listing["items"]] == [unread.pk, read.pk]
    assert listing["items"][0]["sender_name"] == "前橋 一郎"
    assert listing["items"][0]["text"] == "遅れます"
    assert listing["items"][0]["received_at"] == "2026-03-08T10:00:00+09:00"
    only_unread = coordinator_client.get(f"{BASE}/inbound", {"unread": "true"}).json()
    assert [item["id"] for item in only_unread["items"]] == [unread.pk]

    response = post(coordinator_client, f"/inbound/{unread.pk}/read")

    assert response.status_code == 200
    assert response.json()["is_read"] is True
    assert coordinator_client.get(f"{BASE}/inbound", {"unread": "true"}).json()["count"] == 0


def test_incoming_texts_run_as_many_queries_for_60_as_for_5(
    coordinator_client, django_assert_max_num_queries
):
    def make(count):
        for _ in range(count):
            factories.inbound_message(from_number=factories.supporter().phone)

    make(5)
    with CaptureQueriesContext(connection) as few:
        coordinator_client.get(f"{BASE}/inbound")
    make(55)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert coordinator_client.get(f"{BASE}/inbound").json()["count"] == 60


# --- Broadcasts ------------------------------------------------------------------------------


def test_a_broadcast_is_previewed_then_sent_once_per_key(coordinator_client, azuma, settings):
    settings.SMS_PRICE_PER_SEGMENT = Decimal("12")
    keen = [factories.supporter(district=azuma) for _ in range(2)]
    opted_out = factories.supporter(district=azuma)
    OptOut.objects.create(phone=opted_out.phone)
    body = {"text": TEXT, "districts": ["azuma"]}

    preview = post(coordinator_client, "/broadcasts/preview", body)

    assert preview.status_code == 200
    assert preview.json()["recipients"] == 2
    assert preview.json()["skipped"] == 1
    assert preview.json()["segments"] == 2
    assert Decimal(preview.json()["cost"]) == Decimal("24")
    [japanese] = preview.json()["texts"]
    assert japanese["language"] == "ja"
    assert TEXT in japanese["text"]
    assert not broadcasts().exists()

    sent = post(coordinator_client, "/broadcasts", {**body, "key": "closure-0310"})
    again = post(coordinator_client, "/broadcasts", {**body, "key": "closure-0310"})

    assert sent.status_code == again.status_code == 201
    assert sent.json()["key"] == "closure-0310"
    assert (sent.json()["recipients"], sent.json()["skipped"]) == (2, 1)
    assert sorted(broadcasts().values_list("to", flat=True)) == sorted(s.phone for s in keen)


def test_a_broadcast_without_a_key_gets_one_and_goes_to_a_sessions_roster(coordinator_client):
    session = factories.session(starts_at=MONDAY_10AM + timedelta(days=1))
    on_roster = factories.shift(session=session).supporter

    sent = post(coordinator_client, "/broadcasts", {"text": TEXT, "session": session.pk})

    assert sent.status_code == 201
    assert sent.json()["key"]
    assert broadcasts().get().to == on_roster.phone


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": TEXT}, ""),
        ({"text": TEXT, "districts": ["atlantis"]}, "districts"),
        ({"text": TEXT, "session": 999999}, "session"),
        ({"text": "", "everyone": True}, "text"),
        ({"text": "あ" * 401, "everyone": True}, "text"),
        ({"text": TEXT, "everyone": True, "key": "no spaces"}, "key"),
    ],
)
def test_a_broadcast_that_is_not_valid_is_refused(coordinator_client, body, field):
    for path in ("/broadcasts/preview", "/broadcasts"):
        response = post(coordinator_client, path, body)
        assert response.status_code == 422
        assert field in [detail["field"] for detail in response.json()["details"]]
    assert not broadcasts().exists()


def test_a_broadcast_no_chosen_supporter_can_get_is_refused(coordinator_client, azuma):
    factories.supporter(district=azuma, sms_opt_in=False)

    response = post(coordinator_client, "/broadcasts", {"text": TEXT, "districts": ["azuma"]})

    assert response.status_code == 409
    assert response.json()["code"] == "no_recipients"


# --- The summary -----------------------------------------------------------------------------


def test_the_summary_shows_the_queue_and_the_months(coordinator_client, settings):
    settings.SMS_PRICE_PER_SEGMENT = Decimal("12")
    factories.outbound_message(send_after=MONDAY_10AM - timedelta(minutes=5))
    factories.outbound_message(status=Status.FAILED)
    factories.outbound_message(
        status=Status.DELIVERED, segments=2, sent_at=datetime(2026, 3, 1, 0, 30, tzinfo=TOKYO)
    )
    factories.outbound_message(
        status=Status.DELIVERED, segments=1, sent_at=timezone.now() - timedelta(days=60)
    )

    body = coordinator_client.get(f"{BASE}/summary").json()

    assert body["queue"] == {
        "due": 1,
        "waiting": 1,
        "sending": 0,
        "stuck": 0,
        "failed": 1,
        "unknown": 0,
        "oldest_due_seconds": 300,
    }
    assert [(m["month"], m["messages"], m["segments"]) for m in body["months"]] == [
        ("2026-03", 1, 2),
        ("2026-01", 1, 1),
    ]
    assert Decimal(body["months"][0]["cost"]) == Decimal("24")
    assert Decimal(body["price_per_segment"]) == Decimal("12")
