from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from consultations.models import (
    Consultation,
    ConsultationChange,
    Feedback,
    PublishedReport,
    SessionReport,
    TallyConfirmation,
    Topic,
)


class RecordedByMixin:
    """Fills in "recorded by" with the coordinator saving the record when it was left empty."""

    def save_model(self, request, obj, form, change):
        if not obj.recorded_by_id:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]
    ordering = ["sort_order", "name"]
    # Which skills help with a topic: group visits about it suggest supporters who have them.
    filter_horizontal = ["skills"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the services write: shown here, never added, changed or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ConsultationChangeInline(admin.TabularInline):
    model = ConsultationChange
    fields = ["changed_at", "changed_by", "kind", "changes"]
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Consultations are statistics, never a resident's record (docs/architecture.md, Privacy): this
# admin shows and searches only the model's fields, none of which names a resident. The tally
# (record_consultation, undo) and a coordinator's corrections on the session's records page
# (correct_consultation, remove_consultation, restore_consultation) write them, keeping who and
# when: here they are read only, so nothing bypasses that history.
@admin.register(Consultation)
class ConsultationAdmin(ReadOnlyAdmin):
    list_display = [
        "session",
        "topic",
        "device",
        "age_band",
        "language",
        "is_resolved",
        "minutes",
        "recorded_by",
        "recorded_at",
        "undone_at",
    ]
    list_filter = ["topic", "device", "age_band", "is_resolved", "language", "session__venue"]
    list_select_related = ["session__venue", "topic", "recorded_by"]
    date_hierarchy = "session__starts_at"
    search_fields = ["topic__name", "session__title", "session__venue__name"]
    ordering = ["-session__starts_at", "-recorded_at"]
    fields = [
        "session",
        "topic",
        ("device", "age_band", "language"),
        ("is_resolved", "minutes"),
        ("recorded_by", "recorded_at"),
        ("undone_by", "undone_at"),
    ]
    readonly_fields = [
        "session",
        "topic",
        "device",
        "age_band",
        "language",
        "is_resolved",
        "minutes",
        "recorded_by",
        "recorded_at",
        "undone_by",
        "undone_at",
    ]
    inlines = [ConsultationChangeInline]


@admin.register(ConsultationChange)
class ConsultationChangeAdmin(ReadOnlyAdmin):
    """Coordinators' corrections of recorded consultations, with who and when."""

    list_display = ["consultation", "kind", "changed_by", "changed_at"]
    list_filter = ["kind"]
    list_select_related = ["consultation__topic", "changed_by"]
    date_hierarchy = "changed_at"
    fields = ["consultation", "kind", "changes", "changed_by", "changed_at"]
    readonly_fields = fields


@admin.register(SessionReport)
class SessionReportAdmin(RecordedByMixin, admin.ModelAdmin):
    list_display = ["session", "session_kind", "participants", "recorded_by", "created_at"]
    list_filter = ["session__kind", "session__venue"]
    list_select_related = ["session__venue", "recorded_by"]
    date_hierarchy = "session__starts_at"
    search_fields = [
        "session__title",
        "session__venue__name",
        "session__place_name",
        "session__dispatch_request__reference",
        "session__dispatch_request__group_name",
    ]
    autocomplete_fields = ["session", "recorded_by"]
    ordering = ["-session__starts_at"]
    readonly_fields = ["created_at", "updated_at"]
    fields = ["session", "participants", "notes", "recorded_by", ("created_at", "updated_at")]

    @admin.display(description=_("kind"), ordering="session__kind")
    def session_kind(self, obj):
        return obj.session.get_kind_display()


@admin.register(TallyConfirmation)
class TallyConfirmationAdmin(admin.ModelAdmin):
    """Written by `confirm_tally` (which marks the session held): read here, never edited."""

    list_display = ["session", "count", "confirmed_by", "confirmed_at"]
    list_select_related = ["session__venue", "confirmed_by"]
    date_hierarchy = "confirmed_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    """Residents' anonymous answers (give_feedback): counted, never edited."""

    list_display = ["session", "answer", "language", "created_at"]
    list_filter = ["answer", "language"]
    list_select_related = ["session__venue"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PublishedReport)
class PublishedReportAdmin(ReadOnlyAdmin):
    """A closed year's published figures: closed on the annual report's page, never edited."""

    list_display = ["__str__", "closed_at", "closed_by"]
    readonly_fields = ["fiscal_year", "closed_at", "closed_by"]
    exclude = ["figures"]
