from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from config.tasks import fail_stale_runs, running_runs
from notifications.services import outbox_problem, outbox_summary

# A healthy run takes seconds; its longest (a full batch, each text timing out) well under this.
STALE_AFTER_MINUTES = 60


class Command(BaseCommand):
    help = (
        "Show the SMS outbox: due, waiting, sending, failed, needing a check, the oldest due "
        "message's age, and task runs still marked running; --clear-stale marks old ones failed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--clear-stale",
            action="store_true",
            help="Mark task runs still 'running' after --older-than minutes as failed: their "
            "worker was killed (the outbox recovers their texts by itself).",
        )
        parser.add_argument(
            "--older-than",
            type=int,
            default=STALE_AFTER_MINUTES,
            metavar="MINUTES",
            help=f"With --clear-stale: how long a run may have been running (default "
            f"{STALE_AFTER_MINUTES}; 0 when no worker is running, as `make run` starts).",
        )

    def handle(self, *, clear_stale, older_than, **options):
        if older_than < 0:
            raise CommandError("--older-than must be 0 or more minutes.")
        if clear_stale:
            cleared = fail_stale_runs(timedelta(minutes=older_than))
            self.stdout.write(
                f"cleared:        {cleared} task run(s) running for over {older_than} min "
                "(marked failed)"
            )
        summary = outbox_summary()
        age = summary["oldest_due_age"]
        runs = running_runs()
        oldest_run = timezone.now() - runs["oldest"] if runs["oldest"] else None
        lines = [
            f"due now:        {summary['due']}",
            f"waiting:        {summary['waiting']} (due later, or in quiet hours)",
            f"sending:        {summary['sending']} ({summary['stuck']} past their lease)",
            f"failed:         {summary['failed']}",
            f"needs checking: {summary['unknown']} (the provider could not be asked; not resent)",
            f"oldest due age: {_minutes(age) if age is not None else '-'}",
            f"task runs:      {runs['count']} marked running"
            + (f", the oldest started {_minutes(oldest_run)} ago" if oldest_run else ""),
        ]
        self.stdout.write("\n".join(lines))
        if problem := outbox_problem():
            self.stderr.write(problem)


def _minutes(age) -> str:
    seconds = int(age.total_seconds())
    return f"{seconds // 60} min {seconds % 60} s"
