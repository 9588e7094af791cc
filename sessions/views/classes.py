"""Smartphone classes for residents (issue 11): the class list, a class's page, the register
form (also the coordinators', for registrations taken by phone), and the registrant's secret
status page with its offer, accept and cancel steps."""

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from config.errors import ServiceError
from config.public_pages import public_context, public_form, public_page
from sessions.forms import ClassFilterForm, ClassRegistrationForm
from sessions.models import ClassRegistration, Session, new_reference
from sessions.services import (
    RegistrationError,
    accept_class_offer,
    cancel_registration,
    register_for_class,
    registration_url,
)
from sessions.services.registrations import count_registration_from, is_rate_limited


@public_page
def classes(request):
    """Upcoming smartphone classes, open to everyone: when, where (with a map link), the
    level in plain words, whether phones are lent, seats left or the waiting list."""
    filters = ClassFilterForm(request.GET or None)
    context = {"classes": filters.classes(Session.objects.class_list()), "filters": filters}
    return render(request, "sessions/class_list.html", public_context(request, context))


def class_or_404(session_id) -> Session:
    coming = Session.objects.class_list().filter(starts_at__gt=timezone.now())
    series_dates = Prefetch(
        "series__classes",
        queryset=Session.objects.scheduled()
        .filter(starts_at__gt=timezone.now())
        .order_by("starts_at", "pk"),
        to_attr="coming_dates",
    )
    return get_object_or_404(coming.prefetch_related(series_dates), pk=session_id)


@public_page
def class_detail(request, session_id):
    """One class: everything the list says, its description, the series' other dates, and
    the way to register (or join the waiting list)."""
    a_class = class_or_404(session_id)
    return render(request, "sessions/class_detail.html", public_context(request, {"c": a_class}))


# Anonymous visitors post it with no CSRF token: the honeypot, the rate limit and the
# one-place-per-phone rule deal with abuse (`public_form`).
@public_form
def class_register(request, session_id):
    """The register form, for residents, and for coordinators taking a registration by phone
    (they tick the consent as read out; the registration is marked with their name)."""
    a_class = class_or_404(session_id)
    coordinator = request.user.is_authenticated and request.user.is_coordinator
    initial = {"language": request.LANGUAGE_CODE}
    form = ClassRegistrationForm(
        request.POST or None, session=a_class, coordinator=coordinator, initial=initial
    )
    if request.method == "POST":
        if form.is_bot:  # answered as if sent: nothing tells a bot it was caught
            return render(request, "sessions/class_sent.html", {"reference": new_reference("C")})
        if form.is_valid():
            if is_rate_limited(request):
                return render(request, "sessions/class_limited.html", status=429)
            try:
                made, created = register_for_class(
                    form.registration_data(),
                    a_class,
                    series=form.series,
                    entered_by=request.user if coordinator else None,
                )
            except RegistrationError as error:
                form.show(error)
            else:
                if created:
                    count_registration_from(request)
                return redirect("helpdesk_sessions:class_sent", token=made[0].status_token)
    context = {"form": form, "c": a_class, "coordinator": coordinator}
    return render(request, "sessions/class_register.html", public_context(request, context))


def registration_or_404(token) -> ClassRegistration:
    registrations = ClassRegistration.objects.select_related("session__venue", "session__series")
    return get_object_or_404(registrations, status_token=token)


def series_registrations(registration) -> list:
    """The same person's registrations for the other dates of the class's series."""
    session = registration.session
    if session.series_id is None or registration.is_purged:
        return []
    return list(
        ClassRegistration.objects.filter(
            session__series_id=session.series_id,
            participant_key=registration.participant_key,
            purged_at__isnull=True,
        )
        .exclude(pk=registration.pk)
        .select_related("session__venue")
        .order_by("session__starts_at", "pk")
    )


def class_sent(request, token):
    """After registering: the reference to keep, the seat or the place in line, the link."""
    registration = registration_or_404(token)
    context = {
        "r": registration,
        "reference": registration.reference,
        "others": series_registrations(registration),
        "status_url": registration_url(registration),
    }
    return render(request, "sessions/class_sent.html", context)


@public_page
def class_registration(request, token):
    """The secret status page texted to the registrant (no login): the seat or the place in
    line, a seat offered with its deadline and a button to take it, a way to cancel."""
    registration = registration_or_404(token)
    context = {"r": registration, "others": series_registrations(registration)}
    return render(request, "sessions/class_registration.html", public_context(request, context))


@require_POST
def accept_class_seat(request, token):
    """The offered seat is taken (the status page's button)."""
    registration = registration_or_404(token)
    try:
        accept_class_offer(registration, by=None)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("The seat is yours. See you at the class!"))
    return redirect("helpdesk_sessions:class_registration", token=token)


@require_http_methods(["GET", "POST"])
def cancel_class_registration(request, token):
    """GET: are you sure? (works without JavaScript). POST: the place is given up."""
    registration = registration_or_404(token)
    if request.method != "POST":
        if not registration.is_cancellable:
            raise Http404
        return render(request, "sessions/class_cancel.html", {"r": registration})
    try:
        cancel_registration(registration, by=None)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("Your place is cancelled. Thank you for telling us."))
    return redirect("helpdesk_sessions:class_registration", token=token)
