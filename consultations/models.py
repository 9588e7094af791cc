from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from config.fiscal import FiscalYear
from config.i18n import language_choices
from config.public_pages import PublicContentQuerySet


class Device(models.TextChoices):
    IPHONE = "iphone", _("iPhone")
    ANDROID = "android", _("Android")
    RAKURAKU = "rakuraku", _("Raku-Raku Smartphone")
    TABLET = "tablet", _("Tablet")
    PC = "pc", _("PC")
    OTHER = "other", _("Other")


class AgeBand(models.TextChoices):
    # The tally on a supporter's phone offers the four bands residents are told apart by at a
    # desk (TALLY_AGE_BANDS); the finer ones are older records' and the admin's.
    UNDER_60 = "under_60", _("Under 60")
    UNDER_20 = "under_20", _("Under 20")
    AGE_20S_30S = "20s_30s", _("20s–30s")
    AGE_40S_50S = "40s_50s", _("40s–50s")
    AGE_60S = "60s", _("60s")
    AGE_70S = "70s", _("70s")
    AGE_80_PLUS = "80_plus", _("80 and over")
    UNKNOWN = "unknown", _("Not asked")


TALLY_AGE_BANDS = (AgeBand.UNDER_60, AgeBand.AGE_60S, AgeBand.AGE_70S, AgeBand.AGE_80_PLUS)


class ConsultationQuerySet(models.QuerySet):
    def counted(self):
        """The consultations the figures count: not undone."""
        return self.filter(undone_at__isnull=True)


