import secrets
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from config.errors import ServiceError
from config.fiscal import FiscalYear
from config.public_pages import public_context, public_form
from consultations.forms import (
    AnnualReportForm,
    CloseYearForm,
    CorrectionForm,
    TallyForm,
    VisitReportForm,
    report_years,
)
from consultations.models import (
    AgeBand,
    Consultation,
    ConsultationChange,
    Device,
    Feedback,
    TallyConfirmation,
    Topic,
)
from consultations.services import (
    confirm_tally,
    correct_consultation,
    corrected_after_confirmation,
    feedback_counts,
    file_visit_report,
    give_feedback,
    may_confirm_tally,
    may_report,
    may_tally,
    record_consultation,
    remove_consultation,
    restore_consultation,
    undo_consultation,
)
from consultations.statistics.figures import first_year_with_data
from consultations.statistics.report import ReportError, build_annual_report, close_fiscal_year
from sessions.calendar import site_url
from sessions.models import DispatchRequest, Session, Shift
from supporters.access import coordinator_required


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
    confirmation = TallyConfirmation.objects.filter(session=session).first()
    context = {
        "session": session,
        "form": form,
        "may_confirm": session.has_started and may_confirm_tally(request.user, session),
        "confirmation": confirmation,
        "corrected": corrected_after_confirmation(session, confirmation),
        "count": Consultation.objects.counted().filter(session=session).count(),
        "feedback": feedback_counts(session),
        "recent": list(mine.select_related("topic").order_by("-recorded_at", "-pk")[:RECENT_SHOWN]),
        # What the tally's script needs to keep taps on the phone and send them (tally.js).
        "api_url": reverse("api:list_consultations", args=[session.pk]),
        "queue_key": f"digisapo:tally:{session.pk}:{request.user.pk}",
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


# Coordinators correct a session's records later (issue 11) ------------------------------------


@coordinator_required
def tally_records(request, session_id):
    """Every consultation recorded at a session, the undone and removed ones too, with who
    recorded and who undid it, each one's corrections, and edit, remove and restore. A fixed
    number of queries whatever the number of records."""
    session = get_object_or_404(Session.objects.select_related("venue"), pk=session_id)
    changes = ConsultationChange.objects.select_related("changed_by").order_by("changed_at", "pk")
    records = list(
        Consultation.objects.filter(session=session)
        .select_related("topic", "recorded_by", "undone_by")
        .prefetch_related(Prefetch("changes", queryset=changes))
        .order_by("recorded_at", "pk")
    )
    topics = {topic.pk: topic.name for topic in Topic.objects.all()}
    for record in records:
        record.history = [_described(change, topics) for change in record.changes.all()]
    confirmation = (
        TallyConfirmation.objects.select_related("confirmed_by").filter(session=session).first()
    )
    context = {
        "session": session,
        "records": records,
        "count": sum(1 for record in records if record.undone_at is None),
        "confirmation": confirmation,
        "corrected": corrected_after_confirmation(session, confirmation),
    }
    return render(request, "consultations/tally_records.html", context)


def _shown(field: str, value, topics: dict) -> str:
    """One recorded value as the records page words it."""
    if value is None:
        return "—"
    if field == "topic":
        return topics.get(value, "—")
    if field == "device":
        return Device(value).label if value in Device.values else str(value)
    if field == "age_band":
        return AgeBand(value).label if value in AgeBand.values else str(value)
    if field == "language":
        return dict(settings.LANGUAGES).get(value, value)
    if field == "is_resolved":
        return gettext("Solved") if value else gettext("Not solved")
    return str(value)


def _described(change, topics: dict) -> dict:
    """A change as a line of the history: kind, who, when, and each field's old → new."""
    fields = []
    if change.kind == ConsultationChange.Kind.EDITED:
        for field, values in change.changes.items():
            label = Consultation._meta.get_field(field).verbose_name
            old, new = _shown(field, values["old"], topics), _shown(field, values["new"], topics)
            fields.append({"name": field, "label": label, "old": old, "new": new})
    return {"change": change, "fields": fields}


def _record_of(session_id, consultation_id):
    return get_object_or_404(
        Consultation.objects.select_related("session__venue", "topic"),
        pk=consultation_id,
        session_id=session_id,
    )


@coordinator_required
def tally_record_edit(request, session_id, consultation_id):
    """A coordinator corrects one record's choices; the change keeps who, when, old and new."""
    consultation = _record_of(session_id, consultation_id)
    form = CorrectionForm(request.POST or None, consultation=consultation)
    if request.method == "POST" and form.is_valid():
        try:
            correct_consultation(consultation, form.cleaned_data, by=request.user)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, gettext("The record is corrected."))
            return redirect("consultations:tally_records", session_id=session_id)
    context = {"session": consultation.session, "consultation": consultation, "form": form}
    return render(request, "consultations/tally_record_edit.html", context)


