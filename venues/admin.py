from datetime import timedelta

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sessions.services import ScheduleError, change_schedule, generate_sessions
from sessions.services.schedules import CHANGEABLE_FIELDS
from venues.models import Closure, District, HelpdeskSchedule, Venue

# How far ahead the schedule action creates sessions: two months of a twice-monthly desk.
GENERATE_WEEKS = 8


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "name_kana", "code", "population", "sort_order"]
    list_editable = ["sort_order"]
    search_fields = ["name", "name_kana", "code"]
    ordering = ["sort_order", "name"]
    filter_horizontal = ["neighbours"]


class HelpdeskScheduleInline(admin.TabularInline):
    model = HelpdeskSchedule
    extra = 0
    fields = [
        "weekday",
        "weeks_of_month",
        "start_time",
        "end_time",
        "supporters_needed",
        "valid_from",
        "valid_until",
    ]


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "name_kana",
        "district",
        "address",
        "phone",
        "is_helpdesk",
        "has_wifi",
        "is_active",
    ]
    list_filter = ["is_helpdesk", "is_active", "district", "has_wifi"]
    list_select_related = ["district"]
    search_fields = ["name", "name_kana", "address"]
    ordering = ["name_kana", "name"]
    inlines = [HelpdeskScheduleInline]
    fieldsets = [
        (
            None,
            {"fields": ["name", "name_kana", "address", "district", "phone", "is_helpdesk"]},
        ),
        (_("Getting there"), {"fields": ["access_notes", "accessibility_notes"]}),
        (_("Wi-Fi"), {"fields": ["has_wifi", "wifi_notes"]}),
        (_("Map"), {"fields": [("latitude", "longitude")]}),
        (None, {"fields": ["is_active"]}),
    ]


class InForceFilter(admin.SimpleListFilter):
    title = _("in force")
    parameter_name = "in_force"

    def lookups(self, request, model_admin):
        return [("yes", _("In force today")), ("no", _("Not in force today"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        in_force = HelpdeskSchedule.objects.in_force_on(today).values("pk")
        match self.value():
            case "yes":
                return queryset.filter(pk__in=in_force)
            case "no":
                return queryset.exclude(pk__in=in_force)
        return queryset


@admin.register(HelpdeskSchedule)
class HelpdeskScheduleAdmin(admin.ModelAdmin):
    list_display = [
        "venue",
        "weekday",
        "weeks_of_month",
        "start_time",
        "end_time",
        "supporters_needed",
        "valid_from",
        "valid_until",
    ]
    list_filter = [InForceFilter, "weekday", "venue"]
    list_select_related = ["venue"]
    search_fields = ["venue__name", "venue__name_kana"]
    autocomplete_fields = ["venue"]
    ordering = ["venue__name_kana", "weekday", "start_time"]
    actions = ["generate_sessions"]

    def get_readonly_fields(self, request, obj=None):
        # A rule's sessions stay at its venue: a schedule elsewhere is a new schedule.
        return ["venue"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        """A changed rule goes through `change_schedule`, as on the schedules page: the
        sessions to come with nobody on them follow it; those with sign-ups are named."""
        if not change:
            return super().save_model(request, obj, form, change)
        changes = {
            name: form.cleaned_data[name] for name in CHANGEABLE_FIELDS if name in form.changed_data
        }
        result = change_schedule(obj, by=request.user, **changes)
        if result.left_alone:
            left = ", ".join(str(session) for session in result.left_alone)
            self.message_user(
                request,
                _("Left as they were, supporters are signed up: %(sessions)s") % {"sessions": left},
                messages.WARNING,
            )

    def has_generate_permission(self, request):
        return request.user.has_perm("helpdesk_sessions.add_session")

    @admin.action(
        permissions=["generate"],
        description=_("Create sessions for the next 8 weeks"),
        location=[admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM],
    )
    def generate_sessions(self, request, queryset):
        first = timezone.localdate()
        last = first + timedelta(weeks=GENERATE_WEEKS, days=-1)
        created = 0
        for schedule in queryset.select_related("venue"):
            try:
                created += len(generate_sessions(schedule, first, last, by=request.user).created)
            except ScheduleError as error:
                self.message_user(request, f"{schedule.venue}: {error.message}", messages.ERROR)
        self.message_user(
            request,
            ngettext("%(count)d session created.", "%(count)d sessions created.", created)
            % {"count": created},
            messages.SUCCESS,
        )


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    """Closed days coordinators add; generating sessions skips them (holidays and the New Year
    are skipped without a row)."""

    list_display = ["starts_on", "ends_on", "venue", "reason"]
    list_filter = ["venue"]
    list_select_related = ["venue"]
    search_fields = ["reason", "venue__name"]
    autocomplete_fields = ["venue"]
    date_hierarchy = "starts_on"
    ordering = ["-starts_on"]
