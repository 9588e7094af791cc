"""Districts and venues: public information, no authentication."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema

from config.errors import ErrorOut
from sessions.models import prefetch_next_helpdesk_dates
from venues.models import District, HelpdeskSchedule, Venue
from venues.schemas import NEXT_HELPDESK_DATES, DistrictOut, VenueDetailOut, VenueOut

router = Router(tags=["venues"])


class VenueFilters(Schema):
    helpdesk: bool | None = None
    district: str | None = None


@router.get(
    "/districts",
    response=list[DistrictOut],
    auth=None,
    summary="List the districts",
    description="Maebashi's 16 districts with their populations. Public: no authentication.",
)
def list_districts(request):
    return District.objects.all()


@router.get(
    "/venues",
    response={200: list[VenueOut], 422: ErrorOut},
    auth=None,
    summary="List the venues",
    description="Active venues, by kana. `helpdesk=true`: only the fixed help-desk venues; "
    "`district=<code>`: only that district's. Public: no authentication.",
)
def list_venues(request, filters: Query[VenueFilters]):
    venues = Venue.objects.active().select_related("district")
    if filters.helpdesk is not None:
        venues = venues.filter(is_helpdesk=filters.helpdesk)
    if filters.district:
        venues = venues.filter(district__code=filters.district)
    return venues


@router.get(
    "/venues/{venue_id}",
    response={200: VenueDetailOut, 404: ErrorOut},
    auth=None,
    summary="Show a venue",
    description="An active venue with its help-desk schedules and next help-desk dates (the "
    "sittings planned, a cancelled one marked as such until its day has passed). "
    "Public: no authentication.",
)
def get_venue(request, venue_id: int):
    schedules = HelpdeskSchedule.objects.current_or_upcoming(timezone.localdate())
    venues = (
        Venue.objects.active()
        .select_related("district")
        .prefetch_related(
            Prefetch("schedules", queryset=schedules),
            prefetch_next_helpdesk_dates(NEXT_HELPDESK_DATES),
        )
    )
    return get_object_or_404(venues, pk=venue_id)
