"""Group-visit requests: the residents' form, confirmation and status pages, and the
coordinators' triage pages (issue 10)."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from config.errors import ServiceError
from config.public_pages import public_context, public_form, public_page
from sessions.forms import (
    DispatchRequestForm,
    ReasonForm,
    RequestFilterForm,
    RescheduleForm,
    ScheduleForm,
)
from sessions.models import (
    DispatchInvitation,
    DispatchRequest,
    new_reference,
)
from sessions.services import (
    IntakeError,
    RequestError,
    accept_request,
    ask_back,
    cancel_request,
    decline_request,
    invite_supporters,
    mark_called_back,
    note_contact_seen,
    reschedule_request,
    schedule_request,
    submit_request,
    suggest_supporters,
)
from sessions.services.intake import count_request_from, is_rate_limited, status_url
from supporters.access import (
    coordinator_required,
)
from supporters.models import Supporter


# Anonymous visitors post it with no CSRF token: the honeypot, the rate limit and the
# fingerprint deal with abuse (`public_form`).
@public_form
def request_visit(request):
    """The request form, for residents, and for coordinators entering one taken by phone or on
    paper (they choose how it came and tick the consent as read out)."""
    coordinator = request.user.is_authenticated and request.user.is_coordinator
    initial = {"preferred_language": request.LANGUAGE_CODE}
    form = DispatchRequestForm(request.POST or None, coordinator=coordinator, initial=initial)
    if request.method == "POST":
        if form.is_bot:  # answered as if sent: nothing tells a bot it was caught
            context = {"reference": new_reference("G")}
            return render(request, "sessions/request_sent.html", context)
        if form.is_valid():
            if is_rate_limited(request):
                return render(request, "sessions/request_limited.html", status=429)
            entered_by = request.user if coordinator else None
            try:
                made, created = submit_request(
                    form.request_data(), channel=form.channel, entered_by=entered_by
                )
            except IntakeError as error:
                form.show(error)
            else:
                if created:
                    count_request_from(request)
                return redirect("helpdesk_sessions:request_sent", token=made.status_token)
    context = {"form": form, "coordinator": coordinator}
    return render(request, "sessions/request_form.html", public_context(request, context))


def request_sent(request, token):
    """After sending: the reference to read out or print, what happens next, the status link."""
    made = get_object_or_404(DispatchRequest, status_token=token)
    context = {
        "request_made": made,
        "reference": made.reference,
        "status_url": status_url(made),
        "days_ahead": settings.DISPATCH_MIN_DAYS_AHEAD,
    }
    return render(request, "sessions/request_sent.html", context)


@public_page
def request_status(request, token):
    """The secret status page texted to the representative (no login): where the request
    stands, the visit once it is booked, and a way to call it off."""
    made = get_object_or_404(DispatchRequest.objects.select_related("session"), status_token=token)
    return render(request, "sessions/request_status.html", public_context(request, {"r": made}))


@require_http_methods(["GET", "POST"])
def cancel_visit_request(request, token):
    """GET: are you sure? (works without JavaScript). POST: the request is called off."""
    made = get_object_or_404(DispatchRequest.objects.select_related("session"), status_token=token)
    if request.method != "POST":
        return render(request, "sessions/request_cancel.html", {"r": made})
    try:
        cancel_request(made, by=None)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("Your request is cancelled. Thank you for telling us."))
    return redirect("helpdesk_sessions:request_status", token=token)


# Group-visit requests: the coordinators' pages (issue 10) ------------------------------------

REQUESTS_PAGE_SIZE = 30
REQUEST_ACTIONS = (
    "accept",
    "ask",
    "decline",
    "schedule",
    "reschedule",
    "cancel",
    "called",
    "invite",
)


@coordinator_required
def requests_list(request):
    """Requests by status, oldest waiting first among the open ones, with their filters; a
    fixed number of queries whatever the number of requests."""
    filters = RequestFilterForm(request.GET or None)
    chosen = filters.requests().select_related("district", "session").with_staffing()
    page = Paginator(chosen.by_urgency(), REQUESTS_PAGE_SIZE).get_page(request.GET.get("page"))
    counts = DispatchRequest.objects.status_counts()
    context = {
        "filters": filters,
        "page": page,
        "tabs": [(value, label, counts[value]) for value, label in DispatchRequest.Status.choices],
        "current_status": request.GET.get("status", ""),
    }
    return render(request, "sessions/requests.html", context)


@coordinator_required
def request_detail(request, request_id):
    """Everything about one request, what can be done next, and its history. Seeing the
    representative's contact details is recorded (privacy)."""
    dispatch_request = get_object_or_404(DispatchRequest.objects.for_page(), pk=request_id)
    return _request_page(request, dispatch_request)


