from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from config.errors import ServiceError
from sessions.calendar import session_file, site_url, with_calendar_sequence
from sessions.models import DispatchRequest, Session, Shift
from sessions.services import ATTENDANCE_OPENS_BEFORE, check_in, check_in_token
from venues.models import Venue


def classes(request):
    """Upcoming smartphone classes, open to everyone; registering is by phone for now."""
    upcoming = (
        Session.objects.of_kind(Session.Kind.CLASS)
        .scheduled()
        .upcoming()
        .with_seats_taken()
        .select_related("venue")
    )
    return render(request, "sessions/classes.html", {"classes": upcoming})


def visits(request):
    """What a group visit is and how to ask for one; the request form comes later."""
    return render(request, "sessions/visits.html", {"min_residents": DispatchRequest.MIN_RESIDENTS})


# Calendar and check-in by QR (issue 5) ----------------------------------------------------------

POSTER_SESSIONS_SHOWN = 8


@login_required
def session_event(request, session_id):
    """One session as an .ics file for any supporter; their own shift's event if they have one."""
    supporter = request.user.supporter_or_none
    if supporter is None and not request.user.is_coordinator:
        raise PermissionDenied
    now = timezone.now()
    session = get_object_or_404(
        with_calendar_sequence(Session.objects.select_related("venue")), pk=session_id
    )
    shift = None
    if supporter is not None:
        shift = Shift.objects.filter(session=session, supporter=supporter).in_calendar_feed(now)
        shift = shift.order_by("-created_at").first()
    if shift is not None:
        shift.session = session
    body = session_file(session, shift, base_url=site_url(request), now=now)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="session-{session.pk}.ics"'
    return response


@login_required
def checkin_qr(request, session_id):
    """The session's check-in QR code, big, for the lead to show on their phone."""
    session = get_object_or_404(Session.objects.select_related("venue"), pk=session_id)
    supporter = request.user.supporter_or_none
    on_it = supporter and session.shifts.holding_place().filter(supporter=supporter).exists()
    if not (on_it or request.user.is_coordinator):
        raise PermissionDenied
    context = {
        "session": session,
        "checkin_url": checkin_url(request, session),
        "opens_at": session.starts_at - ATTENDANCE_OPENS_BEFORE,
    }
    return render(request, "sessions/checkin_qr.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def checkin(request, token):
    """What a scanned check-in QR code opens: the scan checks the supporter in (it is idempotent
    and the signed code is the proof of presence); POST is the "join and check in" button."""
    supporter = request.user.supporter_or_none
    if supporter is None:
        return render(request, "sessions/checkin.html", {"not_a_supporter": True}, status=403)
    join = request.method == "POST"
    try:
        result = check_in(supporter, token, join=join)
    except ServiceError as error:
        context = {"error": error, "session": getattr(error, "session", None)}
        status = 404 if error.code == "invalid_token" else 200
        return render(request, "sessions/checkin.html", context, status=status)
    if join:
        messages.success(request, gettext("You have joined this session. Thank you!"))
        return redirect(request.path)
    context = {"result": result, "session": result.shift.session}
    return render(request, "sessions/checkin.html", context)


@login_required
def checkin_posters(request):
    """Coordinators: each venue's check-in poster, to print for its help desk."""
    if not request.user.is_coordinator:
        raise PermissionDenied
    venues = Venue.objects.active().order_by("-is_helpdesk", "name_kana", "name")
    return render(request, "sessions/checkin_posters.html", {"venues": venues})


@login_required
def checkin_poster(request, venue_id):
    """An A4 poster with the venue's check-in QR code: it checks a supporter in on whichever
    session runs at the venue when they scan it, so one poster serves every session there."""
    if not request.user.is_coordinator:
        raise PermissionDenied
    venue = get_object_or_404(Venue, pk=venue_id)
    upcoming = Session.objects.at(venue).upcoming().order_by("starts_at", "pk")
    context = {
        "venue": venue,
        "checkin_url": checkin_url(request, venue),
        "sessions": upcoming[:POSTER_SESSIONS_SHOWN],
    }
    return render(request, "sessions/checkin_poster.html", context)


def checkin_url(request, session_or_venue) -> str:
    path = reverse("helpdesk_sessions:checkin", args=[check_in_token(session_or_venue)])
    return site_url(request) + path
