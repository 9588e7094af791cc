"""Days the city's venues are closed: national holidays, the New Year (29 Dec – 3 Jan), and the
closures coordinators record (`Closure`: every venue, or one venue's own closed days)."""

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import holidays
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from venues.models import Closure

# Why a day is closed, for a generation's preview and the API (issue 11).
HOLIDAY = "holiday"
NEW_YEAR = "new_year"
CLOSURE = "closure"
REASON_LABELS = {
    HOLIDAY: _("National holiday"),
    NEW_YEAR: _("New-Year closure (29 December – 3 January)"),
    CLOSURE: _("Venue closed"),
}


@dataclass(frozen=True)
class ClosedDay:
    """A closed day and why: `reason` is a code, `detail` the holiday's name (in the active
    language where the `holidays` library has it, else Japanese) or the closure's reason."""

    day: date
    reason: str
    detail: str = ""

    @property
    def label(self) -> str:
        """The reason's code in words."""
        return str(REASON_LABELS[self.reason])

    @property
    def in_words(self) -> str:
        """Why, as a person says it: the holiday's name or the closure's reason, else the
        label (the New Year)."""
        return self.detail or self.label


@cache
def _japanese_holidays(year: int, language: str = "ja") -> holidays.HolidayBase:
    return holidays.Japan(years=year, language=language)


def _holiday_language() -> str:
    return "en_US" if (translation.get_language() or "ja").startswith("en") else "ja"


def is_new_year_closure(day: date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def is_closed(day: date) -> bool:
    """True on a national holiday or in the New Year, when every public venue is closed."""
    return is_new_year_closure(day) or day in _japanese_holidays(day.year)


def closed_days_with_reasons(venue, first: date, last: date) -> dict[date, ClosedDay]:
    """The days in [first, last] `venue` is closed, each with why: the New Year first, then a
    national holiday, then the closures recorded for every venue or this one."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    closed = {}
    language = _holiday_language()
    for day in days:
        if is_new_year_closure(day):
            closed[day] = ClosedDay(day, NEW_YEAR)
        elif day in _japanese_holidays(day.year):
            name = _japanese_holidays(day.year, language).get(day)
            closed[day] = ClosedDay(day, HOLIDAY, name)
    for closure in Closure.objects.affecting(venue).overlapping(first, last):
        for day in days:
            if closure.starts_on <= day <= closure.ends_on and day not in closed:
                closed[day] = ClosedDay(day, CLOSURE, closure.reason)
    return closed


def closed_days(venue, first: date, last: date) -> set[date]:
    """The days in [first, last] `venue` is closed: the rules above plus recorded closures."""
    return set(closed_days_with_reasons(venue, first, last))
