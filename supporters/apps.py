from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SupportersConfig(AppConfig):
    name = "supporters"
    verbose_name = _("Supporters")

    def ready(self):
        from allauth.account.signals import login_code_rejected

        from notifications import signals
        from notifications.planners import register_reminder_planner
        from notifications.recipients import register_recipient_filter, register_recipient_name
        from supporters import outbox
        from supporters.adapters import note_last_wrong_code
        from supporters.backends import connect_role_changes
        from supporters.insurance import insurance_reminders
        from supporters.roles import ensure_coordinators_group

        login_code_rejected.connect(note_last_wrong_code, dispatch_uid="digisapo_wrong_code")
        connect_role_changes()

        # post_migrate runs once per app, with contrib.auth's permission step first. Hooking the
        # last of our apps means every permission the group needs exists by then.
        post_migrate.connect(
            ensure_coordinators_group,
            sender=apps.get_app_config("notifications"),
            dispatch_uid="digisapo_coordinators_group",
        )
        # The outbox knows numbers; supporters tells it who turned texts off, and hears STOP.
        register_recipient_filter(outbox.supporters_who_turned_texts_off)
        register_recipient_name(outbox.supporter_name_by_phone)
        signals.opted_out.connect(outbox.turn_texts_off, dispatch_uid="supporters_opted_out")
        signals.opted_in.connect(outbox.turn_texts_on, dispatch_uid="supporters_opted_in")
        # Volunteer insurance running out: texts planned by the day (issue 13).
        register_reminder_planner(insurance_reminders)
