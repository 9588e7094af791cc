"""Residents' side: group-visit requests and class registrations (personal data lives here)."""

import hashlib
import secrets
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, Count, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from config.i18n import language_choices
from config.public_pages import PublicContentQuerySet
from supporters.phones import format_national, is_landline, participant_key_of, validate_e164

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone


def new_reference(prefix: str) -> str:
    return prefix + "-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


def mask_phone(phone: str) -> str:
    """The number with all but its last four digits hidden (090-****-5678): for a page whose
    link may have been forwarded."""
    shown = format_national(phone)
    digits = sum(character.isdigit() for character in shown)
    hidden, masked = digits - 4, []
    for character in shown:
        if character.isdigit() and hidden > 0:
            character, hidden = "*", hidden - 1
        masked.append(character)
    return "".join(masked)


def new_status_token() -> str:
    return secrets.token_urlsafe(24)


# The status page shows a request to whoever holds its link, from the public pages' cache: every
# write marks the public pages stale.
class DispatchRequestQuerySet(PublicContentQuerySet):
    def pending(self):
        """Requests a coordinator still has to act on."""
        return self.filter(
            status__in=[DispatchRequest.Status.RECEIVED, DispatchRequest.Status.ACCEPTED]
        )

    def filtered(self, *, status="", district=None, channel="", month=None):
        """The requests pages' and the API's filters: `status` "open" (the default: still to
        handle, or coming), "all", or one status; a district (object or id); a channel; the
        month of the visit (`in_month`)."""
        requests = self
        status = status or "open"
        if status == "open":
            requests = requests.filter(
                status__in=[*DispatchRequest.OPEN_STATUSES, DispatchRequest.Status.SCHEDULED]
            )
        elif status != "all":
            requests = requests.filter(status=status)
        if district is not None:
            requests = requests.filter(district=district)
        if channel:
            requests = requests.filter(channel=channel)
        if month is not None:
            requests = requests.in_month(month)
        return requests

    def with_staffing(self):
        """With `staffed`: the supporters holding a place on the visit's session."""
        from sessions.models.sessions import Shift  # it imports this module

        holding = Q(session__shifts__status__in=Shift.PLACE_HOLDING_STATUSES)
        return self.annotate(staffed=Count("session__shifts", filter=holding))

    def by_urgency(self):
        """Open requests first, the longest waiting first; then visits to come by date; then the
        rest, newest first."""
        rank = Case(
            When(status__in=DispatchRequest.OPEN_STATUSES, then=Value(0)),
            When(status=DispatchRequest.Status.SCHEDULED, then=Value(1)),
            default=Value(2),
        )
        age = Case(
            When(status__in=DispatchRequest.OPEN_STATUSES, then=F("created_at")),
            default=None,
        )
        return self.order_by(
            rank,
            F("call_back_since").asc(nulls_last=True),
            age,
            "session__starts_at",
            "-created_at",
        )

    def status_counts(self) -> dict:
        """How many requests are in each status, in one query."""
        counts = dict(self.order_by().values_list("status").annotate(n=Count("pk")))
        return {status: counts.get(status, 0) for status in DispatchRequest.Status.values}

    def for_page(self):
        """With what a request's page shows, in one query for the request and its places."""
        return (
            self.select_related(
                "district", "session__venue", "session__district", "entered_by", "handled_by"
            )
            .prefetch_related("topics")
            .with_staffing()
        )

    def in_month(self, month):
        """Visits in `month` (any day of it): the visit's date, else the first date asked for."""
        first = month.replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
        tz = timezone.get_current_timezone()
        start = datetime.combine(first, time.min, tzinfo=tz)
        end = datetime.combine(after, time.min, tzinfo=tz)
        scheduled = Q(session__starts_at__gte=start, session__starts_at__lt=end)
        asked = Q(session__isnull=True, preferred_date_1__gte=first, preferred_date_1__lt=after)
        return self.filter(scheduled | asked)

    def to_purge(self, before):
        """Requests whose representative's details are due for removal: visits held (or
        requests closed) before `before`, not yet purged."""
        Status = DispatchRequest.Status
        closed = Q(status__in=[Status.DECLINED, Status.CANCELLED], updated_at__lt=before)
        visited = Q(status=Status.DONE, session__ends_at__lt=before)
        return self.filter(closed | visited, purged_at__isnull=True)


