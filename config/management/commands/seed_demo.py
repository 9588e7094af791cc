"""`manage.py seed_demo`: demo data for trying digisapo (`make run` calls it). Safe to run again."""

from datetime import datetime, time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q

from config.demo import DEMO_USERNAMES, UPCOMING, DemoError, Outcome, seed_demo
from config.fiscal import TOKYO, FiscalYear
from consultations.models import Consultation
from consultations.services import annual_figures
from sessions.models import ClassRegistration, DispatchRequest, Session
from supporters.models import Supporter, User
from venues.models import Venue


class Command(BaseCommand):
    help = (
        "Fill the database with demo data: FY2024 as the city reported it, the years since, "
        "and the next eight weeks. Does nothing when the demo data is already there. "
        "The demo logins are added only when DEBUG is on."
    )

    def handle(self, *args, **options):
        try:
            outcome = seed_demo()
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        if outcome.created:
            self.stdout.write(self.style.SUCCESS(f"Created the demo data for {outcome.today}."))
        else:
            self.stdout.write("The demo data is already there: nothing was added.")
        self.write_summary(outcome)
        self.write_logins(outcome)

    def write_summary(self, outcome: Outcome):
        supporters = Supporter.objects.count()
        active = Supporter.objects.active_on(outcome.today).count()
        venues = Venue.objects.aggregate(
            all=Count("id"), helpdesks=Count("id", Q(is_helpdesk=True))
        )
        kinds = dict(
            Session.objects.values_list("kind").annotate(n=Count("id")).values_list("kind", "n")
        )
        horizon = datetime.combine(outcome.today + UPCOMING, time.min, tzinfo=TOKYO)
        upcoming = Session.objects.upcoming().filter(starts_at__lt=horizon).count()
        lines = [
            f"Venues: {venues['all']} ({venues['helpdesks']} help desks)",
            f"Supporters: {supporters} ({active} active today)",
            f"Sessions: {kinds.get('helpdesk', 0)} help desks, {kinds.get('dispatch', 0)} group "
            f"visits, {kinds.get('class', 0)} classes; {upcoming} in the next eight weeks",
            f"Consultations: {Consultation.objects.count()}; group-visit requests: "
            f"{DispatchRequest.objects.count()}; class registrations: "
            f"{ClassRegistration.objects.count()}",
        ]
        for start_year in range(2024, FiscalYear.of(outcome.today).start_year + 1):
            figures = annual_figures(FiscalYear(start_year))
            lines.append(
                f"{figures.fiscal_year.label}: {figures.helpdesk_sessions_held} help desks held, "
                f"{figures.consultations} consultations, {figures.dispatches_held} group visits "
                f"with {figures.dispatch_participants} participants, {figures.classes_held} "
                f"classes, {figures.active_supporters} supporters"
            )
        self.stdout.write("\n".join(f"  {line}" for line in lines))

    def write_logins(self, outcome: Outcome):
        if outcome.accounts_skipped:
            self.stdout.write("Demo logins skipped: DEBUG is off.")
            return
        present = set(
            User.objects.filter(username__in=DEMO_USERNAMES).values_list("username", flat=True)
        )
        roles = {
            "coordinator": "coordinator, can use the admin",
            "supporter": "level-3 supporter",
            "admin": "superuser",
        }
        logins = ", ".join(f"{name} ({role})" for name, role in roles.items() if name in present)
        self.stdout.write(f"Demo logins: {logins}; password: {settings.DEMO_PASSWORD}")
