"""Parts of pages rendered once per process and kept under a key made of what they show.

The "fragments" cache is each process's own memory (settings.CACHES), so fetching a part costs
no query. Its key hashes every value the part shows, with the language, the time zone and the
year (dates show theirs when it is not this one): when anything shown changes, so does the key,
and no process can serve a stale part (issue 9). Only what is the same for everyone goes here;
the viewer's own part (their shift, a form with its CSRF token) is rendered around it.
"""

import hashlib
import time

from django.contrib.messages import get_messages
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from config.public_pages import CLOCK_STEP, request_version


def fragment_key(name: str, shown) -> str:
    context = translation.get_language(), timezone.get_current_timezone_name()
    year = timezone.localdate().year
    digest = hashlib.sha256(repr((shown, context, year)).encode()).hexdigest()
    return f"{name}:{digest}"


def cached_fragment(name: str, shown, render) -> SafeString:
    """`render()`'s HTML for `shown` (a repr-able value of everything the HTML shows), rendered
    only when this process has not rendered it for the same values yet."""
    html = caches["fragments"].get_or_set(fragment_key(name, shown), lambda: str(render()))
    # Only our own templates' output is cached, escaped as they render it.
    return mark_safe(html)


# Stands for the request's CSRF token in a kept page; each response gets its own.
CSRF_PLACEHOLDER = "__content-csrf-token__"


def kept_page(request, name: str, viewer, template: str, render_content) -> HttpResponse:
    """A signed-in page kept whole for everyone who would see the same: `template` (a thin page
    extending base.html and showing `{{ content }}`) around `render_content(csrf_token)`, kept
    per public content version, minute, language, path with its query, the layout's role flags
    and `viewer` (what of the viewer the content shows or depends on, as a repr-able value:
    their own shifts' states, not who they are, where that is all that differs).

    The version changes with every committed write to what a page shows, users included
    (config/public_pages.py), and the minute with the clock, so no key outlives its content;
    what is left per request is the session, the version and the fetch. Both renderings get a
    placeholder for the CSRF token, swapped for this visitor's on the way out, so no token is
    ever shared. A request with a message waiting is rendered for itself (the message is shown
    once). The pattern is in docs/architecture.md.
    """

    def page() -> str:
        content = mark_safe(render_content(CSRF_PLACEHOLDER))  # escaped as it rendered
        context = {"content": content, "csrf_token": CSRF_PLACEHOLDER}
        return render(request, template, context).content.decode()

    if len(get_messages(request)):
        html = page()
    else:
        user = request.user
        layout = (user.supporter_or_none is not None, user.is_coordinator, user.is_staff)
        shown = (_version_and_minute(), request.get_full_path(), layout, viewer)
        html = cached_fragment(name, shown, page)
    return HttpResponse(html.replace(CSRF_PLACEHOLDER, escape(get_token(request))))


def _version_and_minute() -> tuple:
    return request_version(), int(time.time() // CLOCK_STEP)


# Values derived from public content and the clock alone, kept a minute at most.
kept_values = LocMemCache("kept-values", {"TIMEOUT": CLOCK_STEP, "OPTIONS": {"MAX_ENTRIES": 2000}})


def kept_value(name: str, key, compute):
    """`compute()`, a value that depends only on public content (any model whose writes replace
    the public content version, config/public_pages.py), the clock and `key`: computed once per
    version and minute in this process: the board's viewer's own shifts, an API token's id and
    user. A `compute()` answering None (a token that does not exist) is kept as well."""
    return kept_values.get_or_set(fragment_key(name, (_version_and_minute(), key)), compute)


def render_content(template_name: str, context: dict, request) -> str:
    """`template_name` rendered for `kept_page`: without the context processors, whose
    values (the viewer's CSRF token, their roles) must not end up in shared HTML unless the key
    says so, but with the request, which `{% querystring %}` reads."""
    template = get_template(template_name).template
    bound = Context({"request": request, **context})
    bound.request = request
    return template.render(bound)
