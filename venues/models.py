import calendar
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from config.public_pages import PublicContentQuerySet


class District(models.Model):
    """One of Maebashi's 16 districts (地区), used for venues, supporters and requests."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50, unique=True)
    name_kana = models.CharField(_("name (kana)"), max_length=100, blank=True)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    # Symmetric: a district is its neighbour's neighbour.
    neighbours = models.ManyToManyField(
        "self",
        blank=True,
        verbose_name=_("neighbouring districts"),
        help_text=_(
            "Districts that share a border: a group visit suggests their supporters after the "
            "district's own."
        ),
    )

    # Venues show their district on public pages: every write marks those pages stale.
    objects = PublicContentQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self):
        return self.name


STILL_SCHEDULED_MESSAGE = _(
    "This venue still has help-desk schedules in force, whose dates residents would no longer "
    "see. End them first (“valid until”), then change the venue."
)


class VenueQuerySet(PublicContentQuerySet):
    def active(self):
        return self.filter(is_active=True)

    def helpdesks(self):
        return self.filter(is_helpdesk=True, is_active=True)


class Venue(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    name_kana = models.CharField(_("name (kana)"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=200)
    # Venues outlive reorganisations of districts: a district in use cannot be deleted.
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="venues", verbose_name=_("district")
    )
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    access_notes = models.TextField(
        _("access"), blank=True, help_text=_("Bus stops, parking, which entrance to use.")
    )
    accessibility_notes = models.TextField(
        _("accessibility"), blank=True, help_text=_("Step-free access, lifts, accessible toilets.")
    )
    has_wifi = models.BooleanField(_("Wi-Fi available"), default=False)
    wifi_notes = models.CharField(_("Wi-Fi notes"), max_length=200, blank=True)
    is_helpdesk = models.BooleanField(
        _("help-desk venue"),
        default=False,
        help_text=_("One of the fixed venues of the digital help desk (デジタルよろず相談所)."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = VenueQuerySet.as_manager()

    class Meta:
        ordering = ["name_kana", "name"]
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        constraints = [
            models.CheckConstraint(
                condition=(Q(latitude__isnull=True) & Q(longitude__isnull=True))
                | (
                    Q(latitude__isnull=False)
                    & Q(longitude__isnull=False)
                    & Q(latitude__gte=-90)
                    & Q(latitude__lte=90)
                    & Q(longitude__gte=-180)
                    & Q(longitude__lte=180)
                ),
                name="venue_coordinates_valid_pair",
                violation_error_message=_("Give both latitude and longitude, or neither."),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        # The other side of `HelpdeskSchedule.clean` (issue 11): a venue whose schedules still
        # run cannot stop being a help desk, or their dates would vanish from the public pages.
        if self.pk and not self.is_shown_as_helpdesk:
            running = self.schedules.current_or_upcoming(timezone.localdate())
            if running.exists():
                field = "is_helpdesk" if not self.is_helpdesk else "is_active"
                raise ValidationError({field: STILL_SCHEDULED_MESSAGE})

    @property
    def is_shown_as_helpdesk(self) -> bool:
        """Residents see its help-desk dates: an active help-desk venue (`helpdesks()`)."""
        return self.is_helpdesk and self.is_active

    @property
    def openstreetmap_url(self) -> str:
        """A link to the venue on openstreetmap.org (a link only: pages never load from it)."""
        if self.latitude is None or self.longitude is None:
            return ""
        lat, lon = self.latitude, self.longitude
        return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"


week_ordinals_validator = RegexValidator(
    r"^[1-5](,[1-5])*$", _("Give week numbers 1–5 separated by commas, for example 2,4.")
)


NOT_A_HELPDESK_MESSAGE = _(
    "This venue is not an active help-desk venue, so residents would never see its sessions. "
    "Mark it as a help-desk venue (and active) first."
)

WEEK_ORDINALS = {
    1: pgettext_lazy("week of the month", "1st"),
    2: pgettext_lazy("week of the month", "2nd"),
    3: pgettext_lazy("week of the month", "3rd"),
    4: pgettext_lazy("week of the month", "4th"),
    5: pgettext_lazy("week of the month", "5th"),
}


class HelpdeskScheduleQuerySet(PublicContentQuerySet):
    def in_force_on(self, day: date):
        return self.filter(
            Q(valid_from__lte=day), Q(valid_until__isnull=True) | Q(valid_until__gte=day)
        )

    def current_or_upcoming(self, day: date):
        """In force on `day` or later: not expired yet."""
        return self.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))


class HelpdeskSchedule(models.Model):
    """A venue's fixed help-desk time, e.g. the 2nd and 4th Tuesday, 10:00–12:00."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    venue = models.ForeignKey(
        Venue, on_delete=models.CASCADE, related_name="schedules", verbose_name=_("venue")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    weeks_of_month = models.CharField(
        _("weeks of the month"),
        max_length=9,
        default="2,4",
        validators=[week_ordinals_validator],
        help_text=_("Which weekdays of the month, e.g. 2,4 for the 2nd and 4th."),
    )
    start_time = models.TimeField(_("start time"))
    end_time = models.TimeField(_("end time"))
    supporters_needed = models.PositiveSmallIntegerField(
        _("supporters needed"), default=2, validators=[MinValueValidator(1)]
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    objects = HelpdeskScheduleQuerySet.as_manager()

    class Meta:
        ordering = ["venue", "weekday", "start_time"]
        verbose_name = pgettext_lazy("recurring help desk", "help-desk schedule")
        verbose_name_plural = pgettext_lazy("recurring help desk", "help-desk schedules")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")),
                name="schedule_ends_after_start",
                violation_error_message=_("The end time must be after the start time."),
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="schedule_valid_range",
                violation_error_message=_("“Valid until” must not be before “valid from”."),
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0) & Q(weekday__lte=6), name="schedule_weekday_range"
            ),
            models.CheckConstraint(
                condition=Q(supporters_needed__gte=1), name="schedule_needs_supporters"
            ),
        ]

    def __str__(self):
        return _("%(venue)s: weeks %(weeks)s of the month, %(weekday)s %(start)s–%(end)s") % {
            "venue": self.venue,
            "weeks": self.weeks_of_month,
            "weekday": self.get_weekday_display(),
            # Django's own format name: the admin's history writes this with no language active.
            "start": time_format(self.start_time, "TIME_FORMAT"),
            "end": time_format(self.end_time, "TIME_FORMAT"),
        }

    def clean(self):
        super().clean()
        if self.valid_until and self.valid_from and self.valid_until < self.valid_from:
            raise ValidationError(
                {"valid_until": _("“Valid until” must not be before “valid from”.")}
            )
        # Refused rather than warned about (issue 11): a schedule at a venue that is not an
        # active help desk made sessions no resident ever saw, since the public pages list help
        # desks only. A schedule that has ended may stay on a venue that is no longer one.
        still_running = self.valid_until is None or self.valid_until >= timezone.localdate()
        if self.venue_id and still_running and not self.venue.is_shown_as_helpdesk:
            raise ValidationError({"venue": NOT_A_HELPDESK_MESSAGE})

    @property
    def is_upcoming(self) -> bool:
        """Not in force yet: it starts after today."""
        return self.valid_from > timezone.localdate()

    @property
    def in_words(self) -> str:
        """The rule as residents read it: "第2・第4火曜日 10:00–12:00", "毎週木曜日 13:30–15:30"."""
        weekday = self.get_weekday_display()
        ordinals = self.week_ordinals
        if ordinals == [1, 2, 3, 4, 5]:
            days = pgettext("help-desk days", "Every %(weekday)s") % {"weekday": weekday}
        else:
            names = [str(WEEK_ORDINALS[n]) for n in ordinals]
            weeks = names[0]
            if len(names) > 1:
                listed = pgettext("weeks of the month", ", ").join(names[:-1])
                weeks = pgettext("weeks of the month", "%(listed)s and %(last)s") % {
                    "listed": listed,
                    "last": names[-1],
                }
            days = pgettext("help-desk days", "%(weeks)s %(weekday)s of the month") % {
                "weeks": weeks,
                "weekday": weekday,
            }
        return gettext("%(days)s, %(start)s–%(end)s") % {
            "days": days,
            "start": time_format(self.start_time, "SHORT_TIME_FORMAT"),
            "end": time_format(self.end_time, "SHORT_TIME_FORMAT"),
        }

    @property
    def week_ordinals(self) -> list[int]:
        return sorted({int(part) for part in self.weeks_of_month.split(",") if part})

    def dates_between(self, first: date, last: date) -> list[date]:
        """Each date the schedule's pattern meets in [first, last]; closed days are the
        generator's business (`venues.closures.closed_days`)."""
        first = max(first, self.valid_from)
        if self.valid_until:
            last = min(last, self.valid_until)
        days = []
        year, month = first.year, first.month
        while date(year, month, 1) <= last:
            weekdays = [
                week[self.weekday]
                for week in calendar.monthcalendar(year, month)
                if week[self.weekday] != 0
            ]
            for ordinal in self.week_ordinals:
                if ordinal <= len(weekdays):
                    day = date(year, month, weekdays[ordinal - 1])
                    if first <= day <= last:
                        days.append(day)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return sorted(days)

    def occurrence(self, day: date) -> tuple[datetime, datetime]:
        tz = timezone.get_default_timezone()
        return (
            datetime.combine(day, self.start_time, tzinfo=tz),
            datetime.combine(day, self.end_time, tzinfo=tz),
        )


