"""Smartphone classes as coordinators run them (issue 11): making a class or a whole series of
dates at once, changing one, and marking who came at the door.

Residents' registrations and their waiting list are `registrations.py`'s; a change here that
frees seats (a larger room) hands them down the line through `offer_freed_seats`. Calling a
class off or moving it is `lifecycle`'s (`cancel_session`, `move_session`), which tell everyone.

Lock order, as everywhere: the session's row first, then its registrations.
"""

import calendar
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from config.errors import ServiceError
from config.fiscal import TOKYO
from notifications.models import OutboundMessage
from notifications.services import Sms, cancel_pending, queue_sms_many
from sessions.models import ClassRegistration, ClassSeries, Session, Shift
from sessions.services.lifecycle import move_session
from sessions.services.registrations import offer_freed_seats, tell_registrants_of_change
from sessions.services.rules import (
    ATTENDANCE_OPENS_BEFORE,
    bump_calendar_sequence,
    check_is_coordinator,
    lock_session,
)
from sessions.texts import render_sms
from venues.closures import ClosedDay, closed_days_with_reasons

logger = logging.getLogger(__name__)


class ClassError(ServiceError):
    """A class change the rules refuse. `code`: forbidden, invalid, not_a_class, cancelled,
    capacity_below_taken, closed, no_dates, too_many, too_early, not_registered."""

    MESSAGES = {
        "forbidden": _("Only coordinators can run smartphone classes."),
        "invalid": _("Some of the class's details are missing or not valid."),
        "not_a_class": _("This session is not a smartphone class."),
        "cancelled": _("This class has been cancelled: it cannot be changed."),
        "capacity_below_taken": _("The number of places cannot be lower than the seats taken."),
        "closed": _("The venue is closed on one of the dates."),
        "no_dates": _("Give at least one date for the series."),
        "too_many": _("A series has at most 24 dates."),
        "too_early": _("Attendance can be marked from 30 minutes before the start."),
        "not_registered": _("Only residents with a seat can be marked as present."),
    }


# What a coordinator sets on a class (besides its times): the keys `create_class` and
# `update_class` take, as the form and the API name them.
CLASS_FIELDS = (
    "title",
    "description",
    "class_level",
    "organiser",
    "loaner_devices",
    "venue",
    "capacity",
    "supporters_needed",
    "series",
    "language",
)
REQUIRED = ("title", "class_level", "organiser", "venue", "capacity")
# The fields supporters' calendar events show: a change gives their events a new revision.
CALENDAR_FIELDS = {"title", "venue"}
MAX_SERIES_DATES = 24


def _check_fields(data: dict, *, partial: bool = False) -> None:
    """The rules a class's details follow, all at once, `{field: [message]}` in the error."""
    errors = {}
    for name in REQUIRED:
        if name in data or not partial:
            value = data.get(name)
            if value in (None, ""):
                errors[name] = [gettext("This field is required.")]
    level = data.get("class_level")
    if level not in (None, "") and level not in Session.Level.values:
        errors["class_level"] = [gettext("Choose a level from 1 to 5.")]
    organiser = data.get("organiser")
    if organiser and organiser not in Session.Organiser.values:
        errors["organiser"] = [gettext("Choose who runs the class.")]
    capacity = data.get("capacity")
    if capacity is not None and capacity < 1:
        errors["capacity"] = [gettext("A class needs at least one place.")]
    needed = data.get("supporters_needed")
    if needed is not None and needed < 0:
        errors["supporters_needed"] = [gettext("Give zero or more supporters.")]
    starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
    if starts_at and ends_at and ends_at <= starts_at:
        errors["ends_at"] = [gettext("A session must end after it starts.")]
    if errors:
        raise ClassError("invalid", details=errors)


def _series_of(data: dict):
    """The series a class joins: one given, or a new one named by `new_series` (made here)."""
    title = (data.get("new_series") or "").strip()
    if title:
        return ClassSeries.objects.create(
            title=title, description=data.get("new_series_description", "")
        )
    return data.get("series")


def _closure_reasons(venue, days) -> dict[date, ClosedDay]:
    """Why `venue` is closed on each of `days` that it is closed (`venues.closures`)."""
    if not days:
        return {}
    closed = closed_days_with_reasons(venue, min(days), max(days))
    return {day: closed[day] for day in days if day in closed}


