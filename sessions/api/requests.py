"""Group visits (issue 10): the public request, its status, and the coordinators' triage."""

from datetime import date

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from ninja import Query, Router, Status
from ninja.pagination import paginate

from config.errors import REFUSALS, ApiError, ErrorOut
from config.inputs import PAGE_SIZE, Pagination
from sessions.models import DispatchInvitation, DispatchRequest
from sessions.schemas import (
    DispatchRequestCreatedOut,
    DispatchRequestIn,
    DispatchRequestStatusOut,
    InvitationOut,
    InvitationsIn,
    QuestionIn,
    ReasonIn,
    RequestDetailOut,
    RequestFilters,
    RequestSummaryOut,
    RescheduleIn,
    ScheduleIn,
    SuggestionOut,
)
from sessions.services import (
    IntakeError,
    accept_request,
    ask_back,
    cancel_request,
    decline_invitation,
    decline_request,
    invite_supporters,
    mark_called_back,
    note_contact_seen,
    reschedule_request,
    schedule_request,
    submit_request,
    suggest_supporters,
    take_invitation,
)
from sessions.services.intake import count_request_from, is_rate_limited, status_url
from supporters.access import api_coordinator, api_supporter, coordinator_token_or_session
from supporters.models import Supporter
from venues.models import District

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
