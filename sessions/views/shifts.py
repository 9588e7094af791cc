"""Supporters' shifts: the board, My shifts, the roster, the calendar file and check-in by QR
(issue 5)."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from config.errors import ServiceError
from config.fiscal import FiscalYear
from config.fragments import kept_page, kept_value, render_content
from notifications.models import OutboundMessage
from sessions.calendar import session_file, site_url, with_calendar_sequence
from sessions.certificates import certificate_of_hours
from sessions.forms import (
    BoardFilterForm,
    CertificateYearForm,
    RosterChangeForm,
    RosterSearchForm,
)
from sessions.models import (
    ContactAccess,
    CoverRequest,
    DispatchInvitation,
    DispatchRequest,
    Session,
    Shift,
)
from sessions.services import (
    ATTENDANCE_OPENS_BEFORE,
    InvitationError,
    ShiftError,
    accept_offer,
    add_to_roster,
    cancel_shift,
    check_in,
    check_in_token,
    decline_invitation,
    is_late_to_cancel,
    join_waitlist,
    mark_roster_attendance,
    note_contact_seen,
    remove_from_roster,
    sign_up,
    take_invitation,
)
from supporters.access import (
    coordinator_required,
    supporter_or_coordinator_required,
    supporter_required,
)
from supporters.models import Supporter
from venues.models import Venue

# Calendar and check-in by QR (issue 5) ----------------------------------------------------------

POSTER_SESSIONS_SHOWN = 8


@supporter_or_coordinator_required
def session_event(request, session_id):
    """One session as an .ics file for any supporter; their own shift's event if they have one."""
    supporter = request.user.supporter_or_none
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


@coordinator_required
def checkin_posters(request):
    """Coordinators: each venue's check-in poster, to print for its help desk."""
    venues = Venue.objects.active().order_by("-is_helpdesk", "name_kana", "name")
    return render(request, "sessions/checkin_posters.html", {"venues": venues})


@coordinator_required
def checkin_poster(request, venue_id):
    """An A4 poster with the venue's check-in QR code: it checks a supporter in on whichever
    session runs at the venue when they scan it, so one poster serves every session there."""
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


# Shift board, My shifts, the coordinator's roster (issue 5) -----------------------------------

BOARD_PAGE_SIZE = 30
PAST_SHIFTS_PAGE_SIZE = 20


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _next_url(request, default: str) -> str:
    url = request.POST.get("next") or request.GET.get("next")
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, request.is_secure()):
        return url
    return default


def _session_card(request, session_id, supporter, *, error=None, notice=None):
    """The board's card for one session, as htmx swaps it in after a change."""
    session = get_object_or_404(Session.objects.for_board(supporter), pk=session_id)
    context = {
        "session": session,
        "supporter": supporter,
        "next": _next_url(request, reverse("helpdesk_sessions:board")),
        "error": error,
        "notice": notice,
    }
    return render(request, "sessions/_session_card.html", context)


def _after_change(request, session_id, supporter, *, notice=None, error=None):
    """Answer a sign-up, waiting-list or cancel POST: the card for htmx, else a redirect."""
    if _is_htmx(request):
        return _session_card(request, session_id, supporter, error=error, notice=notice)
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return redirect(_next_url(request, reverse("helpdesk_sessions:board")))


@supporter_or_coordinator_required
def board(request):
    """Upcoming sessions that need supporters, by day, with one tap to sign up or cancel.

    The list is the same for every viewer in the same state: kept with `kept_page`, keyed
    by the viewer's own shifts (one query, kept too), not by who they are (issue 9)."""
    supporter = request.user.supporter_or_none  # None for a coordinator
    is_coordinator = request.user.is_coordinator
    # Their level and insurance are read with them on every request (the board says when the
    # insurance has lapsed, and until when); their shifts are public content, kept.
    lapsed = supporter and supporter.has_lapsed_insurance
    own = supporter and (
        supporter.training_level,
        (lapsed, supporter.insurance_valid_until if lapsed else None),
        kept_value("board-viewer", supporter.pk, lambda: Shift.objects.viewer_state(supporter)),
    )
    viewer = (is_coordinator, own)
    return kept_page(
        request,
        "board",
        viewer,
        "sessions/board.html",
        lambda csrf_token: _board_content(request, supporter, csrf_token),
    )


def _board_content(request, supporter, csrf_token) -> str:
    form = BoardFilterForm(request.GET or None)
    filters = form.filters()
    sessions = Session.objects.board(supporter, **filters)
    page = Paginator(sessions, BOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "supporter": supporter,
        "is_coordinator": request.user.is_coordinator,
        "first": filters["first"],
        "last": filters["last"],
        "earlier": _window_query(request, filters, -1),
        "later": _window_query(request, filters, +1),
        "csrf_token": csrf_token,
    }
    return render_content("sessions/_board.html", context, request)


