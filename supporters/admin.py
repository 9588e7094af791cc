from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Permission
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from config.errors import ServiceError
from supporters.insurance import FIRST_REMINDER_DAYS, plan_insurance_reminders
from supporters.models import (
    ApiToken,
    Availability,
    Invitation,
    Skill,
    SpokenLanguage,
    Supporter,
    User,
)
from supporters.phones import PhoneAdminMixin, national_phone
from supporters.services import (
    lift_sign_in_lock,
    pause_supporter,
    resume_supporter,
    revoke_invitations,
    sign_in_code_wait_minutes,
    withdraw_supporter,
)


def warning(text) -> str:
    """A list cell that needs a coordinator's attention, in the admin's error colour."""
    return format_html('<strong style="color: var(--error-fg)">⚠ {}</strong>', text)


def run_service(modeladmin, request, objects, service, *, done) -> int:
    """An admin action's body: call `service` on each object, as a page or the API would, then
    say how many changed (`done`, an ngettext_lazy numbered by "count") and why the others did
    not (each refusal's own message). Returns how many changed."""
    changed, refusals = 0, {}
    for obj in objects:
        try:
            service(obj)
        except ServiceError as error:
            refusals[str(error.message)] = refusals.get(str(error.message), 0) + 1
        else:
            changed += 1
    modeladmin.message_user(request, done % {"count": changed}, messages.SUCCESS)
    for reason, count in refusals.items():
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d was left as it was: %(reason)s",
                "%(count)d were left as they were: %(reason)s",
                count,
            )
            % {"count": count, "reason": reason},
            messages.WARNING,
        )
    return changed


# Actions go on both the list's dropdown and the object's own page.
BOTH_PLACES = [admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM]


def service_action(service, *, description, description_plural, done, objects=None):
    """An admin action that calls `service(obj, by=request.user)` on each selected object
    (through `run_service`), for a ModelAdmin to assign as a class attribute and list by name in
    `actions`. `objects`, if given, narrows or prefetches the selection first."""

    @admin.action(
        permissions=["change"],
        description=description,
        description_plural=description_plural,
        location=BOTH_PLACES,
    )
    def action(modeladmin, request, queryset):
        selected = objects(queryset) if objects is not None else queryset
        run_service(
            modeladmin, request, selected, lambda obj: service(obj, by=request.user), done=done
        )

    return action


class SupporterInline(admin.StackedInline):
    model = Supporter
    fk_name = "user"
    extra = 0
    max_num = 1
    # A supporter's history outlives the profile's page: retire them with a status instead.
    can_delete = False
    fields = [
        ("family_name", "given_name"),
        ("family_name_kana", "given_name_kana"),
        "district",
        "training_level",
        "skills",
        "languages",
        ("status", "joined_on", "paused_on", "withdrawn_on"),
        "insurance_valid_until",
        "sms_opt_in",
        "notes",
    ]
    # Withdrawing and pausing call off the supporter's coming shifts: the supporter list's
    # actions do it, through the services.
    readonly_fields = ["status", "paused_on", "withdrawn_on"]
    formfield_overrides = {models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple}}


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta(auth_forms.AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "phone", "language")


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta(auth_forms.UserChangeForm.Meta):
        model = User


def granted_permissions(user) -> set[str]:
    """Every permission given to `user`, directly or by group, even while the account is off."""
    if not hasattr(user, "_granted_permissions"):
        rows = (
            Permission.objects.filter(Q(user=user) | Q(group__user=user))
            .values_list("content_type__app_label", "codename")
            .distinct()
        )
        user._granted_permissions = {f"{app}.{codename}" for app, codename in rows}
    return user._granted_permissions


