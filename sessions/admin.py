from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from consultations.models import Device, SessionReport
from notifications.services import refresh_reminders, reschedule_for_session
from sessions.models import ClassRegistration, DispatchRequest, Session, Shift
from sessions.services import SessionError, bump_calendar_sequence, cancel_session, move_session
from supporters.admin import PhoneAdminMixin, national_phone, warning

BOTH_PLACES = [admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM]
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
    autocomplete_fields = ["supporter"]

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
    readonly_fields = ["reference"]


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
    """Refuses what `cancel_session` and `move_session` would: the admin saves through them."""

    def clean(self):
        cleaned = super().clean()
        was, status = self.initial.get("status"), cleaned.get("status")
        if self.instance.pk is None or was is None:
            return cleaned
        cancelled = Session.Status.CANCELLED
        if status == cancelled and was not in (cancelled, Session.Status.SCHEDULED):
            self.add_error("status", SessionError("not_scheduled").message)
        elif status == cancelled == was and {"starts_at", "ends_at"} & set(self.changed_data):
            self.add_error("starts_at", SessionError("cancelled").message)
        return cleaned


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    form = SessionAdminForm
    list_display = ["starts", "kind", "title", "place", "status", "staffing"]
    list_filter = ["status", "kind", TimingFilter, StaffingFilter, "venue", "district"]
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
    autocomplete_fields = ["venue", "schedule"]
    ordering = ["-starts_at"]
    readonly_fields = ["created_at", "updated_at"]
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
        (_("Record"), {"fields": ["schedule", ("created_at", "updated_at")]}),
    ]
    actions = ["mark_held", "cancel"]

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
        # Cancelling and moving go through the services: they also call off or replace the
        # session's reminders, text the people taking part and bump the calendars' revision.
        cancelling = "status" in changed and obj.status == Session.Status.CANCELLED
        moving = not cancelling and bool({"starts_at", "ends_at"} & changed)
        if cancelling:
            obj.status = form.initial["status"]
        if moving:
            starts_at, ends_at = obj.starts_at, obj.ends_at
            obj.starts_at, obj.ends_at = form.initial["starts_at"], form.initial["ends_at"]
        super().save_model(request, obj, form, change)
        if cancelling:
            cancel_session(obj, by=request.user, reason=obj.cancellation_reason)
        elif moving:
            move_session(obj, starts_at, ends_at, by=request.user)
        elif CALENDAR_FIELDS.intersection(changed):
            # Supporters' calendars must take a relocated session as a change.
            bump_calendar_sequence(obj)
            if "status" in changed:
                reschedule_for_session(obj)  # a cancelled session reinstated: its reminders too

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

    @admin.action(
        permissions=["change"],
        description=_("Mark as held"),
        description_plural=_("Mark selected sessions as held"),
        location=BOTH_PLACES,
    )
    def mark_held(self, request, queryset):
        now = timezone.now()
        ids = list(queryset.values_list("pk", flat=True))
        selected = Session.objects.filter(pk__in=ids)
        # Only a scheduled session that has begun can have been held; the annual figures count it.
        done = selected.filter(status=Session.Status.SCHEDULED, starts_at__lte=now).update(
            status=Session.Status.HELD, updated_at=now
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d session marked as held.", "%(count)d sessions marked as held.", done
            )
            % {"count": done},
            messages.SUCCESS,
        )
        if skipped := len(ids) - done:
            self.message_user(
                request,
                ngettext(
                    "%(count)d session was left as it was: only a scheduled session that has "
                    "started can be marked as held.",
                    "%(count)d sessions were left as they were: only a scheduled session that "
                    "has started can be marked as held.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    @admin.action(
        permissions=["change"],
        description=_("Cancel this session"),
        description_plural=_("Cancel selected sessions"),
        location=BOTH_PLACES,
    )
    def cancel(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        done = 0
        for session in Session.objects.filter(pk__in=ids, status=Session.Status.SCHEDULED):
            try:
                cancel_session(session, by=request.user)
            except SessionError:
                continue  # changed meanwhile: counted as left as it was
            done += 1
        self.message_user(
            request,
            ngettext("%(count)d session cancelled.", "%(count)d sessions cancelled.", done)
            % {"count": done},
            messages.SUCCESS,
        )
        if skipped := len(ids) - done:
            self.message_user(
                request,
                ngettext(
                    "%(count)d session was left as it was: only a scheduled session can be "
                    "cancelled.",
                    "%(count)d sessions were left as they were: only a scheduled session can "
                    "be cancelled.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
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
    autocomplete_fields = ["session", "supporter"]
    ordering = ["-session__starts_at", "role", "created_at"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(DispatchRequest)
class DispatchRequestAdmin(RemindersOnSaveMixin, PhoneAdminMixin, admin.ModelAdmin):
    phone_fields = ("representative_phone",)

    list_display = [
        "reference",
        "group_name",
        "representative_name",
        "phone",
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
    autocomplete_fields = ["session", "handled_by"]
    ordering = ["-created_at"]
    readonly_fields = ["reference", "created_at", "updated_at"]
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
                    "coordinator_notes",
                    "decline_reason",
                    ("created_at", "updated_at"),
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
                choices=Device.choices,
                widget=forms.CheckboxSelectMultiple,
                required=False,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("representative's phone"), ordering="representative_phone")
    def phone(self, obj):
        return national_phone(obj.representative_phone)


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
    list_filter = ["status", "needs_device", "language", "session__venue"]
    list_select_related = ["session__venue"]
    date_hierarchy = "session__starts_at"
    search_fields = ["reference", "name", "name_kana", "phone", "session__title"]
    autocomplete_fields = ["session"]
    ordering = ["-session__starts_at", "status", "waitlist_position", "created_at"]
    readonly_fields = ["reference", "created_at", "updated_at"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "session":
            kwargs["queryset"] = Session.objects.of_kind(Session.Kind.CLASS)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("phone"), ordering="phone")
    def national_phone(self, obj):
        return national_phone(obj.phone)
