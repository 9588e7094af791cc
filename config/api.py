"""The `/api/` base: one NinjaAPI, its authentication, its error format, and each app's router.

Every error is JSON `{"code": "...", "message": "..."}`: `code` is for programs and never
changes, `message` is for people, in the request's language (`Accept-Language`, the language
cookie, else Japanese). 422 adds `details`, a list of `{"field": ..., "message": ...}`.
"""

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext, ngettext
from ninja import NinjaAPI, renderers
from ninja.errors import HttpError, ValidationError

from config.errors import ApiError, ServiceError
from config.inputs import ApiParser, NullCharacterError, null_character_error
from consultations.api import reports_router, stats_router, tally_router
from notifications.api import router as notifications_router
from sessions.api import (
    board_router,
    call_off_router,
    checkin_router,
    class_desk_router,
    classes_router,
    cover_requests_router,
    requests_router,
    schedules_router,
    shift_cover_router,
)
from sessions.api import router as sessions_router
from supporters.api import broadcasts_router, certificates_router, invitations_router
from supporters.api import router as supporters_router
from supporters.auth import token_or_session
from venues.api import router as venues_router

__all__ = ["ApiError", "ServiceError", "api"]

logger = logging.getLogger("django.request")

DESCRIPTION = """\
Public information on Maebashi's digital supporters (まえばしデジタルサポーター): districts,
venues and sessions, and each signed-in person's own account and API tokens.

**Authentication.** Endpoints marked with a lock need a person: send a personal token as
`Authorization: Bearer dgs_…` (make one at `/me/tokens/` or with `manage.py issue_token`), or
call from a signed-in browser session with the `X-CSRFToken` header on unsafe methods.
The public endpoints (districts, venues, sessions) need no authentication.

**Errors.** Always JSON `{"code": "...", "message": "..."}`. Codes: `invalid` (422, with
`details: [{"field", "message"}]`; 400 for a body that is not JSON), `unauthenticated` (401),
`forbidden` (403), `not_found` (404, also for a path id that is not a whole number),
`too_large` (413), a domain code such as `full` (409), `server_error` (500). `message` follows
`Accept-Language` (Japanese by default, English with `en`). No text may hold a NUL character
(`invalid`).

**Times** are ISO 8601 in Japan time, with their offset (`+09:00`), times of day included
(`10:00:00+09:00`); date filters are Japan dates written `YYYY-MM-DD`, from 1900-01-01 to
2999-12-31, both ends included.

**Lists** are paged: `?page=1` (from 1 to 100000) and `?page_size=` (at most 50, the
default); the response is `{"items": [...], "count": <total>}`.
"""

# Services' error codes with a status of their own; any other refusal is 409 Conflict.
SERVICE_ERROR_STATUS = {
    "not_found": 404,
    "forbidden": 403,
    "invalid": 422,
    # The shift rules about who the supporter is (issue 5): not a conflict to retry.
    "level": 403,
    "insurance": 403,
    "inactive": 403,
    # Cover requests (issue 13): taking a shift one was not asked to cover.
    "not_asked": 403,
    "rate_limited": 429,
}
STATUS_CODES = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
}
CSRF_FAILURE = "CSRF check Failed"  # ninja's APIKeyCookie message


class JSONRenderer(renderers.JSONRenderer):
    # Japanese stays readable (and a third of the size) instead of \uXXXX escapes.
    json_dumps_params = {"ensure_ascii": False}


ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
# Refusals any endpoint may give for bad input, documented once here rather than on each.
INPUT_REFUSALS = {
    "path": {404: "A path id that is not a whole number, or names nothing."},
    "query": {422: "A query parameter is not valid (`invalid`, with `details`)."},
    "body": {
        400: "The body is not valid JSON (`invalid`).",
        413: "The body is larger than the server takes (`too_large`).",
        422: "A value is not valid (`invalid`, with `details`).",
    },
}


