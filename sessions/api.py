"""Sessions: public information (times, places, open places) with no authentication; the
shift board, sign-ups and rosters for signed-in supporters and coordinators (issue 5)."""

import hashlib
import time
from datetime import date
from functools import cached_property, wraps

from django.core.cache.backends.locmem import LocMemCache
from django.core.serializers.json import DjangoJSONEncoder
from django.shortcuts import get_object_or_404
from django.utils.timezone import get_current_timezone_name, localtime
from django.utils.translation import gettext
from ninja import Query, Router, Status
from ninja.pagination import paginate

from config.errors import REFUSALS, ApiError, ErrorOut
from config.inputs import Pagination
from config.public_pages import CLOCK_STEP, request_version
from sessions.models import DispatchInvitation, DispatchRequest, Session, Shift
from sessions.schemas import (
    AttendanceIn,
    BoardFilters,
    BoardSessionOut,
    CheckInIn,
    CheckInOut,
    DispatchRequestCreatedOut,
    DispatchRequestIn,
    DispatchRequestStatusOut,
    InvitationOut,
    InvitationsIn,
    NoShiftOut,
    QuestionIn,
    ReasonIn,
    RequestDetailOut,
    RequestFilters,
    RequestSummaryOut,
    RescheduleIn,
    RosterChangeIn,
    RosterOut,
    ScheduleIn,
    SessionDetailOut,
    SessionFilters,
    SessionOut,
    ShiftOut,
    SuggestionOut,
)
from sessions.services import (
    CheckInError,
    IntakeError,
    ShiftError,
    accept_offer,
    accept_request,
    add_to_roster,
    ask_back,
    cancel_request,
    cancel_shift,
    check_in,
    decline_invitation,
    decline_request,
    invite_supporters,
    join_waitlist,
    mark_called_back,
    mark_roster_attendance,
    note_contact_seen,
    remove_from_roster,
    reschedule_request,
    schedule_request,
    sign_up,
    submit_request,
    suggest_supporters,
    take_invitation,
)
from sessions.services.intake import count_request_from, is_rate_limited, status_url
from supporters.access import api_coordinator, api_supporter, coordinator_token_or_session
from supporters.models import Supporter
from venues.models import District

router = Router(tags=["sessions"])

PAGE_SIZE = 50


def listed_sessions():
    """Sessions with what a row shows, in a fixed number of queries whatever the page size."""
    return (
        Session.objects.with_staffing()
        .with_seats_taken()
        .select_related("venue__district", "district")
        .order_by("starts_at", "id")
    )


@router.get(
    "",
    response={200: list[SessionOut], 422: ErrorOut},
    auth=None,
    summary="List sessions",
    description="Sessions by start time, paged: `?page=` (from 1) and `?page_size=` (at most "
    f'{PAGE_SIZE}, the default); the response is `{{"items": [...], "count": N}}`. '
    "Without `date_from` only sessions not yet ended; without `status` no cancelled ones. "
    "Public: no authentication.",
)
@paginate(Pagination, page_size=PAGE_SIZE, max_page_size=PAGE_SIZE)
def list_sessions(request, filters: Query[SessionFilters]):
    sessions = listed_sessions().on_dates(filters.date_from, filters.date_to)
    if filters.date_from is None:
        sessions = sessions.not_ended()
    if filters.status:
        sessions = sessions.filter(status=filters.status)
    else:
        sessions = sessions.exclude(status=Session.Status.CANCELLED)
    if filters.kind:
        sessions = sessions.of_kind(filters.kind)
    if filters.venue is not None:
        sessions = sessions.filter(venue_id=filters.venue)
    if filters.district:
        sessions = sessions.in_district(filters.district)
    return sessions


@router.get(
    "/{session_id}",
    response={200: SessionDetailOut, 404: ErrorOut},
    auth=None,
    summary="Show a session",
    description="One session, cancelled and past ones included. Public: no authentication.",
)
def get_session(request, session_id: int):
    return get_object_or_404(listed_sessions(), pk=session_id)


# Check-in by QR (issue 5): mounted at /api, for `POST /api/checkin`.
checkin_router = Router(tags=["check-in"])


