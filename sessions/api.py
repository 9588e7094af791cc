"""Sessions: public information (times, places, open places), no authentication."""

from django.shortcuts import get_object_or_404
from ninja import Query, Router
from ninja.pagination import PageNumberPagination, paginate

from config.errors import ErrorOut
from sessions.models import Session
from sessions.schemas import SessionDetailOut, SessionFilters, SessionOut

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
@paginate(PageNumberPagination, page_size=PAGE_SIZE, max_page_size=PAGE_SIZE)
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
