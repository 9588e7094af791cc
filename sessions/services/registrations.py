"""Residents' registrations for smartphone classes, with their waiting list (issue 11).

The one place for the rules: the class pages, the coordinators' pages, the API, SMS replies and
the admin all call these. A resident registers without an account (`register_for_class`) and
gets a seat while there is one, else a place at the end of the waiting list; a seat that frees
up is *offered* to the first in line (`offer_freed_seats`): a mobile by text, to take by the
link or by replying 1 before a deadline (`accept_class_offer`, `expire_class_offers`), a
landline by a coordinator's call (`ClassRegistration.objects.to_call()`,
`record_call_answer`). Names and phones go a while after the class (`purge_registrations_due`);
the participant key and the counts stay.

Lock order, as for shifts: the session's row first, then its registrations. Whatever changes
who holds a seat locks the session's row, so two cancellations at once free two seats that go
to two different people, in the order of the line.
"""

import logging
import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from config.errors import ServiceError
from config.public_pages import PublicLimit
from notifications.models import OutboundMessage
from notifications.quiet_hours import earliest_send_time
from notifications.services import Sms, absolute_url, cancel_pending, queue_sms_many
from sessions.models import ClassRegistration, Session
from sessions.reminders import refresh_reminders
from sessions.services.rules import lock_session
from sessions.texts import render_registration_sms
from supporters.phones import normalize_phone

logger = logging.getLogger(__name__)

Status = ClassRegistration.Status
Purpose = OutboundMessage.Purpose
LIMIT = PublicLimit("class_registration")  # settings.ACCOUNT_RATE_LIMITS

# Kana as people write their names: hiragana, katakana (full and half width), the long-vowel
# mark, the middle dot and spaces.
KANA = re.compile(r"^[\u3041-\u309f\u30a0-\u30ff\uff66-\uff9f\u3000 ・ー]+$")


class RegistrationError(ServiceError):
    """A registration change the rules refuse. `code`: not_a_class, session_cancelled, started,
    not_registered, invalid (with `details`, per field), rate_limited, not_offered,
    offer_expired, purged, offered."""

    MESSAGES = {
        "not_a_class": _("Residents register for smartphone classes only."),
        "session_cancelled": _("This class has been cancelled."),
        "started": _("This class has already started."),
        "not_registered": _("This registration is already cancelled or over."),
        "invalid": _("Please check the answers marked below."),
        "rate_limited": _(
            "Many registrations have been sent from this network. Please try again in an hour, "
            "or call the city."
        ),
        "not_offered": _("No seat is offered to this registration at the moment."),
        "offer_expired": _(
            "Sorry, the time to take the seat has passed: it was offered to the next in line."
        ),
        "purged": _("This registration's personal data has been removed."),
        "offered": _("A seat is offered: record whether they take it."),
    }


# Registering ------------------------------------------------------------------------------


def register_for_class(
    data: dict, session: Session, *, series: bool = False, entered_by=None
) -> tuple[list[ClassRegistration], bool]:
    """Register a resident from `data` (the API's keys: name, kana, phone, language, own_phone,
    consent) for `session`, or with `series` for every coming date of its series, all or
    nothing. Each class gives a seat while it has one, else a place at the end of its line.

    Returns `(registrations, created)`, the one for `session` first. The same phone and name
    for the same class again (a double tap, a reload) is the registration already made:
    `created` False, nothing new written or texted. Another name on a phone already holding a
    place is refused (`invalid`, on `phone`): one place per phone per class.
    """
    fields = _checked(data, entered_by=entered_by)
    with transaction.atomic():
        classes = _classes_to_register(session, series=series, own_phone=fields["own_phone"])
        existing = {
            registration.session_id: registration
            for registration in ClassRegistration.objects.taking_part()
            .select_for_update(of=("self",))
            .filter(session__in=classes, phone=fields["phone"], purged_at__isnull=True)
        }
        if any(not _same_person(registration, fields) for registration in existing.values()):
            # Someone else's place: never hand out their status link to whoever types the number.
            raise RegistrationError(
                "invalid",
                details={
                    "phone": [
                        gettext(
                            "This phone number already holds a place in this class. To change "
                            "it, use the link we sent, or call the city."
                        )
                    ]
                },
            )
        made = []
        for a_class in classes:
            if a_class.pk in existing:
                continue
            made.append(_register(a_class, fields))
        registrations = [existing.get(a_class.pk) for a_class in classes]
        new = iter(made)
        registrations = [r if r is not None else next(new) for r in registrations]
        if made:
            _confirm(made)
            # Their personal data now has a date to go: make sure a worker runs then.
            transaction.on_commit(_schedule_purge)
    for registration in made:
        logger.info(
            "Registration %s (%s) for class %s, entered by user %s",
            registration.pk,
            registration.status,
            registration.session_id,
            getattr(entered_by, "pk", None),
        )
    return registrations, bool(made)


