from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SessionsConfig(AppConfig):
    name = "sessions"
    # django.contrib.sessions owns the label "sessions"; ours is permanent from the first migration.
    label = "helpdesk_sessions"
    verbose_name = _("Sessions and staffing")

    def ready(self):
        from notifications.replies import register_reply_handler
        from sessions.replies import (
            ACTIONS,
            CLASS_ACTIONS,
            COVER_ACTIONS,
            REQUEST_ACTIONS,
            answer_class_offer,
            answer_cover_reply,
            answer_representative,
            answer_shift_reply,
        )

        # Supporters answer reminders, offers and invitations with 1 or 2 (issue 8:
        # notifications is a leaf); then class registrants offered a seat (issue 11), whose 1
        # is theirs only when no supporter has that number; then groups' representatives
        # (issue 10), whose number a supporter's never is.
        register_reply_handler(answer_shift_reply, actions=ACTIONS)
        # 3 asks for cover for the reminded shift; a 1 taking a shift to cover is the first
        # handler's, as every supporter's 1 is (issue 13).
        register_reply_handler(answer_cover_reply, actions=COVER_ACTIONS)
        register_reply_handler(answer_class_offer, actions=CLASS_ACTIONS)
        register_reply_handler(answer_representative, actions=REQUEST_ACTIONS)
        from notifications.planners import register_reminder_planner
        from sessions.services.missed import missed_shift_questions

        # The morning after a session, its lead (or the coordinators) is asked about the shifts
        # nobody checked in nor marked (issue 13).
        register_reminder_planner(missed_shift_questions)
        from sessions.services.membership import on_supporter_leaving
        from supporters.signals import supporter_leaving

        # A supporter who withdraws or pauses gives up their coming shifts (supporters owns the
        # status and cannot import sessions, so it tells us).
        supporter_leaving.connect(on_supporter_leaving, dispatch_uid="sessions_supporter_leaving")
