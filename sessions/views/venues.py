"""The public help-desk venue pages (issue 11): every help desk with its next dates, one venue's
page for someone who has never used the site, and its printable A4 month."""

from datetime import date, datetime, time, timedelta

from django.core.exceptions import BadRequest
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from config.fiscal import TOKYO
from config.inputs import FIRST_DATE, LAST_DATE
from config.public_pages import public_context, public_page
from sessions.calendar import site_url
from sessions.models import Session, prefetch_next_helpdesk_dates
from venues.models import HelpdeskSchedule, Venue

# The list shows each venue's next three dates; a venue's own page about three months' worth.
DATES_PER_VENUE = 3
DATES_ON_VENUE_PAGE = 6


def _schedules_in_force():
    return Prefetch(
        "schedules",
        queryset=HelpdeskSchedule.objects.current_or_upcoming(timezone.localdate()),
        to_attr="schedules_shown",
    )


@public_page
def venues(request):
    """The help desks, each with its rule in plain words and next dates: four queries."""
    listed = (
        Venue.objects.helpdesks()
        .select_related("district")
        .prefetch_related(_schedules_in_force(), prefetch_next_helpdesk_dates(DATES_PER_VENUE))
    )
    return render(request, "sessions/venues.html", public_context(request, {"venues": listed}))


def _venue(venue_id, dates: int):
    found = (
        Venue.objects.active()
        .select_related("district")
        .prefetch_related(_schedules_in_force(), prefetch_next_helpdesk_dates(dates))
    )
    return get_object_or_404(found, pk=venue_id)


@public_page
def venue(request, venue_id):
    """One venue: where it is, how to get there, when the help desk is on, what to bring."""
    context = {"venue": _venue(venue_id, DATES_ON_VENUE_PAGE)}
    return render(request, "sessions/venue.html", public_context(request, context))


def _month(value: str) -> date:
    """`YYYY-MM` as the month's first day; today's month without one; 400 for anything else."""
    if not value:
        return timezone.localdate().replace(day=1)
    try:
        month = datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise BadRequest("month: YYYY-MM") from None
    if not FIRST_DATE <= month <= LAST_DATE.replace(day=1):
        raise BadRequest("month: out of range")
    return month


@public_page
def venue_print(request, venue_id):
    """The venue's month on one A4 sheet, large type: its help-desk dates and times (中止
    marked), and a QR code to the venue's page, drawn here (no request to anyone else)."""
    month = _month(request.GET.get("month", ""))
    following = (month + timedelta(days=32)).replace(day=1)
    previous = (month - timedelta(days=1)).replace(day=1)
    # Only a help desk has a month of dates to print.
    found = get_object_or_404(
        Venue.objects.helpdesks().prefetch_related(_schedules_in_force()), pk=venue_id
    )
    dates = (
        Session.objects.at(found)
        .of_kind(Session.Kind.HELPDESK)
        .between(
            datetime.combine(month, time.min, tzinfo=TOKYO),
            datetime.combine(following, time.min, tzinfo=TOKYO),
        )
        .order_by("starts_at", "pk")
    )
    context = {
        "venue": found,
        "month": month,
        "dates": dates,
        "previous": previous if previous >= FIRST_DATE else None,
        "following": following if following <= LAST_DATE else None,
        "venue_url": site_url(request) + reverse("helpdesk_sessions:venue", args=[found.pk]),
    }
    return render(request, "sessions/venue_print.html", public_context(request, context))
