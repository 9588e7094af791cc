import hashlib
import secrets
from datetime import date

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Permission, UserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from config.i18n import language_choices
from config.public_pages import PublicContentQuerySet
from supporters.phones import participant_key_of, validate_e164

COORDINATORS_GROUP = "coordinators"
COORDINATE_PERMISSION = "supporters.coordinate_programme"


def _holds_permission_sql(permission: str, user_id: str) -> RawSQL:
    """Whether the user holds `permission` directly or through a group (has_perm's two queries
    as one EXISTS), written out: loaded with the user on every signed-in request, where Django
    took 1.4 ms of CPU to build and compile the ORM's version of this subquery, more than the
    rest of loading the user (issue 9). `user_id`: the outer query's quoted column holding the
    user's id. The answer is the same as has_perm's (tests/test_access.py)."""
    app_label, codename = permission.split(".")
    tables = {
        "permission": Permission._meta.db_table,
        "content_type": Permission._meta.get_field("content_type").related_model._meta.db_table,
        "user_permissions": User.user_permissions.through._meta.db_table,
        "user_groups": User.groups.through._meta.db_table,
        "group_permissions": Permission.group_set.through._meta.db_table,
    }
    q = {name: f'"{table}"' for name, table in tables.items()}
    sql = (
        f"EXISTS (SELECT 1 FROM {q['permission']} p"
        f" INNER JOIN {q['content_type']} ct ON ct.id = p.content_type_id"
        " WHERE ct.app_label = %s AND p.codename = %s AND ("
        f"p.id IN (SELECT up.permission_id FROM {q['user_permissions']} up"
        f" WHERE up.user_id = {user_id})"
        f" OR p.id IN (SELECT gp.permission_id FROM {q['group_permissions']} gp"
        f" INNER JOIN {q['user_groups']} ug ON ug.group_id = gp.group_id"
        f" WHERE ug.user_id = {user_id})))"
    )
    return RawSQL(sql, (app_label, codename), output_field=models.BooleanField())


class UserQuerySet(PublicContentQuerySet):
    """Users are public content: the signed-in user is kept per version (supporters/backends.py),
    so every write to one replaces it; a sign-in writes `last_login`, which is rare enough."""

    def with_roles(self):
        """With the supporter (a join) and `holds_coordinate_permission`, so that
        `is_coordinator` and `supporter_or_none` ask nothing more (supporters/backends.py)."""
        return self.select_related("supporter").annotate(
            holds_coordinate_permission=self._holds_coordinate_permission()
        )

    def _holds_coordinate_permission(self) -> RawSQL:
        return _holds_permission_sql(COORDINATE_PERMISSION, f'"{self.model._meta.db_table}"."id"')


class RolesUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A person who signs in: supporter, coordinator or administrator.

    Email is optional and phone is the usual way in (allauth's phone login, issue 5), so both are
    unique only when given.
    """

    email = models.EmailField(_("email address"), blank=True)
    phone = models.CharField(
        _("mobile phone"), max_length=16, blank=True, validators=[validate_e164]
    )
    phone_verified = models.BooleanField(_("phone verified"), default=False)
    # The same keyed hash of the phone number a class registration keeps (issue 12): the annual
    # report counts how many of a year's class participants became supporters, without numbers.
    participant_key = models.CharField(
        _("participant key"), max_length=64, blank=True, editable=False, db_index=True
    )
    language = models.CharField(
        _("language"), max_length=10, choices=language_choices, default="ja"
    )

    objects = RolesUserManager()
    # Saved alone on every sign-in (`update_last_login`) and shown nowhere a page or the kept
    # user is read from: such a save keeps the public content version (config/public_pages.py).
    unshown_fields = frozenset({"last_login"})

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(
                fields=["phone"],
                condition=~Q(phone=""),
                name="user_phone_unique",
                violation_error_message=_("A user with that phone number already exists."),
            ),
            models.UniqueConstraint(
                models.functions.Lower("email"),
                condition=~Q(email=""),
                name="user_email_unique_ci",
                violation_error_message=_("A user with that email address already exists."),
            ),
            models.CheckConstraint(
                condition=Q(phone_verified=False) | ~Q(phone=""),
                name="user_verified_phone_exists",
            ),
        ]

    def __str__(self):
        full = self.get_full_name()
        return full or self.username

    def save(self, *args, **kwargs):
        key = participant_key_of(self.phone) if self.phone else ""
        if key != self.participant_key:
            self.participant_key = key
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "participant_key"}
        super().save(*args, **kwargs)

    @cached_property
    def is_coordinator(self) -> bool:
        """Coordinators are the `coordinators` group's permission, never a flag on the user.

        The same answer as `has_perm(COORDINATE_PERMISSION)` (active, and a superuser or holding
        the permission directly or through a group) in one query rather than has_perm's two:
        the header asks on every page, once per request (issue 9).
        """
        if not self.is_active:
            return False
        if self.is_superuser:
            return True
        held = self.__dict__.get("holds_coordinate_permission")  # loaded `with_roles()`
        if held is None:
            users = User.objects.filter(pk=self.pk)
            held = users.values_list(users._holds_coordinate_permission(), flat=True).get()
        return held

    def roles_loaded(self, holds_coordinate_permission: bool):
        """Note what a query `with_roles()` loaded with the user, so neither `is_coordinator`
        nor `supporter_or_none` asks again."""
        self.__dict__["holds_coordinate_permission"] = holds_coordinate_permission
        try:
            self.supporter  # noqa: B018 (joined: a user without one raises, with no query)
        except Supporter.DoesNotExist:
            self.__dict__["supporter_or_none"] = None
        return self

    @cached_property
    def supporter_or_none(self):
        try:
            return self.supporter
        except Supporter.DoesNotExist:
            return None


class Skill(models.Model):
    """Something a supporter can help with: iPhone, Android, LINE, マイナンバーカード, PC…"""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")

    def __str__(self):
        return self.name


class SpokenLanguage(models.Model):
    """A language a supporter can help in (BCP 47 code), matched to residents' requests."""

    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=50)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("spoken language")
        verbose_name_plural = _("spoken languages")

    def __str__(self):
        return self.name


class SupporterQuerySet(PublicContentQuerySet):
    """Supporters are public content: their names are on kept cards, and the signed-in user is
    kept with their supporter (supporters/backends.py)."""

    def active_on(self, day: date):
        """Registered, not paused and not withdrawn on `day` (the annual report's サポーター数)."""
        return self.filter(
            Q(joined_on__lte=day),
            Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=day),
            Q(paused_on__isnull=True) | Q(paused_on__gt=day),
        )

    def active(self):
        return self.filter(status=Supporter.Status.ACTIVE)


