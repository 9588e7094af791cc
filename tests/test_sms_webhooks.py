"""Twilio calls us: signed delivery reports and incoming texts (STOP, START, 1 and 2 to a reminder).
Requests are signed exactly as Twilio signs them; replays change nothing."""

from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import translation
from twilio.request_validator import RequestValidator

from config.fiscal import TOKYO
from notifications import backends
from notifications import replies as replies_registry
from notifications.backends import Accepted
from notifications.models import InboundMessage, OptOut, OutboundMessage
from notifications.services import queue_sms
from notifications.tasks import record_accepted, run_outbox
from sessions.models import Shift
from sessions.reminders import schedule_shift_reminders
from sessions.texts import render_sms
from tests import factories

Status = OutboundMessage.Status
Purpose = OutboundMessage.Purpose

TOKEN = "webhook-auth-token"
PUBLIC_URL = "https://digisapo.example.jp"
STATUS_PATH = "/notifications/twilio/status"
INBOUND_PATH = "/notifications/twilio/inbound"
OUR_NUMBER = "+815012345678"


@pytest.fixture(autouse=True)
def twilio_settings(settings, time_machine):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.PUBLIC_URL = PUBLIC_URL
    time_machine.move_to(datetime(2026, 3, 10, 18, 5, tzinfo=TOKYO), tick=False)


