"""Smartphone classes (issue 11): the coordinators' class desk. Making a class or a series,
changing a class, its roster with the waiting list, and attendance at the door. Mounted at
/api/class-desk, coordinators only: residents' names and phones are in the answers."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from ninja import Router, Status

from config.errors import REFUSALS, ApiError
from sessions.models import ClassRegistration, ClassSeries, Session
from sessions.schemas import (
    ClassAttendanceIn,
    ClassChangeIn,
    ClassDeskOut,
    ClassIn,
    ClassRosterEntryOut,
    ClassRosterOut,
    SeriesIn,
    SeriesOut,
)
from sessions.services import (
    SeriesRule,
    create_class,
    create_series,
    mark_attended,
    update_class,
)
from supporters.access import coordinator_token_or_session
from supporters.phones import is_landline, national_phone
from venues.models import Venue

class_desk_router = Router(tags=["smartphone classes"], auth=coordinator_token_or_session)

REFERENCES = {"venue": Venue, "series": ClassSeries}


def _referenced(data: dict) -> dict:
    """Ids of venues and series turned into the objects the services take; an id naming
    nothing is bad input (422) rather than a missing page."""
    for name, model in REFERENCES.items():
        if data.get(name) is not None:
            found = model.objects.filter(pk=data[name]).first()
            if found is None:
                message = gettext("There is no such %(thing)s.") % {
                    "thing": model._meta.verbose_name
                }
                raise ApiError(
                    422,
                    "invalid",
                    gettext("Some of the data sent is not valid."),
                    [{"field": name, "message": message}],
                )
            data[name] = found
    return data


def _class(session_id) -> Session:
    return get_object_or_404(
        Session.objects.for_class_desk_row().of_kind(Session.Kind.CLASS), pk=session_id
    )


@class_desk_router.post(
    "",
    response={201: ClassDeskOut, **REFUSALS},
    summary="Make a smartphone class",
    description="Refusals: `invalid` (422, with `details`), `closed` (409: the venue is closed "
    "that day, saying why). Coordinators only.",
)
def add_class(request, payload: ClassIn):
    data = _referenced(payload.dict())
    made = create_class(data, by=request.user)
    return Status(201, _class(made.pk))


# Before `/{session_id}`: the first path that matches is taken.
@class_desk_router.post(
    "/series",
    response={201: SeriesOut, 200: SeriesOut, **REFUSALS},
    summary="Make a series of smartphone classes",
    description="One class per date, from `dates` or a `rule` (every week, or the Nth weekday "
    "of each month, `count` times), all in one go: 201. Closed days are skipped and listed "
    "(`skipped`), or refused (`closed`, 409) with `skip_closed` false. `dry_run`: 200 with the "
    "dates, nothing made. Coordinators only.",
)
def add_series(request, payload: SeriesIn):
    if (payload.dates is None) == (payload.rule is None):
        raise ApiError(
            422,
            "invalid",
            gettext("Some of the data sent is not valid."),
            [{"field": "dates", "message": gettext("Give either the dates or a rule.")}],
        )
    fields = _referenced(
        payload.dict(
            include={
                "description",
                "class_level",
                "organiser",
                "loaner_devices",
                "venue",
                "capacity",
                "supporters_needed",
                "language",
            }
        )
    )
    fields["title"] = payload.title
    plan = create_series(
        payload.title,
        payload.series_description,
        fields,
        starts=payload.starts,
        ends=payload.ends,
        dates=payload.dates,
        rule=SeriesRule(**payload.rule.dict()) if payload.rule else None,
        skip_closed=payload.skip_closed,
        dry_run=payload.dry_run,
        by=request.user,
    )
    classes = []
    if plan.classes:
        made = Session.objects.for_class_desk_row().filter(pk__in=[c.pk for c in plan.classes])
        classes = list(made.order_by("starts_at", "pk"))
    body = {
        "series": plan.series,
        "dates": plan.dates,
        "skipped": [
            {"date": day, "reason": closed.reason, "detail": closed.detail}
            for day, closed in plan.skipped
        ],
        "classes": classes,
    }
    return Status(200 if payload.dry_run else 201, body)


@class_desk_router.patch(
    "/{session_id}",
    response={200: ClassDeskOut, **REFUSALS},
    summary="Change a smartphone class",
    description="Only the fields sent change. More places go to the first on the waiting list "
    "(texted); fewer than the seats taken is refused (`capacity_below_taken`, 409); new times "
    "go to calendars and reminders. Refusals also: `cancelled`, `closed` (409), `invalid` (422).",
)
def change_class(request, session_id: int, payload: ClassChangeIn):
    session = _class(session_id)
    data = _referenced(payload.dict(exclude_unset=True))
    update_class(session, data, by=request.user)
    return _class(session_id)


def registration_out(registration: ClassRegistration) -> dict:
    return {
        **{
            name: getattr(registration, name)
            for name in (
                "id",
                "reference",
                "name",
                "name_kana",
                "phone",
                "language",
                "needs_device",
                "status",
                "waitlist_position",
                "created_at",
            )
        },
        "phone_national": national_phone(registration.phone),
        "is_landline": is_landline(registration.phone),
    }


@class_desk_router.get(
    "/{session_id}/roster",
    response={200: ClassRosterOut, **REFUSALS},
    summary="A class's roster",
    description="The residents with a seat (registered or attended), the waiting list in "
    "order, and how many cancelled. Two queries whatever the numbers. Coordinators only.",
)
def roster(request, session_id: int):
    session = _class(session_id)
    registrations = list(session.registrations.order_by("waitlist_position", "created_at", "pk"))
    return {
        "session": session,
        "registered": [
            registration_out(r)
            for r in registrations
            if r.status in ClassRegistration.SEAT_HOLDING_STATUSES
        ],
        "waiting": [
            registration_out(r)
            for r in registrations
            if r.status == ClassRegistration.Status.WAITLISTED
        ],
        "cancelled": sum(r.status == ClassRegistration.Status.CANCELLED for r in registrations),
    }


@class_desk_router.post(
    "/{session_id}/attendance",
    response={200: ClassRosterEntryOut, **REFUSALS},
    summary="Mark a resident present at a class",
    description="`attended` true marks them present, false takes it back. From 30 minutes "
    "before the start (`too_early`, 409); only residents with a seat (`not_registered`, 409); "
    "a registration of another class is `not_found` (404). Coordinators only.",
)
def attendance(request, session_id: int, payload: ClassAttendanceIn):
    session = _class(session_id)
    registration = get_object_or_404(ClassRegistration, pk=payload.registration, session=session)
    return registration_out(mark_attended(registration, payload.attended, by=request.user))
