"""Residents' registrations for smartphone classes, with their waiting list.

The residents' journey that fills this module comes next; its rules belong here, called by the
class pages, the coordinators' pages, the API, SMS replies and the admin alike. For now: a
coordinator enters a registration, or cancels one, which moves the waiting list up.

Lock order, as for shifts: the session's row first, then its registrations.
"""

import logging

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.errors import ServiceError
from notifications.models import OutboundMessage
from notifications.services import cancel_pending, queue_sms
from sessions.models import ClassRegistration, Session
from sessions.reminders import refresh_reminders
from sessions.services.rules import lock_session
from sessions.texts import render_registration_sms

logger = logging.getLogger(__name__)


class RegistrationError(ServiceError):
    """A registration change the rules refuse. `code`: not_a_class, session_cancelled, started,
    not_registered."""

    MESSAGES = {
        "not_a_class": _("Residents register for smartphone classes only."),
        "session_cancelled": _("This class has been cancelled."),
        "started": _("This class has already started."),
        "not_registered": _("This registration is already cancelled or over."),
    }


def add_registration(registration: ClassRegistration, *, by) -> ClassRegistration:
    """Save a new registration (entered by a coordinator, from the phone or a paper form): a
    seat while the class has one, else the end of its waiting list."""
    with transaction.atomic():
        session = lock_session(registration.session_id)
        _check_open(session)
        if session.seats_left() > 0:
            registration.status = ClassRegistration.Status.REGISTERED
            registration.waitlist_position = None
        else:
            registration.status = ClassRegistration.Status.WAITLISTED
            registration.waitlist_position = _last_position(session) + 1
        registration.session = session
        registration.save()
        refresh_reminders(registration)
        logger.info(
            "Registration %s (%s) added by user %s",
            registration.pk,
            registration.status,
            getattr(by, "pk", None),
        )
    return registration


def cancel_registration(registration: ClassRegistration, *, by) -> ClassRegistration:
    """Give up a seat or a place in line before the class; a freed seat goes to the first
    resident waiting, who is texted."""
    with transaction.atomic():
        session = lock_session(registration.session_id)
        registration = ClassRegistration.objects.select_for_update().get(pk=registration.pk)
        taking_part = (ClassRegistration.Status.REGISTERED, ClassRegistration.Status.WAITLISTED)
        if registration.status not in taking_part:
            raise RegistrationError("not_registered")
        _check_open(session)
        held_seat = registration.status == ClassRegistration.Status.REGISTERED
        registration.status = ClassRegistration.Status.CANCELLED
        registration.waitlist_position = None
        registration.save(update_fields=["status", "waitlist_position", "updated_at"])
        cancel_pending(registration, purpose=OutboundMessage.Purpose.REMINDER)
        logger.info(
            "Registration %s cancelled by user %s", registration.pk, getattr(by, "pk", None)
        )
        if held_seat:
            offer_freed_seats(session)
    return registration


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


def offer_freed_seats(session: Session) -> None:
    """Give each open seat to the next resident in line, and text them. The caller holds the
    session's row lock; whatever frees seats (a cancellation, a larger room) calls this."""
    waiting = ClassRegistration.objects.select_for_update().filter(
        session=session, status=ClassRegistration.Status.WAITLISTED
    )
    for registration in waiting.order_by("waitlist_position")[: session.seats_left()]:
        registration.status = ClassRegistration.Status.REGISTERED
        registration.waitlist_position = None
        registration.save(update_fields=["status", "waitlist_position", "updated_at"])
        registration.session = session
        refresh_reminders(registration)
        queue_sms(
            registration.phone,
            render_registration_sms("class_seat_opened", registration),
            purpose=OutboundMessage.Purpose.CONFIRMATION,
            key=f"seat-opened:registration:{registration.pk}",
            related=registration,
            language=registration.language,
        )
        logger.info("Registration %s moved up from the waiting list", registration.pk)
