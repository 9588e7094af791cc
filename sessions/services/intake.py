"""A group of residents asks for a visit (学び合い出張サポート), on the public form, through the
API, or by phone or on paper through a coordinator: `submit_request` holds every rule, and the
form page and the API put its per-field messages next to their fields.

A double tap, a reload or two concurrent submissions of the same request make one request: the
request's fingerprint is unique while it waits (`dispatch_request_once_while_waiting`), so the
second insert fails inside a savepoint and the first request is answered instead.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from config.errors import ServiceError
from config.public_pages import PublicLimit
from notifications.services import absolute_url
from sessions.models import DispatchRequest, RequestEvent
from sessions.services.requests import record, tell_representative
from supporters.phones import normalize_phone
from venues.closures import closed_days
from venues.models import District

logger = logging.getLogger(__name__)

Channel = DispatchRequest.Channel
MAX_PREFERRED_DATES = 3
LIMIT = PublicLimit("dispatch_request")  # settings.ACCOUNT_RATE_LIMITS

# What a request must say; the form marks these fields required from this list.
REQUIRED = (
    "group_name",
    "representative_name",
    "representative_phone",
    "residents_count",
    "place_name",
    "address",
)
TEXT_FIELDS = (
    "group_name",
    "representative_name",
    "representative_kana",
    "representative_phone",
    "representative_email",
    "place_name",
    "address",
    "message",
)


class IntakeError(ServiceError):
    """A request the rules refuse. `code`: invalid (with `details`, per field), rate_limited."""

    MESSAGES = {
        "invalid": _("Please check the answers marked below."),
        "rate_limited": _(
            "Many requests have been sent from this network. Please try again in an hour, "
            "or call the city."
        ),
    }


def offered_topics():
    """The consultation topics a group may ask to learn about (the active ones), in order.

    Topics belong to consultations, above sessions: reached through the request's field."""
    topic = DispatchRequest.topics.field.related_model
    return topic.objects.filter(is_active=True).order_by("sort_order", "name")


def earliest_date():
    """The first day a group may ask for: time to find and brief the supporters."""
    return timezone.localdate() + timedelta(days=settings.DISPATCH_MIN_DAYS_AHEAD)


def status_url(request) -> str:
    """The secret status page's link, as the text to the representative carries it."""
    return absolute_url(reverse("helpdesk_sessions:request_status", args=[request.status_token]))


def submit_request(data: dict, *, channel: str = Channel.WEB, entered_by=None):
    """Make a group-visit request from `data` (the API's keys); `(request, created)`: the same
    request submitted again while it waits is the one already made, `created` False."""
    fields, topic_ids = _checked(data, channel=channel, entered_by=entered_by)
    fields["fingerprint"] = DispatchRequest.fingerprint_of(
        fields["representative_phone"],
        fields["group_name"],
        [fields[f"preferred_date_{n}"] for n in range(1, 4) if fields[f"preferred_date_{n}"]],
        fields["place_name"],
    )
    with transaction.atomic():
        waiting = _waiting_with(fields["fingerprint"])
        if waiting is not None:
            return waiting, False
        try:
            with transaction.atomic():  # a savepoint: the race's loser carries on
                request = DispatchRequest.objects.create(**fields)
        except IntegrityError:
            waiting = _waiting_with(fields["fingerprint"])
            if waiting is None:
                raise
            return waiting, False
        request.topics.set(topic_ids)
        record(request, RequestEvent.Kind.RECEIVED, by=entered_by, note=channel)
        _confirm(request)
    logger.info("Request %s received (%s)", request.pk, channel)
    return request, True


def _waiting_with(fingerprint: str):
    return DispatchRequest.objects.filter(
        fingerprint=fingerprint, status=DispatchRequest.Status.RECEIVED
    ).first()


def _confirm(request) -> None:
    """A mobile gets the reference and the status page's link; a landline a call-back, unless
    a coordinator took the request on the phone and read the reference out there and then."""
    if request.takes_texts:
        tell_representative(
            request,
            "request_received",
            key=f"request:{request.pk}:received",
            link=status_url(request),
            reference=request.reference,
        )
    elif request.channel != Channel.PHONE:
        tell_representative(
            request,
            "request_received_call",
            key=f"request:{request.pk}:received",
            reference=request.reference,
        )


