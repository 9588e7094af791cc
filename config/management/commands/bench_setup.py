"""`manage.py bench_setup`: the benchmark's data (`make bench`, issue 9). Safe to run again.

The demo data plus a full year of upcoming help-desk sessions, as the city will have once every
schedule is generated for its fiscal year; `--session-for` signs a user in without the form (for
wrk's cookie); `--server-times` times each benchmarked page through Django's test client.
"""

import json
import statistics
import time
import uuid
from contextlib import suppress
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from config.bench.pages import CLASS, PAGES, STATUS_TOKEN, TALLY, USERNAME, VENUE
from consultations.models import Topic
from consultations.services import TALLY_OPENS_BEFORE
from sessions.models import DispatchRequest, Session, Shift
from sessions.services import generate_helpdesk_sessions
from supporters.services import create_api_token
from venues.models import HelpdeskSchedule, Venue

AHEAD = timedelta(days=365)
# The help desk whose tally the benchmark records into, told apart by its title.
TALLY_TITLE = "make bench: the tally"


class Command(BaseCommand):
    help = (
        "Prepare the benchmark's database: the demo data and a year of upcoming help-desk "
        "sessions. --session-for prints a session key for a user; --server-times times each "
        "benchmarked page through the test client."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--session-for", metavar="USERNAME", help="Print a new session key for USERNAME."
        )
        parser.add_argument(
            "--server-times",
            action="store_true",
            help="Print each page's median server time and query count (test client).",
        )
        parser.add_argument(
            "--requests", type=int, default=20, help="Requests per page for --server-times."
        )
        parser.add_argument(
            "--paths",
            action="store_true",
            help="Print what each page that names a row is driven as: `KEY path [JSON body]`.",
        )

    def handle(self, *args, session_for, server_times, requests, paths, **options):
        if session_for:
            self.stdout.write(signed_in_session_key(session_for))
        elif paths:
            # Each run records into a help desk of its own, empty as a desk's tally is each
            # morning: the count every tap answers reads the session's entries, and one session
            # for every run of a day made each run slower than the one before.
            for key, (path, body) in driven_paths(fresh_tally=True).items():
                self.stdout.write(f"{key} {path} {json.dumps(body)}" if body else f"{key} {path}")
        elif server_times:
            self.write_server_times(requests)
        else:
            call_command("seed_demo", stdout=self.stdout)
            today = timezone.localdate()
            schedules = HelpdeskSchedule.objects.current_or_upcoming(today)
            for schedule in schedules:
                generate_helpdesk_sessions(schedule, today, today + AHEAD)
            give_status_token()
            upcoming = Session.objects.upcoming().count()
            self.stdout.write(
                f"{schedules.count()} help-desk schedules generated to {today + AHEAD}; "
                f"{upcoming} upcoming sessions."
            )
            # VACUUM cannot run in a transaction: inside one (a test) there is nothing to do.
            if connection.vendor == "postgresql" and not connection.in_atomic_block:
                # The rows just written would otherwise wake autovacuum and the checkpointer
                # during the first pages' runs, whose CPU would count against them (the first
                # page measured was 5-10 points lower whichever it was): done now.
                with connection.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE")
                    # CHECKPOINT needs a superuser or pg_checkpoint: without, it is skipped.
                    with suppress(DatabaseError):
                        cursor.execute("CHECKPOINT")

    def write_server_times(self, requests: int):
        """One line per page: `TIME <path> <median ms> <queries>`, after one warm-up request."""
        user = get_user(USERNAME)
        token, key = create_api_token(user, "bench_setup --server-times")
        host = settings.ALLOWED_HOSTS[0] if settings.ALLOWED_HOSTS else "testserver"
        try:
            driven = driven_paths()
            for _label, path, who in PAGES:
                client = Client(SERVER_NAME=host, HTTP_X_FORWARDED_PROTO="https")
                if who == "cookie":
                    client.force_login(user)
                headers = {"authorization": f"Bearer {key}"} if who == "token" else {}
                times, queries = [], 0
                for attempt in range(requests + 1):
                    with CaptureQueriesContext(connection) as captured:
                        started = time.perf_counter()
                        real, body = driven.get(path, (path, None))
                        if body:  # the tally: a fresh key each time, as each tap has
                            body = {"key": str(uuid.uuid4()), **body}
                            response = client.post(
                                real, body, content_type="application/json", headers=headers
                            )
                        else:
                            response = client.get(real, headers=headers)
                        elapsed = time.perf_counter() - started
                    if response.status_code not in (200, 201):
                        raise CommandError(f"{path} answered {response.status_code}, not 200")
                    if attempt:  # the first request warms the template and URL caches
                        times.append(elapsed)
                        queries = len(captured)
                median_ms = statistics.median(times) * 1000
                self.stdout.write(f"TIME {path} {median_ms:.1f} {queries}")
        finally:
            token.delete()


def driven_paths(fresh_tally: bool = False) -> dict[str, tuple[str, dict | None]]:
    """The real path (and body) of each benchmarked page that names a row of the data; with
    `fresh_tally`, the tally's call is into a new help desk (`tally_call_now`)."""
    venue = Venue.objects.helpdesks().order_by("pk").first()
    a_class = Session.objects.class_list().first()
    return {
        VENUE: (reverse("helpdesk_sessions:venue", args=[venue.pk]), None),
        CLASS: (reverse("helpdesk_sessions:class_detail", args=[a_class.pk]), None),
        TALLY: tally_call_now(fresh=fresh_tally),
    }


def tally_call_now(fresh: bool = False) -> tuple[str, dict]:
    """A tally record call the demo supporter may make now: the path of a help desk whose tally
    is open (made, with the supporter on its team, when `fresh` or unless one still is: the
    latest made) and the body."""
    now = timezone.now()
    supporter = get_user(USERNAME).supporter
    session = (
        Session.objects.filter(
            title=TALLY_TITLE,
            starts_at__lte=now + TALLY_OPENS_BEFORE,
            starts_at__date__gte=timezone.localdate(now),
        )
        .order_by("-starts_at", "-pk")
        .first()
    )
    if fresh or session is None:
        # Starting in 20 minutes: open now (30 minutes before), and until the end of its day.
        starts_at = now.replace(second=0, microsecond=0) + timedelta(minutes=20)
        venue = Session.objects.filter(kind=Session.Kind.HELPDESK).first().venue
        session = Session.objects.create(
            kind=Session.Kind.HELPDESK,
            title=TALLY_TITLE,
            venue=venue,
            district_id=venue.district_id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
        )
        Shift.objects.create(session=session, supporter=supporter)
    topic = Topic.objects.filter(is_active=True).order_by("pk").first()
    body = {
        "topic": topic.pk,
        "device": "android",
        "age_band": "70s",
        "language": "ja",
        "resolved": True,
        "minutes": 10,
    }
    return f"/api/sessions/{session.pk}/consultations", body


def give_status_token():
    """The status page driven is a scheduled request's: the first one gets the known key."""
    if DispatchRequest.objects.filter(status_token=STATUS_TOKEN).exists():
        return
    scheduled = DispatchRequest.objects.filter(status=DispatchRequest.Status.SCHEDULED)
    scheduled.filter(pk=scheduled.order_by("pk").values("pk")[:1]).update(status_token=STATUS_TOKEN)


def get_user(username: str):
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(
            f"No active user {username!r}: the demo logins need DJANGO_DEBUG=1 when seeding."
        )
    return user


def signed_in_session_key(username: str) -> str:
    """A database session signed in as `username`, as django.contrib.auth.login would store it."""
    user = get_user(username)
    session = SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key