def _same_person(registration: ClassRegistration, fields: dict) -> bool:
    """The same name sent again (a double tap, a reload), spaces aside."""

    def plain(text):
        return "".join(text.split())

    return plain(registration.name) == plain(fields["name"])


def _classes_to_register(session: Session, *, series: bool, own_phone: bool) -> list[Session]:
    """The classes asked for, their rows locked in start order (one order for everyone); a
    refusal for any of them refuses them all."""
    if series and session.series_id is None:
        raise RegistrationError(
            "invalid", details={"series": [gettext("This class is not part of a series.")]}
        )
    if series:
        ids = list(
            Session.objects.of_kind(Session.Kind.CLASS)
            .scheduled()
            .filter(series_id=session.series_id, starts_at__gt=timezone.now())
            .order_by("starts_at", "pk")
            .values_list("pk", flat=True)
        )
        if session.pk not in ids:
            ids.insert(0, session.pk)  # refused below: started or cancelled
    else:
        ids = [session.pk]
    classes = [lock_session(pk) for pk in ids]
    for a_class in classes:
        _check_open(a_class)
    if not own_phone and not all(a_class.loaner_devices for a_class in classes):
        raise RegistrationError(
            "invalid",
            details={
                "own_phone": [
                    gettext(
                        "This class is for residents who bring their own smartphone. The "
                        "classes where phones are lent are marked on the list."
                    )
                ]
            },
        )
    # The class asked for first: its registration is the one answered.
    return sorted(classes, key=lambda a_class: a_class.pk != session.pk)


def _register(session: Session, fields: dict) -> ClassRegistration:
    """A seat while one is free and nobody waits for it, else the end of the line. The caller
    holds the session's lock."""
    registration = ClassRegistration(session=session, **_model_fields(fields))
    if (
        _seats_free(session) > 0
        and not ClassRegistration.objects.waiting().filter(session=session).exists()
    ):
        registration.status = Status.REGISTERED
    else:
        registration.status = Status.WAITLISTED
        registration.waitlist_position = _last_position(session) + 1
    registration.save()
    refresh_reminders(registration)
    return registration


def _model_fields(fields: dict) -> dict:
    return {
        "name": fields["name"],
        "name_kana": fields["kana"],
        "phone": fields["phone"],
        "language": fields["language"],
        "needs_device": not fields["own_phone"],
        "consent_at": fields["consent_at"],
        "entered_by": fields["entered_by"],
    }


