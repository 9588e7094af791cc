"""Help-desk schedules (issue 11): coordinators list, create and change the venues' recurring
rules and generate their sessions (mounted at /api/schedules); one date is called off at
`POST /api/sessions/{id}/call-off` (`/cancel` there is a supporter's own shift)."""

from django.shortcuts import get_object_or_404
from django.utils.timezone import localdate
from ninja import Router, Status
from ninja.pagination import paginate

from config.errors import REFUSALS, ErrorOut
from config.inputs import PAGE_SIZE, Pagination
from sessions.api.shifts import listed_sessions
from sessions.models import Session
from sessions.schemas import (
    CallOffIn,
    GenerateIn,
    GenerateOut,
    HelpdeskScheduleIn,
    HelpdeskScheduleOut,
    HelpdeskSchedulePatch,
    ScheduleChangeOut,
    SessionOut,
)
from sessions.services import (
    cancel_session,
    change_schedule,
    create_schedule,
    generate_sessions,
    plan_generation,
)
from supporters.access import coordinator_token_or_session
from venues.models import HelpdeskSchedule, Venue

schedules_router = Router(tags=["help-desk schedules"], auth=coordinator_token_or_session)
call_off_router = Router(tags=["help-desk schedules"], auth=coordinator_token_or_session)


def _schedules():
    return HelpdeskSchedule.objects.select_related("venue").order_by(
        "venue__name_kana", "venue__name", "weekday", "start_time", "pk"
    )


def _rule(data: dict) -> dict:
    """The API's fields as the model's: weeks `[2, 4]` are stored as "2,4"."""
    if data.get("weeks_of_month") is not None:
        data["weeks_of_month"] = ",".join(str(n) for n in sorted(set(data["weeks_of_month"])))
    return data


@schedules_router.get(
    "",
    response={200: list[HelpdeskScheduleOut], 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="List help-desk schedules",
    description="Every venue's recurring help-desk rules, by venue; paged like "
    "`/api/sessions`. Coordinators only.",
)
@paginate(Pagination, page_size=PAGE_SIZE, max_page_size=PAGE_SIZE)
def list_schedules(request):
    return _schedules()


@schedules_router.post(
    "",
    response={201: HelpdeskScheduleOut, **REFUSALS},
    summary="Add a help-desk schedule",
    description="A venue's recurring rule, e.g. the 2nd and 4th Tuesday 10:00–12:00. "
    "`not_helpdesk` (409) for a venue that is not an active help desk: residents would never "
    "see its sessions. Add its sessions with `/generate`. Coordinators only.",
)
def create_helpdesk_schedule(request, payload: HelpdeskScheduleIn):
    data = _rule(payload.dict())
    venue = get_object_or_404(Venue, pk=data.pop("venue"))
    made = create_schedule(venue, by=request.user, **data)
    return Status(201, _schedules().get(pk=made.pk))


@schedules_router.get(
    "/{schedule_id}",
    response={200: HelpdeskScheduleOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Show a help-desk schedule",
    description="Coordinators only.",
)
def get_schedule(request, schedule_id: int):
    return get_object_or_404(_schedules(), pk=schedule_id)


@schedules_router.patch(
    "/{schedule_id}",
    response={200: ScheduleChangeOut, **REFUSALS},
    summary="Change a help-desk schedule's rule",
    description="Send only what changes. Sessions to come with nobody signed up follow the new "
    "rule (`updated`: new times or supporters needed; `removed`: their date no longer fits); "
    "the dates the new rule needs are `added` up to the last date generated before; sessions "
    "with sign-ups are `left_alone` for a coordinator to deal with. Sessions already started "
    "are never touched. Coordinators only.",
)
def change_helpdesk_schedule(request, schedule_id: int, payload: HelpdeskSchedulePatch):
    found = get_object_or_404(_schedules(), pk=schedule_id)
    change = change_schedule(found, by=request.user, **_rule(payload.dict(exclude_unset=True)))
    return {
        "schedule": change.schedule,
        "changed": sorted(change.changed),
        "updated": change.updated,
        "removed": change.removed,
        "added": change.added,
        "left_alone": change.left_alone,
    }


@schedules_router.post(
    "/{schedule_id}/generate",
    response={200: GenerateOut, **REFUSALS},
    by_alias=True,
    summary="Generate a help-desk schedule's sessions",
    description="Creates the schedule's sessions from `from` to `to` (both optional: the rest "
    "of the current fiscal year, from today; at most 366 days), skipping national holidays "
    '(`"reason": "holiday"`, `detail` the holiday\'s name), the New Year (29 December – 3 '
    'January, `"new_year"`) and the venue\'s closures (`"closure"`, `detail` its reason). '
    "Dates that already have a session are `existing`; running it again creates nothing. "
    "`dry_run: true` only says what it would create. Coordinators only.",
)
def generate_schedule(request, schedule_id: int, payload: GenerateIn):
    found = get_object_or_404(_schedules(), pk=schedule_id)
    if payload.dry_run:
        plan = plan_generation(found, payload.first, payload.last)
        created = plan.to_add
    else:
        plan = generate_sessions(found, payload.first, payload.last, by=request.user)
        created = [localdate(session.starts_at) for session in plan.created]
    return {
        "dry_run": payload.dry_run,
        "from": plan.first,
        "to": plan.last,
        "created": created,
        "existing": [localdate(session.starts_at) for session in plan.existing],
        "skipped": [
            {"date": skipped.day, "reason": skipped.reason, "detail": skipped.detail}
            for skipped in plan.skipped
        ],
    }


@call_off_router.post(
    "/{session_id}/call-off",
    response={200: SessionOut, **REFUSALS},
    summary="Call a session off",
    description="Cancels one date (bad weather, the venue closed) through the one service "
    "that does it: everyone on it is texted, reminders are called off, and the public pages "
    "show it as cancelled (中止) with the reason until it has passed. `not_scheduled` (409) "
    "for a session already cancelled or held. Coordinators only.",
)
def call_off_session(request, session_id: int, payload: CallOffIn):
    session = get_object_or_404(Session, pk=session_id)
    cancel_session(session, by=request.user, reason=payload.reason)
    return listed_sessions().get(pk=session.pk)
