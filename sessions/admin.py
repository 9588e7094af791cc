from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from consultations.models import SessionReport
from sessions.models import (
    ClassRegistration,
    ClassSeries,
    ContactAccess,
    CoverOffer,
    CoverRequest,
    DispatchInvitation,
    DispatchRequest,
    RequestEvent,
    Session,
    Shift,
)
from sessions.reminders import refresh_reminders
from sessions.services import (
    ClassError,
    SessionError,
    accept_request,
    add_registration,
    bump_calendar_sequence,
    cancel_registration,
    cancel_request,
    cancel_session,
    cancel_shift,
    decline_request,
    mark_attendance,
    mark_registrant_called,
    move_session,
    note_contact_seen,
    record_call_answer,
    reinstate_session,
    update_class,
)
from sessions.services import mark_held as mark_session_held
from sessions.services.classes import check_capacity
from supporters.admin import (
    PhoneAdminMixin,
    national_phone,
    service_action,
    warning,
)

# A session's fields that its shifts' calendar events show.
CALENDAR_FIELDS = {
    "kind",
    "title",
    "status",
    "cancellation_reason",
    "starts_at",
    "ends_at",
    "venue",
    "place_name",
    "address",
}


class RemindersOnSaveMixin:
    """A registration or request saved by a coordinator gets its day-before reminder in line."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        refresh_reminders(obj)


class ShiftInline(admin.TabularInline):
    """The roster, to read: supporters are put on and taken off through the roster page or the
    shift list's actions, which offer a freed place to the waiting list and text people."""

    model = Shift
    extra = 0
    verbose_name_plural = _("roster")
    fields = [
        "supporter",
        "role",
        "status",
        "waitlist_position",
        "offer_expires_at",
        "checked_in_at",
        "cancelled_at",
    ]
    readonly_fields = [field for field in fields if field != "role"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("supporter")


class ClassRegistrationInline(PhoneAdminMixin, admin.TabularInline):
    model = ClassRegistration
    extra = 0
    phone_fields = ("phone",)
    fields = [
        "reference",
        "name",
        "name_kana",
        "phone",
        "language",
        "needs_device",
        "status",
        "waitlist_position",
    ]
    # Seats and the waiting list are the services': registrations are added and cancelled on
    # the class registrations list, which moves the line up.
    readonly_fields = ["reference", "status", "waitlist_position"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class SessionReportInline(admin.StackedInline):
    model = SessionReport
    extra = 0
    max_num = 1
    fields = ["participants", "notes", "recorded_by"]
    autocomplete_fields = ["recorded_by"]


class TimingFilter(admin.SimpleListFilter):
    title = _("when")
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("upcoming", _("Not over yet")), ("past", _("Over"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        match self.value():
            case "upcoming":
                return queryset.filter(ends_at__gte=now)
            case "past":
                return queryset.filter(ends_at__lt=now)
        return queryset


class StaffingFilter(admin.SimpleListFilter):
    """Uses the `staffed` annotation of SessionAdmin's queryset."""

    title = _("staffing")
    parameter_name = "staffing"

    def lookups(self, request, model_admin):
        return [("short", _("Needs supporters")), ("full", _("Fully staffed"))]

    def queryset(self, request, queryset):
        match self.value():
            case "short":
                return queryset.filter(staffed__lt=F("supporters_needed"))
            case "full":
                return queryset.filter(staffed__gte=F("supporters_needed"))
        return queryset


class SessionAdminForm(forms.ModelForm):
    """Refuses what `move_session` would: the admin moves a session through it."""

    def clean(self):
        cleaned = super().clean()
        moved = {"starts_at", "ends_at"} & set(self.changed_data)
        if self.instance.pk is not None and self.instance.is_cancelled and moved:
            self.add_error("starts_at", SessionError("cancelled").message)
        self._check_class_places(cleaned)
        return cleaned

    def _check_class_places(self, cleaned) -> None:
        """A class's places change through `update_class` (issue 11): never below the seats
        taken, and not on a cancelled class."""
        instance, capacity = self.instance, cleaned.get("capacity")
        if instance.pk is None or instance.kind != Session.Kind.CLASS or not capacity:
            return
        if "capacity" not in self.changed_data:
            return
        if instance.is_cancelled:
            self.add_error("capacity", ClassError("cancelled").message)
        elif capacity < instance.capacity:
            try:
                check_capacity(instance, capacity)
            except ClassError as error:
                self.add_error("capacity", error.message)


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    form = SessionAdminForm
    list_display = ["starts", "kind", "title", "place", "status", "staffing", "class_level"]
    list_filter = [
        "status",
        "kind",
        TimingFilter,
        StaffingFilter,
        "class_level",
        "organiser",
        "venue",
        "district",
    ]
    list_select_related = ["venue"]
    date_hierarchy = "starts_at"
    search_fields = [
        "title",
        "venue__name",
        "venue__name_kana",
        "place_name",
        "address",
        "dispatch_request__reference",
        "dispatch_request__group_name",
    ]
    autocomplete_fields = ["venue", "schedule", "series"]
    ordering = ["-starts_at"]
    # The status is the services': cancelled by `cancel_session`, held by `mark_held` (actions).
    readonly_fields = ["status", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["kind", "title", "description", "status", "cancellation_reason"]}),
        (_("When"), {"fields": [("starts_at", "ends_at")]}),
        (_("Where"), {"fields": ["venue", "place_name", "address", "district"]}),
        (
            _("Who"),
            {
                "fields": [
                    "supporters_needed",
                    "min_level",
                    "capacity",
                    "loaner_devices",
                    "language",
                ]
            },
        ),
        (
            pgettext_lazy("lesson", "Class"),
            {"fields": ["class_level", "organiser", "series"]},
        ),
        (_("Record"), {"fields": ["schedule", ("created_at", "updated_at")]}),
    ]
    actions = ["mark_held", "cancel", "reinstate"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_staffing()

    def get_inlines(self, request, obj):
        if obj is None:
            return [ShiftInline]
        if obj.kind == Session.Kind.CLASS:
            return [ShiftInline, ClassRegistrationInline, SessionReportInline]
        if obj.kind == Session.Kind.DISPATCH:
            return [ShiftInline, SessionReportInline]
        return [ShiftInline]

    def save_model(self, request, obj, form, change):
        changed = set(form.changed_data) if change else set()
        # Moving goes through the service: it also replaces the session's reminders and bumps
        # the calendars' revision.
        moving = bool({"starts_at", "ends_at"} & changed)
        if moving:
            starts_at, ends_at = obj.starts_at, obj.ends_at
            obj.starts_at, obj.ends_at = form.initial["starts_at"], form.initial["ends_at"]
        # A class's places go through `update_class`: more places go to the waiting list.
        new_places = obj.kind == Session.Kind.CLASS and "capacity" in changed
        if new_places:
            capacity, obj.capacity = obj.capacity, form.initial["capacity"]
        super().save_model(request, obj, form, change)
        if new_places:
            update_class(obj, {"capacity": capacity}, by=request.user)
            obj.capacity = capacity
        if moving:
            move_session(obj, starts_at, ends_at, by=request.user)
        elif CALENDAR_FIELDS.intersection(changed):
            # Supporters' calendars must take a relocated session as a change.
            bump_calendar_sequence(obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is SessionReport:
            for report_form in formset.forms:
                if report_form.has_changed() and not report_form.instance.recorded_by_id:
                    report_form.instance.recorded_by = request.user
        super().save_formset(request, form, formset, change)
        if formset.model is ClassRegistration:
            for registration in [*formset.new_objects, *(o for o, _ in formset.changed_objects)]:
                refresh_reminders(registration)
        if formset.model is Shift and formset.changed_objects:
            changed = [shift.pk for shift, _fields in formset.changed_objects]
            bump_calendar_sequence(Shift.objects.filter(pk__in=changed))

    @admin.display(description=_("date and time"), ordering="starts_at")
    def starts(self, obj):
        starts, ends = timezone.localtime(obj.starts_at), timezone.localtime(obj.ends_at)
        return _("%(date)s (%(weekday)s) %(start)s–%(end)s") % {
            "date": date_format(starts, "SHORT_DATE_FORMAT"),
            "weekday": date_format(starts, "WEEKDAY_FORMAT"),
            "start": time_format(starts, "SHORT_TIME_FORMAT"),
            "end": time_format(ends, "SHORT_TIME_FORMAT"),
        }

    @admin.display(description=_("place"))
    def place(self, obj):
        return obj.place_label

    @admin.display(description=_("supporters (staffed / needed)"), ordering="staffed")
    def staffing(self, obj):
        shown = _("%(staffed)d / %(needed)d") % {
            "staffed": obj.staffed,
            "needed": obj.supporters_needed,
        }
        if obj.status == Session.Status.SCHEDULED and obj.staffed < obj.supporters_needed:
            return warning(shown)
        return shown

    mark_held = service_action(
        mark_session_held,
        description=_("Mark as held"),
        description_plural=_("Mark selected sessions as held"),
        # Held ones are left out: marking them again would change nothing.
        objects=lambda sessions: sessions.exclude(status=Session.Status.HELD),
        done=ngettext_lazy(
            "%(count)d session marked as held.", "%(count)d sessions marked as held.", "count"
        ),
    )
    cancel = service_action(
        # The reason typed on the session's page (and saved) goes into the texts' record.
        lambda session, by: cancel_session(session, by=by, reason=session.cancellation_reason),
        description=_("Cancel this session"),
        description_plural=_("Cancel selected sessions"),
        done=ngettext_lazy(
            "%(count)d session cancelled.", "%(count)d sessions cancelled.", "count"
        ),
    )
    reinstate = service_action(
        reinstate_session,
        description=_("Reinstate this cancelled session"),
        description_plural=_("Reinstate selected cancelled sessions"),
        done=ngettext_lazy(
            "%(count)d session reinstated.", "%(count)d sessions reinstated.", "count"
        ),
    )


N_SHIFTS_MARKED = ngettext_lazy("%(count)d shift marked.", "%(count)d shifts marked.", "count")


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    """Shifts to find and read. Their status is the services': supporters are put on a session
    from its roster page, and taken off or marked here by actions calling the same services
    (the place is offered to the waiting list, reminders are called off, people are texted)."""

    list_display = ["session", "supporter", "role", "status", "checked_in_at"]
    list_filter = ["status", "role", "session__kind", "session__venue"]
    list_select_related = ["session__venue", "supporter"]
    date_hierarchy = "session__starts_at"
    search_fields = [
        "supporter__family_name",
        "supporter__given_name",
        "supporter__family_name_kana",
        "supporter__given_name_kana",
        "session__title",
        "session__venue__name",
    ]
    ordering = ["-session__starts_at", "role", "created_at"]
    fields = [
        "session",
        "roster",
        "supporter",
        "role",
        "status",
        "waitlist_position",
        "offer_expires_at",
        "checked_in_at",
        "cancelled_at",
        ("created_at", "updated_at"),
    ]
    readonly_fields = [
        "session",
        "roster",
        "supporter",
        "status",
        "waitlist_position",
        "offer_expires_at",
        "checked_in_at",
        "cancelled_at",
        "created_at",
        "updated_at",
    ]
    actions = ["take_off_roster", "mark_attended", "mark_no_show"]

    def has_add_permission(self, request):
        return False  # from the session's roster page, which checks the rules of signing up

    def has_delete_permission(self, request, obj=None):
        return False  # a shift is history: taken off the roster, it stays as cancelled

    @admin.display(description=_("roster"))
    def roster(self, obj):
        url = reverse("helpdesk_sessions:roster", args=[obj.session_id])
        return format_html('<a href="{}">{}</a>', url, _("Open the session's roster"))

    take_off_roster = service_action(
        cancel_shift,
        description=_("Take off the roster"),
        description_plural=_("Take selected shifts off their rosters"),
        objects=lambda shifts: shifts.select_related("session"),
        done=ngettext_lazy("%(count)d shift cancelled.", "%(count)d shifts cancelled.", "count"),
    )
    mark_attended = service_action(
        lambda shift, by: mark_attendance(shift, Shift.Status.ATTENDED, by=by),
        description=_("Mark as attended"),
        description_plural=_("Mark selected shifts as attended"),
        done=N_SHIFTS_MARKED,
    )
    mark_no_show = service_action(
        lambda shift, by: mark_attendance(shift, Shift.Status.NO_SHOW, by=by),
        description=_("Mark as did not come"),
        description_plural=_("Mark selected shifts as did not come"),
        done=N_SHIFTS_MARKED,
    )


@admin.register(DispatchRequest)
class DispatchRequestAdmin(RemindersOnSaveMixin, PhoneAdminMixin, admin.ModelAdmin):
    """A back office: requests are triaged and scheduled on the coordinators' requests page, and
    here only by actions that call the services; the status, the session, who handled it, the
    call-back task and the purge are theirs."""

    phone_fields = ("representative_phone",)
    actions = ["accept", "decline", "cancel"]

    # The list names no one: the contact details are on a request's own page, where each view
    # is recorded (ContactAccess), as on the coordinators' pages.
    list_display = [
        "reference",
        "group_name",
        "residents_count",
        "preferred_date_1",
        "district",
        "status",
        "channel",
        "created_at",
    ]
    list_filter = ["status", "channel", "district", "preferred_time", "wifi", "preferred_language"]
    list_select_related = ["district"]
    date_hierarchy = "created_at"
    search_fields = [
        "reference",
        "group_name",
        "representative_name",
        "representative_kana",
        "representative_phone",
        "place_name",
        "address",
    ]
    ordering = ["-created_at"]
    readonly_fields = [
        "reference",
        "status",
        "session",
        "handled_by",
        "entered_by",
        "consent_at",
        "call_back",
        "call_back_since",
        "purged_at",
        "created_at",
        "updated_at",
    ]
    formfield_overrides = {models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple}}
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "reference",
                    "status",
                    "channel",
                    "group_name",
                    "residents_count",
                    "district",
                ]
            },
        ),
        (
            _("Representative"),
            {
                "fields": [
                    ("representative_name", "representative_kana"),
                    ("representative_phone", "representative_email"),
                    "preferred_language",
                ]
            },
        ),
        (
            _("What the group asks for"),
            {
                "fields": [
                    ("preferred_date_1", "preferred_date_2", "preferred_date_3"),
                    "preferred_time",
                    "place_name",
                    "address",
                    "topics",
                    "devices",
                    "wifi",
                    "message",
                ]
            },
        ),
        (
            _("Handling"),
            {
                "fields": [
                    "session",
                    "handled_by",
                    ("entered_by", "consent_at"),
                    ("call_back", "call_back_since"),
                    "coordinator_notes",
                    "decline_reason",
                    ("created_at", "updated_at", "purged_at"),
                ]
            },
        ),
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "devices":
            # A list of device kinds, ticked rather than typed as JSON.
            return forms.MultipleChoiceField(
                label=db_field.verbose_name,
                help_text=db_field.help_text,
                choices=DispatchRequest.Device.choices,
                widget=forms.CheckboxSelectMultiple,
                required=False,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET" and (obj := self.get_object(request, object_id)):
            note_contact_seen(obj, request.user, where="admin")
        return super().change_view(request, object_id, form_url, extra_context)

    accept = service_action(
        accept_request,
        description=_("Accept this request"),
        description_plural=_("Accept selected requests"),
        done=ngettext_lazy("%(count)d request accepted.", "%(count)d requests accepted.", "count"),
    )
    decline = service_action(
        decline_request,
        description=_("Decline this request (with the reason saved on its page)"),
        description_plural=_("Decline selected requests"),
        done=ngettext_lazy("%(count)d request declined.", "%(count)d requests declined.", "count"),
    )
    cancel = service_action(
        cancel_request,
        description=_("Cancel this request (and its visit session)"),
        description_plural=_("Cancel selected requests (and their visit sessions)"),
        done=ngettext_lazy(
            "%(count)d request cancelled.", "%(count)d requests cancelled.", "count"
        ),
    )


@admin.register(ClassRegistration)
class ClassRegistrationAdmin(RemindersOnSaveMixin, PhoneAdminMixin, admin.ModelAdmin):
    phone_fields = ("phone",)

    list_display = [
        "reference",
        "name",
        "name_kana",
        "national_phone",
        "session",
        "status",
        "waitlist_position",
        "needs_device",
        "created_at",
    ]
    list_filter = ["status", "needs_device", "language", "session__venue", "call_back_since"]
    list_select_related = ["session__venue"]
    date_hierarchy = "session__starts_at"
    search_fields = ["reference", "name", "name_kana", "phone", "session__title"]
    autocomplete_fields = ["session"]
    ordering = ["-session__starts_at", "status", "waitlist_position", "created_at"]
    # Seats and the waiting list are the services': a new registration gets a seat or a place
    # in line from `add_registration`, and cancelling moves the line up. Offers, calls, consent
    # and the purge are theirs too (issue 11).
    readonly_fields = [
        "reference",
        "status",
        "waitlist_position",
        "offer_expires_at",
        "call_back_since",
        "called_back_at",
        "consent_at",
        "entered_by",
        "purged_at",
        "created_at",
        "updated_at",
    ]
    actions = [
        "cancel",
        "took_seat_on_the_phone",
        "declined_seat_on_the_phone",
        "told_on_the_phone",
    ]

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        # Moving a registration to another class would skip that class's seats and line.
        return [*readonly, "session"] if obj is not None else readonly

    def has_delete_permission(self, request, obj=None):
        return False  # cancel instead: the seat goes to the next in line

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            add_registration(obj, by=request.user)

    cancel = service_action(
        cancel_registration,
        description=_("Cancel this registration"),
        description_plural=_("Cancel selected registrations"),
        done=ngettext_lazy(
            "%(count)d registration cancelled.", "%(count)d registrations cancelled.", "count"
        ),
    )

    # A landline offered a seat waits for a coordinator's call (`ClassRegistration.objects
    # .to_call()`): the answer goes through the service, which passes a declined seat on.
    took_seat_on_the_phone = service_action(
        lambda registration, by: record_call_answer(registration, accepted=True, by=by),
        description=_("Phoned: takes the offered seat"),
        description_plural=_("Phoned: take the offered seats"),
        done=ngettext_lazy(
            "%(count)d offered seat taken.", "%(count)d offered seats taken.", "count"
        ),
    )
    declined_seat_on_the_phone = service_action(
        lambda registration, by: record_call_answer(registration, accepted=False, by=by),
        description=_("Phoned: declines the offered seat"),
        description_plural=_("Phoned: decline the offered seats"),
        done=ngettext_lazy(
            "%(count)d offered seat passed on.", "%(count)d offered seats passed on.", "count"
        ),
    )

    # A landline whose class was called off: the coordinator phoned them.
    told_on_the_phone = service_action(
        mark_registrant_called,
        description=_("Phoned: told them the class is off"),
        description_plural=_("Phoned: told them the class is off"),
        done=ngettext_lazy("%(count)d call recorded.", "%(count)d calls recorded.", "count"),
    )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "session":
            kwargs["queryset"] = Session.objects.of_kind(Session.Kind.CLASS)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("phone"), ordering="phone")
    def national_phone(self, obj):
        return national_phone(obj.phone)