@require_POST
@coordinator_required
def tally_record_remove(request, session_id, consultation_id):
    """Take a record out of the figures (it stays, with who and when)."""
    try:
        remove_consultation(_record_of(session_id, consultation_id), by=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("The record is removed from the figures."))
    return redirect("consultations:tally_records", session_id=session_id)


@require_POST
@coordinator_required
def tally_record_restore(request, session_id, consultation_id):
    """Count a removed or undone record again."""
    try:
        restore_consultation(_record_of(session_id, consultation_id), by=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("The record counts again."))
    return redirect("consultations:tally_records", session_id=session_id)


# The feedback QR card (issue 11) ---------------------------------------------------------------


@login_required
def feedback_card(request, session_id):
    """A card to print (A4 for the poster, A6 for the desk) with the QR code to the session's
    question for residents, in large type, in each of the site's languages."""
    session = get_object_or_404(Session.objects.select_related("venue"), pk=session_id)
    if not may_tally(request.user, session):
        raise PermissionDenied
    path = reverse("consultations:feedback", args=[session.pk])
    context = {
        "session": session,
        "feedback_url": site_url(request) + path,
        "answers": Feedback.Answer.choices,
        "size": "a6" if request.GET.get("size") == "a6" else "a4",
        "other_languages": [
            code for code, _name in settings.LANGUAGES if code != request.LANGUAGE_CODE
        ],
    }
    return render(request, "consultations/feedback_card.html", context)


# The annual report (issue 12) ---------------------------------------------------------------


def _report_year(request) -> tuple[AnnualReportForm, FiscalYear]:
    picker = AnnualReportForm(request.GET or None, years=report_years(first_year_with_data()))
    return picker, picker.chosen_year()


@require_http_methods(["GET", "POST"])
@coordinator_required
def annual_report(request):
    """A fiscal year's activity report (the current year to date unless another is chosen), in
    a fixed number of queries; a year that has ended is closed from here (a POST)."""
    picker, fiscal_year = _report_year(request)
    close = CloseYearForm(request.POST or None, initial={"fiscal_year": fiscal_year.start_year})
    if request.method == "POST" and close.is_valid():
        fiscal_year = FiscalYear(close.cleaned_data["fiscal_year"])
        try:
            close_fiscal_year(fiscal_year, by=request.user)
        except ReportError as error:
            close.add_error(None, error.message)
        else:
            messages.success(
                request,
                gettext("%(year)s is closed: its figures are published.")
                % {"year": fiscal_year.label},
            )
            url = reverse("consultations:annual_report")
            return redirect(f"{url}?fiscal_year={fiscal_year.start_year}")
    context = {"report": build_annual_report(fiscal_year), "picker": picker, "close": close}
    return render(request, "consultations/annual_report.html", context)


@coordinator_required
def annual_report_print(request):
    """The same report on A4 paper for the council: a cover line, a section a page, no menu."""
    _picker, fiscal_year = _report_year(request)
    context = {"report": build_annual_report(fiscal_year), "issued_on": timezone.localdate()}
    return render(request, "consultations/annual_report_print.html", context)
