"""Residents' side: group-visit requests and class registrations (personal data lives here)."""

import secrets

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import (
    Q,
)
from django.utils.translation import gettext_lazy as _

from config.i18n import language_choices
from config.public_pages import PublicContentQuerySet
from supporters.phones import validate_e164

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone


def new_reference(prefix: str) -> str:
    return prefix + "-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


class DispatchRequestQuerySet(models.QuerySet):
    def pending(self):
        """Requests a coordinator still has to act on."""
        return self.filter(
            status__in=[DispatchRequest.Status.RECEIVED, DispatchRequest.Status.ACCEPTED]
        )


class DispatchRequest(models.Model):
    """A group of three or more residents asking for a visit (学び合い出張サポート)."""

    MIN_RESIDENTS = 3  # The city's rule for a dispatch.

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        ACCEPTED = "accepted", _("Accepted")
        SCHEDULED = "scheduled", _("Scheduled")
        DONE = "done", _("Done")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")

    class Channel(models.TextChoices):
        WEB = "web", _("Web form")
        PHONE = "phone", _("Phone call")
        PAPER = "paper", _("Paper form")

    class TimeOfDay(models.TextChoices):
        MORNING = "morning", _("Morning")
        AFTERNOON = "afternoon", _("Afternoon")
        EITHER = "either", _("Either")

    class Wifi(models.TextChoices):
        YES = "yes", _("Yes")
        NO = "no", _("No")
        UNKNOWN = "unknown", _("Don't know")

    reference = models.CharField(_("reference"), max_length=12, unique=True, editable=False)
    group_name = models.CharField(_("group name"), max_length=100)
    representative_name = models.CharField(_("representative's name"), max_length=100)
    representative_kana = models.CharField(
        _("representative's name (kana)"), max_length=200, blank=True
    )
    representative_phone = models.CharField(
        _("representative's phone"), max_length=16, validators=[validate_e164]
    )
    representative_email = models.EmailField(_("representative's email"), blank=True)
    residents_count = models.PositiveSmallIntegerField(
        _("number of residents"), validators=[MinValueValidator(MIN_RESIDENTS)]
    )
    preferred_date_1 = models.DateField(_("first preferred date"))
    preferred_date_2 = models.DateField(_("second preferred date"), null=True, blank=True)
    preferred_date_3 = models.DateField(_("third preferred date"), null=True, blank=True)
    preferred_time = models.CharField(
        _("preferred time of day"),
        max_length=10,
        choices=TimeOfDay.choices,
        default=TimeOfDay.EITHER,
    )
    place_name = models.CharField(_("place"), max_length=100)
    address = models.CharField(_("address"), max_length=200)
    district = models.ForeignKey(
        "venues.District",
        on_delete=models.PROTECT,
        related_name="dispatch_requests",
        verbose_name=_("district"),
        null=True,
        blank=True,
    )
    topics = models.ManyToManyField(
        "consultations.Topic",
        blank=True,
        related_name="dispatch_requests",
        verbose_name=_("topics"),
    )
    devices = models.JSONField(
        _("devices the residents have"),
        default=list,
        blank=True,
        help_text=_("Device kinds, as in consultation records."),
    )
    wifi = models.CharField(
        _("Wi-Fi at the place"), max_length=10, choices=Wifi.choices, default=Wifi.UNKNOWN
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=language_choices, default="ja"
    )
    message = models.TextField(_("message from the group"), blank=True)
    channel = models.CharField(
        _("received by"), max_length=10, choices=Channel.choices, default=Channel.WEB
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    session = models.OneToOneField(
        "helpdesk_sessions.Session",
        on_delete=models.SET_NULL,
        related_name="dispatch_request",
        verbose_name=_("session"),
        null=True,
        blank=True,
    )
    coordinator_notes = models.TextField(_("coordinator's notes"), blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=200, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("handled by"),
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = DispatchRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("group visit request")
        verbose_name_plural = _("group visit requests")
        constraints = [
            models.CheckConstraint(
                condition=Q(residents_count__gte=3),
                name="dispatch_request_three_or_more",
                violation_error_message=_("A group visit is for three or more residents."),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["scheduled", "done"]) | Q(session__isnull=False),
                name="dispatch_request_scheduled_has_session",
                violation_error_message=_("A scheduled or done request needs its session."),
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "received",
                        "accepted",
                        "scheduled",
                        "done",
                        "declined",
                        "cancelled",
                    ]
                ),
                name="dispatch_request_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.group_name}"

    def save(self, *args, **kwargs):
        if not self.reference:
            self.reference = new_reference("G")
        super().save(*args, **kwargs)


class ClassRegistration(models.Model):
    """A resident's place (or place in line) in a smartphone class."""

    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        WAITLISTED = "waitlisted", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled")
        ATTENDED = "attended", _("Attended")

    SEAT_HOLDING_STATUSES = ("registered", "attended")

    reference = models.CharField(_("reference"), max_length=12, unique=True, editable=False)
    # Registrations are personal data tied to the class: a class with registrations is cancelled,
    # not deleted.
    session = models.ForeignKey(
        "helpdesk_sessions.Session",
        on_delete=models.PROTECT,
        related_name="registrations",
        verbose_name=_("class"),
    )
    name = models.CharField(_("name"), max_length=100)
    name_kana = models.CharField(_("name (kana)"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=16, validators=[validate_e164])
    language = models.CharField(
        _("language"), max_length=10, choices=language_choices, default="ja"
    )
    needs_device = models.BooleanField(_("needs a device lent"), default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REGISTERED
    )
    waitlist_position = models.PositiveIntegerField(
        _("waiting-list position"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # Seats left show on the public class list: every write marks the public pages stale.
    objects = PublicContentQuerySet.as_manager()

    class Meta:
        ordering = ["session", "status", "waitlist_position", "created_at"]
        verbose_name = _("class registration")
        verbose_name_plural = _("class registrations")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="waitlisted", waitlist_position__isnull=False)
                | (~Q(status="waitlisted") & Q(waitlist_position__isnull=True)),
                name="registration_waitlist_position_iff_waiting",
            ),
            models.UniqueConstraint(
                fields=["session", "waitlist_position"],
                condition=Q(waitlist_position__isnull=False),
                name="registration_unique_waitlist_position",
            ),
            models.UniqueConstraint(
                fields=["session", "phone"],
                condition=~Q(status="cancelled"),
                name="registration_one_per_phone",
                violation_error_message=_(
                    "This phone number is already registered for this class."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["registered", "waitlisted", "cancelled", "attended"]),
                name="registration_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.reference} · {self.session}"

    def save(self, *args, **kwargs):
        if not self.reference:
            self.reference = new_reference("C")
        super().save(*args, **kwargs)