class RecordAdmin(admin.ModelAdmin):
    """A record the services write (a request's history, a view of contact details, an
    invitation's outcome): read in the back office, never written there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RequestEvent)
class RequestEventAdmin(RecordAdmin):
    list_display = ["at", "request", "kind", "by", "note"]
    list_filter = ["kind"]
    list_select_related = ["request", "by"]
    search_fields = ["request__reference"]
    date_hierarchy = "at"


@admin.register(ContactAccess)
class ContactAccessAdmin(RecordAdmin):
    list_display = ["at", "request", "user", "where"]
    list_filter = ["where"]
    list_select_related = ["request", "user"]
    search_fields = ["request__reference", "user__username"]
    date_hierarchy = "at"


@admin.register(DispatchInvitation)
class DispatchInvitationAdmin(RecordAdmin):
    list_display = ["created_at", "session", "supporter", "outcome", "answered_at"]
    list_filter = ["outcome"]
    list_select_related = ["session__venue", "supporter"]
    search_fields = ["supporter__family_name", "supporter__given_name"]


class CoverOfferInline(admin.TabularInline):
    model = CoverOffer
    fields = ["supporter", "outcome", "created_at", "answered_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CoverRequest)
class CoverRequestAdmin(RecordAdmin):
    """Cover requests (issue 13): asked and answered by supporters, closed by the services."""

    list_display = ["deadline", "shift", "status", "taken_by", "created_at"]
    list_filter = ["status"]
    list_select_related = ["shift__session__venue", "shift__supporter", "taken_by"]
    search_fields = ["shift__supporter__family_name", "shift__supporter__given_name"]
    date_hierarchy = "deadline"
    inlines = [CoverOfferInline]


@admin.register(CoverOffer)
class CoverOfferAdmin(RecordAdmin):
    list_display = ["created_at", "request", "supporter", "outcome", "answered_at"]
    list_filter = ["outcome"]
    list_select_related = [
        "request__shift__session__venue",
        "request__shift__supporter",
        "supporter",
    ]
    search_fields = ["supporter__family_name", "supporter__given_name"]
    exclude = ["token"]  # the link's secret: the supporter's, not the back office's


class SeriesClassInline(admin.TabularInline):
    """A series' classes, to read: each is changed on its own page (or the class desk)."""

    model = Session
    fk_name = "series"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["starts_at", "title", "class_level", "venue", "capacity", "status"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ClassSeries)
class ClassSeriesAdmin(admin.ModelAdmin):
    """Series of classes (issue 11). Their classes are made on the class desk, all dates at
    once (`create_series`, skipping closed days); here the title and description are edited."""

    list_display = ["title", "created_at"]
    search_fields = ["title"]
    fields = ["title", "description", "created_at"]
    readonly_fields = ["created_at"]
    inlines = [SeriesClassInline]

    def has_delete_permission(self, request, obj=None):
        # A series with classes keeps them together in the statistics (`on_delete=PROTECT`).
        return obj is None or not obj.classes.exists()
