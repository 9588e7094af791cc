"""Sign-in backends that load who the person is in the one query that loads the user.

Django's `AuthenticationMiddleware` fetches the signed-in user on every request (`get_user`).
Every page then asks the same two things about them: are they a coordinator (the header's menu,
`roles()` in config/context_processors.py) and which supporter they are (the board, My shifts).
Asked one by one, that was two more queries per page (issue 9: at most one for a signed-in
visitor). Here the user row comes with its supporter (a join) and with whether they hold the
coordinators' permission (an EXISTS), so both answers cost nothing more.

The two classes are Django's and allauth's own, with only `get_user` changed: sign-in, the
permission checks and allauth's login by phone or username behave as before.
"""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend


class _UserWithRoles:
    def get_user(self, user_id):
        User = get_user_model()
        try:
            user = User.objects.with_roles().get(pk=user_id)
        except User.DoesNotExist:
            return None
        if not self.user_can_authenticate(user):
            return None
        return user.roles_loaded(user.holds_coordinate_permission)


class ModelBackend(_UserWithRoles, DjangoModelBackend):
    """Django's username-and-password backend (the admin's sign-in, `force_login`)."""


class AuthenticationBackend(_UserWithRoles, AllauthBackend):
    """allauth's backend (sign-in by phone code or username, the site's sign-in page)."""
