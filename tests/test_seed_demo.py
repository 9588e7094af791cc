"""`manage.py seed_demo`, seeded once for the module on a frozen day (2026-11-23, a Monday)."""

from datetime import date, datetime, time, timedelta
from io import StringIO

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db.models import Count, Exists, OuterRef, Q

from config.demo import DEMO_SUPPORTER_PHONE, DEMO_USERNAMES, DemoError, ensure_demo_accounts
from config.fiscal import TOKYO, FiscalYear
from consultations.models import Consultation, SessionReport
from consultations.services import annual_figures
from consultations.statistics.report import build_annual_report
from sessions.models import ClassRegistration, DispatchRequest, Session, Shift
from supporters.models import Supporter, User
from supporters.phones import validate_e164
from tests import factories
from venues.models import HelpdeskSchedule, Venue

TODAY = date(2026, 11, 23)
NOW = datetime.combine(TODAY, time(10), tzinfo=TOKYO)
IN_EIGHT_WEEKS = datetime.combine(TODAY + timedelta(weeks=8), time.min, tzinfo=TOKYO)
FY2024 = FiscalYear(2024)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo data, made once with DEBUG off and rolled back after the module's tests."""
    with factories.made_once(
        django_db_blocker, "seed_demo", now=NOW, debug=False, stdout=StringIO()
    ):
        yield


@pytest.fixture
def demo(seeded, db):
    """Each test runs inside its own savepoint on top of the seeded data."""


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = [
        User, Supporter, Venue, HelpdeskSchedule, Session, Shift, Consultation, SessionReport,
        DispatchRequest, ClassRegistration, Supporter.skills.through, Supporter.languages.through,
        DispatchRequest.topics.through,
    ]  # fmt: skip
    return {model._meta.label: model.objects.count() for model in models}


def test_fy2024_figures_are_the_citys_own(demo):
    figures = annual_figures(FY2024)

    assert figures.helpdesk_sessions_held == 175
    assert figures.consultations == 1523
    assert figures.dispatches_held == 72
    assert figures.dispatch_participants == 658
    assert figures.active_supporters == 132
    assert figures.classes_held > 0


def test_the_annual_report_for_fy2024_shows_the_citys_table_and_every_breakdown(demo):
    with time_machine.travel(NOW, tick=False):
        report = build_annual_report(FY2024)
    headline = report.headline

    assert [headline[key] for key in ("help_desk_sessions", "consultations", "dispatches")] == [
        175,
        1523,
        72,
    ]
    assert (headline["dispatch_participants"], headline["active_supporters"]) == (658, 132)
    # Residents come back to classes: fewer people than attendances; some became supporters.
    assert 0 < headline["class_distinct_participants"] < headline["class_participants"]
    became = report.table("course_to_supporter").rows[1].values["people"]
    assert became > 0
    for table in report.tables:
        assert table.rows, table.key
        values = [v for row in table.all_rows for v in row.values.values() if v]
        assert values, f"{table.key} has nothing to show"
    for key in ("classes_by_level", "classes_by_organiser", "classes_by_devices"):
        assert len(report.table(key).rows) >= 2, key


def test_each_helpdesk_venue_held_25_sessions_in_fy2024_from_its_schedule(demo):
    per_venue = (
        Session.objects.in_fiscal_year(FY2024)
        .took_place()
        .of_kind(Session.Kind.HELPDESK)
        .values("venue__name")
        .annotate(n=Count("id"), scheduled=Count("schedule"))
    )

    assert len(per_venue) == 7
    assert {(row["n"], row["scheduled"]) for row in per_venue} == {(25, 25)}


def test_cancelled_sessions_exist_and_do_not_count(demo):
    fy2024 = Session.objects.in_fiscal_year(FY2024)
    cancelled = fy2024.filter(status=Session.Status.CANCELLED)
    not_cancelled = fy2024.exclude(status=Session.Status.CANCELLED)

    assert cancelled.of_kind(Session.Kind.HELPDESK).exists()
    assert cancelled.of_kind(Session.Kind.DISPATCH).exists()
    assert not cancelled.filter(cancellation_reason="").exists()
    assert not_cancelled.of_kind(Session.Kind.HELPDESK).count() == 175
    assert not_cancelled.of_kind(Session.Kind.DISPATCH).count() == 72
    assert not Consultation.objects.filter(session__status=Session.Status.CANCELLED).exists()
    assert not Shift.objects.filter(session__in=cancelled).exclude(status="cancelled").exists()