class Supporter(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Level(models.IntegerChoices):
        # The city's five-step smartphone course, 入門編 … 活用編.
        INTRODUCTION = 1, _("1 · Introduction (入門編)")
        BASICS = 2, _("2 · Basics (基礎編)")
        APPLIED = 3, _("3 · Applied (応用編)")
        ADVANCED = 4, _("4 · Advanced (発展編)")
        PRACTICAL = 5, _("5 · Practical use (活用編)")

    # A supporter's history outlives their account: deleting a user with a profile is refused.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="supporter",
        verbose_name=_("user account"),
    )
    family_name = models.CharField(_("family name"), max_length=50)
    given_name = models.CharField(_("given name"), max_length=50)
    family_name_kana = models.CharField(_("family name (kana)"), max_length=100, blank=True)
    given_name_kana = models.CharField(_("given name (kana)"), max_length=100, blank=True)
    district = models.ForeignKey(
        "venues.District",
        on_delete=models.PROTECT,
        related_name="supporters",
        verbose_name=_("district"),
        null=True,
        blank=True,
    )
    training_level = models.PositiveSmallIntegerField(
        _("training level"),
        choices=Level.choices,
        default=Level.INTRODUCTION,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    skills = models.ManyToManyField(
        Skill, blank=True, related_name="supporters", verbose_name=_("skills")
    )
    languages = models.ManyToManyField(
        SpokenLanguage, blank=True, related_name="supporters", verbose_name=_("languages spoken")
    )
    sms_opt_in = models.BooleanField(
        _("receives SMS"), default=True, help_text=_("Reminders and offers by text message.")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    joined_on = models.DateField(_("joined on"), default=timezone.localdate)
    paused_on = models.DateField(_("paused on"), null=True, blank=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    insurance_valid_until = models.DateField(
        _("volunteer insurance valid until"), null=True, blank=True
    )
    notes = models.TextField(_("coordinator's notes"), blank=True)
    # The secret in the supporter's calendar-feed URL; regenerating it revokes the old URL.
    calendar_token = models.CharField(
        _("calendar feed key"), max_length=64, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = SupporterQuerySet.as_manager()

    class Meta:
        ordering = ["family_name_kana", "given_name_kana", "family_name", "given_name"]
        verbose_name = _("supporter")
        verbose_name_plural = _("supporters")
        permissions = [("coordinate_programme", _("Can coordinate the supporter programme"))]
        indexes = [models.Index(fields=["joined_on", "withdrawn_on"], name="supporter_tenure_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(training_level__gte=1) & Q(training_level__lte=5),
                name="supporter_level_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(status="withdrawn", withdrawn_on__isnull=False)
                | (~Q(status="withdrawn") & Q(withdrawn_on__isnull=True)),
                name="supporter_withdrawn_has_date",
                violation_error_message=_(
                    "A withdrawn supporter needs a withdrawal date, and only they do."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status="paused", paused_on__isnull=False) | ~Q(status="paused"),
                name="supporter_paused_has_date",
                violation_error_message=_("A paused supporter needs the date they paused."),
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=models.F("joined_on")),
                name="supporter_withdraws_after_joining",
                violation_error_message=_(
                    "The withdrawal date must not be before the joining date."
                ),
            ),
            models.UniqueConstraint(
                fields=["calendar_token"],
                condition=~Q(calendar_token=""),
                name="supporter_calendar_token_unique",
            ),
            models.CheckConstraint(
                condition=Q(paused_on__isnull=True) | Q(paused_on__gte=models.F("joined_on")),
                name="supporter_pauses_after_joining",
                violation_error_message=_("The pause date must not be before the joining date."),
            ),
        ]

    def __str__(self):
        return f"{self.family_name} {self.given_name}"

    @property
    def full_name(self) -> str:
        return str(self)

    @property
    def phone(self) -> str:
        """The number lives on the account (it is the sign-in), not copied onto the profile."""
        return self.user.phone

    @property
    def short_name(self) -> str:
        """How rosters show a supporter to other supporters: the given name only."""
        return self.given_name

    def is_insured_on(self, day: date) -> bool:
        return self.insurance_valid_until is not None and self.insurance_valid_until >= day

    @property
    def has_lapsed_insurance(self) -> bool:
        """Not insured today (none recorded, or run out): they can take no shift (sessions'
        rule `insurance`), and the board tells them whom to call."""
        return not self.is_insured_on(timezone.localdate())


class Availability(models.Model):
    """When a supporter is usually free (weekday × morning or afternoon): optional, and used only
    to rank suggestions for group visits."""

    class Part(models.TextChoices):
        MORNING = "morning", _("Morning")
        AFTERNOON = "afternoon", _("Afternoon")

    # Monday first, as Python's `weekday()`.
    WEEKDAYS = [
        (0, _("Monday")),
        (1, _("Tuesday")),
        (2, _("Wednesday")),
        (3, _("Thursday")),
        (4, _("Friday")),
        (5, _("Saturday")),
        (6, _("Sunday")),
    ]
    # Noon splits the day: a visit starting before it is a morning one.
    NOON_HOUR = 12

    supporter = models.ForeignKey(
        Supporter,
        on_delete=models.CASCADE,
        related_name="availability",
        verbose_name=_("supporter"),
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=WEEKDAYS)
    part = models.CharField(_("part of the day"), max_length=10, choices=Part.choices)

    class Meta:
        ordering = ["supporter", "weekday", "part"]
        verbose_name = _("usual availability")
        verbose_name_plural = _("usual availability")
        constraints = [
            models.UniqueConstraint(
                fields=["supporter", "weekday", "part"], name="availability_once_per_slot"
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0) & Q(weekday__lte=6), name="availability_weekday_valid"
            ),
            models.CheckConstraint(
                condition=Q(part__in=["morning", "afternoon"]), name="availability_part_valid"
            ),
        ]

    def __str__(self):
        return f"{self.supporter} · {self.get_weekday_display()} {self.get_part_display()}"

    @classmethod
    def part_of(cls, moment) -> str:
        local = timezone.localtime(moment)
        return cls.Part.MORNING if local.hour < cls.NOON_HOUR else cls.Part.AFTERNOON


class InvitationQuerySet(models.QuerySet):
    def open(self):
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    """A coordinator's invitation to join as a supporter, sent by SMS or email with a link.

    Only the SHA-256 of the link's secret is stored, like API tokens.
    """

    family_name = models.CharField(_("family name"), max_length=50)
    given_name = models.CharField(_("given name"), max_length=50)
    phone = models.CharField(
        _("mobile phone"), max_length=16, blank=True, validators=[validate_e164]
    )
    email = models.EmailField(_("email address"), blank=True)
    training_level = models.PositiveSmallIntegerField(
        _("training level"),
        choices=Supporter.Level.choices,
        default=Supporter.Level.INTRODUCTION,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    language = models.CharField(
        _("language"), max_length=10, choices=language_choices, default="ja"
    )
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    # An emailed invitation is sent by a task after the request (issue 8: an unreachable mail
    # server once made the request fail after the invitation was saved); what became of the
    # mail is kept here for the coordinator. Texts are followed in the outbox instead.
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    email_error = models.CharField(_("email error"), max_length=200, blank=True)
    supporter = models.OneToOneField(
        Supporter,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitation",
        verbose_name=_("supporter"),
    )

    objects = InvitationQuerySet.as_manager()

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("invitation", "Open")
        ACCEPTED = "accepted", pgettext_lazy("invitation", "Accepted")
        REVOKED = "revoked", pgettext_lazy("invitation", "Revoked")
        EXPIRED = "expired", pgettext_lazy("invitation", "Expired")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.CheckConstraint(
                condition=~Q(phone="") | ~Q(email=""),
                name="invitation_has_a_way_to_reach",
                violation_error_message=_("Give a phone number or an email address."),
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(supporter__isnull=False),
                name="invitation_accepted_has_supporter",
            ),
        ]

    def __str__(self):
        return f"{self.family_name} {self.given_name}"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def generate_key() -> str:
        return secrets.token_urlsafe(24)

    @property
    def state(self) -> str:
        """Accepted, revoked, expired or still open, in that order of precedence."""
        if self.accepted_at:
            return self.State.ACCEPTED
        if self.revoked_at:
            return self.State.REVOKED
        if self.expires_at <= timezone.now():
            return self.State.EXPIRED
        return self.State.OPEN

    def get_state_display(self) -> str:
        return self.State(self.state).label


class ApiTokenQuerySet(PublicContentQuerySet):
    """Tokens are public content: a token's user is looked up per version
    (`user_for_api_token`), so a new or revoked token replaces the version."""

    def live(self):
        return self.filter(revoked_at__isnull=True)

    def revoke(self) -> int:
        """Revoke the live ones; a token revoked earlier keeps its first revocation time."""
        return self.live().update(revoked_at=timezone.now())


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the secret is shown once, at creation."""

    PREFIX = "dgs_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    hint = models.CharField(
        _("hint"),
        max_length=12,
        editable=False,
        help_text=_("The first characters, to tell tokens apart."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()
    # Written at most once a minute on use, and read by nothing kept (config/public_pages.py).
    unshown_fields = frozenset({"last_used_at"})

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.hint}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def generate_key(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
