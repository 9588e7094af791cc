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


def require_coordinator(user):
    """The user, if they coordinate the programme; else 403 (before the body is even read)."""
    if not getattr(user, "is_coordinator", False):
        raise ApiError(403, "forbidden", gettext("Only coordinators can do this."))
    return user


class CoordinatorBearerToken(BearerToken):
    def authenticate(self, request, token):
        return require_coordinator(super().authenticate(request, token))


class CoordinatorSession(SignedInSession):
    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return require_coordinator(user) if user else None


# Endpoints for coordinators only: anyone else signed in gets 403, nobody signed in 401.
coordinator_token_or_session = [CoordinatorBearerToken(), CoordinatorSession()]
