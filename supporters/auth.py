"""How API callers prove who they are: a personal token, or the browser's signed-in session."""

from django.utils.translation import gettext
from ninja.security import HttpBearer, SessionAuth

from config.errors import ApiError
from supporters.services import user_for_api_token


class BearerToken(HttpBearer):
    """`Authorization: Bearer dgs_…`, a personal token from /me/tokens/ or `issue_token`."""

    def authenticate(self, request, token):
        user = user_for_api_token(token)
        if user is None:
            # A wrong token is refused outright, never passed on to the session check: a script
            # with a revoked token must hear 401, not a CSRF complaint on its POST.
            raise ApiError(
                401,
                "unauthenticated",
                gettext("This API token is not valid, or it has been revoked."),
            )
        request.user = user
        return user


class SignedInSession(SessionAuth):
    """Ninja's `django_auth` (session cookie, CSRF checked), asked only of signed-in people.

    Anonymous callers have no session to forge, so they get 401 rather than a CSRF 403.
    """

    def __call__(self, request):
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


bearer_token = BearerToken()
signed_in_session = SignedInSession()

# Every endpoint that needs a person: a token first, then the session.
token_or_session = [bearer_token, signed_in_session]
