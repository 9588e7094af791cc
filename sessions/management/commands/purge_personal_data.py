"""`manage.py purge_personal_data`: remove the group-visit representatives' and the class
registrants' details that are due now (the worker does it on its own; this is for an operator,
or a cron where no worker runs)."""

from django.core.management.base import BaseCommand

from sessions.services.registrations import purge_registrations_due
from sessions.services.requests import purge_due


class Command(BaseCommand):
    help = (
        "Remove group-visit representatives' and class registrants' personal data that is past "
        "its retention period."
    )

    def handle(self, *args, **options):
        count = purge_due()
        self.stdout.write(f"{count} request(s) purged.")
        count = purge_registrations_due()
        self.stdout.write(f"{count} class registration(s) purged.")