def _checked(data: dict, *, entered_by) -> dict:
    """The registration's fields, or RegistrationError("invalid") naming each wrong field."""
    errors: dict[str, list] = {}

    def refuse(field, message):
        errors.setdefault(field, []).append(message)

    fields = {name: str(data.get(name) or "").strip() for name in ("name", "kana", "phone")}
    limits = {"name": 100, "kana": 200}
    for name, limit in limits.items():
        if len(fields[name]) > limit:
            refuse(name, _limit_message(limit))
    for name in ("name", "phone"):
        if not fields[name]:
            refuse(name, gettext("This field is required."))
    if fields["kana"] and not KANA.fullmatch(fields["kana"]):
        refuse("kana", gettext("Write your name in hiragana or katakana."))
    if fields["phone"]:
        try:
            fields["phone"] = normalize_phone(fields["phone"])
        except ValidationError as error:
            refuse("phone", error.messages[0])
    fields["language"] = data.get("language") or settings.LANGUAGE_CODE
    if fields["language"] not in dict(settings.LANGUAGES):
        refuse("language", _bad_choice())
    own_phone = data.get("own_phone")
    if not isinstance(own_phone, bool):
        refuse("own_phone", gettext("Tell us whether you bring your own smartphone."))
    if data.get("consent") is not True:
        refuse("consent", gettext("Please agree to how we handle your details, or call the city."))
    if entered_by is not None and not getattr(entered_by, "is_coordinator", False):
        refuse("entered_by", _bad_choice())
    if errors:
        raise RegistrationError("invalid", details=errors)
    return {
        **fields,
        "own_phone": own_phone,
        "consent_at": timezone.now(),
        "entered_by": entered_by,
    }


def _limit_message(limit: int) -> str:
    return ngettext(
        "Enter at most %(limit)d character.", "Enter at most %(limit)d characters.", limit
    ) % {"limit": limit}


def _bad_choice() -> str:
    return gettext("Select a valid choice. That choice is not one of the available choices.")


def _confirm(made: list[ClassRegistration]) -> None:
    """One text to a mobile: the reference and the status page's link (a series: how many
    dates, from the first). A landline gets none: the page shows the reference, and a
    coordinator taking it by phone reads it out."""
    first = made[0]
    if not first.takes_texts:
        return
    if len(made) > 1:
        body = render_registration_sms("class_series_registered", first, count=len(made))
    elif first.status == Status.WAITLISTED:
        body = render_registration_sms("class_waitlisted", first, position=first.place_in_line())
    else:
        body = render_registration_sms("class_registered", first)
    queue_sms_many(
        [
            Sms(
                first.phone,
                f"{body}\n{registration_url(first)}",
                Purpose.CONFIRMATION,
                f"registration:{first.pk}:received",
                related=first,
                language=first.language,
            )
        ]
    )


def tell_registrants_of_change(session: Session) -> None:
    """A class with a new time or place: each resident taking part is texted it in their
    language with their status link, to cancel if they cannot come; a landline becomes a call
    for the coordinators (`ClassRegistration.objects.to_call()`). Session locked by the caller."""
    registrations = list(ClassRegistration.objects.filter(session=session).taking_part())
    stamp = f"{timezone.localtime(session.starts_at):%Y-%m-%dT%H:%M}:{session.venue_id}"
    texts = []
    for registration in registrations:
        registration.session = session
        if not registration.takes_texts:
            continue
        body = render_registration_sms("class_moved", registration)
        texts.append(
            Sms(
                registration.phone,
                f"{body}\n{registration_url(registration)}",
                Purpose.CONFIRMATION,
                f"registration:{registration.pk}:moved@{stamp}",
                related=registration,
                language=registration.language,
            )
        )
    queue_sms_many(texts)
    landlines = [r.pk for r in registrations if r.phone and not r.takes_texts]
    ClassRegistration.objects.filter(pk__in=landlines, call_back_since__isnull=True).update(
        call_back_since=timezone.now()
    )


def registration_url(registration: ClassRegistration) -> str:
    """The secret status page's link, as texted to the registrant: a full address."""
    path = reverse("helpdesk_sessions:class_registration", args=[registration.status_token])
    return absolute_url(path)


# The network's limit on public registrations (`PublicLimit`: the view and the API call these).
is_rate_limited = LIMIT.reached
count_registration_from = LIMIT.count


