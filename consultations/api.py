"""Consultations: a group visit's report (issue 10), mounted at /api/dispatch-requests beside
the request's other steps, a session's consultation tally (issue 11), at /api/sessions, and the
annual activity report with its exports (issue 12), at /api/stats."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Status

from config.errors import REFUSALS, ApiError, ErrorOut
from config.fiscal import FiscalYear
from consultations.models import Consultation, TallyConfirmation, Topic
from consultations.schemas import (
    AnnualCloseQuery,
    AnnualExportQuery,
    AnnualReportOut,
    AnnualReportQuery,
    ConsultationHistoryOut,
    ConsultationIn,
    CorrectionIn,
    RecordedOut,
    TallyOut,
    VisitReportIn,
    VisitReportOut,
)
from consultations.services import (
    CORRECTION_FORBIDDEN,
    TallyError,
    confirm_tally,
    correct_consultation,
    corrected_after_confirmation,
    feedback_counts,
    file_visit_report,
    may_correct,
    may_tally,
    record_counted,
    remove_consultation,
    restore_consultation,
    tally_count,
    tally_session,
    tally_topic,
    undo_consultation,
)
from consultations.statistics import exports
from consultations.statistics.report import build_annual_report, close_fiscal_year
from sessions.models import DispatchRequest, Session
from supporters.access import coordinator_token_or_session

reports_router = Router(tags=["group visits"])


@reports_router.post(
    "/{request_id}/report",
    response={200: VisitReportOut, **REFUSALS},
    summary="File a group visit's report",
    description="How many residents came, the topics covered (ids), the devices, notes (no "
    "names) and which supporters of the team came (`attended`: supporter ids; the others on "
    "the team are marked as not having come). The visit's session becomes held and the "
    "request done; filing again corrects the report. The visit's lead supporter or a "
    "coordinator (403 for others). Refusals: `not_scheduled`, `not_over` (409), `invalid` "
    "(422).",
)
def file_report(request, request_id: int, payload: VisitReportIn):
    dispatch_request = get_object_or_404(DispatchRequest, pk=request_id)
    report = file_visit_report(
        dispatch_request,
        participants=payload.participants,
        topics=payload.topics,
        devices=payload.devices,
        notes=payload.notes,
        attended=payload.attended,
        by=request.user,
    )
    return {
        "request_id": dispatch_request.pk,
        "session_id": report.session_id,
        "participants": report.participants,
        "topics": [topic.pk for topic in report.topics.all()],
        "devices": report.devices,
        "notes": report.notes,
    }


# The consultation tally (issue 11), mounted at /api/sessions beside the session's other calls.

tally_router = Router(tags=["consultations"])


def entry(consultation) -> dict:
    return {
        "id": consultation.pk,
        "key": consultation.entry_key,
        "topic": consultation.topic_id,
        "device": consultation.device,
        "age_band": consultation.age_band,
        "language": consultation.language,
        "resolved": consultation.is_resolved,
        "minutes": consultation.minutes,
        "recorded_at": consultation.recorded_at,
        "undone": consultation.undone_at is not None,
    }


def recorded(session, consultation) -> dict:
    """A tap's answer: the count and the entry, the same size however long the session's list
    has grown (a supporter taps every few minutes, often on a slow line). One query."""
    return {
        "session_id": session.pk,
        "count": tally_count(session),
        "consultation": entry(consultation),
    }


def tally(session) -> dict:
    """The session's entries, newest first, how many count, the residents' answers counted and
    the confirmation: a fixed number of queries."""
    entries = list(Consultation.objects.filter(session=session).order_by("-recorded_at", "-pk"))
    confirmation = TallyConfirmation.objects.filter(session=session).first()
    return {
        "session_id": session.pk,
        "count": sum(1 for consultation in entries if consultation.undone_at is None),
        "consultations": [entry(consultation) for consultation in entries],
        "feedback": feedback_counts(session),
        "confirmed_count": confirmation.count if confirmation else None,
        "corrected_after_confirmation": corrected_after_confirmation(session, confirmation),
    }


def tallied_session(request, session_id: int):
    session = get_object_or_404(Session, pk=session_id)
    if not may_tally(request.user, session):
        raise TallyError("forbidden")
    return session


@tally_router.get(
    "/{session_id}/consultations",
    response={200: TallyOut, **REFUSALS},
    summary="Show a session's tally",
    description="What residents asked at the session (statistics only: no names), newest "
    "first, undone entries marked, and the count; the residents' anonymous answers counted "
    "(`feedback`: `good`, `ok`, `lost`), the confirmed count and whether the records changed "
    "after it. The session's supporters and coordinators.",
)
def list_consultations(request, session_id: int):
    return tally(tallied_session(request, session_id))


@tally_router.post(
    "/{session_id}/consultations",
    response={201: RecordedOut, 200: RecordedOut, **REFUSALS},
    summary="Record a consultation",
    description="One resident's question: topic (id), device, age band, language, resolved, "
    "minutes. With `key` (one per tap) a resend records nothing more and answers 200, with the "
    "same `consultation`. The answer is the count and the entry (the listing has the rest). "
    "From 30 "
    "minutes before the start to the end of the session's day for its supporters "
    "(`too_early`, `closed`: 409); coordinators may correct later. Refusals: `forbidden` "
    "(403), `session_cancelled` (409), `invalid` (422).",
)
def record_entry(request, session_id: int, payload: ConsultationIn):
    # The session with its team and the topic as of the public content version: no query.
    session = tally_session(session_id)
    if session is None:
        raise Http404
    if not may_tally(request.user, session):
        raise TallyError("forbidden")
    topic = tally_topic(payload.topic)
    consultation, created, count = record_counted(
        session,
        by=request.user,
        topic=topic,
        device=payload.device,
        age_band=payload.age_band,
        language=payload.language,
        resolved=payload.resolved,
        minutes=payload.minutes,
        key=payload.key,
    )
    answer = {"session_id": session.pk, "count": count, "consultation": entry(consultation)}
    return Status(201 if created else 200, answer)


@tally_router.post(
    "/{session_id}/consultations/{consultation_id}/undo",
    response={200: RecordedOut, **REFUSALS},
    summary="Undo a consultation",
    description="The entry stays, marked undone (who and when), and is no longer counted; "
    "undoing again changes nothing. Answers the count and the entry. The session's supporters "
    "and coordinators.",
)
def undo_entry(request, session_id: int, consultation_id: int):
    session = tallied_session(request, session_id)
    consultation = get_object_or_404(Consultation, pk=consultation_id, session=session)
    consultation = undo_consultation(consultation, by=request.user)
    return recorded(session, consultation)


@tally_router.post(
    "/{session_id}/consultations/confirm",
    response={200: TallyOut, **REFUSALS},
    summary="Confirm a session's tally",
    description="After the start, the session's lead or a coordinator confirms the count: the "
    "session is marked held and who confirmed what count, when, is kept (confirming again "
    "after a correction updates it). Refusals: `forbidden` (403), `too_early`, "
    "`session_cancelled` (409).",
)
def confirm_entries(request, session_id: int):
    session = get_object_or_404(Session, pk=session_id)
    confirm_tally(session, by=request.user)
    return tally(session)


# Coordinators correct a session's records later (issue 11) ------------------------------------


def corrected_entry(request, session_id: int, consultation_id: int):
    session = get_object_or_404(Session, pk=session_id)
    if not may_correct(request.user):
        raise TallyError("forbidden", CORRECTION_FORBIDDEN)
    return session, get_object_or_404(Consultation, pk=consultation_id, session=session)


@tally_router.patch(
    "/{session_id}/consultations/{consultation_id}",
    response={200: TallyOut, **REFUSALS},
    summary="Correct a consultation",
    description="A coordinator changes a recorded consultation's choices, at any time after the "
    "session (only the fields sent change; a topic by id). The change keeps who, when, and the "
    "old and new values (`.../history`); a confirmed tally stays confirmed and is shown as "
    "corrected after. Refusals: `forbidden` (403), `invalid` (422).",
)
def correct_entry(request, session_id: int, consultation_id: int, payload: CorrectionIn):
    session, consultation = corrected_entry(request, session_id, consultation_id)
    sent = payload.dict(exclude_unset=True)
    changes = {
        ("is_resolved" if name == "resolved" else name): value for name, value in sent.items()
    }
    if any(value is None for value in changes.values()):
        raise TallyError("invalid", _("A correction gives each field it sends a value."))
    if "topic" in changes:
        changes["topic"] = Topic.objects.filter(pk=changes["topic"]).first()
    correct_consultation(consultation, changes, by=request.user)
    return tally(session)


@tally_router.post(
    "/{session_id}/consultations/{consultation_id}/remove",
    response={200: TallyOut, **REFUSALS},
    summary="Remove a consultation from the figures",
    description="A coordinator, at any time: the entry stays, marked undone with who and when, "
    "and the history keeps the removal; removing again changes nothing. `forbidden` (403).",
)
def remove_entry(request, session_id: int, consultation_id: int):
    session, consultation = corrected_entry(request, session_id, consultation_id)
    remove_consultation(consultation, by=request.user)
    return tally(session)


@tally_router.post(
    "/{session_id}/consultations/{consultation_id}/restore",
    response={200: TallyOut, **REFUSALS},
    summary="Count a consultation again",
    description="A coordinator counts an undone or removed entry again; the history keeps who "
    "had undone it and when. Restoring a counted entry changes nothing. `forbidden` (403).",
)
def restore_entry(request, session_id: int, consultation_id: int):
    session, consultation = corrected_entry(request, session_id, consultation_id)
    restore_consultation(consultation, by=request.user)
    return tally(session)


@tally_router.get(
    "/{session_id}/consultations/{consultation_id}/history",
    response={200: ConsultationHistoryOut, **REFUSALS},
    summary="Show a consultation's history",
    description="Who recorded the entry, who undid it, and every correction oldest first (who, "
    "when, old and new values). Coordinators (403 for others).",
)
def entry_history(request, session_id: int, consultation_id: int):
    _session, consultation = corrected_entry(request, session_id, consultation_id)
    consultation = (
        Consultation.objects.select_related("recorded_by", "undone_by")
        .prefetch_related("changes__changed_by")
        .get(pk=consultation.pk)
    )
    return {
        "consultation": entry(consultation),
        "recorded_by": _name(consultation.recorded_by),
        "undone_by": _name(consultation.undone_by),
        "changes": [
            {
                "kind": change.kind,
                "changed_at": change.changed_at,
                "changed_by": _name(change.changed_by),
                "changes": change.changes,
            }
            for change in consultation.changes.all()
        ],
    }


def _name(user) -> str | None:
    return None if user is None else str(user)


# The annual activity report (issue 12), mounted at /api/stats: coordinators only -------------

stats_router = Router(tags=["statistics"], auth=coordinator_token_or_session)
COORDINATOR_REFUSALS = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut}


def asked_fiscal_year(fiscal_year: int | None) -> FiscalYear:
    """The fiscal year asked for, the current one by default; one not begun yet is bad input."""
    current = FiscalYear.current()
    if fiscal_year is None:
        return current
    if fiscal_year > current.start_year:
        raise ApiError(
            422,
            "invalid",
            gettext("Some of the data sent is not valid."),
            [{"field": "fiscal_year", "message": gettext("This fiscal year has not begun yet.")}],
        )
    return FiscalYear(fiscal_year)


@stats_router.get(
    "/annual",
    response={200: AnnualReportOut, **COORDINATOR_REFUSALS},
    summary="Show a fiscal year's activity report",
    description="The city's headline table (`headline`, keys that never change), each figure "
    "with its definition and the previous year's (`figures`), the breakdowns and the trend "
    "since the first year with records (`tables`), in the request's language. A closed year "
    "answers its published figures, and lists later corrections in `differences`. "
    "Coordinators only.",
)
def annual_statistics(request, query: Query[AnnualReportQuery]):
    return build_annual_report(asked_fiscal_year(query.fiscal_year)).as_dict()


@stats_router.get(
    "/annual/export",
    response=COORDINATOR_REFUSALS,
    summary="Download a fiscal year's activity report",
    description="The same report as a file named `digisapo-annual-FY2024.xlsx` (or `.csv`), "
    "in the request's language (Japanese by default). `xlsx`: a summary sheet with the "
    "headline and each figure's definition, then one sheet per table, numbers as numbers. "
    "`csv`: UTF-8 with a BOM; the title block, then each table (its title on a row of its own, "
    "the header, the rows, the total), blocks split by a blank line; shares as `25.12%`. "
    "Coordinators only.",
    openapi_extra={
        "responses": {
            200: {
                "description": "The report as a file (`Content-Disposition: attachment`).",
                "content": {
                    exports.CONTENT_TYPES["xlsx"]: {
                        "schema": {"type": "string", "format": "binary"}
                    },
                    "text/csv": {"schema": {"type": "string"}},
                },
            }
        }
    },
)
def export_annual_statistics(request, query: Query[AnnualExportQuery]):
    report = build_annual_report(asked_fiscal_year(query.fiscal_year))
    write = exports.as_xlsx if query.format == "xlsx" else exports.as_csv
    response = HttpResponse(write(report), content_type=exports.CONTENT_TYPES[query.format])
    name = exports.filename(report, query.format)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@stats_router.post(
    "/annual/close",
    response={200: AnnualReportOut, **REFUSALS},
    summary="Close a fiscal year",
    description="Publishes the year's report as it is now: from then on it answers these "
    "figures, and a later correction to the year's records shows in `differences` (published "
    "vs. now) rather than changing them. Answers the closed report. Refusals: `not_over` (the "
    "year has not ended), `already_closed` (409). Coordinators only.",
)
def close_annual_statistics(request, query: Query[AnnualCloseQuery]):
    fiscal_year = asked_fiscal_year(query.fiscal_year)
    close_fiscal_year(fiscal_year, by=request.user)
    return build_annual_report(fiscal_year).as_dict()