@checkin_router.post(
    "/checkin",
    response={
        200: CheckInOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: NoShiftOut | ErrorOut,
        422: ErrorOut,
    },
    summary="Check in with a scanned QR code",
    description="Marks the caller attended on the session the code stands for, from 30 "
    "minutes before its start to its end; scanning again changes nothing "
    "(`already_checked_in`). Refusals: `invalid_token` (404), `outside_window`, "
    "`session_cancelled`, `full` (409); `no_shift` (409, with `session_id` and `places_left`) "
    "when the caller has no place: send `join: true` to take an open one and check in (the "
    "shift board's refusals apply). Supporters only (403 for others).",
)
def checkin(request, payload: CheckInIn):
    supporter = request.user.supporter_or_none
    if supporter is None:
        raise ApiError(403, "forbidden", gettext("Check-in is for supporters."))
    try:
        result = check_in(supporter, payload.token, join=payload.join)
    except CheckInError as error:
        if error.code == "invalid_token":
            raise ApiError(404, error.code, error.message) from None
        if error.code == "no_shift":
            return Status(
                409,
                {
                    "code": error.code,
                    "message": str(error.message),
                    "session_id": error.session.pk,
                    "places_left": error.places_left,
                },
            )
        raise
    shift = result.shift
    return {
        "session_id": shift.session_id,
        "shift_id": shift.pk,
        "status": shift.status,
        "checked_in_at": shift.checked_in_at,
        "already_checked_in": result.already,
    }


# Shift board, sign-ups and rosters (issue 5) -----------------------------------------------
# `GET /api/board` is mounted at /api; the rest hang off /api/sessions/{id}. Refusals are the
# services' codes: `full`, `overlap`, `already`, `not_full`, `started`… 409; `level`,
# `insurance`, `inactive`, `forbidden` 403 (config.api).

board_router = Router(tags=["shifts"])


def rendered_as_given(view):
    """Render what `view` returns as JSON without validating it against the response schema,
    which stays the documentation: for the board, whose values are built ready for JSON
    (`board_item`) and whose bytes tests/test_board_api_keeps_its_json.py pins. Validating
    50 sessions' dicts field by field had been half the request's remaining CPU (issue 9)."""

    @wraps(view)  # keeps the pagination's parameters and paged schema on the operation
    def wrapper(request, **kwargs):
        from config.api import api  # the API that mounts this router: its JSON renderer

        return api.create_response(request, view(request, **kwargs), status=200)

    return wrapper