def add_registration(registration: ClassRegistration, *, by) -> ClassRegistration:
    """Save a new registration a coordinator filled in on the admin: a seat while the class
    has one and nobody waits, else the end of its waiting list."""
    with transaction.atomic():
        session = lock_session(registration.session_id)
        _check_open(session)
        if (
            _seats_free(session) > 0
            and not ClassRegistration.objects.waiting().filter(session=session).exists()
        ):
            registration.status = Status.REGISTERED
            registration.waitlist_position = None
        else:
            registration.status = Status.WAITLISTED
            registration.waitlist_position = _last_position(session) + 1
        registration.session = session
        if getattr(by, "is_coordinator", False):
            registration.entered_by = by
        registration.save()
        refresh_reminders(registration)
        logger.info(
            "Registration %s (%s) added by user %s",
            registration.pk,
            registration.status,
            getattr(by, "pk", None),
        )
    return registration


# Cancelling and the waiting list -----------------------------------------------------------


def lock_registration(registration: ClassRegistration) -> tuple[Session, ClassRegistration]:
    """The registration's session's row, then the registration's, locked (the lock order)."""
    session = lock_session(registration.session_id)
    registration = ClassRegistration.objects.select_for_update(of=("self",)).get(pk=registration.pk)
    registration.session = session
    return session, registration


def cancel_registration(registration: ClassRegistration, *, by=None) -> ClassRegistration:
    """Give up a seat, an offered seat or a place in line before the class (the resident by
    their status link, `by` None, or a coordinator); a freed seat is offered to the next."""
    with transaction.atomic():
        session, registration = lock_registration(registration)
        if registration.status not in ClassRegistration.TAKING_PART:
            raise RegistrationError("not_registered")
        _check_open(session)
        held_seat = registration.status in (Status.REGISTERED, Status.OFFERED)
        _cancel(registration)
        logger.info(
            "Registration %s cancelled by user %s", registration.pk, getattr(by, "pk", None)
        )
        if held_seat:
            offer_freed_seats(session)
    return registration


def _cancel(registration: ClassRegistration) -> None:
    registration.status = Status.CANCELLED
    registration.waitlist_position = None
    registration.call_back_since = None
    registration.save(
        update_fields=["status", "waitlist_position", "call_back_since", "updated_at"]
    )
    cancel_pending(registration, purpose=Purpose.REMINDER)
    cancel_pending(registration, purpose=Purpose.WAITLIST_OFFER)


def _check_open(session: Session) -> None:
    if session.kind != Session.Kind.CLASS:
        raise RegistrationError("not_a_class")
    if session.is_cancelled:
        raise RegistrationError("session_cancelled")
    if session.starts_at <= timezone.now():
        raise RegistrationError("started")


def _last_position(session) -> int:
    last = ClassRegistration.objects.filter(session=session).aggregate(
        last=Max("waitlist_position")
    )
    return last["last"] or 0


def _seats_free(session: Session) -> int:
    """Seats neither held nor offered, counted now (not from an annotation)."""
    held = ClassRegistration.objects.filter(
        session=session, status__in=ClassRegistration.SEAT_HOLDING_STATUSES
    ).count()
    return max(session.capacity - held, 0)


def class_offer_deadline(session: Session, now=None):
    """When a seat offered by text now must be taken by: CLASS_OFFER_HOURS after the text can
    go out (quiet hours move it to the morning), never past the class's start; None when no
    time is left to answer."""
    sent_at = earliest_send_time(now or timezone.now(), Purpose.WAITLIST_OFFER)
    deadline = min(sent_at + timedelta(hours=settings.CLASS_OFFER_HOURS), session.starts_at)
    return deadline if deadline > sent_at else None


