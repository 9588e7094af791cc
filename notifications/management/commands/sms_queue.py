from django.core.management.base import BaseCommand

from notifications.services import outbox_problem, outbox_summary


class Command(BaseCommand):
    help = "Show the SMS outbox: due, waiting, sending, failed, and the oldest due message's age."

    def handle(self, **options):
        summary = outbox_summary()
        age = summary["oldest_due_age"]
        lines = [
            f"due now:        {summary['due']}",
            f"waiting:        {summary['waiting']} (due later, or in quiet hours)",
            f"sending:        {summary['sending']} ({summary['stuck']} past their lease)",
            f"failed:         {summary['failed']}",
            f"needs checking: {summary['unknown']} (the provider could not be asked; not resent)",
            f"oldest due age: {_minutes(age) if age is not None else '-'}",
        ]
        self.stdout.write("\n".join(lines))
        if problem := outbox_problem():
            self.stderr.write(problem)


def _minutes(age) -> str:
    seconds = int(age.total_seconds())
    return f"{seconds // 60} min {seconds % 60} s"
