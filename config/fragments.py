"""Parts of pages rendered once per process and kept under a key made of what they show.

The "fragments" cache is each process's own memory (settings.CACHES), so fetching a part costs
no query. Its key hashes every value the part shows, with the language, the time zone and the
year (dates show theirs when it is not this one): when anything shown changes, so does the key,
and no process can serve a stale part (issue 9). Only what is the same for everyone goes here;
the viewer's own part (their shift, a form with its CSRF token) is rendered around it.
"""

import hashlib

from django.core.cache import caches
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe


def fragment_key(name: str, shown) -> str:
    context = translation.get_language(), timezone.get_current_timezone_name()
    year = timezone.localdate().year
    digest = hashlib.sha256(repr((shown, context, year)).encode()).hexdigest()
    return f"{name}:{digest}"


def cached_fragment(name: str, shown, render) -> SafeString:
    """`render()`'s HTML for `shown` (a repr-able value of everything the HTML shows), rendered
    only when this process has not rendered it for the same values yet."""
    fragments = caches["fragments"]
    key = fragment_key(name, shown)
    html = fragments.get(key)
    if html is None:
        html = str(render())
        fragments.set(key, html)
    # Only our own templates' output is cached, escaped as they render it.
    return mark_safe(html)
