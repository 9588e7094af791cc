from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.fiscal import TOKYO
from config.i18n import language_choices
from notifications.quiet_hours import ASKED_FOR_PURPOSES, in_quiet_hours
from notifications.recipients import name_by_phone
from notifications.replies import NO_ACTION, action_label, keyword
from supporters.phones import format_national, validate_e164


class OutboundMessageQuerySet(models.QuerySet):
    def due(self, now=None):
        return self.filter(
            status=OutboundMessage.Status.PENDING, send_after__lte=now or timezone.now()
        )

    def sendable(self, now=None):
        """Due messages that may go out now: in quiet hours, only those the recipient asked for."""
        now = now or timezone.now()
        due = self.due(now)
        if in_quiet_hours(now):
            due = due.filter(purpose__in=ASKED_FOR_PURPOSES)
        return due

    def stuck_sending(self, now=None):
        """Claimed longer ago than the lease with no outcome recorded: their worker may be dead."""
        lease = timedelta(seconds=settings.SMS_SENDING_LEASE_SECONDS)
        # `updated_at` is the claim time: nothing else writes a message while it is sending.
        return self.filter(
            status=OutboundMessage.Status.SENDING,
            updated_at__lte=(now or timezone.now()) - lease,
        )

    def about(self, obj):
        """Messages about `obj` (a shift, a registration, a request…) or a queryset of them."""
        if isinstance(obj, models.QuerySet):
            return self.filter(
                content_type=ContentType.objects.get_for_model(obj.model),
                object_id__in=obj.values("pk"),
            )
        return self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)

    def goes_out_at(self) -> datetime | None:
        """When the first of these texts (not called off) goes or went out; None without one.

        Later than now for a text held by the quiet hours: pages say when it will go."""
        live = self.exclude(status=OutboundMessage.Status.CANCELLED)
        return live.aggregate(first=Min("send_after"))["first"]

    def cancel(self) -> int:
        """Call off those still waiting; one being sent belongs to its sender (the claim)."""
        return self.filter(status=OutboundMessage.Status.PENDING).update(
            status=OutboundMessage.Status.CANCELLED, updated_at=timezone.now()
        )

    def retryable(self):
        """Failed or unchecked messages a coordinator may queue again (as `is_retryable`)."""
        return self.filter(status__in=OutboundMessage.RETRYABLE).exclude(
            purpose=OutboundMessage.Purpose.SIGN_IN_CODE
        )

    def queued_on_dates(self, first=None, last=None):
        """Queued from `first` to `last`, both included, Tokyo dates; None is open."""
        messages = self
        if first:
            messages = messages.filter(created_at__gte=datetime.combine(first, time.min, TOKYO))
        if last:
            next_day = datetime.combine(last + timedelta(days=1), time.min, TOKYO)
            messages = messages.filter(created_at__lt=next_day)
        return messages

    def matching(self, *, status=None, purpose=None, date_from=None, date_to=None):
        """The outbox's filters (page and API): each one left out filters nothing."""
        messages = self.queued_on_dates(date_from, date_to)
        if status:
            messages = messages.filter(status=status)
        if purpose:
            messages = messages.filter(purpose=purpose)
        return messages

    def billed(self):
        """Texts the provider took, and bills for part by part; a failed text is not billed."""
        return self.filter(sent_at__isnull=False).exclude(status=OutboundMessage.Status.FAILED)

    def usage_by_month(self):
        """`month` (Tokyo), `messages` and `segments` sent, newest month first: one query."""
        return (
            self.billed()
            .annotate(month=TruncMonth("sent_at", tzinfo=TOKYO))
            .values("month")
            .annotate(messages=Count("pk"), segments=Sum("segments"))
            .order_by("-month")
        )

    def handed_over(self):
        """Messages the provider took: queued there, sent or delivered."""
        return self.filter(
            status__in=[
                OutboundMessage.Status.QUEUED,
                OutboundMessage.Status.SENT,
                OutboundMessage.Status.DELIVERED,
            ]
        )

    def with_recipient_name(self):
        """Annotate `recipient_name`: whose number it is, as an app registered (else None)."""
        return self.annotate(recipient_name=name_by_phone("to"))


