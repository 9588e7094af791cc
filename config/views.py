from datetime import timedelta

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from config.public_pages import public_context, public_page
from notifications.services import outbox_problem, outbox_warning
from sessions.models import (
    CoverRequest,
    DispatchRequest,
    Session,
    Shift,
    prefetch_next_helpdesk_dates,
)
from venues.models import Venue

# How far ahead the public page looks for help-desk dates, and how many it shows per venue.
HELPDESK_HORIZON = timedelta(days=60)
HELPDESK_DATES_PER_VENUE = 3
NEXT_SHIFTS_SHOWN = 5
PENDING_REQUESTS_SHOWN = 10
COVER_REQUESTS_SHOWN = 10


@public_page
def home(request):
    """The public page for everyone, with a supporter's shifts and a coordinator's day on top."""
    context = {"helpdesk_venues": helpdesk_venues_with_dates()}
    supporter = request.user.supporter_or_none if request.user.is_authenticated else None
    if supporter:
        context["next_shifts"] = (
            Shift.objects.holding_place()
            .upcoming()
            .filter(supporter=supporter)
            .select_related("session__venue")[:NEXT_SHIFTS_SHOWN]
        )
    if request.user.is_authenticated and request.user.is_coordinator:
        pending = DispatchRequest.objects.pending()
        context["todays_sessions"] = (
            Session.objects.on_day(timezone.localdate()).with_staffing().select_related("venue")
        )
        context["pending_requests"] = pending.order_by("created_at")[:PENDING_REQUESTS_SHOWN]
        context["pending_count"] = pending.count()
        context["cover_requests"] = CoverRequest.objects.open().for_list()[:COVER_REQUESTS_SHOWN]
    return render(request, "config/home.html", public_context(request, context))


def helpdesk_venues_with_dates():
    """Active help-desk venues, each with `next_sessions`: two queries whatever the data size."""
    dates = prefetch_next_helpdesk_dates(HELPDESK_DATES_PER_VENUE, within=HELPDESK_HORIZON)
    return list(Venue.objects.helpdesks().prefetch_related(dates))


def healthz(request):
    """ "ok" (200), or 503 and why the outbox is stalled; texts needing a coordinator's check
    are named on a line after "ok": nothing is down, so no alarm (the coordinators see them)."""
    if problem := outbox_problem():
        return HttpResponse(problem, content_type="text/plain", status=503)
    lines = ["ok"]
    if warning := outbox_warning():
        lines.append(warning)
    return HttpResponse("\n".join(lines), content_type="text/plain")
