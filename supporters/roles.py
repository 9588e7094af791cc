"""The coordinators group and its permissions, kept in step with the code after every migrate;
and the coordinators to text (a roster's changes, an insurance running out)."""

from supporters.models import COORDINATE_PERMISSION, COORDINATORS_GROUP, User

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


def coordinators_to_text(*, excluding=None):
    """The coordinators with a phone, to tell of a change to the rosters (not superusers: the
    city's administrators are not on call). `excluding`: the one who made the change."""
    coordinators = (
        User.objects.with_perm(
            COORDINATE_PERMISSION,
            include_superusers=False,
            backend="django.contrib.auth.backends.ModelBackend",
        )
        .exclude(phone="")
        .order_by("pk")
    )
    if excluding is not None:
        coordinators = coordinators.exclude(pk=excluding.pk)
    return coordinators