class Topic(models.Model):
    """What a resident asked about; coordinators edit the list (seeded with the city's topics)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # Who can help with it: group visits asking for this topic suggest supporters with these.
    skills = models.ManyToManyField(
        "supporters.Skill",
        blank=True,
        related_name="topics",
        verbose_name=_("skills that help"),
        help_text=_("Supporters with these skills are suggested for visits about this topic."),
    )

    # The group-visit request form lists the topics from the public pages' cache.
    objects = PublicContentQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self):
        return self.name


class Consultation(models.Model):
    """One resident's question at a session, kept as statistics: never a name or a phone number."""

    # Consultations are the annual statistics: sessions and topics in use cannot be deleted.
    session = models.ForeignKey(
        "helpdesk_sessions.Session",
        on_delete=models.PROTECT,
        related_name="consultations",
        verbose_name=_("session"),
    )
    topic = models.ForeignKey(
        Topic, on_delete=models.PROTECT, related_name="consultations", verbose_name=_("topic")
    )
    device = models.CharField(_("device"), max_length=10, choices=Device.choices)
    age_band = models.CharField(
        _("age band"), max_length=10, choices=AgeBand.choices, default=AgeBand.UNKNOWN
    )
    language = models.CharField(
        _("language"), max_length=10, choices=language_choices, default="ja"
    )
    is_resolved = models.BooleanField(_("resolved"), default=True)
    minutes = models.PositiveSmallIntegerField(
        _("minutes"), default=15, validators=[MinValueValidator(1), MaxValueValidator(240)]
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    # The phone makes one key per tap: a double tap or a resend after a lost connection records
    # one consultation (the constraint below).
    entry_key = models.UUIDField(_("entry key"), null=True, blank=True, editable=False)
    # Undone entries stay, with who undid them and when: the figures leave them out (`counted`).
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("undone by"),
        null=True,
        blank=True,
    )

    objects = ConsultationQuerySet.as_manager()

    class Meta:
        # By the session's column, not the session ("session" orders by Session's own
        # ordering, a join for any list that does not order itself).
        ordering = ["session_id", "recorded_at", "id"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        indexes = [
            models.Index(fields=["session", "topic"], name="consultation_session_topic_idx"),
            # The annual report (issue 12): a session's counted consultations with every column
            # the breakdowns group by, read from the index alone.
            models.Index(
                fields=["session"],
                include=["topic", "device", "age_band", "language", "is_resolved", "minutes"],
                condition=Q(undone_at__isnull=True),
                name="consultation_counted_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1) & Q(minutes__lte=240),
                name="consultation_minutes_1_to_240",
                violation_error_message=_("Minutes must be between 1 and 240."),
            ),
            models.CheckConstraint(
                condition=Q(device__in=Device.values), name="consultation_device_valid"
            ),
            models.CheckConstraint(
                condition=Q(age_band__in=AgeBand.values), name="consultation_age_band_valid"
            ),
            models.UniqueConstraint(
                fields=["entry_key"],
                condition=Q(entry_key__isnull=False),
                name="consultation_entry_once",
            ),
        ]

    def __str__(self):
        return f"{self.topic} · {self.get_device_display()}"


class SessionReport(models.Model):
    """After a group visit or a class: how many residents came, and what happened."""

    session = models.OneToOneField(
        "helpdesk_sessions.Session",
        on_delete=models.PROTECT,
        related_name="report",
        verbose_name=_("session"),
    )
    participants = models.PositiveSmallIntegerField(
        _("participants who came"), validators=[MaxValueValidator(500)]
    )
    notes = models.TextField(
        _("notes"), blank=True, help_text=_("What went well, what to follow up. No names, please.")
    )
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="reports", verbose_name=_("topics covered")
    )
    devices = models.JSONField(_("devices"), default=list, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-session__starts_at"]
        verbose_name = _("session report")
        verbose_name_plural = _("session reports")
        constraints = [
            models.CheckConstraint(
                condition=Q(participants__lte=500), name="report_participants_plausible"
            ),
        ]

    def __str__(self):
        return _("Report: %(session)s") % {"session": self.session}


class TallyConfirmation(models.Model):
    """The lead (or a coordinator) confirmed a session's tally after it: the count then, who and
    when. Confirming marks the session held; a later correction confirms again."""

    session = models.OneToOneField(
        "helpdesk_sessions.Session",
        on_delete=models.PROTECT,
        related_name="tally_confirmation",
        verbose_name=_("session"),
    )
    count = models.PositiveIntegerField(_("consultations confirmed"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("confirmed by"),
        null=True,
    )
    confirmed_at = models.DateTimeField(_("confirmed at"))

    class Meta:
        verbose_name = _("tally confirmation")
        verbose_name_plural = _("tally confirmations")

    def __str__(self):
        return f"{self.session} · {self.count}"


class Feedback(models.Model):
    """A resident's answer, anonymous, to "How did it go?" after a session (issue 11): one per
    device per session, known only by a keyed hash of a random cookie, never by who they are."""

    class Answer(models.TextChoices):
        GOOD = "good", _("It went well")
        OK = "ok", _("It was all right")
        LOST = "lost", _("I did not understand")

    session = models.ForeignKey(
        "helpdesk_sessions.Session",
        on_delete=models.PROTECT,
        related_name="feedback",
        verbose_name=_("session"),
    )
    answer = models.CharField(_("answer"), max_length=10, choices=Answer.choices)
    device = models.CharField(_("device key"), max_length=64, editable=False)
    language = models.CharField(
        _("language"), max_length=10, choices=language_choices, default="ja"
    )
    created_at = models.DateTimeField(_("answered at"), auto_now_add=True)

    class Meta:
        ordering = ["session_id", "created_at"]
        verbose_name = _("resident feedback")
        verbose_name_plural = _("resident feedback")
        indexes = [models.Index(fields=["session", "answer"], name="feedback_session_answer_idx")]
        constraints = [
            models.UniqueConstraint(fields=["session", "device"], name="feedback_once_per_device"),
            models.CheckConstraint(
                condition=Q(answer__in=["good", "ok", "lost"]), name="feedback_answer_valid"
            ),
        ]

    def __str__(self):
        return f"{self.session} · {self.get_answer_display()}"


class ConsultationChange(models.Model):
    """A coordinator's correction of a recorded consultation, after the session (issue 11): who,
    when, and what changed (`changes`: `{field: {"old": ..., "new": ...}}`, the topic by id), or
    that it was removed from the figures or restored to them. Written by the services only."""

    class Kind(models.TextChoices):
        EDITED = "edited", _("edited")
        REMOVED = "removed", _("removed")
        RESTORED = "restored", _("restored")

    consultation = models.ForeignKey(
        Consultation,
        on_delete=models.PROTECT,
        related_name="changes",
        verbose_name=_("consultation"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    changes = models.JSONField(_("what changed"), default=dict, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("changed by"),
        null=True,
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        ordering = ["consultation", "changed_at", "id"]
        verbose_name = _("consultation change")
        verbose_name_plural = _("consultation changes")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["edited", "removed", "restored"]),
                name="consultation_change_kind_valid",
            ),
        ]

    def __str__(self):
        return f"{self.consultation_id} · {self.get_kind_display()}"


class PublishedReport(models.Model):
    """A fiscal year's annual report as a coordinator closed it (issue 12): the figures the city
    published are kept as they were, and the report shows any later correction beside them."""

    fiscal_year = models.PositiveSmallIntegerField(
        _("fiscal year"), unique=True, help_text=_("The year it starts in: 2024 = FY2024.")
    )
    # {"headline": {key: value}, "tables": {table key: {row key: {column key: value}}}}
    figures = models.JSONField(_("published figures"), editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    closed_at = models.DateTimeField(_("closed at"))

    class Meta:
        ordering = ["-fiscal_year"]
        verbose_name = _("published annual report")
        verbose_name_plural = _("published annual reports")

    def __str__(self):
        return str(FiscalYear(self.fiscal_year).label)