class DispatchRequest(models.Model):
    """A group of three or more residents asking for a visit (学び合い出張サポート)."""

    MIN_RESIDENTS = 3  # The city's rule for a dispatch.
    OPEN_STATUSES = ("received", "accepted")

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

    class Device(models.TextChoices):
        # The consultation records' kinds where they overlap (the report counts them alike).
        IPHONE = "iphone", _("iPhone")
        ANDROID = "android", _("Android")
        RAKURAKU = "rakuraku", _("Raku-Raku Smartphone")
        TABLET = "tablet", _("Tablet")
        NONE = "none", _("No smartphone yet")

    class Wifi(models.TextChoices):
        YES = "yes", _("Yes")
        NO = "no", _("No")
        UNKNOWN = "unknown", _("Don't know")

    reference = models.CharField(_("reference"), max_length=12, unique=True, editable=False)
    # The secret in the status page's link texted to the representative (no login).
    status_token = models.CharField(
        _("status link key"), max_length=64, unique=True, editable=False, default=new_status_token
    )
    # What the request says, hashed: a second submission of the same request while the first
    # is still waiting (a double tap, a reload) is the first one (see the constraint).
    fingerprint = models.CharField(_("fingerprint"), max_length=64, blank=True, editable=False)
    group_name = models.CharField(_("group name"), max_length=100, blank=True)
    representative_name = models.CharField(_("representative's name"), max_length=100, blank=True)
    representative_kana = models.CharField(
        _("representative's name (kana)"), max_length=200, blank=True
    )
    representative_phone = models.CharField(
        _("representative's phone"), max_length=16, blank=True, validators=[validate_e164]
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
    place_name = models.CharField(_("place"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
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
        help_text=_("Device kinds (`Device`)."),
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
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        help_text=_("The coordinator who took the request by phone or on paper."),
    )
    coordinator_notes = models.TextField(_("coordinator's notes"), blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=200, blank=True)
    # A landline takes no texts: what a text would have said waits here for a coordinator to
    # phone the representative, until they mark it done.
    call_back = models.CharField(_("to tell by phone"), max_length=300, blank=True)
    call_back_since = models.DateTimeField(_("call back since"), null=True, blank=True)
    purged_at = models.DateTimeField(_("personal data removed at"), null=True, blank=True)
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
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=Q(status="received") & ~Q(fingerprint=""),
                name="dispatch_request_once_while_waiting",
            ),
            models.CheckConstraint(
                condition=Q(purged_at__isnull=False)
                | (~Q(representative_phone="") & ~Q(representative_name="")),
                name="dispatch_request_has_contact",
                violation_error_message=_("Give the representative's name and phone number."),
            ),
            models.CheckConstraint(
                condition=Q(call_back="") | Q(call_back_since__isnull=False),
                name="dispatch_request_call_back_dated",
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

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.RECEIVED, self.Status.ACCEPTED)

    @property
    def days_waiting(self) -> int | None:
        """Days since it arrived, while it waits for a coordinator ("9日待ち")."""
        if not self.is_open:
            return None
        return (timezone.localdate() - timezone.localdate(self.created_at)).days

    def get_devices_display(self) -> list:
        labels = dict(self.Device.choices)
        return [labels.get(device, device) for device in self.devices]

    @property
    def takes_texts(self) -> bool:
        """A mobile number: the representative is texted; a landline is phoned instead."""
        return bool(self.representative_phone) and not is_landline(self.representative_phone)

    @property
    def is_purged(self) -> bool:
        return self.purged_at is not None

    @property
    def is_cancellable(self) -> bool:
        """The group may still call it off (`cancel_request`): open, or scheduled and not yet
        started."""
        if self.status == self.Status.SCHEDULED:
            return not self.session.has_started
        return self.is_open

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.representative_phone)

    @property
    def preferred_dates(self) -> list:
        return [
            day
            for day in (self.preferred_date_1, self.preferred_date_2, self.preferred_date_3)
            if day is not None
        ]

    def suggested_supporters(self) -> int:
        """One supporter per four residents, at least two (the city's rule of thumb)."""
        return max(2, -(-self.residents_count // 4))

    @staticmethod
    def fingerprint_of(phone: str, group_name: str, dates, place_name: str) -> str:
        text = "|".join([phone, group_name.strip(), *map(str, dates), place_name.strip()])
        return hashlib.sha256(text.encode()).hexdigest()


class RequestEvent(models.Model):
    """One step in a request's life: who did what, when (received, accepted, asked back,
    scheduled, declined, cancelled, done, called back, a reply from the representative)."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("Received")
        ACCEPTED = "accepted", _("Accepted")
        ASKED = "asked", _("Asked the group")
        SCHEDULED = "scheduled", _("Scheduled")
        RESCHEDULED = "rescheduled", _("Moved")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")
        DONE = "done", _("Report filed")
        CALLED = "called", _("Called back")
        INVITED = "invited", _("Supporters invited")
        STAFFED = "staffed", _("Fully staffed")
        REPLY = "reply", _("Text from the representative")
        PURGED = "purged", _("Personal data removed")

    request = models.ForeignKey(
        DispatchRequest,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("request"),
    )
    kind = models.CharField(_("what"), max_length=12, choices=Kind.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
        null=True,
        blank=True,
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("request event")
        verbose_name_plural = _("request events")

    def __str__(self):
        return f"{self.request.reference} {self.get_kind_display()}"


class ContactAccess(models.Model):
    """Someone saw a representative's contact details (privacy: every view is recorded)."""

    request = models.ForeignKey(
        DispatchRequest,
        on_delete=models.CASCADE,
        related_name="contact_accesses",
        verbose_name=_("request"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("user"),
        null=True,
    )
    where = models.CharField(_("where"), max_length=20)
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("view of contact details")
        verbose_name_plural = _("views of contact details")

    def __str__(self):
        return f"{self.request.reference} · {self.user} · {self.at:%Y-%m-%dT%H:%M}"


class DispatchInvitation(models.Model):
    """A supporter asked by text to staff a group visit; the first to answer fill the places."""

    class Outcome(models.TextChoices):
        OPEN = "open", pgettext_lazy("invitation", "Open")
        TAKEN = "taken", _("Took a place")
        FILLED = "filled", _("Places filled first")
        DECLINED = "declined", pgettext_lazy("invitation", "Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    session = models.ForeignKey(
        "helpdesk_sessions.Session",
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("session"),
    )
    supporter = models.ForeignKey(
        "supporters.Supporter",
        on_delete=models.CASCADE,
        related_name="dispatch_invitations",
        verbose_name=_("supporter"),
    )
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.OPEN
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("invited by"),
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("invited at"), auto_now_add=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("visit invitation")
        verbose_name_plural = _("visit invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "supporter"], name="dispatch_invitation_once_per_supporter"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["open", "taken", "filled", "declined", "withdrawn"]),
                name="dispatch_invitation_outcome_valid",
            ),
        ]

    def __str__(self):
        return f"{self.supporter} · {self.session}"

    @property
    def is_open(self) -> bool:
        return self.outcome == self.Outcome.OPEN


# Seats left show on the public class list: every write marks the public pages stale.
class ClassRegistrationQuerySet(PublicContentQuerySet):
    def taking_part(self):
        """Holding a seat, offered one, or waiting: what a phone may have once per class."""
        return self.filter(status__in=ClassRegistration.TAKING_PART)

    def waiting(self):
        """The waiting list, first in line first."""
        return self.filter(status=ClassRegistration.Status.WAITLISTED).order_by(
            "waitlist_position", "pk"
        )

    def open_offers(self, now=None):
        """Seats offered by text whose answer is still awaited."""
        return self.filter(
            status=ClassRegistration.Status.OFFERED, offer_expires_at__gt=now or timezone.now()
        )

    def expired_offers(self, now=None):
        """Seats offered by text and not taken in time: to pass to the next in line."""
        return self.filter(
            status=ClassRegistration.Status.OFFERED, offer_expires_at__lte=now or timezone.now()
        )

    def to_call(self):
        """Registrants with a landline a coordinator has to phone (a seat opened for them),
        the longest waiting first."""
        return self.filter(call_back_since__isnull=False, purged_at__isnull=True).order_by(
            "call_back_since", "pk"
        )

    def to_purge(self, before):
        """Registrations for classes that ended before `before`, their personal data still kept."""
        return self.filter(session__ends_at__lt=before, purged_at__isnull=True)


class ClassRegistration(models.Model):
    """A resident's place (or place in line) in a smartphone class."""

    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        # A seat freed for the first in line, held for them until they answer (a text's link or
        # reply, or a coordinator's call to a landline).
        OFFERED = "offered", _("Offered a seat")
        WAITLISTED = "waitlisted", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled")
        ATTENDED = "attended", _("Attended")

    SEAT_HOLDING_STATUSES = ("registered", "offered", "attended")
    TAKING_PART = ("registered", "offered", "waitlisted")

    reference = models.CharField(_("reference"), max_length=12, unique=True, editable=False)
    # The secret in the status page's link texted to the registrant (no login). Registrations
    # entered before the residents' journey (issue 11) have none: NULL, which stays unique.
    status_token = models.CharField(  # noqa: DJ001
        _("status link key"),
        max_length=64,
        unique=True,
        null=True,
        editable=False,
        default=new_status_token,
    )
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
    # Kept when the personal data goes: the statistics count distinct people (実人員) with it.
    participant_key = models.CharField(
        _("participant key"), max_length=64, blank=True, editable=False, db_index=True
    )
    language = models.CharField(
        _("language"), max_length=10, choices=language_choices, default="ja"
    )
    # The one record of it: "brings their own phone" (`own_phone`, the form's and the API's
    # question) is its opposite.
    needs_device = models.BooleanField(_("needs a device lent"), default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REGISTERED
    )
    waitlist_position = models.PositiveIntegerField(
        _("waiting-list position"), null=True, blank=True
    )
    # Kept once the offer is answered or lapsed: the status page and the roster say so.
    offer_expires_at = models.DateTimeField(_("offer open until"), null=True, blank=True)
    # A landline takes no texts: a seat offered to it waits for a coordinator's call.
    call_back_since = models.DateTimeField(_("call back since"), null=True, blank=True)
    called_back_at = models.DateTimeField(_("called back at"), null=True, blank=True)
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        help_text=_("The coordinator who took the registration by phone."),
    )
    purged_at = models.DateTimeField(_("personal data removed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ClassRegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["session", "status", "waitlist_position", "created_at"]
        verbose_name = _("class registration")
        verbose_name_plural = _("class registrations")
        indexes = [
            # The annual report's attendances and distinct people (issue 12).
            models.Index(
                fields=["session", "status"],
                include=["participant_key"],
                name="registration_status_idx",
            ),
        ]
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
            # Purged rows have no phone left to compare.
            models.UniqueConstraint(
                fields=["session", "phone"],
                condition=~Q(status="cancelled") & Q(purged_at__isnull=True),
                name="registration_one_per_phone",
                violation_error_message=_(
                    "This phone number is already registered for this class."
                ),
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["registered", "offered", "waitlisted", "cancelled", "attended"]
                ),
                name="registration_status_valid",
            ),
            # An offer is answered by a deadline (a text) or waits for a coordinator's call.
            models.CheckConstraint(
                condition=~Q(status="offered")
                | Q(offer_expires_at__isnull=False)
                | Q(call_back_since__isnull=False),
                name="registration_offer_has_deadline_or_call",
            ),
            models.CheckConstraint(
                condition=Q(purged_at__isnull=False) | (~Q(phone="") & ~Q(name="")),
                name="registration_has_contact",
                violation_error_message=_("Give the registrant's name and phone number."),
            ),
        ]

    def __str__(self):
        return f"{self.reference} · {self.session}"

    def save(self, *args, **kwargs):
        if not self.reference:
            self.reference = new_reference("C")
        if self.phone and not self.participant_key:
            self.participant_key = participant_key_of(self.phone)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "participant_key"}
        super().save(*args, **kwargs)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def own_phone(self) -> bool:
        """Brings their own smartphone (else needs one lent)."""
        return not self.needs_device

    @property
    def takes_texts(self) -> bool:
        """A mobile number: the registrant is texted; a landline is phoned instead."""
        return bool(self.phone) and not is_landline(self.phone)

    @property
    def is_purged(self) -> bool:
        return self.purged_at is not None

    @property
    def is_taking_part(self) -> bool:
        return self.status in self.TAKING_PART

    @property
    def is_cancellable(self) -> bool:
        """The resident may still give up their seat or place in line: before the class."""
        session = self.session
        return self.is_taking_part and not session.is_cancelled and not session.has_started

    @property
    def is_offer_open(self) -> bool:
        """A seat offered by text, still to be taken."""
        return (
            self.status == self.Status.OFFERED
            and self.offer_expires_at is not None
            and self.offer_expires_at > timezone.now()
        )

    @property
    def offer_lapsed(self) -> bool:
        """A seat offered and not taken in time (the registration was then cancelled)."""
        return self.status == self.Status.CANCELLED and self.offer_expires_at is not None

    def place_in_line(self) -> int | None:
        """The place in line, from 1, while waiting (positions keep gaps where people left)."""
        if self.status != self.Status.WAITLISTED:
            return None
        ahead = ClassRegistration.objects.filter(
            session_id=self.session_id,
            status=self.Status.WAITLISTED,
            waitlist_position__lt=self.waitlist_position,
        )
        return ahead.count() + 1