def offer_freed_seats(session: Session) -> list[ClassRegistration]:
    """Offer each free seat to the next resident in line: a mobile by text with a link and
    "reply 1" until a deadline, a landline by a call task for the coordinators. Returns those
    offered.

    The caller holds the session's row lock; whatever frees seats (a cancellation, a larger
    room, an offer lapsing) calls this. Seats already offered are held, so nobody is asked
    twice for one seat and nobody in line is skipped.
    """
    now = timezone.now()
    if session.is_cancelled or session.starts_at <= now:
        return []
    free = _seats_free(session)
    if free <= 0:
        return []
    deadline = class_offer_deadline(session, now)
    waiting = list(
        ClassRegistration.objects.waiting()
        .filter(session=session)
        .select_for_update(of=("self",))[:free]
    )
    offered, texts = [], []
    for registration in waiting:
        registration.session = session
        if registration.takes_texts:
            if deadline is None:
                break  # too late to answer by text: the line stays as it is
            registration.offer_expires_at = deadline
            texts.append(_offer_text(registration))
        else:
            registration.offer_expires_at = None
            registration.call_back_since = now
            registration.called_back_at = None
        registration.status = Status.OFFERED
        registration.waitlist_position = None
        registration.save(
            update_fields=[
                "status",
                "waitlist_position",
                "offer_expires_at",
                "call_back_since",
                "called_back_at",
                "updated_at",
            ]
        )
        offered.append(registration)
        logger.info(
            "Registration %s: seat offered (%s)",
            registration.pk,
            registration.offer_expires_at or "by phone",
        )
    queue_sms_many(texts)
    if texts:
        transaction.on_commit(lambda: _schedule_offer_expiry(deadline))
    return offered


def _offer_text(registration: ClassRegistration) -> Sms:
    body = render_registration_sms(
        "class_seat_offered", registration, deadline=registration.offer_expires_at
    )
    stamp = timezone.localtime(registration.offer_expires_at).strftime("%Y-%m-%dT%H:%M")
    return Sms(
        registration.phone,
        # The link on a line of its own: phones make it tappable.
        f"{body}\n{registration_url(registration)}",
        Purpose.WAITLIST_OFFER,
        f"class-offer:registration:{registration.pk}@{stamp}",
        related=registration,
        language=registration.language,
    )


def accept_class_offer(registration: ClassRegistration, *, by=None) -> ClassRegistration:
    """Take an offered seat (the status page's button, "1" by text, or a coordinator on the
    phone); refused once the offer lapsed, which passes the seat on. Taking it twice is
    harmless."""
    expired = False
    with transaction.atomic():
        session, registration = lock_registration(registration)
        if registration.status in (Status.REGISTERED, Status.ATTENDED):
            return registration  # a double tap, or the link opened after replying 1
        if registration.status != Status.OFFERED:
            if registration.offer_lapsed:
                raise RegistrationError("offer_expired")
            raise RegistrationError("not_offered")
        _check_open(session)
        now = timezone.now()
        if registration.offer_expires_at is not None and registration.offer_expires_at <= now:
            # Not passed on yet by the worker: pass it on now, then refuse.
            _lapse(registration)
            offer_freed_seats(session)
            expired = True
        else:
            _take_seat(registration, by=by)
    if expired:
        raise RegistrationError("offer_expired")
    return registration


def _take_seat(registration: ClassRegistration, *, by) -> None:
    registration.status = Status.REGISTERED
    if registration.call_back_since is not None:
        registration.call_back_since = None
        registration.called_back_at = timezone.now()
    registration.save(update_fields=["status", "call_back_since", "called_back_at", "updated_at"])
    cancel_pending(registration, purpose=Purpose.WAITLIST_OFFER)
    refresh_reminders(registration)
    if registration.takes_texts:
        queue_sms_many(
            [
                Sms(
                    registration.phone,
                    render_registration_sms("class_seat_taken", registration),
                    Purpose.CONFIRMATION,
                    f"registration:{registration.pk}:seat-taken",
                    related=registration,
                    language=registration.language,
                )
            ]
        )
    logger.info("Registration %s: offered seat taken (user %s)", registration.pk, by and by.pk)


def _lapse(registration: ClassRegistration) -> None:
    # The registration keeps `offer_expires_at`: its page says the offer lapsed.
    _cancel(registration)
    logger.info("Registration %s: offer lapsed", registration.pk)


