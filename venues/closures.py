"""Days the city's venues are closed: national holidays, the New Year (29 Dec – 3 Jan), and the
closures coordinators record (`Closure`: every venue, or one venue's own closed days)."""

from datetime import date, timedelta
from functools import cache

import holidays

from venues.models import Closure


@cache
def _japanese_holidays(year: int) -> holidays.HolidayBase:
    return holidays.Japan(years=year)


def is_new_year_closure(day: date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def is_closed(day: date) -> bool:
    """True on a national holiday or in the New Year, when every public venue is closed."""
    return is_new_year_closure(day) or day in _japanese_holidays(day.year)


def closed_days(venue, first: date, last: date) -> set[date]:
    """The days in [first, last] `venue` is closed: the rules above plus recorded closures."""
    days = {first + timedelta(days=n) for n in range((last - first).days + 1)}
    closed = {day for day in days if is_closed(day)}
    for closure in Closure.objects.affecting(venue).overlapping(first, last):
        closed |= {day for day in days if closure.starts_on <= day <= closure.ends_on}
    return closed
