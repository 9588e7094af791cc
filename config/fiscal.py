"""The city's fiscal year (年度): 1 April to 31 March, labelled both as FY2024 and 令和6年度."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

TOKYO = ZoneInfo("Asia/Tokyo")
REIWA_OFFSET = 2018  # 令和1年 = 2019, so 令和N年度 starts in April of 2018 + N.


@dataclass(frozen=True, order=True)
class FiscalYear:
    start_year: int

    @classmethod
    def of(cls, day: date) -> "FiscalYear":
        return cls(day.year if day.month >= 4 else day.year - 1)

    @classmethod
    def current(cls) -> "FiscalYear":
        return cls.of(timezone.localdate())

    @property
    def first_day(self) -> date:
        return date(self.start_year, 4, 1)

    @property
    def last_day(self) -> date:
        return date(self.start_year + 1, 3, 31)

    @property
    def starts_at(self) -> datetime:
        """The first instant of the year, Tokyo time (for half-open datetime ranges)."""
        return datetime.combine(self.first_day, time.min, tzinfo=TOKYO)

    @property
    def ends_before(self) -> datetime:
        return datetime.combine(self.last_day + timedelta(days=1), time.min, tzinfo=TOKYO)

    @property
    def reiwa(self) -> int:
        return self.start_year - REIWA_OFFSET

    @property
    def label(self) -> str:
        return _("FY%(year)s (Reiwa %(reiwa)s)") % {"year": self.start_year, "reiwa": self.reiwa}

    def __str__(self) -> str:
        return f"FY{self.start_year}"
