"""The signed-in person: their account and their personal API tokens (authentication needed)."""

import uuid

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext
from ninja import Query, Router, Status
from ninja.pagination import paginate

from config.errors import ApiError, ErrorOut
from config.fiscal import FiscalYear
from config.inputs import Id, Pagination
from sessions.calendar import feed_urls, site_url
from sessions.certificates import certificate_of_hours
from sessions.models import Session, Shift
from sessions.schemas import (
    CertificateFilters,
    CertificateOut,
    HoursOut,
    MyShiftFilters,
    ShiftOut,
)
from supporters.access import api_supporter, coordinator_token_or_session
from supporters.broadcasts import preview_broadcast, send_broadcast
from supporters.forms import BroadcastForm
from supporters.models import ApiToken, Invitation, Supporter
from supporters.schemas import (
    AvailabilityIn,
    AvailabilityOut,
    BroadcastIn,
    BroadcastOut,
    BroadcastPreviewOut,
    CalendarOut,
    InvitationCreatedOut,
    InvitationIn,
    InvitationOut,
    MeOut,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
)
from supporters.services import (
    calendar_feed_token,
    create_api_token,
    invite_supporter,
    regenerate_calendar_token,
    revoke_api_token,
    set_availability,
)
from supporters.services import revoke_invitation as revoke_invitation_service

router = Router(tags=["me"])

SHIFTS_PAGE_SIZE = 50


@router.get("", response={200: MeOut, 401: ErrorOut}, summary="Show who I am")
def me(request):
    return request.user


@router.get(
    "/tokens",
    response={200: list[TokenOut], 401: ErrorOut},
    summary="List my API tokens",
    description="Every token of the caller, revoked ones included, newest first. "
    "The secret is never listed.",
)
def list_tokens(request):
    return ApiToken.objects.filter(user=request.user)


@router.post(
    "/tokens",
    response={201: TokenCreatedOut, 401: ErrorOut, 422: ErrorOut},
    summary="Create an API token",
    description="The response holds the secret `token`, shown this once: store it now.",
)
def create_token(request, payload: TokenIn):
    token, key = create_api_token(request.user, payload.name)
    token.token = key
    return Status(201, token)


@router.delete(
    "/tokens/{token_id}",
    response={204: None, 401: ErrorOut, 404: ErrorOut},
    summary="Revoke an API token",
    description="Revokes one of the caller's own tokens; others' tokens are 404.",
)
def revoke_token(request, token_id: int):
    revoke_api_token(request.user, token_id)
    return Status(204, None)


@router.get(
    "/calendar",
    response={200: CalendarOut, 401: ErrorOut, 403: ErrorOut},
    summary="Show my calendar feed's address",
    description="The secret address of the caller's iCalendar feed of shifts, made on first "
    "use. Anyone with it can read the feed: regenerate it if it leaked. Supporters only.",
)
def calendar(request):
    supporter = api_supporter(request)
    return feed_urls(site_url(request), calendar_feed_token(supporter))


@router.post(
    "/calendar/regenerate",
    response={200: CalendarOut, 401: ErrorOut, 403: ErrorOut},
    summary="Give my calendar feed a new address",
    description="The old address stops working at once (404); calendar apps must subscribe "
    "to the new one. Supporters only.",
)
def regenerate_calendar(request):
    supporter = api_supporter(request)
    return feed_urls(site_url(request), regenerate_calendar_token(supporter))


@router.get(
    "/availability",
    response={200: AvailabilityOut, 401: ErrorOut, 403: ErrorOut},
    summary="Show when I am usually free",
    description="Weekdays and parts of the day the caller is usually free, used only to "
    "suggest them for group visits; empty until they say. Supporters only.",
)
def get_availability(request):
    supporter = api_supporter(request)
    return {"slots": supporter.availability.all()}