def test_fy2025_grew_by_five_to_ten_percent(demo):
    before, after = annual_figures(FY2024), annual_figures(FiscalYear(2025))

    for figure in ("helpdesk_sessions_held", "consultations", "dispatches_held"):
        growth = getattr(after, figure) / getattr(before, figure)
        assert 1.05 <= growth <= 1.10, figure
    assert 1.03 <= after.active_supporters / before.active_supporters <= 1.10


def test_every_held_session_had_started_when_the_demo_was_made(demo):
    held = Session.objects.filter(status=Session.Status.HELD)

    assert held.count() > 175
    assert not held.filter(starts_at__gt=NOW).exists()


def test_every_dispatch_and_report_has_at_least_three_residents(demo):
    held = Session.objects.filter(status=Session.Status.HELD).of_kind(Session.Kind.DISPATCH)

    assert not held.filter(Q(report__isnull=True) | Q(report__participants__lt=3)).exists()
    assert not held.exclude(dispatch_request__status=DispatchRequest.Status.DONE).exists()
    assert not DispatchRequest.objects.filter(residents_count__lt=3).exists()


def test_held_sessions_have_one_lead_who_checked_in(demo):
    held = Session.objects.filter(status=Session.Status.HELD).annotate(
        leads=Count("shifts", filter=Q(shifts__role=Shift.Role.LEAD)),
        leads_in=Count(
            "shifts",
            filter=Q(shifts__role=Shift.Role.LEAD, shifts__checked_in_at__isnull=False),
        ),
    )

    assert set(held.values_list("leads", "leads_in").distinct()) == {(1, 1)}
    assert Shift.objects.filter(status=Shift.Status.NO_SHOW).exists()
    assert not Shift.objects.filter(
        status=Shift.Status.ATTENDED, checked_in_at__isnull=True
    ).exists()


def test_consultations_are_recorded_by_a_supporter_of_their_session(demo):
    attended = Shift.objects.filter(
        session=OuterRef("session"),
        supporter__user=OuterRef("recorded_by"),
        status=Shift.Status.ATTENDED,
    )

    assert Consultation.objects.filter(Exists(attended)).count() == Consultation.objects.count()


def test_supporters_joined_and_left_since_fy2024_and_phones_are_valid_and_distinct(demo):
    end_of_fy2024 = FY2024.last_day

    assert Supporter.objects.filter(joined_on__gt=end_of_fy2024).exists()
    assert Supporter.objects.filter(status="withdrawn", withdrawn_on__gt=end_of_fy2024).exists()
    assert Supporter.objects.filter(status="paused", paused_on__gt=end_of_fy2024).exists()
    assert set(Supporter.objects.values_list("training_level", flat=True)) == {1, 2, 3, 4, 5}
    phones = list(User.objects.exclude(phone="").values_list("phone", flat=True))
    assert len(phones) == len(set(phones)) == Supporter.objects.count()
    for phone in phones:
        validate_e164(phone)


def test_running_twice_changes_no_counts(demo):
    before = counts()

    output = seed()

    assert counts() == before
    assert "already there" in output
    assert annual_figures(FY2024).consultations == 1523


def test_without_debug_no_demo_accounts_are_created(demo, settings):
    settings.DEBUG = False

    output = seed()

    assert not User.objects.filter(username__in=DEMO_USERNAMES).exists()
    assert "Demo logins skipped" in output
    with pytest.raises(DemoError):
        ensure_demo_accounts()
    assert not User.objects.filter(username__in=DEMO_USERNAMES).exists()


def test_with_debug_the_demo_logins_are_added_once(demo, settings):
    settings.DEBUG = True

    output = seed()
    again = counts()
    seed()

    assert counts() == again
    assert django_settings.DEMO_PASSWORD in output
    coordinator = User.objects.get(username="coordinator")
    assert coordinator.is_staff
    assert coordinator.is_coordinator
    assert coordinator.check_password(django_settings.DEMO_PASSWORD)
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    # The demo supporter is one of the roster, so FY2024 still has 132.
    assert annual_figures(FY2024).active_supporters == 132


