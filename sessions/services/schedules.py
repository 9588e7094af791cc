"""Help-desk sessions from the venues' recurring schedules (issue 11): a plan to preview, the
generation that writes exactly that plan, and rule changes that follow into the sessions to come.

Skipped days are the venues' closed days (`venues.closures`): national holidays, the New Year
and the closures coordinators record. A schedule at a venue residents do not see as a help desk
is refused (`HelpdeskSchedule.clean`): its sessions would appear nowhere public.
"""

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.errors import ServiceError
from config.fiscal import FiscalYear
from sessions.models import Session, Shift
from sessions.services.lifecycle import cancel_session
from venues.closures import ClosedDay, closed_days_with_reasons
from venues.models import HelpdeskSchedule

# A plan covers at most a year (a leap fiscal year has 366 days): longer ranges are mistakes
# (a year typed wrong) that would add hundreds of sessions at once.
MAX_PLAN_DAYS = 366

# What a rule change may change; the venue stays (a schedule elsewhere is a new schedule).
CHANGEABLE_FIELDS = (
    "weekday",
    "weeks_of_month",
    "start_time",
    "end_time",
    "supporters_needed",
    "valid_from",
    "valid_until",
)


class ScheduleError(ServiceError):
    """A schedule change or generation the rules refuse. `code`: not_helpdesk, invalid."""

    MESSAGES = {
        "not_helpdesk": _(
            "This venue is not an active help-desk venue, so residents would never see its "
            "sessions. Mark it as a help-desk venue (and active) first."
        ),
        "invalid": _("Some of the data sent is not valid."),
    }


@dataclass(frozen=True)
class SkippedDate:
    """A date the rule meets that gets no session, and why (`venues.closures.ClosedDay`)."""

    closed: ClosedDay

    @property
    def day(self) -> date:
        return self.closed.day

    @property
    def reason(self) -> str:
        return self.closed.reason

    @property
    def detail(self) -> str:
        return self.closed.detail

    @property
    def reason_label(self) -> str:
        return self.closed.label


@dataclass
class GenerationPlan:
    """What generating `schedule` over [first, last] adds, finds already there and skips."""

    schedule: HelpdeskSchedule
    first: date
    last: date
    to_add: list[date]
    existing: list[Session]
    skipped: list[SkippedDate]
    created: list[Session] = field(default_factory=list)

    @property
    def past_to_add(self) -> list[date]:
        """Dates to add that are already over: they would count as held unless cancelled."""
        today = timezone.localdate()
        return [day for day in self.to_add if day < today]


@dataclass
class ScheduleChange:
    """What a rule change did to the schedule's sessions to come."""

    schedule: HelpdeskSchedule
    changed: dict  # field name -> (old, new)
    updated: list[Session] = field(default_factory=list)
    # Deleted (`was_deleted`), or cancelled when the session has history (a cancelled shift).
    removed: list[Session] = field(default_factory=list)
    added: list[Session] = field(default_factory=list)
    left_alone: list[Session] = field(default_factory=list)  # sign-ups: the coordinator decides


def generation_range(
    first: date | None = None, last: date | None = None, *, fiscal_year: FiscalYear | None = None
) -> tuple[date, date]:
    """The dates a generation covers: given ones, else a fiscal year (the current one by default)
    from today, since a date already past would count as held in the annual figures."""
    year = fiscal_year or FiscalYear.current()
    today = timezone.localdate()
    first = first or max(year.first_day, today)
    last = last or year.last_day
    return first, last


def check_range(first: date, last: date, max_days: int | None = MAX_PLAN_DAYS) -> None:
    if last < first:
        message = gettext("The end date must not be before the start date.")
        raise ScheduleError("invalid", message, details={"to": [message]})
    if max_days is not None and (last - first).days >= max_days:
        message = gettext("Generate at most a year (366 days) at a time.")
        raise ScheduleError("invalid", message, details={"to": [message]})


