"""Demo data for `manage.py seed_demo`: a believable Maebashi whose FY2024 is the city's own.

令和6年度 (FY2024) reproduces the city's published figures exactly (175 help desks, 25 at each
of seven halls, with 1,523 consultations; 72 group visits with 658 residents; 132 active
supporters); the years since grow a little; the next eight weeks have help desks, group visits
and classes to book. Seeded generators and fixed lists make the data the same for a given day;
the whole run is one transaction of bulk inserts. Reference data (districts, topics, skills,
languages) comes from the migrations.

The package: `data` holds the fixed facts (figures, halls, names, texts, weights), `base` what
the builders share, and one builder per app (`venues`, `supporters`, `sessions`,
`consultations`) adds that app's rows; `DemoBuilder` runs them in order.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from config.demo.consultations import ConsultationBuilder
from config.demo.data import DEMO_SUPPORTER_PHONE, DEMO_USERNAMES, FY2024, HALLS, UPCOMING
from config.demo.sessions import SessionBuilder
from config.demo.supporters import SupporterBuilder
from config.demo.venues import VenueBuilder
from supporters.models import COORDINATORS_GROUP, User
from venues.models import Venue

__all__ = [
    "DEMO_SUPPORTER_PHONE",
    "DEMO_USERNAMES",
    "UPCOMING",
    "DemoError",
    "Outcome",
    "ensure_demo_accounts",
    "seed_demo",
]


class DemoError(Exception):
    pass


@dataclass
class Outcome:
    today: date
    created: bool
    accounts: list[str]
    accounts_skipped: bool


def seed_demo() -> Outcome:
    """Create the demo data unless present; add the demo logins only when DEBUG is on."""
    today = timezone.localdate()
    if today <= FY2024.last_day:
        raise DemoError("The demo data needs FY2024 to be over: today must be after 2025-03-31.")
    with transaction.atomic():
        created = not demo_data_exists()
        if created:
            DemoBuilder(today).build()
        accounts = ensure_demo_accounts() if settings.DEBUG else []
    return Outcome(today, created, accounts, accounts_skipped=not settings.DEBUG)


def demo_data_exists() -> bool:
    return Venue.objects.filter(name__in=[hall.name for hall in HALLS]).exists()


def ensure_demo_accounts() -> list[str]:
    """Create the missing demo logins; returns the usernames created. Never with DEBUG off."""
    if not settings.DEBUG:
        raise DemoError("Demo accounts are only for development (DEBUG on).")
    existing = set(
        User.objects.filter(username__in=DEMO_USERNAMES).values_list("username", flat=True)
    )
    created = []
    password = make_password(settings.DEMO_PASSWORD) if len(existing) < len(DEMO_USERNAMES) else ""
    if "coordinator" not in existing:
        coordinator = User.objects.create(
            username="coordinator",
            password=password,
            last_name="前橋",
            first_name="調整",
            is_staff=True,
        )
        coordinator.groups.add(Group.objects.get_or_create(name=COORDINATORS_GROUP)[0])
        created.append("coordinator")
    if "admin" not in existing:
        User.objects.create(username="admin", password=password, is_staff=True, is_superuser=True)
        created.append("admin")
    # The demo supporter is one of the roster (so FY2024 still counts 132): its account gets
    # the demo username and password.
    if "supporter" not in existing:
        updated = User.objects.filter(phone=DEMO_SUPPORTER_PHONE, supporter__isnull=False).update(
            username="supporter", password=password
        )
        if updated:
            created.append("supporter")
    return created


class DemoBuilder(VenueBuilder, SupporterBuilder, SessionBuilder, ConsultationBuilder):
    """Builds the whole demo in memory, one app after the other, and inserts it in bulk."""

    def build(self):
        self.add_venues()
        self.add_supporters()
        self.add_device_skills_and_availability()
        self.add_topic_skills()
        self.add_helpdesk_sessions()
        self.add_dispatches()
        self.add_classes()
        self.add_shifts()
        self.add_consultations()
        self.add_reports_and_registrations()
        self.add_feedback()
        self.add_open_requests()
        self.save_requests()
