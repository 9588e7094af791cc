"""Smartphone classes for residents (issue 11): the public list and class, registering, and a
registration's secret status, cancel and accept. Mounted at /api/classes.

The paths of a registration (`/registrations/...`) come before `/{class_id}`'s, and the id is
a whole number: a token is never read as a class.
"""

from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.pagination import paginate

from config.errors import ErrorOut
from config.inputs import PAGE_SIZE, Id, Pagination
from sessions.models import ClassRegistration, Session
from sessions.schemas import (
    ClassFilters,
    ClassOut,
    ClassRegistrationCreatedOut,
    ClassRegistrationIn,
    ClassRegistrationOut,
)
from sessions.services import (
    RegistrationError,
    accept_class_offer,
    cancel_registration,
    register_for_class,
    registration_url,
)
from sessions.services.registrations import count_registration_from, is_rate_limited

classes_router = Router(tags=["smartphone classes"])


def registration_body(registration: ClassRegistration) -> dict:
    session = registration.session
    return {
        "status": registration.status,
        "status_label": registration.get_status_display(),
        "position": registration.place_in_line(),
        "reference": registration.reference,
        "status_url": registration.status_token and registration_url(registration),
        "class_id": session.pk,
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "place": session.place_label,
        "offer_expires_at": registration.offer_expires_at if registration.is_offer_open else None,
        "can_cancel": registration.is_cancellable,
    }


def registration_with_token(token: str) -> ClassRegistration:
    registrations = ClassRegistration.objects.select_related("session__venue")
    return get_object_or_404(registrations, status_token=token)


@classes_router.get(
    "/registrations/{token}",
    response={200: ClassRegistrationOut, 404: ErrorOut},
    auth=None,
    summary="Show a class registration",
    description="Public: no authentication; the token from the status link is the key. The "
    "seat, the place in line (`position`), or a seat offered with its deadline. No personal "
    "details.",
)
def get_class_registration(request, token: str):
    return registration_body(registration_with_token(token))


@classes_router.post(
    "/registrations/{token}/cancel",
    response={200: ClassRegistrationOut, 404: ErrorOut, 409: ErrorOut},
    auth=None,
    summary="Cancel a class registration",
    description="Public: no authentication; the token from the status link is the key. Gives "
    "up the seat (offered to the next in line) or the place in line, until the class starts "
    "(`started`, 409); cancelling twice is harmless. `not_registered` (409) once attended.",
)
def cancel_class_registration(request, token: str):
    registration = registration_with_token(token)
    if registration.status == ClassRegistration.Status.CANCELLED:
        return registration_body(registration)
    return registration_body(cancel_registration(registration, by=None))


@classes_router.post(
    "/registrations/{token}/accept",
    response={200: ClassRegistrationOut, 404: ErrorOut, 409: ErrorOut},
    auth=None,
    summary="Take an offered class seat",
    description="Public: no authentication; the token from the status link is the key. Takes "
    "the seat offered by text; taking it twice is harmless. `offer_expired` (409) once its "
    "deadline passed (the seat went to the next in line), `not_offered` (409) when no seat "
    "is offered.",
)
def accept_class_seat(request, token: str):
    return registration_body(accept_class_offer(registration_with_token(token), by=None))


@classes_router.get(
    "",
    response={200: list[ClassOut], 422: ErrorOut},
    auth=None,
    summary="List smartphone classes",
    description="Public: no authentication. Classes still to come, by start time, with the "
    "seats left and the waiting list's length, by `level` and `loaner_devices` if asked; "
    "paged: `?page=` (from 1) and `?page_size=` "
    f'(at most {PAGE_SIZE}, the default); the response is `{{"items": [...], "count": N}}`.',
)
@paginate(Pagination, page_size=PAGE_SIZE, max_page_size=PAGE_SIZE)
def list_classes(request, filters: Query[ClassFilters]):
    classes = Session.objects.class_list()
    if filters.level is not None:
        classes = classes.filter(class_level=filters.level)
    if filters.loaner_devices is not None:
        classes = classes.filter(loaner_devices=filters.loaner_devices)
    return classes


@classes_router.get(
    "/{class_id}",
    response={200: ClassOut, 404: ErrorOut},
    auth=None,
    summary="Show a smartphone class",
    description="Public: no authentication. One class still to come, as listed.",
)
def get_class(request, class_id: Id):
    return get_object_or_404(Session.objects.class_list(), pk=class_id)


@classes_router.post(
    "/{class_id}/registrations",
    response={
        201: ClassRegistrationCreatedOut,
        200: ClassRegistrationCreatedOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    auth=None,
    summary="Register for a smartphone class",
    description="Public: no authentication. A resident registers: a seat while there is one "
    "(`status` `registered`), else the end of the waiting list (`waitlisted`, with "
    "`position`). With `series`, every coming date of the class's series, all or none. 201 "
    "with the `reference` and the secret `status_url`; the same phone and name for the same "
    "class again answers 200 with the registration already made. Refusals: `invalid` (422, "
    "`details` name each field; also a phone already holding a place under another name), "
    "`started` or `session_cancelled` (409), `rate_limited` (429: a few registrations an "
    "hour from one network). A mobile is texted the reference and the link.",
)
def register(request, class_id: Id, payload: ClassRegistrationIn):
    a_class = get_object_or_404(Session.objects.of_kind(Session.Kind.CLASS), pk=class_id)
    if is_rate_limited(request):
        raise RegistrationError("rate_limited")
    data = payload.dict()
    made, created = register_for_class(data, a_class, series=data.pop("series"))
    if created:
        count_registration_from(request)
    body = {**registration_body(made[0]), "series": [registration_body(r) for r in made]}
    return Status(201 if created else 200, body)