def _window_query(request, filters, direction: int) -> str | None:
    """The query string of the same filters over the dates before or after these."""
    length = filters["last"] - filters["first"] + timedelta(days=1)
    first = filters["first"] + direction * length
    if direction < 0 and filters["first"] <= timezone.localdate():
        return None
    query = request.GET.copy()
    query.pop("page", None)
    query["date_from"] = max(first, timezone.localdate()).isoformat()
    query["date_to"] = (first + length - timedelta(days=1)).isoformat()
    return query.urlencode()


def _session_page(request, session_id, supporter):
    """One session's card on a page of its own, offering the sign-up (or the waiting list)
    again: where the sign-in page comes back to when a tap on the board found the person
    signed out, since the card's buttons post to URLs that take no GET."""
    session = get_object_or_404(Session.objects.for_board(supporter), pk=session_id)
    context = {
        "session": session,
        "supporter": supporter,
        "next": reverse("helpdesk_sessions:board"),
    }
    return render(request, "sessions/session.html", context)


@require_http_methods(["GET", "POST"])
@supporter_required
def sign_up_for_session(request, session_id):
    supporter = request.user.supporter_or_none
    if request.method != "POST":
        return _session_page(request, session_id, supporter)
    session = get_object_or_404(Session, pk=session_id)
    try:
        shift = sign_up(supporter, session, by=request.user)
    except ShiftError as error:
        return _after_change(request, session_id, supporter, error=error.message)
    return _after_change(request, session_id, supporter, notice=_signed_up_notice(shift))


def _signed_up_notice(shift) -> str:
    """Thanks, and when the confirmation text goes: a text held by the quiet hours (21:00–08:00)
    is not "sent", and a supporter without a number or who opted out gets none."""
    texts = OutboundMessage.objects.about(shift)
    goes_out_at = texts.filter(purpose=OutboundMessage.Purpose.CONFIRMATION).goes_out_at()
    if goes_out_at is None:
        return gettext("You are signed up. Thank you!")
    if goes_out_at <= timezone.now():
        return gettext("You are signed up. Thank you! We sent you a text to confirm.")
    at = {"time": time_format(timezone.localtime(goes_out_at), "TIME_FORMAT")}
    if timezone.localdate(goes_out_at) == timezone.localdate():
        return (
            gettext(
                "You are signed up. Thank you! We will text you a confirmation at %(time)s: "
                "no texts go out at night."
            )
            % at
        )
    return (
        gettext(
            "You are signed up. Thank you! We will text you a confirmation tomorrow at %(time)s: "
            "no texts go out at night."
        )
        % at
    )


@require_http_methods(["GET", "POST"])
@supporter_required
def join_session_waitlist(request, session_id):
    supporter = request.user.supporter_or_none
    if request.method != "POST":
        return _session_page(request, session_id, supporter)
    session = get_object_or_404(Session, pk=session_id)
    try:
        join_waitlist(supporter, session, by=request.user)
    except ShiftError as error:
        return _after_change(request, session_id, supporter, error=error.message)
    notice = gettext("You are on the waiting list. If a place opens, we will text you.")
    return _after_change(request, session_id, supporter, notice=notice)


@supporter_required
def cancel_session_shift(request, session_id):
    """GET: are you sure? (a page, or the card's own question for htmx). POST: cancel."""
    supporter = request.user.supporter_or_none
    shift = get_object_or_404(
        Shift.objects.active().select_related("session__venue"),
        session_id=session_id,
        supporter=supporter,
    )
    if request.method != "POST":
        context = {
            "shift": shift,
            "session": shift.session,
            "next": _next_url(request, ""),
            "back_url": reverse("helpdesk_sessions:board"),
            "is_late": is_late_to_cancel(shift.session),
            "late_hours": settings.SHIFT_LATE_CANCEL_HOURS,
        }
        template = "_cancel_confirm.html" if _is_htmx(request) else "cancel_shift.html"
        return render(request, f"sessions/{template}", context)
    try:
        cancel_shift(shift, by=request.user)
    except ShiftError as error:
        return _after_change(request, session_id, supporter, error=error.message)
    notices = {
        Shift.Status.WAITLISTED: gettext("You have left the waiting list."),
        Shift.Status.OFFERED: gettext("You turned down the place. It goes to the next in line."),
    }
    notice = notices.get(shift.status, gettext("Your shift is cancelled."))
    return _after_change(request, session_id, supporter, notice=notice)


