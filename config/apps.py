from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfigConfig(AppConfig):
    """The project itself: home page, shared templates and static files, operator commands."""

    name = "config"
    verbose_name = _("digisapo")

    def ready(self):
        from django.apps import apps

        from config.public_pages import connect_public_models

        connect_public_models(apps.get_models())
