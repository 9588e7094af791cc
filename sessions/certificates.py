"""A supporter's certificate of hours for a fiscal year (issue 13): their served shifts by kind
of session, with the hours and the totals, issued by the programme on a date.

The figures are `Shift.objects.served()`'s, the one definition of a shift that counts (on a
session that took place, not missed, not cancelled): the total is the row My shifts shows for
the same year. Read in one query, whoever the supporter and however many shifts.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext

from config.fiscal import FiscalYear
from sessions.models import Shift


@dataclass(frozen=True)
class Certificate:
    supporter: object
    fiscal_year: FiscalYear
    rows: list[dict]  # `ShiftQuerySet.hours_by_kind()`'s, one per kind
    issued_on: date

    @property
    def total_hours(self) -> float:
        # Summed from the durations, not the rounded rows: the same figure as My shifts'.
        total = sum((row["duration"] for row in self.rows), timedelta(0))
        return round(total.total_seconds() / 3600, 1)

    @property
    def issuer(self) -> str:
        return gettext("%(programme)s, %(office)s") % {
            "programme": gettext("Maebashi Digital Supporters"),
            "office": gettext("Maebashi City digital support office"),
        }

    @property
    def total_shifts(self) -> int:
        return sum(row["shifts"] for row in self.rows)


def certificate_of_hours(supporter, fiscal_year: FiscalYear) -> Certificate:
    """The supporter's certificate for `fiscal_year`, issued today (Tokyo)."""
    rows = Shift.objects.filter(supporter=supporter).hours_by_kind(fiscal_year)
    return Certificate(supporter, fiscal_year, rows, timezone.localdate())