def post_signed(client, path, params, *, signed_url=None, token=TOKEN):
    """POST as Twilio does: the signature covers the public URL and every parameter."""
    url = signed_url or PUBLIC_URL + path
    signature = RequestValidator(token).compute_signature(url, params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


_sid_counter = iter(range(1, 1_000_000))


def inbound(client, body, from_number, *, sid=None):
    params = {
        "MessageSid": sid or f"SM{next(_sid_counter):032d}",
        "AccountSid": "AC" + "f" * 32,
        "From": from_number,
        "To": OUR_NUMBER,
        "Body": body,
        "NumMedia": "0",
    }
    return post_signed(client, INBOUND_PATH, params)


def status_report(client, sid, status, *, message=None, error_code=None):
    params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC" + "f" * 32}
    if error_code:
        params["ErrorCode"] = error_code
    path = STATUS_PATH + (f"?m={message.pk}" if message else "")
    return post_signed(client, path, params)


def sent_message(sid="SM" + "a" * 32, status=Status.QUEUED):
    message = queue_sms("+819011112222", "明日10:00", purpose=Purpose.REMINDER, key=sid)
    OutboundMessage.objects.filter(pk=message.pk).update(status=status, provider_id=sid)
    message.refresh_from_db()
    return message


def replies():
    return list(OutboundMessage.objects.filter(purpose=Purpose.REPLY))


# --- Signatures -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", [STATUS_PATH, INBOUND_PATH])
def test_a_request_without_a_valid_signature_is_refused(client, db, path):
    params = {"MessageSid": "SM1", "MessageStatus": "delivered", "From": "+819011112222"}
    assert client.post(path, params).status_code == 403
    assert post_signed(client, path, params, token="someone-elses-token").status_code == 403
    # Signed for the address Django sees, not the public one Twilio called: refused.
    internal = "http://testserver" + path
    assert post_signed(client, path, params, signed_url=internal).status_code == 403
    assert client.get(path).status_code == 405
    assert not InboundMessage.objects.exists()


@pytest.mark.parametrize(
    "field",
    [
        {"From": "whatsapp:+819011112222"},  # longer than a phone number's column
        {"To": "whatsapp:+815012345678"},
        {"MessageSid": "SM" + "a" * 70},
        {"Body": "STOP\x00"},  # PostgreSQL stores no NUL
    ],
)
def test_an_incoming_text_with_a_field_too_long_is_refused_and_not_stored(client, db, field):
    params = {
        "MessageSid": "SM" + "e" * 32,
        "From": "+819011112222",
        "To": OUR_NUMBER,
        "Body": "STOP",
        **field,
    }
    assert post_signed(client, INBOUND_PATH, params).status_code == 400
    assert not InboundMessage.objects.exists()
    assert not OptOut.objects.exists()
    assert not OutboundMessage.objects.exists()
    # The signature is checked first: unsigned, the same request is forbidden. A NUL character
    # is refused before any view, by the site's middleware, signed or not.
    unsigned = 400 if "\x00" in "".join(field.values()) else 403
    assert client.post(INBOUND_PATH, params).status_code == unsigned


@pytest.mark.parametrize(
    "field", [{"MessageSid": "SM" + "a" * 70}, {"ErrorCode": "3" * 25}, {"ErrorCode": "3\x00"}]
)
def test_a_status_report_with_a_field_too_long_is_refused_and_changes_nothing(client, db, field):
    message = sent_message()
    params = {"MessageSid": message.provider_id, "MessageStatus": "undelivered", **field}
    path = f"{STATUS_PATH}?m={message.pk}"
    assert post_signed(client, path, params).status_code == 400
    message.refresh_from_db()
    assert (message.status, message.error_code) == (Status.QUEUED, "")
    unsigned = 400 if "\x00" in "".join(field.values()) else 403
    assert client.post(path, params).status_code == unsigned


def test_a_status_report_naming_a_huge_message_id_falls_back_to_its_sid(client, db):
    message = sent_message()
    params = {"MessageSid": message.provider_id, "MessageStatus": "delivered"}
    assert post_signed(client, f"{STATUS_PATH}?m={'9' * 30}", params).status_code == 204
    message.refresh_from_db()
    assert message.status == Status.DELIVERED


def test_a_forged_status_report_changes_nothing(client, db):
    message = sent_message()
    params = {"MessageSid": message.idempotency_key, "MessageStatus": "delivered"}
    response = client.post(STATUS_PATH, params, HTTP_X_TWILIO_SIGNATURE="bm90IGEgc2lnbmF0dXJl")
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == Status.QUEUED


def test_without_a_public_url_the_signature_covers_the_requested_url(client, db, settings):
    settings.PUBLIC_URL = ""
    message = sent_message()
    params = {"MessageSid": message.provider_id, "MessageStatus": "delivered"}
    response = post_signed(
        client, STATUS_PATH, params, signed_url="http://testserver" + STATUS_PATH
    )
    assert response.status_code == 204
    message.refresh_from_db()
    assert message.status == Status.DELIVERED


# --- Status callbacks -----------------------------------------------------------------------


def test_status_reports_move_a_message_forward(client, db):
    message = sent_message()
    assert status_report(client, message.provider_id, "sent").status_code == 204
    message.refresh_from_db()
    assert message.status == Status.SENT
    status_report(client, message.provider_id, "delivered")
    message.refresh_from_db()
    assert message.status == Status.DELIVERED


def test_an_undelivered_report_records_the_error_code(client, db):
    message = sent_message(status=Status.SENT)
    status_report(client, message.provider_id, "undelivered", error_code="30003")
    message.refresh_from_db()
    assert message.status == Status.UNDELIVERED
    assert message.error_code == "30003"


def test_a_late_or_replayed_report_never_moves_a_message_backwards(client, db):
    message = sent_message()
    status_report(client, message.provider_id, "delivered")
    message.refresh_from_db()
    delivered = (message.status, message.updated_at)
    for late in ("sent", "queued", "delivered", "undelivered"):
        assert status_report(client, message.provider_id, late).status_code == 204
    message.refresh_from_db()
    assert (message.status, message.updated_at) == delivered


def test_a_report_arriving_before_the_worker_recorded_the_send_is_kept(client, db):
    message = queue_sms("+819011112222", "明日10:00", purpose=Purpose.REMINDER, key="early")
    OutboundMessage.objects.filter(pk=message.pk).update(status=Status.SENDING, attempts=1)
    sid = "SM" + "b" * 32
    status_report(client, sid, "sent", message=message)
    message.refresh_from_db()
    assert (message.status, message.provider_id) == (Status.SENT, sid)
    record_accepted(message, Accepted(provider_id=sid, status=Status.QUEUED))  # the worker, late
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_a_report_settles_a_text_the_provider_could_not_be_asked_about(client, db):
    message = queue_sms("+819011112222", "明日10:00", purpose=Purpose.REMINDER, key="unknown")
    OutboundMessage.objects.filter(pk=message.pk).update(status=Status.UNKNOWN, attempts=1)
    sid = "SM" + "d" * 32
    assert status_report(client, sid, "delivered", message=message).status_code == 204
    message.refresh_from_db()
    assert (message.status, message.provider_id) == (Status.DELIVERED, sid)


def test_a_report_about_an_unknown_message_is_ignored(client, db):
    assert status_report(client, "SM" + "c" * 32, "delivered").status_code == 204
    assert not OutboundMessage.objects.exists()


# --- Incoming texts: STOP and START ---------------------------------------------------------


@pytest.mark.parametrize(
    "word",
    [
        "STOP",
        "stop",
        " Stop ",
        "ＳＴＯＰ",
        "停止",
        "停止。",
        "ストップ",
        "ｽﾄｯﾌﾟ",
        "unsubscribe",
        "Cancel",
    ],
)
def test_stop_in_any_form_opts_the_number_out_with_a_confirmation(client, db, word):
    supporter = factories.supporter()
    reminder = queue_sms(supporter.phone, "明日", purpose=Purpose.REMINDER, key="r")
    response = inbound(client, word, supporter.phone)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    assert OptOut.objects.filter(phone=supporter.phone).exists()
    supporter.refresh_from_db()
    assert supporter.sms_opt_in is False
    reminder.refresh_from_db()
    assert reminder.status == Status.CANCELLED
    [reply] = replies()
    assert reply.to == supporter.phone
    assert "START" in reply.body
    assert InboundMessage.objects.get().action == "opt_out"


def test_the_stop_confirmation_is_sent_although_the_number_opted_out(client, db):
    inbound(client, "停止", "+819011112222")
    run_outbox()
    assert [sms.to for sms in backends.outbox] == ["+819011112222"]
    assert queue_sms("+819011112222", "明日", purpose=Purpose.REMINDER, key="later") is None


def test_start_resumes_texts_with_a_confirmation(client, db):
    supporter = factories.supporter()
    inbound(client, "STOP", supporter.phone)
    inbound(client, "start", supporter.phone)
    assert not OptOut.objects.exists()
    supporter.refresh_from_db()
    assert supporter.sms_opt_in is True
    stopped, started = sorted(replies(), key=lambda reply: reply.pk)
    assert "START" in stopped.body
    assert "STOP" in started.body
    assert queue_sms(supporter.phone, "明日", purpose=Purpose.REMINDER, key="r") is not None


def test_a_replayed_text_is_stored_and_answered_once(client, db):
    for _ in range(3):
        assert inbound(client, "STOP", "+819011112222", sid="SM" + "d" * 32).status_code == 200
    assert InboundMessage.objects.count() == 1
    assert len(replies()) == 1


# --- Incoming texts: answers to a reminder --------------------------------------------------


@pytest.fixture
def reminded_shift(db, time_machine):
    time_machine.move_to(datetime(2026, 3, 10, 17, 0, tzinfo=TOKYO), tick=False)
    session = factories.session(
        venue=factories.venue(name="東公民館"),
        starts_at=datetime(2026, 3, 11, 10, 0, tzinfo=TOKYO),
    )
    shift = factories.shift(session=session)
    evening, _ = schedule_shift_reminders(shift)
    time_machine.move_to(datetime(2026, 3, 10, 18, 5, tzinfo=TOKYO), tick=False)
    run_outbox()  # the evening reminder goes out
    evening.refresh_from_db()
    assert evening.status == Status.SENT
    return shift


def test_answering_1_confirms_the_reminded_shift(client, reminded_shift):
    inbound(client, "1", reminded_shift.supporter.phone)
    assert InboundMessage.objects.get().action == "confirmed"
    reminded_shift.refresh_from_db()
    assert reminded_shift.status == Shift.Status.SIGNED_UP
    [reply] = replies()
    assert "東公民館" in reply.body
    assert "10:00" in reply.body


def test_answering_2_cancels_the_reminded_shift_through_the_shift_rules(client, reminded_shift):
    inbound(client, "２", reminded_shift.supporter.phone)  # full-width, as phones often type
    assert InboundMessage.objects.get().action == "cancelled"
    reminded_shift.refresh_from_db()
    assert reminded_shift.status == Shift.Status.CANCELLED
    assert reminded_shift.cancelled_at is not None
    morning = OutboundMessage.objects.get(idempotency_key__contains="morning-of")
    assert morning.status == Status.CANCELLED
    [reply] = replies()
    assert "東公民館" in reply.body
    assert not OutboundMessage.objects.filter(purpose=Purpose.CANCELLATION).exists()


def test_answering_2_twice_cancels_once_and_says_so(client, reminded_shift):
    inbound(client, "2", reminded_shift.supporter.phone)
    inbound(client, "2", reminded_shift.supporter.phone)
    assert len(replies()) == 2
    assert [m.action for m in InboundMessage.objects.order_by("pk")] == [
        "cancelled",
        "none",  # nothing left to answer: kept for coordinators
    ]


def test_the_answer_is_about_the_shift_a_reminder_was_sent_for(client, reminded_shift):
    # A sooner shift with no reminder sent yet is not what "2" answers.
    sooner = factories.shift(
        supporter=reminded_shift.supporter,
        session=factories.session(starts_at=datetime(2026, 3, 10, 19, 0, tzinfo=TOKYO)),
    )
    inbound(client, "2", reminded_shift.supporter.phone)
    reminded_shift.refresh_from_db()
    sooner.refresh_from_db()
    assert reminded_shift.status == Shift.Status.CANCELLED
    assert sooner.status == Shift.Status.SIGNED_UP


def test_an_answer_with_no_reminded_shift_is_kept_and_explained(client, db):
    supporter = factories.supporter()
    inbound(client, "2", supporter.phone)
    received = InboundMessage.objects.get()
    assert (received.action, received.is_read) == ("none", False)
    [reply] = replies()
    assert reply.body == render_sms("reply_no_shift", supporter.user.language)


def test_an_answer_after_the_shift_started_is_refused_with_a_reply(
    client, reminded_shift, time_machine
):
    time_machine.move_to(datetime(2026, 3, 11, 10, 30, tzinfo=TOKYO), tick=False)
    inbound(client, "2", reminded_shift.supporter.phone)
    reminded_shift.refresh_from_db()
    assert reminded_shift.status == Shift.Status.SIGNED_UP
    assert len(replies()) == 1


def test_any_other_text_is_kept_for_coordinators_without_a_reply(client, reminded_shift):
    inbound(client, "駐車場はありますか?", reminded_shift.supporter.phone)
    received = InboundMessage.objects.get()
    assert received.body == "駐車場はありますか?"
    assert (received.action, received.is_read) == ("none", False)
    assert replies() == []


def test_a_number_we_do_not_know_answering_1_is_kept_without_a_reply(client, db):
    inbound(client, "1", "+819099998888")
    assert InboundMessage.objects.get().action == "none"
    assert replies() == []


def test_a_reply_goes_out_at_night(client, reminded_shift, time_machine):
    time_machine.move_to(datetime(2026, 3, 10, 22, 0, tzinfo=TOKYO), tick=False)
    inbound(client, "1", reminded_shift.supporter.phone)
    [reply] = replies()
    assert reply.send_after == datetime(2026, 3, 10, 22, 0, tzinfo=TOKYO)
    run_outbox()
    assert backends.outbox[-1].body == reply.body


@pytest.mark.parametrize("from_number", ["", "ABCDEF", "12345"])
def test_stop_from_an_empty_or_made_up_sender_opts_no_one_out(client, db, from_number):
    inbound(client, "STOP", from_number)
    assert not OptOut.objects.exists()
    received = InboundMessage.objects.get()
    assert (received.action, received.is_read) == ("none", False)
    assert replies() == []


def test_start_from_a_made_up_sender_lifts_no_opt_out(client, db):
    OptOut.objects.create(phone="+819011112222")
    inbound(client, "START", "ABCDEF")
    assert OptOut.objects.filter(phone="+819011112222").exists()


# --- Reply handlers the apps register -------------------------------------------------------


def test_a_registered_reply_handler_answers_what_it_claims(client, db, monkeypatch):
    seen = []

    def parking(message):
        seen.append((message.from_number, message.body, message.keyword))
        if message.keyword != "P":
            return None
        return replies_registry.Claim("parking", "駐車場は東側です。")

    monkeypatch.setattr(replies_registry, "_handlers", [*replies_registry._handlers, parking])
    monkeypatch.setitem(replies_registry._labels, "parking", "Asked about parking")
    inbound(client, "ｐ", "+819011112222")
    inbound(client, "駐車場は?", "+819011112222")

    answered, unclaimed = InboundMessage.objects.order_by("pk")
    assert (answered.action, answered.is_read) == ("parking", True)
    assert answered.action_label == "Asked about parking"
    assert [reply.body for reply in replies()] == ["駐車場は東側です。"]
    assert (unclaimed.action, unclaimed.is_read) == ("none", False)
    assert seen == [
        ("+819011112222", "ｐ", "P"),
        ("+819011112222", "駐車場は?", "駐車場は?"),
    ]


def test_the_first_handler_that_claims_a_text_answers_it(client, db, monkeypatch):
    def first(message):
        return replies_registry.Claim("first", "1st")

    def second(message):
        raise AssertionError("asked after a claim")

    monkeypatch.setattr(replies_registry, "_handlers", [first, second])
    inbound(client, "hello", "+819011112222")
    assert InboundMessage.objects.get().action == "first"


def test_stop_is_answered_before_any_handler_is_asked(client, db, monkeypatch):
    def greedy(message):
        raise AssertionError("STOP must never reach an app's handler")

    monkeypatch.setattr(replies_registry, "_handlers", [greedy])
    inbound(client, "STOP", "+819011112222")
    assert OptOut.objects.filter(phone="+819011112222").exists()


def test_the_shift_handler_is_registered_by_sessions(db):
    from sessions.replies import answer_shift_reply

    assert answer_shift_reply in replies_registry._handlers
    with translation.override("en"):
        assert replies_registry.action_label("confirmed") == "Confirmed a shift"


def test_coordinators_read_what_a_handler_did_in_their_language(coordinator_client, reminded_shift):
    inbound(coordinator_client, "1", reminded_shift.supporter.phone)
    page = coordinator_client.get(reverse("notifications:inbound"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Confirmed a shift" in page.content.decode()


def test_the_admin_shows_what_a_handler_did_in_words(admin_client, reminded_shift):
    inbound(admin_client, "1", reminded_shift.supporter.phone)
    received = InboundMessage.objects.get()
    for url in (
        reverse("admin:notifications_inboundmessage_changelist"),
        reverse("admin:notifications_inboundmessage_change", args=[received.pk]),
    ):
        page = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert "Confirmed a shift" in page.content.decode()
