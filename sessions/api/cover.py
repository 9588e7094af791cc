"""Cover requests (issue 13): a supporter asks for cover for their shift, coordinators see the
open ones, and a supporter asked takes the shift."""

from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.pagination import paginate

from config.errors import REFUSALS, ErrorOut
from config.inputs import PAGE_SIZE, Pagination
from sessions.models import CoverRequest, Shift
from sessions.schemas import CoverRequestListOut, CoverRequestOut, ShiftOut
from sessions.services import CoverError, cancel_cover, request_cover, take_cover
from supporters.access import api_coordinator, api_supporter

# Mounted at /api/shifts: a supporter's own shift.
shift_cover_router = Router(tags=["cover requests"])
# Mounted at /api/cover-requests.
cover_requests_router = Router(tags=["cover requests"])


def own_shift(request, shift_id: int) -> Shift:
    supporter = api_supporter(request)
    return get_object_or_404(
        Shift.objects.select_related("session__venue"), pk=shift_id, supporter=supporter
    )


@shift_cover_router.post(
    "/{shift_id}/cover",
    response={200: CoverRequestOut, **REFUSALS},
    summary="Ask for cover for my shift",
    description="The caller (a supporter) cannot make their shift: eligible supporters are "
    "asked by text, a few at a time, until `deadline`; the shift stays the caller's until one "
    "takes it. Asking again while the request is open gives it back. Refusals: "
    "`not_signed_up`, `started`, `session_cancelled`, `too_late` (409: call the office). "
    "Another supporter's shift: 404.",
)
def ask_for_cover(request, shift_id: int):
    return request_cover(own_shift(request, shift_id), by=request.user)


@shift_cover_router.post(
    "/{shift_id}/cover/cancel",
    response={200: CoverRequestOut, **REFUSALS},
    summary="Call off my cover request",
    description="The caller can come after all: nobody else is asked, and the offers still "
    "open are withdrawn. `not_open` (409) when no request is open for the shift.",
)
def cancel_my_cover(request, shift_id: int):
    shift = own_shift(request, shift_id)
    cover = CoverRequest.objects.open().filter(shift=shift).first()
    if cover is None:
        raise CoverError("not_open")
    return cancel_cover(cover, by=request.user)


@cover_requests_router.get(
    "",
    response={200: list[CoverRequestListOut], 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="List open cover requests",
    description="Coordinators: the shifts looking for cover, the nearest deadline first, "
    'with who asks and how many were asked. Paged (`{"items": [...], "count": N}`).',
)
@paginate(Pagination, page_size=PAGE_SIZE, max_page_size=PAGE_SIZE)
def list_cover_requests(request):
    api_coordinator(request)
    return CoverRequest.objects.open().for_list().order_by("deadline", "pk")


@cover_requests_router.post(
    "/{request_id}/take",
    response={200: ShiftOut, **REFUSALS},
    summary="Take a shift I was asked to cover",
    description="For a supporter asked by text: the shift becomes theirs (a shift of their "
    "own, with the requester's role) and the requester is released. Refusals: `taken` (409: "
    "another was first), `not_open` (409), `not_asked` (403), and the sign-up rules "
    "(`overlap` 409; `level`, `insurance`, `inactive` 403).",
)
def take_cover_request(request, request_id: int):
    supporter = api_supporter(request)
    cover = get_object_or_404(CoverRequest, pk=request_id)
    return take_cover(cover, supporter, by=request.user)