@admin.register(User)
class UserAdmin(PhoneAdminMixin, DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    phone_fields = ("phone",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("Personal info"),
            {
                "fields": (
                    ("last_name", "first_name"),
                    "email",
                    ("phone", "phone_verified"),
                    "language",
                )
            },
        ),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "usable_password",
                    "password1",
                    "password2",
                    "phone",
                    "language",
                ),
            },
        ),
    )
    list_display = [
        "username",
        "full_name",
        "national_phone",
        "phone_verified",
        "language",
        "group_names",
        "supporter_link",
        "is_staff",
        "is_active",
    ]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups", "phone_verified", "language"]
    list_select_related = ["supporter"]
    search_fields = [
        "username",
        "first_name",
        "last_name",
        "email",
        "phone",
        "supporter__family_name",
        "supporter__given_name",
        "supporter__family_name_kana",
        "supporter__given_name_kana",
    ]
    ordering = ["username"]
    readonly_fields = ["last_login", "date_joined"]
    # Only administrators hand out access: a coordinator who could tick these could make
    # themselves (or anyone) a superuser.
    access_fields = ["is_staff", "is_superuser", "groups", "user_permissions"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_inlines(self, request, obj):
        # The profile is added once the account exists (the add page asks only for sign-in).
        return [SupporterInline] if obj is not None else []

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += self.access_fields
        return readonly

    def has_change_permission(self, request, obj=None):
        # Changing an account (its password, above all) is taking it over: nobody may do that to
        # an account that holds a permission they do not hold themselves.
        if obj is not None and not request.user.is_superuser and self._outranks(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not request.user.is_superuser and self._outranks(request, obj):
            return False
        return super().has_delete_permission(request, obj)

    @staticmethod
    def _outranks(request, account) -> bool:
        """True when `account` holds powers the person asking does not."""
        return account.is_superuser or not granted_permissions(account) <= (
            request.user.get_all_permissions()
        )

    @admin.display(description=_("name"), ordering="last_name")
    def full_name(self, obj):
        return obj.get_full_name()

    @admin.display(description=_("mobile phone"), ordering="phone")
    def national_phone(self, obj):
        return national_phone(obj.phone)

    @admin.display(description=_("groups"))
    def group_names(self, obj):
        return ", ".join(group.name for group in obj.groups.all())

    @admin.display(description=_("supporter"))
    def supporter_link(self, obj):
        supporter = obj.supporter_or_none
        if supporter is None:
            return "-"
        url = reverse("admin:supporters_supporter_change", args=[supporter.pk])
        return format_html('<a href="{}">{}</a>', url, supporter)


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "sort_order"]
    list_editable = ["sort_order"]
    search_fields = ["name", "code"]
    ordering = ["sort_order", "name"]


@admin.register(Availability)
class AvailabilityAdmin(admin.ModelAdmin):
    """When supporters are usually free: they set it on their own page; editable here too."""

    list_display = ["supporter", "weekday", "part"]
    list_filter = ["weekday", "part"]
    list_select_related = ["supporter"]
    search_fields = ["supporter__family_name", "supporter__given_name"]
    autocomplete_fields = ["supporter"]


@admin.register(SpokenLanguage)
class SpokenLanguageAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "sort_order"]
    list_editable = ["sort_order"]
    search_fields = ["name", "code"]
    ordering = ["sort_order", "code"]


