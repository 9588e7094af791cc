"""htmx and signing in: an expired session must lead to the sign-in page, not into a card."""

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


class HtmxSignInRedirectMiddleware:
    """Turn `login_required`'s redirect of an htmx request into `HX-Redirect` to the sign-in page.

    htmx follows a redirect itself and would draw the whole sign-in page inside the shift card
    (issue 8). The browser goes to the sign-in page instead, and back to the page it was on
    (`HX-Current-URL`, e.g. the board with its filters), where the action is offered again:
    a POST-only URL such as the card's sign-up is no page to come back to.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.headers.get("HX-Request") != "true" or response.status_code != 302:
            return response
        login_url = resolve_url(settings.LOGIN_URL)
        if urlsplit(response["Location"]).path != login_url:
            return response
        back = urlsplit(request.headers.get("HX-Current-URL", ""))
        back_path = back.path + (f"?{back.query}" if back.query else "")
        if not back.path or not url_has_allowed_host_and_scheme(
            request.headers.get("HX-Current-URL"), {request.get_host()}, request.is_secure()
        ):
            back_path = resolve_url("home")
        answer = HttpResponse(status=204)  # no swap: htmx only follows the header
        answer["HX-Redirect"] = f"{login_url}?{urlencode({REDIRECT_FIELD_NAME: back_path})}"
        return answer
