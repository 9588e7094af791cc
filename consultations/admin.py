from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from consultations.models import Consultation, Feedback, SessionReport, TallyConfirmation, Topic


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


# Consultations are statistics, never a resident's record (docs/architecture.md, Privacy): this
# admin shows and searches only the model's fields, none of which names a resident.
@admin.register(Consultation)
class ConsultationAdmin(RecordedByMixin, admin.ModelAdmin):
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
    ]
    list_filter = ["topic", "device", "age_band", "is_resolved", "language", "session__venue"]
    list_select_related = ["session__venue", "topic", "recorded_by"]
    date_hierarchy = "session__starts_at"
    search_fields = ["topic__name", "session__title", "session__venue__name"]
    autocomplete_fields = ["session", "recorded_by"]
    ordering = ["-session__starts_at", "-recorded_at"]
    readonly_fields = ["recorded_at"]
    fields = [
        "session",
        "topic",
        ("device", "age_band", "language"),
        ("is_resolved", "minutes"),
        ("recorded_by", "recorded_at"),
    ]


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
