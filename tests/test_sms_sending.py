"""Sending from the outbox: the real twilio client against a local fake Twilio, retries, opt-outs,
quiet hours, crash recovery, and the queue's health."""

import io
import os
import socket
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from config.fiscal import TOKYO
from config.settings import env_int_list
from notifications import backends
from notifications.backends import ConsoleBackend, TwilioBackend, get_backend
from notifications.models import OptOut, OutboundMessage
from notifications.segments import count_segments, estimate_cost
from notifications.services import queue_sms, retry_failed
from notifications.tasks import (
    claim_next,
    reconcile_stuck,
    run_outbox,
    send_due_reminders,
    send_due_sms,
)
from tests import factories
from tests.clock import MONDAY_10AM

Status = OutboundMessage.Status
Purpose = OutboundMessage.Purpose

JAPANESE_70 = "あ" * 70


def queue(to=None, body="Hello from the outbox", *, key=None, purpose=Purpose.BROADCAST, **kw):
    return queue_sms(
        to or factories.phone_number(),
        body,
        purpose=purpose,
        key=key or f"test:{factories.phone_number()}",
        **kw,
    )


# --- Segments -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("[" * 80, 1),  # extension characters take two septets
        ("[" * 81, 2),
        (JAPANESE_70, 1),
        ("あ" * 71, 2),
        ("あ" * 134, 2),
        ("あ" * 135, 3),
        ("a" * 69 + "😀", 2),  # an emoji is two UTF-16 units: 71
        ("Tomorrow 10:00 東公民館", 1),
    ],
)
def test_segments_are_counted_as_the_carrier_bills_them(text, segments):
    assert count_segments(text) == segments


def test_every_queued_message_records_its_segments(db, monday_morning):
    message = queue(body="あ" * 100)
    assert message.segments == 2
    assert estimate_cost(message.segments) == 24


# --- Backends -------------------------------------------------------------------------------


def test_the_console_backend_is_the_default_and_prints_the_text(db, settings, monday_morning):
    settings.SMS_BACKEND = "notifications.backends.ConsoleBackend"
    message = queue(body="明日10:00 東公民館")
    stream = io.StringIO()
    accepted = ConsoleBackend(stream).send(message)
    assert "明日10:00 東公民館" in stream.getvalue()
    assert message.to in stream.getvalue()
    assert accepted.provider_id.startswith("console-")
    assert isinstance(get_backend(), ConsoleBackend)


def test_a_due_message_is_sent_with_the_real_twilio_client(
    db, settings, fake_twilio, monday_morning
):
    settings.PUBLIC_URL = "https://digisapo.example.jp"
    message = queue("+819011112222", "明日10:00 東公民館でお待ちしています")

    assert run_outbox() == {"reconciled": 0, "sent": 1}

    [post] = fake_twilio.posts()
    assert post["To"] == "+819011112222"
    assert post["From"] == "+815012345678"
    assert post["Body"] == "明日10:00 東公民館でお待ちしています"
    assert post["StatusCallback"] == (
        f"https://digisapo.example.jp/notifications/twilio/status?m={message.pk}"
    )
    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert message.provider_id == fake_twilio.messages[0]["sid"]
    assert message.sent_at == MONDAY_10AM
    assert message.attempts == 1
    assert message.segments == 1


