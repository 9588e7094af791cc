"""Coded errors: services raise `ServiceError`s, API handlers may raise `ApiError`s.

Both carry a machine-readable `code` and a translated `message`; `config.api` turns them into
`{"code": ..., "message": ...}` JSON responses, described by `ErrorOut` in the OpenAPI document.
"""

from django.utils.translation import gettext_lazy as _
from ninja import Schema


class ServiceError(Exception):
    """A business rule refused the request; services subclass it (`BookingError("full")`).

    Services never choose an HTTP status: the API maps `code` to one (`not_found` → 404,
    `forbidden` → 403, `invalid` → 422, anything else → 409 Conflict).
    """

    # Subclasses list their codes' default messages here, so callers raise just `Error("full")`.
    MESSAGES: dict = {}

    def __init__(self, code: str, message=None, *, details: dict | None = None):
        self.code = code
        self.message = message or self.MESSAGES.get(code) or _("This is not possible.")
        # What was wrong with each field, `{field: [message, ...]}`, when the service checked a
        # whole form's worth of input: a page puts each next to its field, the API lists them.
        self.details = details
        super().__init__(code)

    def __str__(self):
        return str(self.message)


class ApiError(Exception):
    """An API handler's refusal with its HTTP status: `ApiError(409, "full", _("…"))`."""

    def __init__(self, status: int, code: str, message, details: list | None = None):
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        super().__init__(status, code)

    def __str__(self):
        return f"{self.status} {self.code}: {self.message}"


class ErrorDetailOut(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    details: list[ErrorDetailOut] | None = None


# What a signed-in endpoint that changes something may answer besides success (documented once,
# spread into each operation's `response`): nobody signed in, the wrong person, no such object, a
# rule refusing, bad input.
REFUSALS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
