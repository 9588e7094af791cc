"""What the site accepts as input, whatever page or endpoint it comes through (issue 8).

A test under bad input found values the database or the calendar cannot hold turned into
500s: a page number whose offset overflows a bigint, a date a day before `date.max`, a NUL
character (PostgreSQL refuses it in text). Each rule lives here once: the API's parser, page
numbers, ids and dates, and the form field the pages' date filters use.
"""

import re
from datetime import date
from typing import Annotated, Any

from django import forms
from django.core.exceptions import BadRequest
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination
from ninja.parser import Parser
from pydantic import AfterValidator, BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from config.errors import ApiError

# Dates a filter may name: enough for any session or text, and a day's arithmetic on either
# side stays inside Python's calendar.
FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2999, 12, 31)

# Ids are bigints: SQLite cannot even compare a larger number (a 500 there, issue 8).
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]

# Pages of at most 50 rows: five million rows, far past any list here, and an offset every
# database takes.
LAST_PAGE = 100_000
# Every list's page size, and its largest (the API's description promises 50).
PAGE_SIZE = 50


ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


def iso_date(value: Any) -> Any:
    """Only `YYYY-MM-DD`: pydantic alone reads `0` as 1970-01-01, a Unix time."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.fullmatch(ISO_DATE, value):
        raise PydanticCustomError("date_parsing", "Input should be a date as YYYY-MM-DD")
    return value


def within_calendar(value: date) -> date:
    # The kinds of pydantic's own bounds, which config.api words for people.
    if value < FIRST_DATE:
        raise PydanticCustomError(
            "greater_than_equal", "Input should be on or after {ge}", {"ge": FIRST_DATE}
        )
    if value > LAST_DATE:
        raise PydanticCustomError(
            "less_than_equal", "Input should be on or before {le}", {"le": LAST_DATE}
        )
    return value


IsoDate = Annotated[
    date,
    BeforeValidator(iso_date),
    AfterValidator(within_calendar),
    WithJsonSchema({"type": "string", "format": "date", "pattern": ISO_DATE}),
]


class DateFilterField(forms.DateField):
    """A page's date filter, within the dates the API accepts too."""

    default_validators = [MinValueValidator(FIRST_DATE), MaxValueValidator(LAST_DATE)]


class Pagination(PageNumberPagination):
    """Ninja's `?page=&page_size=`, with a last page so the offset fits the database."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=LAST_PAGE)
        page_size: int | None = Field(None, ge=1)


# Not Django's "Null characters are not allowed.", whose Japanese asks for some text.
NULL_CHARACTER_MESSAGE = _("This text holds a NUL character (U+0000), which cannot be stored.")


class NullCharacterError(ValueError):
    def __init__(self, field: str):
        self.field = field
        super().__init__(field)


def refuse_null_characters(data: Any, field: str = "") -> None:
    """Raise NullCharacterError naming the first key or string holding a NUL character."""
    if isinstance(data, str):
        if "\x00" in data:
            raise NullCharacterError(field)
    elif isinstance(data, dict):
        for key, value in data.items():
            name = f"{field}.{key}" if field else str(key)
            refuse_null_characters(key, name)
            refuse_null_characters(value, name)
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            refuse_null_characters(value, f"{field}.{index}" if field else str(index))


def null_character_error(field: str) -> ApiError:
    message = str(NULL_CHARACTER_MESSAGE)
    return ApiError(
        422,
        "invalid",
        gettext("Some of the data sent is not valid."),
        [{"field": field, "message": message}],
    )


class ApiParser(Parser):
    """Ninja's JSON and query-string parser, refusing NUL characters in any value or key.

    Ninja turns any error of `parse_body` into a 400 whose cause `config.api` looks at.
    """

    def parse_body(self, request):
        data = super().parse_body(request)
        refuse_null_characters(data)
        return data

    def parse_querydict(self, data, list_fields, request):
        parsed = super().parse_querydict(data, list_fields, request)
        try:
            refuse_null_characters(parsed)
        except NullCharacterError as error:
            raise null_character_error(error.field) from None
        return parsed


class RefuseNullCharactersMiddleware:
    """Pages: a NUL character in the path, the query string or a form is a 400 Bad Request.

    Django's form fields refuse NUL already, but a view reading the URL (a calendar feed's
    token) or `request.GET` would hand it to PostgreSQL. The API answers in its own error
    format, from `ApiParser`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith("/api/"):
            sent = [request.path_info, *request.GET.lists()]
            if request.method == "POST" and request.content_type in FORM_TYPES:
                sent.extend(request.POST.lists())
            try:
                refuse_null_characters(sent)
            except NullCharacterError:
                raise BadRequest(str(NULL_CHARACTER_MESSAGE)) from None
        return self.get_response(request)


FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
