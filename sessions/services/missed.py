"""Missed shifts, handled kindly (issue 13).

The morning after a session, a shift still only signed up (nobody checked in, nobody marked
it) is asked about: one text to the session's lead who came, listing whom, with the roster's
link; without a lead there (or when the lead is among them), one to each coordinator. A
supporter marked as not coming gets a friendly text, never a penalty: their hours are simply
not counted (`ShiftQuerySet.served`).

Registered as a daily reminder planner (`SessionsConfig.ready()`): keys per session and
recipient, so a run repeated queues nothing new and a day missed is made up by the next run.
Landlines and numbers that opted out are the outbox's to leave out.
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.urls import reverse

from config.fiscal import TOKYO
from notifications.models import OutboundMessage
from notifications.services import Sms, absolute_url, queue_sms_many
from sessions.models import Session, Shift
from sessions.texts import render_sms
from supporters.roles import coordinators_to_text

REMINDER = OutboundMessage.Purpose.REMINDER

# Sessions that ended this many days before today are still asked about (a missed run).
ASKED_FOR_DAYS = 2


def missed_shift_questions(today: date) -> list[Sms]:
    """The planner: for each session that ended in the ASKED_FOR_DAYS days before `today` with
    shifts neither checked in nor marked, the question to its lead, else the coordinators."""
    since = datetime.combine(today - timedelta(days=ASKED_FOR_DAYS), time.min, tzinfo=TOKYO)
    until = datetime.combine(today, time.min, tzinfo=TOKYO)
    shifts = (
        Shift.objects.filter(
            status__in=Shift.TEAM_STATUSES,
            session__ends_at__gte=since,
            session__ends_at__lt=until,
        )
        .exclude(session__status=Session.Status.CANCELLED)
        .select_related("session__venue", "supporter__user")
        .order_by("session__starts_at", "session_id", "pk")
    )
    by_session = defaultdict(list)
    for shift in shifts:
        by_session[shift.session].append(shift)
    texts = []
    coordinators = None
    for session, team in by_session.items():
        unmarked = [
            s for s in team if s.status == Shift.Status.SIGNED_UP and s.checked_in_at is None
        ]
        if not unmarked:
            continue
        leads = [
            s.supporter.user
            for s in team
            if s.role == Shift.Role.LEAD
            and s.status == Shift.Status.ATTENDED
            and s.supporter.user.phone
        ]
        if not leads:
            if coordinators is None:
                coordinators = list(coordinators_to_text())
            recipients = coordinators
        else:
            recipients = leads
        names = ", ".join(s.supporter.short_name for s in unmarked)
        link = absolute_url(reverse("helpdesk_sessions:roster", args=[session.pk]))
        for user in recipients:
            body = render_sms(
                "missed_shift_question",
                user.language,
                moment=session.starts_at,
                place=session.place_label,
                names=names,
                count=len(unmarked),
            )
            texts.append(
                Sms(
                    user.phone,
                    f"{body}\n{link}",
                    REMINDER,
                    f"reminder:missed-shifts:{session.pk}:to:{user.pk}",
                    session,
                    language=user.language,
                )
            )
    return texts


def tell_of_no_show(shift: Shift) -> None:
    """A kind text to a supporter just marked as not coming, once per shift (in the caller's
    transaction): are they all right, and how to ask for cover next time."""
    user = shift.supporter.user
    if not user.phone:
        return
    session = shift.session
    body = render_sms(
        "missed_you", user.language, moment=session.starts_at, place=session.place_label
    )
    queue_sms_many(
        [
            Sms(
                user.phone,
                body,
                OutboundMessage.Purpose.CONFIRMATION,
                f"missed-you:shift:{shift.pk}",
                related=shift,
                language=user.language,
            )
        ]
    )
