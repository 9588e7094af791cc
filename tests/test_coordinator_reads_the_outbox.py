"""A coordinator reads the outbox: the queue, texts and cost per month, every text filtered and
paged (never a sign-in code's text), a failed text sent again; and the texts people sent us."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.admin import helpers
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from config.fiscal import TOKYO
from notifications import backends
from notifications.models import InboundMessage, OutboundMessage
from notifications.services import usage_by_month
from tests import factories
from tests.clock import MONDAY_10AM

pytestmark = pytest.mark.usefixtures("monday_morning")

Status = OutboundMessage.Status
Purpose = OutboundMessage.Purpose

OUTBOX = reverse("notifications:outbox")
INBOUND = reverse("notifications:inbound")


def page_text(response) -> str:
    return response.content.decode()


def listed(response) -> list:
    return list(response.context["page"].object_list)


# --- The list --------------------------------------------------------------------------------


def test_the_outbox_lists_texts_newest_first_with_the_supporters_name(coordinator_client):
    supporter = factories.supporter(family_name="赤城", given_name="花子")
    older = factories.outbound_message(created_at=MONDAY_10AM - timedelta(days=1))
    newer = factories.outbound_message(to=supporter.phone, body="明日の相談所は中止です")

    response = coordinator_client.get(OUTBOX)

    assert response.status_code == 200
    assert listed(response) == [newer, older]
    assert listed(response)[0].recipient_name == "赤城 花子"
    assert "赤城 花子" in page_text(response)
    assert "明日の相談所は中止です" in page_text(response)
    assert supporter.user.phone not in page_text(response)  # shown the national way
    assert f"090-{supporter.phone[5:9]}-{supporter.phone[9:]}" in page_text(response)


def test_the_outbox_never_shows_a_sign_in_code(coordinator_client):
    factories.outbound_message(purpose=Purpose.SIGN_IN_CODE, body="確認コード 482913")

    response = coordinator_client.get(OUTBOX, headers={"accept-language": "en"})

    assert "482913" not in page_text(response)
    assert "(sign-in code, not shown)" in page_text(response)


def test_the_outbox_filters_by_status_purpose_and_tokyo_dates(coordinator_client):
    # 23:30 in Tokyo on the 5th is still the 5th, though it is the 5th's afternoon in UTC.
    late_on_the_5th = factories.outbound_message(
        status=Status.FAILED, created_at=datetime(2026, 3, 5, 23, 30, tzinfo=TOKYO)
    )
    on_the_6th = factories.outbound_message(
        status=Status.FAILED, created_at=datetime(2026, 3, 6, 0, 30, tzinfo=TOKYO)
    )
    factories.outbound_message(status=Status.DELIVERED)
    broadcast = factories.outbound_message(status=Status.FAILED, purpose=Purpose.BROADCAST)

    def shown(**filters):
        return set(listed(coordinator_client.get(OUTBOX, filters)))

    assert shown(status="failed") == {late_on_the_5th, on_the_6th, broadcast}
    assert shown(status="failed", purpose="reminder") == {late_on_the_5th, on_the_6th}
    assert shown(date_from="2026-03-05", date_to="2026-03-05") == {late_on_the_5th}
    assert shown(date_from="2026-03-06", purpose="reminder", status="failed") == {on_the_6th}


def test_filters_that_are_not_valid_are_shown_and_filter_nothing(coordinator_client):
    factories.outbound_message()

    response = coordinator_client.get(
        OUTBOX,
        {"status": "lost", "date_from": "2026-03-09", "date_to": "2026-03-01"},
        headers={"accept-language": "en"},
    )

    assert response.status_code == 200
    assert set(response.context["filters"].errors) == {"status", "date_to"}
    assert len(listed(response)) == 1


def test_the_outbox_is_paged_and_the_pages_keep_the_filters(coordinator_client):
    for _ in range(30):
        factories.outbound_message(status=Status.FAILED)
    factories.outbound_message(status=Status.DELIVERED)

    first = coordinator_client.get(OUTBOX, {"status": "failed"})
    second = coordinator_client.get(OUTBOX, {"status": "failed", "page": 2})

    assert len(listed(first)) == 25
    assert len(listed(second)) == 5
    assert first.context["page"].paginator.count == 30
    assert "?status=failed&amp;page=2" in page_text(first)


def test_the_outbox_page_runs_as_many_queries_for_60_texts_as_for_5(
    coordinator_client, django_assert_max_num_queries
):
    def make(count):
        for n in range(count):
            supporter = factories.supporter()
            factories.outbound_message(
                to=supporter.phone,
                status=Status.FAILED if n % 2 else Status.DELIVERED,
                sent_at=timezone.now() - timedelta(days=40 * (n % 3)),
            )

    make(5)
    with CaptureQueriesContext(connection) as few:
        assert coordinator_client.get(OUTBOX).status_code == 200
    make(55)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = coordinator_client.get(OUTBOX)
    assert response.context["page"].paginator.count == 60


# --- The queue and the months ----------------------------------------------------------------


def test_texts_parts_and_cost_are_summed_per_tokyo_month(coordinator_client, settings):
    settings.SMS_PRICE_PER_SEGMENT = Decimal("12")
    # 00:30 on 1 March in Tokyo is still February in UTC: it counts for March.
    factories.outbound_message(
        status=Status.DELIVERED, segments=2, sent_at=datetime(2026, 3, 1, 0, 30, tzinfo=TOKYO)
    )
    factories.outbound_message(
        status=Status.UNDELIVERED, segments=1, sent_at=datetime(2026, 3, 5, 9, 0, tzinfo=TOKYO)
    )
    factories.outbound_message(
        status=Status.SENT, segments=3, sent_at=datetime(2026, 2, 28, 23, 30, tzinfo=TOKYO)
    )
    # Neither billed: one never reached the provider, one the provider refused.
    factories.outbound_message(status=Status.PENDING, segments=5)
    factories.outbound_message(
        status=Status.FAILED, segments=5, sent_at=datetime(2026, 3, 2, 9, 0, tzinfo=TOKYO)
    )

    months = usage_by_month()

    assert [(m["month"].isoformat(), m["messages"], m["segments"], m["cost"]) for m in months] == [
        ("2026-03-01", 2, 3, Decimal("36")),
        ("2026-02-01", 1, 3, Decimal("36")),
    ]
    response = coordinator_client.get(OUTBOX, headers={"accept-language": "en"})
    assert response.context["months"] == months
    assert "¥36" in page_text(response)


def test_the_queue_shows_what_is_due_waiting_and_failed(coordinator_client):
    factories.outbound_message(send_after=MONDAY_10AM - timedelta(minutes=20))
    factories.outbound_message(send_after=MONDAY_10AM + timedelta(hours=8))
    factories.outbound_message(status=Status.FAILED)

    response = coordinator_client.get(OUTBOX, headers={"accept-language": "en"})

    queue = response.context["queue"]
    assert (queue["due"], queue["waiting"], queue["failed"]) == (1, 2, 1)
    assert "the oldest has waited 20\xa0minutes" in page_text(response)


def test_texts_needing_a_check_are_counted_shown_with_a_filter_and_can_be_sent_again(
    coordinator_client,
):
    unknown = factories.outbound_message(
        status=Status.UNKNOWN, error_code="lookup", last_error="Could not ask the provider"
    )
    factories.outbound_message(status=Status.FAILED)

    response = coordinator_client.get(OUTBOX, headers={"accept-language": "en"})
    filtered = coordinator_client.get(OUTBOX, {"status": "unknown"})

    assert response.context["queue"]["unknown"] == 1
    assert "1 text needs checking" in page_text(response)
    assert 'href="?status=unknown"' in page_text(response)
    assert listed(filtered) == [unknown]
    assert reverse("notifications:retry", args=[unknown.pk]) in page_text(filtered)


# --- Sending a failed text again -------------------------------------------------------------


def test_a_failed_text_is_sent_again_and_the_page_comes_back_with_its_filters(
    coordinator_client, django_capture_on_commit_callbacks
):
    failed = factories.outbound_message(
        status=Status.FAILED, attempts=6, error_code="20429", send_after=MONDAY_10AM
    )
    back = f"{OUTBOX}?status=failed&page=1"

    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator_client.post(
            reverse("notifications:retry", args=[failed.pk]),
            {"next": back},
            headers={"accept-language": "en"},
        )

    assert response.status_code == 302
    assert response["Location"] == back
    failed.refresh_from_db()
    # The nudged worker sent it at once (the in-memory backend in tests).
    assert failed.status == Status.SENT
    assert failed.error_code == ""
    assert [sms.to for sms in backends.outbox] == [failed.to]


@pytest.mark.parametrize(
    ("status", "purpose"),
    [(Status.DELIVERED, Purpose.REMINDER), (Status.FAILED, Purpose.SIGN_IN_CODE)],
)
def test_only_a_failed_text_that_is_not_a_sign_in_code_is_sent_again(
    coordinator_client, status, purpose
):
    message = factories.outbound_message(status=status, purpose=purpose)

    response = coordinator_client.post(
        reverse("notifications:retry", args=[message.pk]),
        {"next": "https://elsewhere.example/"},
        headers={"accept-language": "en"},
        follow=True,
    )

    assert response.redirect_chain[0][0] == OUTBOX  # never sent off to another site
    assert "Only a failed text, or one that needs checking, can be sent again" in page_text(
        response
    )
    message.refresh_from_db()
    assert message.status == status


def test_the_send_again_button_is_shown_only_on_failed_texts(coordinator_client):
    failed = factories.outbound_message(status=Status.FAILED)
    code = factories.outbound_message(status=Status.FAILED, purpose=Purpose.SIGN_IN_CODE)
    delivered = factories.outbound_message(status=Status.DELIVERED)

    page = page_text(coordinator_client.get(OUTBOX))

    assert reverse("notifications:retry", args=[failed.pk]) in page
    assert reverse("notifications:retry", args=[code.pk]) not in page
    assert reverse("notifications:retry", args=[delivered.pk]) not in page


def test_sending_again_is_a_post(coordinator_client):
    failed = factories.outbound_message(status=Status.FAILED)
    response = coordinator_client.get(reverse("notifications:retry", args=[failed.pk]))
    assert response.status_code == 405


def test_the_admin_sends_failed_texts_again_through_the_same_rule(admin_client):
    failed = factories.outbound_message(status=Status.FAILED)
    code = factories.outbound_message(status=Status.FAILED, purpose=Purpose.SIGN_IN_CODE)

    admin_client.post(
        reverse("admin:notifications_outboundmessage_changelist"),
        {"action": "retry", helpers.ACTION_CHECKBOX_NAME: [failed.pk, code.pk]},
    )

    failed.refresh_from_db()
    code.refresh_from_db()
    assert (failed.status, code.status) == (Status.PENDING, Status.FAILED)


# --- Incoming texts --------------------------------------------------------------------------


def test_incoming_texts_are_listed_unread_first_with_the_supporters_name(coordinator_client):
    supporter = factories.supporter(family_name="前橋", given_name="一郎")
    read = factories.inbound_message(is_read=True, received_at=MONDAY_10AM)
    old_unread = factories.inbound_message(received_at=MONDAY_10AM - timedelta(days=2))
    new_unread = factories.inbound_message(
        from_number=supporter.phone, body="遅れます", received_at=MONDAY_10AM - timedelta(hours=1)
    )

    response = coordinator_client.get(INBOUND, headers={"accept-language": "en"})

    assert listed(response) == [new_unread, old_unread, read]
    assert response.context["unread"] == 2
    assert "前橋 一郎" in page_text(response)
    assert "遅れます" in page_text(response)
    assert reverse("notifications:mark_read", args=[read.pk]) not in page_text(response)


def test_a_coordinator_marks_an_incoming_text_as_read(coordinator_client):
    message = factories.inbound_message()

    response = coordinator_client.post(
        reverse("notifications:mark_read", args=[message.pk]), {"next": f"{INBOUND}?page=1"}
    )

    assert response["Location"] == f"{INBOUND}?page=1"
    message.refresh_from_db()
    assert message.is_read


def test_the_incoming_page_runs_as_many_queries_for_60_texts_as_for_5(
    coordinator_client, django_assert_max_num_queries
):
    def make(count):
        for _ in range(count):
            factories.inbound_message(from_number=factories.supporter().phone)

    make(5)
    with CaptureQueriesContext(connection) as few:
        coordinator_client.get(INBOUND)
    make(55)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = coordinator_client.get(INBOUND)
    assert response.context["page"].paginator.count == 60


# --- Who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["supporter", "stranger"])
def test_only_coordinators_read_or_change_the_outbox(client, request, who):
    person = request.getfixturevalue(who)
    client.force_login(person.user if who == "supporter" else person)
    failed = factories.outbound_message(status=Status.FAILED)
    unread = factories.inbound_message()

    assert client.get(OUTBOX).status_code == 403
    assert client.get(INBOUND).status_code == 403
    assert client.post(reverse("notifications:retry", args=[failed.pk])).status_code == 403
    assert client.post(reverse("notifications:mark_read", args=[unread.pk])).status_code == 403
    failed.refresh_from_db()
    assert failed.status == Status.FAILED
    assert not InboundMessage.objects.get(pk=unread.pk).is_read


def test_someone_not_signed_in_is_sent_to_sign_in(client, db):
    response = client.get(OUTBOX)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_coordinators_find_the_outbox_in_the_menu(coordinator_client):
    assert OUTBOX in page_text(coordinator_client.get("/"))


def test_supporters_do_not_find_the_outbox_in_the_menu(supporter_client):
    assert OUTBOX not in page_text(supporter_client.get("/"))
