from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SessionsConfig(AppConfig):
    name = "sessions"
    # django.contrib.sessions owns the label "sessions"; ours is permanent from the first migration.
    label = "helpdesk_sessions"
    verbose_name = _("Sessions and staffing")
