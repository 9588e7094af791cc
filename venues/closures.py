"""Days the city's public venues are closed: national holidays and the New Year (29 Dec – 3 Jan)."""

from datetime import date
from functools import cache

import holidays


@cache
def _japanese_holidays(year: int) -> holidays.HolidayBase:
    return holidays.Japan(years=year)


def is_new_year_closure(day: date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def is_closed(day: date) -> bool:
    """True when public venues are closed, so a recurring schedule skips the day."""
    return is_new_year_closure(day) or day in _japanese_holidays(day.year)
