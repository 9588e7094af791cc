"""Consultations' business rules: the figures coordinators report to the council."""

from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from config.fiscal import FiscalYear
from consultations.models import Consultation
from sessions.models import Session
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