def _closed_error(reasons: dict[date, str]) -> ClassError:
    listed = ", ".join(
        gettext("%(date)s (%(reason)s)")
        % {"date": date_format(day, "SHORT_DATE_FORMAT"), "reason": closed.in_words}
        for day, closed in sorted(reasons.items())
    )
    message = gettext("The venue is closed on %(dates)s.") % {"dates": listed}
    return ClassError("closed", message, details={"dates": [message]})


def create_class(data: dict, *, by) -> Session:
    """Make one smartphone class from `data` (CLASS_FIELDS, `starts_at`, `ends_at`, optionally
    `new_series`); refused on a day its venue is closed."""
    check_is_coordinator_for_classes(by)
    _check_fields(data)
    if not data.get("starts_at") or not data.get("ends_at"):
        raise ClassError("invalid", details={"starts_at": [gettext("Give the date and time.")]})
    if data["starts_at"] <= timezone.now():
        raise ClassError("invalid", details={"starts_at": [gettext("A class starts later.")]})
    day = timezone.localdate(data["starts_at"])
    reasons = _closure_reasons(data["venue"], [day])
    if reasons:
        raise _closed_error(reasons)
    with transaction.atomic():
        fields = {name: data[name] for name in CLASS_FIELDS if name in data}
        fields["series"] = _series_of(data)
        session = Session.objects.create(
            kind=Session.Kind.CLASS,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            district=data["venue"].district,
            **fields,
        )
        logger.info("Class %s created by user %s", session.pk, getattr(by, "pk", None))
    return session


def check_is_coordinator_for_classes(by) -> None:
    try:
        check_is_coordinator(by)
    except ServiceError:
        raise ClassError("forbidden") from None


def check_capacity(session: Session, capacity: int) -> None:
    """Refuse fewer places than the seats taken (read fresh, under the caller's lock)."""
    taken = ClassRegistration.objects.filter(
        session=session, status__in=ClassRegistration.SEAT_HOLDING_STATUSES
    ).count()
    if capacity < taken:
        message = ngettext(
            "%(taken)d seat is taken: the class needs at least %(taken)d place.",
            "%(taken)d seats are taken: the class needs at least %(taken)d places.",
            taken,
        ) % {"taken": taken}
        raise ClassError("capacity_below_taken", message, details={"capacity": [message]})


def update_class(session: Session, data: dict, *, by) -> Session:
    """Change a class's details (any of CLASS_FIELDS, `starts_at`/`ends_at`, `new_series`):
    never fewer places than the seats taken; more places go to the waiting list; new times go
    through `move_session`, which tells calendars and replaces the reminders."""
    check_is_coordinator_for_classes(by)
    _check_fields(data, partial=True)
    with transaction.atomic():
        session = lock_session(session.pk)
        if session.kind != Session.Kind.CLASS:
            raise ClassError("not_a_class")
        if session.is_cancelled:
            raise ClassError("cancelled")
        starts_at = data.get("starts_at") or session.starts_at
        ends_at = data.get("ends_at") or session.ends_at
        if ends_at <= starts_at:
            raise ClassError(
                "invalid", details={"ends_at": [gettext("A session must end after it starts.")]}
            )
        venue = data.get("venue") or session.venue
        moved = (starts_at, ends_at) != (session.starts_at, session.ends_at)
        if moved and starts_at <= timezone.now():
            raise ClassError("invalid", details={"starts_at": [gettext("A class starts later.")]})
        if moved or venue != session.venue:
            reasons = _closure_reasons(venue, [timezone.localdate(starts_at)])
            if reasons:
                raise _closed_error(reasons)
        old_capacity = session.capacity
        if "capacity" in data and data["capacity"] < old_capacity:
            check_capacity(session, data["capacity"])
        changed = []
        for name in CLASS_FIELDS:
            if name in data and getattr(session, name) != data[name]:
                setattr(session, name, data[name])
                changed.append(name)
        if data.get("new_series"):
            session.series = _series_of(data)
            changed.append("series")
        if "venue" in changed:
            session.district = venue.district
            changed.append("district")
        if changed:
            session.save(update_fields=[*changed, "updated_at"])
        if moved:
            session = move_session(session, starts_at, ends_at, by=by)
        elif CALENDAR_FIELDS.intersection(changed):
            bump_calendar_sequence(session)
        if moved or "venue" in changed:
            _tell_of_change(session)
        # Seats freed once the class has begun would text the waiting residents too late.
        if session.capacity > old_capacity and not session.has_started:
            offer_freed_seats(session)
        logger.info(
            "Class %s changed (%s) by user %s",
            session.pk,
            ", ".join(changed + (["times"] if moved else [])) or "nothing",
            getattr(by, "pk", None),
        )
    return session