def record_call_answer(registration: ClassRegistration, *, accepted: bool, by) -> ClassRegistration:
    """A coordinator phoned a landline registrant offered a seat: they take it, or not (the
    seat then goes to the next in line). Either way the call task is done."""
    with transaction.atomic():
        session, registration = lock_registration(registration)
        if registration.status != Status.OFFERED:
            raise RegistrationError("not_offered")
        _check_open(session)
        if accepted:
            _take_seat(registration, by=by)
        else:
            registration.called_back_at = timezone.now()
            registration.save(update_fields=["called_back_at", "updated_at"])
            _cancel(registration)
            offer_freed_seats(session)
        logger.info(
            "Registration %s: call answered (%s) by user %s",
            registration.pk,
            "accepted" if accepted else "declined",
            getattr(by, "pk", None),
        )
    return registration


def mark_registrant_called(registration: ClassRegistration, *, by) -> ClassRegistration:
    """A coordinator phoned a landline registrant about what a text would have told them (their
    class called off): the call task is done. A seat offered is answered by
    `record_call_answer` instead."""
    with transaction.atomic():
        _session, registration = lock_registration(registration)
        if registration.call_back_since is None:
            return registration
        if registration.status == Status.OFFERED and not registration.session.is_cancelled:
            raise RegistrationError("offered")
        registration.call_back_since = None
        registration.called_back_at = timezone.now()
        if registration.status == Status.OFFERED:
            # The seat offered went with the class.
            registration.status = Status.CANCELLED
        registration.save(
            update_fields=["status", "call_back_since", "called_back_at", "updated_at"]
        )
        logger.info("Registration %s: called by user %s", registration.pk, getattr(by, "pk", None))
    return registration


def expire_class_offers(now=None) -> int:
    """Pass each seat offered by text and not taken in time to the next in line; how many
    lapsed. The worker runs this at each offer's deadline (sessions.tasks)."""
    now = now or timezone.now()
    lapsed = 0
    due = ClassRegistration.objects.expired_offers(now).values_list("pk", "session_id")
    for registration_id, session_id in list(due):
        with transaction.atomic():
            session = lock_session(session_id)
            registration = ClassRegistration.objects.select_for_update(of=("self",)).get(
                pk=registration_id
            )
            if registration.status == Status.OFFERED and registration.offer_expires_at <= now:
                registration.session = session
                _lapse(registration)
                offer_freed_seats(session)
                lapsed += 1
    return lapsed


def next_class_offer_deadline():
    """The earliest deadline of a seat offered by text still open, or None."""
    open_offers = ClassRegistration.objects.filter(status=Status.OFFERED)
    return open_offers.aggregate(first=Min("offer_expires_at"))["first"]


def _schedule_offer_expiry(at) -> None:
    from sessions.tasks import schedule_offer_expiry  # the task module imports this one

    schedule_offer_expiry(at)


# At the door -------------------------------------------------------------------------------


# The purge ----------------------------------------------------------------------------------

PERSONAL_FIELDS = ("name", "name_kana", "phone")


def purge_registrations_due(now=None) -> int:
    """Remove registrants' names and phones CLASS_PERSONAL_DATA_DAYS after their class,
    keeping the reference, the status (attended or not), the participant key and the class:
    the statistics' counts. Returns how many."""
    now = now or timezone.now()
    before = now - timedelta(days=settings.CLASS_PERSONAL_DATA_DAYS)
    due = ClassRegistration.objects.to_purge(before)
    # One update: the rows are locked by it, and a purged row is never written again.
    count = due.update(
        name="", name_kana="", phone="", call_back_since=None, purged_at=now, updated_at=now
    )
    if count:
        logger.info("Personal data removed from %s class registrations", count)
    return count


def _schedule_purge() -> None:
    from sessions.tasks import next_personal_data_purge_at, schedule_purge  # they import this

    schedule_purge(next_personal_data_purge_at())


def next_registration_purge_at():
    """When the next class's registrants fall due for their purge, or None."""
    kept = ClassRegistration.objects.filter(purged_at__isnull=True)
    first = kept.aggregate(at=Min("session__ends_at"))["at"]
    if first is None:
        return None
    return first + timedelta(days=settings.CLASS_PERSONAL_DATA_DAYS)
