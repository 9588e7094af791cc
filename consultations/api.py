"""Consultations: a group visit's report (issue 10), mounted at /api/dispatch-requests beside
the request's other steps."""

from django.shortcuts import get_object_or_404
from ninja import Router

from config.errors import ErrorOut
from consultations.schemas import VisitReportIn, VisitReportOut
from consultations.services import file_visit_report
from sessions.models import DispatchRequest

reports_router = Router(tags=["group visits"])


@reports_router.post(
    "/{request_id}/report",
    response={
        200: VisitReportOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
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