def test_the_demo_supporter_is_level_3_with_a_phone_and_shifts(demo, settings):
    settings.DEBUG = True
    seed()

    user = User.objects.get(username="supporter")

    assert user.check_password(django_settings.DEMO_PASSWORD)
    assert (user.phone, user.phone_verified) == (DEMO_SUPPORTER_PHONE, True)
    assert user.supporter.training_level == 3
    shifts = user.supporter.shifts
    assert shifts.filter(status=Shift.Status.SIGNED_UP, session__starts_at__gt=NOW).count() >= 2
    assert shifts.filter(status=Shift.Status.ATTENDED, session__starts_at__lt=NOW).count() >= 5


def test_the_next_eight_weeks_have_places_and_seats_left(demo):
    upcoming = Session.objects.upcoming().filter(starts_at__lt=IN_EIGHT_WEEKS)
    helpdesks = list(upcoming.of_kind(Session.Kind.HELPDESK).with_staffing())
    classes = list(upcoming.of_kind(Session.Kind.CLASS).with_seats_taken())

    assert len(helpdesks) >= 20
    assert {s.status for s in helpdesks} == {Session.Status.SCHEDULED}
    assert sum(s.places_left() > 0 for s in helpdesks) > len(helpdesks) / 2
    assert any(s.staffed > 0 for s in helpdesks)
    assert upcoming.of_kind(Session.Kind.DISPATCH).count() >= 3
    assert len(classes) >= 5
    assert all(10 <= s.capacity <= 20 for s in classes)
    assert any(s.loaner_devices for s in classes)
    assert sum(s.seats_left() > 0 for s in classes) == len(classes) - 1
    full = next(s for s in classes if s.seats_left() == 0)
    positions = full.registrations.filter(status=ClassRegistration.Status.WAITLISTED)
    assert sorted(positions.values_list("waitlist_position", flat=True)) == [1, 2, 3]


def test_dispatch_requests_exist_in_every_status(demo):
    statuses = set(DispatchRequest.objects.values_list("status", flat=True))

    assert statuses == set(DispatchRequest.Status.values)
    scheduled = DispatchRequest.objects.filter(status=DispatchRequest.Status.SCHEDULED)
    assert not scheduled.exclude(session__starts_at__gt=NOW, session__status="scheduled").exists()
    assert not DispatchRequest.objects.filter(created_at__gt=NOW).exists()
    assert {"web", "phone", "paper"} == set(
        DispatchRequest.objects.values_list("channel", flat=True)
    )


def test_the_command_refuses_before_fy2024_is_over(db):
    with time_machine.travel("2025-03-01 10:00 +0900"), pytest.raises(CommandError):
        seed()


def test_the_demo_is_a_package_with_one_builder_per_app_over_its_fixed_data():
    from config import demo
    from config.demo import consultations, data, sessions, supporters, venues

    builders = [venues.VenueBuilder, supporters.SupporterBuilder, sessions.SessionBuilder]
    builders.append(consultations.ConsultationBuilder)
    assert all(issubclass(demo.DemoBuilder, builder) for builder in builders)
    assert data.FY2024_CONSULTATIONS == 1523
    assert not hasattr(data, "Session"), "the fixed data imports no builder's models"


def test_no_text_of_the_project_points_to_a_file_it_does_not_have():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    sources = [
        path
        for folder in ("config", "supporters", "venues", "sessions", "consultations", "docs")
        for path in (root / folder).rglob("*")
        if path.suffix in {".py", ".html", ".md", ".txt"}
    ]
    sources.append(root / "README.md")
    assert [path.name for path in sources if "DOMAIN.md" in path.read_text()] == []


def test_every_class_has_a_level_and_an_organiser_and_two_series_show(demo):
    classes = Session.objects.of_kind(Session.Kind.CLASS)

    assert not classes.filter(Q(class_level__isnull=True) | Q(organiser="")).exists()
    assert set(classes.values_list("organiser", flat=True)) == set(Session.Organiser.values)
    assert set(classes.values_list("class_level", flat=True)) == {1, 2, 3, 4, 5}
    course = classes.filter(series__title="スマホ講座 5段階コース").order_by("starts_at")
    assert [c.class_level for c in course] == [1, 2, 3, 4, 5]
    assert len({c.venue_id for c in course}) == 1
    assert all(c.starts_at > NOW for c in course)
    monthly = classes.filter(series__title="月例LINE教室")
    assert monthly.filter(status=Session.Status.HELD).exists()
    assert monthly.filter(starts_at__gt=NOW).exists()
