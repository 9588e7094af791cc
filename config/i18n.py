"""Languages the app speaks: for users' and residents' language fields, and the switcher's view."""

from django.conf import settings
from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django.views.i18n import LANGUAGE_QUERY_PARAMETER


def language_choices():
    # A callable keeps migrations stable when the ten languages of a later issue are added.
    return settings.LANGUAGES


@never_cache
@require_http_methods(["GET", "POST"])
def set_language(request):
    """Django's `set_language`, answering the language switcher's GET as well as a POST.

    The switcher is a GET form (`_language_switcher.html`), so a public page holds no CSRF
    token: each anonymous response had paid for masking a new one and setting its cookie, a
    sixth of a cached page's CPU (issue 9). All a forged GET can do here is choose a language
    for the visitor, which they can choose back on any page. The choice goes into Django's
    language cookie, as Django's view puts it; `next` is followed only on this site.
    """
    data = request.POST if request.method == "POST" else request.GET
    next_url = data.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    code = data.get(LANGUAGE_QUERY_PARAMETER)
    if code in dict(settings.LANGUAGES) and check_for_language(code):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response
