"""Sessions (help desk, group visit, class) and supporters' shifts on them."""

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear, TruncDate
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from config.fiscal import TOKYO, FiscalYear
from config.i18n import language_choices
from config.public_pages import PublicContentQuerySet
from sessions.models.requests import ClassRegistration


def took_place(prefix: str = "", now=None) -> Q:
    """The one definition of a session that took place, as a condition on `prefix` (e.g.
    "session__" from shifts); see `SessionQuerySet.took_place`."""
    now = now or timezone.now()
    return Q(**{f"{prefix}status": Session.Status.HELD}) | Q(
        **{f"{prefix}status": Session.Status.SCHEDULED, f"{prefix}ends_at__lt": now}
    )


def _count_per_session(rows):
    """How many of `rows` (shifts, registrations) belong to each session, as a correlated
    subquery rather than a join with GROUP BY: a page's COUNT(*) then drops it, and the list's
    query groups nothing (issue 9)."""
    counted = (
        rows.filter(session=OuterRef("pk"))
        .order_by()
        .values("session")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted), 0)


class SessionQuerySet(PublicContentQuerySet):
    def upcoming(self):
        return self.filter(ends_at__gte=timezone.now()).exclude(status=Session.Status.CANCELLED)

    def between(self, start, end):
        """Sessions starting in the half-open range [start, end)."""
        return self.filter(starts_at__gte=start, starts_at__lt=end)

    def on_day(self, day: date):
        """Sessions starting on `day`, Tokyo time."""
        start = datetime.combine(day, time.min, tzinfo=TOKYO)
        return self.between(start, start + timedelta(days=1))

    def on_dates(self, first: date | None = None, last: date | None = None):
        """Sessions starting from `first` to `last`, both included, Tokyo dates; None is open."""
        sessions = self
        if first:
            sessions = sessions.filter(starts_at__gte=datetime.combine(first, time.min, TOKYO))
        if last:
            next_day = datetime.combine(last + timedelta(days=1), time.min, TOKYO)
            sessions = sessions.filter(starts_at__lt=next_day)
        return sessions

    def not_ended(self):
        """Not over yet, whatever the status (`upcoming()` also leaves out cancelled ones)."""
        return self.filter(ends_at__gte=timezone.now())

    def in_district(self, code: str):
        """In the district with `code`: the session's own district, else its venue's."""
        return self.filter(
            Q(district__code=code) | Q(district__isnull=True, venue__district__code=code)
        )

    def in_fiscal_year(self, fiscal_year: FiscalYear):
        return self.between(fiscal_year.starts_at, fiscal_year.ends_before)

    def of_kind(self, kind):
        return self.filter(kind=kind)

    def at(self, venue):
        return self.filter(venue=venue)

    def took_place(self, now=None):
        """Sessions that took place: what the annual figures count and supporters' hours sum.

        Marked held (`mark_held`), or still scheduled after they ended: calling a session off is
        the act that texts everyone, so it is never skipped, while marking one held is easily
        forgotten and must not drop it from the statistics.
        """
        return self.filter(took_place(now=now))

    def next_helpdesk_dates(self, within: timedelta | None = None):
        """Help-desk sittings not over yet, soonest first, `within` from now when given.

        Cancelled ones stay in until their day has passed, so residents see 中止 rather than a
        date that silently vanished (issue 8); the home page and the venues API both list these.
        """
        start_of_today = datetime.combine(
            timezone.localdate(), time.min, tzinfo=timezone.get_current_timezone()
        )
        called_off_today = Q(status=Session.Status.CANCELLED, starts_at__gte=start_of_today)
        sessions = self.of_kind(Session.Kind.HELPDESK).filter(
            Q(ends_at__gte=timezone.now()) | called_off_today
        )
        if within is not None:
            sessions = sessions.filter(starts_at__lt=timezone.now() + within)
        return sessions.order_by("starts_at", "id")

    def scheduled(self):
        return self.filter(status=Session.Status.SCHEDULED)

    def with_staffing(self):
        """Annotate `staffed` (supporters holding a place) so lists need no query per row."""
        return self.annotate(staffed=_count_per_session(Shift.objects.holding_place()))

    def with_seats_taken(self):
        taken = ClassRegistration.objects.filter(status__in=ClassRegistration.SEAT_HOLDING_STATUSES)
        return self.annotate(seats_taken=_count_per_session(taken))

    def for_class_desk_row(self):
        """What the class desk shows of a class (issue 11): `seats_taken`, `waiting` and
        `attended` counted per row in the one query, with its venue and series."""
        attended = ClassRegistration.objects.filter(status=ClassRegistration.Status.ATTENDED)
        return (
            self.with_seats_taken()
            .with_waiting()
            .select_related("venue", "series")
            .annotate(attended=_count_per_session(attended))
        )

    def for_class_desk(self, *, month: date | None = None, organiser: str = ""):
        """The coordinators' class desk: classes of `month` (else from 60 days back on),
        soonest first, each with `for_class_desk_row()`."""
        classes = self.of_kind(Session.Kind.CLASS).for_class_desk_row()
        if month:
            following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
            classes = classes.on_dates(month, following - timedelta(days=1))
        else:
            classes = classes.on_dates(timezone.localdate() - timedelta(days=60))
        if organiser:
            classes = classes.filter(organiser=organiser)
        return classes.order_by("starts_at", "id")

    def with_waiting(self):
        """Annotate `waiting`: residents on a class's waiting list (issue 11)."""
        waiting = ClassRegistration.objects.filter(status=ClassRegistration.Status.WAITLISTED)
        return self.annotate(waiting=_count_per_session(waiting))

    def class_list(self):
        """Classes still to come, with what the public list shows, in one query: seats taken,
        the waiting list's length, the venue and the series (issue 11)."""
        return (
            self.of_kind(Session.Kind.CLASS)
            .scheduled()
            .upcoming()
            .with_seats_taken()
            .with_waiting()
            .select_related("venue", "series")
            .order_by("starts_at", "pk")
        )

    def open_for_shifts(self):
        """Scheduled, not started yet and taking supporters: what the shift board lists."""
        return self.filter(
            status=Session.Status.SCHEDULED, starts_at__gt=timezone.now(), supporters_needed__gt=0
        )

    def needing(self, supporter=None):
        """With a place open; given a supporter, one they could take (their level, and they
        are not on the session already): the board's "only where I'm needed"."""
        holding = _count_per_session(Shift.objects.holding_place())
        sessions = self.filter(supporters_needed__gt=holding)
        if supporter is None:
            return sessions
        theirs = Shift.objects.active().filter(session=OuterRef("pk"), supporter=supporter)
        return sessions.filter(min_level__lte=supporter.training_level).exclude(Exists(theirs))

    def board(self, supporter=None, **filters):
        """The shift board's list with its filters (those of `on_board`), as model objects with
        what a card shows, for the page."""
        return self.on_board(supporter, **filters).for_board(supporter).order_by("starts_at", "id")

    def on_board(
        self,
        supporter=None,
        *,
        kind="",
        venue=None,
        district="",
        first=None,
        last=None,
        needed=False,
    ):
        """The sessions the shift board lists with its filters, with nothing of a card and in
        no order: `board()` adds those to model objects, `GET /api/board` reads columns with
        `values()` (issue 9)."""
        sessions = self.open_for_shifts().on_dates(first, last)
        if kind:
            sessions = sessions.of_kind(kind)
        if venue:
            sessions = sessions.at(venue)
        if district:
            sessions = sessions.in_district(district)
        if needed:
            sessions = sessions.needing(supporter)
        return sessions

    def for_board(self, supporter=None):
        """What a shift-board card shows, in two queries whatever the number of sessions:
        `staffed`, `day` (Tokyo), `active_shifts` with their supporters, and `viewer_shift_id`."""
        theirs = Shift.objects.active().filter(session=OuterRef("pk"), supporter=supporter)
        active_shifts = (
            Shift.objects.active()
            .select_related("supporter")
            .order_by("waitlist_position", "created_at", "pk")
        )
        return (
            self.with_staffing()
            .select_related("venue__district", "district")
            .annotate(
                day=TruncDate("starts_at"),
                viewer_shift_id=Subquery(theirs.values("pk")[:1])
                if supporter
                else Value(None, output_field=models.BigIntegerField()),
            )
            .prefetch_related(Prefetch("shifts", queryset=active_shifts, to_attr="active_shifts"))
        )


