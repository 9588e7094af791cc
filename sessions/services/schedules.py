"""Help-desk sessions from the venues' recurring schedules, skipping the days venues are closed."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from sessions.models import Session
from venues.closures import closed_days
from venues.models import HelpdeskSchedule


def generate_helpdesk_sessions(
    schedule: HelpdeskSchedule, first: date, last: date
) -> list[Session]:
    """Create the schedule's missing help-desk sessions in [first, last]; return all, in order."""
    with transaction.atomic():
        # Two coordinators generating the same schedule at once would both see a date as free:
        # the row lock makes the second wait and then find the first one's sessions.
        schedule = (
            HelpdeskSchedule.objects.select_for_update(of=("self",))
            .select_related("venue")
            .get(pk=schedule.pk)
        )
        # One session per date, matched by date rather than by time: a schedule whose hours
        # changed must not add a second sitting on a day that already has one (or had one
        # cancelled).
        existing = {
            timezone.localdate(session.starts_at): session
            for session in Session.objects.filter(schedule=schedule).on_dates(first, last)
        }
        closed = closed_days(schedule.venue, first, last)
        missing = []
        for day in schedule.dates_between(first, last):
            if day in existing or day in closed:
                continue
            starts_at, ends_at = schedule.occurrence(day)
            missing.append(
                Session(
                    kind=Session.Kind.HELPDESK,
                    status=Session.Status.SCHEDULED,
                    schedule=schedule,
                    venue=schedule.venue,
                    district_id=schedule.venue.district_id,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    supporters_needed=schedule.supporters_needed,
                )
            )
        created = Session.objects.bulk_create(missing)
    return sorted([*existing.values(), *created], key=lambda session: session.starts_at)
