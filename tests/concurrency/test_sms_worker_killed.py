"""A worker killed in the middle of a batch loses nothing and sends nothing twice (PostgreSQL).

The real worker (`manage.py db_worker` as `make run` starts it, or `manage.py send_sms --loop`)
runs as a subprocess against the test database and the fake Twilio, which answers slowly so the
kill lands mid-send.
"""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection, transaction

from notifications.models import OutboundMessage
from notifications.services import queue_sms
from tests.fake_twilio import FakeTwilio

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
Status = OutboundMessage.Status
MESSAGES = 10
LEASE_SECONDS = 2


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


WORKERS = {
    # What `make run` starts: the tasks worker running the send_due_sms task.
    "db_worker": ["db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"],
    # The stand-alone loop, for hosts that run no task worker.
    "send_sms": ["send_sms", "--loop", "--interval", "0.2"],
}


def start_worker(command: list[str], fake: FakeTwilio, log: Path) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DJANGO_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "DIGISAPO_SMS_BACKEND": "notifications.backends.TwilioBackend",
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "TWILIO_FROM": "+815012345678",
        "TWILIO_BASE_URL": fake.url,
        "DIGISAPO_SMS_LEASE_SECONDS": str(LEASE_SECONDS),
        "DIGISAPO_SMS_QUIET_HOURS": "0,0",  # the test may run at night
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
    )


@pytest.mark.parametrize("worker", WORKERS)
def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    settings, tmp_path, worker
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.SMS_QUIET_HOURS = (0, 0)
    log = tmp_path / "worker.log"
    bodies = [f"明日10:00 東公民館 ({n})" for n in range(MESSAGES)]
    with FakeTwilio(delay=0.3) as fake:
        with transaction.atomic():  # the nudge queues the worker's task at commit
            for n, body in enumerate(bodies):
                queue_sms(f"+8190123456{n:02d}", body, purpose="reminder", key=f"kill:{n}")

        first = start_worker(WORKERS[worker], fake, log)
        try:
            wait_for(lambda: len(fake.messages) >= 3, 30, "three texts at the fake")
            first.send_signal(signal.SIGKILL)  # mid-batch: the third text is in flight
            first.wait(timeout=10)
        finally:
            first.kill()

        in_flight = list(OutboundMessage.objects.filter(status=Status.SENDING))
        assert [message.body for message in in_flight] == [fake.messages[-1]["body"]]
        assert OutboundMessage.objects.filter(status=Status.PENDING).count() >= MESSAGES - 3

        second = start_worker(WORKERS[worker], fake, log)
        try:
            wait_for(
                lambda: (
                    not OutboundMessage.objects.filter(
                        status__in=[Status.PENDING, Status.SENDING]
                    ).exists()
                ),
                30,
                "every text to be sent",
            )
        finally:
            second.terminate()
            second.wait(timeout=10)

        received = Counter(fake.sent_bodies())
        assert received == Counter(bodies), log.read_text()
        messages = OutboundMessage.objects.all()
        assert {message.status for message in messages} == {Status.QUEUED}
        assert {message.provider_id for message in messages} == {
            sent["sid"] for sent in fake.messages
        }
        assert all(message.sent_at for message in messages)
        recovered = OutboundMessage.objects.get(pk=in_flight[0].pk)
        assert recovered.attempts == 1  # found at Twilio, not sent again