class Api(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                document_input_refusals(operation)
        return schema


def document_input_refusals(operation: dict) -> None:
    """Add the refusals of bad input to an operation's documented responses."""
    places = {parameter["in"] for parameter in operation.get("parameters", [])}
    if "requestBody" in operation:
        places.add("body")
    responses = operation["responses"]
    for place in sorted(places & INPUT_REFUSALS.keys()):
        for status, description in INPUT_REFUSALS[place].items():
            responses.setdefault(
                status,
                {
                    "description": description,
                    "content": {"application/json": {"schema": ERROR_REF}},
                },
            )


api = Api(
    title="digisapo API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=token_or_session,
    renderer=JSONRenderer(),
    parser=ApiParser(),
)


def error_response(request, status: int, code: str, message, details=None):
    body = {"code": code, "message": str(message)}
    if details is not None:
        body["details"] = details
    return api.create_response(request, body, status=status)


def status_message(status: int) -> str:
    messages = {
        400: gettext("The request body could not be read: send valid JSON."),
        401: gettext("Sign in, or send a valid API token as “Authorization: Bearer …”."),
        403: gettext("You are not allowed to do this."),
        404: gettext("Not found."),
        409: gettext("This conflicts with the current state of the data."),
        429: gettext("Too many requests. Please wait and try again."),
    }
    return messages.get(status, gettext("The request could not be handled."))


@api.exception_handler(ApiError)
def on_api_error(request, exc: ApiError):
    return error_response(request, exc.status, exc.code, exc.message, exc.details)


@api.exception_handler(ServiceError)
def on_service_error(request, exc: ServiceError):
    status = SERVICE_ERROR_STATUS.get(exc.code, 409)
    details = exc.details and [
        {"field": field, "message": str(message)}
        for field, messages in exc.details.items()
        for message in messages
    ]
    return error_response(request, status, exc.code, exc.message, details)


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    """Ninja's own refusals: no credentials (401), CSRF (403), throttling (429)…

    A body ninja could not parse is a 400 caused by what the parser raised.
    """
    cause = exc.__cause__
    if isinstance(cause, NullCharacterError):
        return on_api_error(request, null_character_error(cause.field))
    if isinstance(cause, RequestDataTooBig):
        return on_too_large(request, cause)
    status = exc.status_code
    if status == 403 and exc.message == CSRF_FAILURE:
        message = gettext("CSRF verification failed. Request aborted.")
    else:
        message = status_message(status)
    code = STATUS_CODES.get(status, "throttled" if status == 429 else "error")
    return error_response(request, status, code, message)


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    return error_response(request, 403, "forbidden", status_message(403))


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return error_response(request, 404, "not_found", status_message(404))


@api.exception_handler(RequestDataTooBig)
def on_too_large(request, exc):
    message = gettext("The request is too large.")
    return error_response(request, 413, "too_large", message)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    if exc.errors and all(error.get("loc", ("",))[0] == "path" for error in exc.errors):
        # `/api/sessions/abc`: no such resource, as for an id that names nothing.
        return on_not_found(request, exc)
    details = [
        {"field": error_field(error), "message": error_message(error)} for error in exc.errors
    ]
    message = gettext("Some of the data sent is not valid.")
    return error_response(request, 422, "invalid", message, details)


@api.exception_handler(Exception)
def on_unexpected_error(request, exc):
    # Logged like Django's own 500s, so the admins' mail and the logs still see it.
    logger.error(
        "Internal Server Error: %s",
        request.path,
        exc_info=exc,
        extra={"status_code": 500, "request": request},
    )
    message = gettext("Something went wrong on our side. Please try again later.")
    return error_response(request, 500, "server_error", message)


def error_field(error: dict) -> str:
    """`kind` for `("query", "kind")`; `name` for a body's `("body", "payload", "name")`."""
    location = list(error.get("loc", ()))
    if location and location[0] == "body" and len(location) > 2:
        location = location[2:]  # drop "body" and the handler's parameter name
    elif location and location[0] in {"query", "path", "header", "cookie", "form", "body"}:
        location = location[1:]
    return ".".join(str(part) for part in location)


def error_message(error: dict) -> str:
    """Pydantic's English text replaced by a translatable one for the common cases.

    Most are Django's own form messages, so they are translated already.
    """
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    if kind == "missing":
        return gettext("This field is required.")
    if kind in {"int_parsing", "int_from_float", "int_type"}:
        return gettext("Enter a whole number.")
    if kind.startswith("datetime"):
        return gettext("Enter a valid date/time.")
    if kind.startswith("date"):
        return gettext("Enter a valid date.")
    if kind in {"enum", "literal_error"}:
        return gettext("Select a valid choice. That choice is not one of the available choices.")
    if kind == "string_too_short":
        limit = context.get("min_length", 1)
        return ngettext(
            "Enter at least %(limit)d character.", "Enter at least %(limit)d characters.", limit
        ) % {"limit": limit}
    if kind == "string_too_long":
        limit = context.get("max_length", 0)
        return ngettext(
            "Enter at most %(limit)d character.", "Enter at most %(limit)d characters.", limit
        ) % {"limit": limit}
    if kind == "greater_than_equal":
        return gettext("Ensure this value is greater than or equal to %(limit_value)s.") % {
            "limit_value": context.get("ge")
        }
    if kind == "less_than_equal":
        return gettext("Ensure this value is less than or equal to %(limit_value)s.") % {
            "limit_value": context.get("le")
        }
    return gettext("Enter a valid value.")


api.add_router("", venues_router)
api.add_router("/sessions", sessions_router)
api.add_router("/sessions", tally_router)
api.add_router("/sessions", call_off_router)
api.add_router("/schedules", schedules_router)
api.add_router("", checkin_router)
api.add_router("", board_router)
api.add_router("/dispatch-requests", requests_router)
api.add_router("/class-desk", class_desk_router)
api.add_router("/classes", classes_router)
api.add_router("/shifts", shift_cover_router)
api.add_router("/cover-requests", cover_requests_router)
api.add_router("/dispatch-requests", reports_router)
api.add_router("/me", supporters_router)
api.add_router("/invitations", invitations_router)
api.add_router("/supporters", certificates_router)
api.add_router("/notifications", notifications_router)
api.add_router("/notifications", broadcasts_router)
api.add_router("/stats", stats_router)
