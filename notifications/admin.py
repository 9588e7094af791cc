from django.contrib import admin, messages
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications.models import InboundMessage, OptOut, OutboundMessage
from notifications.services import mark_read as mark_messages_read
from notifications.services import opt_in, opt_out, retry_failed
from supporters.phones import PhoneAdminMixin, national_phone

BOTH_PLACES = [admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM]


@admin.register(OutboundMessage)
class OutboundMessageAdmin(PhoneAdminMixin, admin.ModelAdmin):
    """The outbox as the sender left it: read, and pending messages cancelled, never edited."""

    list_display = [
        "created_at",
        "recipient",
        "purpose",
        "status",
        "segments",
        "attempts",
        "send_after",
        "sent_at",
        "error_code",
    ]
    list_filter = ["status", "purpose", "language", "error_code"]
    date_hierarchy = "created_at"
    # Not the text: a search could spell out a sign-in code digit by digit.
    search_fields = ["to", "provider_id"]
    ordering = ["-created_at"]
    fields = [
        ("to", "language", "purpose"),
        "text",
        ("status", "segments", "attempts"),
        ("send_after", "sent_at"),
        ("error_code", "last_error"),
        "about",
        ("provider_id", "idempotency_key"),
        ("created_at", "updated_at"),
    ]
    readonly_fields = [
        "to",
        "language",
        "purpose",
        "text",
        "status",
        "segments",
        "attempts",
        "send_after",
        "sent_at",
        "error_code",
        "last_error",
        "about",
        "provider_id",
        "idempotency_key",
        "created_at",
        "updated_at",
    ]
    actions = ["cancel_pending", "retry"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("recipient"), ordering="to")
    def recipient(self, obj):
        return national_phone(obj.to)

    @admin.display(description=_("text"))
    def text(self, obj):
        return obj.display_body  # never a sign-in code

    @admin.display(description=_("about"))
    def about(self, obj):
        return obj.related_object or "-"

    @admin.action(
        permissions=["change"],
        description=_("Cancel this message if not sent yet"),
        description_plural=_("Cancel selected messages not sent yet"),
        location=BOTH_PLACES,
    )
    def cancel_pending(self, request, queryset):
        count = queryset.cancel()
        self.message_user(
            request,
            ngettext("%(count)d message cancelled.", "%(count)d messages cancelled.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(
        permissions=["change"],
        description=_("Send this message again if it failed"),
        description_plural=_("Send selected failed messages again"),
        location=BOTH_PLACES,
    )
    def retry(self, request, queryset):
        count = retry_failed(queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d failed message queued again.",
                "%(count)d failed messages queued again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(OptOut)
class OptOutAdmin(PhoneAdminMixin, admin.ModelAdmin):
    phone_fields = ("phone",)
    list_display = ["national_phone", "source", "created_at"]
    list_filter = ["source"]
    date_hierarchy = "created_at"
    search_fields = ["phone"]
    ordering = ["-created_at"]
    fields = ["phone", "source", "created_at"]
    readonly_fields = ["created_at"]

    @admin.display(description=_("phone"), ordering="phone")
    def national_phone(self, obj):
        return national_phone(obj.phone)

    # An opt-out is two facts kept in step (this row and the supporter's "receives SMS"), and
    # adding one calls off queued texts: the admin goes through the same functions as STOP/START.
    def save_model(self, request, obj, form, change):
        if change and "phone" in form.changed_data:
            opt_in(form.initial["phone"])
        opt_out(obj.phone, source=obj.source or "admin")

    def delete_model(self, request, obj):
        opt_in(obj.phone)

    def delete_queryset(self, request, queryset):
        for phone in queryset.values_list("phone", flat=True):
            opt_in(phone)


@admin.register(InboundMessage)
class InboundMessageAdmin(PhoneAdminMixin, admin.ModelAdmin):
    list_display = ["received_at", "sender", "excerpt", "action_done", "is_read"]
    list_filter = ["is_read", "action"]
    date_hierarchy = "received_at"
    search_fields = ["from_number", "body"]
    ordering = ["-received_at"]
    fields = [
        *("from_number", "to_number", "received_at", "body", "action_done", "provider_id"),
        "is_read",
    ]
    readonly_fields = [
        *("from_number", "to_number", "received_at", "body", "action_done", "provider_id"),
    ]
    actions = ["mark_read"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("from"), ordering="from_number")
    def sender(self, obj):
        return national_phone(obj.from_number)

    @admin.display(description=_("text"))
    def excerpt(self, obj):
        return Truncator(obj.body).chars(60)

    @admin.display(description=_("action"), ordering="action")
    def action_done(self, obj):
        # The code is the answering app's; its label says what was done (notifications.replies).
        return obj.action_label

    @admin.action(
        permissions=["change"],
        description=_("Mark as read"),
        description_plural=_("Mark selected messages as read"),
        location=BOTH_PLACES,
    )
    def mark_read(self, request, queryset):
        count = mark_messages_read(queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d message marked as read.", "%(count)d messages marked as read.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )
