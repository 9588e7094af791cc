from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.i18n import language_choices
from supporters.phones import validate_e164


class OutboundMessageQuerySet(models.QuerySet):
    def due(self, now=None):
        return self.filter(
            status=OutboundMessage.Status.PENDING, send_after__lte=now or timezone.now()
        )


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
    error_code = models.CharField(_("error code"), max_length=20, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = OutboundMessageQuerySet.as_manager()

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
                    ]
                ),
                name="outbox_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.to} · {self.get_purpose_display()} · {self.get_status_display()}"


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


class InboundMessage(models.Model):
    """A text someone sent us: a STOP, an answer to a reminder, or a message for coordinators."""

    class Action(models.TextChoices):
        NONE = "none", _("For coordinators to read")
        OPT_OUT = "opt_out", _("Opted out")
        OPT_IN = "opt_in", _("Opted back in")
        CONFIRMED = "confirmed", _("Confirmed a shift")
        CANCELLED = "cancelled", _("Cancelled a shift")
        ACCEPTED_OFFER = "accepted_offer", _("Took an offered place")

    from_number = models.CharField(_("from"), max_length=16)
    to_number = models.CharField(_("to"), max_length=16, blank=True)
    body = models.TextField(_("text"))
    provider_id = models.CharField(_("provider id"), max_length=64, unique=True)
    action = models.CharField(
        _("action"), max_length=20, choices=Action.choices, default=Action.NONE
    )
    is_read = models.BooleanField(_("read"), default=False)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("incoming SMS")
        verbose_name_plural = _("incoming SMS")
        indexes = [models.Index(fields=["from_number", "received_at"], name="inbound_from_idx")]

    def __str__(self):
        return f"{self.from_number}: {self.body[:30]}"