def _checked(data: dict, *, channel: str, entered_by) -> tuple[dict, list[int]]:
    """The request's model fields and its topics' ids, or IntakeError("invalid") naming every
    field that is wrong."""
    errors: dict[str, list] = {}

    def refuse(field, message):
        errors.setdefault(field, []).append(message)

    fields = {name: str(data.get(name) or "").strip() for name in TEXT_FIELDS}
    for name, value in fields.items():
        limit = DispatchRequest._meta.get_field(name).max_length
        if limit and len(value) > limit and name != "representative_phone":
            refuse(name, _limit_message(limit))
    for name in REQUIRED:
        if data.get(name) in (None, "") or (name in fields and not fields[name]):
            refuse(name, gettext("This field is required."))
    if fields["representative_phone"]:
        try:
            fields["representative_phone"] = normalize_phone(fields["representative_phone"])
        except ValidationError as error:
            refuse("representative_phone", error.messages[0])
    if fields["representative_email"]:
        try:
            validate_email(fields["representative_email"])
        except ValidationError:
            refuse("representative_email", gettext("Enter a valid email address."))

    residents = data.get("residents_count")
    if residents not in (None, "") and not isinstance(residents, int):
        refuse("residents_count", gettext("Enter a whole number."))
    elif residents not in (None, "") and residents < DispatchRequest.MIN_RESIDENTS:
        refuse(
            "residents_count",
            ngettext(
                "A group visit is for %(count)d or more residents. For fewer people, please "
                "come to a help desk.",
                "A group visit is for %(count)d or more residents. For fewer people, please "
                "come to a help desk.",
                DispatchRequest.MIN_RESIDENTS,
            )
            % {"count": DispatchRequest.MIN_RESIDENTS},
        )

    dates = list(data.get("preferred_dates") or [])
    for index, message in _date_problems(dates):
        refuse("preferred_dates" if index is None else f"preferred_dates.{index}", message)

    choices = {
        "preferred_time": (DispatchRequest.TimeOfDay, DispatchRequest.TimeOfDay.EITHER),
        "wifi": (DispatchRequest.Wifi, DispatchRequest.Wifi.UNKNOWN),
    }
    for name, (kind, default) in choices.items():
        fields[name] = data.get(name) or default
        if fields[name] not in kind.values:
            refuse(name, _bad_choice())
    fields["preferred_language"] = data.get("preferred_language") or settings.LANGUAGE_CODE
    if fields["preferred_language"] not in dict(settings.LANGUAGES):
        refuse("preferred_language", _bad_choice())
    devices = list(dict.fromkeys(data.get("devices") or []))
    if not set(devices) <= set(DispatchRequest.Device.values):
        refuse("devices", _bad_choice())
    fields["devices"] = [device for device in DispatchRequest.Device.values if device in devices]

    topic_ids = list(dict.fromkeys(data.get("topics") or []))
    if topic_ids and offered_topics().filter(pk__in=topic_ids).count() != len(topic_ids):
        refuse("topics", _bad_choice())
    district = data.get("district")
    fields["district"] = district and District.objects.filter(pk=district).first()
    if district and fields["district"] is None:
        refuse("district", _bad_choice())
    if not data.get("consent"):
        refuse("consent", gettext("Please agree to how we handle your details, or call the city."))
    if channel not in Channel.values or (channel != Channel.WEB and entered_by is None):
        refuse("channel", _bad_choice())

    if errors:
        raise IntakeError("invalid", details=errors)
    for n in range(MAX_PREFERRED_DATES):
        fields[f"preferred_date_{n + 1}"] = dates[n] if n < len(dates) else None
    fields.update(
        residents_count=residents,
        channel=channel,
        entered_by=entered_by if channel != Channel.WEB else None,
        consent_at=timezone.now(),
    )
    return fields, topic_ids


def _date_problems(dates: list):
    """(index or None for the whole list, message) for each wrong preferred date."""
    if not dates:
        yield None, gettext("Give at least one date that suits your group.")
        return
    if len(dates) > MAX_PREFERRED_DATES:
        yield None, gettext("Give at most three dates.")
        return
    first = earliest_date()
    seen = set()
    for index, day in enumerate(dates):
        if day < first:
            yield (
                index,
                gettext(
                    "Please choose a date from %(date)s: we need %(days)d days to find supporters."
                )
                % {
                    "date": date_format(first, "DATE_FORMAT"),
                    "days": settings.DISPATCH_MIN_DAYS_AHEAD,
                },
            )
        elif day in seen:
            yield index, gettext("This date is already given above.")
        elif closed_days(None, day, day):
            yield index, gettext("Public halls are closed on this day. Please choose another.")
        seen.add(day)


def _limit_message(limit: int) -> str:
    return ngettext(
        "Enter at most %(limit)d character.", "Enter at most %(limit)d characters.", limit
    ) % {"limit": limit}


def _bad_choice() -> str:
    return gettext("Select a valid choice. That choice is not one of the available choices.")


# The network's limit on public requests (`PublicLimit`: the view and the API call these).
is_rate_limited = LIMIT.reached
count_request_from = LIMIT.count
