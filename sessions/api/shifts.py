"""Sessions, check-in, the shift board, sign-ups and rosters (issues 5 and 9)."""

import hashlib
import time
from functools import cached_property, wraps

from django.core.cache.backends.locmem import LocMemCache
from django.core.serializers.json import DjangoJSONEncoder
from django.shortcuts import get_object_or_404
from django.utils.timezone import get_current_timezone_name, localtime
from django.utils.translation import gettext
from ninja import Query, Router, Status
from ninja.pagination import paginate

from config.errors import REFUSALS, ApiError, ErrorOut
from config.inputs import PAGE_SIZE, Pagination
from config.public_pages import CLOCK_STEP, request_version
from sessions.models import Session, Shift
from sessions.schemas import (
    AttendanceIn,
    BoardFilters,
    BoardSessionOut,
    CheckInIn,
    CheckInOut,
    NoShiftOut,
    RosterChangeIn,
    RosterOut,
    SessionDetailOut,
    SessionFilters,
    SessionOut,
    ShiftOut,
)
from sessions.services import (
    CheckInError,
    ShiftError,
    accept_offer,
    add_to_roster,
    cancel_shift,
    check_in,
    join_waitlist,
    mark_roster_attendance,
    remove_from_roster,
    sign_up,
)
from supporters.access import api_coordinator, api_supporter
from supporters.models import Supporter

router = Router(tags=["sessions"])


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
