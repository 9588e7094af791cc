from datetime import date, datetime, timedelta

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from config.fiscal import TOKYO, FiscalYear
from config.fragments import cached_fragment
from config.inputs import LAST_DATE, DateFilterField
from sessions.models import ClassSeries, DispatchRequest, Session, Shift
from sessions.services.classes import SeriesRule
from sessions.services.intake import REQUIRED, earliest_date, offered_topics
from sessions.services.schedules import generation_range
from supporters.models import Supporter
from venues.models import District, HelpdeskSchedule, Venue

# The board shows two weeks at a time unless asked for other dates: a year of sessions stays fast.
BOARD_WINDOW = timedelta(days=14)


def date_input():
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class CertificateYearForm(forms.Form):
    """The fiscal year of a certificate of hours (`?fiscal_year=2025`); this one when left out.
    From Reiwa 1 (FY2019), before the programme's first supporters (FY2021)."""

    fiscal_year = forms.IntegerField(
        label=_("Fiscal year"), min_value=2019, max_value=LAST_DATE.year - 1, required=False
    )

    def chosen_year(self) -> FiscalYear | None:
        """The year asked for (this one by default), or None for a value out of range."""
        if not self.is_valid():
            return None
        year = self.cleaned_data["fiscal_year"]
        return FiscalYear(year) if year is not None else FiscalYear.current()