# Series ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesRule:
    """Dates by rule: from `first` on, `count` classes on `weekday` (0 Monday … 6 Sunday),
    every week (`week_of_month` None; `every_weeks` apart) or on its Nth of each month
    (`week_of_month` 1–5; a month without a fifth is passed over)."""

    first: date
    count: int
    weekday: int
    week_of_month: int | None = None
    every_weeks: int = 1

    def candidates(self):
        """The rule's dates in order, without end (the caller stops)."""
        if self.week_of_month is None:
            day = self.first + timedelta(days=(self.weekday - self.first.weekday()) % 7)
            while True:
                yield day
                day += timedelta(weeks=max(self.every_weeks, 1))
        year, month = self.first.year, self.first.month
        while True:
            days = [
                week[self.weekday]
                for week in calendar.Calendar().monthdatescalendar(year, month)
                if week[self.weekday].month == month
            ]
            if len(days) >= self.week_of_month:
                day = days[self.week_of_month - 1]
                if day >= self.first:
                    yield day
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)


@dataclass
class SeriesPlan:
    """What `create_series` makes (or, on a dry run, would make): the dates, and the dates
    skipped with the reason."""

    series: ClassSeries | None
    dates: list[date]
    skipped: list[tuple[date, ClosedDay]] = field(default_factory=list)
    classes: list[Session] = field(default_factory=list)


def plan_series_dates(venue, dates=None, rule: SeriesRule | None = None, *, skip_closed=True):
    """The dates a series would have at `venue`, and those skipped as closed with why.

    Given `dates`, a closed one is skipped (`skip_closed`) or the whole series refused; given
    a `rule`, closed days are passed over and the rule goes on until it has `count` dates."""
    if rule is not None:
        if not 1 <= rule.count <= MAX_SERIES_DATES:
            raise ClassError("too_many" if rule.count > MAX_SERIES_DATES else "no_dates")
        # Enough candidates for a few holidays in the way; reasons looked up once for all.
        candidates = []
        source = rule.candidates()
        while len(candidates) < rule.count * 2 + 6:
            candidates.append(next(source))
        reasons = _closure_reasons(venue, candidates)
        kept = [day for day in candidates if day not in reasons][: rule.count]
        last = kept[-1] if kept else candidates[-1]
        skipped = [(day, reasons[day]) for day in candidates if day in reasons and day <= last]
        return kept, skipped
    dates = sorted(set(dates or []))
    if not dates:
        raise ClassError("no_dates")
    if len(dates) > MAX_SERIES_DATES:
        raise ClassError("too_many")
    reasons = _closure_reasons(venue, dates)
    if reasons and not skip_closed:
        raise _closed_error(reasons)
    return [d for d in dates if d not in reasons], sorted(reasons.items())