def check_is_shown(schedule: HelpdeskSchedule) -> None:
    if not schedule.venue.is_shown_as_helpdesk:
        raise ScheduleError("not_helpdesk")


def plan_generation(
    schedule: HelpdeskSchedule,
    first: date | None = None,
    last: date | None = None,
    *,
    max_days: int | None = MAX_PLAN_DAYS,
) -> GenerationPlan:
    """The preview: the schedule's dates in [first, last] (default: the rest of the current
    fiscal year) to add, already there (any status, matched by date) and skipped with why.
    Reads only; three queries whatever the range. `max_days`: None for the demo's years."""
    first, last = generation_range(first, last)
    check_range(first, last, max_days)
    check_is_shown(schedule)
    existing = {
        timezone.localdate(session.starts_at): session
        for session in Session.objects.filter(schedule=schedule)
        .on_dates(first, last)
        .order_by("starts_at", "pk")
    }
    closed = closed_days_with_reasons(schedule.venue, first, last)
    to_add, skipped = [], []
    for day in schedule.dates_between(first, last):
        if day in existing:
            continue
        if day in closed:
            skipped.append(SkippedDate(closed[day]))
        else:
            to_add.append(day)
    return GenerationPlan(
        schedule=schedule,
        first=first,
        last=last,
        to_add=to_add,
        existing=sorted(existing.values(), key=lambda session: session.starts_at),
        skipped=skipped,
    )


def _lock_schedule(schedule) -> HelpdeskSchedule:
    # Two coordinators generating or changing the same schedule at once would both see a date
    # as free: the row lock makes the second wait and then find the first one's sessions.
    return (
        HelpdeskSchedule.objects.select_for_update(of=("self",))
        .select_related("venue")
        .get(pk=schedule.pk)
    )


def _new_session(schedule: HelpdeskSchedule, day: date) -> Session:
    starts_at, ends_at = schedule.occurrence(day)
    return Session(
        kind=Session.Kind.HELPDESK,
        status=Session.Status.SCHEDULED,
        schedule=schedule,
        venue=schedule.venue,
        district_id=schedule.venue.district_id,
        starts_at=starts_at,
        ends_at=ends_at,
        supporters_needed=schedule.supporters_needed,
    )


def generate_sessions(
    schedule: HelpdeskSchedule,
    first: date | None = None,
    last: date | None = None,
    *,
    only=None,
    by=None,
    max_days: int | None = MAX_PLAN_DAYS,
) -> GenerationPlan:
    """Write the plan: create the sessions `plan_generation` lists to add, under the schedule's
    lock; running it again adds nothing. `only`: the dates a coordinator confirmed on the
    preview; a date that is no longer to add (made meanwhile, a closure since) is left out, and
    none is added that the preview did not show. Returns the plan with `created`."""
    with transaction.atomic():
        schedule = _lock_schedule(schedule)
        plan = plan_generation(schedule, first, last, max_days=max_days)
        days = plan.to_add if only is None else [day for day in plan.to_add if day in set(only)]
        plan.created = Session.objects.bulk_create([_new_session(schedule, d) for d in days])
    return plan


def generate_helpdesk_sessions(
    schedule: HelpdeskSchedule, first: date, last: date
) -> list[Session]:
    """Create the schedule's missing help-desk sessions in [first, last], however long (the
    demo data and the benchmark's years); return all, in order."""
    plan = generate_sessions(schedule, first, last, max_days=None)
    return sorted([*plan.existing, *plan.created], key=lambda session: session.starts_at)


def _validated(schedule: HelpdeskSchedule) -> HelpdeskSchedule:
    try:
        schedule.full_clean()
    except ValidationError as error:
        details = error.message_dict
        if "venue" in details and len(details) == 1:
            raise ScheduleError("not_helpdesk", details=details) from None
        raise ScheduleError("invalid", details=details) from None
    return schedule