class ClosureQuerySet(PublicContentQuerySet):
    def affecting(self, venue):
        """City-wide closures and `venue`'s own."""
        return self.filter(Q(venue__isnull=True) | Q(venue=venue))

    def overlapping(self, first: date, last: date):
        return self.filter(starts_on__lte=last, ends_on__gte=first)


class Closure(models.Model):
    """Days a venue, or every venue (no venue given), is closed beyond the national holidays and
    the New Year: a hall's maintenance, an election, a city event. Session generation skips them."""

    venue = models.ForeignKey(
        Venue,
        on_delete=models.CASCADE,
        related_name="closures",
        verbose_name=_("venue"),
        null=True,
        blank=True,
        help_text=_("Leave empty when every venue of the city is closed."),
    )
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"), help_text=_("The same as the first day for one day."))
    reason = models.CharField(_("reason"), max_length=200)

    objects = ClosureQuerySet.as_manager()

    class Meta:
        ordering = ["starts_on", "venue"]
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="closure_ends_on_or_after_start",
                violation_error_message=_("The last day must not be before the first day."),
            ),
        ]

    def __str__(self):
        return _("%(place)s closed %(first)s–%(last)s: %(reason)s") % {
            "place": self.venue or _("Every venue"),
            "first": self.starts_on.isoformat(),
            "last": self.ends_on.isoformat(),
            "reason": self.reason,
        }

    def clean(self):
        super().clean()
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The last day must not be before the first day.")})
