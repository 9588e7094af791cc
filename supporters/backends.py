"""Who is signed in, loaded once per public content version rather than on every request.

Django's `AuthenticationMiddleware` fetches the signed-in user on every request (`get_user`),
and every page then asks whether they are a coordinator (the header's menu, `roles()` in
config/context_processors.py) and which supporter they are (the board, My shifts). Loading the
user with their supporter (a join) and their roles (an EXISTS) was half of a kept board's CPU
(issue 9, docs/performance.md). So the loaded user is kept in each process's memory under the
public content version, which the request reads anyway for the page's kept parts
(`request_version`, once per request):

- users and supporters are public content (their querysets are `PublicContentQuerySet`s), so
  any committed write to one (a sign-in's `last_login`, a password, `is_active`, a level, a
  name) replaces the version;
- so does any change to who holds which permission: groups, permissions and their links
  (`connect_role_changes`, from `SupportersConfig.ready()`).

A process therefore never serves a user older than the last committed change to them, as no
page is older than its content. Each fetch from the memory cache is a fresh copy (it pickles),
so nothing set on one request's user reaches another's. The session itself is read on every
request, so signing out (or a password changed elsewhere, which Django's session hash catches)
takes effect at once.

The two backend classes are Django's and allauth's own, with only `get_user` changed: sign-in,
the permission checks and allauth's login by phone or username behave as before.
"""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.contrib.auth.models import Group, Permission
from django.core.cache.backends.locmem import LocMemCache
from django.db.models.signals import m2m_changed, post_delete, post_save

from config.public_pages import bump_public_version, request_version

# The users signed in on this process lately, per version: the timeout only bounds the memory.
signed_in = LocMemCache("signed-in-users", {"TIMEOUT": 10 * 60, "OPTIONS": {"MAX_ENTRIES": 2000}})


def user_with_roles(user_id):
    """The user with their supporter and roles loaded (`User.objects.with_roles()`), as of the
    current public content version: one query the first time in a version, none after."""
    key = f"{request_version()}:{user_id}"
    user = signed_in.get(key)
    if user is None:
        user = get_user_model().objects.with_roles().filter(pk=user_id).first()
        if user is None:
            return None
        user.roles_loaded(user.holds_coordinate_permission)
        signed_in.set(key, user)
    return user


class _KeptUser:
    def get_user(self, user_id):
        user = user_with_roles(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(_KeptUser, DjangoModelBackend):
    """Django's username-and-password backend (the admin's sign-in, `force_login`)."""


class AuthenticationBackend(_KeptUser, AllauthBackend):
    """allauth's backend (sign-in by phone code or username, the site's sign-in page)."""


def _roles_changed(sender, using, **kwargs):
    bump_public_version(using)


def connect_role_changes():
    """Who holds which permission is part of a kept user (`is_coordinator`): writes to groups,
    permissions and the links between them and users replace the version too. (Their querysets
    are Django's own: a bulk `update()` on them bypasses this, as on any model; nothing here
    makes one.)"""
    User = get_user_model()
    for model in (Group, Permission):
        post_save.connect(_roles_changed, sender=model, dispatch_uid=f"roles:{model._meta}")
        post_delete.connect(_roles_changed, sender=model, dispatch_uid=f"roles-gone:{model._meta}")
    for link in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(_roles_changed, sender=link, dispatch_uid=f"roles:{link._meta}")
