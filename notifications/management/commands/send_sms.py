"""Send the texts that are due: once, or (--loop) until stopped. `db_worker` does the same work
through the `send_due_sms` task; with --loop this command needs no task worker at all.

Run once before starting `db_worker` (e.g. in `make run`), it also recovers what a worker killed
earlier left behind and schedules the task for the next due text, and the daily reminders' run
(`send_due_reminders`; where no worker runs, `manage.py send_reminders` from cron does that)."""

import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from notifications.backends import get_backend
from notifications.tasks import (
    next_run_at,
    run_outbox,
    schedule_daily_reminders,
    schedule_next_run,
)


class Command(BaseCommand):
    help = "Send due SMS from the outbox (recovering any a dead worker left); --loop to keep on."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep sending until stopped.")
        parser.add_argument(
            "--interval",
            type=float,
            default=5.0,
            help="Longest sleep between passes, in seconds (default 5).",
        )

    def handle(self, *, loop, interval, verbosity, **options):
        self.stopping = False
        if loop:
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        backend = get_backend()
        while True:
            if loop:
                close_old_connections()  # a long-lived worker outlives database restarts
            outcome = run_outbox(backend)
            if verbosity > 1 or (outcome["sent"] or outcome["reconciled"]):
                self.stdout.write(
                    f"{timezone.localtime():%H:%M:%S} sent {outcome['sent']}, "
                    f"recovered {outcome['reconciled']}"
                )
            if not loop:
                schedule_next_run()  # hand what is due later to the task worker
                schedule_daily_reminders()  # and start the daily run, if none is waiting
                return
            if self.stopping:
                return
            self.sleep(interval)

    def sleep(self, interval):
        """Sleep until the next message is due, at most `interval`, waking early to stop."""
        next_at = next_run_at()
        wait = interval if next_at is None else (next_at - timezone.now()).total_seconds()
        deadline = time.monotonic() + min(max(wait, 0.05), interval)
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self, signum, frame):
        # Finish the message in hand, then stop: a claimed message is never left half-done.
        self.stopping = True
