"""`manage.py send_reminders`: queue the reminders the apps plan by the day (insurance running
out) that are due today, now, and schedule the daily run. The worker does this each morning on
its own (`send_due_reminders`); this is for an operator, or a daily cron where no worker runs.
Running it again the same day queues nothing twice."""

from django.core.management.base import BaseCommand

from notifications.planners import queue_planned_reminders
from notifications.tasks import schedule_daily_reminders


class Command(BaseCommand):
    help = "Queue today's planned reminders (e.g. volunteer insurance running out)."

    def handle(self, *args, **options):
        count = queue_planned_reminders()
        schedule_daily_reminders()
        self.stdout.write(f"{count} reminder(s) planned for today.")
