import secrets
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from config.errors import ServiceError
from config.public_pages import public_context, public_form
from consultations.forms import TallyForm, VisitReportForm
from consultations.models import Consultation, Feedback, TallyConfirmation
from consultations.services import (
    confirm_tally,
    feedback_counts,
    file_visit_report,
    give_feedback,
    may_confirm_tally,
    may_report,
    may_tally,
    record_consultation,
    undo_consultation,
)
from sessions.models import DispatchRequest, Session, Shift


@login_required
def visit_report(request, request_id):
    """The lead supporter (on their phone, after the visit) or a coordinator files a visit's
    report; filing again corrects it."""
    dispatch_request = get_object_or_404(
        DispatchRequest.objects.select_related("session__venue", "session__district"),
        pk=request_id,
    )
    if not may_report(request.user, dispatch_request):
        raise PermissionDenied
    session = dispatch_request.session
    team = list(
        Shift.objects.filter(session=session, status__in=Shift.TEAM_STATUSES)
        .select_related("supporter")
        .order_by("role", "pk")
    )
    report = getattr(session, "report", None)
    initial = {
        "participants": report.participants if report else dispatch_request.residents_count,
        "topics": list(report.topics.all()) if report else list(dispatch_request.topics.all()),
        "devices": report.devices if report else dispatch_request.devices,
        "notes": report.notes if report else "",
        "attended": [
            str(shift.supporter_id) for shift in team if shift.status != Shift.Status.NO_SHOW
        ],
    }
    form = VisitReportForm(request.POST or None, team=team, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            file_visit_report(
                dispatch_request,
                participants=data["participants"],
                topics=data["topics"],
                devices=data["devices"],
                notes=data["notes"],
                attended=data["attended"],
                by=request.user,
            )
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, gettext("Thank you: the visit's report is filed."))
            if request.user.is_coordinator:
                return redirect("helpdesk_sessions:request_detail", request_id=dispatch_request.pk)
            return redirect("helpdesk_sessions:my_shifts")
    context = {"dispatch_request": dispatch_request, "session": session, "form": form}
    return render(request, "consultations/visit_report.html", context)


RECENT_SHOWN = 5


@login_required
def tally(request, session_id):
    """The consultation tally on a supporter's phone: one resident's question in a few taps,
    the count always in sight, the last entry undoable. Every tap is a plain form post."""
    session = get_object_or_404(Session.objects.select_related("venue"), pk=session_id)
    if not may_tally(request.user, session):
        raise PermissionDenied
    mine = Consultation.objects.filter(session=session, recorded_by=request.user)
    form = TallyForm(request.POST or None, initial=_last_choices(mine, request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record_consultation(
                session,
                by=request.user,
                topic=data["topic"],
                device=data["device"],
                age_band=data["age_band"],
                language=data["language"],
                resolved=data["resolved"],
                minutes=data["minutes"],
                key=data["key"],
            )
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, gettext("Recorded. Next resident?"))
        return redirect("consultations:tally", session_id=session.pk)
    context = {
        "session": session,
        "form": form,
        "may_confirm": session.has_started and may_confirm_tally(request.user, session),
        "confirmation": TallyConfirmation.objects.filter(session=session).first(),
        "count": Consultation.objects.counted().filter(session=session).count(),
        "feedback": feedback_counts(session),
        "recent": list(mine.select_related("topic").order_by("-recorded_at", "-pk")[:RECENT_SHOWN]),
    }
    return render(request, "consultations/tally.html", context)


def _last_choices(mine, request) -> dict:
    """The choices of this supporter's last entry, for the next resident; a new tap's key."""
    last = mine.counted().order_by("-recorded_at", "-pk").first()
    initial = {"key": uuid.uuid4(), "language": request.LANGUAGE_CODE, "resolved": "yes"}
    if last is not None:
        initial |= {
            "topic": last.topic_id,
            "device": last.device,
            "age_band": last.age_band,
            "language": last.language,
            "resolved": "yes" if last.is_resolved else "no",
            "minutes": last.minutes,
        }
    return initial


@require_POST
@login_required
def tally_confirm(request, session_id):
    """The lead confirms the count after the session: the session is held."""
    session = get_object_or_404(Session, pk=session_id)
    try:
        confirmation = confirm_tally(session, by=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        text = gettext("Confirmed: %(count)s consultations. Thank you!")
        messages.success(request, text % {"count": confirmation.count})
    return redirect("consultations:tally", session_id=session.pk)


@require_POST
@login_required
def tally_undo(request, session_id):
    """Undo this supporter's last entry on the session (it stays, marked undone)."""
    session = get_object_or_404(Session, pk=session_id)
    if not may_tally(request.user, session):
        raise PermissionDenied
    last = (
        Consultation.objects.counted()
        .filter(session=session, recorded_by=request.user)
        .order_by("-recorded_at", "-pk")
        .first()
    )
    if last is not None:
        try:
            undo_consultation(last, by=request.user)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, gettext("The last entry is undone."))
    return redirect("consultations:tally", session_id=session.pk)


DEVICE_COOKIE = "digisapo_device"  # a random id, so a phone answers a session's question once
DEVICE_COOKIE_AGE = 60 * 60 * 24 * 400


@public_form
def feedback(request, session_id):
    """ "How did it go?" with three large faces, in the resident's language, from the QR card on
    the desk; one answer per phone per session, and nothing that identifies the person. The
    question is one cached page for everyone (`public_form`)."""
    if request.method == "POST":
        return _answer_feedback(request, session_id)
    session = get_object_or_404(Session.objects.select_related("venue"), pk=session_id)
    context = {"session": session, "answers": Feedback.Answer.choices}
    return render(request, "consultations/feedback.html", public_context(request, context))


def _answer_feedback(request, session_id):
    session = get_object_or_404(Session.objects.select_related("venue"), pk=session_id)
    device_id = request.COOKIES.get(DEVICE_COOKIE) or secrets.token_urlsafe(24)
    try:
        _given, created = give_feedback(
            session,
            request.POST.get("answer", ""),
            device_id=device_id,
            language=request.LANGUAGE_CODE,
        )
    except ServiceError as error:
        context = {"session": session, "error": error.message}
        return render(request, "consultations/feedback_thanks.html", context, status=409)
    context = {"session": session, "already": not created}
    response = render(request, "consultations/feedback_thanks.html", context)
    response.set_cookie(
        DEVICE_COOKIE, device_id, max_age=DEVICE_COOKIE_AGE, httponly=True, samesite="Lax"
    )
    return response