@router.put(
    "/availability",
    response={200: AvailabilityOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Say when I am usually free",
    description='Replaces the caller\'s usual availability with `slots`, e.g. `{"slots": '
    '[{"weekday": 1, "part": "afternoon"}]}` for Tuesday afternoons; `[]` clears it. A weekday '
    "outside 0–6 or another part is 422 `invalid` with `details`. Supporters only.",
)
def put_availability(request, payload: AvailabilityIn):
    supporter = api_supporter(request)
    slots = [(slot.weekday, slot.part) for slot in payload.slots]
    return {"slots": set_availability(supporter, slots, by=request.user)}


@router.get(
    "/shifts",
    response={200: list[ShiftOut], 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="List my shifts",
    description="`?when=upcoming` (the default): the caller's places, offered places and "
    "places in line on sessions not over yet, soonest first; `?when=past`: shifts served or "
    'missed, latest first. Paged: `{"items": [...], "count": N}`. Supporters only.',
)
@paginate(Pagination, page_size=SHIFTS_PAGE_SIZE, max_page_size=SHIFTS_PAGE_SIZE)
def my_shifts(request, filters: Query[MyShiftFilters]):
    supporter = api_supporter(request)
    mine = Shift.objects.filter(supporter=supporter)
    past = filters.when == "past"
    shifts = mine.holding_place().past() if past else mine.active().upcoming()
    # Each shift's session with what SessionOut shows: two queries whatever the page size.
    sessions = Session.objects.with_staffing().with_seats_taken()
    sessions = sessions.select_related("venue__district", "district")
    return shifts.prefetch_related(Prefetch("session", queryset=sessions))


@router.get(
    "/hours",
    response={200: list[HoursOut], 401: ErrorOut, 403: ErrorOut},
    summary="Show my hours served per fiscal year",
    description="Hours of shifts attended, or signed up for and over, per fiscal year "
    "(April–March), latest first. Supporters only.",
)
def my_hours(request):
    supporter = api_supporter(request)
    return [
        {"label": row["year"].label, **row}
        for row in Shift.objects.filter(supporter=supporter).hours_served()
    ]


CERTIFICATE_DESCRIPTION = (
    "The figures of a certificate of hours for `?fiscal_year=` (by its starting year; this one "
    "when left out): served shifts (attended, or signed up for, on sessions that took place; "
    "not missed or cancelled) by kind of session, with hours, the totals (the year's row of "
    "`GET /api/me/hours`) and the date of issue. The page to print is `/me/certificate/`."
)


def _certificate(supporter, filters: CertificateFilters) -> dict:
    year = FiscalYear(filters.fiscal_year) if filters.fiscal_year else FiscalYear.current()
    return CertificateOut.of(certificate_of_hours(supporter, year))


@router.get(
    "/certificate",
    response={200: CertificateOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Show my certificate of hours for a fiscal year",
    description=f"{CERTIFICATE_DESCRIPTION} Supporters only.",
)
def my_certificate(request, filters: Query[CertificateFilters]):
    return _certificate(api_supporter(request), filters)


# A supporter's certificate for coordinators (issue 13), mounted at /api/supporters.

certificates_router = Router(tags=["supporters"], auth=coordinator_token_or_session)


@certificates_router.get(
    "/{supporter_id}/certificate",
    response={200: CertificateOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Show a supporter's certificate of hours for a fiscal year",
    description=f"{CERTIFICATE_DESCRIPTION} Any supporter, withdrawn ones too (the page is "
    "`/supporters/{id}/certificate/`). Coordinators only.",
)
def supporter_certificate(request, supporter_id: Id, filters: Query[CertificateFilters]):
    return _certificate(get_object_or_404(Supporter, pk=supporter_id), filters)


# Invitations (issue 5), mounted at /api/invitations: coordinators only.

invitations_router = Router(tags=["invitations"], auth=coordinator_token_or_session)

INVITATIONS_PAGE_SIZE = 50


@invitations_router.get(
    "",
    response={200: list[InvitationOut], 401: ErrorOut, 403: ErrorOut},
    summary="List invitations",
    description="Invitations to join as a supporter, newest first, paged: `?page=` and "
    f"`?page_size=` (at most {INVITATIONS_PAGE_SIZE}). Coordinators only.",
)
@paginate(Pagination, page_size=INVITATIONS_PAGE_SIZE, max_page_size=50)
def list_invitations(request):
    return Invitation.objects.select_related("invited_by")


@invitations_router.post(
    "",
    response={
        201: InvitationCreatedOut,
        401: ErrorOut,
        403: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Invite a supporter",
    description="Sends the person a sign-up link by SMS (or by email when no phone is given). "
    "409 `phone_taken`/`email_taken` when an account has that number or address, "
    "`opted_out` when the number asked for no texts and no email is given. "
    "An earlier open invitation to the same number or address is revoked. Coordinators only.",
)
def create_invitation(request, payload: InvitationIn):
    invitation, link = invite_supporter(
        by=request.user, base_url=site_url(request), **payload.dict()
    )
    invitation.link = link
    return Status(201, invitation)


@invitations_router.post(
    "/{invitation_id}/revoke",
    response={200: InvitationOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Revoke an invitation",
    description="Its link stops working; revoking twice changes nothing, an accepted one is 409 "
    "`accepted`. Coordinators only.",
)
def revoke_invitation(request, invitation_id: int):
    return revoke_invitation_service(invitation_id, by=request.user)


# Coordinators' broadcasts, at /api/notifications/broadcasts beside the outbox -----------------

broadcasts_router = Router(tags=["notifications"], auth=coordinator_token_or_session)
BROADCAST_REFUSED = {401: ErrorOut, 403: ErrorOut}


@broadcasts_router.post(
    "/broadcasts/preview",
    response={200: BroadcastPreviewOut, **BROADCAST_REFUSED, 422: ErrorOut},
    url_name="preview_broadcast",
    summary="Preview a broadcast",
    description="Who would get the text, each language's text with its parts, and the "
    "estimated cost. Nothing is sent.",
)
def post_broadcast_preview(request, payload: BroadcastIn):
    form = broadcast_form(payload)
    return preview_broadcast(form.recipients(), form.cleaned_data["text"])


@broadcasts_router.post(
    "/broadcasts",
    response={201: BroadcastOut, **BROADCAST_REFUSED, 409: ErrorOut, 422: ErrorOut},
    url_name="send_broadcast",
    summary="Send a broadcast",
    description="Queues the text to each chosen supporter who takes texts (`no_recipients`, "
    "409: none does). Send the answer's `key` again to retry safely.",
)
def post_broadcast(request, payload: BroadcastIn):
    form = broadcast_form(payload)
    key = payload.key or uuid.uuid4().hex
    sent = send_broadcast(form.recipients(), form.cleaned_data["text"], key=key, by=request.user)
    return Status(201, {**sent, "key": key})


def broadcast_form(payload: BroadcastIn) -> BroadcastForm:
    """The page's form, bound to the payload: the page and the API accept the same choices."""
    form = BroadcastForm(
        MultiValueDict(
            {
                "text": [payload.text],
                "everyone": ["true" if payload.everyone else "false"],
                "districts": payload.districts,
                "skills": payload.skills,
                "session": ["" if payload.session is None else str(payload.session)],
                "supporters": [str(pk) for pk in payload.supporters],
            }
        )
    )
    if not form.is_valid():
        details = [
            {"field": "" if name == "__all__" else name, "message": str(message)}
            for name, messages in form.errors.items()
            for message in messages
        ]
        raise ApiError(422, "invalid", gettext("Some of the data sent is not valid."), details)
    return form
