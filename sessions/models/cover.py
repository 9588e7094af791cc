"""Cover requests (issue 13): a supporter who cannot make a shift asks for someone to take it.

The shift stays theirs until a supporter asked by text takes it (`sessions.services.cover`).
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from config.public_pages import PublicContentQuerySet


def new_cover_token() -> str:
    # Short: it is in a text; 16 characters of URL-safe base64 are 96 bits.
    return secrets.token_urlsafe(12)


# My shifts and the roster show a shift's open request, from kept pages: writes mark them stale.
class CoverRequestQuerySet(PublicContentQuerySet):
    def open(self):
        return self.filter(status=CoverRequest.Status.OPEN)

    def due(self, now=None):
        """Open requests whose deadline has passed: nobody took the shift in time."""
        return self.open().filter(deadline__lte=now or timezone.now())

    def for_list(self):
        """With what a list row shows, in one query: the shift, its session's place and its
        supporter; `asked` and `declined` counted per row."""
        offers = CoverOffer.objects.filter(request=models.OuterRef("pk")).order_by()
        counted = offers.values("request").annotate(n=models.Count("pk")).values("n")
        declined = (
            offers.filter(outcome=CoverOffer.Outcome.DECLINED)
            .values("request")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        return self.select_related(
            "shift__session__venue", "shift__session__district", "shift__supporter"
        ).annotate(
            asked=models.functions.Coalesce(models.Subquery(counted), 0),
            declined=models.functions.Coalesce(models.Subquery(declined), 0),
        )


class CoverRequest(models.Model):
    """A supporter's "I need cover" for one of their shifts."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("cover request", "Looking for cover")
        TAKEN = "taken", pgettext_lazy("cover request", "Covered")
        CANCELLED = "cancelled", pgettext_lazy("cover request", "Called off")
        EXPIRED = "expired", pgettext_lazy("cover request", "Nobody found in time")

    shift = models.ForeignKey(
        "helpdesk_sessions.Shift",
        on_delete=models.PROTECT,
        related_name="cover_requests",
        verbose_name=_("shift"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    deadline = models.DateTimeField(
        _("deadline"), help_text=_("Nobody found by then: the coordinators are told.")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
        null=True,
        blank=True,
    )
    taken_by = models.ForeignKey(
        "supporters.Supporter",
        on_delete=models.PROTECT,
        related_name="covers_taken",
        verbose_name=_("taken by"),
        null=True,
        blank=True,
    )
    # The taker's own shift: the requester's is cancelled, so calendars and reminders follow
    # each supporter's shift rather than a shift changing hands.
    taken_shift = models.ForeignKey(
        "helpdesk_sessions.Shift",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("shift of the supporter covering"),
        null=True,
        blank=True,
    )
    last_round_at = models.DateTimeField(_("last asked"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    objects = CoverRequestQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "pk"]
        verbose_name = _("cover request")
        verbose_name_plural = _("cover requests")
        indexes = [models.Index(fields=["status", "deadline"], name="cover_status_deadline_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["shift"],
                condition=Q(status="open"),
                name="cover_request_one_open_per_shift",
                violation_error_message=_("This shift already has an open cover request."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "taken", "cancelled", "expired"]),
                name="cover_request_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="taken", taken_by__isnull=False, taken_shift__isnull=False)
                | (~Q(status="taken") & Q(taken_by__isnull=True, taken_shift__isnull=True)),
                name="cover_request_taken_iff_taker",
            ),
            models.CheckConstraint(
                condition=Q(status="open", resolved_at__isnull=True)
                | (~Q(status="open") & Q(resolved_at__isnull=False)),
                name="cover_request_resolved_iff_closed",
            ),
        ]

    def __str__(self):
        return f"{self.shift} · {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class CoverOffer(models.Model):
    """One supporter asked by text to take a shift a cover request is for."""

    class Outcome(models.TextChoices):
        OPEN = "open", pgettext_lazy("cover offer", "Asked")
        TAKEN = "taken", pgettext_lazy("cover offer", "Took the shift")
        DECLINED = "declined", pgettext_lazy("cover offer", "Cannot")
        FILLED = "filled", pgettext_lazy("cover offer", "Taken by another")
        WITHDRAWN = "withdrawn", pgettext_lazy("cover offer", "Withdrawn")

    request = models.ForeignKey(
        CoverRequest, on_delete=models.CASCADE, related_name="offers", verbose_name=_("request")
    )
    supporter = models.ForeignKey(
        "supporters.Supporter",
        on_delete=models.CASCADE,
        related_name="cover_offers",
        verbose_name=_("supporter"),
    )
    # The offer's page, linked from its text: the link is the proof, as a reply from the
    # supporter's phone is.
    token = models.CharField(_("link key"), max_length=32, unique=True, default=new_cover_token)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.OPEN
    )
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    objects = PublicContentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("cover offer")
        verbose_name_plural = _("cover offers")
        constraints = [
            models.UniqueConstraint(
                fields=["request", "supporter"], name="cover_offer_once_per_supporter"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["open", "taken", "declined", "filled", "withdrawn"]),
                name="cover_offer_outcome_valid",
            ),
        ]

    def __str__(self):
        return f"{self.supporter} · {self.request}"

    @property
    def is_open(self) -> bool:
        return self.outcome == self.Outcome.OPEN