@supporter_required
def offer(request, shift_id):
    """The page the offer SMS links to: take the offered place, or turn it down."""
    supporter = request.user.supporter_or_none
    shift = get_object_or_404(
        Shift.objects.select_related("session__venue"), pk=shift_id, supporter=supporter
    )
    if request.method == "POST":
        try:
            if request.POST.get("answer") == "accept":
                accept_offer(shift, by=request.user)
                messages.success(request, gettext("The place is yours. Thank you!"))
                return redirect("helpdesk_sessions:my_shifts")
            cancel_shift(shift, by=request.user)
            messages.success(request, gettext("Thank you for telling us. We asked the next."))
            return redirect("helpdesk_sessions:board")
        except ShiftError as error:
            messages.error(request, error.message)
            return redirect("helpdesk_sessions:offer", shift_id=shift.pk)
    context = {"shift": shift, "session": shift.session}
    return render(request, "sessions/offer.html", context)


DEVICES = set(DispatchRequest.Device.values)


@supporter_required
def visit_invitation(request, invitation_id):
    """The page the invitation SMS links to: the visit, and take a place or say no. Once on the
    visit's team, the supporter sees the representative's contact (each view recorded)."""
    invitation = get_object_or_404(
        DispatchInvitation.objects.select_related("session__venue", "session__dispatch_request"),
        pk=invitation_id,
        supporter=request.user.supporter_or_none,
    )
    if request.method == "POST":
        try:
            if request.POST.get("answer") == "take":
                take_invitation(invitation, by=request.user)
                messages.success(request, gettext("The place is yours. Thank you!"))
            else:
                decline_invitation(invitation, by=request.user)
                messages.success(request, gettext("Thank you for telling us."))
        except (InvitationError, ShiftError) as error:
            messages.error(request, error.message)
        return redirect("helpdesk_sessions:visit_invitation", invitation_id=invitation.pk)
    session = invitation.session
    visit = session.dispatch_request
    shows_contact = not visit.is_purged and session.roster_visible_to(request.user)
    if shows_contact:
        ContactAccess.objects.create(request=visit, user=request.user, where="invitation")
    context = {
        "invitation": invitation,
        "session": session,
        "visit": visit,
        "topics": visit.topics.all(),
        "devices": [DispatchRequest.Device(d).label for d in visit.devices if d in DEVICES],
        "places_left": session.places_left(),
        "shows_contact": shows_contact,
    }
    return render(request, "sessions/visit_invitation.html", context)


@supporter_required
def my_shifts(request):
    """The supporter's coming shifts (with the way there) and past ones, hours per year.

    All of it is the supporter's own: kept with `kept_page` per supporter (issue 9)."""
    supporter = request.user.supporter_or_none
    return kept_page(
        request,
        "my-shifts",
        supporter.pk,
        "sessions/my_shifts.html",
        lambda csrf_token: _my_shifts_content(request, supporter, csrf_token),
    )


def _my_shifts_content(request, supporter, csrf_token) -> str:
    mine = Shift.objects.filter(supporter=supporter)
    places = "session__venue__district", "session__district"
    past = mine.holding_place().past().select_related(*places)
    context = {
        "csrf_token": csrf_token,  # a placeholder each response fills in (`kept_page`)
        "upcoming": mine.active().upcoming().with_open_cover().select_related(*places),
        "past": Paginator(past, PAST_SHIFTS_PAGE_SIZE).get_page(request.GET.get("page")),
        "hours": mine.hours_served(),
    }
    return render_content("sessions/_my_shifts.html", context, request)


@supporter_required
def my_certificate(request):
    """The supporter's certificate of hours for a fiscal year, to print on one A4 page."""
    return _certificate(request, request.user.supporter_or_none)


@coordinator_required
def supporter_certificate(request, supporter_id):
    """Coordinators print any supporter's certificate, a withdrawn one's too."""
    return _certificate(request, get_object_or_404(Supporter, pk=supporter_id))


def _certificate(request, supporter):
    fiscal_year = CertificateYearForm(request.GET).chosen_year()
    if fiscal_year is None:
        raise Http404
    following = FiscalYear(fiscal_year.start_year + 1)
    context = {
        "certificate": certificate_of_hours(supporter, fiscal_year),
        "previous_year": FiscalYear(fiscal_year.start_year - 1),
        "next_year": following if following <= FiscalYear.current() else None,
        "is_own": supporter == request.user.supporter_or_none,
    }
    return render(request, "sessions/certificate.html", context)


