"""The coordinators group and its permissions, kept in step with the code after every migrate."""

from supporters.models import COORDINATORS_GROUP

# Coordinators run the programme: every domain model of these apps, and the admin to do it in.
COORDINATOR_APPS = ("supporters", "venues", "helpdesk_sessions", "consultations", "notifications")
WITHHELD = {("supporters", "user"): {"delete"}, ("supporters", "apitoken"): {"add", "change"}}


def ensure_coordinators_group(**kwargs):
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name=COORDINATORS_GROUP)
    permissions = [
        permission
        for permission in Permission.objects.filter(
            content_type__app_label__in=COORDINATOR_APPS
        ).select_related("content_type")
        if permission.codename.split("_", 1)[0]
        not in WITHHELD.get((permission.content_type.app_label, permission.content_type.model), ())
    ]
    group.permissions.set(permissions)
