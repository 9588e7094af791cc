"""Quiet hours: no texts at night, Tokyo time (settings.SMS_QUIET_HOURS, default 21:00–08:00)."""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

# Texts the recipient has just asked for go out at any hour: a sign-in code that arrives at 08:00
# is useless at 22:00, and a reply answers a text they sent a moment ago.
ASKED_FOR_PURPOSES = ("sign_in_code", "reply")


def in_quiet_hours(moment: datetime) -> bool:
    start, end = settings.SMS_QUIET_HOURS
    hour = timezone.localtime(moment).hour
    if start == end:
        return False
    if start > end:  # the usual case: spans midnight
        return hour >= start or hour < end
    return start <= hour < end


def end_of_quiet_hours(moment: datetime) -> datetime:
    """The first instant after `moment` when texts may go out again."""
    _, end = settings.SMS_QUIET_HOURS
    local = timezone.localtime(moment)
    day = local.date() if local.hour < end else local.date() + timedelta(days=1)
    return datetime.combine(day, time(end), tzinfo=local.tzinfo)


def earliest_send_time(moment: datetime, purpose: str) -> datetime:
    """`moment`, or the end of the quiet hours it falls in (unless the text was asked for)."""
    if purpose in ASKED_FOR_PURPOSES or not in_quiet_hours(moment):
        return moment
    return end_of_quiet_hours(moment)