def test_a_messaging_service_replaces_the_from_number(db, settings, fake_twilio, monday_morning):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    message = queue()
    run_outbox()
    [post] = fake_twilio.posts()
    assert post["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in post
    message.refresh_from_db()
    assert message.status == Status.QUEUED  # Twilio's "accepted"


def test_the_provider_counts_segments_when_it_says(db, fake_twilio, monday_morning):
    message = queue(body="x" * 200)
    run_outbox()
    message.refresh_from_db()
    assert message.segments == 2


# --- Failures -------------------------------------------------------------------------------


@pytest.mark.parametrize("error", [429, 500])
def test_a_transient_failure_is_retried_with_growing_delays(db, fake_twilio, monday_morning, error):
    fake_twilio.fail_next(error, times=2)
    message = queue()

    run_outbox()
    message.refresh_from_db()
    assert message.status == Status.PENDING
    assert message.attempts == 1
    assert message.error_code == str(20000 + error)
    assert message.send_after == MONDAY_10AM + timedelta(minutes=1)

    run_outbox()  # not due yet: nothing is tried
    assert len(fake_twilio.posts()) == 1

    monday_morning.shift(timedelta(minutes=1))
    run_outbox()
    message.refresh_from_db()
    assert message.attempts == 2
    assert message.send_after == MONDAY_10AM + timedelta(minutes=1 + 2)

    monday_morning.shift(timedelta(minutes=2))
    run_outbox()
    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert message.attempts == 3
    assert len(fake_twilio.posts()) == 3
    assert len(fake_twilio.messages) == 1


def test_transient_failures_give_up_after_the_last_attempt(
    db, settings, fake_twilio, monday_morning
):
    settings.SMS_MAX_ATTEMPTS = 4
    fake_twilio.fail_next(500, times=10)
    message = queue()
    for _ in range(6):
        run_outbox()
        monday_morning.shift(timedelta(hours=1))
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.attempts == 4
    assert message.error_code == "20500"
    assert len(fake_twilio.posts()) == 4


def test_the_backoff_is_capped_at_an_hour(db, settings, fake_twilio, monday_morning):
    settings.SMS_MAX_ATTEMPTS = 20
    fake_twilio.fail_next(429, times=9)
    message = queue()
    delays = []
    for _ in range(9):
        run_outbox()
        message.refresh_from_db()
        delays.append(message.send_after - timezone.now())
        monday_morning.move_to(message.send_after, tick=False)
    minutes = [int(delay.total_seconds() // 60) for delay in delays]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60]


@pytest.mark.parametrize("code", [21610, 21211, 21614])
def test_a_permanent_failure_is_marked_and_never_retried(db, fake_twilio, monday_morning, code):
    fake_twilio.fail_next(code)
    message = queue()
    run_outbox()
    monday_morning.shift(timedelta(hours=3))
    run_outbox()
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.error_code == str(code)
    assert message.attempts == 1
    assert len(fake_twilio.posts()) == 1


def test_a_number_unsubscribed_at_the_carrier_is_opted_out(db, fake_twilio, monday_morning):
    fake_twilio.fail_next(21610)
    message = queue("+819011112222", purpose=Purpose.REMINDER)
    later = queue("+819011112222", purpose=Purpose.REMINDER, send_after=at_ten_tonight())

    run_outbox()

    message.refresh_from_db()
    assert (message.status, message.error_code) == (Status.FAILED, "21610")
    assert OptOut.objects.get(phone="+819011112222").source == "carrier"
    later.refresh_from_db()
    assert later.status == Status.CANCELLED  # queued before: called off with the opt-out
    assert queue("+819011112222") is None  # the next broadcast skips the number
    assert queue("+819011112222", purpose=Purpose.SIGN_IN_CODE) is not None


def test_other_permanent_failures_opt_nobody_out(db, fake_twilio, monday_morning):
    fake_twilio.fail_next(21211)
    queue("+819011112222")
    run_outbox()
    assert not OptOut.objects.exists()


def at_ten_tonight():
    return MONDAY_10AM + timedelta(hours=8)


@pytest.fixture
def unreachable_twilio(settings):
    """Twilio settings pointing at a port nobody listens on: connections are refused."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    settings.SMS_BACKEND = "notifications.backends.TwilioBackend"
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = "token"
    settings.TWILIO_FROM = "+815012345678"
    settings.TWILIO_BASE_URL = f"http://127.0.0.1:{port}"


def test_an_unreachable_provider_is_a_transient_failure(db, unreachable_twilio, monday_morning):
    message = queue()
    run_outbox()
    message.refresh_from_db()
    assert message.status == Status.PENDING  # refused: nothing can have been sent
    assert message.error_code == "network"
    assert message.send_after == MONDAY_10AM + timedelta(minutes=1)


# --- Crash safety ---------------------------------------------------------------------------


def test_a_timeout_after_twilio_took_the_message_is_recovered_not_resent(
    db, fake_twilio, monday_morning, monkeypatch
):
    # A second for the calls that must get through (the reconciling lookup): on a loaded
    # machine 0.3 s was sometimes too little for them as well.
    monkeypatch.setattr(TwilioBackend, "timeout", 1.0)
    fake_twilio.delay = 2.5  # Twilio stores the message, then answers too late
    message = queue()
    run_outbox()
    message.refresh_from_db()
    assert message.status == Status.SENDING  # maybe sent: not retried blindly
    assert message.error_code == "network"

    fake_twilio.delay = 0
    run_outbox()  # within the lease: left alone
    assert len(fake_twilio.posts()) == 1

    monday_morning.shift(timedelta(minutes=3))
    assert run_outbox() == {"reconciled": 1, "sent": 0}
    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert message.provider_id == fake_twilio.messages[0]["sid"]
    assert len(fake_twilio.posts()) == 1


def test_a_message_whose_worker_died_before_the_request_is_sent_after_the_lease(
    db, fake_twilio, monday_morning
):
    message = queue()
    claim_next()  # the worker claims it, then dies before calling Twilio
    run_outbox()
    assert fake_twilio.posts() == []

    monday_morning.shift(timedelta(minutes=3))
    assert run_outbox() == {"reconciled": 1, "sent": 1}
    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert message.attempts == 2
    assert len(fake_twilio.posts()) == 1


def test_recovery_tells_apart_identical_texts_to_the_same_number(db, fake_twilio, monday_morning):
    # Two identical replies: the first went out before its worker died, the second never did.
    first = queue("+819011112222", "ありがとうございます", key="one")
    second = queue("+819011112222", "ありがとうございます", key="two")
    claim_next()
    TwilioBackend().send(first)  # reached Twilio; the worker died before recording it
    claim_next()  # claimed, died before the request
    monday_morning.shift(timedelta(minutes=3))
    run_outbox()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.provider_id == fake_twilio.messages[0]["sid"]
    assert second.provider_id == fake_twilio.messages[1]["sid"]
    assert len(fake_twilio.posts()) == 2


def test_backends_that_cannot_look_up_resend_after_the_lease(db, monday_morning):
    message = queue()
    claim_next()
    monday_morning.shift(timedelta(minutes=3))
    run_outbox()
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert [sms.message_id for sms in backends.outbox] == [message.pk]


def test_a_message_that_keeps_killing_its_worker_fails_in_the_end(db, settings, monday_morning):
    settings.SMS_MAX_ATTEMPTS = 2
    message = queue()
    for _ in range(2):
        claim_next()
        monday_morning.shift(timedelta(minutes=3))
        reconcile_stuck(get_backend())
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.error_code == "lost"


@pytest.mark.parametrize("error", [500, 403])  # a Twilio outage; a key that may not list
def test_a_text_the_provider_cannot_be_asked_about_is_left_for_a_coordinator(
    client, db, settings, fake_twilio, monday_morning, error
):
    settings.SMS_LOOKUP_MAX_ATTEMPTS = 3
    message = queue()
    claim_next()  # the worker claims it, then dies: did the text reach Twilio?
    fake_twilio.fail_lookups(error, times=100)

    for tries in (1, 2):  # each failed lookup is tried again after another lease
        monday_morning.shift(timedelta(minutes=3))
        assert run_outbox() == {"reconciled": 0, "sent": 0}
        message.refresh_from_db()
        assert (message.status, message.failed_lookups) == (Status.SENDING, tries)
    monday_morning.shift(timedelta(minutes=3))
    assert run_outbox() == {"reconciled": 1, "sent": 0}

    message.refresh_from_db()
    assert message.status == Status.UNKNOWN
    assert message.error_code == "lookup"
    assert "3 tries" in message.last_error
    assert fake_twilio.lookups() == 3
    monday_morning.shift(timedelta(hours=2))
    run_outbox()  # maybe delivered: neither looked up nor sent again by the worker
    assert fake_twilio.lookups() == 3
    assert fake_twilio.posts() == []
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content.decode().splitlines() == [
        "ok",
        "SMS outbox: 1 message(s) need checking: the provider could not say whether they were "
        "sent (see the outbox page)",
    ]


def test_a_lookup_that_works_again_before_the_limit_recovers_the_text(
    db, settings, fake_twilio, monday_morning
):
    settings.SMS_LOOKUP_MAX_ATTEMPTS = 3
    message = queue()
    claim_next()
    fake_twilio.fail_lookups(500, times=2)
    for _ in range(3):
        monday_morning.shift(timedelta(minutes=3))
        run_outbox()
    message.refresh_from_db()
    assert message.status == Status.QUEUED  # not at Twilio: sent again on the third check
    assert message.failed_lookups == 0
    assert len(fake_twilio.posts()) == 1


# --- Idempotency and opt-outs ---------------------------------------------------------------


def test_the_same_idempotency_key_makes_one_message(db, monday_morning):
    first = queue("+819011112222", key="reminder:shift:42:day-before")
    again = queue("+819011112222", "other words", key="reminder:shift:42:day-before")
    assert again.pk == first.pk
    assert OutboundMessage.objects.count() == 1
    run_outbox()
    assert len(backends.outbox) == 1


def test_an_opted_out_number_gets_nothing_but_sign_in_codes(db, monday_morning):
    OptOut.objects.create(phone="+819011112222")
    assert queue("+819011112222", purpose=Purpose.REMINDER) is None
    assert queue("+819011112222", purpose=Purpose.BROADCAST) is None
    code = queue("+819011112222", "123456", purpose=Purpose.SIGN_IN_CODE)
    run_outbox()
    assert [sms.message_id for sms in backends.outbox] == [code.pk]


def test_a_supporter_who_turned_texts_off_gets_nothing_but_sign_in_codes(db, monday_morning):
    supporter = factories.supporter(sms_opt_in=False)
    assert queue(supporter.phone, purpose=Purpose.CONFIRMATION) is None
    assert queue(supporter.phone, "123456", purpose=Purpose.SIGN_IN_CODE) is not None


def test_a_text_queued_before_its_number_opted_out_is_not_sent(db, monday_morning):
    message = queue("+819011112222", purpose=Purpose.REMINDER)
    OptOut.objects.create(phone="+819011112222")
    run_outbox()
    message.refresh_from_db()
    assert message.status == Status.CANCELLED
    assert backends.outbox == []


# --- Quiet hours ----------------------------------------------------------------------------


def test_a_text_queued_at_night_waits_until_eight(db, time_machine):
    time_machine.move_to(datetime(2026, 3, 9, 22, 30, tzinfo=TOKYO), tick=False)
    message = queue(purpose=Purpose.CONFIRMATION)
    assert message.send_after == datetime(2026, 3, 10, 8, 0, tzinfo=TOKYO)
    run_outbox()
    assert backends.outbox == []
    time_machine.move_to(datetime(2026, 3, 10, 8, 0, tzinfo=TOKYO), tick=False)
    run_outbox()
    assert len(backends.outbox) == 1


def test_a_text_due_in_the_small_hours_waits_until_eight_the_same_day(db, time_machine):
    time_machine.move_to(datetime(2026, 3, 10, 5, 0, tzinfo=TOKYO), tick=False)
    message = queue(purpose=Purpose.REMINDER)
    assert message.send_after == datetime(2026, 3, 10, 8, 0, tzinfo=TOKYO)


def test_a_sign_in_code_goes_out_at_night(db, time_machine):
    time_machine.move_to(datetime(2026, 3, 9, 23, 0, tzinfo=TOKYO), tick=False)
    queue(body="123456", purpose=Purpose.SIGN_IN_CODE)
    run_outbox()
    assert [sms.body for sms in backends.outbox] == ["123456"]


def test_a_retry_falling_in_quiet_hours_waits_for_the_morning(db, time_machine):
    time_machine.move_to(datetime(2026, 3, 9, 20, 59, tzinfo=TOKYO), tick=False)
    queue(purpose=Purpose.REMINDER)
    time_machine.move_to(datetime(2026, 3, 9, 21, 30, tzinfo=TOKYO), tick=False)
    run_outbox()  # due since 20:59, but it is night now
    assert backends.outbox == []


def test_quiet_hours_are_configurable(db, settings, time_machine):
    settings.SMS_QUIET_HOURS = (23, 6)
    time_machine.move_to(datetime(2026, 3, 9, 22, 0, tzinfo=TOKYO), tick=False)
    message = queue(purpose=Purpose.REMINDER)
    assert message.send_after == datetime(2026, 3, 9, 22, 0, tzinfo=TOKYO)


# --- The task and the worker ----------------------------------------------------------------


def test_queueing_nudges_the_worker_after_commit(
    db, monday_morning, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = queue()
        assert backends.outbox == []  # nothing leaves before the transaction commits
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(backends.outbox) == 1


def test_on_the_database_backend_the_task_is_queued_once_per_moment(
    db, settings, monday_morning, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            queue()
    assert DBTaskResult.objects.filter(task_path=send_due_sms.module_path).count() == 1


def test_a_future_text_schedules_the_task_for_when_it_is_due(
    db, settings, monday_morning, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    evening = datetime(2026, 3, 9, 18, 0, tzinfo=TOKYO)
    with django_capture_on_commit_callbacks(execute=True):
        queue(purpose=Purpose.REMINDER, send_after=evening)
    [scheduled] = DBTaskResult.objects.all()
    assert scheduled.run_after == evening


def test_a_run_schedules_the_next_and_each_claim_leaves_a_recovery_run(
    db, settings, monday_morning
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    evening = datetime(2026, 3, 9, 18, 0, tzinfo=TOKYO)
    queue()
    queue(purpose=Purpose.REMINDER, send_after=evening)

    send_due_sms.call()
    # The claim left a run at the end of its lease, which comes before the evening's message.
    [recovery] = DBTaskResult.objects.filter(status="READY")
    assert recovery.run_after == MONDAY_10AM + timedelta(minutes=2)

    monday_morning.move_to(recovery.run_after, tick=False)
    DBTaskResult.objects.filter(pk=recovery.pk).update(status="SUCCESSFUL")  # as a worker would
    send_due_sms.call()
    [following] = DBTaskResult.objects.filter(status="READY")
    assert following.run_after == evening


def test_after_a_worker_is_killed_mid_batch_an_idle_worker_sends_the_rest_at_once(
    transactional_db, settings, monday_morning
):
    # Committed for real: the worker's loop drops a connection left inside a transaction.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with transaction.atomic():  # queued together, one nudge at commit
        first, second, third = (queue() for _ in range(3))
    [run] = DBTaskResult.objects.ready()
    run.claim("killed-worker")  # a db_worker took the run (left RUNNING in the task table)...
    claim_next()  # ...claimed the first text, and was killed while sending it

    # Another worker, idle until now, with the clock still before the first text's lease ends.
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", stdout=io.StringIO())

    assert sorted(sms.message_id for sms in backends.outbox) == [second.pk, third.pk]
    first.refresh_from_db()
    assert first.status == Status.SENDING  # maybe sent: checked with the provider after its lease
    recovery = DBTaskResult.objects.get(status="READY")
    assert recovery.run_after == MONDAY_10AM + timedelta(minutes=2)


def test_a_sign_in_code_passes_the_texts_of_a_broadcast_queued_before_it(db, monday_morning):
    broadcast = [queue() for _ in range(3)]
    monday_morning.shift(timedelta(seconds=1))
    code = queue(purpose=Purpose.SIGN_IN_CODE)
    run_outbox()
    assert [sms.message_id for sms in backends.outbox] == [code.pk] + [m.pk for m in broadcast]


def test_the_send_sms_command_sends_what_is_due(db, monday_morning):
    queue()
    out = io.StringIO()
    call_command("send_sms", stdout=out)
    assert "sent 1" in out.getvalue()
    assert len(backends.outbox) == 1


def test_the_send_sms_command_hands_later_texts_to_the_task_worker(db, settings, monday_morning):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    evening = datetime(2026, 3, 9, 18, 0, tzinfo=TOKYO)
    queue(purpose=Purpose.REMINDER, send_after=evening)
    call_command("send_sms", stdout=io.StringIO())
    assert backends.outbox == []
    runs = DBTaskResult.objects.order_by("run_after").values_list("task_path", "run_after")
    # And the daily reminders' run (issue 13), the next morning at nine.
    assert list(runs) == [
        (send_due_sms.module_path, evening),
        (send_due_reminders.module_path, datetime(2026, 3, 10, 9, 0, tzinfo=TOKYO)),
    ]


def test_the_queue_command_shows_due_sending_failed_and_the_oldest_age(db, monday_morning):
    queue()
    monday_morning.shift(timedelta(minutes=20))
    failed = queue()
    OutboundMessage.objects.filter(pk=failed.pk).update(status=Status.FAILED)
    unknown = queue()
    OutboundMessage.objects.filter(pk=unknown.pk).update(status=Status.UNKNOWN)
    out, err = io.StringIO(), io.StringIO()
    call_command("sms_queue", stdout=out, stderr=err)
    assert "due now:        1" in out.getvalue()
    assert "failed:         1" in out.getvalue()
    assert "needs checking: 1" in out.getvalue()
    assert "oldest due age: 20 min 0 s" in out.getvalue()
    assert "stalled" in err.getvalue()


def killed_run(task=send_due_sms):
    """A run of `task` a worker took and was killed in: left "running" in the task table."""
    run = DBTaskResult.objects.get(pk=task.using(backend="default").enqueue().id)
    run.claim("killed-worker")
    return run


def test_the_queue_command_shows_task_runs_left_running_and_clears_the_stale_ones(
    db, settings, monday_morning
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    old = killed_run()
    monday_morning.shift(timedelta(minutes=85))
    recent = killed_run()
    monday_morning.shift(timedelta(minutes=5))

    out = io.StringIO()
    call_command("sms_queue", stdout=out)
    assert "task runs:      2 marked running, the oldest started 90 min 0 s ago" in out.getvalue()

    out = io.StringIO()
    call_command("sms_queue", "--clear-stale", stdout=out)  # older than an hour by default
    assert "cleared:        1 task run(s) running for over 60 min" in out.getvalue()
    assert "task runs:      1 marked running, the oldest started 5 min 0 s ago" in out.getvalue()
    old.refresh_from_db()
    assert old.status == "FAILED"
    assert old.finished_at == timezone.now()
    [error] = old.task_result.errors
    assert error.exception_class_path == "config.tasks.WorkerLost"

    call_command("sms_queue", "--clear-stale", "--older-than", "0", stdout=io.StringIO())
    recent.refresh_from_db()
    assert recent.status == "FAILED"
    assert not DBTaskResult.objects.filter(status="RUNNING").exists()


def test_the_queue_command_refuses_a_negative_age(db):
    with pytest.raises(CommandError):
        call_command("sms_queue", "--clear-stale", "--older-than", "-5", stdout=io.StringIO())


def test_the_health_check_reports_a_stalled_queue(
    client, db, monday_morning, django_assert_max_num_queries
):
    queue()
    monday_morning.shift(timedelta(minutes=10))
    assert client.get("/healthz").status_code == 200
    monday_morning.shift(timedelta(minutes=6))
    with django_assert_max_num_queries(5):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert "stalled" in response.content.decode()
    run_outbox()
    assert client.get("/healthz").status_code == 200


def test_the_health_check_is_not_alarmed_by_texts_waiting_out_the_night(client, db, time_machine):
    time_machine.move_to(datetime(2026, 3, 9, 20, 50, tzinfo=TOKYO), tick=False)
    queue(purpose=Purpose.REMINDER)
    time_machine.move_to(datetime(2026, 3, 9, 23, 50, tzinfo=TOKYO), tick=False)
    assert client.get("/healthz").status_code == 200


def test_a_coordinator_can_retry_a_failed_message(
    db, fake_twilio, monday_morning, django_capture_on_commit_callbacks
):
    fake_twilio.fail_next(21614)
    message = queue()
    run_outbox()
    with django_capture_on_commit_callbacks(execute=True):
        assert retry_failed(OutboundMessage.objects.filter(pk=message.pk)) == 1
    message.refresh_from_db()
    assert message.status == Status.QUEUED  # sent again at once by the nudged worker
    assert len(fake_twilio.posts()) == 2


def test_the_twilio_backend_refuses_to_start_without_its_account(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TWILIO_", "DJANGO_", "DIGISAPO_"))
    }
    env["DIGISAPO_SMS_BACKEND"] = "notifications.backends.TwilioBackend"
    env["DJANGO_DEBUG"] = "1"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "The Twilio SMS backend needs TWILIO_ACCOUNT_SID" in result.stderr


@pytest.mark.parametrize("value", ["21", "21,8,3", "21,x", "25,8"])
def test_bad_quiet_hours_fail_loudly(monkeypatch, value):
    monkeypatch.setenv("DIGISAPO_SMS_QUIET_HOURS", value)
    with pytest.raises(ImproperlyConfigured):
        env_int_list("DIGISAPO_SMS_QUIET_HOURS", "21,8", length=2, top=23)
