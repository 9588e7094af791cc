"""Who may do what, for every app: decorators for pages, auth and checks for the API.

Pages send anonymous visitors to the sign-in page and refuse everyone else with
PermissionDenied, so the site's own 403 page is served. API endpoints answer 401 to nobody
signed in and 403 `forbidden` to the wrong person. What a person may see of one object (a
session's roster) is the model's to say: `Session.roster_visible_to(user)`.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext

from config.errors import ApiError
from supporters.auth import BearerToken, SignedInSession, token_or_session

__all__ = [
    "api_coordinator",
    "api_supporter",
    "coordinator_required",
    "coordinator_token_or_session",
    "supporter_or_coordinator_required",
    "supporter_required",
    "token_or_session",
]


def _page_for(allowed):
    """A page decorator: signed in (else the sign-in page), then `allowed(user)` (else 403)."""

    def decorator(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            if not allowed(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(checked)

    return decorator


def _is_supporter(user) -> bool:
    return user.supporter_or_none is not None


def coordinator_required(view):
    """Pages for coordinators only."""
    return _page_for(lambda user: user.is_coordinator)(view)


def supporter_required(view):
    """Pages for supporters only: the view finds them in `request.user.supporter_or_none`."""
    return _page_for(_is_supporter)(view)


def supporter_or_coordinator_required(view):
    """Pages for supporters and coordinators, such as the shift board."""
    return _page_for(lambda user: _is_supporter(user) or user.is_coordinator)(view)


# The API --------------------------------------------------------------------------------------


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


def api_supporter(request):
    """The caller's supporter profile; 403 for anyone else (on endpoints for supporters)."""
    supporter = request.user.supporter_or_none
    if supporter is None:
        raise ApiError(403, "forbidden", gettext("This is for supporters only."))
    return supporter


def api_coordinator(request):
    """403 unless the caller coordinates (on endpoints whose router lets supporters in too)."""
    if not request.user.is_coordinator:
        raise ApiError(403, "forbidden", gettext("This is for coordinators only."))
    return request.user
