"""Many texts go into the outbox at once (`queue_sms_many`) with the same rules as one: opt-outs,
quiet hours, one message per key, a called-off text revived. No text goes to a landline, and
every link in a text is a full address a phone can open."""

import logging
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config.fiscal import TOKYO
from notifications.models import OptOut, OutboundMessage
from notifications.services import Sms, queue_sms, queue_sms_many
from sessions.models import ClassRegistration, DispatchRequest, Session
from sessions.reminders import schedule_dispatch_reminder, schedule_registration_reminder
from sessions.services import join_waitlist, offer_next_place
from supporters.phones import is_landline, national_phone, normalize_phone
from tests import factories
from tests.clock import MONDAY_10AM

Status = OutboundMessage.Status
Purpose = OutboundMessage.Purpose

LANDLINE = "+81272241111"  # 027-224-1111, Maebashi City Hall


pytestmark = pytest.mark.usefixtures("monday_morning")


def texts(count, *, prefix="bulk", purpose=Purpose.BROADCAST, **kwargs):
    return [
        Sms(factories.phone_number(), "火曜日は休みです", purpose, f"{prefix}:{n}", **kwargs)
        for n in range(count)
    ]


# --- One bulk path ----------------------------------------------------------------------------


def test_many_texts_are_queued_in_as_many_queries_as_two(db, django_assert_max_num_queries):
    with CaptureQueriesContext(connection) as few:
        queue_sms_many(texts(2, prefix="few"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        queued = queue_sms_many(texts(30, prefix="many"))
    assert len(queued) == 30
    assert OutboundMessage.objects.filter(status=Status.PENDING).count() == 32
    assert all(message.pk for message in queued)


def test_queueing_the_same_texts_again_adds_nothing(db):
    batch = texts(3)
    first = queue_sms_many(batch)
    again = queue_sms_many(batch)
    assert OutboundMessage.objects.count() == 3
    assert [message.pk for message in again] == [message.pk for message in first]


def test_numbers_that_opted_out_are_skipped_but_sign_in_codes_are_not(db):
    stopped, turned_off, keen = factories.phone_number(), factories.supporter(), "+819011112222"
    OptOut.objects.create(phone=stopped)
    turned_off.sms_opt_in = False
    turned_off.save()
    queued = queue_sms_many(
        [
            Sms(stopped, "a", Purpose.BROADCAST, "b:1"),
            Sms(turned_off.phone, "a", Purpose.BROADCAST, "b:2"),
            Sms(keen, "a", Purpose.BROADCAST, "b:3"),
            Sms(stopped, "123456", Purpose.SIGN_IN_CODE, "code:1"),
        ]
    )
    assert [(message.to, message.purpose) for message in queued] == [
        (keen, Purpose.BROADCAST),
        (stopped, Purpose.SIGN_IN_CODE),
    ]


def test_a_text_called_off_before_it_was_sent_is_revived_with_its_new_content(db):
    [message] = queue_sms_many(texts(1))
    OutboundMessage.objects.filter(pk=message.pk).update(status=Status.CANCELLED)
    later = MONDAY_10AM + timedelta(days=1)
    [revived] = queue_sms_many(
        [Sms(message.to, "水曜日に変わりました", Purpose.BROADCAST, "bulk:0", send_after=later)]
    )
    assert revived.pk == message.pk
    revived.refresh_from_db()
    assert (revived.status, revived.body, revived.send_after) == (
        Status.PENDING,
        "水曜日に変わりました",
        later,
    )


def test_a_text_already_sent_is_never_revived(db):
    [message] = queue_sms_many(texts(1))
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=Status.CANCELLED, sent_at=MONDAY_10AM
    )
    [kept] = queue_sms_many(texts(1))
    assert kept.status == Status.CANCELLED


def test_texts_due_at_night_wait_until_eight(db, time_machine):
    time_machine.move_to(datetime(2026, 3, 9, 22, 0, tzinfo=TOKYO), tick=False)
    [message] = queue_sms_many(texts(1))
    assert message.send_after == datetime(2026, 3, 10, 8, 0, tzinfo=TOKYO)


def test_the_worker_is_nudged_once_for_the_whole_batch(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        queue_sms_many(texts(5))
    assert len(callbacks) == 1


# --- Landlines --------------------------------------------------------------------------------


def test_a_landline_is_a_valid_contact_number_that_takes_no_texts():
    assert normalize_phone("027-224-1111") == LANDLINE
    assert is_landline(LANDLINE)
    assert not is_landline("+819012345678")


def test_no_text_is_queued_for_a_landline(db, caplog):
    with caplog.at_level(logging.INFO, logger="notifications.services"):
        assert queue_sms(LANDLINE, "明日", purpose=Purpose.REMINDER, key="one") is None
        assert queue_sms_many([Sms(LANDLINE, "明日", Purpose.REMINDER, "many")]) == []
    assert not OutboundMessage.objects.exists()
    assert "landline" in caplog.text


def test_a_class_registrant_and_a_group_on_a_landline_get_no_reminder(db):
    session = factories.session(kind=Session.Kind.CLASS, starts_at=MONDAY_10AM + timedelta(days=2))
    registration = factories.class_registration(session=session, phone=LANDLINE)
    visit = factories.session(kind=Session.Kind.DISPATCH, starts_at=session.starts_at)
    request = factories.dispatch_request(
        session=visit, status=DispatchRequest.Status.SCHEDULED, representative_phone=LANDLINE
    )
    assert schedule_registration_reminder(registration) is None
    assert schedule_dispatch_reminder(request) is None
    assert not OutboundMessage.objects.exists()


def test_coordinators_see_that_a_landline_gets_no_texts(admin_client, db, settings):
    settings.LANGUAGE_CODE = "en"
    factories.class_registration(phone=LANDLINE)
    request = factories.dispatch_request(representative_phone=LANDLINE)
    page = admin_client.get(
        reverse("admin:helpdesk_sessions_classregistration_changelist"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "027-224-1111 · no SMS (landline)" in page.content.decode()
    # A request's list names no one (its contact is seen, and recorded, on its own page).
    registration = ClassRegistration.objects.get()
    for model, obj in (("classregistration", registration), ("dispatchrequest", request)):
        page = admin_client.get(
            reverse(f"admin:helpdesk_sessions_{model}_change", args=[obj.pk]),
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert "No SMS (landline): call this number." in page.content.decode()
    assert national_phone("+819012345678") == "090-1234-5678"


# --- Links ------------------------------------------------------------------------------------


def test_a_text_with_a_relative_link_is_refused(db):
    with pytest.raises(ValueError, match="relative link"):
        queue_sms("+819011112222", "席が空きました\n/offers/1958/", purpose=Purpose.REPLY, key="x")
    with pytest.raises(ValueError, match="relative link"):
        queue_sms_many([Sms("+819011112222", "/join/abc/", Purpose.INVITATION, "y")])
    # Dates and full addresses are no relative links.
    queue_sms(
        "+819011112222",
        "3/10 (火) https://digisapo.example.jp/offers/1/",
        purpose=Purpose.REPLY,
        key="z",
    )


def test_the_offer_of_a_freed_place_links_to_a_full_address(db, settings):
    settings.PUBLIC_URL = "https://digisapo.example.jp"
    session = factories.session(starts_at=MONDAY_10AM + timedelta(days=3), supporters_needed=1)
    factories.shift(session=session)
    waiting = join_waitlist(factories.supporter(), session)
    Session.objects.filter(pk=session.pk).update(supporters_needed=2)
    offer_next_place(session)
    offer = OutboundMessage.objects.get(purpose=Purpose.WAITLIST_OFFER)
    assert offer.body.endswith(f"\nhttps://digisapo.example.jp/offers/{waiting.pk}/")
