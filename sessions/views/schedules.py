"""Coordinators' help-desk schedules (issue 11): every venue's rules, a rule's page with its
dates to come, generation with a preview, and calling one date off."""

from datetime import date

from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods

from config.errors import ServiceError
from sessions.forms import CallOffForm, GenerateForm, HelpdeskScheduleForm
from sessions.models import Session
from sessions.services import (
    cancel_session,
    change_schedule,
    create_schedule,
    generate_sessions,
    plan_generation,
)
from sessions.services.schedules import CHANGEABLE_FIELDS
from sessions.views.shifts import _next_url
from supporters.access import coordinator_required
from venues.models import HelpdeskSchedule, Venue

UPCOMING_DATES_SHOWN = 12


@coordinator_required
def schedules(request):
    """Every venue with its schedules in plain words: three queries whatever the number."""
    venues = (
        Venue.objects.select_related("district")
        .prefetch_related(Prefetch("schedules", queryset=HelpdeskSchedule.objects.all()))
        .order_by("-is_active", "-is_helpdesk", "name_kana", "name")
    )
    return render(request, "sessions/schedules.html", {"venues": venues})


def _show(form, error: ServiceError) -> None:
    for name, problems in (error.details or {}).items():
        for problem in problems:
            form.add_error(name if name in form.fields else None, problem)
    if not error.details:
        form.add_error(None, error.message)


@require_http_methods(["GET", "POST"])
@coordinator_required
def schedule_new(request):
    """A new rule at a help-desk venue; then its generation page."""
    initial = {"venue": request.GET.get("venue"), "valid_from": timezone.localdate()}
    form = HelpdeskScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in CHANGEABLE_FIELDS}
        try:
            made = create_schedule(form.cleaned_data["venue"], by=request.user, **fields)
        except ServiceError as error:
            _show(form, error)
        else:
            messages.success(request, gettext("The schedule is saved. Now add its dates."))
            return redirect("helpdesk_sessions:schedule_generate", schedule_id=made.pk)
    return render(request, "sessions/schedules_new.html", {"form": form})


@require_http_methods(["GET", "POST"])
@coordinator_required
def schedule(request, schedule_id):
    """A rule: its dates to come (each can be called off) and its form; saving shows what the
    change did to the sessions to come."""
    found = get_object_or_404(HelpdeskSchedule.objects.select_related("venue"), pk=schedule_id)
    form = HelpdeskScheduleForm(request.POST or None, instance=found)
    change = None
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in CHANGEABLE_FIELDS}
        try:
            change = change_schedule(found, by=request.user, **fields)
        except ServiceError as error:
            _show(form, error)
        else:
            found = change.schedule
            form = HelpdeskScheduleForm(instance=found)
    upcoming = (
        Session.objects.filter(schedule=found)
        .not_ended()
        .with_staffing()
        .select_related("venue")
        .order_by("starts_at", "pk")[:UPCOMING_DATES_SHOWN]
    )
    context = {"schedule": found, "form": form, "change": change, "upcoming": upcoming}
    return render(request, "sessions/schedules_detail.html", context)


@require_http_methods(["GET", "POST"])
@coordinator_required
def schedule_generate(request, schedule_id):
    """GET: the period (a fiscal year or dates); with a period chosen, the preview. POST: the
    dates shown are written; a reload or a second click adds nothing."""
    found = get_object_or_404(HelpdeskSchedule.objects.select_related("venue"), pk=schedule_id)
    if request.method == "POST":
        return _generate(request, found)
    chosen = bool(request.GET)
    form = GenerateForm(request.GET if chosen else None)
    plan = error = None
    if chosen and form.is_valid():
        try:
            plan = plan_generation(found, *form.cleaned_data["range"])
        except ServiceError as refused:
            error = refused
    context = {"schedule": found, "form": form, "plan": plan, "error": error}
    return render(request, "sessions/schedules_generate.html", context)


def _generate(request, found):
    try:
        first = date.fromisoformat(request.POST.get("first", ""))
        last = date.fromisoformat(request.POST.get("last", ""))
        only = [date.fromisoformat(day) for day in request.POST.getlist("day")]
    except ValueError:
        messages.error(request, gettext("Choose the period again."))
        return redirect("helpdesk_sessions:schedule_generate", schedule_id=found.pk)
    try:
        plan = generate_sessions(found, first, last, only=only, by=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("helpdesk_sessions:schedule_generate", schedule_id=found.pk)
    count = len(plan.created)
    if count:
        text = ngettext("%(count)d date added.", "%(count)d dates added.", count)
        messages.success(request, text % {"count": count})
    else:
        messages.info(request, gettext("Nothing to add: every date was already there."))
    return redirect("helpdesk_sessions:schedule", schedule_id=found.pk)


@require_http_methods(["GET", "POST"])
@coordinator_required
def call_off(request, session_id):
    """Call one date off (weather, the venue closed): GET asks why and to confirm, POST cancels
    through `cancel_session`, which texts everyone on it; the public pages show 中止."""
    session = get_object_or_404(Session.objects.select_related("venue"), pk=session_id)
    default = (
        reverse("helpdesk_sessions:schedule", args=[session.schedule_id])
        if session.schedule_id
        else reverse("helpdesk_sessions:roster", args=[session.pk])
    )
    back = _next_url(request, default)
    form = CallOffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancel_session(session, by=request.user, reason=form.cleaned_data["reason"])
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, gettext("The date is called off; everyone on it is told by text.")
            )
        return redirect(back)
    staffed = session.shifts.active().count()
    context = {"session": session, "form": form, "back": back, "staffed": staffed}
    return render(request, "sessions/schedules_call_off.html", context)