class OutboundMessage(models.Model):
    """An SMS in the outbox. Written in the same transaction as the change that causes it."""

    class Purpose(models.TextChoices):
        REMINDER = "reminder", _("Reminder")
        CONFIRMATION = "confirmation", _("Confirmation")
        CANCELLATION = "cancellation", _("Cancellation")
        WAITLIST_OFFER = "waitlist_offer", _("Waiting-list offer")
        SIGN_IN_CODE = "sign_in_code", _("Sign-in code")
        BROADCAST = "broadcast", _("Broadcast")
        REPLY = "reply", _("Reply")
        INVITATION = "invitation", _("Invitation")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to send")
        SENDING = "sending", _("Sending")
        QUEUED = "queued", _("Queued at provider")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        UNDELIVERED = "undelivered", _("Undelivered")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        # The worker died or the provider's answer was lost, and the provider could not be asked
        # whether it has the text: maybe delivered, so never resent without a coordinator.
        UNKNOWN = "unknown", _("Needs checking")

    to = models.CharField(_("recipient"), max_length=16, validators=[validate_e164])
    body = models.TextField(_("text"))
    language = models.CharField(
        _("language"), max_length=10, choices=language_choices, default="ja"
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("about (type)"),
    )
    object_id = models.PositiveBigIntegerField(_("about (id)"), null=True, blank=True)
    related_object = GenericForeignKey("content_type", "object_id")
    send_after = models.DateTimeField(_("send after"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    provider_id = models.CharField(
        _("provider id"), max_length=64, null=True, blank=True, unique=True
    )
    segments = models.PositiveSmallIntegerField(_("segments"), default=1)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Provider lookups that failed while recovering this claim (settings.SMS_LOOKUP_MAX_ATTEMPTS).
    failed_lookups = models.PositiveSmallIntegerField(_("failed lookups"), default=0)
    error_code = models.CharField(_("error code"), max_length=20, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = OutboundMessageQuerySet.as_manager()

    # A coordinator may send these again: a failed text, or one nobody could tell was sent
    # (after checking the provider's console, since resending it may send it twice).
    RETRYABLE = (Status.FAILED, Status.UNKNOWN)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("outgoing SMS")
        verbose_name_plural = _("outgoing SMS")
        indexes = [
            models.Index(fields=["status", "send_after"], name="outbox_due_idx"),
            models.Index(fields=["content_type", "object_id"], name="outbox_related_idx"),
            models.Index(fields=["created_at"], name="outbox_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(segments__gte=1), name="outbox_segments_positive"),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "pending",
                        "sending",
                        "queued",
                        "sent",
                        "delivered",
                        "undelivered",
                        "failed",
                        "cancelled",
                        "unknown",
                    ]
                ),
                name="outbox_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.to} · {self.get_purpose_display()} · {self.get_status_display()}"

    @property
    def display_body(self) -> str:
        """The text as staff see it, in the admin, the outbox page and the API.

        Never a sign-in code's: it is a key to someone's account, and no one needs to read it.
        """
        if self.purpose == self.Purpose.SIGN_IN_CODE:
            return gettext("(sign-in code, not shown)")
        return self.body

    @property
    def is_retryable(self) -> bool:
        # As OutboundMessageQuerySet.retryable(). A sign-in code has expired by the time anyone
        # retries it: the person asks for a new one.
        return self.status in self.RETRYABLE and self.purpose != self.Purpose.SIGN_IN_CODE

    @property
    def to_national(self) -> str:
        return format_national(self.to)


class OptOut(models.Model):
    """A number that asked for no more messages (STOP / 停止). Only sign-in codes still go out."""

    phone = models.CharField(_("phone"), max_length=16, unique=True, validators=[validate_e164])
    source = models.CharField(_("source"), max_length=20, default="sms")
    created_at = models.DateTimeField(_("opted out at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("SMS opt-out")
        verbose_name_plural = _("SMS opt-outs")

    def __str__(self):
        return self.phone


class InboundMessageQuerySet(models.QuerySet):
    def unread_first(self):
        return self.order_by("is_read", "-received_at", "-pk")

    def with_sender_name(self):
        """Annotate `sender_name`: whose number it is, as an app registered (else None)."""
        return self.annotate(sender_name=name_by_phone("from_number"))


class InboundMessage(models.Model):
    """A text someone sent us: a STOP, an answer to a reminder, or a message for coordinators."""

    from_number = models.CharField(_("from"), max_length=16)
    to_number = models.CharField(_("to"), max_length=16, blank=True)
    body = models.TextField(_("text"))
    provider_id = models.CharField(_("provider id"), max_length=64, unique=True)
    # A code set by the reply handler that claimed the message (`notifications.replies`), e.g.
    # "opt_out" or sessions' "confirmed"; "none" waits for a person.
    action = models.CharField(_("action"), max_length=20, default=NO_ACTION)
    is_read = models.BooleanField(_("read"), default=False)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    objects = InboundMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("incoming SMS")
        verbose_name_plural = _("incoming SMS")
        indexes = [models.Index(fields=["from_number", "received_at"], name="inbound_from_idx")]

    def __str__(self):
        return f"{self.from_number}: {self.body[:30]}"

    @property
    def from_national(self) -> str:
        return format_national(self.from_number)

    @property
    def keyword(self) -> str:
        return keyword(self.body)

    @property
    def action_label(self) -> str:
        """What the app did with it, as the handler that acted on it put it."""
        return action_label(self.action)

    @cached_property
    def sender_language(self) -> str:
        """The language of the account with this number, else Japanese: replies are in it."""
        language = (
            get_user_model()
            .objects.filter(phone=self.from_number)
            .exclude(phone="")
            .values_list("language", flat=True)
            .first()
        )
        return language or "ja"
