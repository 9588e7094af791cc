"""Volunteer insurance running out (issue 13): a text to the supporter 30 days and 7 days before
it ends, and one to each coordinator on the day, listing whose ends. A supporter whose insurance
has lapsed cannot take shifts (sessions' rules, code `insurance`), and the board says why.

Registered with the outbox as a daily reminder planner (`SupportersConfig.ready()`): run each
morning, it returns the texts due by then, each keyed by the insurance date it is about, so a
run repeated sends nothing twice, a day missed is made up by the next run (up to the day itself
for the supporter's, CATCH_UP_DAYS after it for the coordinators'), and a renewed insurance
(a new date) is reminded of afresh next year. Only active supporters: not those who withdrew or
paused. Landlines and numbers that opted out are the outbox's to leave out.
"""

from datetime import date, timedelta
from itertools import groupby

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import formats, translation

from notifications.models import OutboundMessage
from notifications.services import Sms, absolute_url
from notifications.tasks import schedule_daily_reminders
from supporters.models import Supporter
from supporters.phones import format_national
from supporters.roles import coordinators_to_text
from supporters.texts import render_sms

REMINDER = OutboundMessage.Purpose.REMINDER

# Days before the last insured day: the first reminder, and the second, more pressing one.
FIRST_REMINDER_DAYS = 30
LAST_REMINDER_DAYS = 7
# The coordinators' text on the last day, still sent this many days later after missed runs.
CATCH_UP_DAYS = 6


def plan_insurance_reminders() -> None:
    """After an insurance date is recorded: make sure the daily run is waiting, once the change
    is committed (it may be the first reminder ever planned, with no run scheduled yet)."""
    transaction.on_commit(schedule_daily_reminders)


def insurance_reminders(today: date) -> list[Sms]:
    """The planner: supporters' reminders due by `today`, then the coordinators' for each
    insurance date that ended today (or within CATCH_UP_DAYS). Two queries and one more for the
    coordinators, however many supporters."""
    return _supporters_reminders(today) + _coordinators_reminders(today)


def _supporters_reminders(today: date) -> list[Sms]:
    ending = Supporter.objects.active().filter(
        insurance_valid_until__gt=today,
        insurance_valid_until__lte=today + timedelta(days=FIRST_REMINDER_DAYS),
    )
    texts = []
    for supporter in ending.exclude(user__phone="").select_related("user").order_by("pk"):
        user, valid_until = supporter.user, supporter.insurance_valid_until
        # Within the last week only the second reminder: a first one not sent by then is late.
        soon = (valid_until - today).days <= LAST_REMINDER_DAYS
        which = "7-days" if soon else "30-days"
        body = render_sms(
            "insurance_ends_soon" if soon else "insurance_ends",
            user.language,
            date=_sms_date(valid_until, user.language),
            phone=format_national(settings.CITY_PHONE),
        )
        key = f"reminder:insurance:{supporter.pk}:{which}@{valid_until.isoformat()}"
        texts.append(Sms(user.phone, body, REMINDER, key, supporter, language=user.language))
    return texts


def _coordinators_reminders(today: date) -> list[Sms]:
    ended = (
        Supporter.objects.active()
        .filter(
            insurance_valid_until__lte=today,
            insurance_valid_until__gte=today - timedelta(days=CATCH_UP_DAYS),
        )
        .order_by("insurance_valid_until", "family_name_kana", "given_name_kana", "pk")
    )
    by_day = [
        (day, list(group)) for day, group in groupby(ended, lambda s: s.insurance_valid_until)
    ]
    if not by_day:
        return []
    link = absolute_url(reverse("admin:supporters_supporter_changelist") + "?insurance=ending")
    texts = []
    for coordinator in coordinators_to_text():
        for day, supporters in by_day:
            body = render_sms(
                "insurance_ended_coordinators",
                coordinator.language,
                date=_sms_date(day, coordinator.language),
                name=supporters[0].full_name,
                count=len(supporters),
                link=link,
            )
            key = f"reminder:insurance-ended:{day.isoformat()}:to:{coordinator.pk}"
            texts.append(Sms(coordinator.phone, body, REMINDER, key, language=coordinator.language))
    return texts


def _sms_date(day: date, language: str) -> str:
    with translation.override(language):
        return formats.date_format(day, "SMS_DATE_FORMAT")