class BoardFilterForm(forms.Form):
    """The shift board's filters: a GET form, so the page and its links work without JS."""

    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *Session.Kind.choices], required=False
    )
    venue = forms.ModelChoiceField(
        label=_("Venue"),
        queryset=Venue.objects.active(),
        required=False,
        empty_label=_("All venues"),
    )
    district = forms.ModelChoiceField(
        label=_("District"),
        queryset=District.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("All districts"),
    )
    date_from = DateFilterField(label=_("From"), required=False, widget=date_input())
    date_to = DateFilterField(label=_("To"), required=False, widget=date_input())
    needed = forms.BooleanField(label=_("Only where I'm needed"), required=False)

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("date_from"), cleaned.get("date_to")
        if first and last and last < first:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return cleaned

    def html(self):
        """The form drawn. Unbound (the board as first opened) it is the same for everyone in a
        language, so it comes from the fragments cache, keyed by the venues and districts it
        offers: drawing its selects' options was a fifth of the board's time (issue 9)."""
        if self.is_bound:
            return self.render()
        shown = [
            [(str(value), str(label)) for value, label in self.fields[name].choices]
            for name in ("venue", "district")
        ]
        return cached_fragment("board-filters", shown, self.render)

    def filters(self) -> dict:
        """Keyword arguments for `Session.objects.board()`: the dates default to two weeks from
        today, and invalid input counts as not given."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        first = data.get("date_from") or timezone.localdate()
        return {
            "kind": data.get("kind", ""),
            "venue": data.get("venue"),
            "district": data["district"].code if data.get("district") else "",
            "first": first,
            "last": data.get("date_to") or first + BOARD_WINDOW - timedelta(days=1),
            "needed": data.get("needed", False),
        }


class RosterSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Find a supporter"),
        help_text=_("Family or given name, in kanji or kana."),
        max_length=100,
        required=False,
    )

    def supporters(self, session, limit: int = 20):
        """Active supporters matching every word typed, not on the session already."""
        if not self.is_valid() or not self.cleaned_data["q"].strip():
            return Supporter.objects.none()
        supporters = Supporter.objects.active().exclude(
            shifts__in=Shift.objects.active().filter(session=session)
        )
        for word in self.cleaned_data["q"].replace("\u3000", " ").split():
            supporters = supporters.filter(
                Q(family_name__icontains=word)
                | Q(given_name__icontains=word)
                | Q(family_name_kana__icontains=word)
                | Q(given_name_kana__icontains=word)
            )
        return supporters.select_related("user")[:limit]


class RosterChangeForm(forms.Form):
    """Which supporter a coordinator adds, removes or marks, and how."""

    supporter = forms.ModelChoiceField(queryset=Supporter.objects.all(), widget=forms.HiddenInput)
    role = forms.ChoiceField(
        label=_("Role"), choices=Shift.Role.choices, initial=Shift.Role.HELPER, required=False
    )
    status = forms.ChoiceField(
        label=_("Attendance"),
        choices=[(Shift.Status.ATTENDED, _("Attended")), (Shift.Status.NO_SHOW, _("Did not come"))],
        required=False,
    )


# Group-visit requests: the coordinators' pages (issue 10) -----------------------------------


def time_input():
    return forms.TimeInput(format="%H:%M", attrs={"type": "time"})


class RequestFilterForm(forms.Form):
    """The requests page's filters: a GET form, so links and the back button keep them."""

    OPEN = "open"
    STATUSES = [(OPEN, _("Still to handle")), *DispatchRequest.Status.choices, ("all", _("All"))]

    status = forms.ChoiceField(label=_("Status"), choices=STATUSES, required=False)
    district = forms.ModelChoiceField(
        label=_("District"),
        queryset=District.objects.all(),
        required=False,
        empty_label=_("All districts"),
    )
    channel = forms.ChoiceField(
        label=_("Received by"),
        choices=[("", _("All channels")), *DispatchRequest.Channel.choices],
        required=False,
    )
    month = forms.DateField(
        label=_("Month of the visit"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(format="%Y-%m", attrs={"type": "month"}),
        help_text=_("The visit's date, or the first date asked for."),
    )

    def requests(self):
        """The requests these filters pick (all open ones when the form is unbound or wrong)."""
        data = self.cleaned_data if self.is_valid() else {}
        return DispatchRequest.objects.filtered(
            status=data.get("status", ""),
            district=data.get("district"),
            channel=data.get("channel", ""),
            month=data.get("month"),
        )


class ScheduleForm(forms.Form):
    """Scheduling a request: one of the dates the group asked for, or another, with the times,
    the place confirmed and the supporters needed. Makes the visit's session in one step."""

    OTHER = "other"
    # The usual times of a visit, by what the group asked for.
    TIMES = {
        DispatchRequest.TimeOfDay.MORNING: ("10:00", "12:00"),
        DispatchRequest.TimeOfDay.AFTERNOON: ("13:30", "15:30"),
        DispatchRequest.TimeOfDay.EITHER: ("13:30", "15:30"),
    }

    day = forms.ChoiceField(label=_("Date"), widget=forms.RadioSelect)
    other_day = forms.DateField(label=_("Another date"), required=False, widget=date_input())
    starts = forms.TimeField(label=_("Starts at"), widget=time_input())
    ends = forms.TimeField(label=_("Ends at"), widget=time_input())
    place_name = forms.CharField(label=_("Place"), max_length=100)
    address = forms.CharField(label=_("Address"), max_length=200)
    district = forms.ModelChoiceField(
        label=_("District"), queryset=District.objects.all(), required=False
    )
    supporters_needed = forms.IntegerField(
        label=_("Supporters needed"),
        min_value=1,
        max_value=20,
        help_text=_("Suggested: one per four residents, at least two."),
    )

    def __init__(self, *args, request: DispatchRequest, **kwargs):
        starts, ends = self.TIMES[request.preferred_time]
        kwargs.setdefault(
            "initial",
            {
                "day": request.preferred_date_1.isoformat(),
                "starts": starts,
                "ends": ends,
                "place_name": request.place_name,
                "address": request.address,
                "district": request.district_id,
                "supporters_needed": request.suggested_supporters(),
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["day"].choices = [
            (day.isoformat(), date_format(day, "SHORT_WEEKDAY_DATE_FORMAT"))
            for day in request.preferred_dates
        ] + [(self.OTHER, _("Another date"))]

    def clean(self):
        cleaned = super().clean()
        day = cleaned.get("day")
        if day == self.OTHER:
            if not cleaned.get("other_day"):
                self.add_error("other_day", _("Give the other date."))
                return cleaned
            cleaned["date"] = cleaned["other_day"]
        elif day:
            cleaned["date"] = date.fromisoformat(day)
        starts, ends = cleaned.get("starts"), cleaned.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", _("The visit must end after it starts."))
        if "date" in cleaned and starts and ends:
            tz = timezone.get_current_timezone()
            cleaned["starts_at"] = datetime.combine(cleaned["date"], starts, tzinfo=tz)
            cleaned["ends_at"] = datetime.combine(cleaned["date"], ends, tzinfo=tz)
            if cleaned["starts_at"] <= timezone.now():
                self.add_error("day", _("Choose a date and time still to come."))
        return cleaned


class RescheduleForm(forms.Form):
    day = forms.DateField(label=_("New date"), widget=date_input())
    starts = forms.TimeField(label=_("Starts at"), widget=time_input())
    ends = forms.TimeField(label=_("Ends at"), widget=time_input())

    def clean(self):
        cleaned = super().clean()
        day, starts, ends = cleaned.get("day"), cleaned.get("starts"), cleaned.get("ends")
        if day and starts and ends:
            if ends <= starts:
                self.add_error("ends", _("The visit must end after it starts."))
            tz = timezone.get_current_timezone()
            cleaned["starts_at"] = datetime.combine(day, starts, tzinfo=tz)
            cleaned["ends_at"] = datetime.combine(day, ends, tzinfo=tz)
        return cleaned


class ReasonForm(forms.Form):
    """Why a request is declined or cancelled, or the question asked back: told to the group."""

    text = forms.CharField(
        label=_("Message to the group"),
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# Group-visit requests (issue 10) ----------------------------------------------------------------


class DispatchRequestForm(forms.Form):
    """The group-visit request, for residents and for coordinators entering one taken by phone
    or on paper. It reads the input; the rules are `sessions.services.intake.submit_request`'s,
    whose messages `show` puts next to their fields."""

    group_name = forms.CharField(
        label=_("Name of your group"),
        help_text=_("For example: Otemachi seniors' salon, the neighbourhood association."),
    )
    representative_name = forms.CharField(label=_("Your name (the group's contact)"))
    representative_kana = forms.CharField(label=_("Your name in kana"), required=False)
    representative_phone = forms.CharField(
        label=_("Phone number"),
        help_text=_(
            "A mobile or a landline. We text a mobile the reference and a link to follow the "
            "request; we call a landline."
        ),
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "090-1234-5678"}
        ),
    )
    representative_email = forms.CharField(
        label=_("Email (if you like)"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    residents_count = forms.IntegerField(label=_("How many residents will come?"), min_value=1)
    place_name = forms.CharField(
        label=_("Place"), help_text=_("For example: the community hall, a meeting room.")
    )
    address = forms.CharField(label=_("Address of the place"))
    district = forms.TypedChoiceField(
        label=_("District"), coerce=int, empty_value=None, required=False
    )
    preferred_date_1 = forms.DateField(label=_("First choice of date"), widget=date_input())
    preferred_date_2 = forms.DateField(
        label=_("Second choice (if you like)"), required=False, widget=date_input()
    )
    preferred_date_3 = forms.DateField(
        label=_("Third choice (if you like)"), required=False, widget=date_input()
    )
    preferred_time = forms.ChoiceField(
        label=_("Time of day"),
        choices=DispatchRequest.TimeOfDay.choices,
        initial=DispatchRequest.TimeOfDay.EITHER,
        widget=forms.RadioSelect,
    )
    topics = forms.TypedMultipleChoiceField(
        label=_("What would you like to learn?"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    message = forms.CharField(
        label=_("Anything else you would like to learn or tell us"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    devices = forms.MultipleChoiceField(
        label=_("Which devices do the residents have?"),
        choices=DispatchRequest.Device.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    wifi = forms.ChoiceField(
        label=_("Is there Wi-Fi at the place?"),
        choices=DispatchRequest.Wifi.choices,
        initial=DispatchRequest.Wifi.UNKNOWN,
        widget=forms.RadioSelect,
    )
    preferred_language = forms.ChoiceField(
        label=_("Language for the visit and our messages"), choices=settings.LANGUAGES
    )
    consent = forms.BooleanField(label=_("I agree to this use of my details."), required=False)
    # A trap for bots, hidden from people: a filled one is answered as if sent, and not kept.
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    DATE_FIELDS = ("preferred_date_1", "preferred_date_2", "preferred_date_3")

    def __init__(self, *args, coordinator: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [
            ("", _("I don't know")),
            *District.objects.values_list("pk", "name"),
        ]
        self.fields["topics"].choices = list(offered_topics().values_list("pk", "name"))
        for name, field in self.fields.items():
            if name in REQUIRED:
                field.required = True
        self.fields["residents_count"].help_text = _(
            "A group visit is for %(count)d or more residents. For fewer people, a help desk "
            "is the place to go."
        ) % {"count": DispatchRequest.MIN_RESIDENTS}
        self.fields["consent"].help_text = consent_text()
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        if coordinator:
            self.fields["channel"] = forms.ChoiceField(
                label=_("Received by"),
                choices=[
                    (DispatchRequest.Channel.PHONE, DispatchRequest.Channel.PHONE.label),
                    (DispatchRequest.Channel.PAPER, DispatchRequest.Channel.PAPER.label),
                ],
                initial=DispatchRequest.Channel.PHONE,
                widget=forms.RadioSelect,
            )
            self.fields["consent"].label = _(
                "I read the text on the handling of personal details out (or it was on the "
                "paper form) and the representative agreed."
            )
        for name in self.DATE_FIELDS:
            self.fields[name].widget.attrs["min"] = earliest_date().isoformat()

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))

    @property
    def channel(self) -> str:
        return self.cleaned_data.get("channel") or DispatchRequest.Channel.WEB

    def request_data(self) -> dict:
        """The cleaned input under the API's keys, for `submit_request`."""
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in (*self.DATE_FIELDS, "website", "channel")
        }
        self._dates_from = [name for name in self.DATE_FIELDS if self.cleaned_data.get(name)]
        data["preferred_dates"] = [self.cleaned_data[name] for name in self._dates_from]
        return data

    def show(self, error) -> None:
        """Put the service's per-field messages next to the fields they are about."""
        for field, messages in (error.details or {}).items():
            name, _dot, index = field.partition(".")
            if name == "preferred_dates":
                dates = getattr(self, "_dates_from", None) or self.DATE_FIELDS
                name = dates[int(index)] if index else self.DATE_FIELDS[0]
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


def consent_text() -> str:
    """What the representative agrees to: the purpose of keeping their details, and for how long."""
    return _(
        "We use your name and phone number only to arrange this visit. Only the city's "
        "coordinators and the supporters who come see them. They are deleted %(days)d days "
        "after the visit."
    ) % {"days": settings.DISPATCH_PURGE_DAYS}


# Smartphone classes: the coordinators' class desk (issue 11) -----------------------------------


class ClassFieldsForm(forms.Form):
    """What every class has, whether made one at a time or as a series."""

    title = forms.CharField(label=_("Title"), max_length=100)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What residents learn and what to bring, in plain words."),
    )
    class_level = forms.TypedChoiceField(
        label=_("Level"), choices=Session.Level.choices, coerce=int, widget=forms.RadioSelect
    )
    loaner_devices = forms.TypedChoiceField(
        label=_("Phones"),
        choices=[
            ("false", _("For residents who own a smartphone")),
            ("true", _("Devices lent: for residents without a smartphone")),
        ],
        coerce=lambda value: value == "true",
        initial="false",
        widget=forms.RadioSelect,
    )
    organiser = forms.ChoiceField(
        label=_("Organiser"), choices=Session.Organiser.choices, widget=forms.RadioSelect
    )
    venue = forms.ModelChoiceField(
        label=_("Venue"), queryset=Venue.objects.active(), empty_label=_("Choose a venue")
    )
    capacity = forms.IntegerField(label=_("Places for residents"), min_value=1, max_value=200)
    supporters_needed = forms.IntegerField(
        label=_("Supporters needed"), min_value=0, max_value=20, initial=3
    )
    language = forms.ChoiceField(label=_("Language of the class"), initial="ja")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = Session._meta.get_field("language").choices

    def class_fields(self) -> dict:
        names = ("title", "description", "class_level", "loaner_devices", "organiser", "venue")
        names += ("capacity", "supporters_needed", "language")
        return {name: self.cleaned_data[name] for name in names}

    def show(self, error) -> None:
        """Put the service's per-field messages next to the fields they are about."""
        if not error.details:
            self.add_error(None, error.message)
        for field, messages in (error.details or {}).items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class ClassForm(ClassFieldsForm):
    """One class: its details, date and times, and the series it belongs to, if any."""

    NO_SERIES, EXISTING, NEW = "none", "existing", "new"

    day = forms.DateField(label=_("Date"), widget=date_input())
    starts = forms.TimeField(label=_("Starts at"), widget=time_input(), initial="10:00")
    ends = forms.TimeField(label=_("Ends at"), widget=time_input(), initial="12:00")
    series_choice = forms.ChoiceField(
        label=_("Series"),
        choices=[
            (NO_SERIES, _("Not part of a series")),
            (EXISTING, _("Part of an existing series")),
            (NEW, _("Start a new series")),
        ],
        initial=NO_SERIES,
        widget=forms.RadioSelect,
    )
    series = forms.ModelChoiceField(
        label=_("Existing series"), queryset=ClassSeries.objects.all(), required=False
    )
    new_series = forms.CharField(label=_("Title of the new series"), max_length=100, required=False)

    field_order = ["title", "description", "class_level", "loaner_devices", "organiser", "venue"]

    @classmethod
    def for_session(cls, session, data=None):
        local_start = timezone.localtime(session.starts_at)
        initial = {
            "title": session.title,
            "description": session.description,
            "class_level": session.class_level,
            "loaner_devices": "true" if session.loaner_devices else "false",
            "organiser": session.organiser,
            "venue": session.venue_id,
            "capacity": session.capacity,
            "supporters_needed": session.supporters_needed,
            "language": session.language,
            "day": local_start.date(),
            "starts": local_start.time(),
            "ends": timezone.localtime(session.ends_at).time(),
            "series_choice": cls.EXISTING if session.series_id else cls.NO_SERIES,
            "series": session.series_id,
        }
        return cls(data, initial=initial)

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts"), cleaned.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", _("The class must end after it starts."))
        choice = cleaned.get("series_choice")
        if choice == self.EXISTING and not cleaned.get("series"):
            self.add_error("series", _("Choose the series."))
        if choice == self.NEW and not cleaned.get("new_series", "").strip():
            self.add_error("new_series", _("Give the new series a title."))
        return cleaned

    def class_data(self) -> dict:
        """What `create_class` and `update_class` take."""
        data = self.class_fields()
        day = self.cleaned_data["day"]
        data["starts_at"] = datetime.combine(day, self.cleaned_data["starts"], tzinfo=TOKYO)
        data["ends_at"] = datetime.combine(day, self.cleaned_data["ends"], tzinfo=TOKYO)
        choice = self.cleaned_data["series_choice"]
        data["series"] = self.cleaned_data["series"] if choice == self.EXISTING else None
        if choice == self.NEW:
            data["new_series"] = self.cleaned_data["new_series"].strip()
        return data

    def show(self, error) -> None:
        moved = {"starts_at": "day", "ends_at": "ends", "dates": "day"}
        if error.details:
            error.details = {moved.get(k, k): v for k, v in error.details.items()}
        super().show(error)


class ClassSeriesForm(ClassFieldsForm):
    """A series of classes made at once: by rule (every week, or the Nth weekday of each month,
    K times) or as a list of dates; closed days are skipped and said."""

    WEEKLY, MONTHLY, LIST = "weekly", "monthly", "list"
    WEEKDAYS = [
        (0, _("Monday")),
        (1, _("Tuesday")),
        (2, _("Wednesday")),
        (3, _("Thursday")),
        (4, _("Friday")),
        (5, _("Saturday")),
        (6, _("Sunday")),
    ]

    series_title = forms.CharField(
        label=_("Title of the series"),
        max_length=100,
        help_text=_("E.g. “Five-level smartphone course” or “Monthly LINE class”."),
    )
    series_description = forms.CharField(
        label=_("About the series"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    pattern = forms.ChoiceField(
        label=_("Dates"),
        choices=[
            (WEEKLY, _("Every week (or every few weeks) on a weekday")),
            (MONTHLY, _("The same weekday of each month, e.g. the 2nd Tuesday")),
            (LIST, _("A list of dates")),
        ],
        initial=MONTHLY,
        widget=forms.RadioSelect,
    )
    first = forms.DateField(label=_("From"), required=False, widget=date_input())
    weekday = forms.TypedChoiceField(
        label=_("Weekday"), choices=WEEKDAYS, coerce=int, required=False
    )
    week_of_month = forms.TypedChoiceField(
        label=_("Which one of the month"),
        choices=[(n, _("No. %(n)d") % {"n": n}) for n in range(1, 6)],
        coerce=int,
        required=False,
    )
    every_weeks = forms.IntegerField(
        label=_("Every how many weeks"), min_value=1, max_value=8, initial=1, required=False
    )
    count = forms.IntegerField(
        label=_("How many classes"), min_value=1, max_value=24, initial=5, required=False
    )
    dates = forms.CharField(
        label=_("The dates"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One date a line, written 2026-06-09."),
    )
    starts = forms.TimeField(label=_("Starts at"), widget=time_input(), initial="10:00")
    ends = forms.TimeField(label=_("Ends at"), widget=time_input(), initial="12:00")
    skip_closed = forms.BooleanField(
        label=_("Skip days the venue is closed"),
        required=False,
        initial=True,
        help_text=_("Unticked, a list with a closed day is refused."),
    )

    field_order = ["series_title", "series_description"]

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts"), cleaned.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", _("The class must end after it starts."))
        pattern = cleaned.get("pattern")
        if pattern == self.LIST:
            cleaned["date_list"] = self._dates(cleaned.get("dates", ""))
        elif pattern:
            for name in ("first", "weekday", "count"):
                if cleaned.get(name) in (None, ""):
                    self.add_error(name, _("This field is required."))
            if pattern == self.MONTHLY and cleaned.get("week_of_month") in (None, ""):
                self.add_error("week_of_month", _("This field is required."))
        return cleaned

    def _dates(self, text: str) -> list:
        days = []
        for line in text.replace(",", "\n").split():
            try:
                days.append(date.fromisoformat(line.strip()))
            except ValueError:
                self.add_error("dates", _("“%(text)s” is not a date.") % {"text": line[:20]})
                return []
        if not days:
            self.add_error("dates", _("Give at least one date."))
        return days

    def rule(self) -> SeriesRule | None:
        data = self.cleaned_data
        if data["pattern"] == self.LIST:
            return None
        return SeriesRule(
            first=data["first"],
            count=data["count"],
            weekday=data["weekday"],
            week_of_month=data["week_of_month"] if data["pattern"] == self.MONTHLY else None,
            every_weeks=data.get("every_weeks") or 1,
        )


class ClassDeskFilterForm(forms.Form):
    """The class desk's filters: a month and who runs the class (a GET form)."""

    month = forms.CharField(
        label=_("Month"),
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}),
        help_text=_("Written 2026-06."),
    )
    organiser = forms.ChoiceField(
        label=_("Organiser"),
        required=False,
        choices=[("", _("Every organiser")), *Session.Organiser.choices],
    )

    def clean_month(self):
        text = self.cleaned_data["month"].strip()
        if not text:
            return None
        try:
            first = date.fromisoformat(f"{text}-01")
        except ValueError:
            raise forms.ValidationError(_("Write the month as 2026-06.")) from None
        if not 1900 <= first.year <= 2999:
            raise forms.ValidationError(_("Write the month as 2026-06."))
        return first

    def filters(self) -> dict:
        """Keyword arguments for `Session.objects.class_desk()`; invalid input counts as none."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {"month": data.get("month"), "organiser": data.get("organiser", "")}


# Help-desk schedules (issue 11) ---------------------------------------------------------------


class HelpdeskScheduleForm(forms.ModelForm):
    """A venue's recurring help-desk rule. The model refuses a venue that is not an active help
    desk (`HelpdeskSchedule.clean`); the list offers only those."""

    class Meta:
        model = HelpdeskSchedule
        fields = [
            "venue",
            "weekday",
            "weeks_of_month",
            "start_time",
            "end_time",
            "supporters_needed",
            "valid_from",
            "valid_until",
        ]
        widgets = {
            "start_time": time_input(),
            "end_time": time_input(),
            "valid_from": date_input(),
            "valid_until": date_input(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = Venue.objects.helpdesks()
        if self.instance.pk:
            # A rule moves with its venue's sessions; a schedule elsewhere is a new schedule.
            self.fields["venue"].disabled = True
            self.fields["venue"].queryset = Venue.objects.all()


class GenerateForm(forms.Form):
    """Which dates to generate: a fiscal year (the current one from today) or given dates."""

    DATES = "dates"

    fiscal_year = forms.ChoiceField(label=_("Period"), widget=forms.RadioSelect, required=False)
    date_from = DateFilterField(label=_("From"), required=False, widget=date_input())
    date_to = DateFilterField(label=_("To"), required=False, widget=date_input())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = FiscalYear.current()
        following = FiscalYear(current.start_year + 1)
        self.fields["fiscal_year"].choices = [
            (
                str(current.start_year),
                _("%(year)s, from today to 31 March") % {"year": current.label},
            ),
            (str(following.start_year), following.label),
            (self.DATES, _("The dates below")),
        ]
        self.fields["fiscal_year"].initial = str(current.start_year)

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("fiscal_year") or self.DATES
        first, last = cleaned.get("date_from"), cleaned.get("date_to")
        if choice != self.DATES and not (first or last):
            cleaned["range"] = generation_range(fiscal_year=FiscalYear(int(choice)))
        elif not (first and last):
            self.add_error("date_to", _("Give both dates, or choose a fiscal year."))
        elif last < first:
            self.add_error("date_to", _("The end date must not be before the start date."))
        else:
            cleaned["range"] = (first, last)
        return cleaned


class CallOffForm(forms.Form):
    """Why one help-desk date is called off: texted to the supporters on it, shown as 中止."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("For example: heavy snow, the hall is closed for repairs."),
    )


# Smartphone classes: residents (issue 11) -------------------------------------------------------


class ClassRegistrationForm(forms.Form):
    """A resident's registration for a class, and a coordinator's for one taken by phone. It
    reads the input; the rules are `sessions.services.registrations.register_for_class`'s, whose
    messages `show` puts next to their fields."""

    DATES_THIS = "this"
    DATES_SERIES = "series"
    OWN_PHONE_YES = "yes"
    OWN_PHONE_NO = "no"

    dates = forms.ChoiceField(
        label=_("Which dates?"),
        choices=[
            (DATES_THIS, _("This date only")),
            (DATES_SERIES, _("Every coming date of this series")),
        ],
        initial=DATES_THIS,
        widget=forms.RadioSelect,
    )
    name = forms.CharField(label=_("Your name"), max_length=100)
    kana = forms.CharField(
        label=_("Your name in kana"),
        required=False,
        max_length=200,
        help_text=_("For example: まえばし はなこ"),
    )
    phone = forms.CharField(
        label=_("Phone number"),
        help_text=_(
            "A mobile or a landline. We text a mobile the reference and a link to see or "
            "cancel your place; if a seat opens for you, a landline gets a call."
        ),
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "090-1234-5678"}
        ),
    )
    own_phone = forms.ChoiceField(
        label=_("Do you bring your own smartphone?"),
        choices=[
            (OWN_PHONE_YES, _("Yes, I bring my own smartphone")),
            (OWN_PHONE_NO, _("No, I need one lent at the class")),
        ],
        widget=forms.RadioSelect,
    )
    language = forms.ChoiceField(label=_("Language for our messages"), choices=settings.LANGUAGES)
    consent = forms.BooleanField(label=_("I agree to this use of my details."), required=False)
    # A trap for bots, hidden from people: a filled one is answered as if sent, and not kept.
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    def __init__(self, *args, session, coordinator: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.session = session
        if session.series_id is None:
            del self.fields["dates"]
        if not session.loaner_devices:
            self.fields["own_phone"].help_text = _(
                "This class is for residents who bring their own smartphone."
            )
        self.fields["consent"].help_text = class_consent_text()
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        if coordinator:
            self.fields["consent"].label = _(
                "I read the text on the handling of personal details out on the phone and the "
                "resident agreed."
            )

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))

    @property
    def series(self) -> bool:
        return self.cleaned_data.get("dates") == self.DATES_SERIES

    def registration_data(self) -> dict:
        """The cleaned input under the API's keys, for `register_for_class`."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "kana": data["kana"],
            "phone": data["phone"],
            "language": data["language"],
            "own_phone": data["own_phone"] == self.OWN_PHONE_YES,
            "consent": bool(data["consent"]),
        }

    def show(self, error) -> None:
        """Put the service's per-field messages next to the fields they are about."""
        names = {"series": "dates"}
        for field, messages in (error.details or {}).items():
            name = names.get(field, field)
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


def class_consent_text() -> str:
    """What a registrant agrees to: the purpose of keeping their details, and for how long."""
    return _(
        "We use your name and phone number only for this class: to keep your place, to tell "
        "you about it and to count who came. Only the city's coordinators and the class's "
        "supporters see them. They are deleted %(days)d days after the class."
    ) % {"days": settings.CLASS_PERSONAL_DATA_DAYS}


class ClassFilterForm(forms.Form):
    """The public class list's filters: a GET form, so the page works without JavaScript."""

    level = forms.TypedChoiceField(
        label=pgettext_lazy("class level", "Level"),
        choices=[("", _("All levels")), *Session.Level.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    lent = forms.BooleanField(label=_("Only classes where phones are lent"), required=False)

    def classes(self, classes):
        """`classes` narrowed to what was chosen (everything when nothing valid was)."""
        if not self.is_valid():
            return classes
        if self.cleaned_data["level"]:
            classes = classes.filter(class_level=self.cleaned_data["level"])
        if self.cleaned_data["lent"]:
            classes = classes.filter(loaner_devices=True)
        return classes