def create_series(
    title: str,
    description: str,
    fields: dict,
    *,
    starts: time,
    ends: time,
    dates=None,
    rule: SeriesRule | None = None,
    skip_closed: bool = True,
    dry_run: bool = False,
    by,
) -> SeriesPlan:
    """Make a series and every class of it in one transaction: one class per date (a list of
    `dates` or a `rule`), from `starts` to `ends` Tokyo time, each with `fields` (CLASS_FIELDS
    but `series`). Closed days are skipped and listed, or refused (`skip_closed=False`);
    `dry_run` answers the plan and writes nothing."""
    check_is_coordinator_for_classes(by)
    if not (title or "").strip():
        raise ClassError("invalid", details={"title": [gettext("This field is required.")]})
    _check_fields({**fields, "title": title})
    if ends <= starts:
        raise ClassError(
            "invalid", details={"ends": [gettext("A session must end after it starts.")]}
        )
    if dates is None and rule is None:
        raise ClassError("no_dates")
    venue = fields["venue"]
    kept, skipped = plan_series_dates(venue, dates, rule, skip_closed=skip_closed)
    if not kept:
        raise ClassError("no_dates", gettext("Every date given is a day the venue is closed."))
    if kept[0] < timezone.localdate():
        raise ClassError("invalid", details={"dates": [gettext("A series starts today or later.")]})
    plan = SeriesPlan(series=None, dates=kept, skipped=skipped)
    if dry_run:
        return plan
    each = {name: fields[name] for name in CLASS_FIELDS if name in fields and name != "series"}
    with transaction.atomic():
        plan.series = ClassSeries.objects.create(title=title.strip(), description=description)
        plan.classes = Session.objects.bulk_create(
            [
                Session(
                    kind=Session.Kind.CLASS,
                    series=plan.series,
                    starts_at=datetime.combine(day, starts, tzinfo=TOKYO),
                    ends_at=datetime.combine(day, ends, tzinfo=TOKYO),
                    district=venue.district,
                    **each,
                )
                for day in kept
            ]
        )
        logger.info(
            "Series %s with %d classes created by user %s",
            plan.series.pk,
            len(plan.classes),
            getattr(by, "pk", None),
        )
    return plan


# At the door -----------------------------------------------------------------------------------

AT_THE_DOOR = (ClassRegistration.Status.REGISTERED, ClassRegistration.Status.ATTENDED)


def attendance_open(session: Session, now=None) -> bool:
    """Attendance can be marked from 30 minutes before the start, as for supporters."""
    return (now or timezone.now()) >= session.starts_at - ATTENDANCE_OPENS_BEFORE


def _tell_of_change(session: Session) -> None:
    """A new time or place: the residents taking part and the supporters on the class are
    told, each in their language (a landline: a call for the coordinators)."""
    tell_registrants_of_change(session)
    stamp = f"{timezone.localtime(session.starts_at):%Y-%m-%dT%H:%M}:{session.venue_id}"
    team = Shift.objects.filter(session=session).holding_place().select_related("supporter__user")
    texts = [
        Sms(
            shift.supporter.user.phone,
            render_sms(
                "class_moved_team",
                shift.supporter.user.language,
                moment=session.starts_at,
                place=session.place_label,
                title=session.title,
            ),
            OutboundMessage.Purpose.CONFIRMATION,
            f"class-moved:shift:{shift.pk}@{stamp}",
            related=shift,
            language=shift.supporter.user.language,
        )
        for shift in team
    ]
    queue_sms_many(sms for sms in texts if sms.to)


def mark_attended(registration: ClassRegistration, attended: bool, *, by) -> ClassRegistration:
    """Mark a resident with a seat as present (or not, to undo a wrong tap) at the door, from
    30 minutes before the class: the attended count feeds the statistics. The one service for
    the class desk's page, its API and the residents' journey alike."""
    check_is_coordinator_for_classes(by)
    with transaction.atomic():
        session = lock_session(registration.session_id)
        registration = ClassRegistration.objects.select_for_update().get(pk=registration.pk)
        registration.session = session
        if session.kind != Session.Kind.CLASS:
            raise ClassError("not_a_class")
        if session.is_cancelled:
            raise ClassError("cancelled")
        if registration.status not in AT_THE_DOOR:
            raise ClassError("not_registered")
        if not attendance_open(session):
            raise ClassError("too_early")
        wanted = (
            ClassRegistration.Status.ATTENDED if attended else ClassRegistration.Status.REGISTERED
        )
        if registration.status != wanted:
            registration.status = wanted
            registration.save(update_fields=["status", "updated_at"])
            # Marked at the door before the evening's reminder went (a class the same day).
            cancel_pending(registration, purpose=OutboundMessage.Purpose.REMINDER)
            logger.info(
                "Registration %s marked %s by user %s",
                registration.pk,
                wanted,
                getattr(by, "pk", None),
            )
    return registration