def _request_page(request, dispatch_request, *, forms=None, status=200):
    note_contact_seen(dispatch_request, request.user, where="page")
    forms = forms or {}
    context = {
        "dispatch_request": dispatch_request,
        "session": dispatch_request.session,
        "schedule_form": forms.get("schedule")
        or (ScheduleForm(request=dispatch_request) if dispatch_request.is_open else None),
        "reschedule_form": forms.get("reschedule") or _reschedule_form(dispatch_request),
        "reason_form": forms.get("reason") or ReasonForm(),
        "report": getattr(dispatch_request.session, "report", None),
        **_staffing(dispatch_request),
        "events": dispatch_request.events.select_related("by"),
        "accesses": dispatch_request.contact_accesses.select_related("user")[:CONTACT_LOG_SHOWN],
    }
    return render(request, "sessions/request_detail.html", context, status=status)


CONTACT_LOG_SHOWN = 20
SUGGESTIONS_SHOWN = 12


def _staffing(dispatch_request) -> dict:
    """A scheduled visit's invitations and, while it can still be staffed, the suggested
    supporters, the best not yet invited ticked for each open place ("invite the top")."""
    session = dispatch_request.session
    if session is None:
        return {"suggestions": None, "invitations": [], "ticked": []}
    invitations = list(
        DispatchInvitation.objects.filter(session=session)
        .select_related("supporter")
        .order_by("created_at", "pk")
    )
    staffable = dispatch_request.status == DispatchRequest.Status.SCHEDULED and not (
        session.is_cancelled or session.has_started
    )
    if not staffable:
        return {"suggestions": None, "invitations": invitations, "ticked": []}
    suggestions = suggest_supporters(dispatch_request, limit=SUGGESTIONS_SHOWN)
    invited = {invitation.supporter_id for invitation in invitations}
    candidates = [
        s.supporter.pk
        for s in suggestions
        if s.can_be_invited and s.is_free and s.supporter.pk not in invited
    ]
    return {
        "suggestions": suggestions,
        "invitations": invitations,
        "ticked": candidates[: session.places_left()],
    }


def _reschedule_form(dispatch_request):
    session = dispatch_request.session
    if dispatch_request.status != DispatchRequest.Status.SCHEDULED or session.has_started:
        return None
    starts, ends = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
    return RescheduleForm(
        initial={"day": starts.date(), "starts": starts.time(), "ends": ends.time()}
    )


@require_http_methods(["POST"])
@coordinator_required
def change_request(request, request_id, action):
    """One triage step on a request (`REQUEST_ACTIONS`), through its service; the page again
    with the form's errors, or the request's page with what was done."""
    if action not in REQUEST_ACTIONS:
        raise Http404
    dispatch_request = get_object_or_404(DispatchRequest.objects.for_page(), pk=request_id)
    by = request.user
    try:
        if action == "schedule":
            form = ScheduleForm(request.POST, request=dispatch_request)
            if not form.is_valid():
                return _request_page(
                    request, dispatch_request, forms={"schedule": form}, status=422
                )
            data = form.cleaned_data
            schedule_request(
                dispatch_request,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                supporters_needed=data["supporters_needed"],
                place_name=data["place_name"],
                address=data["address"],
                district=data["district"],
                by=by,
            )
        elif action == "reschedule":
            form = RescheduleForm(request.POST)
            if not form.is_valid():
                forms = {"reschedule": form}
                return _request_page(request, dispatch_request, forms=forms, status=422)
            data = form.cleaned_data
            reschedule_request(
                dispatch_request, starts_at=data["starts_at"], ends_at=data["ends_at"], by=by
            )
        elif action == "invite":
            chosen = Supporter.objects.filter(pk__in=request.POST.getlist("supporters"))
            if not chosen:
                raise RequestError("invalid", gettext("Tick the supporters to invite."))
            invite_supporters(dispatch_request, list(chosen), by=by)
        elif action == "accept":
            accept_request(dispatch_request, by=by)
        elif action == "called":
            mark_called_back(dispatch_request, by=by)
        else:
            form = ReasonForm(request.POST)
            text = form.cleaned_data["text"] if form.is_valid() else ""
            steps = {"ask": ask_back, "decline": decline_request, "cancel": cancel_request}
            if action == "ask":
                ask_back(dispatch_request, text, by=by)
            else:
                steps[action](dispatch_request, by=by, reason=text)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, REQUEST_DONE[action])
    return redirect("helpdesk_sessions:request_detail", request_id=dispatch_request.pk)


REQUEST_DONE = {
    "accept": _("Accepted. The group is told you are arranging the visit."),
    "ask": _("Your question is on its way to the group."),
    "decline": _("Declined. The group is told."),
    "schedule": _("Scheduled: the visit is on the supporters' board."),
    "reschedule": _("Moved. The group and the supporters are told."),
    "cancel": _("Cancelled. Everyone concerned is told."),
    "called": _("Marked as called back."),
    "invite": _("Invited: each supporter gets a text with a link; the first to answer fill it."),
}