def prefetch_next_helpdesk_dates(count: int, within: timedelta | None = None) -> Prefetch:
    """For `Venue.objects.prefetch_related(...)`: each venue's next `count` help-desk sittings
    (see `next_helpdesk_dates()`) as `venue.next_sessions`, in one query for all venues."""
    sessions = Session.objects.next_helpdesk_dates(within)[:count]
    return Prefetch("sessions", queryset=sessions, to_attr="next_sessions")


class ClassSeries(models.Model):
    """Classes that belong together, e.g. the five-level course or a monthly LINE class: a
    resident may register for one date or for every date of the series still to come."""

    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    # The public class list shows each class's series: every write marks those pages stale.
    objects = PublicContentQuerySet.as_manager()

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = pgettext_lazy("lesson", "class series")
        verbose_name_plural = pgettext_lazy("lesson", "class series")

    def __str__(self):
        return self.title


class Session(models.Model):
    """One scheduled activity: a help-desk sitting, a group dispatch or a smartphone class."""

    class Kind(models.TextChoices):
        HELPDESK = "helpdesk", _("Help desk")
        DISPATCH = "dispatch", _("Group visit")
        CLASS = "class", pgettext_lazy("lesson", "Smartphone class")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        # A session called off is 中止 in Japanese, not キャンセル as a shift or a text is.
        CANCELLED = "cancelled", pgettext_lazy("session status", "Cancelled")
        HELD = "held", _("Held")

    class Level(models.IntegerChoices):
        """The city's five-level smartphone course (FY2021), from first steps to everyday use."""

        INTRODUCTION = 1, pgettext_lazy("class level", "Level 1: first steps (入門編)")
        BASICS = 2, pgettext_lazy("class level", "Level 2: basics (基礎編)")
        APPS = 3, pgettext_lazy("class level", "Level 3: apps and messages (応用編)")
        ONLINE = 4, pgettext_lazy("class level", "Level 4: online services (実践編)")
        PRACTICAL = 5, pgettext_lazy("class level", "Level 5: practical use (活用編)")

    class Organiser(models.TextChoices):
        CITY = "city", pgettext_lazy("class organiser", "Maebashi City")
        KOMINKAN = "kominkan", pgettext_lazy("class organiser", "A community hall (公民館)")
        COMPANY = "company", pgettext_lazy("class organiser", "A carrier or company")
        NATIONAL = "national", pgettext_lazy("class organiser", "The national programme")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, db_index=True)
    title = models.CharField(
        _("title"),
        max_length=100,
        blank=True,
        help_text=_("For classes, e.g. “LINE for beginners”."),
    )
    description = models.TextField(_("description"), blank=True)
    # Sessions are the programme's record: a venue with sessions cannot be deleted, only retired.
    venue = models.ForeignKey(
        "venues.Venue",
        on_delete=models.PROTECT,
        related_name="sessions",
        verbose_name=_("venue"),
        null=True,
        blank=True,
    )
    place_name = models.CharField(
        _("place"),
        max_length=100,
        blank=True,
        help_text=_("Where a group visit happens when it is not at a venue."),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    district = models.ForeignKey(
        "venues.District",
        on_delete=models.PROTECT,
        related_name="sessions",
        verbose_name=_("district"),
        null=True,
        blank=True,
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    supporters_needed = models.PositiveSmallIntegerField(_("supporters needed"), default=2)
    capacity = models.PositiveSmallIntegerField(
        _("participant places"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Classes only: how many residents can register."),
    )
    loaner_devices = models.BooleanField(
        _("devices lent"),
        default=False,
        help_text=_("Classes for residents without a smartphone: a carrier lends devices."),
    )
    min_level = models.PositiveSmallIntegerField(
        _("minimum training level"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    class_level = models.PositiveSmallIntegerField(
        pgettext_lazy("lesson", "class level"),
        choices=Level.choices,
        null=True,
        blank=True,
        help_text=_("Classes only: the course level, 1 (first steps) to 5 (practical use)."),
    )
    organiser = models.CharField(
        pgettext_lazy("lesson", "organiser"),
        max_length=10,
        choices=Organiser.choices,
        blank=True,
        help_text=_("Classes only: who runs the class."),
    )
    series = models.ForeignKey(
        ClassSeries,
        on_delete=models.PROTECT,
        related_name="classes",
        verbose_name=pgettext_lazy("lesson", "class series"),
        null=True,
        blank=True,
    )
    language = models.CharField(
        _("language"), max_length=10, choices=language_choices, default="ja"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    cancellation_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    schedule = models.ForeignKey(
        "venues.HelpdeskSchedule",
        on_delete=models.SET_NULL,
        related_name="sessions",
        verbose_name=_("recurring schedule"),
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = pgettext_lazy("help desk sitting", "session")
        verbose_name_plural = pgettext_lazy("help desk sitting", "sessions")
        indexes = [
            models.Index(fields=["starts_at"], name="session_starts_idx"),
            models.Index(fields=["kind", "status", "starts_at"], name="session_kind_status_idx"),
            # The annual report (issue 12): a fiscal year's sessions of a kind, with what
            # `took_place` and the breakdowns read, from the index alone.
            models.Index(
                fields=["kind", "starts_at"],
                include=[
                    "id",
                    "status",
                    "ends_at",
                    "venue",
                    "district",
                    "capacity",
                    "class_level",
                    "organiser",
                    "loaner_devices",
                ],
                name="session_kind_starts_idx",
            ),
            models.Index(
                fields=["starts_at"],
                include=["id", "kind", "status", "ends_at"],
                name="session_took_place_idx",
            ),
            models.Index(fields=["venue", "starts_at"], name="session_venue_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="session_ends_after_start",
                violation_error_message=_("A session must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(venue__isnull=False) | ~Q(address=""),
                name="session_has_a_place",
                violation_error_message=_("Give a venue or an address."),
            ),
            models.CheckConstraint(
                condition=~Q(kind="class") | (Q(capacity__isnull=False) & Q(capacity__gte=1)),
                name="session_class_has_capacity",
                violation_error_message=_("A class needs a number of participant places."),
            ),
            models.CheckConstraint(
                condition=Q(min_level__gte=1) & Q(min_level__lte=5), name="session_level_1_to_5"
            ),
            models.CheckConstraint(
                condition=Q(class_level__isnull=True)
                | (Q(class_level__gte=1) & Q(class_level__lte=5)),
                name="session_class_level_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(organiser__in=["", "city", "kominkan", "company", "national"]),
                name="session_organiser_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind="class") | (Q(series__isnull=True) & Q(class_level__isnull=True)),
                name="session_series_and_level_for_classes",
                violation_error_message=_("Only a class has a course level or a series."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["helpdesk", "dispatch", "class"]), name="session_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "cancelled", "held"]),
                name="session_status_valid",
            ),
            models.UniqueConstraint(
                fields=["schedule", "starts_at"],
                condition=Q(schedule__isnull=False),
                name="session_once_per_schedule_slot",
            ),
        ]

    def __str__(self):
        local = timezone.localtime(self.starts_at)
        # Django's own format names: the admin's history writes this with no language active.
        when = date_format(local, "SHORT_DATETIME_FORMAT")
        return f"{self.get_kind_display()} · {self.place_label} · {when}"

    def clean(self):
        super().clean()
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("A session must end after it starts.")})
        if self.kind == self.Kind.CLASS and not self.capacity:
            raise ValidationError({"capacity": _("A class needs a number of participant places.")})
        if not self.venue_id and not self.address:
            raise ValidationError({"address": _("Give a venue or an address.")})

    @property
    def place_label(self) -> str:
        if self.venue_id:
            return self.venue.name
        return self.place_name or self.address

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def fiscal_year(self) -> FiscalYear:
        return FiscalYear.of(timezone.localdate(self.starts_at))

    @property
    def district_shown(self):
        """The session's own district, else its venue's."""
        return self.district or (self.venue.district if self.venue_id else None)

    def _active_shifts(self) -> list:
        # Prefetched by `for_board()`; a query otherwise.
        if not hasattr(self, "active_shifts"):
            self.active_shifts = list(
                self.shifts.active()
                .select_related("supporter")
                .order_by("waitlist_position", "created_at", "pk")
            )
        return self.active_shifts

    @property
    def team(self) -> list:
        """The shifts on the team (see `Shift.is_on_team`), leads first."""
        on_team = [shift for shift in self._active_shifts() if shift.is_on_team]
        return sorted(on_team, key=lambda shift: shift.role != Shift.Role.LEAD)

    def roster_visible_to(self, user) -> bool:
        """Who may see the roster, on the page and in the API: coordinators (everything), and
        supporters on this session's team (the others' given names). Supporters' phones and
        residents' details go to no one else (docs/architecture.md, Privacy)."""
        if not user.is_authenticated:
            return False
        if user.is_coordinator:
            return True
        supporter = user.supporter_or_none
        return supporter is not None and any(s.supporter_id == supporter.pk for s in self.team)

    @property
    def waiting_list(self) -> list:
        """Waiting shifts, first in line first."""
        return [s for s in self._active_shifts() if s.status == Shift.Status.WAITLISTED]

    @property
    def viewer_shift(self):
        """The viewing supporter's shift on this session (see `for_board()`), or None."""
        wanted = getattr(self, "viewer_shift_id", None)
        return next((s for s in self._active_shifts() if s.pk == wanted), None)

    @property
    def viewer_waiting_rank(self) -> int | None:
        """The viewer's place in line, from 1, when they are waiting."""
        shift = self.viewer_shift
        if shift is None or shift.status != Shift.Status.WAITLISTED:
            return None
        return self.waiting_list.index(shift) + 1

    @property
    def has_started(self) -> bool:
        return self.starts_at <= timezone.now()

    def places_left(self) -> int:
        """Supporter places still open; uses the `staffed` annotation when present."""
        staffed = getattr(self, "staffed", None)
        if staffed is None:
            staffed = self.shifts.filter(status__in=Shift.PLACE_HOLDING_STATUSES).count()
        return max(self.supporters_needed - staffed, 0)

    def seats_left(self) -> int | None:
        """Resident seats still open in a class (None for other kinds)."""
        if self.capacity is None:
            return None
        taken = getattr(self, "seats_taken", None)
        if taken is None:
            taken = self.registrations.filter(
                status__in=ClassRegistration.SEAT_HOLDING_STATUSES
            ).count()
        return max(self.capacity - taken, 0)


def _hours(duration: timedelta | None) -> float:
    """Hours to one decimal, as supporters read them (My shifts, the certificate)."""
    return round(duration.total_seconds() / 3600, 1) if duration else 0.0


class ShiftQuerySet(PublicContentQuerySet):
    def holding_place(self):
        return self.filter(status__in=Shift.PLACE_HOLDING_STATUSES)

    def active(self):
        """Not cancelled: holding a place, offered one, or waiting."""
        return self.exclude(status=Shift.Status.CANCELLED)

    def viewer_state(self, supporter) -> tuple:
        """What of their own a supporter's board shows, in one query: their shifts on sessions
        to come, as plain values. Viewers with the same shifts (and level) see the same board
        (sessions.views.shifts.board)."""
        shifts = (
            self.active()
            .filter(supporter=supporter, session__starts_at__gt=timezone.now())
            .order_by("pk")
            .values_list("pk", "session_id", "status", "waitlist_position", "offer_expires_at")
        )
        return tuple(shifts)

    def waiting(self):
        """On the waiting list, first in line first."""
        return self.filter(status=Shift.Status.WAITLISTED).order_by("waitlist_position", "pk")

    def open_offers(self, now=None):
        return self.filter(status=Shift.Status.OFFERED, offer_expires_at__gt=now or timezone.now())

    def expired_offers(self, now=None):
        return self.filter(status=Shift.Status.OFFERED, offer_expires_at__lte=now or timezone.now())

    def overlapping(self, session):
        """Shifts holding a place on another session, not cancelled, at the same time."""
        return (
            self.holding_place()
            .filter(session__starts_at__lt=session.ends_at, session__ends_at__gt=session.starts_at)
            .exclude(session=session.pk)
            .exclude(session__status=Session.Status.CANCELLED)
        )

    def past(self):
        """Shifts on sessions already over (cancelled sessions left out), latest first."""
        return (
            self.filter(session__ends_at__lt=timezone.now())
            .exclude(session__status=Session.Status.CANCELLED)
            .order_by("-session__starts_at", "-id")
        )

    def served(self, now=None):
        """Shifts that count as served: attended or signed up (attendance is not always
        recorded) on a session that took place, the same sessions the annual figures count;
        no-shows and cancellations do not."""
        return self.filter(
            took_place("session__", now=now),
            status__in=[Shift.Status.ATTENDED, Shift.Status.SIGNED_UP],
        )

    def hours_by_fiscal_year(self):
        """[{"fiscal_year": 2025, "duration": timedelta, "shifts": n}], latest year first,
        summed in the database; fiscal years run April to March, Tokyo time."""
        year = ExtractYear("session__starts_at", tzinfo=TOKYO)
        month = ExtractMonth("session__starts_at", tzinfo=TOKYO)
        fiscal_year = Case(When(Q(month__lt=4), then=F("year") - 1), default=F("year"))
        return (
            self.order_by()
            .annotate(year=year, month=month)
            .annotate(fiscal_year=fiscal_year)
            .values("fiscal_year")
            .annotate(
                duration=Sum(
                    F("session__ends_at") - F("session__starts_at"),
                    output_field=models.DurationField(),
                ),
                shifts=Count("pk"),
            )
            .order_by("-fiscal_year")
        )

    def hours_served(self) -> list[dict]:
        """[{"fiscal_year": 2025, "year": FiscalYear, "hours": 12.5, "shifts": n}] for served
        shifts, latest first."""
        return [
            {
                "fiscal_year": row["fiscal_year"],
                "year": FiscalYear(row["fiscal_year"]),
                "hours": _hours(row["duration"]),
                "shifts": row["shifts"],
            }
            for row in self.served().hours_by_fiscal_year()
        ]

    def hours_by_kind(self, fiscal_year: FiscalYear) -> list[dict]:
        """[{"kind": "helpdesk", "label": "Help desk", "hours": 4.0, "shifts": 2}] for served
        shifts in `fiscal_year`, one row per kind of session (none left out, in the kinds'
        order), summed in the database in one query: what a certificate of hours shows, the
        same shifts as `hours_served()`'s row for that year."""
        rows = {
            row["session__kind"]: row
            for row in self.served()
            .filter(
                session__starts_at__gte=fiscal_year.starts_at,
                session__starts_at__lt=fiscal_year.ends_before,
            )
            .order_by()
            .values("session__kind")
            .annotate(
                duration=Sum(
                    F("session__ends_at") - F("session__starts_at"),
                    output_field=models.DurationField(),
                ),
                shifts=Count("pk"),
            )
        }
        return [
            {
                "kind": kind,
                "label": label,
                "duration": rows.get(kind, {}).get("duration") or timedelta(0),
                "hours": _hours(rows.get(kind, {}).get("duration")),
                "shifts": rows.get(kind, {}).get("shifts", 0),
            }
            for kind, label in Session.Kind.choices
        ]

    def with_open_cover(self):
        """Annotate `cover_deadline`: until when an open cover request looks for someone to
        take the shift (issue 13), else None; in the same query."""
        from sessions.models.cover import CoverRequest  # it refers to this module's models

        open_request = CoverRequest.objects.open().filter(shift=OuterRef("pk"))
        return self.annotate(cover_deadline=Subquery(open_request.values("deadline")[:1]))

    def upcoming(self):
        """Shifts on sessions not over yet and not cancelled, soonest first."""
        return (
            self.filter(session__ends_at__gte=timezone.now())
            .exclude(session__status=Session.Status.CANCELLED)
            .order_by("session__starts_at", "id")
        )

    def in_calendar_feed(self, now: datetime):
        """What a supporter's calendar feed lists (issue 5): shifts holding a place, from a year
        back, and cancelled ones (the shift or its session) for 30 days after the cancellation.

        A session has no cancellation time of its own: its `updated_at` stands for it.
        """
        kept_since = now - Shift.CALENDAR_CANCELLED_KEPT
        holding = Q(status__in=Shift.PLACE_HOLDING_STATUSES)
        session_on_or_recently_off = ~Q(session__status=Session.Status.CANCELLED) | Q(
            session__updated_at__gte=kept_since
        )
        # A supporter who cancelled and then took a place again sees the new shift only.
        taken_again = Shift.objects.filter(
            holding, session=OuterRef("session"), supporter=OuterRef("supporter")
        )
        recently_cancelled = Q(status=Shift.Status.CANCELLED, cancelled_at__gte=kept_since)
        return self.filter(session__starts_at__gte=now - Shift.CALENDAR_HISTORY).filter(
            (holding & session_on_or_recently_off) | (recently_cancelled & ~Exists(taken_again))
        )


class Shift(models.Model):
    """A supporter's place on a session."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead")
        HELPER = "helper", _("Helper")

    class Status(models.TextChoices):
        SIGNED_UP = "signed_up", _("Signed up")
        WAITLISTED = "waitlisted", _("On the waiting list")
        OFFERED = "offered", _("Place offered")
        CANCELLED = "cancelled", _("Cancelled")
        ATTENDED = "attended", _("Attended")
        NO_SHOW = "no_show", _("Did not come")

    # Statuses that take one of the session's `supporters_needed` places. An offer holds the
    # place while the waiting supporter decides (issue 5).
    PLACE_HOLDING_STATUSES = ("signed_up", "offered", "attended", "no_show")
    TEAM_STATUSES = ("signed_up", "attended", "no_show")
    # What a supporter can give up before the session: a place, an offered place, a place in line.
    CANCELLABLE_STATUSES = ("signed_up", "offered", "waitlisted")
    # Calendar feeds: past shifts stay a year; cancelled ones show as cancelled for 30 days, long
    # enough for every calendar app to have fetched the change, then leave the feed.
    CALENDAR_HISTORY = timedelta(days=366)
    CALENDAR_CANCELLED_KEPT = timedelta(days=30)

    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="shifts", verbose_name=_("session")
    )
    supporter = models.ForeignKey(
        "supporters.Supporter",
        on_delete=models.PROTECT,
        related_name="shifts",
        verbose_name=_("supporter"),
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.HELPER)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SIGNED_UP
    )
    waitlist_position = models.PositiveIntegerField(
        _("waiting-list position"), null=True, blank=True
    )
    offer_expires_at = models.DateTimeField(_("offer expires at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    # iCalendar SEQUENCE of this shift's event: bumped whenever the shift or its session changes.
    sequence = models.PositiveIntegerField(_("calendar revision"), default=0, editable=False)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ShiftQuerySet.as_manager()

    class Meta:
        ordering = ["session__starts_at", "role", "created_at"]
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        indexes = [
            models.Index(fields=["supporter", "status"], name="shift_supporter_status_idx"),
            models.Index(fields=["session", "status"], name="shift_session_status_idx"),
            # The annual report's served shifts (issue 12), with their supporter.
            models.Index(
                fields=["session"],
                include=["supporter"],
                condition=Q(status__in=["attended", "signed_up"]),
                name="shift_session_served_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "supporter"],
                condition=~Q(status="cancelled"),
                name="shift_one_active_per_supporter",
                violation_error_message=_("This supporter already has a place on this session."),
            ),
            models.CheckConstraint(
                condition=Q(status="waitlisted", waitlist_position__isnull=False)
                | (~Q(status="waitlisted") & Q(waitlist_position__isnull=True)),
                name="shift_waitlist_position_iff_waiting",
            ),
            models.CheckConstraint(
                condition=Q(checked_in_at__isnull=True) | Q(status="attended"),
                name="shift_checkin_only_when_attended",
            ),
            models.CheckConstraint(
                condition=Q(status="offered", offer_expires_at__isnull=False)
                | ~Q(status="offered"),
                name="shift_offer_has_expiry",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "signed_up",
                        "waitlisted",
                        "offered",
                        "cancelled",
                        "attended",
                        "no_show",
                    ]
                ),
                name="shift_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.supporter} · {self.session}"

    @property
    def holds_place(self) -> bool:
        return self.status in self.PLACE_HOLDING_STATUSES

    @property
    def is_on_team(self) -> bool:
        """On the session's team: signed up (or attendance marked). A supporter offered a place
        holds it but is not on the team until they take it."""
        return self.status in self.TEAM_STATUSES

    @property
    def is_offer_open(self) -> bool:
        """A place is offered to this supporter and its time has not run out."""
        return self.status == self.Status.OFFERED and self.offer_expires_at > timezone.now()

    @property
    def can_ask_for_cover(self) -> bool:
        """A place the supporter holds on a session neither cancelled nor started: they may ask
        someone to take it (`request_cover` decides whether there is still time)."""
        return (
            self.status == self.Status.SIGNED_UP
            and not self.session.is_cancelled
            and not self.session.has_started
        )

    @property
    def can_be_cancelled(self) -> bool:
        """The supporter can still give it up (`cancel_shift`'s rules): a place, an offered
        place or a place in line, on a session neither cancelled nor started."""
        session = self.session
        return (
            self.status in self.CANCELLABLE_STATUSES
            and not session.is_cancelled
            and not session.has_started
        )