def _refuse_unknown(fields: dict) -> None:
    unknown = sorted(set(fields) - set(CHANGEABLE_FIELDS))
    if unknown:
        message = gettext("This field cannot be changed here.")
        raise ScheduleError("invalid", details={name: [message] for name in unknown})


def create_schedule(venue, *, by=None, **fields) -> HelpdeskSchedule:
    """A new recurring schedule at `venue`, an active help desk (else `not_helpdesk`)."""
    _refuse_unknown(fields)
    schedule = _validated(HelpdeskSchedule(venue=venue, **fields))
    schedule.save()
    return schedule


def change_schedule(schedule: HelpdeskSchedule, *, by=None, **changes) -> ScheduleChange:
    """Change a schedule's rule and follow it into its sessions to come: those with nobody on
    them (no active shift) get the new times and supporters needed, or are removed when their
    date no longer fits the rule; the dates the new rule needs are added up to the last date
    already generated. Sessions with sign-ups are left as they are and listed, for the
    coordinator to move or call off; sessions already started are never touched."""
    _refuse_unknown(changes)
    with transaction.atomic():
        schedule = _lock_schedule(schedule)
        changed = {
            name: (getattr(schedule, name), value)
            for name, value in changes.items()
            if getattr(schedule, name) != value
        }
        for name, (_old, new) in changed.items():
            setattr(schedule, name, new)
        _validated(schedule)
        result = ScheduleChange(schedule=schedule, changed=changed)
        if not changed:
            return result
        schedule.save()
        now = timezone.now()
        signed_up = Shift.objects.active().filter(session=OuterRef("pk"))
        to_come = list(
            Session.objects.select_for_update(of=("self",))
            .filter(schedule=schedule, status=Session.Status.SCHEDULED, starts_at__gt=now)
            .annotate(has_sign_ups=Exists(signed_up))
            .order_by("starts_at", "pk")
        )
        if not to_come:
            return result
        today = timezone.localdate()
        horizon = timezone.localdate(to_come[-1].starts_at)
        fitting = set(schedule.dates_between(today, horizon))
        for session in to_come:
            day = timezone.localdate(session.starts_at)
            starts_at, ends_at = schedule.occurrence(day)
            fits = day in fitting
            same = (
                fits
                and (session.starts_at, session.ends_at) == (starts_at, ends_at)
                and session.supporters_needed == schedule.supporters_needed
            )
            if same:
                continue
            if session.has_sign_ups:
                result.left_alone.append(session)
            elif fits:
                session.starts_at, session.ends_at = starts_at, ends_at
                session.supporters_needed = schedule.supporters_needed
                session.updated_at = now
                result.updated.append(session)
            else:
                result.removed.append(_remove(session, by=by))
        if result.updated:
            Session.objects.bulk_update(
                result.updated, ["starts_at", "ends_at", "supporters_needed", "updated_at"]
            )
        # Dates the new rule needs, as far as the schedule had been generated (which may be
        # more than a year ahead: no limit on this range).
        if horizon >= today and schedule.venue.is_shown_as_helpdesk:
            plan = plan_generation(schedule, today, horizon, max_days=None)
            result.added = Session.objects.bulk_create(
                [_new_session(schedule, day) for day in plan.to_add]
            )
    return result


def _remove(session: Session, *, by) -> Session:
    """A session nobody is on, whose date left the rule: deleted; one with history (a shift
    cancelled, a record) cannot be, and is cancelled instead, texting nobody."""
    try:
        with transaction.atomic():
            Session.objects.filter(pk=session.pk).delete()
    except (ProtectedError, RestrictedError):
        session = cancel_session(session, by=by, reason=gettext("The help-desk schedule changed."))
        session.was_deleted = False
        return session
    session.was_deleted = True
    return session


__all__ = [
    "GenerationPlan",
    "ScheduleChange",
    "ScheduleError",
    "SkippedDate",
    "change_schedule",
    "create_schedule",
    "generate_helpdesk_sessions",
    "generate_sessions",
    "generation_range",
    "plan_generation",
]
