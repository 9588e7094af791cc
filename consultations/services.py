"""Consultations' business rules: visits' reports, and the figures coordinators report to the
council."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from config.errors import ServiceError
from config.fiscal import FiscalYear
from consultations.models import Consultation, SessionReport
from sessions.models import DispatchRequest, Session, Shift
from sessions.services import complete_request, mark_attendance, mark_held
from sessions.services.requests import lock_request
from sessions.services.rules import is_lead_of, lock_session
from supporters.models import Supporter


@dataclass(frozen=True)
class AnnualFigures:
    """The city's headline table for one fiscal year (only sessions that took place count)."""

    fiscal_year: FiscalYear
    helpdesk_sessions_held: int  # 開催回数
    consultations: int  # 相談受付件数
    dispatches_held: int  # 出張件数
    dispatch_participants: int  # 講習参加人数
    active_supporters: int  # サポーター数, on the year's last day
    classes_held: int
    class_participants: int


def annual_figures(fiscal_year: FiscalYear) -> AnnualFigures:
    """Count the fiscal year's sessions that took place (`Session.objects.took_place()`, the
    same as supporters' hours), their consultations and participants, and the supporters."""
    held = Session.objects.in_fiscal_year(fiscal_year).took_place()
    kind = Session.Kind
    # One row per session: the report is one-to-one, so the join multiplies nothing.
    sessions = held.aggregate(
        helpdesk_sessions_held=Count("id", filter=Q(kind=kind.HELPDESK)),
        dispatches_held=Count("id", filter=Q(kind=kind.DISPATCH)),
        dispatch_participants=Coalesce(
            Sum("report__participants", filter=Q(kind=kind.DISPATCH)), 0
        ),
        classes_held=Count("id", filter=Q(kind=kind.CLASS)),
        class_participants=Coalesce(Sum("report__participants", filter=Q(kind=kind.CLASS)), 0),
    )
    consultations = Consultation.objects.filter(session__in=held.filter(kind=kind.HELPDESK)).count()
    return AnnualFigures(
        fiscal_year=fiscal_year,
        consultations=consultations,
        active_supporters=Supporter.objects.active_on(fiscal_year.last_day).count(),
        **sessions,
    )


class ReportError(ServiceError):
    """A visit report the rules refuse. `code`: forbidden, not_scheduled, not_over, invalid."""

    MESSAGES = {
        "forbidden": _("Only a coordinator or the visit's lead supporter can file its report."),
        "not_scheduled": _("Only a scheduled visit can have a report."),
        "not_over": _("The report can be filed once the visit has started."),
        "invalid": _("Check the report: the number of residents must be between 0 and 500."),
    }


def may_report(user, request) -> bool:
    """Coordinators, and the supporter leading the visit, file its report."""
    if not getattr(user, "is_authenticated", False) or request.session_id is None:
        return False
    return user.is_coordinator or is_lead_of(user, request.session)


def file_visit_report(
    request,
    *,
    participants: int,
    topics=(),
    devices=(),
    notes: str = "",
    attended=(),
    by,
) -> SessionReport:
    """After a group visit: how many residents came, what was covered, which supporters came.
    The session becomes held, the request done, and the annual figures count it (出張件数,
    講習参加人数). Filing again corrects the report. `attended`: supporter ids of the team who
    came; the others on the team are marked as not having come."""
    if not may_report(by, request):
        raise ReportError("forbidden")
    if not 0 <= participants <= 500:
        raise ReportError("invalid")
    if any(device not in DispatchRequest.Device.values for device in devices):
        raise ReportError("invalid", _("Choose the devices from the list."))
    attended = {int(pk) for pk in attended}
    with transaction.atomic():
        session = lock_session(request.session_id)
        request = lock_request(request)
        if request.status not in (DispatchRequest.Status.SCHEDULED, DispatchRequest.Status.DONE):
            raise ReportError("not_scheduled")
        if session.is_cancelled:
            raise ReportError("not_scheduled")
        if not session.has_started:
            raise ReportError("not_over")
        report, _created = SessionReport.objects.update_or_create(
            session=session,
            defaults={
                "participants": participants,
                "notes": notes.strip(),
                "devices": sorted(set(devices)),
                "recorded_by": by,
            },
        )
        report.topics.set(topics)
        team = Shift.objects.filter(session=session, status__in=Shift.TEAM_STATUSES)
        for shift in team.select_related("session"):
            status = (
                Shift.Status.ATTENDED if shift.supporter_id in attended else Shift.Status.NO_SHOW
            )
            mark_attendance(shift, status, by=by)
        mark_held(session, by=by)
        complete_request(request, by=by)
    return report