@board_router.get(
    "/board",
    response={200: list[BoardSessionOut], 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="List the shift board",
    description="Scheduled sessions not started yet that need supporters, by start time, with "
    "who is on each (given names), the waiting list's length and the caller's own status. "
    'Paged like `/api/sessions` (`{"items": [...], "count": N}`). Supporters and '
    "coordinators (403 for others).",
)
@rendered_as_given
@paginate(Pagination, page_size=PAGE_SIZE, max_page_size=PAGE_SIZE)
def board(request, filters: Query[BoardFilters]):
    supporter = request.user.supporter_or_none
    if supporter is None:
        api_coordinator(request)

    def sessions():
        return Session.objects.on_board(
            supporter,
            kind=filters.kind,
            venue=filters.venue,
            district=filters.district,
            first=filters.date_from,
            last=filters.date_to,
            needed=filters.needed,
        )

    # "Only where I'm needed" depends on who asks: their level and their shifts.
    viewer = (supporter.pk, supporter.training_level) if filters.needed and supporter else None
    return BoardPage(sessions, supporter, (filters.model_dump_json(), viewer))


# The board's columns: one query for a page of sessions with their venue and district, one
# for their shifts, read as plain values rather than about 300 model objects a page, and shaped
# ready for JSON (issue 9: the board had cost 25 ms of CPU a request).
BOARD_COLUMNS = (
    "id",
    "kind",
    "title",
    "status",
    "starts_at",
    "ends_at",
    "venue_id",
    "venue__name",
    "venue__address",
    "venue__district__code",
    "venue__district__name",
    "place_name",
    "address",
    "district__code",
    "district__name",
    "supporters_needed",
    "capacity",
    "min_level",
    "staffed",
    "seats_taken",
)


# `Supporter.short_name`, read as a column.
SHORT_NAME = ("supporter__given_name",)


class BoardPage:
    """The board's sessions as the paginator slices them: a slice is a list of
    `BoardSessionOut` values, `len()` the number of sessions listed.

    What a page shows everyone is read in three queries (the count, the sessions, their
    shifts) and kept for every viewer under the public content version and the minute (as the
    public pages are, config/public_pages.py); each viewer's own fields are then picked from
    the kept shifts, with no query. A sign-up, a cancellation or a supporter's new given name
    commits a new version, so no one sees a stale place count or name; a session drops off
    within a minute of its start, as on the public pages (issue 9). `sessions`: a function
    giving the queryset, built only when the page is not kept.
    """

    def __init__(self, sessions, supporter, shown: tuple):
        self._sessions = sessions
        self.supporter = supporter
        self.shown = shown
        self.count = None

    @cached_property
    def sessions(self):
        return self._sessions()

    def __len__(self) -> int:
        if self.count is None:
            self.count = self.sessions.count()
        return self.count

    def __getitem__(self, page: slice) -> list[dict]:
        minute = int(time.time() // CLOCK_STEP)
        # The time zone too: the moments are kept in it, as `LocalDateTime` gives them out.
        zone = get_current_timezone_name()
        shown = (request_version(), minute, zone, self.shown, page.start, page.stop)
        key = "board:" + hashlib.sha256(repr(shown).encode()).hexdigest()
        kept = board_pages.get(key)
        if kept is None:
            kept = self.sessions.count(), board_items(self.sessions, page)
            board_pages.set(key, kept)
        self.count, items = kept
        viewer = self.supporter.pk if self.supporter else None
        return [{**public, **theirs.get(viewer, NOT_ON_IT)} for public, theirs in items]


# Each process keeps the pages of the board it served in the last minute.
board_pages = LocMemCache("board-pages", {"TIMEOUT": CLOCK_STEP, "OPTIONS": {"MAX_ENTRIES": 500}})

NOT_ON_IT = {"my_status": None, "my_waiting_rank": None, "my_offer_expires_at": None}


def board_items(sessions, page: slice) -> list[tuple[dict, dict]]:
    """For each session of `page`: what `BoardSessionOut` shows everyone, and the fields of
    each supporter with an active shift on it, by supporter id; the same values
    `Session.team`, `waiting_list` and `viewer_shift` give a card, in two queries."""
    rows = list(
        sessions.with_staffing()
        .with_seats_taken()
        .order_by("starts_at", "id")
        .values(*BOARD_COLUMNS)[page]
    )
    shifts = {row["id"]: [] for row in rows}
    active = (
        Shift.objects.active()
        .filter(session__in=shifts)
        .order_by("waitlist_position", "created_at", "pk")
        .values_list(
            "session_id", "supporter_id", "status", "role", "offer_expires_at", *SHORT_NAME
        )
    )
    for shift in active:
        shifts[shift[0]].append(shift)
    return [(board_item(row, shifts[row["id"]]), viewer_fields(shifts[row["id"]])) for row in rows]


def viewer_fields(shifts: list) -> dict:
    """`my_status`, `my_waiting_rank` and `my_offer_expires_at` for each supporter on it."""
    fields = {}
    rank = 0
    for _session, supporter, status, _role, expires_at, _name in shifts:
        rank += status == Shift.Status.WAITLISTED
        fields[supporter] = {
            "my_status": status,
            "my_waiting_rank": rank if status == Shift.Status.WAITLISTED else None,
            "my_offer_expires_at": localtime(expires_at)
            if status == Shift.Status.OFFERED
            else None,
        }
    return fields


_encoder = DjangoJSONEncoder()


def json_moment(moment) -> str:
    """A moment as the API's JSON gives it (local time, DjangoJSONEncoder's ISO form), written
    once into the kept page rather than by the encoder on every response."""
    return _encoder.default(localtime(moment))


def board_item(row: dict, shifts: list) -> dict:
    team = [shift for shift in shifts if shift[2] in Shift.TEAM_STATUSES]
    team.sort(key=lambda shift: shift[3] != Shift.Role.LEAD)  # leads first, stable
    has_venue = row["venue_id"] is not None
    if row["district__code"] is not None:
        district = {"code": row["district__code"], "name": row["district__name"]}
    elif has_venue and row["venue__district__code"] is not None:
        district = {"code": row["venue__district__code"], "name": row["venue__district__name"]}
    else:
        district = None
    if row["kind"] == Session.Kind.DISPATCH:
        address = None
    else:
        address = row["address"] or (row["venue__address"] if has_venue else "")
    capacity = row["capacity"]
    return {
        "id": row["id"],
        "kind": row["kind"],
        "title": row["title"],
        "status": row["status"],
        "starts_at": json_moment(row["starts_at"]),
        "ends_at": json_moment(row["ends_at"]),
        "venue": {"id": row["venue_id"], "name": row["venue__name"]} if has_venue else None,
        "place_name": row["place_name"],
        "address": address,
        "district": district,
        "supporters_needed": row["supporters_needed"],
        "places_left": max(row["supporters_needed"] - row["staffed"], 0),
        "capacity": capacity,
        "seats_left": None if capacity is None else max(capacity - row["seats_taken"], 0),
        "min_level": row["min_level"],
        "staffed": row["staffed"],
        "supporters": [shift[5] for shift in team],
        "waiting": sum(shift[2] == Shift.Status.WAITLISTED for shift in shifts),
    }


@router.post(
    "/{session_id}/signup",
    response={201: ShiftOut, **REFUSALS},
    summary="Sign up for a session",
    description="Takes a place for the caller (a supporter). Refusals: `full` (409: join the "
    "waiting list instead), `overlap` (409), `already`, `started`, `session_cancelled` (409), "
    "`level`, `insurance`, `inactive` (403). An offered place is taken; a place in line "
    "becomes a place when one is open.",
)
def sign_up_for_session(request, session_id: int):
    supporter = api_supporter(request)
    shift = sign_up(supporter, get_object_or_404(Session, pk=session_id), by=request.user)
    return Status(201, shift)


@router.post(
    "/{session_id}/waitlist",
    response={201: ShiftOut, **REFUSALS},
    summary="Join the waiting list of a full session",
    description="Puts the caller at the end of the line; when a place frees up, the first "
    "in line is offered it by SMS. Refusals as for sign-up, and `not_full` (409) while "
    "places are open.",
)
def join_session_waitlist(request, session_id: int):
    supporter = api_supporter(request)
    session = get_object_or_404(Session, pk=session_id)
    return Status(201, join_waitlist(supporter, session, by=request.user))


@router.post(
    "/{session_id}/cancel",
    response={200: ShiftOut, **REFUSALS},
    summary="Cancel my shift on a session",
    description="Gives up the caller's place, offered place or place in line before the "
    "session starts (`started`, 409, after). Within 24 hours of the start the coordinators "
    "are texted. A freed place is offered to the first in line.",
)
def cancel_my_shift(request, session_id: int):
    supporter = api_supporter(request)
    shift = get_object_or_404(Shift.objects.active(), session_id=session_id, supporter=supporter)
    return cancel_shift(shift, by=request.user)


@router.post(
    "/{session_id}/accept",
    response={200: ShiftOut, **REFUSALS},
    summary="Take the place offered to me",
    description="Takes the place offered from the waiting list; `offer_expired` (409) once "
    "its time has passed, `not_offered` (409) when no place is offered to the caller.",
)
def accept_my_offer(request, session_id: int):
    supporter = api_supporter(request)
    shift = Shift.objects.active().filter(session_id=session_id, supporter=supporter).first()
    if shift is None:
        get_object_or_404(Session, pk=session_id)
        raise ShiftError("not_offered")
    return accept_offer(shift, by=request.user)


@router.get(
    "/{session_id}/roster",
    response={200: RosterOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Show a session's roster",
    description="Coordinators: everyone on the session, offered a place or waiting, with "
    "names, kana and phones. A supporter on the session's team (signed up; not merely offered "
    "a place): the team's given names only, as on the roster page. Anyone else: 403.",
)
def get_roster(request, session_id: int):
    session = get_object_or_404(Session.objects.with_staffing(), pk=session_id)
    shifts = Shift.objects.active().filter(session=session).select_related("supporter__user")
    shifts = list(shifts.order_by("status", "waitlist_position", "created_at", "pk"))
    session.active_shifts = shifts  # `team` and `roster_visible_to` read these: no more queries
    if not session.roster_visible_to(request.user):
        raise ApiError(403, "forbidden", gettext("Only the session's supporters see this."))
    if request.user.is_coordinator:
        entries = [roster_entry(shift, full=True) for shift in shifts]
    else:
        entries = [roster_entry(shift, full=False) for shift in session.team]
    return {
        "session_id": session.pk,
        "supporters_needed": session.supporters_needed,
        "places_left": session.places_left(),
        "shifts": entries,
    }


def roster_entry(shift: Shift, *, full: bool) -> dict:
    """A roster row: everything for coordinators, the given name only for supporters."""
    supporter = shift.supporter
    offered = shift.status == Shift.Status.OFFERED
    return {
        "supporter": supporter.pk if full else None,
        "name": supporter.full_name if full else supporter.short_name,
        "name_kana": f"{supporter.family_name_kana} {supporter.given_name_kana}" if full else None,
        "phone": (supporter.phone or None) if full else None,
        "role": shift.role,
        "status": shift.status,
        "waitlist_position": shift.waitlist_position if full else None,
        "offer_expires_at": shift.offer_expires_at if offered else None,
        "checked_in_at": shift.checked_in_at,
    }


@router.post(
    "/{session_id}/roster",
    response={201: ShiftOut, **REFUSALS},
    summary="Add a supporter to a session",
    description="Coordinators: puts a supporter on the session with a role; the sign-up "
    "rules apply (`full`, `overlap`, `level`…).",
)
def add_to_session_roster(request, session_id: int, payload: RosterChangeIn):
    api_coordinator(request)
    session = get_object_or_404(Session, pk=session_id)
    supporter = get_object_or_404(Supporter, pk=payload.supporter)
    return Status(201, add_to_roster(session, supporter, by=request.user, role=payload.role))


@router.delete(
    "/{session_id}/roster/{supporter_id}",
    response={200: ShiftOut, **REFUSALS},
    summary="Take a supporter off a session",
    description="Coordinators: cancels the supporter's place (or place in line); they are "
    "texted and the place is offered to the first in line.",
)
def remove_from_session_roster(request, session_id: int, supporter_id: int):
    api_coordinator(request)
    session = get_object_or_404(Session, pk=session_id)
    supporter = get_object_or_404(Supporter, pk=supporter_id)
    return remove_from_roster(session, supporter, by=request.user)


@router.post(
    "/{session_id}/attendance",
    response={200: ShiftOut, **REFUSALS},
    summary="Mark a supporter's attendance",
    description="Coordinators: `attended` or `no_show`, from 30 minutes before the start "
    "(`too_early`, 409, before); `not_on_roster` (409) for a supporter without a place.",
)
def mark_session_attendance(request, session_id: int, payload: AttendanceIn):
    api_coordinator(request)
    session = get_object_or_404(Session, pk=session_id)
    supporter = get_object_or_404(Supporter, pk=payload.supporter)
    return mark_roster_attendance(session, supporter, payload.status, by=request.user)


# Group visits (issue 10): the public request, its status page, and the coordinators' triage,
# suggestions, invitations and report. Mounted at /api/dispatch-requests.

requests_router = Router(tags=["group visits"])


# Triage: the coordinators' list and a request's steps -------------------------------------


def request_summary(request) -> dict:
    session = request.session
    return {
        "id": request.pk,
        "reference": request.reference,
        "status": request.status,
        "status_label": request.get_status_display(),
        "channel": request.channel,
        "group_name": request.group_name,
        "residents_count": request.residents_count,
        "district": request.district,
        "preferred_dates": request.preferred_dates,
        "preferred_time": request.preferred_time,
        "days_waiting": request.days_waiting,
        "needs_call_back": bool(request.call_back),
        "session": session
        and {
            "id": session.pk,
            "starts_at": session.starts_at,
            "ends_at": session.ends_at,
            "status": session.status,
            "supporters_needed": session.supporters_needed,
            "staffed": request.staffed,
        },
        "created_at": request.created_at,
    }


def request_detail(request, viewer) -> dict:
    """Everything about a request, for coordinators; the view of the contact is recorded."""
    note_contact_seen(request, viewer, where="api")
    events = request.events.select_related("by")
    return {
        **request_summary(request),
        **{field: getattr(request, field) for field in DETAIL_FIELDS},
        "takes_texts": request.takes_texts,
        "topics": list(request.topics.all()),
        "events": [
            {
                "kind": event.kind,
                "label": event.get_kind_display(),
                "by": str(event.by) if event.by else None,
                "note": event.note,
                "at": event.at,
            }
            for event in events
        ],
    }


DETAIL_FIELDS = (
    "representative_name",
    "representative_kana",
    "representative_phone",
    "representative_email",
    "place_name",
    "address",
    "devices",
    "wifi",
    "preferred_language",
    "message",
    "decline_reason",
    "call_back",
    "purged_at",
)


class LazyRows:
    """A queryset as the paginator slices it, each row handed out as `to_dict` makes it: one
    count and one query for the page."""

    def __init__(self, queryset, to_dict):
        self.queryset, self.to_dict = queryset, to_dict

    def __len__(self) -> int:
        return self.queryset.count()

    def __getitem__(self, page: slice) -> list[dict]:
        return [self.to_dict(row) for row in self.queryset[page]]


def triaged_requests():
    return DispatchRequest.objects.select_related("district", "session").with_staffing()


def triaged(request_id) -> DispatchRequest:
    return get_object_or_404(triaged_requests().prefetch_related("topics"), pk=request_id)


@requests_router.get(
    "",
    response={200: list[RequestSummaryOut], 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    auth=coordinator_token_or_session,
    summary="List group-visit requests",
    description="Open ones first (the longest waiting first), then visits to come, then the "
    "rest; paged like `/api/sessions`. Coordinators only.",
)
@paginate(Pagination, page_size=PAGE_SIZE, max_page_size=PAGE_SIZE)
def list_requests(request, filters: Query[RequestFilters]):
    month = date.fromisoformat(f"{filters.month}-01") if filters.month else None
    requests = triaged_requests().filtered(
        status=filters.status or "",
        district=filters.district,
        channel=filters.channel or "",
        month=month,
    )
    return LazyRows(requests.by_urgency(), request_summary)


@requests_router.get(
    "/{request_id}",
    response={200: RequestDetailOut, **REFUSALS},
    auth=coordinator_token_or_session,
    summary="Show a group-visit request",
    description="Everything the group gave, its history and what a coordinator must phone "
    "them about (`call_back`). Each call is recorded as a view of the contact details. "
    "Coordinators only.",
)
def get_request(request, request_id: int):
    return request_detail(triaged(request_id), request.user)


def _step(request_id, change):
    """Run one triage step, then answer the request as it is now (without noting a view)."""
    change(triaged(request_id))
    return request_summary(triaged(request_id))


@requests_router.post(
    "/{request_id}/accept",
    response={200: RequestSummaryOut, **REFUSALS},
    auth=coordinator_token_or_session,
    summary="Accept a request",
    description="Received → accepted; the group is told (a landline: a call-back task). "
    "Refusal: `not_open` (409). Coordinators only.",
)
def accept(request, request_id: int):
    return _step(request_id, lambda r: accept_request(r, by=request.user))


@requests_router.post(
    "/{request_id}/decline",
    response={200: RequestSummaryOut, **REFUSALS},
    auth=coordinator_token_or_session,
    summary="Decline a request",
    description="With the reason the group is told. Refusal: `not_open` (409). Coordinators only.",
)
def decline(request, request_id: int, payload: ReasonIn):
    return _step(request_id, lambda r: decline_request(r, by=request.user, reason=payload.reason))


@requests_router.post(
    "/{request_id}/ask",
    response={200: RequestSummaryOut, **REFUSALS},
    auth=coordinator_token_or_session,
    summary="Ask the group something",
    description="The question is texted to the representative (a landline: a call-back "
    "task); the status stays. Refusal: `not_open` (409). Coordinators only.",
)
def ask(request, request_id: int, payload: QuestionIn):
    return _step(request_id, lambda r: ask_back(r, payload.question, by=request.user))


@requests_router.post(
    "/{request_id}/schedule",
    response={200: RequestSummaryOut, **REFUSALS},
    auth=coordinator_token_or_session,
    summary="Schedule a request",
    description="Makes the visit's session at the group's place (or the one given) and puts "
    "it on the supporters' board; the group is told. Refusals: `not_open`, `started` (409), "
    "`invalid` (422: it must end after it starts). Coordinators only.",
)
def schedule(request, request_id: int, payload: ScheduleIn):
    district = None
    if payload.district is not None:
        district = District.objects.filter(pk=payload.district).first()
        if district is None:
            raise ApiError(
                422,
                "invalid",
                gettext("Check the fields marked."),
                [{"field": "district", "message": gettext("No district has this id.")}],
            )

    def change(dispatch_request):
        schedule_request(
            dispatch_request,
            starts_at=payload.starts_at,
            ends_at=payload.ends_at,
            supporters_needed=payload.supporters_needed or dispatch_request.suggested_supporters(),
            place_name=payload.place_name,
            address=payload.address,
            district=district,
            by=request.user,
        )

    return _step(request_id, change)


@requests_router.post(
    "/{request_id}/reschedule",
    response={200: RequestSummaryOut, **REFUSALS},
    auth=coordinator_token_or_session,
    summary="Move a scheduled visit",
    description="The group and the visit's supporters are told; reminders follow the new "
    "time. Refusals: `not_scheduled`, `started` (409), `invalid` (422). Coordinators only.",
)
def reschedule(request, request_id: int, payload: RescheduleIn):
    return _step(
        request_id,
        lambda r: reschedule_request(
            r, starts_at=payload.starts_at, ends_at=payload.ends_at, by=request.user
        ),
    )


@requests_router.post(
    "/{request_id}/cancel",
    response={200: RequestSummaryOut, **REFUSALS},
    auth=coordinator_token_or_session,
    summary="Cancel a request",
    description="A scheduled visit's session is cancelled with it; the group and the "
    "supporters are told. Refusals: `not_open`, `started` (409). Coordinators only.",
)
def cancel(request, request_id: int, payload: ReasonIn):
    return _step(request_id, lambda r: cancel_request(r, by=request.user, reason=payload.reason))


@requests_router.post(
    "/{request_id}/called-back",
    response={200: RequestSummaryOut, **REFUSALS},
    auth=coordinator_token_or_session,
    summary="Mark a landline's call-back done",
    description="The coordinator phoned the representative and told them what `call_back` "
    "said. Coordinators only.",
)
def called_back(request, request_id: int):
    return _step(request_id, lambda r: mark_called_back(r, by=request.user))


# Invitations: coordinators invite supporters to staff a scheduled visit; a supporter takes a
# place or declines (the invitation's page and "1" by SMS do the same through the same service).


def request_invitations(request_id: int):
    """A request's invitations, with their supporters, in a fixed number of queries."""
    visit = get_object_or_404(DispatchRequest, pk=request_id)
    invitations = DispatchInvitation.objects.filter(session_id=visit.session_id)
    return visit, invitations.select_related("supporter").order_by("created_at", "pk")


@requests_router.get(
    "/{request_id}/invitations",
    response={200: list[InvitationOut], 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="List a visit's invitations",
    description="Coordinators: the supporters invited to staff the visit, first invited first, "
    "with how each answered. Empty for a request not scheduled yet.",
)
def list_invitations(request, request_id: int):
    api_coordinator(request)
    visit, invitations = request_invitations(request_id)
    return list(invitations) if visit.session_id else []


@requests_router.post(
    "/{request_id}/invitations",
    response={201: list[InvitationOut], **REFUSALS},
    summary="Invite supporters to a visit",
    description="Coordinators: texts each supporter a link to take a place (or reply 1); the "
    "first to answer fill the places. A supporter invited before is not invited or texted "
    "again. Answers every invitation of the visit. Refusals: `not_scheduled`, "
    "`session_cancelled`, `started`, `filled` (409); an unknown supporter id is `invalid` "
    "(422, with `details`).",
)
def invite_to_visit(request, request_id: int, payload: InvitationsIn):
    api_coordinator(request)
    visit = get_object_or_404(DispatchRequest, pk=request_id)
    wanted = list(dict.fromkeys(payload.supporters))
    supporters = list(Supporter.objects.filter(pk__in=wanted))
    unknown = sorted(set(wanted) - {supporter.pk for supporter in supporters})
    if unknown:
        details = [
            {
                "field": f"supporters.{wanted.index(pk)}",
                "message": gettext("No supporter has the id %(id)s.") % {"id": pk},
            }
            for pk in unknown
        ]
        message = gettext("Some of the data sent is not valid.")
        raise ApiError(422, "invalid", message, details)
    invite_supporters(visit, supporters, by=request.user)
    return Status(201, list(request_invitations(request_id)[1]))


def my_invitation(request, request_id: int) -> DispatchInvitation:
    """The caller's invitation to the request's visit; 404 when they were not invited."""
    supporter = api_supporter(request)
    visit = get_object_or_404(DispatchRequest, pk=request_id)
    return get_object_or_404(
        DispatchInvitation.objects.select_related("supporter"),
        session_id=visit.session_id,
        supporter=supporter,
    )


@requests_router.post(
    "/{request_id}/invitations/take",
    response={200: InvitationOut, **REFUSALS},
    summary="Take a place on a visit I am invited to",
    description="Supporters: takes a place through the sign-up rules (`overlap`, `started` "
    "409; `level`, `insurance`, `inactive` 403); the first on the visit leads it. `filled` "
    "(409) when every place was taken first, `not_open` (409) for an invitation already "
    "answered or withdrawn; 404 for a supporter not invited.",
)
def take_my_invitation(request, request_id: int):
    invitation = my_invitation(request, request_id)
    take_invitation(invitation, by=request.user)
    invitation.refresh_from_db(fields=["outcome", "answered_at"])
    return invitation


@requests_router.post(
    "/{request_id}/invitations/decline",
    response={200: InvitationOut, **REFUSALS},
    summary="Decline an invitation to a visit",
    description="Supporters: says they cannot go (nobody is texted). `filled` or `not_open` "
    "(409) for an invitation no longer open; 404 for a supporter not invited.",
)
def decline_my_invitation(request, request_id: int):
    return decline_invitation(my_invitation(request, request_id), by=request.user)


# Intake: a group's request, public (no account), and its secret status page --------------------

INTAKE_REFUSALS = {422: ErrorOut, 429: ErrorOut}


@requests_router.post(
    "",
    response={201: DispatchRequestCreatedOut, 200: DispatchRequestCreatedOut, **INTAKE_REFUSALS},
    auth=None,
    summary="Ask for a group visit",
    description="Public: no authentication. A group of three or more residents asks for a "
    "visit. 201 with the `reference` and the secret `status_url`; the same request sent again "
    "while it waits answers 200 with the same reference. Refusals: `invalid` (422, `details` "
    "name each field: `preferred_dates.0` for the first date), `rate_limited` (429: a few "
    "requests an hour from one network). A mobile is texted the reference and the link.",
)
def create_dispatch_request(request, payload: DispatchRequestIn):
    if is_rate_limited(request):
        raise IntakeError("rate_limited")
    made, created = submit_request(payload.dict())
    if created:
        count_request_from(request)
    body = {"reference": made.reference, "status": made.status, "status_url": status_url(made)}
    return Status(201 if created else 200, body)


def request_status_body(made) -> dict:
    session = made.session if made.status == made.Status.SCHEDULED else None
    return {
        "reference": made.reference,
        "status": made.status,
        "status_label": made.get_status_display(),
        "preferred_dates": made.preferred_dates,
        "preferred_time": made.preferred_time,
        "starts_at": session and session.starts_at,
        "ends_at": session and session.ends_at,
        "place": session and session.place_label,
        "can_cancel": made.is_cancellable,
    }


def request_with_token(token: str):
    return get_object_or_404(DispatchRequest.objects.select_related("session"), status_token=token)


@requests_router.get(
    "/status/{token}",
    response={200: DispatchRequestStatusOut, 404: ErrorOut},
    auth=None,
    summary="Show a request's status",
    description="Public: no authentication; the token from the status link is the key. Where "
    "the request stands, the dates asked, the visit once scheduled. No personal details.",
)
def get_request_status(request, token: str):
    return request_status_body(request_with_token(token))


@requests_router.post(
    "/status/{token}/cancel",
    response={200: DispatchRequestStatusOut, 404: ErrorOut, 409: ErrorOut},
    auth=None,
    summary="Cancel a request",
    description="Public: no authentication; the token from the status link is the key. The "
    "group calls its request off (a booked visit too, until it starts: `started`, 409); "
    "`not_open` (409) once it is done or declined. Cancelling twice is harmless.",
)
def cancel_request_by_token(request, token: str):
    return request_status_body(cancel_request(request_with_token(token), by=None))


# Suggestions ----------------------------------------------------------------------------------


@requests_router.get(
    "/{request_id}/suggestions",
    response={200: list[SuggestionOut], 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Suggest supporters for a visit",
    description="Coordinators: active supporters who could take a place on the scheduled "
    "visit, best first, each with the reasons in words (free at that time, training level, "
    "skills for the topics and devices, the group's language, same or neighbouring district, "
    "usually free then, fewer shifts this fiscal year). Those with another shift at that time "
    "follow (`is_free` false), then those already on the visit (`on_roster`). 409 "
    "`not_scheduled` for a request without a date yet.",
)
def list_suggestions(request, request_id: int):
    api_coordinator(request)
    visit = get_object_or_404(DispatchRequest, pk=request_id)
    return suggest_supporters(visit)
