"""Smartphone classes: the coordinators' class desk (issue 11). The list of classes, a class or
a whole series made at once, a class changed, and its roster with the waiting list and the
attendance marked at the door from a phone.

Residents' names and phones are on these pages only, and only for coordinators (privacy).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from config.errors import ServiceError
from sessions.forms import ClassDeskFilterForm, ClassForm, ClassSeriesForm
from sessions.models import ClassRegistration, Session, Shift
from sessions.services import (
    ClassError,
    create_class,
    create_series,
    mark_attended,
    mark_registrant_called,
    record_call_answer,
    update_class,
)
from sessions.services.classes import attendance_open
from supporters.access import coordinator_required
from supporters.phones import is_landline

CLASS_DESK_PAGE_SIZE = 30
CALLS_SHOWN = 20


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _class_or_404(session_id, queryset=None) -> Session:
    queryset = queryset if queryset is not None else Session.objects.all()
    return get_object_or_404(queryset.of_kind(Session.Kind.CLASS), pk=session_id)


@coordinator_required
def class_desk(request):
    """Classes to come and of the last two months (or of a month), with their seats, waiting
    list and attendance: a fixed number of queries whatever the number of classes."""
    filters = ClassDeskFilterForm(request.GET or None)
    classes = Session.objects.for_class_desk(**filters.filters())
    page = Paginator(classes, CLASS_DESK_PAGE_SIZE).get_page(request.GET.get("page"))
    # Landline registrants to phone, whatever class: a text cannot reach them.
    calls = ClassRegistration.objects.to_call().select_related("session__venue")[:CALLS_SHOWN]
    context = {"filters": filters, "page": page, "calls": calls}
    return render(request, "sessions/class_desk.html", context)


@require_http_methods(["GET", "POST"])
@coordinator_required
def class_new(request):
    """One class: its details, date and time, and its series (none, one there is, or new)."""
    form = ClassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            session = create_class(form.class_data(), by=request.user)
        except ClassError as error:
            form.show(error)
        else:
            messages.success(request, gettext("The class is on the class desk."))
            return redirect("helpdesk_sessions:class_roster", session_id=session.pk)
    return render(request, "sessions/class_desk_form.html", {"form": form, "session": None})


@require_http_methods(["GET", "POST"])
@coordinator_required
def class_edit(request, session_id):
    """Change a class: fewer places than seats taken is refused, more go to the waiting list,
    new times go to calendars and reminders (through `move_session`)."""
    session = _class_or_404(session_id, Session.objects.select_related("venue", "series"))
    form = ClassForm.for_session(session, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            update_class(session, form.class_data(), by=request.user)
        except ClassError as error:
            form.show(error)
        else:
            messages.success(request, gettext("The class is changed."))
            return redirect("helpdesk_sessions:class_roster", session_id=session.pk)
    return render(request, "sessions/class_desk_form.html", {"form": form, "session": session})


@require_http_methods(["GET", "POST"])
@coordinator_required
def class_series_new(request):
    """Many dates at once (the five-level course, a monthly LINE class): "Preview" shows the
    dates and those skipped as closed; "Create" makes them all in one go."""
    form = ClassSeriesForm(request.POST or None)
    plan = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = create_series(
                data["series_title"],
                data["series_description"],
                form.class_fields(),
                starts=data["starts"],
                ends=data["ends"],
                dates=data.get("date_list"),
                rule=form.rule(),
                skip_closed=data["skip_closed"],
                dry_run="create" not in request.POST,
                by=request.user,
            )
        except ClassError as error:
            form.show(error)
        else:
            if plan.series is not None:
                messages.success(request, _series_made(plan))
                return redirect(_month_of(plan.dates[0]))
    context = {"form": form, "plan": plan}
    return render(request, "sessions/class_desk_series.html", context)


def _series_made(plan) -> str:
    made = ngettext(
        "The series “%(title)s” has %(count)d class.",
        "The series “%(title)s” has %(count)d classes.",
        len(plan.classes),
    ) % {"title": plan.series.title, "count": len(plan.classes)}
    if not plan.skipped:
        return made
    skipped = ", ".join(date_format(day, "SHORT_DATE_FORMAT") for day, _reason in plan.skipped)
    return gettext("%(made)s Skipped as the venue is closed: %(dates)s.") % {
        "made": made,
        "dates": skipped,
    }


def _month_of(day) -> str:
    return f"{reverse('helpdesk_sessions:class_desk')}?month={day:%Y-%m}"


@coordinator_required
def class_roster(request, session_id):
    """Who registered (name, kana, phone, own phone or not, language), the waiting list in
    order, the cancelled ones folded away, the supporters on the class, and a big toggle per
    resident to mark them present at the door. Three queries whatever the numbers."""
    session = _class_or_404(session_id, Session.objects.select_related("venue", "series"))
    registrations = list(session.registrations.order_by("waitlist_position", "created_at", "pk"))
    shifts = list(
        session.shifts.active()
        .filter(status__in=Shift.TEAM_STATUSES)
        .select_related("supporter")
        .order_by("role", "created_at", "pk")
    )
    for registration in registrations:
        registration.is_landline = is_landline(registration.phone)
    at_the_door = (ClassRegistration.Status.REGISTERED, ClassRegistration.Status.ATTENDED)
    seated = [r for r in registrations if r.status in at_the_door]
    context = {
        "session": session,
        "seated": seated,
        "offered": [r for r in registrations if r.status == ClassRegistration.Status.OFFERED],
        "calls": [r for r in registrations if r.call_back_since and not r.purged_at],
        "attended": sum(r.status == ClassRegistration.Status.ATTENDED for r in seated),
        "waiting": [r for r in registrations if r.status == ClassRegistration.Status.WAITLISTED],
        "cancelled": [r for r in registrations if r.status == ClassRegistration.Status.CANCELLED],
        "team": shifts,
        "at_the_door": attendance_open(session) and not session.is_cancelled,
    }
    return render(request, "sessions/class_desk_roster.html", context)


@require_POST
@coordinator_required
def class_attendance(request, session_id):
    """Mark one resident present (`attended=1`) or not (`attended=0`): htmx swaps the one row,
    a plain post comes back to the roster at that row."""
    session = _class_or_404(session_id)
    registration = get_object_or_404(
        ClassRegistration, pk=_number(request.POST.get("registration")), session=session
    )
    error = None
    try:
        registration = mark_attended(
            registration, request.POST.get("attended") == "1", by=request.user
        )
    except ServiceError as failed:
        error = failed.message
    if _is_htmx(request):
        registration.is_landline = is_landline(registration.phone)
        attended = session.registrations.filter(status=ClassRegistration.Status.ATTENDED)
        context = {
            "registration": registration,
            "session": session,
            "at_the_door": True,
            "error": error,
            # The roster's count of who came follows each tap (htmx swaps it out of band).
            "attended": attended.count(),
            "swap_count": True,
        }
        return render(request, "sessions/_class_desk_attendee.html", context)
    if error:
        messages.error(request, error)
    else:
        notice = (
            gettext("%(name)s is marked present.")
            if registration.status == ClassRegistration.Status.ATTENDED
            else gettext("%(name)s is marked not present.")
        )
        messages.success(request, notice % {"name": registration.name})
    url = reverse("helpdesk_sessions:class_roster", kwargs={"session_id": session.pk})
    return redirect(f"{url}#registration-{registration.pk}")


def _number(text) -> int:
    if not text or not text.isdigit() or len(text) > 18:
        raise Http404
    return int(text)


CALL_ANSWERS = {
    "took": lambda registration, by: record_call_answer(registration, accepted=True, by=by),
    "declined": lambda registration, by: record_call_answer(registration, accepted=False, by=by),
    "told": lambda registration, by: mark_registrant_called(registration, by=by),
}


@require_POST
@coordinator_required
def class_call(request, session_id):
    """A coordinator phoned a landline registrant: they took the offered seat or declined it
    (the seat goes down the line), or were told the class is off. The services decide."""
    session = _class_or_404(session_id)
    registration = get_object_or_404(
        ClassRegistration, pk=_number(request.POST.get("registration")), session=session
    )
    answer = CALL_ANSWERS.get(request.POST.get("answer"))
    if answer is None:
        messages.error(request, gettext("Choose what they answered."))
    else:
        try:
            answer(registration, request.user)
        except ServiceError as failed:
            messages.error(request, failed.message)
        else:
            messages.success(request, gettext("The call is noted."))
    return redirect("helpdesk_sessions:class_roster", session_id=session.pk)