@login_required
def roster(request, session_id):
    """A session's supporters, waiting list and offers; add, remove, mark attendance. The
    supporters on the team see who else is on it, as in the API."""
    session = get_object_or_404(
        Session.objects.with_staffing().select_related(
            "venue__district", "district", "dispatch_request"
        ),
        pk=session_id,
    )
    shifts = list(
        session.shifts.select_related("supporter__user").order_by(
            "waitlist_position", "created_at", "pk"
        )
    )
    # What `session.team`, `waiting_list` and `roster_visible_to` read: one query for all.
    session.active_shifts = [s for s in shifts if s.status != Shift.Status.CANCELLED]
    if not session.roster_visible_to(request.user):
        raise PermissionDenied
    dispatch_request = getattr(session, "dispatch_request", None)
    if not request.user.is_coordinator:
        return _team_page(request, session, dispatch_request)
    search = RosterSearchForm(request.GET or None)
    offer_texts = OutboundMessage.objects.filter(
        purpose=OutboundMessage.Purpose.WAITLIST_OFFER,
        content_type=ContentType.objects.get_for_model(Shift),
        object_id__in=[shift.pk for shift in shifts],
    ).order_by("created_at", "pk")
    by_pk = {shift.pk: shift for shift in shifts}
    context = {
        "session": session,
        "team": session.team,
        "offers": [s for s in shifts if s.status == Shift.Status.OFFERED],
        "waiting": session.waiting_list,
        "cancelled": [s for s in shifts if s.status == Shift.Status.CANCELLED],
        "offer_texts": [(text, by_pk[text.object_id]) for text in offer_texts],
        "search": search,
        "found": search.supporters(session),
        "roles": Shift.Role.choices,
        "attendance_open": timezone.now() >= session.starts_at - ATTENDANCE_OPENS_BEFORE,
        "dispatch_request": dispatch_request,
        "cover_requests": CoverRequest.objects.open().filter(shift__session=session).for_list(),
    }
    return render(request, "sessions/roster.html", context)


def _team_page(request, session, dispatch_request):
    """A supporter on the team sees the team; on a group visit also the group's request with
    the representative's contact (the assigned supporters may: privacy), the view recorded,
    and the lead files the report from here."""
    if dispatch_request is not None:
        note_contact_seen(dispatch_request, request.user, where="team")
    is_lead = any(
        shift.role == Shift.Role.LEAD and shift.supporter_id == request.user.supporter_or_none.pk
        for shift in session.team
    )
    context = {
        "session": session,
        "dispatch_request": dispatch_request,
        "is_lead": is_lead,
        # The consultation tally (issue 11) opens with check-in, and stays to be read after.
        "tally_open": not session.is_cancelled
        and timezone.now() >= session.starts_at - ATTENDANCE_OPENS_BEFORE,
    }
    return render(request, "sessions/team.html", context)


@require_http_methods(["GET", "POST"])
@coordinator_required
def change_roster(request, session_id, action):
    """Add (`add`), remove (`remove`) or mark the attendance (`attendance`) of a supporter.
    GET on `remove` asks first (with htmx, `hx-confirm` asks and the page is swapped in)."""
    if action not in ("add", "remove", "attendance"):
        raise Http404
    if request.method != "POST":
        return _confirm_removal(request, session_id, action)
    session = get_object_or_404(Session, pk=session_id)
    form = RosterChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose a supporter."))
        return redirect("helpdesk_sessions:roster", session_id=session.pk)
    supporter = form.cleaned_data["supporter"]
    try:
        if action == "add":
            role = form.cleaned_data["role"] or Shift.Role.HELPER
            add_to_roster(session, supporter, by=request.user, role=role)
            notice = gettext("%(name)s is on the session.")
        elif action == "remove":
            remove_from_roster(session, supporter, by=request.user)
            notice = gettext("%(name)s is off the session.")
        else:
            mark_roster_attendance(session, supporter, form.cleaned_data["status"], by=request.user)
            notice = gettext("Attendance of %(name)s recorded.")
    except ShiftError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, notice % {"name": supporter})
    return redirect("helpdesk_sessions:roster", session_id=session.pk)


def _confirm_removal(request, session_id, action):
    """Are you sure? before taking a supporter off a session or its waiting list."""
    if action != "remove":
        return HttpResponseNotAllowed(["POST"])
    form = RosterChangeForm(request.GET)
    if not form.is_valid():
        return redirect("helpdesk_sessions:roster", session_id=session_id)
    shift = get_object_or_404(
        Shift.objects.active().select_related("session__venue", "supporter"),
        session_id=session_id,
        supporter=form.cleaned_data["supporter"],
    )
    context = {"shift": shift, "session": shift.session}
    return render(request, "sessions/roster_remove.html", context)