class InsuranceFilter(admin.SimpleListFilter):
    title = _("volunteer insurance")
    parameter_name = "insurance"

    def lookups(self, request, model_admin):
        return [
            ("valid", _("Valid")),
            ("ending", _("Ends within 30 days")),
            ("expired", _("Expired")),
            ("none", _("None recorded")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        match self.value():
            case "valid":
                return queryset.filter(insurance_valid_until__gte=today)
            case "ending":
                # The list the coordinators' text on the last insured day links to.
                last = today + timedelta(days=FIRST_REMINDER_DAYS)
                return queryset.filter(insurance_valid_until__range=(today, last))
            case "expired":
                return queryset.filter(insurance_valid_until__lt=today)
            case "none":
                return queryset.filter(insurance_valid_until__isnull=True)
        return queryset


@admin.register(Supporter)
class SupporterAdmin(PhoneAdminMixin, admin.ModelAdmin):
    list_display = [
        "full_name",
        "kana",
        "training_level",
        "status",
        "district",
        "national_phone",
        "insurance",
        "joined_on",
    ]
    list_filter = [
        "status",
        "training_level",
        "district",
        InsuranceFilter,
        "sms_opt_in",
        "skills",
        "languages",
    ]
    list_select_related = ["user", "district"]
    search_fields = [
        "family_name",
        "given_name",
        "family_name_kana",
        "given_name_kana",
        "user__username",
        "user__phone",
    ]
    autocomplete_fields = ["user"]
    date_hierarchy = "joined_on"
    ordering = ["family_name_kana", "given_name_kana", "family_name", "given_name"]
    # The status and its dates are the services': withdrawing and pausing are actions, which
    # also call off the supporter's coming shifts and tell the coordinators.
    readonly_fields = [
        "user_phone",
        "status",
        "paused_on",
        "withdrawn_on",
        "sign_in_lock",
        "created_at",
        "updated_at",
    ]
    formfield_overrides = {models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple}}
    actions = ["withdraw", "pause", "resume", "lift_sign_in_lock"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "user",
                    "user_phone",
                    "sign_in_lock",
                    ("family_name", "given_name"),
                    ("family_name_kana", "given_name_kana"),
                    "district",
                ]
            },
        ),
        (_("Training and skills"), {"fields": ["training_level", "skills", "languages"]}),
        (
            _("Status"),
            {
                "fields": [
                    "status",
                    ("joined_on", "paused_on", "withdrawn_on"),
                    "insurance_valid_until",
                    "sms_opt_in",
                ]
            },
        ),
        (_("Notes"), {"fields": ["notes", ("created_at", "updated_at")]}),
    ]

    @admin.display(description=_("name"), ordering="family_name")
    def full_name(self, obj):
        return obj.full_name

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "insurance_valid_until" in form.changed_data:
            plan_insurance_reminders()

    @admin.display(description=_("kana"), ordering="family_name_kana")
    def kana(self, obj):
        return f"{obj.family_name_kana} {obj.given_name_kana}".strip()

    @admin.display(description=_("mobile phone"), ordering="user__phone")
    def national_phone(self, obj):
        return national_phone(obj.user.phone)

    @admin.display(description=_("mobile phone"))
    def user_phone(self, obj):
        if obj.pk is None:
            return "-"
        url = reverse("admin:supporters_user_change", args=[obj.user_id])
        return format_html(
            '{} (<a href="{}">{}</a>)', national_phone(obj.user.phone), url, _("edit the account")
        )

    @admin.display(description=_("sign-in by code"))
    def sign_in_lock(self, obj):
        minutes = sign_in_code_wait_minutes(obj.user.phone) if obj.pk and obj.user.phone else 0
        if not minutes:
            return _("Not locked")
        return warning(
            ngettext(
                "Locked: too many codes sent. Free again in %(minutes)d minute, or lift the lock "
                "with the action “Lift the sign-in lock”.",
                "Locked: too many codes sent. Free again in %(minutes)d minutes, or lift the lock "
                "with the action “Lift the sign-in lock”.",
                minutes,
            )
            % {"minutes": minutes}
        )

    @admin.action(
        permissions=["change"],
        description=_("Lift the sign-in lock"),
        description_plural=_("Lift the sign-in lock of the selected supporters"),
        location=BOTH_PLACES,
    )
    def lift_sign_in_lock(self, request, queryset):
        lifted = [
            supporter
            for supporter in queryset.select_related("user")
            if lift_sign_in_lock(supporter.user, by=request.user)
        ]
        self.message_user(
            request,
            ngettext(
                "%(count)d sign-in lock lifted: a code can be sent again.",
                "%(count)d sign-in locks lifted: codes can be sent again.",
                len(lifted),
            )
            % {"count": len(lifted)},
            messages.SUCCESS,
        )

    @admin.display(
        description=_("volunteer insurance valid until"), ordering="insurance_valid_until"
    )
    def insurance(self, obj):
        valid_until = obj.insurance_valid_until
        if valid_until is None:
            return warning(_("none recorded"))
        shown = date_format(valid_until, "SHORT_DATE_FORMAT")
        if obj.is_insured_on(timezone.localdate()):
            return shown
        return warning(_("%(date)s (expired)") % {"date": shown})

    withdraw = service_action(
        withdraw_supporter,
        description=_("Withdraw this supporter (cancels their coming shifts)"),
        description_plural=_("Withdraw selected supporters (cancels their coming shifts)"),
        done=ngettext_lazy(
            "%(count)d supporter withdrawn.", "%(count)d supporters withdrawn.", "count"
        ),
    )
    pause = service_action(
        pause_supporter,
        description=_("Pause this supporter (cancels their coming shifts)"),
        description_plural=_("Pause selected supporters (cancels their coming shifts)"),
        done=ngettext_lazy("%(count)d supporter paused.", "%(count)d supporters paused.", "count"),
    )
    resume = service_action(
        resume_supporter,
        description=_("Resume this supporter"),
        description_plural=_("Resume selected supporters"),
        done=ngettext_lazy(
            "%(count)d supporter resumed.", "%(count)d supporters resumed.", "count"
        ),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made by `issue_token` and the API; here they are only looked at and revoked."""

    list_display = ["name", "user", "hint", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "created_at"]
    list_select_related = ["user"]
    search_fields = ["name", "hint", "user__username", "user__first_name", "user__last_name"]
    ordering = ["-created_at"]
    # The hash is never shown: with it a leaked database is one step closer to a working token.
    fields = ["name", "user", "hint", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "hint", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    # Revoking only takes access away, like deleting does: whoever may delete a token may
    # revoke it (roles.py withholds adding and changing tokens from coordinators, not this).
    @admin.action(
        permissions=["delete"],
        description=_("Revoke this token"),
        description_plural=_("Revoke selected tokens"),
        location=BOTH_PLACES,
    )
    def revoke(self, request, queryset):
        count = queryset.revoke()
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Invitation)
class InvitationAdmin(PhoneAdminMixin, admin.ModelAdmin):
    """Invitations are sent from the invitations page (the link's secret is made there);
    here they are looked up and revoked."""

    list_display = [
        "full_name",
        "national_phone",
        "email",
        "training_level",
        "state",
        "invited_by",
        "created_at",
        "expires_at",
    ]
    list_filter = [
        ("accepted_at", admin.EmptyFieldListFilter),
        ("revoked_at", admin.EmptyFieldListFilter),
        "training_level",
        "created_at",
    ]
    list_select_related = ["invited_by", "supporter"]
    search_fields = ["family_name", "given_name", "phone", "email"]
    ordering = ["-created_at"]
    # The hash is never shown, like API tokens'.
    fields = [
        ("family_name", "given_name"),
        ("phone", "email"),
        ("training_level", "language"),
        "invited_by",
        ("created_at", "expires_at"),
        ("accepted_at", "supporter"),
        "revoked_at",
    ]
    readonly_fields = [
        "family_name",
        "given_name",
        "phone",
        "email",
        "training_level",
        "language",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "supporter",
        "revoked_at",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("name"), ordering="family_name")
    def full_name(self, obj):
        return str(obj)

    @admin.display(description=_("mobile phone"), ordering="phone")
    def national_phone(self, obj):
        return national_phone(obj.phone)

    @admin.display(description=_("state"))
    def state(self, obj):
        return obj.get_state_display()

    @admin.action(
        permissions=["change"],
        description=_("Revoke this invitation"),
        description_plural=_("Revoke selected invitations"),
        location=BOTH_PLACES,
    )
    def revoke(self, request, queryset):
        count = revoke_invitations(queryset)
        self.message_user(
            request,
            ngettext("%(count)d invitation revoked.", "%(count)d invitations revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )
