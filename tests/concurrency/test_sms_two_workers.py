"""Two workers claiming the same outbox at once never send a message twice (PostgreSQL)."""

import threading
import time
from collections import Counter

import pytest
from django.db import connections
from django.db.models import F

from notifications import backends
from notifications.backends import InMemoryBackend
from notifications.models import OutboundMessage
from notifications.tasks import send_due_messages

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

Status = OutboundMessage.Status


class SlowInMemoryBackend(InMemoryBackend):
    """Takes a moment per text, as a real provider does, so the workers interleave."""

    def send(self, message):
        time.sleep(0.005)
        return super().send(message)


def fill_outbox(count):
    OutboundMessage.objects.bulk_create(
        OutboundMessage(
            to=f"+81901234{n:04d}",
            body=f"text {n}",
            purpose=OutboundMessage.Purpose.BROADCAST,
            idempotency_key=f"race:{n}",
        )
        for n in range(count)
    )


def run_workers_together(work, count=2):
    """Run `work` in `count` threads released at the same instant; returns their results."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def worker(index):
        try:
            barrier.wait(timeout=10)
            results[index] = work()
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def test_without_the_claim_two_workers_send_the_same_message(settings, monkeypatch):
    """The race the claim prevents: read the next due message, then mark it, with no lock."""
    settings.SMS_QUIET_HOURS = (0, 0)
    fill_outbox(1)
    both_read = threading.Barrier(2, timeout=10)

    def claim_without_lock():
        message = OutboundMessage.objects.sendable().order_by("send_after", "pk").first()
        if message is None:
            return None
        both_read.wait()
        OutboundMessage.objects.filter(pk=message.pk).update(
            status=Status.SENDING, attempts=F("attempts") + 1
        )
        message.status = Status.SENDING
        return message

    monkeypatch.setattr("notifications.tasks.claim_next", claim_without_lock)
    run_workers_together(lambda: send_due_messages(InMemoryBackend(), limit=1))
    assert len(backends.outbox) == 2  # one message, sent twice


def test_two_workers_claiming_at_once_never_send_a_message_twice(settings):
    settings.SMS_QUIET_HOURS = (0, 0)
    fill_outbox(40)
    handled = run_workers_together(lambda: send_due_messages(SlowInMemoryBackend()))
    assert sum(handled) == 40
    assert all(count > 0 for count in handled)  # both really worked the queue
    sends = Counter(sms.message_id for sms in backends.outbox)
    assert len(sends) == 40
    assert set(sends.values()) == {1}
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {Status.SENT}
